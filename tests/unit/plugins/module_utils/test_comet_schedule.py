# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError
from ansible_collections.unil.backup.plugins.module_utils import _comet_schedule as s

with open(os.path.join(os.path.dirname(__file__), "test_comet_schedule.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_valid(case):
    assert s.schedules_to_comet(case["schedules"], case.get("random_delay", 0)) == case["expected"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_invalid_names_the_option(case):
    with pytest.raises(CometInputError) as err:
        s.schedules_to_comet(case["schedules"], case.get("random_delay", 0))
    assert err.value.option == case["option"]
    assert str(err.value).startswith(case["option"] + ":")


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_describe_round_trip(case):
    """describe_all() of what we write, converted again, gives the same entries (the diff shows faithful terms)."""
    written = s.schedules_to_comet(case["schedules"], case.get("random_delay", 0))
    described = s.describe_all(written)
    again = []
    for item in described:
        delay = item.pop("random_delay", 0)
        again.extend(s.schedules_to_comet([item], delay))
    assert again == written


def test_weekly_days_grouped_in_description():
    written = s.schedules_to_comet([{"frequency": "weekly", "days": ["mon", "thu"], "at": "22:00"}])
    assert s.describe_all(written) == [{"frequency": "weekly", "days": ["mon", "thu"], "at": "22:00"}]


def test_normalize_ignores_unset_fields_written_by_the_gui():
    stored = [{"FrequencyType": 8011, "SecondsPast": 45000, "RestrictRuntime": False,
               "FromTime": {"Hour": 0, "Minutes": 0}, "ToTime": {"Hour": 0, "Minutes": 0},
               "RestrictDays": False, "DaysSelect": {"Sunday": False}, "SelectedMonth": 0, "SelectedDay": 0}]
    assert s.schedules_equal(stored, s.schedules_to_comet([{"frequency": "daily", "at": "12:30"}]))


def test_normalize_sees_enabled_restrictions():
    stored = [{"FrequencyType": 8011, "SecondsPast": 45000, "RestrictDays": True, "DaysSelect": {"Sunday": True}}]
    assert not s.schedules_equal(stored, s.schedules_to_comet([{"frequency": "daily", "at": "12:30"}]))


def test_event_triggers_only_set_options():
    assert s.event_triggers({"run_on_boot": None, "run_missed_on_boot": True, "retry_delay": "30m"}) == {
        "OnPCBootIfLastJobMissed": True, "LastJobFailDoRetryTime": 30}
    with pytest.raises(CometInputError) as err:
        s.event_triggers({"retry_count": 101})
    assert err.value.option == "retry_count"


def test_durations():
    assert s.parse_duration("1d2h3m4s", "x") == 93784
    assert s.format_duration(93784) == "1d2h3m4s"
    assert s.format_duration(0) == "0s"


@pytest.mark.parametrize("schedules, kwargs, expected", [
    ([{"frequency": "daily", "at": "12:00"}], {}, []),
    # the role accepts what the module accepts (tues/thur were refused by the role's own rules before)
    ([{"frequency": "weekly", "days": ["tues", "thur", "Friday"], "at": "08:30"}], {}, []),
    ([{"frequency": "daily", "at": "25:00"}], {"prefix": "comet_config_"},
     ["comet_config_schedules[0].at: '25:00' is not a time of day HH:MM (00:00 to 23:59)"]),
    ([{"frequency": "daily", "at": "10:00"}, {"frequency": "fortnightly"}], {},
     ["schedules[1].frequency: 'fortnightly' is not one of daily, hourly, monthly, once, periodic, weekly"]),
    ("daily", {}, ["schedules: must be a list of schedules"]),
    (None, {"random_delay": "1800"}, []),
    (None, {"random_delay": 99999, "prefix": "p_"}, ["p_random_delay: 99999 is not between 0 and 18000 seconds"]),
    (None, {"triggers": {"retry_count": "101", "retry_delay": "8d", "run_on_boot": None}},
     ["retry_count: 101 is not between 0 and 100", "retry_delay: must be between 1 minute and 7 days"]),
])
def test_schedule_problems_are_the_modules_rules(schedules, kwargs, expected):
    assert s.schedule_problems(schedules, **kwargs) == expected


@pytest.mark.parametrize("value,minutes", [("30m", 30), ("2h", 120), ("1800", 30), ("1m", 1), ("7d", 10080)])
def test_retry_delay_is_written_in_minutes_as_comet_stores_it(value, minutes):
    assert s.event_triggers({"retry_delay": value}) == {"LastJobFailDoRetryTime": minutes}


@pytest.mark.parametrize("value,message", [("30s", "whole number of minutes"), ("90s", "whole number of minutes"),
                                           ("0", "between 1 minute and 7 days"), ("7d1m", "between 1 minute and 7 days")])
def test_retry_delay_refused_when_comet_cannot_store_it(value, message):
    with pytest.raises(CometInputError) as err:
        s.event_triggers({"retry_delay": value})
    assert err.value.option == "retry_delay" and message in err.value.message


def test_absent_event_trigger_fields_read_as_their_zero_value():
    """Comet drops zero-valued EventTriggers fields (omitempty): asking for false or 0 where the field is absent is
    no change, asking for true or a count is one."""
    assert not s.triggers_differ({}, {"OnPCBoot": False, "OnLastJobFailDoRetry": False, "LastJobFailDoRetryCount": 0})
    assert not s.triggers_differ(None, {"OnPCBootIfLastJobMissed": False})
    assert s.triggers_differ({}, {"OnPCBoot": True})
    assert s.triggers_differ({"LastJobFailDoRetryCount": 3}, {"LastJobFailDoRetryCount": 0})
    assert not s.triggers_differ({"LastJobFailDoRetryTime": 30}, {"LastJobFailDoRetryTime": 30})
