# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/report.yml (role unil.backup.fleet_report) run by real ansible-playbook against the Comet Server stand-in
seeded with fixtures/fleet_report.json: the report's findings, its files, one server read per endpoint whatever the
number of hosts, fail_on, check mode, bad input; plus figures on a generated larger fleet (printed, not asserted)."""
from __future__ import annotations

import csv
import json
import os
import random
import re
import sys
import time

import pytest
import yaml

from playbook_runner import run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "fleet_report.json")
PLAYBOOK = os.path.join(ROOT, "playbooks", "report.yml")
ADMIN = "fleet-admin"
ADMIN_PASSWORD = "Fl33t-pl4ybook-never-printed"
NOW = 1795435200  # 2026-11-23T12:00:00Z, the fixture's reference time
STAMP = "20261123T120000Z"
FLEET_ENDPOINTS = ["dispatcher/list-active", "get-jobs-for-date-range", "list-users-full"]
# The module also reads the last job's log of each device whose last job ended Error or Warning: lin-dave's here.
LOG_READS = "get-job-log-entries"

with open(os.path.join(os.path.dirname(FIXTURE), "fleet_report.expected.json"), encoding="utf-8") as _handle:
    _EXPECTED_FILE = json.load(_handle)["findings"]
# The rules of issue 13 (the mails as the service means them): obsolete is more than 5 calendar months (at NOW, before
# 2026-06-23T12:00:00Z, 153 days), so ivan's device 150 days + 1 s ago is no longer obsolete; dave's week of Errors
# only is the weekly report's signal. Written so that it holds before and after fleet_report.expected.json says so.
# A suspended account added to the fixture (seed 001: its backups are deleted 14 days after the suspension):
# suspended 2026-11-13T12:00:00Z, deleted on 2026-11-27.
OVERLAY = {"users": {"kate": {"password": "kate-pw-Xy12", "profile": {"AccountName": "Kate", "IsSuspended": True,
                                                                      "LastSuspended": 1794571200, "Sources": {}}}}}
EXPECTED = sorted(set(_EXPECTED_FILE) | {"account_closing warning kate -", "no_device warning kate -"})

pytestmark = pytest.mark.slow


@pytest.fixture
def server(comet_standin):
    return comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=[FIXTURE, OVERLAY])


def playbook(srv, tmp_path, extra, *options, hosts=3, groups=None):
    """ansible-playbook playbooks/report.yml over ``hosts`` local hosts (in group fleet, and in ``groups``: {group:
    {host: {vars}}}); the connection settings in a 0600 extra-vars file. Returns (rc, output, seconds)."""
    secrets = tmp_path / "comet-connection.yml"
    if not secrets.exists():
        fd = os.open(str(secrets), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump({"fleet_report_server_url": srv.url, "fleet_report_admin_username": ADMIN,
                            "fleet_report_admin_password": ADMIN_PASSWORD}, f)
    inventory = tmp_path / "inventory.yml"
    tree = {"fleet": {"hosts": dict(
        ("host-%02d" % i, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}) for i in range(hosts))}}
    tree.update((group, {"hosts": members}) for group, members in (groups or {}).items())
    inventory.write_text(yaml.safe_dump(tree))
    extra_file = tmp_path / "extra.yml"
    extra_file.write_text(yaml.safe_dump(dict({"fleet_report_hosts": "fleet", "fleet_report_now": NOW,
                                               "fleet_report_min_client_version": "24.6.0"}, **extra)))
    started = time.time()
    rc, output = run_playbook("-i", str(inventory), "-e", "@" + str(secrets), "-e", "@" + str(extra_file), PLAYBOOK, *options,
                              tmp_path=tmp_path, clear_comet=True, label="playbooks/report.yml %s (%d hosts)" % (" ".join(options), hosts))
    seconds = time.time() - started
    assert ADMIN_PASSWORD not in output, "the admin password appears in the playbook output"
    return rc, output, seconds


def recap(output):
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            out[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return out


def calls(srv, since=0):
    out = {}
    for entry in srv.log[since:]:
        out[entry["endpoint"]] = out.get(entry["endpoint"], 0) + 1
    return out


def finding_lines(findings):
    return sorted("%s %s %s %s" % (f["code"], f["severity"], f["account"], f["device_id"] or "-") for f in findings)


def test_report_files_findings_and_one_read(server, tmp_path):
    out_dir = tmp_path / "reports"
    rc, out, seconds = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir)}, "-vvv")
    assert rc == 0, out
    # one read per endpoint for the whole fleet, although the play has 3 hosts
    assert calls(server) == dict([(e, 1) for e in FLEET_ENDPOINTS] + [(LOG_READS, 1)]), calls(server)
    assert set(recap(out)) == {"host-00", "host-01", "host-02"}

    files = sorted(os.listdir(str(out_dir)))
    assert files == ["fleet-report-%s-findings.csv" % STAMP, "fleet-report-%s.html" % STAMP, "fleet-report-%s.json" % STAMP,
                     "fleet-report-%s.md" % STAMP]
    for name in files:
        assert (os.stat(str(out_dir / name)).st_mode & 0o777) == 0o640
    assert (os.stat(str(out_dir)).st_mode & 0o777) == 0o750

    report = json.loads((out_dir / ("fleet-report-%s.json" % STAMP)).read_text())
    assert finding_lines(report["findings"]) == EXPECTED
    summary = report["summary"]
    assert (summary["accounts"], summary["devices"], summary["findings"]) == (11, 11, 18)
    assert summary["by_finding"] == {"obsolete": 1, "never_backed_up": 3, "only_abandoned_or_error_this_week": 1,
                                     "no_jobs_this_week": 5, "last_job_failed": 3, "account_closing": 1,
                                     "no_device": 2, "outdated_client": 2,
                                     # the guide's licence limit (2 per account) is checked by default: none over it
                                     "devices_over_limit": 0}
    assert summary["by_severity"] == {"info": 1, "warning": 6, "error": 10, "critical": 1}
    assert summary["accounts_suspended"] == 1
    assert summary["now_iso"] == "2026-11-23T12:00:00Z"
    assert report["api"]["reads"] == 4

    markdown = (out_dir / ("fleet-report-%s.md" % STAMP)).read_text()
    assert markdown.startswith("# Comet Backup fleet report - 2026-11-23T12:00:00Z")
    assert "| critical | obsolete | bob | MacBook-2019 (mac-old) |" in markdown
    assert "more than\n5 calendar months\n(before 2026-06-23T12:00:00Z)" in markdown
    assert "| kate | 2026-11-13T12:00:00Z | 2026-11-27T12:00:00Z |" in markdown
    # a device name with a pipe and markup does not break the tables
    assert '=HYPERLINK("http://x")\\|pc &lt;b&gt;' in markdown
    assert "<b>" not in markdown
    for line in markdown.splitlines():
        if line.startswith("| ") and "dev-hugo" in line:
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line

    with open(str(out_dir / ("fleet-report-%s-findings.csv" % STAMP)), newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 18
    assert rows[0]["severity"] == "critical"
    hugo = [r for r in rows if r["device_id"] == "dev-hugo"]
    assert hugo and all(r["device_name"] == "'" + '=HYPERLINK("http://x")|pc <b>' for r in hugo), hugo

    page = (out_dir / ("fleet-report-%s.html" % STAMP)).read_text()
    assert page.startswith("<!DOCTYPE html>") and "2026-11-23T12:00:00Z" in page
    assert '=HYPERLINK(&quot;http://x&quot;)|pc &lt;b&gt;' in page and "pc <b>" not in page
    assert '<li class="card c-action" id="count-devices"><b>11</b>' in page
    assert '<svg class="chart"' in page and 'id="action-table"' in page
    # no inventory department here: each account is its own
    assert "<tr><td>bob</td>" in page
    assert summary["history_days"] == 28 and len(summary["jobs_per_day"]) == 29

    assert "Fleet report 2026-11-23T12:00:00Z: 11 accounts (2 without device), 11 devices" in out
    assert "CRITICAL device MacBook-2019 (mac-old, account bob)" in out
    print("figures (fixture fleet): %d accounts, %d devices, %d findings, %d API calls, %.1f s"
          % (summary["accounts"], summary["devices"], summary["findings"], len(server.log), seconds))


def test_prometheus_textfile_at_a_fixed_name(server, tmp_path):
    """The role writes node_exporter's textfile-collector file where the collector reads it, under one fixed name
    (never timestamped), readable by node_exporter; its counts are the report's."""
    parser = pytest.importorskip("prometheus_client.parser")
    out_dir, prom = tmp_path / "reports", tmp_path / "textfile" / "unil_backup.prom"
    prom.parent.mkdir()
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir), "fleet_report_formats": ["json", "prometheus"],
                                                 "fleet_report_prometheus_path": str(prom)}, hosts=1)
    assert rc == 0, out
    assert sorted(os.listdir(str(out_dir))) == ["fleet-report-%s.json" % STAMP]
    assert (os.stat(str(prom)).st_mode & 0o777) == 0o644
    summary = json.loads((out_dir / ("fleet-report-%s.json" % STAMP)).read_text())["summary"]
    families = dict((f.name, f) for f in parser.text_string_to_metric_families(prom.read_text()))
    findings = dict((s.labels["code"], s.value) for s in families["unil_backup_fleet_findings"].samples)
    assert findings == summary["by_finding"]
    assert families["unil_backup_fleet_devices"].samples[0].value == summary["devices"]
    assert len(families["unil_backup_fleet_device_online"].samples) == summary["devices"]
    assert "Files: " in out and str(prom) in out


def test_same_time_same_report_and_fail_on(server, tmp_path):
    out_dir = tmp_path / "reports"
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir)}, hosts=1)
    assert rc == 0, out
    first = dict((n, (out_dir / n).read_text()) for n in os.listdir(str(out_dir)))

    # the same report time again: same files, nothing changed; fail_on=critical fails after writing
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir), "fleet_report_fail_on": "critical"}, hosts=1)
    assert rc != 0, out
    assert "1 finding(s) of severity critical or higher (fleet_report_fail_on): obsolete" in out, out
    assert recap(out)["host-00"]["changed"] == 0, out
    assert dict((n, (out_dir / n).read_text()) for n in os.listdir(str(out_dir))) == first

    # only carol, fail on warning (carol has no device); strings as `-e key=value` gives them
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(tmp_path / "r2"), "fleet_report_fail_on": "warning",
                                                 "fleet_report_accounts": "carol", "fleet_report_formats": "json",
                                                 "fleet_report_timestamp": "false"}, hosts=1)
    assert rc != 0, out
    assert "1 finding(s) of severity warning or higher (fleet_report_fail_on): no_device" in out, out
    assert os.listdir(str(tmp_path / "r2")) == ["fleet-report.json"]
    assert calls(server) == dict([(e, 3) for e in FLEET_ENDPOINTS] + [(LOG_READS, 2)])  # carol has no device


def test_check_mode_writes_nothing(server, tmp_path):
    out_dir = tmp_path / "reports"
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir)}, "--check", hosts=2)
    assert rc == 0, out
    assert not out_dir.exists()
    assert calls(server) == dict([(e, 1) for e in FLEET_ENDPOINTS] + [(LOG_READS, 1)])
    assert "Fleet report 2026-11-23T12:00:00Z" in out


@pytest.mark.parametrize("extra,variable", [
    ({"fleet_report_week_days": 0}, "fleet_report_week_days"),
    ({"fleet_report_week_days": 141}, "fleet_report_week_days"),   # 5 months are 140 days at least
    ({"fleet_report_obsolete_after_months": 0}, "fleet_report_obsolete_after_months"),
    ({"fleet_report_dir": "relative/dir"}, "fleet_report_dir"),
    ({"fleet_report_fail_on": "sometimes"}, "fleet_report_fail_on"),
    ({"fleet_report_formats": "json,pdf"}, "fleet_report_formats"),
    ({"fleet_report_history_days": 401}, "fleet_report_history_days"),
])
def test_bad_variables_fail_before_reading(server, tmp_path, extra, variable):
    rc, out, dummy = playbook(server, tmp_path, dict({"fleet_report_dir": str(tmp_path / "reports")}, **extra), hosts=1)
    assert rc != 0
    assert variable in out, out
    assert server.log == [], "nothing is read before the variables are checked"


def test_html_report_departments_from_the_inventory(server, tmp_path):
    """Run against an inventory with dept_* groups: the HTML report groups the accounts by them (hosts of one account
    in two groups give both; fleet_report_departments overrides)."""
    out_dir = tmp_path / "reports"
    groups = {"dept_chimie": {"host-00": {"comet_client_username": "alice"}, "host-01": {"comet_client_username": "bob"}},
              "dept_lettres": {"host-02": {"comet_config_account": "dave"}, "host-03": {"comet_client_username": "bob"}},
              "other": {"host-04": {"comet_client_username": "erin"}}}
    rc, out, dummy = playbook(server, tmp_path, {"fleet_report_dir": str(out_dir), "fleet_report_formats": "html",
                                                 "fleet_report_timestamp": False,
                                                 "fleet_report_departments": {"frank": "dept_physique"}}, hosts=5,
                              groups=groups)
    assert rc == 0, out
    assert os.listdir(str(out_dir)) == ["fleet-report.html"]
    page = (out_dir / "fleet-report.html").read_text()
    rows = dict(re.findall(r'<tr><td>([^<]*)</td><td class="num">(\d+)</td>', page.split('id="department-table"')[1]))
    # department -> accounts
    assert rows["dept_chimie"] == "1"              # alice (bob is in two groups)
    assert rows["dept_chimie, dept_lettres"] == "1"  # bob
    assert rows["dept_lettres"] == "1"             # dave, through comet_config_account
    assert rows["dept_physique"] == "1"            # frank, from fleet_report_departments
    assert rows["erin"] == "1" and rows["carol"] == "1"  # not in a dept_* group: their own
    assert "each account is its own" not in page


def generated_fleet(accounts, seed=7):
    """A larger fleet: 1-3 devices per account (some none), daily jobs over the last 10 days, some failures,
    some devices long silent."""
    rng = random.Random(seed)
    day = 86400
    users, jobs = {}, []
    platforms = [{"os": "windows"}, {"os": "darwin"}, {"os": "linux"}]
    for a in range(accounts):
        name = "user%04d" % a
        devices, sources = {}, {}
        for d in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
            dev = "%s-dev%d" % (name, d)
            devices[dev] = {"name": "PC-%04d-%d" % (a, d), "platform": rng.choice(platforms),
                            "version": rng.choice(["24.6.0", "24.3.1", "23.12.0"]), "online": rng.random() < 0.4}
            sources["src-" + dev] = {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": dev}
            silent = rng.random() < 0.1
            start_day = rng.randint(160, 400) if silent else 10
            for k in range(start_day, start_day - 10, -1):
                end = NOW - k * day + rng.randint(0, 3600)
                status = rng.choice([5000] * 8 + [7001, 7002, 7004, 7007])
                jobs.append({"account": name, "device": dev, "status": status, "start": end - 900, "end": end,
                             "source": "src-" + dev})
        users[name] = {"password": "pw-%s-x" % name, "profile": {"Sources": sources}, "devices": devices}
    return {"users": users, "jobs": jobs}


def test_figures_larger_fleet(tmp_path, comet_standin):
    fleet = generated_fleet(400)
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=fleet)
    rc, out, seconds = playbook(srv, tmp_path, {"fleet_report_dir": str(tmp_path / "reports"),
                                                "fleet_report_timestamp": False}, hosts=5)
    assert rc == 0, out
    logs = calls(srv).pop(LOG_READS, 0)
    assert dict((e, n) for e, n in calls(srv).items() if e != LOG_READS) == dict((e, 1) for e in FLEET_ENDPOINTS)
    report = json.loads((tmp_path / "reports" / "fleet-report.json").read_text())
    summary = report["summary"]
    # every device whose last job ended Error or Warning, as long as the time budget lasts: one call each
    assert 0 < logs == summary["job_logs"]["read"] + summary["job_logs"]["failed"] <= summary["job_logs"]["candidates"]
    assert summary["accounts"] == 400
    assert summary["devices"] == sum(len(u["devices"]) for u in fleet["users"].values())
    print("figures (generated fleet, 5 hosts in the play): %d accounts, %d devices, %d jobs stored, %d jobs read, %d findings %s, "
          "%d API calls, %.1f s for the whole playbook"
          % (summary["accounts"], summary["devices"], len(fleet["jobs"]), summary["jobs"]["read"], summary["findings"],
             json.dumps(summary["by_finding"]), len(srv.log), seconds))
