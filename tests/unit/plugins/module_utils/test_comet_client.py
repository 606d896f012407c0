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
