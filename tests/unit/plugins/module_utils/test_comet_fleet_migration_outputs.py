# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration section in the HTML page (_comet_fleet_html) and in the Prometheus file (_comet_fleet_metrics): the
counts the section holds, escaped, every stage a gauge per department."""
from __future__ import annotations

import re

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_html as page
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_metrics as metrics
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_migration as mig
from ansible_collections.unil.backup.plugins.module_utils._migration_history import make_record

DAY = 86400
T0 = 1796256000  # 2026-12-03T00:00:00Z
EVIL = "<img src=x onerror=alert(1)>"


def history():
    def rec(run, host, stage, department="dept_chimie", account="acct"):
        return make_record("run-%d" % run, "site", host, stage, department=department, account=account,
                           when=T0 + run * DAY)
    return [rec(1, "pc-a", "client_installed"), rec(1, EVIL, "not_started", department=""),
            rec(2, "pc-a", "waiting_for_backup"), rec(2, EVIL, "unreachable", department=""),
            rec(3, "pc-a", "crashplan_removed"), rec(3, "pc-b", "failed", department="dept_bio")]


def report_with(section):
    return {"summary": {"now": T0 + 5 * DAY, "now_iso": "2026-12-08T00:00:00Z", "week_days": 7}, "findings": [],
            "accounts": [], "devices": [], "migration": section}


def test_the_html_section():
    section = mig.migration_section(history(), now=T0 + 5 * DAY)
    html = page.render_html(report_with(section))
    part = html.split('<section id="migration">')[1].split("</section>")[0]
    # the cards: the machines per stage now
    cards = dict(re.findall(r'id="migration-count-([a-z_]+)"><b>(\d+)</b>', part))
    assert cards == {"not_started": "0", "client_installed": "0", "settings_applied": "0", "waiting_for_backup": "0",
                     "crashplan_removed": "1", "failed": "1", "unreachable": "1"}
    # one chart for the fleet over the runs, one per department ((none), dept_bio, dept_chimie)
    assert part.count('<svg class="chart"') == 4
    # a bar per run and stage with machines: the fleet's 3 runs have 2 each; (none) 1 + 1, dept_bio 1, dept_chimie 3
    assert part.count("<rect x=") == 6 + 2 + 1 + 3
    assert part.count('<ul class="legend">') == 1    # the legend once, under the fleet's chart
    rows = re.findall(r"<tr><td>([^<]*)</td>((?:<td class=\"num\">\d+</td>)+)</tr>", part)
    assert [(name, re.findall(r">(\d+)<", cells)) for name, cells in rows] == [
        ("(none)", ["0", "0", "0", "0", "0", "0", "1", "1"]),
        ("dept_bio", ["0", "0", "0", "0", "0", "1", "0", "1"]),
        ("dept_chimie", ["0", "0", "0", "0", "1", "0", "0", "1"])]
    # the host name from the history is text, never markup
    assert EVIL not in html and page.e(EVIL) in part
    assert 'id="migration-stuck"' in part and part.index(page.e(EVIL)) < part.index("pc-b")


def test_the_html_section_without_machines_and_without_migration():
    empty = dict(mig.migration_section([], now=T0), history_found=False)
    part = page.render_html(report_with(empty)).split('<section id="migration">')[1].split("</section>")[0]
    assert 'id="migration-empty"' in part and "the file does not exist" in part and "<svg" not in part
    without = report_with(None)
    del without["migration"]
    assert 'id="migration"' not in page.render_html(without)


def test_the_page_keeps_its_content_security_policy():
    html = page.render_html(report_with(mig.migration_section(history(), now=T0 + 5 * DAY)))
    assert html.count("<script") == 1 and ' style="' not in html and "http" not in html.split("<body>")[1].replace(
        "https://www.gnu.org", "")


def test_the_gauges_per_department_and_stage():
    parser = pytest.importorskip("prometheus_client.parser")
    section = mig.migration_section(history(), now=T0 + 5 * DAY)
    text = metrics.render_textfile(report_with(section))
    families = dict((f.name, f) for f in parser.text_string_to_metric_families(text))
    hosts = dict(((s.labels["department"], s.labels["stage"]), s.value) for s in families["unil_backup_migration_hosts"].samples)
    assert len(hosts) == 3 * len(mig.STAGES)
    assert dict((k, v) for k, v in hosts.items() if v) == {("(none)", "unreachable"): 1, ("dept_bio", "failed"): 1,
                                                           ("dept_chimie", "crashplan_removed"): 1}
    stuck = dict((s.labels["department"], s.value) for s in families["unil_backup_migration_stuck_hosts"].samples)
    assert stuck == {"(none)": 1, "dept_bio": 1, "dept_chimie": 0}
    since = dict((s.labels["department"], s.value)
                 for s in families["unil_backup_migration_oldest_stage_since_timestamp_seconds"].samples)
    assert since == {"(none)": T0 + 2 * DAY, "dept_bio": T0 + 3 * DAY}
    assert families["unil_backup_migration_runs"].samples[0].value == 3
    assert families["unil_backup_migration_history_skipped_lines"].samples[0].value == 0
    assert all(f.type == "gauge" for f in families.values())
    # without the section, no migration gauge
    assert "unil_backup_migration_" not in metrics.render_textfile({"devices": [], "findings": []})
