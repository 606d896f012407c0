# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The first-backup window and the start's reason codes (plugins/module_utils/_first_backup.py). Seed 000, "Machine
ventile lors du premier backup": the first backup in a quiet period or at night; issue 23 point 4: run-backup's JobID
kept and read back, sent once."""
from __future__ import annotations

import json

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _first_backup as fb
from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometApiError, CometOutcomeUnknown
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError


@pytest.mark.parametrize("text, parsed", [
    ("now", "now"), ("NEVER", "never"), (None, "now"), ("20:00-06:00", (1200, 360)), ("9:30-11:00", (570, 660)),
    (" 22:00 - 23:59 ", (1320, 1439)),
])
def test_parse_window(text, parsed):
    assert fb.parse_window(text) == parsed


@pytest.mark.parametrize("text", ["night", "24:00-06:00", "20:00", "20:00-20:00", "8h-9h", ""])
def test_a_bad_window_names_the_option(text):
    with pytest.raises(CometInputError) as err:
        fb.parse_window(text)
    assert "first_backup_window" in str(err.value)


@pytest.mark.parametrize("minute, inside", [
    (19 * 60 + 59, False), (20 * 60, True), (23 * 60 + 59, True), (0, True), (5 * 60 + 59, True), (6 * 60, False),
    (12 * 60, False),
])
def test_the_night_window_spans_midnight(minute, inside):
    """The guide's advice, the night: 20:00-06:00 (the end excluded)."""
    assert fb.in_window(fb.parse_window("20:00-06:00"), minute) is inside


def test_a_day_window_and_the_keywords():
    window = fb.parse_window("12:00-14:00")
    assert [fb.in_window(window, m) for m in (719, 720, 839, 840)] == [False, True, True, False]
    assert fb.in_window("now", 0) and not fb.in_window("never", 0)


def test_local_minute_in_the_device_time_zone():
    # 2026-01-15 12:00 UTC is 13:00 in Zurich (CET), 07:00 in New York
    now = 1768478400
    assert fb.local_minute("Europe/Zurich", now) == (13 * 60, "Europe/Zurich")
    assert fb.local_minute("America/New_York", now) == (7 * 60, "America/New_York")
    assert fb.local_minute("Not/AZone", now)[1] == "local"
    assert fb.local_minute("", now)[1] == "local"


@pytest.mark.parametrize("args, code", [
    ((False, True, False, True, "now", 0), "not_started:not_asked"),
    ((True, False, False, True, "now", 0), "not_started:item_existed"),
    ((True, True, True, True, "now", 0), "not_started:check_mode"),
    ((True, True, False, None, "now", 0), "not_started:offline"),
    ((True, True, False, True, "never", 0), "deferred:never"),
    ((True, True, False, True, (1200, 360), 12 * 60), "deferred:outside_window"),
    ((True, True, False, True, (1200, 360), 23 * 60), "start"),
    ((True, True, False, True, "now", 12 * 60), "start"),
])
def test_decision(args, code):
    assert fb.first_backup_decision(*args) == code


def test_every_code_has_its_text():
    assert fb.reason_text("not_started:profile_not_applied") == "not started: the device has not applied its profile yet"
    assert fb.reason_text("deferred:outside_window").startswith("first backup deferred to the schedule")


class Client(object):
    """run-backup answers from a list (a dict, or an exception to raise), jobs and job properties as given."""

    def __init__(self, answers, job=None, jobs=()):
        self.answers = list(answers)
        self.job = job
        self.jobs = list(jobs)
        self.calls = []

    def run_backup(self, target_id, rule_id):
        self.calls.append(("dispatcher/run-backup", target_id, rule_id))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def call_raw(self, endpoint, params):
        self.calls.append((endpoint, params["JobID"]))
        if self.job is None:
            raise CometApiError(endpoint, 400, "Job not found")
        return json.dumps(self.job).encode("utf-8")

    def jobs_for_user(self, account):
        self.calls.append(("get-jobs-for-user", account))
        return self.jobs


def start(client, wait=0, clock=None):
    ticks = iter(range(0, 10000, 1)) if clock is None else clock
    return fb.start_first_backup(client, "lab", "target-1", "dev-1", "rule-1", wait=wait, sleep=lambda s: None,
                                 clock=lambda: next(ticks) + 1000)


def test_started_and_confirmed_by_its_job_id():
    """The JobID of DispatchWithJobIDResponse, read back: a BackupJobDetail whose Status (5000) is the job's."""
    client = Client([{"Status": 200, "Message": "OK", "JobID": "job-1"}], job={"GUID": "job-1", "Status": 5000})
    assert start(client) == {"started": True, "reason": "started", "job_id": "job-1", "job_status": 5000}
    assert client.calls == [("dispatcher/run-backup", "target-1", "rule-1"), ("get-job-properties", "job-1")]


def test_a_job_id_the_server_does_not_know():
    client = Client([{"Status": 200, "Message": "OK", "JobID": "job-1"}])
    assert start(client)["reason"] == "not_started:job_not_found"


def test_an_older_server_without_job_id_started_unread():
    client = Client([{"Status": 200, "Message": "OK"}])
    assert start(client) == {"started": True, "reason": "started", "job_id": None, "job_status": None}
    assert [c[0] for c in client.calls] == ["dispatcher/run-backup"]


def test_a_device_without_the_rule_is_asked_again_within_the_wait_then_reported():
    refusal = CometApiError("dispatcher/run-backup", 400, "The device has no such backup rule")
    client = Client([refusal, refusal, {"Status": 200, "Message": "OK", "JobID": "j"}], job={"GUID": "j", "Status": 6001})
    assert start(client, wait=60)["reason"] == "started"
    assert [c[0] for c in client.calls].count("dispatcher/run-backup") == 3
    client = Client([refusal] * 100)
    assert start(client, wait=10)["reason"] == "not_started:profile_not_applied"
    assert len(client.calls) <= 6, "bounded by the wait"
    client = Client([refusal])
    assert start(client, wait=0)["reason"] == "not_started:profile_not_applied" and len(client.calls) == 1


def test_a_lost_answer_is_never_followed_by_a_second_send():
    lost = CometOutcomeUnknown("dispatcher/run-backup", 500, "lost")
    client = Client([lost], jobs=[{"GUID": "j-old", "DeviceID": "dev-1", "StartTime": 10},
                                  {"GUID": "j-new", "DeviceID": "dev-1", "StartTime": 1000, "Status": 6001,
                                   "BackupRuleGUID": "rule-1"}])
    assert start(client, wait=60) == {"started": True, "reason": "started", "job_id": "j-new", "job_status": 6001}
    assert [c[0] for c in client.calls] == ["dispatcher/run-backup", "get-jobs-for-user"]
    client = Client([lost], jobs=[{"GUID": "j-old", "DeviceID": "dev-1", "StartTime": 10}])
    assert start(client, wait=60)["reason"] == "not_started:answer_lost"
    assert [c[0] for c in client.calls] == ["dispatcher/run-backup", "get-jobs-for-user"]


def test_a_server_error_is_not_a_refusal_to_retry():
    client = Client([CometApiError("dispatcher/run-backup", None, "connection refused")])
    assert start(client, wait=60)["reason"] == "not_started:refused" and len(client.calls) == 1


@pytest.mark.parametrize("value, ok", [(None, True), (0, True), (600, True), ("30", True), (601, False), (-1, False),
                                       ("soon", False), (True, False)])
def test_check_wait(value, ok):
    if ok:
        assert 0 <= fb.check_wait(value) <= 600
    else:
        with pytest.raises(CometInputError) as err:
            fb.check_wait(value)
        assert "first_backup_wait" in str(err.value)


def test_the_role_checks_use_the_same_rules():
    """Role comet_config's preflight and scripts/validate_inventory.py (module_utils/_role_checks) refuse what the
    module refuses, naming the role's variable."""
    from ansible_collections.unil.backup.plugins.module_utils import _role_checks

    texts = [p["text"] for p in _role_checks.comet_config({"comet_config_first_backup_window": "the night",
                                                           "comet_config_first_backup_wait": 9999})]
    assert any(t.startswith("comet_config_first_backup_window") for t in texts), texts
    assert any(t.startswith("comet_config_first_backup_wait") for t in texts), texts
    assert _role_checks.comet_config({"comet_config_first_backup_window": "20:00-06:00",
                                      "comet_config_first_backup_wait": 30}) == []


def test_a_connected_vpn_defers_the_first_backup():
    """Seed 000: "il est même déconseillé de faire cette première sauvegarde tout en ayant Pulse Secure activé"."""
    assert fb.first_backup_decision(True, True, False, True, "now", 0, vpn=True) == "deferred:vpn"
    assert fb.first_backup_decision(True, True, False, True, "now", 0, vpn=False) == "start"
    assert "Pulse Secure" in fb.reason_text("deferred:vpn")
