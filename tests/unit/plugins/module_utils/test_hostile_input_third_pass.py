# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 22, hostile input third pass: the rules behind the bad-input corpus's new cases (test_bad_input.yaml), one by
one - wrong-typed options named, secrets inside URLs and URL-encoded secrets hidden, sexagesimal times, NUL in
regexes, contradicting options, an unknown policy, a suspended account, anchored versions, the Prometheus path."""
from __future__ import annotations

import json

import pytest

from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet, _role_checks
from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import (
    check_exclusions_options,
    check_regex,
    policy_error,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError, check_device_state
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import (
    environment_problem,
    hidden_values,
    option_type_message,
    validation_message,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_schedule import parse_hhmm, sexagesimal_hint
from ansible_collections.unil.backup.plugins.module_utils._comet_settings import suspension_warning, warn_if_suspended
from ansible_collections.unil.backup.plugins.modules import comet_schedule
from ansible_collections.unil.backup.plugins.plugin_utils._controller_module import run_module_code

CONNECTION = dict(server_url="http://127.0.0.1:1/", admin_username="admin", admin_password="Adm1n-pw/+&")


def errors_for(module, **args):
    validator = ModuleArgumentSpecValidator(module.argument_spec(), **module.constraints())
    return validator.validate(dict(CONNECTION, account="lab", device_id="dev-lin", **args)).errors


# ------------------------------------------------------------------------------------- wrong-typed options

@pytest.mark.parametrize("args, expected", [
    ({"schedules": "daily at noon"}, "schedules: write a list of mappings, one per entry, with the options at, day, "
                                     "days, every, frequency, minute, offset (e.g. - frequency: ...)"),
    ({"schedules": 5}, "schedules: write a list of mappings"),
    ({"schedules": [{"frequency": "hourly", "minute": "x"}]}, "schedules.minute: write a whole number"),
    ({"timeout": "soon"}, "timeout: write a whole number"),
    ({"run_on_boot": "sometimes"}, "run_on_boot: write true or false"),
])
def test_a_wrong_typed_option_is_named_with_what_to_write(args, expected):
    message = option_type_message(errors_for(comet_schedule, **args), comet_schedule.argument_spec())
    assert message.startswith(expected), message
    assert "(" in message  # ansible-core's own words follow, in parentheses


def test_other_validation_messages_are_ansible_cores():
    errors = errors_for(comet_schedule, bogus=1)
    assert option_type_message(errors, comet_schedule.argument_spec()) == ""
    assert validation_message(errors, "as ansible-core says") == "as ansible-core says"
    assert option_type_message([], {}) == ""


def test_the_controller_path_gives_the_same_message_and_hides_the_password():
    args = dict(CONNECTION, account="lab", device_id="dev-lin", schedules="daily at noon")
    result = run_module_code(comet_schedule, args)
    assert result["failed"] and result["msg"].startswith("schedules: write a list of mappings"), result["msg"]
    assert "Adm1n-pw/+&" not in json.dumps(result) and "Adm1n-pw%2F%2B%26" not in json.dumps(result)


def test_the_controller_path_hides_credentials_inside_a_url():
    args = dict(CONNECTION, account="lab", device_id="dev-lin", server_url="http://admin:In-Url-pw@127.0.0.1:1/",
                schedules=[])
    result = run_module_code(comet_schedule, args)
    assert result["failed"] and "must not contain credentials" in result["msg"]
    assert "In-Url-pw" not in json.dumps(result)


# ------------------------------------------------------------------------------------- secrets in URLs

def test_hidden_values_cover_url_credentials_and_encoded_secrets():
    found = hidden_values({"p/w+&"}, {"server_url": "https://adm:S3c@r/t@host:1/", "nested": [{"u": "htps://tokentoken@h/"}],
                                      "user_only": "https://bob@h/"})
    assert {"S3c@r/t", "adm:S3c@r/t", "S3c%40r%2Ft", "p%2Fw%2B%26", "p/w%2B%26", "tokentoken"} <= found
    assert "bob" not in found and "" not in found  # a short user name alone would mask ordinary text
    assert hidden_values((), {"x": "no url here"}) == set()


def test_hidden_values_find_no_log_options_ansible_core_missed():
    spec = dict(password=dict(type="str", no_log=True), items=dict(type="list", elements="dict", options=dict(
        key=dict(type="str", no_log=True))))
    found = hidden_values((), {"password": "Pw-1", "items": [{"key": "K-2"}, "not a dict"]}, spec)
    assert {"Pw-1", "K-2"} <= found


@pytest.mark.parametrize("environment, refused", [
    ({"COMET_SERVER_URL": "http://admin:pw-in-env@127.0.0.1:1/"}, True),
    ({"comet_server_url": "https://u:p@h/"}, True),
    ({"COMET_SERVER_URL": "http://127.0.0.1:1/"}, False),
    ({"https_proxy": "http://user:proxy-pw@proxy:3128"}, False),  # not ours: Ansible's to show or not
    ({}, False),
    (None, False),
])
def test_a_task_environment_with_credentials_in_comet_server_url_is_refused(environment, refused):
    message = environment_problem(environment)
    assert bool(message) is refused
    if refused:
        assert "must not contain credentials" in message and "pw-in-env" not in message


# ------------------------------------------------------------------------------------- times, regexes

@pytest.mark.parametrize("value, hint", [(1350, "22:30"), ("1350", "22:30"), (425, "07:05"), (0, "00:00")])
def test_an_unquoted_time_read_as_a_number_says_to_quote_it(value, hint):
    with pytest.raises(CometInputError) as exc:
        parse_hhmm(value, "schedules[0].at")
    assert "write '%s' in quotes" % hint in str(exc.value)


@pytest.mark.parametrize("value", [1440, 99999, "12h", True, None, "25:00"])
def test_no_quoting_hint_for_what_is_no_base_60_time(value):
    assert sexagesimal_hint(value) == ""


@pytest.mark.parametrize("pattern, code", [("a\0b", "U+0000"), ("a\tb", "U+0009"), ("a\x85", "U+0085")])
def test_a_regex_with_a_control_character_is_refused_with_its_escape(pattern, code):
    with pytest.raises(CometInputError) as exc:
        check_regex(pattern, "regexes")
    assert code in str(exc.value) and "write it as the escape \\x" in str(exc.value)
    check_regex("a\\x00b", "regexes")  # the escape itself is fine


# ------------------------------------------------------------------------------------- contradictions

def test_comet_device_absent_with_a_name_is_refused():
    with pytest.raises(CometInputError) as exc:
        check_device_state("absent", "new-name")
    assert str(exc.value).startswith("name: renames the device")
    check_device_state("absent", None)
    check_device_state("present", "new-name")


USER = dict(level="user", account="lab", device_id="dev-lin", globs=[], regexes=[], system={}, policy_id=None,
            policy_name=None, optional_defaults=[])
SYSTEM = dict(level="system", account=None, device_id=None, device_name=None, item_name=None, globs=[], regexes=[],
              system={"any": ["\\.tmp$"]}, policy_id="pol", policy_name=None, optional_defaults=[])


@pytest.mark.parametrize("params, option", [
    (dict(SYSTEM, account="lab"), "account"),
    (dict(SYSTEM, device_id="dev-lin"), "device_id"),
    (dict(SYSTEM, device_name="pc"), "device_name"),
    (dict(SYSTEM, regexes=["x"]), "regexes"),
    (dict(USER, policy_name="UNIL"), "policy_name"),
    (dict(USER, system={"any": ["x"]}), "system"),
])
def test_contradicting_exclusion_options_are_refused(params, option):
    with pytest.raises(CometInputError) as exc:
        check_exclusions_options(params)
    assert exc.value.option == option


def test_consistent_exclusion_options_pass():
    check_exclusions_options(SYSTEM)
    check_exclusions_options(USER)


def test_an_unknown_policy_id_is_named():
    class Fault(Exception):
        endpoint, status, message = "policies/get", 400, "Policy not found"

    assert policy_error(Fault(), "nope").startswith("policy_id: the server has no policy with ID 'nope'")
    other = Fault()
    other.status, other.message = 500, "boom"
    assert policy_error(other, "nope") == str(other)


# ------------------------------------------------------------------------------------- a suspended account

def test_a_write_to_a_suspended_account_warns_with_the_date_its_backups_go():
    profile = {"IsSuspended": True, "LastSuspended": 1700000000, "Devices": {}}
    warning = suspension_warning(profile, "lab", now=1700000000 + 86400)
    assert "account lab is suspended since 2023-11-14T22:13:20Z" in warning and "on 2023-11-28 (in 13 day(s))" in warning
    assert suspension_warning({"IsSuspended": False}, "lab") == ""

    def rename(p):
        p["Devices"]["d"] = {"FriendlyName": "x"}
        return p, {"device_id": "d"}

    dummy, description = warn_if_suspended(rename, "lab", now=1700000000)(profile)
    assert "suspended" in description["warnings"][0]
    dummy, description = warn_if_suspended(lambda p: (p, {"device_id": "d"}), "lab")(dict(profile))
    assert "warnings" not in description  # nothing written, nothing to say


# ------------------------------------------------------------------------------------- versions, the metrics path

@pytest.mark.parametrize("value", ["24.6garbage", "24.6.0\nx", "24..6", "24.6.0-beta", "x24", "\u00b24.6", "", True])
def test_a_minimum_version_is_the_whole_value(value):
    assert _comet_fleet.parse_minimum_version(value) is None
    if value not in ("", True):
        with pytest.raises(CometInputError) as exc:
            _comet_fleet.check_options(min_client_version=value)
        assert exc.value.option == "min_client_version"


@pytest.mark.parametrize("value, expected", [("24.6.0", (24, 6, 0)), (" v24.6 ", (24, 6)), ("24.6.0\n", (24, 6, 0)), (24.6, (24, 6)), (24, (24,))])
def test_a_minimum_version_is_read(value, expected):
    assert _comet_fleet.parse_minimum_version(value) == expected


def test_the_role_refuses_a_garbage_minimum_version():
    problems = _role_checks.role_problems("fleet_report", {"fleet_report_min_client_version": "24.6garbage",
                                                           "fleet_report_obsolete_after_months": 5,
                                                           "fleet_report_obsolete_after_days": 0,
                                                           "fleet_report_week_days": 7, "fleet_report_now": 0})
    assert [p["var"] for p in problems] == ["fleet_report_min_client_version"]


@pytest.mark.parametrize("value, expected", [
    ("rel-metrics.prom", "must be an absolute path (the textfile collector's folder), not relative to the playbook's "
                         "working directory: write e.g. /var/lib/prometheus/node-exporter/rel-metrics.prom"),
    ("/tmp", "is a directory: write the file's path in it, e.g. /tmp/unil_backup.prom"),
    ("/var/lib/node-exporter/", "is a directory"),
    ("/var/lib/node-exporter/unil_backup.txt", "must end in .prom (node_exporter's textfile collector reads only "
                                               "those): write e.g. /var/lib/node-exporter/unil_backup.prom"),
    ("/var/lib/node-exporter/.prom", "must end in .prom"),
    ("/var/lib/x\0.prom", "must be an absolute path to a file ending in .prom"),
    (5, "must be an absolute path to a file ending in .prom"),
])
def test_the_prometheus_path_is_an_absolute_prom_file(value, expected):
    problems = _role_checks.role_problems("fleet_report", {"fleet_report_prometheus_path": value})
    assert len(problems) == 1 and problems[0]["var"] == "fleet_report_prometheus_path"
    assert problems[0]["message"].startswith(expected), problems[0]["message"]


@pytest.mark.parametrize("value", ["", None, "/var/lib/prometheus/node-exporter/unil_backup.prom", "~/m.prom"])
def test_a_good_prometheus_path_passes(value):
    assert _role_checks.role_problems("fleet_report", {"fleet_report_prometheus_path": value}) == []
