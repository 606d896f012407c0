# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role crashplan_removal: gate codes, checks, probe reuse, gate inputs, result stage and report (_crashplan_role)."""
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.filter import crashplan_removal as filters
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw
from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role as role

HEALTHY = {"installed": True, "version": "24.6.0", "device_id": "dev-1", "login_code": 2, "login_text": "Logged in (2)"}
KNOWN = {"required": True, "known": True, "account": "pnom", "require_backup": True, "last_backup_ok": True}

# ------------------------------------------------------------------------------------------------ gate codes

GATE_CASES = [
    ("absent", False, True, None, None, False),
    ("disabled", True, False, None, None, True),
    ("open", True, True, HEALTHY, KNOWN, True),
    ("open", True, True, HEALTHY, {"required": False}, True),
    ("comet_not_installed", True, True, {"installed": False}, {"required": True}, False),
    ("comet_not_logged_in", True, True, dict(HEALTHY, login_code=0), KNOWN, False),
    ("device_id_unknown", True, True, dict(HEALTHY, device_id=""), {"required": True}, False),
    ("server_error", True, True, HEALTHY, {"required": True, "error": "HTTP 503"}, False),
    ("device_not_on_server", True, True, HEALTHY, {"required": True, "known": False, "account": "pnom"}, False),
    ("waiting_for_backup", True, True, HEALTHY, dict(KNOWN, last_backup_ok=False, last_backup="error (7002)"), False),
]


@pytest.mark.parametrize("code,present,enabled,comet,server,is_open", GATE_CASES, ids=[c[0] for c in GATE_CASES])
def test_every_gate_outcome_has_its_code(code, present, enabled, comet, server, is_open):
    gate = cp.decide_gate(present, enabled, comet, server)
    assert gate["code"] == code and gate["open"] is is_open
    assert gate["code"] in cp.GATE_CODES and gate["codes"][0] == code
    assert (code in cp.GATE_OPEN_CODES) is is_open


def test_waiting_for_backup_is_the_reason_that_says_so():
    gate = cp.decide_gate(True, True, HEALTHY, dict(KNOWN, last_backup_ok=False))
    assert gate["reason"].startswith("waiting for the first Comet backup")


def test_several_failed_checks_keep_every_code_the_first_one_first():
    gate = cp.decide_gate(True, True, dict(HEALTHY, login_code=0, device_id=""), {"required": True})
    assert gate["codes"] == ["comet_not_logged_in", "device_id_unknown"] and gate["code"] == "comet_not_logged_in"


# ------------------------------------------------------------------------------------------------ checks

DEFAULTS = {
    "crashplan_removal_gate": True, "crashplan_removal_require_server_check": True,
    "crashplan_removal_require_backup": True, "crashplan_removal_comet_account": "pnom",
    "crashplan_removal_comet_brand": "CometBackupUNIL", "crashplan_removal_comet_linux_install_dir": "/opt/CometBackupUNIL",
    "crashplan_removal_fail_when_gate_closed": False, "crashplan_removal_archives": [],
    "crashplan_removal_linux_uninstaller_tarball": "", "crashplan_removal_windows_log_dir": "C:\\Windows\\Temp",
    "crashplan_removal_deactivate_on_server": False, "crashplan_removal_server_url": "",
    "crashplan_removal_server_username": "", "crashplan_removal_server_password": "",
}

CHECK_CASES = [
    ("defaults", {}, "linux", {}, []),
    ("unsupported OS", {}, "unsupported", {}, ["ansible_facts.os_family"]),
    ("tarball missing", {"crashplan_removal_linux_uninstaller_tarball": "/nope.tgz"}, "linux", {},
     ["crashplan_removal_linux_uninstaller_tarball"]),
    ("tarball not checked on Windows", {"crashplan_removal_linux_uninstaller_tarball": "/nope.tgz"}, "windows", {}, []),
    ("archives not a list", {"crashplan_removal_archives": "/srv"}, "linux", {}, ["crashplan_removal_archives"]),
    ("relative archive", {"crashplan_removal_archives": ["/srv", "data"]}, "macos", {}, ["crashplan_removal_archives"]),
    ("Windows archive on Windows", {"crashplan_removal_archives": ["D:\\CP"]}, "windows", {}, []),
    ("Windows archive, OS unknown", {"crashplan_removal_archives": ["D:\\CP"]}, None, {}, []),
    ("no account for the server check", {"crashplan_removal_comet_account": ""}, "linux", {},
     ["crashplan_removal_comet_account"]),
    ("no account, server check off", {"crashplan_removal_comet_account": "", "crashplan_removal_require_backup": False,
                                      "crashplan_removal_require_server_check": "false"}, "linux", {}, []),
    ("bad brand", {"crashplan_removal_comet_brand": "Comet Backup"}, "linux", {}, ["crashplan_removal_comet_brand"]),
    ("relative install dir", {"crashplan_removal_comet_linux_install_dir": "opt/x/"}, "linux", {},
     ["crashplan_removal_comet_linux_install_dir"]),
    ("backup without server check", {"crashplan_removal_require_server_check": False}, "linux", {},
     ["crashplan_removal_require_backup"]),
    ("deactivation without server", {"crashplan_removal_deactivate_on_server": True}, "linux", {},
     ["crashplan_removal_server_url", "crashplan_removal_server_username", "crashplan_removal_server_password"]),
    ("deactivation from the environment", {"crashplan_removal_deactivate_on_server": True}, "linux",
     {"CRASHPLAN_SERVER_URL": "https://cp", "CRASHPLAN_USERNAME": "u", "CRASHPLAN_PASSWORD": "p"}, []),
    ("everything wrong at once", {"crashplan_removal_comet_brand": "a b", "crashplan_removal_archives": ["x"],
                                  "crashplan_removal_require_server_check": False}, "linux", {},
     ["crashplan_removal_archives", "crashplan_removal_comet_brand", "crashplan_removal_require_backup"]),
]


@pytest.mark.parametrize("name,given,os_name,env,bad_vars", CHECK_CASES, ids=[c[0] for c in CHECK_CASES])
def test_role_problems(name, given, os_name, env, bad_vars):
    problems = role.role_problems(dict(DEFAULTS, **given), os_name, {"os_family": "Solaris", "system": "SunOS"}, env,
                                  lambda path: path == "/ok.tgz")
    assert [p["var"] for p in problems] == bad_vars, name
    text = role.problems_text(problems)
    assert all(var in text for var in bad_vars)
    assert (text == "") is (not bad_vars)


def test_role_problems_leave_out_what_is_not_given_and_never_show_the_password():
    # the inventory validator: only some variables, no environment, no controller file check
    assert role.role_problems({"crashplan_removal_deactivate_on_server": True}) == []
    assert role.role_problems({"crashplan_removal_require_server_check": False, "crashplan_removal_require_backup": True}) \
        != []
    problems = role.role_problems(dict(DEFAULTS, crashplan_removal_server_password="s3cret!",
                                       crashplan_removal_comet_brand="?"), "linux", env={})
    assert "s3cret!" not in role.problems_text(problems)


def test_the_check_filter_reads_the_controller(tmp_path, monkeypatch):
    tarball = tmp_path / "cp.tgz"
    tarball.write_text("x")
    facts = {"os_family": "Debian", "system": "Linux"}
    monkeypatch.delenv("CRASHPLAN_SERVER_URL", raising=False)
    got = filters.crashplan_removal_check(dict(DEFAULTS, crashplan_removal_linux_uninstaller_tarball=str(tarball)), facts)
    assert got == {"ok": True, "problems": [], "msg": ""}
    got = filters.crashplan_removal_check(dict(DEFAULTS, crashplan_removal_linux_uninstaller_tarball=str(tarball) + "x"), facts)
    assert not got["ok"] and got["msg"].startswith("unil.backup.crashplan_removal: crashplan_removal_linux_uninstaller_tarball")


@pytest.mark.parametrize("facts,expected", [
    ({"os_family": "Debian", "system": "Linux"}, "linux"), ({"os_family": "Windows", "system": "Win32NT"}, "windows"),
    ({"os_family": "Darwin", "system": "Darwin"}, "macos"), ({"os_family": "Solaris", "system": "SunOS"}, "unsupported"),
    ({}, "unsupported"), (None, "unsupported")])
def test_os_of(facts, expected):
    assert role.os_of(facts) == expected


# ------------------------------------------------------------------------------------------------ probe reuse

CRASHPLAN = {"present": True, "remove": ["/usr/local/crashplan"], "keep": ["/home"], "version": "11.0"}


def _probe(backup_tool, archives=(), crashplan=True, uninstaller=None):
    return {"comet": {"installed": True}, "crashplan": CRASHPLAN,
            "probed": {"backup_tool": backup_tool, "crashplan": crashplan, "crashplan_archives": list(archives),
                       "crashplan_uninstaller": uninstaller}}


LINUX_TOOL = "/opt/CometBackupUNIL/backup-tool"
MAC_TOOL = "/Applications/Comet Backup UNIL.app/Contents/MacOS/backup-tool"
REUSE_CASES = [
    ("linux, same inputs", _probe(LINUX_TOOL), "linux", [], True),
    ("linux, other backup-tool", _probe("/opt/Other/backup-tool"), "linux", [], False),
    ("linux, other archives", _probe(LINUX_TOOL, ["/srv/a"]), "linux", [], False),
    ("linux, CrashPlan not read", _probe(LINUX_TOOL, crashplan=False), "linux", [], False),
    ("linux, made for an uninstaller", _probe(LINUX_TOOL, uninstaller="/tmp/u.sh"), "linux", [], False),
    # the issue: on a Mac the probe's backup-tool is the app's, never the Linux path, and that is right
    ("macos, the app's backup-tool", _probe(MAC_TOOL, ["/Volumes/B"]), "macos", ["/Volumes/B"], True),
    ("macos, other archives", _probe(MAC_TOOL), "macos", ["/Volumes/B"], False),
    ("no probe", None, "linux", [], False),
    ("unsupported", _probe(LINUX_TOOL), "unsupported", [], False),
]


@pytest.mark.parametrize("name,probe,os_name,archives,reused", REUSE_CASES, ids=[c[0] for c in REUSE_CASES])
def test_reuse_of_the_comet_client_probe(name, probe, os_name, archives, reused):
    got = role.reused_probe(probe, os_name, archives, linux_backup_tool=LINUX_TOOL)
    assert (got is not None) is reused, name
    if reused:
        assert got["crashplan"] == CRASHPLAN


WINDOWS_CRASHPLAN_RAW = {
    "uninstall_entries": [{"Hive": "HKLM64", "Sid": "", "UserName": "", "KeyName": "{11111111-2222-3333-4444-555555555555}",
                           "DisplayName": "CrashPlan", "DisplayVersion": "11.2.0.1", "Publisher": "CrashPlan Group",
                           "UninstallString": "MsiExec.exe /X{11111111-2222-3333-4444-555555555555}",
                           "QuietUninstallString": "", "WindowsInstaller": "1", "InstallLocation": "C:\\Program Files\\CrashPlan"}],
    "services": [{"Name": "CrashPlanService", "Status": "Running", "StartType": "Automatic"}],
    "processes": ["CrashPlanDesktop"],
    "existing_paths": ["C:\\ProgramData\\CrashPlan\\log", "C:\\ProgramData\\CrashPlan\\.identity"],
    "config_texts": [],
    "identity_text": "guid=123456789\nusername=pnom",
}


def test_the_windows_probe_of_comet_client_carries_crashplan_and_is_reused():
    raw = {"uninstall_key": None, "settings_key": None, "backup_tool": {"path": "", "exists": False},
           "crashplan": WINDOWS_CRASHPLAN_RAW}
    probe = cw.probe_facts(raw, "")
    assert probe["probed"]["crashplan"] is True and probe["crashplan"]["present"] is True
    assert probe["crashplan"] == cp.windows_facts(WINDOWS_CRASHPLAN_RAW)  # same shape as crashplan_facts'
    got = role.reused_probe(probe, "windows", ["D:\\CP"], "D:\\Logs")
    assert got["crashplan"]["guid"] == "123456789"
    assert got["crashplan"]["actions"][0]["log_path"].startswith("D:\\Logs\\")
    assert [a["path"] for a in got["crashplan"]["archives"] if a["source"] == "declared"] == ["D:\\CP"]
    # an older probe without the CrashPlan part is not reused
    assert role.reused_probe(cw.probe_facts(dict(raw, crashplan=None)), "windows", []) is None
    assert cw.probe_facts(dict(raw, crashplan=None))["probed"]["crashplan"] is False


# ------------------------------------------------------------------------------------------------ gate inputs

def test_gate_comet_from_the_probe_the_facts_or_nothing():
    probe = {"comet": {"installed": True, "version": "24.6.0", "device_id": "dev-1", "login": {"code": 2, "text": "ok (2)"}}}
    assert role.gate_comet(probe) == {"installed": True, "version": "24.6.0", "device_id": "dev-1", "login_code": 2,
                                      "login_text": "ok (2)"}
    # a macOS detection (crashplan_facts) has no comet part: the comet_client facts
    got = role.gate_comet({"crashplan": {}}, "macos", "24.6.0", "dev-2", {"code": 1, "text": "Logged in (1)"})
    assert got == {"installed": True, "version": "24.6.0", "device_id": "dev-2", "login_code": 1, "login_text": "Logged in (1)"}
    got = role.gate_comet({"crashplan": {}}, "macos")
    assert got["installed"] is False and "run unil.backup.comet_client first" in got["login_text"] and "macos" in got["login_text"]
    assert cp.decide_gate(True, True, got, {"required": True})["code"] == "comet_not_installed"


SERVER_CASES = [
    ("skipped", {"skipped": True, "changed": False}, {"required": True}, None),
    ("not asked", None, {"required": True}, None),
    ("failed", {"changed": False, "failed_when_result": False, "msg": "HTTP 503"}, {"error": "HTTP 503"}, "server_error"),
    ("unknown device", {"devices": [{"device_id": "other"}]}, {"known": False}, "device_not_on_server"),
    ("no working backup", {"devices": [{"device_id": "dev-1", "last_backup": {"status": 7002, "status_name": "error"},
                                        "last_working_backup": None}]},
     {"known": True, "last_backup_ok": False, "last_backup": "error (status 7002)"}, "waiting_for_backup"),
    ("working backup", {"devices": [{"device_id": "dev-1", "last_backup": {"status": 5000, "status_name": "success"},
                                     "last_working_backup": {"status": 5000}}]},
     {"known": True, "last_backup_ok": True, "last_backup": "success (status 5000)"}, "open"),
]


@pytest.mark.parametrize("name,info,expected,code", SERVER_CASES, ids=[c[0] for c in SERVER_CASES])
def test_gate_server(name, info, expected, code):
    got = role.gate_server(info, "dev-1", "pnom", True, "true")
    assert dict((k, got.get(k)) for k in expected) == expected, name
    if code:
        assert cp.decide_gate(True, True, HEALTHY, got)["code"] == code


def test_deactivation():
    assert role.deactivation({"skipped": True}, "") == {
        "enabled": True, "guid": "", "done": False, "changed": False, "status": "", "error": "",
        "reason": "no GUID found (no CrashPlan .identity on the host): nothing to deactivate"}
    done = role.deactivation({"changed": True, "device": {"status": "Deactivated"}}, "42")
    assert done["done"] and done["changed"] and done["status"] == "Deactivated" and not done["error"]
    failed = role.deactivation({"changed": False, "msg": "legal hold"}, "42")
    assert not failed["done"] and failed["error"] == "legal hold"


# ------------------------------------------------------------------------------------------------ result and report

BEFORE = {"present": True, "version": "11.2.0", "era": "code42", "install_dir": "/usr/local/crashplan", "guid": "42",
          "services": [{"name": "crashplan.service"}],
          "archives": [{"path": "/srv/a", "exists": True}, {"path": "/srv/b", "exists": False}],
          "remove": ["/usr/local/crashplan", "/etc/systemd/system/crashplan.service"], "keep": ["/srv/a", "/var/lib/crashplan/.identity"],
          "per_user_left": []}
OPEN = cp.decide_gate(True, True, HEALTHY, KNOWN)
CLOSED = cp.decide_gate(True, True, HEALTHY, dict(KNOWN, last_backup_ok=False))
ABSENT = cp.decide_gate(False)


def _result(before=None, gate=None, check_mode=False, **kw):
    before = BEFORE if before is None else before
    gate = OPEN if gate is None else gate
    after = dict(before, present=False) if gate["open"] and not check_mode else before
    return filters.crashplan_removal_result(before, after=after, gate=gate, check_mode=check_mode,
                                            removed_paths=kw.pop("removed_paths", before["remove"]), **kw)


def test_result_stages_and_keys():
    absent = _result({"present": False, "remove": [], "keep": ["/srv/a"]}, ABSENT)
    assert absent["stage"] == "no_crashplan" and not absent["removed"] and absent["gate"]["code"] == "absent"
    removed = _result()
    assert removed["stage"] == "removed" and removed["removed"] and not removed["present"]
    assert removed["removed_paths"] == BEFORE["remove"] and removed["would_remove"] == []
    assert removed["archives"] == [{"path": "/srv/a", "exists": True}]
    would = _result(check_mode=True)
    assert would["stage"] == "would_remove" and not would["removed"] and would["present"]
    assert would["removed_paths"] == [] and would["would_remove"] == BEFORE["remove"]
    kept = _result(gate=CLOSED)
    assert kept["stage"] == "kept_gate_closed" and kept["present"] and kept["would_remove"] == BEFORE["remove"]
    assert kept["gate"]["code"] == "waiting_for_backup"
    assert set(removed) == {"stage", "present_before", "present", "removed", "check_mode", "gate", "version", "era",
                            "install_dir", "guid", "services", "archives", "removed_paths", "would_remove", "commands",
                            "kept", "per_user_left", "reboot_required", "server_deactivation"}
    assert removed["server_deactivation"] == {"enabled": False, "done": False}
    assert set(role.STAGES) == {r["stage"] for r in (absent, removed, would, kept)}


SD_DONE = {"enabled": True, "guid": "42", "done": True, "changed": True, "status": "Deactivated", "error": "", "reason": ""}
REPORT_CASES = [
    ("absent", dict(before={"present": False, "remove": [], "keep": ["/srv/a"]}, gate=ABSENT), {}, False,
     ["CrashPlan is not installed on pc1: nothing to remove.", "Kept: /srv/a."]),
    ("removed", {}, {}, False,
     ["CrashPlan 11.2.0 (code42) in /usr/local/crashplan: removed (Comet Backup is installed, logged in, known to the "
      "server and has a working backup): /usr/local/crashplan, /etc/systemd/system/crashplan.service.",
      "Kept: /srv/a; /var/lib/crashplan/.identity."]),
    ("would remove", dict(check_mode=True), {}, False, ["would be removed (", "): /usr/local/crashplan, /etc/systemd"]),
    ("gate closed", dict(gate=CLOSED), {}, False,
     ["NOT removed, health gate closed: waiting for the first Comet backup", "Would remove: /usr/local/crashplan"]),
    ("gate closed, fail", dict(gate=CLOSED), {"fail_when_gate_closed": True}, True,
     ["unil.backup.crashplan_removal: CrashPlan not removed from pc1: waiting for the first Comet backup"]),
    ("deactivated", dict(server_deactivation=SD_DONE), {}, False, ["CrashPlan server: device 42 deactivated."]),
    ("would deactivate", dict(check_mode=True, server_deactivation=SD_DONE), {}, False,
     ["CrashPlan server: device 42 would be deactivated."]),
    ("already deactivated", dict(server_deactivation=dict(SD_DONE, changed=False)), {}, False,
     ["CrashPlan server: device 42 already deactivated."]),
    ("deactivation failed", dict(server_deactivation=dict(SD_DONE, done=False, changed=False, error="legal hold")), {},
     True, ["the CrashPlan device 42 of pc1 was not deactivated: legal hold",
            "CrashPlan server: device 42 NOT deactivated: legal hold."]),
    ("deactivation failed, only reported", dict(server_deactivation=dict(SD_DONE, done=False, error="legal hold")),
     {"fail_when_deactivation_fails": False}, False, ["device 42 NOT deactivated: legal hold."]),
    ("deactivation skipped", dict(server_deactivation=role.deactivation({"skipped": True}, "")), {}, False,
     ["CrashPlan server: no GUID found (no CrashPlan .identity on the host): nothing to deactivate."]),
    ("per-user leftovers", dict(before=dict(BEFORE, per_user_left=[
        {"kind": "per_user", "name": "CrashPlan", "user": "UNIL\\pnom", "sid": "S-1-5-21-1", "argv": ["msiexec", "/x", "{1}"]}])),
     {}, False, ["Left for their users: CrashPlan for UNIL\\pnom (msiexec /x {1})."]),
    ("reboot", dict(reboot_required=True), {}, False, ["A reboot is needed to finish."]),
    # seed 000 FAQ, "Puis-je transférer automatiquement mon historique ... ?": "Non ... recommence à zéro"
    ("history not transferred, removed", {}, {}, False, [role.HISTORY_NOT_TRANSFERRED]),
    ("history not transferred, check mode", dict(check_mode=True), {}, False, [role.HISTORY_NOT_TRANSFERRED]),
    ("history not transferred, gate closed", dict(gate=CLOSED), {}, False, [role.HISTORY_NOT_TRANSFERRED]),
]


@pytest.mark.parametrize("name,given,options,failed,expected", REPORT_CASES, ids=[c[0] for c in REPORT_CASES])
def test_report(name, given, options, failed, expected):
    result = _result(**given)
    got = filters.crashplan_removal_report(result, "pc1", **options)
    assert got["failed"] is failed, name
    assert bool(got["problems"]) is failed
    for text in expected:
        assert text in got["msg"], (name, got["msg"])
    if not failed:
        assert not got["msg"].startswith("unil.backup.crashplan_removal:")
    if "deactivat" not in name:
        assert "CrashPlan server" not in got["msg"]


# ------------------------------------------------------------------------------------------------ removal checks

@pytest.mark.parametrize("results,expected", [
    ([], False), ([{"rc": 0}, {"rc": 1605}], False), ([{"rc": 3010}], True), ([{"rc": "1641"}], True),
    ([{"changed": True, "reboot_required": True, "rc": 0}], True), ([{"skipped": True}, "junk", {"rc": None}], False)])
def test_reboot_required(results, expected):
    assert filters.crashplan_removal_reboot_required(results) is expected


@pytest.mark.parametrize("facts,expected", [
    ({"os": "linux", "services": [{"name": "crashplan.service"}], "processes": [{"pid": 42}], "remove": ["/opt/cp"],
      "keep": ["/srv/a"]},
     "on pc1 after the removal: services crashplan.service, processes 42, files /opt/cp. Kept on purpose: /srv/a."),
    ({"os": "macos", "install_dir": "/Applications/CrashPlan.app", "daemons": ["/Library/LaunchDaemons/com.crashplan.engine.plist"],
      "receipts": ["com.crashplan.app.pkg"], "keep": []},
     "apps /Applications/CrashPlan.app, daemons /Library/LaunchDaemons/com.crashplan.engine.plist, receipts "
     "com.crashplan.app.pkg. Kept on purpose: nothing."),
    ({"os": "windows", "actions": [{"kind": "win_package", "name": "CrashPlan"}, {"kind": "per_user", "name": "Code42"}],
      "keep": ["C:\\ProgramData\\CrashPlan\\.identity"]},
     "machine-wide products CrashPlan. Kept on purpose: C:\\ProgramData\\CrashPlan\\.identity."),
])
def test_leftovers(facts, expected):
    got = filters.crashplan_removal_leftovers(facts, "pc1")
    assert got.startswith("unil.backup.crashplan_removal: CrashPlan is still there on pc1") and got.endswith(expected)


def test_facts_missing_names_the_facts_the_role_decides_on():
    assert role.facts_missing({}) and role.facts_missing(None) and role.facts_missing({"system": "Linux"})
    assert not role.facts_missing({"system": "Linux", "os_family": "Debian"})
