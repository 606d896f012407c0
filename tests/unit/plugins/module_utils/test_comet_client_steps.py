# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_comet_client_steps: role comet_client's steps on the host - the output quoted with secrets masked, each failure
message, the final checks, the per-OS login, the Windows installer and services, the macOS daemons and Full Disk
Access - and the filters of plugins/filter/comet_client_steps.py that wrap them (every one documented)."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.comet_client_steps import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_client_steps as steps
from ansible_collections.unil.backup.plugins.module_utils import _host_facts

F = FilterModule().filters()
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
P = "unil.backup.comet_client: "
LOGGED_IN = {"code": 2, "text": "Logged in, unlocked (2)", "logged_in": True}
LOGGED_OUT = {"code": 0, "text": "Logged out (0)", "logged_in": False}


def probe(installed=True, version="24.6.0", login=None, services=None, **extra):
    out = {"comet": {"installed": installed, "version": version if installed else "", "device_id": "d1",
                     "login": login or (LOGGED_IN if installed else {"code": -1, "text": "Not installed", "logged_in": False})},
           "services": services or {}}
    out.update(extra)
    return out


# --- command_output: the same masking everywhere ---------------------------------------------------------------
@pytest.mark.parametrize("result,keys,secrets,expected", [
    ({"stdout": " a \n", "stderr": "b"}, ("stdout", "stderr"), (), "a | b"),
    ({"stdout": "", "stderr": "b", "msg": "m"}, ("stdout", "stderr", "msg"), (), "b | m"),
    ({"stdout": "pw is s3cret", "stderr": "s3cret"}, ("stdout", "stderr"), ["s3cret"], "pw is ******** | ********"),
    # an empty password masks nothing (str.replace('') would put the mask between every letter)
    ({"stdout": "abc"}, ("stdout",), [""], "abc"),
    ({"stdout": "abc"}, ("stdout",), [None], "abc"),
    ({"stdout": None, "stderr": None}, ("stdout", "stderr"), (), ""),
    (None, ("stdout",), (), ""),
])
def test_command_output(result, keys, secrets, expected):
    assert steps.command_output(result, keys, secrets) == expected


# --- the installers -------------------------------------------------------------------------------------------
INSTALL_CASES = [
    # id, result, os, secrets, expected_rcs, message ('' = no failure)
    ("linux success", {"rc": 0, "stdout": "Complete!"}, "linux", [], None, ""),
    ("linux skipped in check mode", {"skipped": True, "changed": False}, "linux", [], None, ""),
    ("not registered at all", {}, "linux", [], None, ""),
    ("linux failure, password masked",
     {"rc": 3, "stdout": "Password: pw9\n", "stderr": "bad", "msg": "non-zero return code"}, "linux", ["pw9"], None,
     P + "the installer C.run (install) failed on pc1 with exit code 3: Password: ******** | bad | non-zero return code"),
    ("linux failure without a password", {"rc": 1, "stdout": "x"}, "linux", [""], None,
     P + "the installer C.run (install) failed on pc1 with exit code 1: x"),
    ("linux failure without an exit code", {"msg": "boom", "failed": True}, "linux", [], None,
     P + "the installer C.run (install) failed on pc1 with exit code -: boom"),
    ("macos failure", {"rc": 1, "stdout": "", "stderr": "installer: Error"}, "macos", [], None,
     P + "/usr/sbin/installer -allowUntrusted -pkg C.run -target / (install) failed on pc1 with exit code 1: installer: Error"),
    ("macos success", {"rc": 0}, "macos", [], None, ""),
    ("windows 3010 is a success", {"rc": 3010, "changed": True}, "windows", [], [0, 3010], ""),
    ("windows 0", {"rc": 0}, "windows", [], None, ""),
    ("windows failure, token masked", {"rc": 5, "failed": True, "msg": "install.exe /S /TOKEN=tok-1 failed"}, "windows", ["tok-1"], [0, 3010],
     P + "the installer C.run (install) on pc1 failed with exit code 5 (0x00000005), expected one of 0, 3010: "
     "install.exe /S /TOKEN=******** failed"),
    ("windows code not expected here", {"rc": 3010, "failed": True}, "windows", [], [0],
     P + "the installer C.run (install) on pc1 failed with exit code 3010 (0x00000BC2), expected one of 0: "),
    ("windows no exit code", {"msg": "could not start", "failed": True}, "windows", [], None,
     P + "the installer C.run (install) on pc1 the installer gave no exit code (None): could not start"),
]


@pytest.mark.parametrize("dummy,result,os_name,secrets,rcs,expected", INSTALL_CASES, ids=[c[0] for c in INSTALL_CASES])
def test_install_failure(dummy, result, os_name, secrets, rcs, expected):
    assert steps.install_failure(result, "pc1", "C.run", "install", os_name, "pnom", secrets, rcs) == expected


def test_a_linux_installer_asking_for_a_totp_code_gets_the_two_factor_explanation():
    msg = steps.install_failure({"rc": 1, "stdout": "ERR_TOTP_REQUIRED"}, "pc1", "C.run", "install", "linux", "pnom")
    assert msg.startswith(P + "the installer C.run (install) failed on pc1 with exit code 1: ERR_TOTP_REQUIRED ")
    assert "the Comet account pnom requires two-factor authentication" in msg
    assert "the login answered that a TOTP code is required" in msg


@pytest.mark.parametrize("result,rcs,expected", [
    ({"rc": 3010, "reboot_required": False}, [0, 3010], True),
    ({"rc": 0, "reboot_required": True}, None, True),
    ({"rc": 0, "reboot_required": "yes"}, None, True),
    ({"rc": 0}, None, False),
    ({"rc": 3010}, [0], False),
    ({}, None, False),
    ({"skipped": True}, None, False),
])
def test_reboot_required(result, rcs, expected):
    assert steps.reboot_required(result, rcs) is expected


@pytest.mark.parametrize("action,flags,expected", [
    ("install", {}, {"product_id": "backup-tool", "arguments": "/S /SHORTCUT=disable /TRAYICON=disable"}),
    ("upgrade", {}, {"product_id": "", "arguments": "/S /SHORTCUT=disable /TRAYICON=disable"}),
    ("downgrade", {"shortcuts": "true", "tray_icon": True, "local_system": "yes"},
     {"product_id": "", "arguments": "/S /ISLOCALSYSTEM=yes"}),
    ("install", {"shortcuts": "False", "tray_icon": "no", "local_system": False},
     {"product_id": "backup-tool", "arguments": "/S /SHORTCUT=disable /TRAYICON=disable"}),
])
def test_windows_installer(action, flags, expected):
    assert steps.windows_installer({"windows": {"product_id": "backup-tool"}}, action, **flags) == expected


WIN_SERVICES = {"backup.delegate": {"exists": True, "enabled": True, "active": False},
                "backup.elevator": {"exists": True, "enabled": False, "active": False}}


@pytest.mark.parametrize("plan,check_mode,expected", [
    ({"action": "none", "start_services": False}, False, []),
    ({"action": "none", "start_services": True}, False,
     [{"name": "backup.delegate", "start_mode": ""}, {"name": "backup.elevator", "start_mode": "auto"}]),
    ({"action": "upgrade", "start_services": False}, False,
     [{"name": "backup.delegate", "start_mode": "auto"}, {"name": "backup.elevator", "start_mode": "auto"}]),
    ({"action": "install", "start_services": False}, True, []),
    ({"action": "upgrade", "start_services": False}, True,
     [{"name": "backup.delegate", "start_mode": "auto"}, {"name": "backup.elevator", "start_mode": "auto"}]),
])
def test_windows_services_to_start(plan, check_mode, expected):
    assert steps.windows_services_to_start({"services": WIN_SERVICES}, plan, check_mode) == expected


@pytest.mark.parametrize("services,installed,expected", [
    ({"backup.delegate": {"exists": True, "enabled": True, "active": True}}, True,
     {"down": [], "enable": [], "bootstrap": [], "kickstart": []}),
    ({"backup.delegate": {"exists": True, "enabled": True, "active": False},
      "backup.elevator": {"exists": False, "enabled": False, "active": False}}, True,
     {"down": ["backup.delegate", "backup.elevator"], "enable": ["backup.elevator"],
      "bootstrap": ["/Library/LaunchDaemons/backup.elevator.plist"], "kickstart": ["backup.delegate"]}),
    # running but disabled in launchd's override database: enabled, nothing else
    ({"backup.delegate": {"exists": True, "enabled": False, "active": True}}, True,
     {"down": ["backup.delegate"], "enable": ["backup.delegate"], "bootstrap": [], "kickstart": []}),
    ({"backup.delegate": {"exists": False, "enabled": False, "active": False}}, False,
     {"down": [], "enable": [], "bootstrap": [], "kickstart": []}),
])
def test_macos_daemons(services, installed, expected):
    assert steps.macos_daemons(probe(installed=installed, services=services)) == expected


# --- the login, one task file for every OS ---------------------------------------------------------------------
@pytest.mark.parametrize("login,can_login,extra,expected", [
    (LOGGED_OUT, True, {}, True),
    ({"code": 4, "text": "Unregistered (4)", "logged_in": False}, True, {}, True),
    (LOGGED_OUT, False, {}, False),
    (LOGGED_OUT, "False", {}, False),
    (LOGGED_IN, True, {}, False),
    ({"code": 3, "text": "Connection error (3)", "logged_in": False}, True, {}, False),
    # a first installation made without an install token always logs in (not in check mode)
    (LOGGED_IN, False, {"action": "install", "install_token": False}, True),
    (LOGGED_IN, False, {"action": "install", "install_token": False, "check_mode": True}, False),
    (LOGGED_IN, False, {"action": "install", "install_token": True}, False),
])
def test_login_needed(login, can_login, extra, expected):
    assert steps.login_needed(probe(login=login), can_login, **extra) is expected


def test_no_login_without_a_client_or_without_its_version():
    assert steps.login_needed(probe(installed=False), True) is False
    assert steps.login_needed(probe(version="", login=LOGGED_OUT), True) is False


@pytest.mark.parametrize("os_name,expected", [
    ("linux", {"tool": "/opt/CometBackup/backup-tool", "name": "backup-tool", "chdir": "", "home": "/root",
               "windows": False, "restart_delegate": False, "probe_file": "probe.yml"}),
    ("macos", {"tool": "/Applications/Comet Backup.app/Contents/MacOS/backup-tool", "name": "backup-tool", "chdir": "",
               "home": "/var/root", "windows": False, "restart_delegate": True, "delegate": "backup.delegate",
               "probe_file": "probe.yml"}),
    ("windows", {"tool": "C:\\Program Files\\Comet\\backup-tool.exe", "name": "backup-tool.exe",
                 "chdir": "C:\\Program Files\\Comet", "home": "", "windows": True, "restart_delegate": False,
                 "probe_file": "windows_probe.yml"}),
])
def test_login_step(os_name, expected):
    found = probe(services={"backup.delegate": {"exists": True}}, probed={"backup_tool": "C:\\Program Files\\Comet\\backup-tool.exe"},
                  windows={"install_dir": "C:\\Program Files\\Comet"})
    assert steps.login_step(os_name, found, "/opt/CometBackup", "/Applications/Comet Backup.app") == expected


def test_the_macos_delegate_restarts_only_when_launchd_knows_it():
    assert steps.login_step("macos", probe(services={"backup.delegate": {"exists": False}}))["restart_delegate"] is False
    assert steps.login_step("macos", {})["restart_delegate"] is False


LOGIN_CASES = [
    ("success", {"rc": 0, "stdout": "Logged in."}, "backup-tool", ""),
    ("skipped", {"skipped": True}, "backup-tool", ""),
    ("failure, password masked", {"rc": 1, "stdout": "Password: pw9", "stderr": "denied"}, "backup-tool",
     P + "backup-tool login prompt failed on pc1 with exit code 1: Password: ******** | denied"),
    ("windows failure", {"rc": 2, "stdout": "", "stderr": "no"}, "backup-tool.exe",
     P + "backup-tool.exe login prompt failed on pc1 with exit code 2: no"),
    ("no exit code", {"msg": "x"}, "backup-tool", P + "backup-tool login prompt failed on pc1 with exit code -: "),
]


@pytest.mark.parametrize("dummy,result,tool,expected", LOGIN_CASES, ids=[c[0] for c in LOGIN_CASES])
def test_login_failure(dummy, result, tool, expected):
    assert steps.login_failure(result, "pc1", tool, "pnom", "pw9") == expected
    # the two registered results of login.yml: the one that ran counts, wherever it is
    assert steps.login_failure([{"skipped": True}, result], "pc1", tool, "pnom", "pw9") == expected
    assert steps.login_failure([result, {"skipped": True}], "pc1", tool, "pnom", "pw9") == expected


def test_login_failure_with_an_empty_password_masks_nothing():
    assert steps.login_failure({"rc": 1, "stdout": "abc"}, "pc1", "backup-tool", "pnom", "") == \
        P + "backup-tool login prompt failed on pc1 with exit code 1: abc"


def test_a_login_asking_for_a_totp_code_gets_the_two_factor_explanation():
    msg = steps.login_failure({"rc": 1, "stdout": "ERR_TOTP_REQUIRED"}, "pc1", "backup-tool", "pnom", "pw9")
    assert msg.startswith(P + "backup-tool login prompt failed on pc1 with exit code 1: ERR_TOTP_REQUIRED ")
    assert "the Comet account pnom requires two-factor authentication" in msg


# --- checks after a change -------------------------------------------------------------------------------------
PLAN = {"target": "24.6.0", "changes": ["install", "unit"]}


@pytest.mark.parametrize("found,require_login,check_services,ok", [
    (probe(), False, False, True),
    (probe(login=LOGGED_OUT), False, False, True),
    (probe(login=LOGGED_OUT), True, False, False),
    (probe(login=LOGGED_OUT), "true", False, False),
    (probe(version="24.5.0"), False, False, False),
    (probe(services={"backup.delegate": {"active": False}}), False, False, True),
    (probe(services={"backup.delegate": {"active": False}}), False, True, False),
    (probe(services={"backup.delegate": {"active": True}}), True, True, True),
])
def test_final_check(found, require_login, check_services, ok):
    result = steps.final_check(found, PLAN, "pc1", require_login, check_services)
    assert result["ok"] is ok
    assert (result["msg"] == "") is ok


def test_final_check_messages():
    assert steps.final_check(probe(version="", login=LOGGED_OUT), PLAN, "pc1", True)["msg"] == (
        P + "after the install, unit on pc1, the client reports version - (expected 24.6.0) and login status "
        "\"Logged out (0)\" (logged in is required by comet_client_require_login).")
    services = {"backup.delegate": {"active": False}}
    assert steps.final_check(probe(services=services), PLAN, "pc1", False, True)["msg"] == (
        P + "after the install, unit on pc1, the client reports version 24.6.0 (expected 24.6.0), services "
        "{\"backup.delegate\": {\"active\": false}} and login status \"Logged in, unlocked (2)\" (logged in is required "
        "by comet_client_require_login).")


@pytest.mark.parametrize("found,ok", [
    (probe(installed=False, services={"backup.delegate": {"exists": False}}), True),
    (probe(installed=False), True),
    (probe(installed=False, services={"backup.delegate": {"exists": True}}), False),
    (probe(), False),
])
def test_removal_check(found, ok):
    result = steps.removal_check(found, "pc1")
    assert result["ok"] is ok
    assert (result["msg"] == "") is ok


def test_removal_check_message():
    assert steps.removal_check(probe(services={"backup.delegate": {"exists": True}}), "pc1")["msg"] == (
        P + "after its uninstaller ran on pc1, the client is still there (installed True, version 24.6.0, services "
        "{\"backup.delegate\": {\"exists\": true}}).")


APP = "/Applications/Comet Backup.app"


@pytest.mark.parametrize("found,remove,expected", [
    ([{"item": APP + "/Contents/Resources/uninstall", "stat": {"exists": False}},
      {"item": APP + "/Contents/MacOS/uninstall", "stat": {"exists": True}}], True,
     [APP + "/Contents/MacOS/uninstall", "--also-remove-saved-passwords"]),
    ([{"item": APP + "/Contents/Resources/uninstall", "stat": {"exists": True}},
      {"item": APP + "/Contents/MacOS/uninstall", "stat": {"exists": True}}], "no",
     [APP + "/Contents/Resources/uninstall"]),
    ([], True, [APP + "/Contents/Resources/uninstall", "--also-remove-saved-passwords"]),
    (None, False, [APP + "/Contents/Resources/uninstall"]),
])
def test_macos_uninstaller(found, remove, expected):
    assert steps.macos_uninstaller(found, APP, remove) == expected


def test_uninstall_left():
    assert steps.uninstall_left({"rc": 1, "stdout": "x", "stderr": ""}, "mac1", APP) == (
        P + "the uninstall script left " + APP + " on mac1 (exit code 1): x")
    assert steps.uninstall_left({"skipped": True}, "mac1", APP) == (
        P + "the uninstall script left " + APP + " on mac1 (exit code -): ")


# --- Full Disk Access ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("installed,path,required,flags", [
    (True, "", False, (True, False, False)),
    (True, "/srv/p.mobileconfig", True, (True, False, False)),
    (False, "", False, (False, True, False)),
    (False, "/srv/p.mobileconfig", "true", (False, False, True)),
])
def test_full_disk_access(installed, path, required, flags):
    result = steps.full_disk_access(installed, "mac1", "edu.unil.fda", path, required)
    assert (result["granted"], result["warn"], result["refuse"]) == flags
    assert (result["msg"] == "") is installed
    assert result["hint"] == ("deliver /srv/p.mobileconfig with the MDM" if path else
                              "deliver a PPPC profile with this PayloadIdentifier with the MDM (set "
                              "comet_client_macos_pppc_apps and comet_client_macos_pppc_dest to have the role write it)")


def test_full_disk_access_messages():
    warn = steps.full_disk_access(False, "mac1", "edu.unil.fda", "/srv/p.mobileconfig")["msg"]
    assert warn == ("WARNING " + P + "Full Disk Access is NOT granted to Comet Backup on mac1: the configuration profile "
                    "edu.unil.fda is not installed. Only an MDM can deliver it: deliver /srv/p.mobileconfig with the MDM. "
                    "Until then the backups of users' Desktop, Documents and Downloads end with \"operation not permitted\" "
                    "warnings.")
    refuse = steps.full_disk_access(False, "mac1", "edu.unil.fda", "/srv/p.mobileconfig", True)["msg"]
    assert refuse == (P + "Full Disk Access is NOT granted to Comet Backup on mac1: the configuration profile edu.unil.fda "
                      "is not installed, and comet_client_macos_require_full_disk_access is true. Only an MDM can deliver "
                      "it: deliver /srv/p.mobileconfig with the MDM.")


# --- facts and the two-factor refusal (vars/main.yml) ----------------------------------------------------------
FULL = {"system": "Linux", "os_family": "Debian", "hostname": "pc1", "distribution": "Debian", "service_mgr": "systemd"}


@pytest.mark.parametrize("facts,expected", [
    (FULL, False),
    (dict((k, v) for k, v in FULL.items() if k != "service_mgr"), True),
    ({"system": "Win32NT", "os_family": "Windows", "hostname": "w1", "distribution": "Microsoft Windows"}, False),
    ({"system": "Darwin", "os_family": "Darwin", "hostname": "m1"}, True),
    ({}, True),
    (None, True),
])
def test_facts_missing(facts, expected):
    assert _host_facts.facts_missing(facts) is expected


TWO_FACTOR = {"account": {"login": {"password": False, "totp": True, "two_factor_required": True}}}


@pytest.mark.parametrize("account_result,plan,os_name,refused", [
    (TWO_FACTOR, {"action": "install", "login": False}, "linux", True),
    (TWO_FACTOR, {"action": "install", "login": False}, "windows", False),
    (TWO_FACTOR, {"action": "none", "login": True}, "windows", True),
    ({"skipped": True}, {"action": "install", "login": False}, "linux", False),
    ({"failed": True, "msg": "unreachable"}, {"action": "install", "login": False}, "linux", False),
    ({"account": {"login": None}}, {"action": "install", "login": False}, "linux", False),
    ({}, {"action": "install", "login": True}, "linux", False),
])
def test_two_factor(account_result, plan, os_name, refused):
    reason = steps.two_factor(account_result, "pnom-2fa", plan, os_name)
    assert bool(reason) is refused
    if refused:
        assert reason.startswith("the Comet account pnom-2fa requires two-factor authentication")


# --- the filters ---------------------------------------------------------------------------------------------
def test_every_filter_is_documented():
    for name in F:
        path = os.path.join(ROOT, "plugins", "filter", name + ".yml")
        with open(path, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
        assert doc["DOCUMENTATION"]["name"] == name
        assert set(doc["DOCUMENTATION"]["positional"].replace(" ", "").split(",")) <= \
            set(doc["DOCUMENTATION"]["options"])


def test_the_filters_as_the_role_calls_them():
    step = {"host": "pc1", "installer": "C.run", "action": "install", "os": "linux", "account": "pnom", "secrets": ["pw9"]}
    assert F["comet_client_install_failure"]({"rc": 2, "stdout": "pw9"}, **step) == \
        P + "the installer C.run (install) failed on pc1 with exit code 2: ********"
    win = dict(step)
    win.update(os="windows", secrets=[""], expected_rcs=["0", "3010"])
    assert F["comet_client_install_failure"]({"rc": 3010}, **win) == ""
    with pytest.raises(AnsibleFilterError):
        F["comet_client_install_failure"]({"rc": 1}, secrets="pw9")
    with pytest.raises(AnsibleFilterError):
        F["comet_client_windows_reboot_required"]({"rc": 1}, "0, 3010")
    assert F["comet_client_login_failure"]([{"skipped": True}, {"rc": 0}], host="pc1", tool="backup-tool.exe") == ""
    assert F["comet_client_final_check"](probe(), PLAN, host="pc1", require_login="True")["ok"] is True
    assert F["comet_client_removal_check"](probe(installed=False), "pc1")["ok"] is True
    assert F["comet_client_login_step"]("linux", {}, "/opt/C")["tool"] == "/opt/C/backup-tool"
    assert F["comet_client_login_needed"](probe(login=LOGGED_OUT), "True") is True
    assert F["comet_client_windows_services"]({"services": WIN_SERVICES}, {"action": "none"}, False) == []
    assert F["comet_client_windows_installer"]({}, action="install", shortcuts="yes")["arguments"] == "/S /TRAYICON=disable"
    assert F["comet_client_windows_reboot_required"]({"rc": 3010}, [0, 3010]) is True
    assert F["comet_client_macos_daemons"]({})["down"] == []
    assert F["comet_client_macos_uninstaller"]([], "/A", False) == ["/A/Contents/Resources/uninstall"]
    assert F["comet_client_uninstall_left"]({"rc": 1}, "m1", "/A").endswith("(exit code 1): ")
    assert F["comet_client_full_disk_access"](False, host="m1", identifier="x", required="false")["warn"] is True
    assert F["comet_client_facts_missing"]({}) is True
    assert F["comet_client_two_factor"]({"skipped": True}, "pnom", {"action": "install"}, "linux") == ""


def test_facts_missing_with_a_role_s_own_facts():
    """crashplan_removal needs system and os_family only, and no service manager."""
    assert not _host_facts.facts_missing({"system": "Linux", "os_family": "Debian"}, ("system", "os_family"),
                                         linux_service_manager=False)
    assert _host_facts.facts_missing({"system": "Linux"}, ("system", "os_family"), linux_service_manager=False)
