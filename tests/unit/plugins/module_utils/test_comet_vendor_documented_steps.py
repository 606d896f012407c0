# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 23: the client's install and uninstall steps as Comet documents them (docs.cometbackup.com "Comet Backup
installation", "Appendix"; comet-go-sdk cometsdk.go), with the vendor-documented command lines and samples."""
from __future__ import annotations

import os
import plistlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.comet_client_steps import FilterModule as StepFilters
from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_client_steps as steps
from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw

STEP_FILTERS = StepFilters().filters()
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
PROBE_SCRIPT = os.path.join(ROOT, "plugins", "modules", "comet_windows_probe.ps1")
PKG = "/var/tmp/unil-comet-client-0123/Comet Backup UNIL.pkg"


# 1. macOS: `sudo launchctl setenv BACKUP_APP_TOKEN "<token>" && sudo installer -allowUntrusted -pkg "<pkg>" -target /`
def test_macos_installer_argv_is_the_documented_one():
    assert cm.installer_argv(PKG) == ["/usr/sbin/installer", "-allowUntrusted", "-pkg", PKG, "-target", "/"]


def test_macos_install_steps_with_a_token_keep_the_token_out():
    found = steps.macos_install_steps(PKG, True)
    assert found == {"setenv": ["/bin/launchctl", "setenv", "BACKUP_APP_TOKEN"],
                     "installer": ["/usr/sbin/installer", "-allowUntrusted", "-pkg", PKG, "-target", "/"],
                     "unsetenv": ["/bin/launchctl", "unsetenv", "BACKUP_APP_TOKEN"]}
    assert STEP_FILTERS["comet_client_macos_install_steps"](PKG, True) == found


def test_macos_install_steps_without_a_token_only_run_the_installer():
    assert steps.macos_install_steps(PKG, False) == {
        "setenv": [], "installer": ["/usr/sbin/installer", "-allowUntrusted", "-pkg", PKG, "-target", "/"], "unsetenv": []}


@pytest.mark.parametrize("bad", ["", None, "a\nb.pkg"])
def test_macos_installer_refuses_no_package(bad):
    with pytest.raises(ValueError):
        cm.installer_argv(bad)
    with pytest.raises(AnsibleFilterError):
        STEP_FILTERS["comet_client_macos_install_steps"](bad)


def test_macos_install_failure_names_the_documented_command():
    msg = steps.install_failure({"rc": 1, "stdout": "installer: The package is untrusted."}, "mac1", "C.pkg",
                                "install", "macos")
    assert "/usr/sbin/installer -allowUntrusted -pkg C.pkg -target / (install) failed on mac1" in msg


# 2. Windows: the installed version from `backup-tool.exe version` (Comet docs, appendix "Command-line control"); the
# Uninstall key's DisplayVersion (not documented) only when that holds none; compared as versions.
def windows_raw(display_version=None, version_text="24.6.0", version_rc=0, tool=True):
    uninstall = {"path": "HKLM:\\" + cw.UNINSTALL_KEY, "DisplayName": "Comet Backup", "UninstallString": "",
                 "InstallLocation": "C:\\Program Files\\Comet Backup"}
    if display_version is not None:
        uninstall["DisplayVersion"] = display_version
    return {"uninstall_key": uninstall,
            "settings_key": {"InstallDirectory": "C:\\Program Files\\Comet Backup", "DeviceIdentificationID": "d1"},
            "install_dir": "C:\\Program Files\\Comet Backup",
            "backup_tool": {"path": "C:\\Program Files\\Comet Backup\\backup-tool.exe", "exists": tool},
            "login_status": {"rc": 0, "text": "Logged in, unlocked (2)"},
            "version_output": None if version_text is None else {"rc": version_rc, "text": version_text},
            "services": [{"name": name, "exists": True, "start_type": "Automatic", "status": "Running"}
                         for name in cw.SERVICES]}


@pytest.mark.parametrize("raw, version", [
    (windows_raw(display_version=None), "24.6.0"),
    (windows_raw(display_version=""), "24.6.0"),
    (windows_raw(display_version="24.6.0.0", version_text=None), "24.6.0.0"),
    (windows_raw(display_version="24.5.0"), "24.6.0"),
    (windows_raw(display_version="24.6.0", version_text="cannot run the client: access denied", version_rc=None), "24.6.0"),
    (windows_raw(display_version="24.6.0", version_text="24.9.1", version_rc=1), "24.6.0"),
    (windows_raw(display_version="24.6.0", tool=False), ""),
])
def test_windows_version_from_backup_tool_version_first(raw, version):
    assert cw.installed_version(raw) == version
    assert cw.probe_facts(raw)["comet"]["version"] == version


@pytest.mark.parametrize("raw", [windows_raw(display_version=None), windows_raw(display_version="24.6.0.0", version_text=None),
                                 windows_raw(display_version="24.6.0.0", version_text="24.6.0.0")],
                         ids=["no DisplayVersion", "DisplayVersion 24.6.0.0", "backup-tool 24.6.0.0"])
def test_windows_no_upgrade_planned_for_the_same_version(raw):
    facts = cw.probe_facts(raw)
    found = cc.plan(facts, "24.6.0", services=list(cw.SERVICES))
    assert found["action"] == "none" and found["changes"] == []
    assert steps.final_check(facts, {"target": "24.6.0", "changes": ["upgrade"]}, "pc1")["ok"] is True


@pytest.mark.parametrize("left, right, order", [("24.6.0.0", "24.6.0", 0), ("24.6.0", "24.6.0.0", 0), ("24.6.0.1", "24.6.0", 1),
                                                ("24.10.0", "24.9.3", 1), ("24.6", "24.6.0", 0)])
def test_compare_versions_as_versions(left, right, order):
    assert cc.compare_versions(left, right) == order


def test_final_check_with_another_or_no_version_fails():
    assert steps.final_check({"comet": {"version": "24.5.0.0"}}, {"target": "24.6.0", "changes": ["upgrade"]}, "pc1")["ok"] is False
    assert steps.final_check({"comet": {"version": ""}}, {"target": "24.6.0", "changes": ["upgrade"]}, "pc1")["ok"] is False


def test_probe_runs_the_documented_version_command():
    with open(PROBE_SCRIPT, encoding="utf-8") as handle:
        text = handle.read()
    assert "Invoke-BackupTool -Exe $toolPath -Arguments @('version')" in text
    assert "version_output = $versionOutput" in text


# 3. Two-factor: comet-go-sdk UserProfileConfig, AllowPasswordAndTOTPLogin - "TOTP is required"; read alone.
@pytest.mark.parametrize("profile", [{"AllowPasswordAndTOTPLogin": True},
                                     {"AllowPasswordLogin": True, "AllowPasswordAndTOTPLogin": True}],
                         ids=["alone", "beside AllowPasswordLogin"])
def test_allow_password_and_totp_login_alone_is_refused_before_a_password_login(profile):
    login = cc.account_login(profile)
    assert login["two_factor_required"] is True
    # a Linux installation answers the installer's prompts with the password: refused before any change
    assert "requires two-factor authentication" in cc.two_factor_refusal("pnom", login, "linux", "install", False)
    # a login repair (backup-tool login prompt) is a password login on every OS
    assert "backup-tool login prompt" in cc.two_factor_refusal("pnom", login, "windows", "none", True)
    # an install token registers the device without a login: nothing to refuse
    assert cc.two_factor_refusal("pnom", login, "macos", "install", False) == ""


def test_password_login_without_totp_is_not_refused():
    login = cc.account_login({"AllowPasswordLogin": True, "AllowPasswordAndTOTPLogin": False})
    assert cc.two_factor_refusal("pnom", login, "linux", "install", True) == ""


# 4. Uninstall: Linux logs out with the documented `backup-tool login disconnect` first (bounded, failures said);
# macOS runs the vendor's uninstall script before any bootout.
ROLE_TASKS = os.path.join(ROOT, "roles", "comet_client", "tasks")


def test_linux_disconnect_argv():
    assert STEP_FILTERS["comet_client_linux_disconnect"]("/opt/CometBackup/") == [
        "timeout", "--kill-after=10", "60", "/opt/CometBackup/backup-tool", "login", "disconnect"]


@pytest.mark.parametrize("result, ok, said", [
    ({"rc": 0, "stdout": "Logged out."}, True, ""),
    ({"skipped": True}, True, ""),
    ({}, True, ""),
    ({"rc": None, "msg": "Command would have run if not in check mode"}, True, ""),
    ({"rc": 124, "stdout": ""}, False, "backup-tool login disconnect did not answer within 60 seconds on pc1"),
    ({"rc": 1, "stderr": "ERROR: not logged in"}, False, "backup-tool login disconnect failed with exit code 1: ERROR: not logged in on pc1"),
])
def test_disconnect_result(result, ok, said):
    found = STEP_FILTERS["comet_client_disconnect_result"](result, "pc1")
    assert found["ok"] is ok
    assert (said in found["msg"]) if said else found["msg"] == ""
    if not ok:
        assert found["msg"].startswith("WARNING unil.backup.comet_client: ") and "removed anyway" in found["msg"]


def _task_names(name):
    with open(os.path.join(ROLE_TASKS, name), encoding="utf-8") as handle:
        return [task.get("name", "") for task in yaml.safe_load(handle)]


def test_linux_removal_order():
    names = _task_names("linux_absent.yml")
    disconnect = next(i for i, n in enumerate(names) if "login disconnect" in n)
    stop = next(i for i, n in enumerate(names) if n.startswith("Stop and disable"))
    files = names.index("Remove the client's files")
    credentials = names.index("Remove the client's credentials of root")
    assert disconnect < stop < files < credentials


def test_macos_removal_runs_the_vendor_script_before_any_bootout():
    names = _task_names("macos_absent.yml")
    script = names.index("Run the client's uninstall script")
    bootout = next(i for i, n in enumerate(names) if "bootout" in n)
    assert script < bootout


# 5. macOS: launchd labels read from the documented plists' Label; the app bundle found from the package receipt.
def _plist(label):
    return plistlib.dumps({"Label": label, "ProgramArguments": ["/Applications/Comet Backup UNIL.app/Contents/MacOS/backup-tool"],
                           "RunAtLoad": True})


def test_a_plist_whose_label_differs_from_its_file_name():
    found = cm.daemons({"/Library/LaunchDaemons/backup.delegate.plist": _plist("com.cometbackup.delegate"),
                        "/Library/LaunchDaemons/backup.elevator.plist": plistlib.dumps({"Label": "backup.elevator"},
                                                                                       fmt=plistlib.FMT_BINARY)})
    assert found == {"backup.delegate": {"plist": "/Library/LaunchDaemons/backup.delegate.plist", "label": "com.cometbackup.delegate"},
                     "backup.elevator": {"plist": "/Library/LaunchDaemons/backup.elevator.plist", "label": "backup.elevator"}}


@pytest.mark.parametrize("data", [None, b"not a plist", plistlib.dumps({"Program": "/x"}), plistlib.dumps({"Label": "bad label;"})])
def test_a_plist_absent_or_without_label_reads_as_its_file_name(data):
    assert cm.daemons({"/Library/LaunchDaemons/backup.delegate.plist": data})["backup.delegate"]["label"] == "backup.delegate"


def test_services_keyed_by_documented_name_with_the_real_label():
    found = cm.daemons({"/Library/LaunchDaemons/backup.delegate.plist": _plist("com.cometbackup.delegate")})
    prints = {"com.cometbackup.delegate": (0, "system/com.cometbackup.delegate = {\n\tstate = not running\n}\n")}
    services = cm.services_by_name(found, prints, "")
    assert services == {"backup.delegate": {"exists": True, "enabled": True, "active": False, "label": "com.cometbackup.delegate",
                                            "plist": "/Library/LaunchDaemons/backup.delegate.plist"}}
    probe = {"comet": {"installed": True}, "services": services}
    assert steps.macos_daemons(probe) == {"down": ["backup.delegate"], "enable": [], "bootstrap": [],
                                          "kickstart": ["com.cometbackup.delegate"]}
    assert steps.macos_loaded(probe) == ["com.cometbackup.delegate"]
    assert steps.login_step("macos", probe, "", "/Applications/Comet Backup.app")["delegate"] == "com.cometbackup.delegate"
    # the plan asks for the documented names (_comet_client.SERVICES): a running daemon is not restarted every run
    services["backup.delegate"]["active"] = True
    assert cc.plan({"comet": {"installed": True, "version": "24.6.0", "login": {}}, "services": services}, "24.6.0",
                   services=["backup.delegate"])["start_services"] is False


PKG_INFO = "package-id: ch.unil.comet.pkg\nversion: 24.6.0\nvolume: /\nlocation: Applications\ninstall-time: 1765000000\n"
PKG_FILES = ("Comet Backup UNIL.app\nComet Backup UNIL.app/Contents\nComet Backup UNIL.app/Contents/MacOS\n"
             "Comet Backup UNIL.app/Contents/MacOS/backup-tool\nComet Backup UNIL.app/Contents/Resources/uninstall\n")


@pytest.mark.parametrize("info, files, app", [
    (PKG_INFO, PKG_FILES, "/Applications/Comet Backup UNIL.app"),
    (PKG_INFO.replace("location: Applications", "location: /"), "Applications/" + PKG_FILES.replace("\n", "\nApplications/"),
     "/Applications/Comet Backup UNIL.app"),
    (PKG_INFO.replace("location: Applications\n", ""), "./Applications/IT Backup.app/Contents/MacOS/backup-tool\n",
     "/Applications/IT Backup.app"),
    (PKG_INFO, "Other.app/Contents/MacOS/other\n", ""),
])
def test_the_app_bundle_from_the_package_receipt(info, files, app):
    assert cm.app_from_receipt(info, files) == app


def test_receipt_candidates():
    pkgs = cm.parse_pkgs("com.apple.pkg.Core\norg.python.Python\nch.unil.comet.pkg\n\n")
    assert cm.receipt_candidates(pkgs) == ["ch.unil.comet.pkg", "org.python.Python"]
    assert cm.receipt_candidates(pkgs, ["ch.unil.comet.pkg", "absent.pkg"]) == ["ch.unil.comet.pkg"]


def test_steps_use_the_app_bundle_the_probe_found():
    probe = {"macos": {"app_path": "/Applications/Comet Backup UNIL.app", "app_source": "receipt"}, "services": {}}
    assert steps.macos_app_path(probe, "/Applications/Comet Backup.app") == "/Applications/Comet Backup UNIL.app"
    assert steps.macos_app_path({"macos": {"app_path": ""}}, "/Applications/Comet Backup.app") == "/Applications/Comet Backup.app"
    assert steps.login_step("macos", probe, "", "/Applications/Comet Backup.app")["tool"] == \
        "/Applications/Comet Backup UNIL.app/Contents/MacOS/backup-tool"


# 6. Windows exit codes: win_package (expected_return_code) judges; 3010 and 1641 set the restart in one place.
def test_the_codes_are_defined_once():
    assert cw.REBOOT_RCS == (3010, 1641) and list(cw.DEFAULT_EXPECTED_RCS) == [0, 3010, 1641]


@pytest.mark.parametrize("result, expected", [
    ({"rc": 3010, "changed": True, "reboot_required": True}, True),
    ({"rc": 3010, "changed": True}, True),
    ({"rc": 1641, "changed": True}, True),
    ({"rc": 0, "changed": True}, False),
    # win_package failed it (not expected): no restart claimed, the failure is said instead
    ({"rc": 1641, "failed": True}, False),
    ({"skipped": True}, False),
])
def test_reboot_required_from_win_package_verdict(result, expected):
    assert steps.reboot_required(result, [0, 3010, 1641]) is expected


def test_a_result_win_package_did_not_fail_is_no_failure():
    # win_package's verdict is taken: an exit code it accepted is not judged again
    assert steps.install_failure({"rc": 1641, "changed": True}, "pc1", "install.exe", "install", "windows",
                                 expected_rcs=[0, 3010]) == ""
    msg = steps.install_failure({"rc": 1603, "failed": True, "msg": "unexpected rc from install.exe /S /TOKEN=t0k"},
                                "pc1", "install.exe", "install", "windows", secrets=["t0k"], expected_rcs=[0, 3010])
    assert "failed with exit code 1603 (0x00000643), expected one of 0, 3010" in msg and "t0k" not in msg


def test_windows_tasks_let_win_package_judge():
    for name in ("windows_present.yml", "windows_absent.yml"):
        with open(os.path.join(ROLE_TASKS, name), encoding="utf-8") as handle:
            # the code only: comments may name the numbers
            text = "".join(line for line in handle if not line.lstrip().startswith("#"))
        assert "failed_when: false" not in text and "expected_return_code:" in text
        assert "comet_client_windows_reboot_required" in text
        assert "3010," not in text and "1641," not in text and "1605" not in text


def test_the_macos_token_tasks_write_out_the_documented_argvs():
    # the token's command lines are written out in the task (tests/unit/test_secrets_in_tasks.py reads them there):
    # they must be the ones _comet_macos defines
    with open(os.path.join(ROLE_TASKS, "macos_present.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    block = next(t for t in tasks if "block" in t and "always" in t and "Stage and run" in t.get("name", ""))
    argvs = [t["ansible.builtin.command"]["argv"] for t in block["block"] + block["always"] if "ansible.builtin.command" in t]
    assert cm.token_setenv_argv() + ["{{ _comet_client_install_token.token }}"] in argvs
    assert cm.token_unsetenv_argv() in argvs
    assert "{{ _comet_client_install_steps.installer }}" in argvs
