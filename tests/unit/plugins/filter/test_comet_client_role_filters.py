# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_client's decisions taken in Python from its variables as they are (filters comet_client_settings with
facts, comet_client_plan's password_login, comet_client_refusals)."""

from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.filter import backup_decisions as bd

FACTS = {"system": "Linux", "architecture": "x86_64", "service_mgr": "systemd", "os_family": "Debian",
         "distribution": "Debian", "distribution_version": "12"}
VARIABLES = {"state": "present", "server_url": "https://comet.example.ch", "brand": "Comet_Backup", "username": "pnom",
             "password": "s3cret-Pw", "admin_username": "admin", "admin_password": "adm1n-Pw", "device_name": "",
             "linux_install_dir": "/opt/Comet_Backup", "linux_service_name": "comet-backup", "installer_source": "auto",
             "installer_file": "", "installer_url": "", "installer_sha256": "", "installer_variant": "", "version": "",
             "revoke_device": False, "allow_obsolete_os": False, "windows_use_install_token": True,
             "macos_use_install_token": True}


def settings(facts=None, **changes):
    return bd.comet_client_settings(dict(VARIABLES, **changes), FACTS if facts is None else facts)


def test_secrets_are_reduced_and_never_returned():
    result = settings()
    assert result["errors"] == [] and result["server"] == "https://comet.example.ch/"
    assert "s3cret-Pw" not in repr(result) and "adm1n-Pw" not in repr(result)
    assert result["ask_server_version"] is True and result["target"] == ""


@pytest.mark.parametrize("password", ["two\nlines", "nul\x00"])
def test_a_password_on_two_lines_is_refused_without_showing_it(password):
    result = settings(password=password)
    assert any("comet_client_password must not contain" in e for e in result["errors"])
    assert password not in repr(result)


def test_server_source_needs_the_admin_account():
    assert any("comet_client_admin_username and comet_client_admin_password are required" in e
               for e in settings(admin_password="")["errors"])


def test_installer_file_missing_on_the_controller(tmp_path):
    missing = str(tmp_path / "Comet_Backup-24.6.0.run")
    assert any("is not a file on the controller" in e for e in settings(installer_file=missing)["errors"])
    (tmp_path / "Comet_Backup-24.6.0.run").write_text("#!/bin/sh\n")
    result = settings(installer_file=missing)
    assert result["errors"] == [] and result["target"] == "24.6.0" and result["ask_server_version"] is False


def test_version_given_wins_and_absent_needs_no_version():
    assert settings(version="24.9.1")["target"] == "24.9.1"
    absent = settings(state="absent")
    assert absent["target"] == "" and absent["ask_server_version"] is False


@pytest.mark.parametrize("system,flag", [("Win32NT", "windows_use_install_token"), ("Darwin", "macos_use_install_token")])
def test_install_token_off_is_refused_for_its_own_os_only(system, flag):
    facts = dict(FACTS, system=system, os_family="Windows" if system == "Win32NT" else "Darwin", service_mgr="")
    assert any("use_install_token: false is refused" in e for e in settings(facts, **{flag: False})["errors"])
    other = "macos_use_install_token" if flag.startswith("windows") else "windows_use_install_token"
    assert not any("use_install_token" in e for e in settings(facts, **{other: False})["errors"])


PROBE_NONE = {"comet": {"installed": False, "version": "", "device_id": "", "login": {"code": -1, "logged_in": False}}}
PROBE_OUT = {"comet": {"installed": True, "version": "24.6.0", "device_id": "d1", "login": {"code": 0, "logged_in": False}}}


@pytest.mark.parametrize("probe,os_name,can_login,expected", [
    (PROBE_NONE, "linux", False, True),       # the .run answers its prompts with the password
    (PROBE_NONE, "windows", False, False),    # an install token, never the password
    (PROBE_NONE, "macos", False, False),
    (PROBE_OUT, "windows", True, True),       # a login repair: backup-tool login prompt
    (PROBE_OUT, "linux", False, False),
])
def test_password_login(probe, os_name, can_login, expected):
    plan = bd.comet_client_plan(probe, "24.6.0", can_login=can_login, os=os_name)
    assert plan["password_login"] is expected


def test_a_refused_plan_never_logs_in_with_the_password():
    plan = bd.comet_client_plan(PROBE_NONE, "24.6.0", can_install=False, os="linux")
    assert plan["refused"] and plan["password_login"] is False


def test_refusals_collect_plan_two_factor_and_shared_device():
    plan = bd.comet_client_plan(PROBE_NONE, "24.6.0", can_install=False, os="linux")
    shared = {"refusals": {"lab-01": "lab-01 shares the Comet device ID D1 with lab-02"}}
    out = bd.comet_client_refusals(plan, "lab-01", "the account needs a TOTP code", shared)
    assert out[0].startswith("lab-01 has no Comet Backup client")
    assert out[1] == "lab-01: the account needs a TOTP code"
    assert out[2].startswith("lab-01 shares")
    assert bd.comet_client_refusals(bd.comet_client_plan(PROBE_OUT, "24.6.0"), "lab-02", "", shared) == []
