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
PROBE_MODULE = os.path.join(ROOT, "plugins", "modules", "comet_windows_probe.ps1")
PROBE_DOC = os.path.join(ROOT, "plugins", "modules", "comet_windows_probe.py")


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
    assert list(cw.DEFAULT_EXPECTED_RCS) == [0, 3010, 1641]


def test_probe_parameters():
    assert cw.probe_parameters('C:\\Program Files\\Comet Backup UNIL', 20) == {
        "install_dir_hint": "C:\\Program Files\\Comet Backup UNIL",
        "uninstall_key": "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\backup-tool",
        "settings_key": "SOFTWARE\\backup-tool",
        "backup_tool_exe": "backup-tool.exe",
        "service_names": ["backup.delegate", "backup.elevator"],
        "wait_login_seconds": 20,
        "transient_login_codes": [3],
        "login_code_pattern": "\\(([0-9]+)\\)",
        "crashplan_service_names": ["CrashPlanService", "Code42Service"],
        "crashplan_process_names": ["CrashPlanDesktop", "CrashPlanTray", "CrashPlanService", "Code42Service", "Code42"],
        "crashplan_name_pattern": "CrashPlan|Code42",
        "identity_value_names": ["DeviceIdentificationEntropy", "DeviceIdentificationHardwareIDOverride"],
        "cryptography_key": "SOFTWARE\\Microsoft\\Cryptography",
        "gather_facts": False,
    }
    assert F["comet_client_windows_probe_params"]("C:\\x")["wait_login_seconds"] == 0
    assert F["comet_client_windows_probe_params"]("C:\\x", gather_facts=True)["gather_facts"] is True
    with pytest.raises(AnsibleFilterError, match="wait_login: 601 is not between 0 and 600"):
        F["comet_client_windows_probe_params"]("C:\\x", wait_login=601)


def test_the_login_pattern_given_to_the_script_finds_the_codes_cc_finds():
    pattern = re.compile(cw.probe_parameters()["login_code_pattern"])
    for code, text in cc.LOGIN_CODES.items():
        found = pattern.findall("%s (%d)" % (text, code))
        assert int(found[-1]) == cc.login_status("%s (%d)" % (text, code))["code"] == code


def _spec_options(script):
    """The option names of the module's Ansible.Basic spec ($spec = @{ options = @{ name = @{ ... } ... } })."""
    block = re.search(r"^\$spec = @\{\s*options = @\{\n(.*?)^    \}", script, re.M | re.S).group(1)
    return re.findall(r"^        ([a-z0-9_]+) = @\{", block, re.M)


def test_the_module_takes_every_option_and_defines_no_name_of_its_own():
    with open(PROBE_MODULE, encoding="utf-8") as f:
        script = f.read()
    assert script.startswith("#!powershell\n") and "#AnsibleRequires -CSharpUtil Ansible.Basic" in script
    assert "[Ansible.Basic.AnsibleModule]::Create($args, $spec)" in script
    options = _spec_options(script)
    assert sorted(options) == sorted(cw.probe_parameters())
    # each option is read from $module.Params, and documented in the .py beside it (ansible-doc renders that one)
    for name in options:
        assert "$module.Params.%s" % name in script, name
    with open(PROBE_DOC, encoding="utf-8") as f:
        doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', f.read(), re.S).group(1))
    assert sorted(doc["options"]) == sorted(options)
    assert doc["module"] == "comet_windows_probe"
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    for name in cw.SERVICES + (cw.PRODUCT_ID, cw.BACKUP_TOOL_EXE):
        assert name not in code, name
    assert "$module.Result.changed = $false" in code and "$module.ExitJson()" in code
    # the result keys the controller reads (probe_facts) are all set
    for key in ("uninstall_key", "settings_key", "install_dir", "backup_tool", "login_status", "version_output",
                "services", "reboot_pending", "os_version", "os_architecture", "crashplan", "identity"):
        assert "$module.Result.%s = " % key in code, key
    # read-only: nothing that writes the registry, services or files, and no credential read
    for verb in ("Set-ItemProperty", "New-Item", "Remove-Item", "Set-Service", "Start-Service", "Stop-Service",
                 "Out-File", "Set-Content", "login prompt", "ISDELETECREDENTIAL", "config.dat"):
        assert verb not in code, verb


def test_facts_refuse_anything_but_a_probe_answer():
    with pytest.raises(AnsibleFilterError, match="unil.backup.comet_windows_probe"):
        F["comet_client_windows_facts"]("Logged in (2)")
    with pytest.raises(AnsibleFilterError, match="unil.backup.comet_windows_probe"):
        F["comet_client_windows_facts"](None)


def _spec_entries(script):
    """{option: {type, required, default, elements}} from the module's Ansible.Basic spec, one option a line."""
    block = re.search(r"^\$spec = @\{\s*options = @\{\n(.*?)^    \}", script, re.M | re.S).group(1)
    out = {}
    for name, body in re.findall(r"^        ([a-z0-9_]+) = @\{ (.*) \}$", block, re.M):
        entry = {}
        for key, value in re.findall(r"(\w+) = ('[^']*'|\$\w+|@\(\)|\d+)", body):
            entry[key] = {"$true": True, "$false": False, "@()": []}.get(value, value.strip("'"))
        if "default" in entry and entry.get("type") == "int":
            entry["default"] = int(entry["default"])
        out[name] = entry
    return out


def test_the_documentation_is_the_spec_ansible_basic_validates():
    """ansible-test's validate-modules compares a PowerShell module's spec with its documentation through pwsh, which
    this machine has not: the same comparison, made on the spec's text."""
    with open(PROBE_MODULE, encoding="utf-8") as f:
        spec = _spec_entries(f.read())
    with open(PROBE_DOC, encoding="utf-8") as f:
        doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', f.read(), re.S).group(1))["options"]
    assert sorted(spec) == sorted(doc)
    for name, entry in spec.items():
        assert doc[name]["type"] == entry["type"], name
        assert bool(doc[name].get("required")) == bool(entry.get("required")), name
        assert doc[name].get("elements") == entry.get("elements"), name
        if "default" in entry:
            assert doc[name]["default"] == entry["default"], name
        else:
            assert "default" not in doc[name], name
