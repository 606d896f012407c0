# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report as one HTML page (_comet_fleet_html, filter fleet_report_html) and the per-day job counts it draws
(_comet_fleet: summary.jobs_per_day, history_days). Reports are computed by _comet_fleet.fleet_report from fleets
described here, as the server would answer them (Protected Items' Statistics + the jobs of the range read).
The page in a real browser: tests/integration/test_fleet_report_html_browser.py."""
from __future__ import annotations

import base64
import hashlib
import html
import random
import re
import time

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.fleet_report_html import fleet_report_html
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet as fleet
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_html as fh
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

NOW = 1795435200  # 2026-11-23T12:00:00Z
DAY = 86400
EVIL = '<script>alert("x")</script>'


def build(spec, now=NOW, read_days=7):
    """(profiles, jobs read over the last ``read_days`` days) of ``spec``: {account: {"suspended_ago": days,
    "devices": {device_id: {"name", "os", "version", "jobs": [(days ago, status), ...]}}}}."""
    profiles, jobs = {}, []
    for account, acc in spec.items():
        profile = {"Username": account, "AccountName": account, "Devices": {}, "Sources": {}}
        if acc.get("suspended_ago") is not None:
            profile.update(IsSuspended=True, LastSuspended=now - acc["suspended_ago"] * DAY)
        for device_id, dev in (acc.get("devices") or {}).items():
            profile["Devices"][device_id] = {"FriendlyName": dev.get("name", device_id),
                                             "PlatformVersion": {"os": dev.get("os", "linux")},
                                             "ClientVersion": dev.get("version", "24.6.0")}
            source = profile["Sources"]["src-" + device_id] = {"OwnerDevice": device_id}
            for i, (ago, status) in enumerate(sorted(dev.get("jobs") or [], key=lambda j: -j[0])):
                end = now - int(ago * DAY)
                job = {"GUID": "%s-%d" % (device_id, i), "Username": account, "DeviceID": device_id,
                       "Classification": 4001, "Status": status, "StartTime": end - 600, "EndTime": end,
                       "SourceGUID": "src-" + device_id}
                stats = source.setdefault("Statistics", {})
                stats["LastBackupJob"] = dict(job)
                if 5000 <= status <= 5999:
                    stats["LastSuccessfulBackupJob"] = dict(job)
                if end >= now - read_days * DAY:
                    jobs.append(job)
        profiles[account] = profile
    return profiles, jobs


def report_of(spec, history_days=None, **options):
    read_days = max(history_days if isinstance(history_days, int) else 0, options.get("week_days", 7))
    profiles, jobs = build(spec, read_days=read_days)
    return fleet.fleet_report(profiles, {}, jobs, NOW, history_days=history_days, **options)


def daily(days, status=5000, start=0.5):
    return [(start + k, status) for k in range(days)]


# One device per state, plus account findings; names chosen so that every state is in the table or not.
FLEET = {
    "alice": {"devices": {"alice-ok": {"name": "PC-ALICE", "jobs": daily(10)}}},
    "bob": {"devices": {"bob-warn": {"name": "MAC-BOB", "os": "darwin", "jobs": daily(10)[1:] + [(0.2, 7001)]},
                        "bob-old": {"name": "MAC-OLD", "os": "darwin", "jobs": [(200, 5000)]}}},
    "carol": {},
    "dave": {"devices": {"dave-fail": {"name": "LIN-DAVE", "jobs": daily(10)[1:] + [(0.2, 7002)]}}},
    "erin": {"devices": {"erin-never": {"name": EVIL, "jobs": []}}},
    "frank": {"devices": {"frank-quiet": {"name": "PC-FRANK", "jobs": [(20, 5000)]}}},
    "gina": {"suspended_ago": 3, "devices": {"gina-ok": {"name": "PC-GINA", "version": "23.1.0", "jobs": daily(5)}}},
    "hugo": {"devices": {"hugo-errors": {"name": "PC-HUGO", "jobs": [(1, 7002), (2, 7007), (9, 5000)]}}},
}
DEPARTMENTS = {"alice": "dept_chimie", "bob": "dept_chimie", "dave": "dept_lettres",
               "erin": 'dept_<img src=x onerror="1">'}


def cards(page):
    return dict((k, int(v)) for k, v in re.findall(r'id="count-([a-z_]+)"><b>(\d+)</b>', page))


def table_rows(page):
    body = page.split('<table id="action-table">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def test_device_states_and_summary_counts():
    rep = report_of(FLEET, min_client_version="24.6.0")
    states = dict((d["device_id"], fh.device_state(d)) for d in rep["devices"])
    assert states == {"alice-ok": "working", "bob-warn": "warning", "bob-old": "obsolete", "dave-fail": "failing",
                      "erin-never": "never", "frank-quiet": "no_jobs", "gina-ok": "working", "hugo-errors": "failing"}
    page = fh.render_html(rep, DEPARTMENTS)
    # Warning is a working backup: counted in "working", and shown apart
    assert cards(page) == {"devices": 8, "accounts": 8, "departments": 7, "working": 3, "warning": 1, "failing": 2,
                           "obsolete": 1, "no_jobs": 1, "never": 1,
                           # 5 devices not working + gina's outdated client + carol (no device) + gina (closing)
                           "action": 8}


def test_table_rows_reason_and_fix():
    rep = report_of(FLEET, min_client_version="24.6.0")
    rows = fh.action_rows(rep, DEPARTMENTS)
    lines = [(r["severity"], r["state"], r["account"], r["device_id"]) for r in rows]
    assert lines == [
        ("critical", "obsolete", "bob", "bob-old"),
        ("error", "never", "erin", "erin-never"),
        ("error", "failing", "dave", "dave-fail"),
        ("error", "failing", "hugo", "hugo-errors"),
        ("error", "no_jobs", "frank", "frank-quiet"),
        ("warning", "working", "gina", "gina-ok"),        # outdated client only
        ("warning", None, "carol", ""),                    # no device
        ("warning", None, "gina", ""),                     # account closing
    ]
    assert [r["department"] for r in rows][:3] == ["dept_chimie", 'dept_<img src=x onerror="1">', "dept_lettres"]
    page = fh.render_html(rep, DEPARTMENTS)
    html_rows = table_rows(page)
    assert len(html_rows) == len(rows)
    assert "<b>Backup obsolete</b>: No working backup for 200 days (last one on 2026-05-07" in html_rows[0]
    assert fh.FIXES["obsolete"][:40] in html.unescape(html_rows[0])
    assert "The last backup job ended Abandoned" not in page  # hugo's last job is an Error
    assert "Every backup job of the last 7 days ended Abandoned or Error (Error 1, Abandoned 1)." in html.unescape(page)
    assert "The account has no computer." in html_rows[6]
    assert "its backups are deleted on 2026-12-04 (in 11 day(s))" in html_rows[7]
    # sort keys: severity rank, state rank, age of the last working backup (never = 999999)
    assert html_rows[0].startswith('<tr><td data-sort="4">')
    assert 'data-sort="999999">never</td>' in html_rows[1]
    assert 'data-sort="200">2026-05-07<br>200 day(s) ago</td>' in html_rows[0]


def test_fix_and_known_problems_of_the_findings_are_shown():
    rep = report_of(FLEET)
    problem = {"id": "macos_full_disk_access", "title": "Full Disk Access missing", "reason": "TCC <denied>",
               "fix": "Install the PPPC profile & approve it", "line": "E: operation not permitted " + EVIL}
    for f in rep["findings"]:
        if f["device_id"] == "dave-fail":
            f["fix"] = "Own fix of the finding <b>"
            f["known_problems"] = [problem]
    # a device without finding but with a known problem in its Warning job's log needs action too
    for d in rep["devices"]:
        if d["device_id"] == "bob-warn":
            d["known_problems"] = [dict(problem, id="macos_onedrive_old", title="OneDrive too old",
                                        fix="Update OneDrive")]
    rows = dict((r["device_id"], r) for r in fh.action_rows(rep))
    assert "bob-warn" in rows and rows["bob-warn"]["state"] == "warning"
    page = fh.render_html(rep)
    row = [r for r in table_rows(page) if "LIN-DAVE" in r][0]
    assert "<b>Known problem</b>: Full Disk Access missing - TCC &lt;denied&gt;" in row
    assert "Install the PPPC profile &amp; approve it" in row and "Own fix of the finding &lt;b&gt;" in row
    assert row.index("Install the PPPC profile") < row.index("Own fix of the finding")   # the precise fix first
    assert "log: <code>E: operation not permitted &lt;script&gt;" in row
    assert fh.FIXES["last_job_failed"] not in html.unescape(row)   # the finding's own fix replaces the default
    assert "OneDrive too old" in page


def test_everything_is_escaped():
    rep = report_of(FLEET)
    evil_title = '</title><script>alert(2)</script>'
    page = fh.render_html(rep, dict(DEPARTMENTS, alice=EVIL), title=evil_title)
    # the page's own script is the only one, and nothing from the data opens a tag
    assert page.count("<script") == 1
    assert "<img" not in page and 'onerror="1"' not in page
    assert html.escape(EVIL) in page and html.escape(evil_title) in page
    assert "<title>%s</title>" % html.escape(evil_title) in page
    # in the SVG labels too (department names)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.split('id="charts"')[1].split("</section>")[0]


def test_content_security_policy_allows_only_the_pages_own_style_and_script():
    page = fh.render_html(report_of(FLEET))
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1))
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    for text in (style, script):
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assert "'sha256-%s'" % digest in csp
    assert csp.startswith("default-src 'none';") and "unsafe-inline" not in csp
    # nothing is loaded from anywhere: no URL of another origin, no style attribute (the CSP would block it)
    assert not re.search(r"(src|href)=", page) and "http://" not in page and "https://" not in page
    assert " style=" not in page and "<link" not in page and "@import" not in page


def test_charts_are_inline_svg():
    rep = report_of(FLEET, history_days=14)
    page = fh.render_html(rep, DEPARTMENTS)
    assert page.count('<svg class="chart"') == 3
    days = rep["summary"]["jobs_per_day"]
    assert len(days) == 15 and list(days)[0] == "2026-11-09" and list(days)[-1] == "2026-11-23"
    # one bar piece per (day, status) with a count, its figure in its tooltip
    for day, counts in days.items():
        for label, n in counts.items():
            assert "<title>%s: %s %d</title>" % (day, label, n) in page
    # per department: the jobs of the recent window (devices' week counts) and the devices by state
    assert "<title>dept_chimie: Success 13 job(s)</title>" in page   # alice 7, bob 6 (and bob's Warning)
    assert "<title>dept_chimie: Warning 1 job(s)</title>" in page
    assert "<title>dept_chimie: Obsolete 1 device(s)</title>" in page
    assert "<title>dept_lettres: Error 1 job(s)</title>" in page


def test_jobs_per_day_and_a_longer_history_do_not_change_the_findings():
    week = report_of(FLEET, min_client_version="24.6.0")
    month = report_of(FLEET, min_client_version="24.6.0", history_days=28)
    assert month["findings"] == week["findings"] and month["devices"] == week["devices"]
    assert week["summary"]["history_days"] == 7 and month["summary"]["history_days"] == 28
    per_day = month["summary"]["jobs_per_day"]
    assert list(per_day) == sorted(per_day) and len(per_day) == 29
    assert per_day["2026-10-26"] == {}          # the first (partial) day of the range: nothing
    # frank's Success 20 days ago at 12:00 is counted on its day; bob's old one (200 days) is outside
    assert per_day["2026-11-03"].get("Success", 0) >= 1
    total = sum(n for counts in per_day.values() for n in counts.values())
    assert total == sum(1 for acc in FLEET.values() for dev in (acc.get("devices") or {}).values()
                        for ago, dummy in dev["jobs"] if ago <= 28)
    assert per_day["2026-11-22"] == {"Success": 4, "Error": 1}   # alice, bob-warn, dave, gina; hugo's Error
    assert per_day["2026-11-23"] == {"Success": 2, "Warning": 1, "Error": 1}
    # the default (no history_days): the recent window only
    assert len(week["summary"]["jobs_per_day"]) == 8


@pytest.mark.parametrize("value", [0, -1, 401, True, "28"])
def test_history_days_out_of_range_names_the_option(value):
    with pytest.raises(CometInputError) as err:
        report_of(FLEET, history_days=value)
    assert err.value.option == "history_days"
    assert fleet.check_history_days(3, 7) == 7 and fleet.check_history_days(None, 7) == 7


def test_empty_fleet():
    rep = fleet.fleet_report({}, {}, [], NOW, history_days=28)
    page = fh.render_html(rep)
    assert cards(page) == dict((k, 0) for k in ("devices", "accounts", "departments", "working", "warning", "failing",
                                                "obsolete", "no_jobs", "never", "action"))
    assert 'id="action-table"' not in page and 'id="no-action"' in page
    assert "No backup job in this period." in page and "Nothing to draw." in page
    assert page.rstrip().endswith("</html>")
    # even a bare dict renders
    assert "<!DOCTYPE html>" in fh.render_html({})


def test_same_input_same_page():
    rep = report_of(FLEET, history_days=28, min_client_version="24.6.0")
    assert fh.render_html(rep, DEPARTMENTS) == fh.render_html(rep, dict(reversed(list(DEPARTMENTS.items()))))


def test_filter_plugin():
    rep = report_of(FLEET)
    assert fleet_report_html(dict(rep, api={"reads": 3}, changed=False), {"alice": "dept_x"}, "T") == \
        fh.render_html(rep, {"alice": "dept_x"}, "T")
    with pytest.raises(AnsibleFilterError, match="result of unil.backup.comet_fleet_report"):
        fleet_report_html(["not", "a", "report"])
    with pytest.raises(AnsibleFilterError, match="departments must be a dict"):
        fleet_report_html(rep, ["dept_x"])


def large_fleet(accounts, seed=11):
    rng = random.Random(seed)
    spec = {}
    for a in range(accounts):
        devices = {}
        for d in range(rng.choice([0, 1, 1, 2, 3])):
            kind = rng.random()
            jobs = [] if kind < 0.03 else [(k + rng.random(), rng.choice([5000] * 8 + [7001, 7002, 7004, 7007]))
                                           for k in range(rng.choice([0, 0, 0, 9, 170]), 28)]
            devices["u%05d-d%d" % (a, d)] = {"name": "PC-%05d-%d" % (a, d), "jobs": jobs,
                                             "os": rng.choice(["linux", "windows", "darwin"])}
        spec["u%05d" % a] = {"devices": devices}
    return spec


def test_large_fleet_renders_fast():
    spec = large_fleet(5000)
    rep = report_of(spec, history_days=28, min_client_version="24.6.0")
    departments = dict((account, "dept_%02d" % (i % 40)) for i, account in enumerate(spec))
    started = time.time()
    page = fh.render_html(rep, departments)
    seconds = time.time() - started
    rows = len(fh.action_rows(rep, departments))
    assert cards(page)["devices"] == len(rep["devices"]) and len(table_rows(page)) == rows
    assert "30 more department" not in page and "10 more department(s)" in page   # 40 departments, 30 drawn
    print("figures: render_html of %d devices, %d accounts, %d rows that need action, 40 departments: %.2f s, %d KiB"
          % (len(rep["devices"]), len(rep["accounts"]), rows, seconds, len(page) // 1024))
