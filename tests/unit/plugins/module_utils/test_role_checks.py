# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' checks written once (_role_checks: comet_config, comet_system_exclusions, fleet_report), the records
and lines of comet_config (_role_results), and the filters that reach them (plugins/filter/role_checks.py)."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter import role_checks as filters
from ansible_collections.unil.backup.plugins.module_utils import _role_checks as rc
from ansible_collections.unil.backup.plugins.module_utils import _role_results as rr
from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import known_variables

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def defaults(role, **overrides):
    """The role's defaults as the role sees them once templated (the comet_client_* connection given)."""
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as handle:
        values = yaml.safe_load(handle)
    connection = {"server_url": "https://comet.example.ch/", "admin_username": "admin", "admin_password": "pw"}
    for key, value in connection.items():
        if role + "_" + key in values:
            values[role + "_" + key] = value
    if role == "comet_config":
        values.update(comet_config_account="dept-lab", comet_config_device_id="dev-1", comet_config_validate_certs=True,
                      comet_config_ca_path="")
    if role == "comet_system_exclusions":
        values.update(comet_system_exclusions_validate_certs=True, comet_system_exclusions_ca_path="",
                      comet_system_exclusions_policy_name="UNIL")
    if role == "fleet_report":
        values.update(fleet_report_server_url="", fleet_report_admin_username="", fleet_report_admin_password="",
                      fleet_report_ca_path="", fleet_report_dir="/srv/reports", fleet_report_history_path="")
    values.update(overrides)
    return values


def found(role, values, **context):
    return [(p["var"], p["message"]) for p in rc.role_problems(role, values, **context)]


@pytest.mark.parametrize("role", rc.ROLES)
def test_the_defaults_pass(role):
    assert found(role, defaults(role), **({"device_name": "pc-01"} if role == "comet_config" else {})) == []


@pytest.mark.parametrize("role", rc.ROLES)
def test_every_default_is_a_known_variable(role):
    known = known_variables(role)
    assert known and rc.unknown_variables(role, defaults(role).keys(), known) == []


# (overrides, [(variable, words of its message)]): every problem at once, each naming its variable
CONFIG_CASES = [
    ({"comet_config_server_url": "https://admin:S3cr3t@comet.example.ch/"},
     [("comet_config_server_url", "must not contain credentials")]),
    ({"comet_config_server_url": "HTTP://comet.example.ch:8060"}, []),
    ({"comet_config_server_url": "https://comet.example.ch:99999/"}, [("comet_config_server_url", "invalid port")]),
    ({"comet_config_admin_username": "", "comet_config_admin_password": ""},
     [("comet_config_admin_username", "is empty"), ("comet_config_admin_password", "vault")]),
    ({"comet_config_api_timeout": 0}, [("comet_config_api_timeout", "0 is not between 1 and 3600 seconds")]),
    ({"comet_config_api_timeout": "30"}, []),
    ({"comet_config_api_timeout": "soon"}, [("comet_config_api_timeout", "whole number")]),
    ({"comet_config_account": "dept lab"}, [("comet_config_account", "without spaces")]),
    ({"comet_config_item_name": "a\tb"}, [("comet_config_item_name", "control character")]),
    ({"comet_config_folders": ["/home", "C:/Users", "\\\\srv\\share\\data", "D:\\Data\\"]}, []),  # UNC: the modules' rule
    ({"comet_config_folders": ["/home", "data"]}, [("comet_config_folders", "'data' is not an absolute path")]),
    ({"comet_config_folders": "/home"}, [("comet_config_folders", "must be a list")]),
    ({"comet_config_folders_mode": "merge"}, [("comet_config_folders_mode", "merge needs the folders")]),
    ({"comet_config_schedules": [{"frequency": "daily", "at": "25:00"}], "comet_config_random_delay": 99999},
     [("comet_config_schedules", "[0].at: '25:00' is not a time of day"),
      ("comet_config_random_delay", "99999 is not between 0 and 18000 seconds")]),
    ({"comet_config_retry_count": 101}, [("comet_config_retry_count", "")]),
    ({"comet_config_exclude_globs": ["*.iso", "/tmp/x", "C:/Temp", "tmp/x"]},
     [("comet_config_exclude_globs", "'tmp/x' is not an absolute path")]),
    ({"comet_config_exclude_regexes": [".*/ok/.*", ".*(?=\\.tmp)", "(a)\\1"]},
     [("comet_config_exclude_regexes", "lookahead"), ("comet_config_exclude_regexes", "backreference")]),
]


@pytest.mark.parametrize("overrides,expected", CONFIG_CASES)
def test_comet_config(overrides, expected):
    got = found("comet_config", defaults("comet_config", **overrides), device_name="pc-01")
    assert [v for v, dummy in got] == [v for v, dummy in expected], got
    for (dummy, message), (dummy2, words) in zip(got, expected):
        assert words in message, message
    assert not any("S3cr3t" in m for v, m in got)


def test_comet_config_device_name_and_the_hosts_os():
    assert found("comet_config", defaults("comet_config"), device_name=" pc") == [
        ("comet_config_device_name", "must not start or end with white space")]
    values = defaults("comet_config", comet_config_folders=["/home"], comet_config_exclude_globs=["/tmp/x"])
    got = found("comet_config", values, os_name="windows", device_name="pc")
    assert got[0][0] == "comet_config_folders" and "not a Windows path" in got[0][1]
    assert got[1][0] == "comet_config_exclude_globs" and "neither an absolute windows path" in got[1][1], got
    got = found("comet_config", dict(values, comet_config_folders=["D:/Data"]), os_name="linux", device_name="pc")
    assert "'D:/Data' is a Windows path but the device runs linux" in got[0][1]


def test_comet_config_device_id_needed_in_main_not_in_check_mode():
    values = defaults("comet_config", comet_config_device_id="")
    assert found("comet_config", values, device_name="pc") == []  # the preflight entry point, an inventory
    got = found("comet_config", values, device_name="pc", check_device=True)
    assert got[0][0] == "comet_config_device_id" and "comet_client_device_id" in got[0][1]
    assert found("comet_config", values, device_name="pc", check_device=True, check_mode=True) == []
    values["comet_config_skip_unknown_device_in_check_mode"] = False
    assert len(found("comet_config", values, device_name="pc", check_device=True, check_mode=True)) == 1


def test_only_what_is_given_is_checked():
    """An inventory gives some variables only: a rule needing one that is missing is not run."""
    assert found("comet_config", {}) == []
    assert found("comet_config", {"comet_config_folders_mode": "merge"}) == []
    assert found("comet_system_exclusions", {"comet_system_exclusions_policy_id": ""}) == []
    assert found("fleet_report", {"fleet_report_week_days": 141}) == []
    assert found("comet_config", {"comet_config_random_delay": 99999})[0][0] == "comet_config_random_delay"


EXCLUSIONS_CASES = [
    ({"comet_system_exclusions_policy_name": ""}, [("comet_system_exclusions_policy_id", "are both empty")]),
    ({"comet_system_exclusions_policy_id": "pol-unil"},
     [("comet_system_exclusions_policy_id", '("pol-unil") and comet_system_exclusions_policy_name ("UNIL") are both set')]),
    ({"comet_system_exclusions_policy_name": "", "comet_system_exclusions_policy_id": " pol"},
     [("comet_system_exclusions_policy_id", "leading or trailing space")]),
    ({"comet_system_exclusions_extra_regexes": {"linux": ["(?i).*/ok/.*", ".*(?=\\.tmp)"], "macos": "/tmp/x", "mac": []}},
     [("comet_system_exclusions_extra_regexes", "unknown OS name(s) mac"),
      ("comet_system_exclusions_extra_regexes", "linux: '.*(?=\\\\.tmp)' is not a valid regular expression for RE2"),
      ("comet_system_exclusions_extra_regexes", "macos: must be a list")]),
    ({"comet_system_exclusions_extra_regexes": ["x"]}, [("comet_system_exclusions_extra_regexes", "must be a mapping")]),
    ({"comet_system_exclusions_server_url": "comet.example.ch", "comet_system_exclusions_api_timeout": 0},
     [("comet_system_exclusions_server_url", "a scheme is missing"), ("comet_system_exclusions_api_timeout", "0 is not")]),
]


@pytest.mark.parametrize("overrides,expected", EXCLUSIONS_CASES)
def test_comet_system_exclusions(overrides, expected):
    got = found("comet_system_exclusions", defaults("comet_system_exclusions", **overrides))
    assert [v for v, dummy in got] == [v for v, dummy in expected], got
    for (dummy, message), (dummy2, words) in zip(got, expected):
        assert words in message, message


FLEET_CASES = [
    ({"fleet_report_week_days": 0}, [("fleet_report_week_days", "1 or more")]),
    ({"fleet_report_week_days": 141}, [("fleet_report_week_days", "must not be longer than the obsolete threshold")]),
    ({"fleet_report_week_days": 30, "fleet_report_obsolete_after_days": 20}, [("fleet_report_week_days", "(30)")]),
    ({"fleet_report_obsolete_after_months": 0}, [("fleet_report_obsolete_after_months", "1 to 1200")]),
    ({"fleet_report_obsolete_after_days": -1}, [("fleet_report_obsolete_after_days", "0 (use")]),
    ({"fleet_report_history_days": 401}, [("fleet_report_history_days", "1 to 400")]),
    ({"fleet_report_history_days": "28", "fleet_report_week_days": "7", "fleet_report_now": "1795435200"}, []),
    ({"fleet_report_min_client_version": "latest"}, [("fleet_report_min_client_version", "not a version")]),
    ({"fleet_report_now": -5}, [("fleet_report_now", "Unix seconds")]),
    ({"fleet_report_dir": "relative/dir"}, [("fleet_report_dir", "absolute path")]),
    ({"fleet_report_dir": "~/reports"}, []),
    ({"fleet_report_basename": ".."}, [("fleet_report_basename", "letters, digits")]),
    ({"fleet_report_formats": ""}, [("fleet_report_formats", "at least one")]),
    ({"fleet_report_formats": "json,csv"}, []),
    ({"fleet_report_file_mode": "640x", "fleet_report_dir_mode": "0750"}, [("fleet_report_file_mode", "octal")]),
    ({"fleet_report_print_findings": -1}, [("fleet_report_print_findings", "0 or more")]),
    ({"fleet_report_departments": ["x"]}, [("fleet_report_departments", "dict")]),
    ({"fleet_report_server_url": "https://u:S3cr3t@comet.example.ch/"}, [("fleet_report_server_url", "credentials")]),
    ({"fleet_report_server_url": ""}, []),   # COMET_SERVER_URL then, for the module
]


@pytest.mark.parametrize("overrides,expected", FLEET_CASES)
def test_fleet_report(overrides, expected):
    got = found("fleet_report", defaults("fleet_report", **overrides))
    assert [v for v, dummy in got] == [v for v, dummy in expected], got
    for (dummy, message), (dummy2, words) in zip(got, expected):
        assert words in message, message
    assert not any("S3cr3t" in m for v, m in got)


def test_texts_name_the_variable():
    problems = rc.role_problems("fleet_report", defaults("fleet_report", fleet_report_dir="x", fleet_report_history_days=0))
    assert rc.texts(problems) == [
        'fleet_report_dir must be an absolute path on the controller (~ is expanded) (got "x")',
        "fleet_report_history_days: must be a whole number of days, 1 to 400 (got 0)"]
    with pytest.raises(ValueError):
        rc.role_problems("comet_client", {})


def test_unknown_variables_name_the_closest_known_one():
    known = known_variables("comet_config")
    got = rc.unknown_variables("comet_config", ["comet_config_folder", "comet_config_result", "comet_config_colour",
                                                "comet_config_folders", "comet_client_username"], known)
    assert [p["var"] for p in got] == ["comet_config_colour", "comet_config_folder"]
    assert got[0]["text"].startswith("comet_config_colour is not a variable of unil.backup.comet_config (ignored)")
    assert got[1]["text"] == ("comet_config_folder is not a variable of unil.backup.comet_config (ignored); did you mean "
                              "comet_config_folders?")
    assert rc.unknown_variables("fleet_report", ["fleet_report_hosts", "fleet_report_summary"],
                                known_variables("fleet_report")) == []


def test_the_filter_warns_about_unknown_variables(monkeypatch):
    warned = []
    monkeypatch.setattr(filters.Display, "warning", lambda self, msg, *a, **k: warned.append(msg))
    values = defaults("fleet_report", fleet_report_dri="/tmp")
    assert filters.role_problems(values, "fleet_report") == []
    assert warned == ["fleet_report_dri is not a variable of unil.backup.fleet_report (ignored); did you mean fleet_report_dir?"]
    with pytest.raises(AnsibleFilterError):
        filters.role_problems("x", "fleet_report")
    with pytest.raises(AnsibleFilterError):
        filters.role_problems({}, "comet_client")


SETTINGS = {"changed": True, "item_id": "item-1", "item_name": "Linux UNIL", "folders": ["/home"], "globs": ["a", "b"],
            "regexes": ["c"], "backup_started": True, "kept": {}}


def test_comet_config_result_and_line():
    result = rr.comet_config_result(SETTINGS, "dept-lab", "dev-1", "pc-01", "", [], [{"frequency": "daily"}])
    assert result == {"account": "dept-lab", "device_id": "dev-1", "device_name": "pc-01", "item_id": "item-1",
                      "item_name": "Linux UNIL", "folders": ["/home"], "schedules": 1, "exclusions": 3, "changed": True,
                      "backup_started": True, "backup_reason": "", "kept": {}}
    assert rr.comet_config_line(result, "lab-pc-01", "dept-lab") == (
        'lab-pc-01: device dev-1 "pc-01" in account dept-lab - item "Linux UNIL" /home, 1 schedule(s), 3 exclusion(s) '
        '(changed)')
    kept = dict(SETTINGS, changed=False, kept={"exclusions": ["x"], "folders": ["/data"]})
    result = rr.comet_config_result(kept, "dept-lab", "dev-1", "pc-01", schedules=None)
    assert result["schedules"] == "as stored"
    assert rr.comet_config_line(result, "h", "dept-lab").endswith(
        "as stored schedule(s), 3 exclusion(s) (already as wanted); the person's own folders, exclusions left as they "
        "set them (comet_config_enforce to override)")


def test_comet_config_result_when_the_module_returned_little():
    result = rr.comet_config_result({"changed": False}, "a", "d", "n", "Mine", ["/srv"], [])
    assert (result["item_name"], result["folders"], result["schedules"], result["exclusions"], result["item_id"]) == (
        "Mine", ["/srv"], 0, 0, "")
    assert rr.comet_config_line(None, "lab-pc-02", "dept-lab") == (
        "lab-pc-02: no Comet device ID yet (the client would be installed by a real run); the settings would then be "
        "applied to account dept-lab.")


def test_fleet_report_failing_uses_the_one_severity_list():
    findings = [{"severity": s, "code": s} for s in ("critical", "error", "warning", "info")]
    assert [f["code"] for f in filters.fleet_report_failing(findings, "error")] == ["critical", "error"]
    assert filters.fleet_report_failing(findings, "none") == []
    assert len(filters.fleet_report_failing(findings, "info")) == 4
    with pytest.raises(AnsibleFilterError):
        filters.fleet_report_failing(findings, "sometimes")
