# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's migration section (_comet_fleet_migration): the report's stages from the run's codes, the counts
per department now and per run, each machine's path, the machines stuck longest with their fix (tables)."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.fleet_report_migration import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_migration as mig
from ansible_collections.unil.backup.plugins.module_utils._migration import STAGES as RUN_STAGES
from ansible_collections.unil.backup.plugins.module_utils._migration_history import make_record, parse_lines

DAY = 86400
T0 = 1796256000  # 2026-12-03T00:00:00Z
NOW = T0 + 4 * DAY


@pytest.mark.parametrize("code,stage", [
    ("not_started", "not_started"),
    ("client_installed", "client_installed"),
    ("settings_applied", "settings_applied"),
    ("crashplan_kept", "settings_applied"),
    ("first_backup_started", "waiting_for_backup"),
    ("first_backup_deferred", "waiting_for_backup"),
    ("first_backup_not_started", "waiting_for_backup"),
    ("waiting_for_backup", "waiting_for_backup"),
    ("crashplan_removed", "crashplan_removed"),
    ("settings_applied_no_crashplan", "crashplan_removed"),
    ("failed", "failed"),
    ("unreachable", "unreachable"),
    ("something_new", "not_started"),
])
def test_stage_of_each_run_code(code, stage):
    assert mig.group_of(code) == stage


def test_every_run_code_has_a_report_stage():
    assert set(RUN_STAGES + ("unreachable",)) == set(mig.GROUP)
    assert set(mig.GROUP.values()) == set(mig.STAGES) == set(mig.STAGE_LABEL) == set(mig.STAGE_COLOR)
    assert set(mig.STAGE_FIXES) == set(mig.STAGES)


def rec(run, day, host, stage, reason="", department="dept_chimie", account="", playbook="site"):
    return make_record("run-%d" % run, playbook, host, stage, reason=reason, department=department,
                       account=account or host, when=T0 + day * DAY + run)


# Three runs, one a day. pc-a moves through every stage; pc-b is stuck waiting since the first run; pc-c is unreachable
# at the last run after its settings; pc-d (no department) appears at run 2 and has no CrashPlan; pc-e is not started.
HISTORY = [
    rec(1, 0, "pc-a", "client_installed"),
    rec(1, 0, "pc-b", "first_backup_deferred", "deferred:outside_window", department="dept_bio"),
    rec(1, 0, "pc-c", "client_installed"),
    rec(1, 0, "pc-e", "not_started"),
    rec(2, 1, "pc-a", "settings_applied"),
    rec(2, 1, "pc-b", "waiting_for_backup", department="dept_bio"),
    rec(2, 1, "pc-c", "settings_applied"),
    rec(2, 1, "pc-d", "settings_applied_no_crashplan", department=""),
    rec(2, 1, "pc-e", "not_started"),
    rec(3, 2, "pc-a", "waiting_for_backup"),
    rec(3, 2, "pc-a", "crashplan_removed", playbook="remove_crashplan"),   # same run id: the last record counts
    rec(3, 2, "pc-b", "waiting_for_backup", department="dept_bio"),
    rec(3, 2, "pc-c", "unreachable"),
    rec(3, 2, "pc-e", "not_started"),
]


def test_counts_now_and_per_run():
    section = mig.migration_section(HISTORY, now=NOW)
    assert (section["records"], section["runs"], section["hosts"], section["skipped_lines"]) == (14, 3, 5, 0)
    assert section["stages"] == ["not_started", "client_installed", "settings_applied", "waiting_for_backup",
                                 "crashplan_removed", "failed", "unreachable"]
    zero = dict((stage, 0) for stage in mig.STAGES)
    assert section["by_department"] == {
        "(none)": dict(zero, crashplan_removed=1),                                   # pc-d
        "dept_bio": dict(zero, waiting_for_backup=1),                                # pc-b
        "dept_chimie": dict(zero, crashplan_removed=1, unreachable=1, not_started=1),  # pc-a, pc-c, pc-e
    }
    assert section["totals"] == dict(zero, not_started=1, waiting_for_backup=1, crashplan_removed=2, unreachable=1)
    table = [(run["run_id"], run["hosts"], [run["totals"][s] for s in mig.STAGES]) for run in section["per_run"]]
    assert table == [
        # run       hosts  not  client settings waiting removed failed unreachable
        ("run-1", 4, [1, 2, 0, 1, 0, 0, 0]),
        ("run-2", 5, [1, 0, 2, 1, 1, 0, 0]),
        ("run-3", 4, [1, 0, 0, 1, 1, 0, 1]),
    ]
    assert section["per_run"][1]["by_department"]["dept_chimie"]["settings_applied"] == 2
    assert section["per_run"][2]["playbook"] == "site"


def test_a_machines_path_and_its_time_in_stage():
    section = mig.migration_section(HISTORY, now=NOW)
    machines = dict((m["host"], m) for m in section["machines"])
    assert [(s["stage"], s["code"], s["run_id"], s["runs"]) for s in machines["pc-a"]["path"]] == [
        ("client_installed", "client_installed", "run-1", 1),
        ("settings_applied", "settings_applied", "run-2", 1),
        ("waiting_for_backup", "waiting_for_backup", "run-3", 1),
        ("crashplan_removed", "crashplan_removed", "run-3", 1),
    ]
    b = machines["pc-b"]
    # deferred then waiting: two codes, one report stage, since the oldest run
    assert [s["code"] for s in b["path"]] == ["first_backup_deferred", "waiting_for_backup"]
    assert (b["stage"], b["since"], b["runs_in_stage"], b["since_first_run"], b["days_in_stage"]) == (
        "waiting_for_backup", "2026-12-03T00:00:01Z", 3, True, 3)
    c = machines["pc-c"]
    assert (c["stage"], c["last_stage"], c["runs_in_stage"], c["since_first_run"]) == (
        "unreachable", "settings_applied", 1, False)
    assert machines["pc-a"]["last_stage"] is None and machines["pc-e"]["since_first_run"] is True


def test_the_machines_stuck_longest_first_with_their_fix():
    section = mig.migration_section(HISTORY, now=NOW)
    # done machines (pc-a removed, pc-d without CrashPlan) are not stuck; the oldest stage first
    assert [(m["host"], m["stage"]) for m in section["stuck"]] == [
        ("pc-b", "waiting_for_backup"), ("pc-e", "not_started"), ("pc-c", "unreachable")]
    assert section["stuck_total"] == 3
    b = section["stuck"][0]
    assert b["reason"] == "" and "first Comet backup" in b["fix"] and "remove_crashplan" in b["fix"]
    assert "It had reached: settings applied." in section["stuck"][2]["fix"]
    assert "path" not in b
    assert [m["host"] for m in mig.migration_section(HISTORY, now=NOW, stuck_max=1)["stuck"]] == ["pc-b"]
    assert mig.stuck_line(b) == ("pc-b (dept_bio, pc-b): waiting for a working backup since 2026-12-03 (3 days), since "
                                 "the oldest run")


def device(account, name, **extra):
    view = {"account": account, "device_id": "id-" + name, "name": name, "status": "ok", "findings": [],
            "last_working_iso": None}
    view.update(extra)
    return view


@pytest.mark.parametrize("host,account,devices,expected", [
    ("pc-b", "pc-b", [device("pc-b", "PC-B"), device("pc-b", "other")], "PC-B"),          # the host's short name, any case
    ("pc-b.unil.ch", "pc-b", [device("pc-b", "pc-b"), device("pc-b", "x")], "pc-b"),
    ("pc-b", "pc-b", [device("pc-b", "laptop")], "laptop"),                                # the account's only device
    ("pc-b", "pc-b", [device("pc-b", "one"), device("pc-b", "two")], None),
    ("pc-b", "nobody", [device("pc-b", "pc-b")], None),
])
def test_a_machines_device_on_the_server(host, account, devices, expected):
    found = mig.host_device(host, account, mig.device_index({"devices": devices}))
    assert (found or {}).get("name") == expected


@pytest.mark.parametrize("stage,reason,dev,has,has_not", [
    ("waiting_for_backup", "", device("a", "pc", last_working_iso="2026-12-05T20:00:00Z"),
     ["working backup on 2026-12-05", "remove_crashplan.yml now"], []),
    ("waiting_for_backup", "", device("a", "pc", known_problems=[
        {"id": "storage_vault_corrupted", "title": "Storage Vault corrupted", "fix": "Ask for a new Storage Vault."}]),
     ["Storage Vault corrupted - Ask for a new Storage Vault."], ["working backup on"]),
    ("waiting_for_backup", "deferred:vpn", device("a", "pc", findings=["never_backed_up"]),
     ["Pulse Secure VPN", "never_backed_up"], []),
    ("settings_applied", "comet_not_logged_in", None, ["not logged in", "No device of account a named pc"], []),
    ("not_started", "", None, ["site.yml"], ["No device"]),
])
def test_fix_from_the_codes_and_the_server(stage, reason, dev, has, has_not):
    machine = {"host": "pc", "account": "a", "stage": stage, "reason": reason, "last_stage": None}
    fix = mig.machine_fix(machine, dev)
    assert all(text in fix for text in has), fix
    assert not any(text in fix for text in has_not), fix


def test_stuck_machine_linked_to_its_device_in_the_report():
    report = {"devices": [device("pc-b", "pc-b", status="error", findings=["never_backed_up"])]}
    section = mig.migration_section(HISTORY, report=report, now=NOW)
    b = section["stuck"][0]
    assert b["device"] == {"device_id": "id-pc-b", "name": "pc-b", "status": "error", "findings": ["never_backed_up"],
                           "known_problems": [], "last_working_iso": None}
    assert "never_backed_up" in b["fix"]
    assert section["stuck"][1]["device"] is None


def test_empty_and_torn_history():
    section = mig.migration_section([], now=NOW)
    assert (section["runs"], section["hosts"], section["per_run"], section["stuck"]) == (0, 0, [], [])
    assert section["totals"] == dict((stage, 0) for stage in mig.STAGES)
    lines = ['{"version": 1, "run_id": "r", "playbook": "site", "time": "2026-12-03T00:00:00Z", "host": "h", '
             '"department": "", "account": "", "stage": "failed", "reason": ""}\n', '{"version": 1, "run_']
    records = parse_lines(lines)
    section = mig.migration_section(records, now=NOW, skipped=records.skipped)
    assert (section["hosts"], section["skipped_lines"], section["totals"]["failed"]) == (1, 1, 1)
    assert section["machines"][0]["last_stage"] == "not_started"


def test_the_lines_the_role_prints():
    section = dict(mig.migration_section(HISTORY, now=NOW), history_path="/h.jsonl")
    assert mig.summary_lines(section, stuck=2) == [
        "Migration (/h.jsonl: 3 run(s), 5 machine(s)): not started 1, client installed 0, settings applied 0, waiting for "
        "a working backup 1, CrashPlan removed 2, failed 0, unreachable 1",
        "Stuck longest (3 not done): pc-b (dept_bio, pc-b): waiting for a working backup since 2026-12-03 (3 days), since "
        "the oldest run; pc-e (dept_chimie, pc-e): not started since 2026-12-03 (3 days), since the oldest run"]
    assert mig.summary_lines(mig.migration_section([], now=NOW)) == [
        "Migration (history: 0 run(s), 0 machine(s)): not started 0, client installed 0, settings applied 0, waiting for "
        "a working backup 0, CrashPlan removed 0, failed 0, unreachable 0"]
    assert mig.summary_lines(None) == []


def test_the_filter():
    lines = FilterModule().filters()["fleet_report_migration_lines"]
    assert len(lines(mig.migration_section(HISTORY, now=NOW), stuck=1)) == 2
    with pytest.raises(AnsibleFilterError, match="must be the migration section"):
        lines("nope")
