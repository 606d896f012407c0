# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's migration section (issue 26) through playbooks/report.yml (real ansible-playbook) against the
Comet Server stand-in, from a migration history of 3 runs written with the history's own writer: one host (lab-01)
moves from client installed to waiting for a working backup to CrashPlan removed; dave's lin-dave waits since the
oldest run (the server says why: no working backup); pc-erin is unreachable; gina-pc failed; a torn last line. The
JSON shows the counts per run and the host's path; Markdown, both CSV files and the Prometheus gauges carry the same
counts; the HTML page opened in headless chromium writes nothing to the console."""
from __future__ import annotations

import csv
import json
import os
import re

import pytest

from ansible_collections.unil.backup.plugins.module_utils._migration_history import append_records, make_record

from test_fleet_report import ADMIN, ADMIN_PASSWORD, FIXTURE, NOW, OVERLAY, STAMP, playbook
from test_fleet_report_html_browser import chromium, console_lines, run_browser

DAY = 86400
STAGES = ["not_started", "client_installed", "settings_applied", "waiting_for_backup", "crashplan_removed", "failed",
          "unreachable"]

pytestmark = pytest.mark.slow


@pytest.fixture
def server(comet_standin):
    return comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=[FIXTURE, OVERLAY])


def history(path):
    """The 3 runs, a day apart, the last one two days before the report's time; then a torn line."""
    def rec(run, host, stage, reason="", department="dept_chimie", account="", playbook_name="site"):
        return make_record("run-%d" % run, playbook_name, host, stage, reason=reason, department=department,
                           account=account, when=NOW - (5 - run) * DAY)

    append_records(path, [
        rec(1, "lab-01", "client_installed", account="alice"),
        rec(1, "lin-dave", "first_backup_deferred", "deferred:outside_window", account="dave"),
        rec(1, "pc-erin", "not_started", department="dept_bio", account="erin"),
    ])
    append_records(path, [
        rec(2, "lab-01", "first_backup_started", account="alice"),
        rec(2, "lin-dave", "waiting_for_backup", account="dave"),
        rec(2, "pc-erin", "unreachable", department="dept_bio", account="erin"),
        rec(2, "gina-pc", "settings_applied", department="dept_bio", account="gina"),
    ])
    append_records(path, [
        rec(3, "lab-01", "crashplan_removed", account="alice", playbook_name="remove_crashplan"),
        rec(3, "lin-dave", "waiting_for_backup", account="dave", playbook_name="remove_crashplan"),
        rec(3, "pc-erin", "unreachable", department="dept_bio", account="erin", playbook_name="remove_crashplan"),
        rec(3, "gina-pc", "failed", department="dept_bio", account="gina", playbook_name="remove_crashplan"),
    ])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"version": 1, "run_id": "run-4", "playbook": "si')   # a writer that died mid-line


def totals(run):
    return [run["totals"][stage] for stage in STAGES]


def test_migration_section_in_every_output(server, tmp_path):
    path = tmp_path / "history" / "migration-history.jsonl"
    history(str(path))
    out_dir = tmp_path / "reports"
    prom = tmp_path / "textfile" / "unil_backup.prom"
    prom.parent.mkdir()
    rc, out, dummy = playbook(server, tmp_path, {
        "fleet_report_dir": str(out_dir), "unil_backup_history_path": str(path),   # the role's default follows it
        "fleet_report_formats": ["markdown", "json", "csv", "html", "prometheus"],
        "fleet_report_prometheus_path": str(prom)}, hosts=1)
    assert rc == 0, out
    # the lines the role prints
    assert re.search(r"Migration \(\S+migration-history.jsonl: 3 run\(s\), 4 machine\(s\), 1 line\(s\) skipped\): not started 0, "
                     r"client installed 0, settings applied 0, waiting for a working backup 1, CrashPlan removed 1, failed 1, "
                     r"unreachable 1", out), out
    assert "Stuck longest (3 not done): lin-dave (dept_chimie, dave): waiting for a working backup since 2026-11-19" in out
    report = json.loads((out_dir / ("fleet-report-%s.json" % STAMP)).read_text())
    m = report["migration"]
    assert (m["runs"], m["hosts"], m["records"], m["skipped_lines"], m["history_found"]) == (3, 4, 11, 1, True)
    assert m["stages"] == STAGES
    # the counts per run: what each run recorded, by the report's stage
    assert [(r["run_id"], r["playbook"], r["hosts"], totals(r)) for r in m["per_run"]] == [
        #                          not  client settings waiting removed failed unreachable
        ("run-1", "site", 3, [1, 1, 0, 1, 0, 0, 0]),
        ("run-2", "site", 4, [0, 0, 1, 2, 0, 0, 1]),
        ("run-3", "remove_crashplan", 4, [0, 0, 0, 1, 1, 1, 1]),
    ]
    zero = dict((stage, 0) for stage in STAGES)
    assert m["by_department"] == {"dept_bio": dict(zero, failed=1, unreachable=1),
                                  "dept_chimie": dict(zero, waiting_for_backup=1, crashplan_removed=1)}
    # the host's path through the stages
    machines = dict((x["host"], x) for x in m["machines"])
    assert [(s["stage"], s["code"], s["run_id"]) for s in machines["lab-01"]["path"]] == [
        ("client_installed", "client_installed", "run-1"),
        ("waiting_for_backup", "first_backup_started", "run-2"),
        ("crashplan_removed", "crashplan_removed", "run-3")]
    assert machines["pc-erin"]["last_stage"] == "not_started"
    # stuck longest first: lin-dave waits since the oldest run; the server says why (its device never backed up)
    assert [(s["host"], s["stage"], s["since_first_run"]) for s in m["stuck"]] == [
        ("lin-dave", "waiting_for_backup", True), ("pc-erin", "unreachable", False), ("gina-pc", "failed", False)]
    dave = m["stuck"][0]
    assert dave["device"]["device_id"] == "lin-dave" and "never_backed_up" in dave["device"]["findings"]
    assert "never_backed_up" in dave["fix"] and dave["days_in_stage"] == 4 and dave["runs_in_stage"] == 3

    markdown = (out_dir / ("fleet-report-%s.md" % STAMP)).read_text()
    assert "## Migration from CrashPlan to Comet Backup" in markdown
    assert re.search(r"^\| run-3 \| \S+ \| remove_crashplan \| 0 \| 0 \| 0 \| 1 \| 1 \| 1 \| 1 \|$", markdown, re.M), markdown
    assert "| lin-dave | dept_chimie | dave | waiting for a working backup |" in markdown

    with open(str(out_dir / ("fleet-report-%s-migration-counts.csv" % STAMP)), newline="", encoding="utf-8") as handle:
        counts = list(csv.DictReader(handle))
    assert [(r["run_id"], r["department"], r["crashplan_removed"], r["machines"]) for r in counts] == [
        ("now", "dept_bio", "0", "2"), ("now", "dept_chimie", "1", "2"),
        ("run-1", "dept_bio", "0", "1"), ("run-1", "dept_chimie", "0", "2"),
        ("run-2", "dept_bio", "0", "2"), ("run-2", "dept_chimie", "0", "2"),
        ("run-3", "dept_bio", "0", "2"), ("run-3", "dept_chimie", "1", "2")]
    with open(str(out_dir / ("fleet-report-%s-migration-machines.csv" % STAMP)), newline="", encoding="utf-8") as handle:
        rows = dict((r["host"], r) for r in csv.DictReader(handle))
    assert sorted(rows) == ["gina-pc", "lab-01", "lin-dave", "pc-erin"]
    assert rows["lin-dave"]["since_first_run"] == "true" and "never_backed_up" in rows["lin-dave"]["fix"]
    assert rows["lab-01"]["stage"] == "crashplan_removed" and rows["lab-01"]["fix"] == ""

    parser = pytest.importorskip("prometheus_client.parser")
    families = dict((f.name, f) for f in parser.text_string_to_metric_families(prom.read_text()))
    hosts = dict(((s.labels["department"], s.labels["stage"]), s.value) for s in families["unil_backup_migration_hosts"].samples)
    assert len(hosts) == 2 * len(STAGES)
    assert hosts[("dept_chimie", "crashplan_removed")] == 1 and hosts[("dept_bio", "unreachable")] == 1
    assert hosts[("dept_bio", "not_started")] == 0
    stuck = dict((s.labels["department"], s.value) for s in families["unil_backup_migration_stuck_hosts"].samples)
    assert stuck == {"dept_bio": 2, "dept_chimie": 1}
    assert families["unil_backup_migration_runs"].samples[0].value == 3

    # the page in a browser: no console message (no JS error, no CSP violation), the section and its charts drawn
    page = out_dir / ("fleet-report-%s.html" % STAMP)
    browser = chromium()
    proc, seconds = run_browser(browser, tmp_path / "profile", "--dump-dom", "file://%s" % page)
    assert proc.returncode == 0, proc.stderr[-3000:]
    dom = proc.stdout
    print("chromium --dump-dom of the report with its migration section: %.1f s, %d bytes" % (seconds, len(dom)))
    assert console_lines(proc.stderr) == [], "the page wrote to the console (JS error, CSP violation...)"
    assert 'data-ready="1"' in re.search(r"<body([^>]*)>", dom).group(1)
    section = dom.split('<section id="migration">')[1].split("</section>")[0]
    # the fleet's chart over the runs and one per department
    assert section.count('<svg class="chart"') == 3
    assert 'id="migration-stuck"' in section and section.index("lin-dave") < section.index("pc-erin")
    assert re.search(r'id="migration-count-crashplan_removed"><b>1</b>', section)


def test_no_history_no_section(server, tmp_path):
    """Without a history file there is no section: the role's default (the file site.yml writes by default, not there
    yet in this test's Ansible home) and a path not written yet both leave it out (no empty charts, no empty CSV)."""
    out_dir = tmp_path / "reports"
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir), "fleet_report_formats": ["json"],
                                                 "fleet_report_timestamp": False}, hosts=1)
    assert rc == 0, out
    assert json.loads((out_dir / "fleet-report.json").read_text())["migration"] is None
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir), "fleet_report_formats": ["json", "csv"],
                                                 "fleet_report_timestamp": False,
                                                 "fleet_report_history_path": str(tmp_path / "none.jsonl")}, hosts=1)
    assert rc == 0, out
    assert json.loads((out_dir / "fleet-report.json").read_text())["migration"] is None
    assert sorted(os.listdir(str(out_dir))) == ["fleet-report-findings.csv", "fleet-report.json"]
