# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration's history: playbooks/site.yml's summary play (and remove_crashplan.yml's), as written there, after a
play standing for the migration (each host read once - a ping - and one host failing), run twice with real
ansible-playbook: one record per host per run in the history under ANSIBLE_HOME, a failed host recorded 'failed', a
host the second run cannot reach (ssh to a closed port) recorded 'unreachable' and named in the summary with the stage
it reached in the first run; the stats kept for AWX (set_stats); check mode and an empty path write nothing."""
from __future__ import annotations

import json
import os
import re

import yaml

from playbook_runner import ROOT

from ansible_collections.unil.backup.plugins.module_utils import _migration_history as hist

SITE = os.path.join(ROOT, "playbooks", "site.yml")
REMOVE = os.path.join(ROOT, "playbooks", "remove_crashplan.yml")
KEPT = {"stage": "kept_gate_closed", "present_before": True, "removed": False,
        "gate": {"code": "comet_not_logged_in", "open": False}}
HOSTS = {
    "lab-removed": {"crashplan_removal_result": {"stage": "removed", "present_before": True, "removed": True,
                                                 "gate": {"code": "open", "open": True}},
                    "comet_config_account": "pnom"},
    "lab-broken": {"comet_client_installed": True},
    "lab-fresh": {},
    "lab-off": {"crashplan_removal_result": KEPT},
}
UNREACHABLE = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "nobody",
               "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no -o BatchMode=yes"}


def inventory(tmp_path, off=False):
    """lab-off reachable with its facts, or (``off``) unreachable and without facts."""
    hosts = dict((name, dict(facts, ansible_connection="local")) for name, facts in HOSTS.items())
    if off:
        hosts["lab-off"] = dict(UNREACHABLE)
    groups = {"dept_chimie": {"hosts": dict((h, hosts[h]) for h in ("lab-removed", "lab-broken"))},
              "dept_bio": {"hosts": dict((h, hosts[h]) for h in ("lab-fresh", "lab-off"))}}
    path = tmp_path / ("hosts-off.yml" if off else "hosts.yml")
    path.write_text(yaml.safe_dump({"all": {"children": groups,
                                            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def playbook(tmp_path, source):
    """A play standing for the migration (a ping of each host, lab-broken fails), then ``source``'s last play (its
    summary) as written there."""
    with open(source, encoding="utf-8") as handle:
        summary = yaml.safe_load(handle)[-1]
    assert summary["tasks"][0]["name"].startswith("Record the stage each host reached"), summary
    migration = {"name": "The migration, standing in", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "Read the host", "ansible.builtin.ping": None},
        {"name": "Fail lab-broken", "ansible.builtin.fail": {"msg": "broken"},
         "when": "inventory_hostname == 'lab-broken'"}]}
    path = tmp_path / ("play-%s" % os.path.basename(source))
    path.write_text(yaml.safe_dump([migration, summary], sort_keys=False))
    return str(path)


def default_history(tmp_path):
    # playbook_runner gives each test its ANSIBLE_HOME under tmp_path; the history's default is under it
    return hist.default_path(os.path.join(str(tmp_path), "ansible-home"))


def custom_stats(out):
    """The custom stats migration_record kept for the run (no set_stats task) (ANSIBLE_SHOW_CUSTOM_STATS)."""
    match = re.search(r"RUN: (\{.*\})\s*$", out[out.index("CUSTOM STATS"):], re.M)
    return json.loads(match.group(1))


def test_two_runs_of_site_then_a_host_that_is_off(tmp_path, run_playbook):
    play = playbook(tmp_path, SITE)
    path = default_history(tmp_path)
    rc, first = run_playbook("-i", inventory(tmp_path), play, ANSIBLE_SHOW_CUSTOM_STATS="1")
    assert rc != 0, first  # lab-broken failed
    records = hist.read_records(path)
    assert len(records) == 4 and records.skipped == 0, first
    got = dict((r["host"], (r["stage"], r["reason"], r["department"], r["account"])) for r in records)
    assert got == {"lab-removed": ("crashplan_removed", "", "dept_chimie", "pnom"),
                   "lab-broken": ("failed", "", "dept_chimie", ""),
                   "lab-fresh": ("not_started", "", "dept_bio", ""),
                   "lab-off": ("crashplan_kept", "comet_not_logged_in", "dept_bio", "")}
    assert all(r["playbook"] == "site" and r["version"] == 1 for r in records)
    assert len(set(r["run_id"] for r in records)) == 1
    stats = custom_stats(first)["unil_backup_migration"]
    assert stats["run_id"] == records[0]["run_id"] and stats["playbook"] == "site"
    assert stats["hosts"]["lab-off"] == {"stage": "crashplan_kept", "reason": "comet_not_logged_in"}

    rc, second = run_playbook("-i", inventory(tmp_path, off=True), play, ANSIBLE_SHOW_CUSTOM_STATS="1")
    assert rc != 0 and "UNREACHABLE!" in second, second
    records = hist.read_records(path)
    assert len(records) == 2 * 4 and records.skipped == 0
    runs = hist.counts_by_run(records)
    assert len(runs) == 2 and runs[0]["run_id"] != runs[1]["run_id"]
    assert runs[1]["counts"] == {"dept_chimie": {"crashplan_removed": 1, "failed": 1},
                                 "dept_bio": {"not_started": 1, "unreachable": 1}}
    latest = hist.latest_by_host(records)
    assert (latest["lab-off"]["stage"], latest["lab-off"]["last_stage"], latest["lab-off"]["last_reason"]) == (
        "unreachable", "crashplan_kept", "comet_not_logged_in")
    assert latest["lab-broken"]["stage"] == "failed"
    # the summary names it unreachable, with the stage it last reached; the failed host stays failed
    assert '"lab-off              unreachable, last reached: CrashPlan kept: Comet Backup is not logged in' in second, second
    assert '"lab-broken           failed (see above)' in second and '"   1  unreachable"' in second, second
    assert custom_stats(second)["unil_backup_migration"]["hosts"]["lab-off"] == {"stage": "unreachable", "reason": ""}

    # the host is back: the next run records it from what the run reads again
    rc, third = run_playbook("-i", inventory(tmp_path), play)
    records = hist.read_records(path)
    assert len(records) == 3 * 4 and hist.latest_by_host(records)["lab-off"]["stage"] == "crashplan_kept", third


def test_check_mode_and_an_empty_path_write_nothing(tmp_path, run_playbook):
    play = playbook(tmp_path, SITE)
    rc, out = run_playbook("-i", inventory(tmp_path), play, "--check")
    assert rc != 0 and '"lab-removed          CrashPlan removed' in out, out
    assert not os.path.exists(default_history(tmp_path))
    rc, out = run_playbook("-i", inventory(tmp_path), play, "-e", "unil_backup_history_path=''")
    assert rc != 0 and '"lab-removed          CrashPlan removed' in out, out
    assert not os.path.exists(default_history(tmp_path))


def test_remove_crashplan_records_its_run(tmp_path, run_playbook):
    path = tmp_path / "custom" / "history.jsonl"
    rc, out = run_playbook("-i", inventory(tmp_path, off=True), playbook(tmp_path, REMOVE),
                           "-e", "unil_backup_history_path=%s" % path)
    assert rc != 0, out
    records = hist.read_records(str(path))
    assert sorted((r["host"], r["stage"]) for r in records) == [
        ("lab-broken", "failed"), ("lab-fresh", "not_started"), ("lab-off", "unreachable"),
        ("lab-removed", "crashplan_removed")]
    assert set(r["playbook"] for r in records) == {"remove_crashplan"}
