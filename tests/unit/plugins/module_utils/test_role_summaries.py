# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/_role_summaries.py: what roles fleet_report and comet_system_exclusions and
playbooks/configure.yml compute and show, as tables of cases; plus the filters of plugins/filter/role_summaries.py."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter import role_summaries as filters
from ansible_collections.unil.backup.plugins.module_utils import _role_summaries as rs

NOW = 1795435200  # 2026-11-23T12:00:00Z


# --- report files -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("formats,timestamp,prometheus_path,expected", [
    (["markdown", "json", "csv", "html"], True, "",
     {"markdown": "/r/fleet-report-20261123T120000Z.md", "json": "/r/fleet-report-20261123T120000Z.json",
      "csv": "/r/fleet-report-20261123T120000Z-findings.csv", "html": "/r/fleet-report-20261123T120000Z.html"}),
    (["json"], False, "", {"json": "/r/fleet-report.json"}),
    # node_exporter reads one fixed name: never timestamped
    (["json", "prometheus"], True, "", {"json": "/r/fleet-report-20261123T120000Z.json", "prometheus": "/r/fleet-report.prom"}),
    (["prometheus"], True, "/var/lib/node/unil.prom", {"prometheus": "/var/lib/node/unil.prom"}),
    # the order of the formats is kept (the summary's Files: line follows it)
    (["html", "markdown"], False, "", {"html": "/r/fleet-report.html", "markdown": "/r/fleet-report.md"}),
    ([], True, "", {}),
])
def test_report_files(formats, timestamp, prometheus_path, expected):
    files = rs.report_files(formats, "/r", "fleet-report", NOW, timestamp, prometheus_path)
    assert files == expected
    assert list(files) == list(expected)


def test_report_files_unknown_format():
    with pytest.raises(ValueError, match="pdf"):
        rs.report_files(["json", "pdf"], "/r", "x", NOW)


# --- departments --------------------------------------------------------------------------------------------------

GROUPS = {"all": ["h0", "h1", "h2", "h3", "h4", "h5"], "ungrouped": [],
          "dept_lettres": ["h2", "h3"], "dept_chimie": ["h0", "h1"], "other": ["h4"], "dept_empty": [],
          "dept_geo": ["h5", "h3"], "xdept_no": ["h4"]}


@pytest.mark.parametrize("accounts,overrides,expected", [
    ({"h0": "alice", "h1": "bob", "h2": "dave", "h3": "bob", "h5": ""}, None,
     {"alice": "dept_chimie", "bob": "dept_chimie, dept_geo, dept_lettres", "dave": "dept_lettres"}),
    # the hand-given departments win; an account named only there is added
    ({"h0": "alice", "h1": "bob"}, {"bob": "dept_physique", "frank": "dept_physique"},
     {"alice": "dept_chimie", "bob": "dept_physique", "frank": "dept_physique"}),
    # one account on two hosts of one group: named once
    ({"h2": "erin", "h3": "erin"}, {}, {"erin": "dept_geo, dept_lettres"}),
    ({}, {}, {}),
])
def test_departments_from_groups(accounts, overrides, expected):
    assert rs.departments_from_groups(GROUPS, accounts, overrides) == expected


def test_department_hosts_each_once_only_dept_groups():
    assert rs.department_hosts(GROUPS) == ["h0", "h1", "h5", "h3", "h2"]
    assert rs.department_hosts({"all": ["a"]}) == []


@pytest.mark.parametrize("variables,expected", [
    ({"comet_client_username": "alice", "comet_config_account": "other"}, "alice"),
    ({"comet_client_username": "", "comet_config_account": "dave"}, "dave"),
    ({"comet_client_username": None, "comet_config_account": "dave"}, "dave"),
    ({"comet_config_account": "dave"}, "dave"),
    ({}, ""),
])
def test_host_account(variables, expected):
    assert rs.host_account(variables) == expected


def test_departments_linear_in_hosts():
    """10,000 hosts in 100 departments: each host's account read once (figures printed, not timed)."""
    groups = dict(("dept_%03d" % d, ["h%05d" % (d * 100 + i) for i in range(100)]) for d in range(100))
    hosts = rs.department_hosts(groups)
    assert len(hosts) == 10000
    accounts = dict((h, "acct-" + h[-3:]) for h in hosts)
    out = rs.departments_from_groups(groups, accounts)
    assert len(out) == 1000 and out["acct-000"].startswith("dept_000, dept_010")


# --- summary lines and fail message -------------------------------------------------------------------------------

SUMMARY = {"now_iso": "2026-11-23T12:00:00Z", "accounts": 11, "accounts_without_device": 2, "devices": 11,
           "devices_online": 4, "devices_ok": 3, "devices_with_findings": 8, "findings": 3,
           "by_severity": {"info": 1, "warning": 1, "critical": 1}, "by_finding": {"obsolete": 1, "no_device": 2},
           "week_days": 7, "by_status": {"Success": 5, "Error": 2}, "devices_without_jobs_this_week": 5}
FINDINGS = [{"severity": "critical", "code": "obsolete", "message": "device MacBook-2019 (mac-old, account bob) ..."},
            {"severity": "warning", "code": "no_device", "message": "account carol has no device"},
            {"severity": "info", "code": "no_device", "message": "account kate has no device"}]
FILES = {"json": "/r/a.json", "html": "/r/a.html"}
HEAD = [
    "Fleet report 2026-11-23T12:00:00Z: 11 accounts (2 without device), 11 devices (4 online, 3 ok, 8 with findings)",
    "Findings: 3 - info 1, warning 1, critical 1",
    "By finding: obsolete 1, no_device 2",
    "Backup jobs in the last 7 days: Success 5, Error 2; devices without any: 5",
    "Files: /r/a.json, /r/a.html",
]


@pytest.mark.parametrize("summary,print_findings,expected", [
    (SUMMARY, 20, HEAD + ["CRITICAL device MacBook-2019 (mac-old, account bob) ...",
                          "WARNING account carol has no device", "INFO account kate has no device"]),
    (SUMMARY, 1, HEAD + ["CRITICAL device MacBook-2019 (mac-old, account bob) ..."]),
    (SUMMARY, 0, HEAD),
    (dict(SUMMARY, by_status={}), 0, HEAD[:3] + ["Backup jobs in the last 7 days: none; devices without any: 5"] + HEAD[4:]),
])
def test_report_lines(summary, print_findings, expected):
    assert rs.report_lines({"summary": summary, "findings": FINDINGS}, FILES, print_findings) == expected


@pytest.mark.parametrize("failing,fail_on,expected", [
    ([], "error", ""),
    (FINDINGS[:1], "critical",
     "unil.backup.fleet_report: 1 finding(s) of severity critical or higher (fleet_report_fail_on): obsolete; "
     "report in /r/a.json, /r/a.html"),
    (FINDINGS, "info",
     "unil.backup.fleet_report: 3 finding(s) of severity info or higher (fleet_report_fail_on): obsolete, no_device; "
     "report in /r/a.json, /r/a.html"),
])
def test_failing_message(failing, fail_on, expected):
    assert rs.failing_message(failing, fail_on, FILES) == expected


# --- system-level exclusions --------------------------------------------------------------------------------------

APPLIED = {"changed": True, "policy_id": "pol-unil", "policy_name": "UNIL",
           "exclusions": {"any": ["a"] * 6, "windows": ["w"] * 40, "macos": ["m"] * 28, "linux": ["l"]}}


def test_system_exclusions_result():
    result = rs.system_exclusions_result(APPLIED, False)
    assert result == {"policy_id": "pol-unil", "policy_name": "UNIL", "exclusions": APPLIED["exclusions"],
                      "counts": {"any": 6, "windows": 40, "macos": 28, "linux": 1}, "datavaults": False, "changed": True}
    assert list(result["counts"]) == ["any", "windows", "macos", "linux"]
    # an OS without exclusions counts 0
    assert rs.system_exclusions_result({"exclusions": {"linux": ["x"]}}, True)["counts"] == {
        "any": 0, "windows": 0, "macos": 0, "linux": 1}


@pytest.mark.parametrize("changed,datavaults,state,check_mode,expected", [
    (True, False, "exact", False, 'Policy pol-unil "UNIL": 75 system-level exclusions (any 6, windows 40, macos 28, '
                                  'linux 1; DataVaults not included, state exact) - changed.'),
    (False, False, "exact", False, 'Policy pol-unil "UNIL": 75 system-level exclusions (any 6, windows 40, macos 28, '
                                   'linux 1; DataVaults not included, state exact) - already as wanted.'),
    (True, True, "present", True, 'Policy pol-unil "UNIL": 75 system-level exclusions (any 6, windows 40, macos 28, '
                                  'linux 1; DataVaults included, state present) - would be changed (check mode).'),
    (False, True, "present", True, 'Policy pol-unil "UNIL": 75 system-level exclusions (any 6, windows 40, macos 28, '
                                   'linux 1; DataVaults included, state present) - already as wanted.'),
])
def test_system_exclusions_line(changed, datavaults, state, check_mode, expected):
    result = rs.system_exclusions_result(dict(APPLIED, changed=changed), datavaults)
    assert rs.system_exclusions_line(result, state, check_mode) == expected


# --- configure.yml ------------------------------------------------------------------------------------------------

TAIL = ": install it first (playbook unil.backup.install or unil.backup.site), or set comet_config_device_id."


@pytest.mark.parametrize("installed,device_id,login,given,code,text", [
    (True, "dev-1", {"text": "Logged in"}, False, None, ""),
    (False, "", None, True, None, ""),              # comet_config_device_id given
    (True, "", {"text": "Logged in"}, True, None, ""),
    (False, "", None, False, {"reason": "not_installed", "login": ""}, "lab-01: the Comet Backup client is not installed"),
    (True, "", {"text": "  Not logged in (0)\n"}, False, {"reason": "not_logged_in", "login": "Not logged in (0)"},
     "lab-01: the Comet Backup client reports no device ID (not logged in: Not logged in (0))"),
    (True, "", {"text": ""}, False, {"reason": "not_logged_in", "login": "no answer"},
     "lab-01: the Comet Backup client reports no device ID (not logged in: no answer)"),
    (True, "", None, False, {"reason": "not_logged_in", "login": "no answer"},
     "lab-01: the Comet Backup client reports no device ID (not logged in: no answer)"),
])
def test_configure_refusal(installed, device_id, login, given, code, text):
    refusal = rs.configure_refusal(installed, device_id, login, given)
    assert refusal == code
    assert rs.configure_refusal_text(refusal, "lab-01") == (text + TAIL if text else "")


# --- the filters: thin wrappers, inputs checked -------------------------------------------------------------------

def test_filters_as_the_roles_call_them():
    assert filters.fleet_report_paths(["json"], "/r", "f", str(NOW), "false", None) == {"json": "/r/f.json"}
    assert filters.fleet_report_lines({"summary": SUMMARY, "findings": FINDINGS}, FILES, "0") == HEAD
    assert filters.fleet_report_fail_message([], "error", FILES) == ""
    result = filters.comet_system_exclusions_result(APPLIED, "no")
    assert filters.comet_system_exclusions_line(result, "exact", True).endswith("- would be changed (check mode).")
    probe = {"comet": {"installed": True, "device_id": "", "login": {"text": "Not logged in"}}}
    assert filters.comet_configure_refusal("h", probe).startswith("h: the Comet Backup client reports no device ID")
    assert filters.comet_configure_refusal("h", probe, True) == ""
    assert filters.comet_configure_refusal("h", {}).startswith("h: the Comet Backup client is not installed")
    assert set(filters.FilterModule().filters()) == {
        "fleet_report_paths", "fleet_report_lines", "fleet_report_fail_message", "comet_system_exclusions_result",
        "comet_system_exclusions_line", "comet_configure_refusal"}


@pytest.mark.parametrize("call,message", [
    (lambda: filters.fleet_report_paths("json", "/r", "f", NOW), "list of formats"),
    (lambda: filters.fleet_report_paths(["pdf"], "/r", "f", NOW), "pdf"),
    (lambda: filters.fleet_report_lines([], FILES), "comet_fleet_report"),
    (lambda: filters.fleet_report_lines({"summary": {}}, FILES), "misses"),
    (lambda: filters.fleet_report_lines({"summary": SUMMARY}, ["x"]), "files"),
    (lambda: filters.fleet_report_fail_message({}, "error", FILES), "list of findings"),
    (lambda: filters.comet_system_exclusions_result([], True), "comet_exclusions"),
    (lambda: filters.comet_system_exclusions_line("x", "exact"), "comet_system_exclusions_result"),
])
def test_filters_refuse_bad_input(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()
