# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two-factor (TOTP) accounts cannot answer an unattended installation or login (issue #13): the account's profile is
read (UserProfileConfig AllowPasswordLogin / AllowPasswordAndTOTPLogin, comet-go-sdk) and a password login is refused
before any change, with the account and the ways out named; a login's own answer (ERR_TOTP_REQUIRED) is read too."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.backup_decisions import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc

REFUSAL = FilterModule().filters()["comet_two_factor_refusal"]
TOTP = {"AllowPasswordLogin": False, "AllowPasswordAndTOTPLogin": True}


@pytest.mark.parametrize("profile, expected", [
    (TOTP, {"password": False, "totp": True, "two_factor_required": True}),
    # AllowPasswordAndTOTPLogin means TOTP is required (comet-go-sdk UserProfileConfig), whatever AllowPasswordLogin
    ({"AllowPasswordLogin": True, "AllowPasswordAndTOTPLogin": True}, {"password": True, "totp": True, "two_factor_required": True}),
    ({"AllowPasswordLogin": True, "AllowPasswordAndTOTPLogin": False}, {"password": True, "totp": False, "two_factor_required": False}),
    # a profile that does not say (an older server): Comet's default, the password
    ({}, {"password": True, "totp": False, "two_factor_required": False}),
    (None, {"password": True, "totp": False, "two_factor_required": False}),
])
def test_account_login(profile, expected):
    assert cc.account_login(profile) == expected


@pytest.mark.parametrize("os_name, action, relogin, refused", [
    ("linux", "install", False, True),     # the .run's Username/Password prompts
    ("linux", "none", True, True),         # backup-tool login prompt
    ("macos", "none", True, True),
    ("windows", "none", True, True),
    ("windows", "install", False, False),  # an install token registers the device: no login with the password
    ("macos", "install", False, False),
    ("linux", "upgrade", False, False),    # an upgrade keeps the registration
    ("linux", "none", False, False),       # converged host
])
def test_refused_only_where_the_password_would_log_in(os_name, action, relogin, refused):
    message = cc.two_factor_refusal("pnom-2fa", cc.account_login(TOTP), os_name, action, relogin)
    assert bool(message) is refused
    if refused:
        assert "the Comet account pnom-2fa requires two-factor authentication" in message
        assert "install token" in message and "an account without two-factor authentication" in message
    # an account without 2FA, or one that could not be read, is never refused here
    assert cc.two_factor_refusal("pnom", cc.account_login({}), os_name, action, relogin) == ""
    assert cc.two_factor_refusal("pnom", None, os_name, action, relogin) == ""


def test_the_message_says_what_would_have_logged_in():
    message = cc.two_factor_refusal("lab", cc.account_login(TOTP), "linux", "install", False)
    assert "the Linux installer (.run) logs in with the password on its prompts" in message
    assert "backup-tool login prompt" not in message


@pytest.mark.parametrize("text, says", [
    ("Logging in...\nLogin failed: ERR_TOTP_REQUIRED", True),
    ("Error: TOTP code required", True),
    ("Two-factor authentication is enabled for this account", True),
    ("Logging in...\nLogged in.\nComplete!", False),
    ("Authentication failed", False),
    ("", False),
])
def test_a_login_answer_that_asks_for_a_code(text, says):
    assert cc.mentions_two_factor(text) is says


def test_filter():
    login = {"password": False, "totp": True, "two_factor_required": True}
    assert "pnom-2fa requires two-factor" in REFUSAL(login, "pnom-2fa", os="linux", action="install")
    assert REFUSAL(login, "pnom-2fa", os="windows", action="install") == ""
    assert REFUSAL({}, "pnom", os="linux", action="install") == ""
    # what the installer answered, when the account could not be read beforehand
    said = REFUSAL({}, "pnom-2fa", output="Logging in... ERR_TOTP_REQUIRED")
    assert "pnom-2fa requires two-factor" in said and "the login answered that a TOTP code is required" in said
    assert REFUSAL({}, "pnom", output="Authentication failed") == ""
    with pytest.raises(AnsibleFilterError):
        REFUSAL("yes", "pnom")
