# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_comet_windows: the Windows probe's answer normalised, the installer's arguments and exit codes (cases in the .yaml
beside), and the filters that wrap them."""
from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.comet_windows import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw

with open(os.path.join(os.path.dirname(__file__), "test_comet_windows.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)
F = FilterModule().filters()
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
PROBE_SCRIPT = os.path.join(ROOT, "roles", "comet_client", "files", "windows_comet_probe.ps1")


NO_IDENTITY = {"machine_guid": "", "entropy": "", "hardware_id_override": "", "product_uuid": ""}


@pytest.mark.parametrize("case", CASES["probes"], ids=[c["id"] for c in CASES["probes"]])
def test_probe_facts(case):
    # the identity inputs (cloned machines): none in these samples unless the case names them
    expected = dict(case["expected"], identity=case["expected"].get("identity", NO_IDENTITY))
    assert cw.probe_facts(case["raw"], case["hint"]) == expected
    assert F["comet_client_windows_facts"](case["raw"], case["hint"]) == expected


@pytest.mark.parametrize("case", CASES["probes"], ids=[c["id"] for c in CASES["probes"]])
def test_probe_facts_are_what_the_plan_reads(case):
    """The normalised probe is a valid input of the plan on every sample (the keys host_info gives on Linux)."""
    facts = cw.probe_facts(case["raw"], case["hint"])
    assert set(facts) >= {"comet", "unit", "services", "probed"}
    assert set(facts["comet"]) == {"installed", "version", "device_id", "login"}
    assert set(facts["comet"]["login"]) == {"code", "text", "logged_in"}
    plan = cc.plan(facts, "24.6.0", can_login=True)
    assert plan["action"] in ("install", "upgrade", "downgrade", "none")


def test_the_samples_drive_the_plan_as_expected():
    by_id = dict((c["id"], cw.probe_facts(c["raw"], c["hint"])) for c in CASES["probes"])
    assert cc.plan(by_id["not installed"], "24.6.0")["action"] == "install"
    assert cc.plan(by_id["installed and logged in, services automatic and running"], "24.6.0")["changes"] == []
    assert cc.plan(by_id["old version, one service missing, disabled one, enums as win_powershell serialises them"],
                   "24.6.0")["action"] == "upgrade"
    assert cc.plan(by_id["registered but its program is gone - installed with no version, so the plan runs the installer "
                         "over it"], "24.6.0")["action"] == "upgrade"
    assert cc.plan(by_id["services stopped or manual, names matched without case, logged out"], "24.6.0",
                   can_login=True)["login"] is True


@pytest.mark.parametrize("case", CASES["device_ids"], ids=[repr(c["value"]) for c in CASES["device_ids"]])
def test_device_id(case):
    assert cw.device_id(case["value"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["install_arguments"], ids=[repr(c["args"]) for c in CASES["install_arguments"]])
def test_install_arguments(case):
    assert cw.install_arguments(**case["args"]) == case["expected"]
    args = case["args"]
    assert F["comet_client_windows_install_args"](args.get("shortcuts", True), tray_icon=args.get("tray_icon", True),
                                                  local_system=args.get("local_system", False)) == case["expected"]
    assert "/TOKEN" not in case["expected"] and "/CONFIGURE" not in case["expected"]


@pytest.mark.parametrize("case", CASES["uninstall_arguments"], ids=[str(c["remove_credentials"]) for c in CASES["uninstall_arguments"]])
def test_uninstall_arguments(case):
    assert cw.uninstall_arguments(case["remove_credentials"]) == case["expected"]
    assert F["comet_client_windows_uninstall_args"](case["remove_credentials"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["return_codes"], ids=["%s in %s" % (c["rc"], c["expected_rcs"]) for c in CASES["return_codes"]])
def test_return_code_meaning(case):
    assert cw.return_code_meaning(case["rc"], case["expected_rcs"]) == case["result"]
    assert F["comet_client_windows_return_code"](case["rc"], case["expected_rcs"]) == case["result"]


def test_return_code_default_is_win_package_default():
    assert F["comet_client_windows_return_code"](3010)["reboot_required"] is True
    assert list(cw.DEFAULT_EXPECTED_RCS) == [0, 3010]


def test_probe_parameters():
    assert cw.probe_parameters('C:\\Program Files\\Comet Backup UNIL', 20) == {
        "InstallDirHint": "C:\\Program Files\\Comet Backup UNIL",
        "UninstallKey": "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\backup-tool",
        "SettingsKey": "SOFTWARE\\backup-tool",
        "BackupToolExe": "backup-tool.exe",
        "ServiceNames": ["backup.delegate", "backup.elevator"],
        "WaitLoginSeconds": 20,
        "TransientLoginCodes": [3],
        "LoginCodePattern": "\\(([0-9]+)\\)",
        "CrashPlanServiceNames": ["CrashPlanService", "Code42Service"],
        "CrashPlanProcessNames": ["CrashPlanDesktop", "CrashPlanTray", "CrashPlanService", "Code42Service", "Code42"],
        "CrashPlanNamePattern": "CrashPlan|Code42",
        "IdentityValueNames": ["DeviceIdentificationEntropy", "DeviceIdentificationHardwareIDOverride"],
        "CryptographyKey": "SOFTWARE\\Microsoft\\Cryptography",
    }
    assert F["comet_client_windows_probe_params"]("C:\\x")["WaitLoginSeconds"] == 0
    with pytest.raises(AnsibleFilterError, match="wait_login: 601 is not between 0 and 600"):
        F["comet_client_windows_probe_params"]("C:\\x", wait_login=601)


def test_the_login_pattern_given_to_the_script_finds_the_codes_cc_finds():
    pattern = re.compile(cw.probe_parameters()["LoginCodePattern"])
    for code, text in cc.LOGIN_CODES.items():
        found = pattern.findall("%s (%d)" % (text, code))
        assert int(found[-1]) == cc.login_status("%s (%d)" % (text, code))["code"] == code


def test_the_script_takes_every_parameter_and_defines_no_name_of_its_own():
    with open(PROBE_SCRIPT, encoding="utf-8") as f:
        script = f.read()
    params = re.search(r"^param \((.*?)^\)", script, re.M | re.S).group(1)
    assert set(re.findall(r"\$([A-Za-z]+)", params)) - {"true", "false"} == set(cw.probe_parameters())
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    for name in cw.SERVICES + (cw.PRODUCT_ID, cw.BACKUP_TOOL_EXE):
        assert name not in code, name
    assert "$Ansible.Changed = $false" in code
    # read-only: nothing that writes the registry, services or files, and no credential read
    for verb in ("Set-ItemProperty", "New-Item", "Remove-Item", "Set-Service", "Start-Service", "Stop-Service",
                 "Out-File", "Set-Content", "login prompt", "ISDELETECREDENTIAL", "config.dat"):
        assert verb not in code, verb


def test_facts_refuse_anything_but_a_probe_answer():
    with pytest.raises(AnsibleFilterError, match="windows_comet_probe.ps1"):
        F["comet_client_windows_facts"]("Logged in (2)")
    with pytest.raises(AnsibleFilterError, match="windows_comet_probe.ps1"):
        F["comet_client_windows_facts"](None)
