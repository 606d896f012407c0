# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration's history (module_utils/_migration_history.py): records of the contract, appended atomically by
several processes at once, read back skipping a torn line, the last record per host and the counts per run."""
from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _migration_history as hist


def rec(host, stage, run="run-1", reason="", department="dept_chimie", account="pnom", playbook="site", when=0):
    return hist.make_record(run, playbook, host, stage, reason=reason, department=department, account=account,
                            when=when)


def test_a_record_has_exactly_the_contract_keys_in_order():
    record = rec("lab-1", "crashplan_kept", reason="comet_not_logged_in", when=1796619670)
    assert list(record) == list(hist.KEYS)
    assert record == {"version": 1, "run_id": "run-1", "playbook": "site", "time": "2026-12-07T05:01:10Z",
                      "host": "lab-1", "department": "dept_chimie", "account": "pnom", "stage": "crashplan_kept",
                      "reason": "comet_not_logged_in"}
    line = hist.encode([record]).decode()
    assert line.endswith("\n") and line.count("\n") == 1
    assert list(json.loads(line)) == list(hist.KEYS)


def test_none_is_an_empty_string():
    record = hist.make_record("r", "remove_crashplan", "h", "unreachable", reason=None, department=None, account=None)
    assert (record["reason"], record["department"], record["account"]) == ("", "", "")


@pytest.mark.parametrize("kwargs, words", [
    (dict(stage="half_done"), "stage 'half_done'"),
    (dict(reason="because"), "reason 'because'"),
    (dict(playbook="install"), "playbook 'install'"),
    (dict(host=""), "must not be empty"),
    (dict(run_id=""), "must not be empty"),
])
def test_a_bad_record_is_refused(kwargs, words):
    args = dict(run_id="r", playbook="site", host="h", stage="failed")
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        hist.make_record(**args)


def test_encode_refuses_a_record_with_other_keys():
    record = dict(rec("h", "failed"), extra="x")
    with pytest.raises(ValueError, match="unknown: extra"):
        hist.encode([record])


def test_append_then_read(tmp_path):
    path = str(tmp_path / "sub" / "history.jsonl")
    assert hist.read_records(path) == [] and hist.read_records(path).skipped == 0
    assert hist.append_records(path, [rec("a", "crashplan_removed"), rec("b", "failed")]) == 2
    assert hist.append_records(path, []) == 0
    assert hist.append_records(path, [rec("a", "crashplan_removed", run="run-2")]) == 1
    records = hist.read_records(path)
    assert [(r["run_id"], r["host"]) for r in records] == [("run-1", "a"), ("run-1", "b"), ("run-2", "a")]
    assert records.skipped == 0
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_a_bad_record_writes_nothing(tmp_path):
    path = str(tmp_path / "history.jsonl")
    with pytest.raises(ValueError):
        hist.append_records(path, [rec("a", "failed"), dict(rec("b", "failed"), stage="?")])
    assert not os.path.exists(path)


def test_a_torn_last_line_is_skipped_and_never_swallows_the_next_record(tmp_path):
    path = str(tmp_path / "history.jsonl")
    hist.append_records(path, [rec("a", "crashplan_removed"), rec("b", "client_installed")])
    with open(path, "ab") as handle:  # a writer that died mid-line
        handle.write(hist.encode([rec("c", "failed")])[:25])
    records = hist.read_records(path)
    assert [r["host"] for r in records] == ["a", "b"] and records.skipped == 1
    hist.append_records(path, [rec("d", "not_started")])
    records = hist.read_records(path)
    assert [r["host"] for r in records] == ["a", "b", "d"] and records.skipped == 1


def test_lines_that_are_not_records_are_skipped():
    lines = ["[1, 2]\n", "\n", '{"host": "x"}\n', json.dumps(rec("a", "failed")) + "\n", "not json\n"]
    records = hist.parse_lines(lines)
    assert [r["host"] for r in records] == ["a"] and records.skipped == 3


def _writer(path, name, count, start):
    start.wait()
    for index in range(count):
        hist.append_records(path, [rec("%s-%03d" % (name, index), "settings_applied", run=name,
                                       department="dept_" + "x" * 200)])


def test_two_processes_appending_at_once_never_tear_a_line(tmp_path):
    path = str(tmp_path / "history.jsonl")
    context = multiprocessing.get_context("fork")
    start = context.Event()
    writers = [context.Process(target=_writer, args=(path, name, 200, start)) for name in ("one", "two")]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    with open(path, "rb") as handle:
        raw = handle.read().split(b"\n")
    assert raw[-1] == b"" and len(raw) == 401
    for line in raw[:-1]:
        assert list(json.loads(line.decode())) == list(hist.KEYS)
    records = hist.read_records(path)
    assert records.skipped == 0 and len(records) == 400
    for name in ("one", "two"):  # each writer's records complete and in its own order
        assert [r["host"] for r in records if r["run_id"] == name] == ["%s-%03d" % (name, i) for i in range(200)]


def test_latest_by_host_keeps_the_stage_reached_before_unreachable():
    records = [
        rec("a", "client_installed", run="r1"), rec("b", "crashplan_kept", run="r1", reason="server_error"),
        rec("c", "failed", run="r1"),
        rec("a", "unreachable", run="r2"), rec("b", "failed", run="r2"), rec("c", "unreachable", run="r2"),
        rec("a", "unreachable", run="r3"), rec("d", "crashplan_removed", run="r3"),
    ]
    latest = hist.latest_by_host(records)
    assert sorted(latest) == ["a", "b", "c", "d"]
    assert (latest["a"]["stage"], latest["a"]["run_id"], latest["a"]["last_stage"]) == ("unreachable", "r3", "client_installed")
    assert (latest["b"]["stage"], latest["b"]["last_stage"], latest["b"]["last_reason"]) == ("failed", "crashplan_kept", "server_error")
    assert (latest["c"]["last_stage"], latest["c"]["last_reason"]) == ("not_started", "")
    assert latest["d"] == records[-1] and "last_stage" not in latest["d"]
    assert "last_stage" not in records[3]  # the records read are not changed


def test_counts_by_run():
    records = [
        rec("a", "crashplan_removed", run="r1", when=100), rec("b", "failed", run="r1", when=101),
        rec("c", "crashplan_removed", run="r1", department="dept_bio"),
        rec("a", "crashplan_removed", run="r2", when=200, playbook="remove_crashplan"),
        rec("a", "crashplan_removed", run="r2", when=201, playbook="remove_crashplan"),
    ]
    runs = hist.counts_by_run(records)
    assert [(r["run_id"], r["playbook"], r["time"], r["hosts"]) for r in runs] == [
        ("r1", "site", "1970-01-01T00:01:40Z", 3), ("r2", "remove_crashplan", "1970-01-01T00:03:20Z", 1)]
    assert runs[0]["counts"] == {"dept_chimie": {"crashplan_removed": 1, "failed": 1}, "dept_bio": {"crashplan_removed": 1}}
    assert runs[1]["counts"] == {"dept_chimie": {"crashplan_removed": 1}}


def test_default_path_is_under_ansible_home(tmp_path):
    assert hist.default_path(str(tmp_path)) == os.path.join(str(tmp_path), "unil_backup", "migration-history.jsonl")


# --- one run ----------------------------------------------------------------------------------------------------

def test_host_facts_reads_department_account_and_the_facts():
    variables = {"group_names": ["linux", "dept_zoo", "dept_bio"], "comet_config_account": "pnom",
                 "comet_client_installed": True, "unrelated": "x"}
    assert hist.host_facts("lab-1", variables, in_play=False, unreachable=True) == {
        "host": "lab-1", "in_play": False, "unreachable": True, "department": "dept_bio", "account": "pnom",
        "comet_client_installed": True}
    facts = hist.host_facts("lab-2", {"comet_client_username": "frank", "comet_config_account": "pnom"})
    assert (facts["department"], facts["account"], facts["in_play"], facts["unreachable"]) == ("", "frank", True, False)


def test_run_outcome_records_stats_and_summary():
    removed = {"stage": "removed", "gate": {"code": "open"}}
    hosts = [
        hist.host_facts("lab-ok", {"group_names": ["dept_bio"], "crashplan_removal_result": removed}),
        hist.host_facts("lab-fail", {"group_names": ["dept_bio"], "comet_client_installed": True}, in_play=False),
        hist.host_facts("lab-off", {"group_names": ["dept_chimie"]}, in_play=False, unreachable=True),
        hist.host_facts("lab-new", {"group_names": ["dept_chimie"]}, in_play=False, unreachable=True),
        hist.host_facts("lab-lost", {"comet_client_installed": True}, in_play=False, unreachable=True),
        hist.host_facts("lab-known", {"comet_client_installed": True}, in_play=False, unreachable=True),
    ]
    latest = hist.latest_by_host([rec("lab-off", "crashplan_kept", reason="server_error", run="r0"),
                                  rec("lab-lost", "not_started", run="r0"),
                                  rec("lab-known", "crashplan_removed", run="r0")])
    outcome = hist.run_outcome(hosts, "r1", "site", latest=latest, when=0)
    assert [(r["host"], r["stage"], r["department"]) for r in outcome["records"]] == [
        ("lab-ok", "crashplan_removed", "dept_bio"), ("lab-fail", "failed", "dept_bio"),
        ("lab-off", "unreachable", "dept_chimie"), ("lab-new", "unreachable", "dept_chimie"),
        ("lab-lost", "unreachable", ""), ("lab-known", "unreachable", "")]
    assert all(hist.record_problem(r) == "" for r in outcome["records"])
    assert outcome["stats"] == {"run_id": "r1", "playbook": "site", "hosts": {
        "lab-ok": {"stage": "crashplan_removed", "reason": ""}, "lab-fail": {"stage": "failed", "reason": ""},
        "lab-off": {"stage": "unreachable", "reason": ""}, "lab-new": {"stage": "unreachable", "reason": ""},
        "lab-lost": {"stage": "unreachable", "reason": ""}, "lab-known": {"stage": "unreachable", "reason": ""}}}
    texts = dict((row["host"], row["text"]) for row in outcome["summary"]["hosts"])
    assert texts == {
        "lab-ok": "CrashPlan removed", "lab-fail": "failed (see above)",
        "lab-off": "unreachable, last reached: CrashPlan kept: the Comet Server could not be asked",
        "lab-new": "unreachable, last reached: not started",
        # the history knows nothing past not_started: this run's facts show how far it got before it was lost
        "lab-lost": "unreachable, last reached: client installed",
        # the history's last outcome of a whole run wins over this run's partial facts
        "lab-known": "unreachable, last reached: CrashPlan removed"}


def test_last_reached_looks_past_an_earlier_unreachable_record():
    latest = hist.latest_by_host([rec("a", "first_backup_started", run="r0"), rec("a", "unreachable", run="r1")])
    assert hist.last_reached({"host": "a"}, latest["a"]) == ("first_backup_started", "")
    assert hist.last_reached({"host": "a"}, None) == ("not_started", "")
    assert hist.last_reached({"host": "a", "comet_client_installed": True}, None) == ("client_installed", "")
