# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_comet_client: parsing of backup-tool output and the decisions of role comet_client (cases in the .yaml beside)."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp

with open(os.path.join(os.path.dirname(__file__), "test_comet_client.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)


@pytest.mark.parametrize("case", CASES["versions"], ids=[repr(c["out"]) for c in CASES["versions"]])
def test_version(case):
    assert cc.parse_version(case["out"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["device_ids"], ids=[repr(c["out"]) for c in CASES["device_ids"]])
def test_device_id(case):
    assert cc.parse_device_id(case["out"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["logins"], ids=[repr(c["out"]) for c in CASES["logins"]])
def test_login_status(case):
    status = cc.login_status(case["out"], installed=case.get("installed", True))
    assert status["code"] == case["code"] and status["logged_in"] is case["logged_in"]
    assert status["text"] == case.get("text", case["out"].strip())


@pytest.mark.parametrize("case", CASES["actions"], ids=[c["id"] for c in CASES["actions"]])
def test_install_action(case):
    assert cc.install_action(case["installed"], case["version"], case["target"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["plans"], ids=[c["id"] for c in CASES["plans"]])
def test_plan(case):
    result = cc.plan(case["probe"], **case["args"])
    assert dict((k, result[k]) for k in case["expected"]) == case["expected"]
    if "reason" in case:
        assert case["reason"] in result["reason"]
    else:
        assert result["reason"] == ""


def test_the_logged_in_codes_are_defined_once():
    assert cp.COMET_LOGGED_IN_CODES is cc.LOGGED_IN_CODES
    assert [code for code in cc.LOGIN_CODES if cc.login_status("x (%d)" % code)["logged_in"]] == [1, 2]


GOOD = {"state": "present", "server_url": "https://comet.example.ch", "brand": "CometBackupUNIL", "username": "pnom",
        "device_name": "", "linux_install_dir": "/opt/CometBackupUNIL", "linux_service_name": "comet-backup",
        "installer_source": "auto", "installer_file": "", "installer_url": "", "installer_sha256": "", "installer_variant": "",
        "version": "", "revoke_device": False, "password_set": True, "password_one_line": True, "admin_set": True,
        "system": "Linux", "architecture": "x86_64", "service_mgr": "systemd", "os_family": "Debian"}


@pytest.mark.parametrize("case", CASES["settings"], ids=[c["id"] for c in CASES["settings"]])
def test_role_settings(case):
    out = cc.role_settings(dict(GOOD, **case.get("vars", {})))
    for key, value in case.get("expected", {}).items():
        assert out[key] == value, key
    assert len(out["errors"]) == len(case.get("errors", [])), out["errors"]
    for wanted, got in zip(case.get("errors", []), out["errors"]):
        assert wanted in got


def test_no_secret_reaches_the_role_settings():
    out = cc.role_settings(dict(GOOD, password_one_line=False, admin_set=False))
    assert "comet_client_password must not contain a line break" in " ".join(out["errors"])
    assert "comet_client_admin_username and comet_client_admin_password are required" in " ".join(out["errors"])
