# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""comet_fleet_report with the job logs, and the filter fleet_report_prometheus, run by real ansible-playbook against
the Comet Server stand-in (real HTTP): the guide's known problems recognised in the logs the stand-in serves
(get-job-log-entries), one log read per device whose last job ended Error or Warning, a fix on every finding, and a
Prometheus textfile that node_exporter's parser reads."""
from __future__ import annotations

import json
import os
import sys

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from playbook_runner import run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "fleet_report.json")
ADMIN = "fleet-admin"
ADMIN_PASSWORD = "Kn0wn-pr0blems-never-printed"
NOW = 1795435200
DAY = 86400

# The guide's log lines (seed 000, "Problèmes connus"), in the last job of new devices of one account
LOGS = {
    "mac-fda": ({"os": "darwin", "version": "14.5"}, 7001, "Reading subdirectories of <Users/nora/Desktop>: Open: open "
                "/Users/nora/Desktop: operation not permitted"),
    "mac-spotlight": ({"os": "darwin", "version": "13.2"}, 7001, "Warning for Users/nora/Library/Metadata/CoreSpotlight/"
                      "index.spotlightV3/.store.db: Open: open /Users/nora/Library/Metadata/CoreSpotlight/index.spotlightV3/"
                      ".store.db: operation not permitted"),
    "win-vault": ({"os": "windows", "version": "10.0"}, 7002, "Failed to initialize Storage Vault: config file already exists"),
}
OVERLAY = {
    "users": {"nora": {"password": "nora-pw-Xy12", "devices": dict((d, {"name": d, "platform": p}) for d, (p, s, m) in LOGS.items()),
                       "profile": {"AccountName": "Nora", "Sources": dict(
                           ("src-" + d, {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": d}) for d in LOGS)}}},
    "jobs": [{"account": "nora", "device": d, "status": s, "start": NOW - DAY - 600, "end": NOW - DAY, "source": "src-" + d,
              "log": [{"Severity": "I", "Message": "Starting backup"}, {"Severity": "W" if s == 7001 else "E", "Message": m}]}
             for d, (p, s, m) in LOGS.items()],
}
PLAYBOOK = """
- name: Fleet report and its metrics
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/unil.backup.comet:
      server_url: "{{ comet_url }}"
      admin_username: "{{ comet_admin }}"
      admin_password: "{{ comet_password }}"
  tasks:
    - name: Read the fleet
      unil.backup.comet_fleet_report:
        now: %d
        min_client_version: 24.6.0
        max_job_logs: "{{ max_logs | default(200) }}"
      register: fleet

    - name: Write the report
      ansible.builtin.copy:
        content: "{{ fleet | to_json }}"
        dest: "{{ out_dir }}/fleet.json"
        mode: "0600"

    - name: Write the metrics for node_exporter
      ansible.builtin.copy:
        content: "{{ fleet | unil.backup.fleet_report_prometheus(departments={'nora': 'geo\\"sciences', 'dave': 'geo\\"sciences'}) }}"
        dest: "{{ out_dir }}/unil_backup_fleet.prom"
        mode: "0644"
""" % NOW

pytestmark = pytest.mark.slow


@pytest.fixture
def server(comet_standin):
    return comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=[FIXTURE, OVERLAY])


def playbook(srv, tmp_path, **extra):
    secrets = tmp_path / "connection.yml"
    fd = os.open(str(secrets), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump({"comet_url": srv.url, "comet_admin": ADMIN, "comet_password": ADMIN_PASSWORD}, handle)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    rc, output = run_playbook("-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                              "-e", "@" + str(secrets), "-e", json.dumps(dict({"out_dir": str(tmp_path)}, **extra)),
                              str(tmp_path / "play.yml"), tmp_path=tmp_path, clear_comet=True)
    assert ADMIN_PASSWORD not in output
    assert rc == 0, output
    return json.loads((tmp_path / "fleet.json").read_text()), (tmp_path / "unil_backup_fleet.prom").read_text()


def test_known_problems_and_metrics(server, tmp_path):
    report, metrics = playbook(server, tmp_path)
    calls = {}
    for entry in server.log:
        calls[entry["endpoint"]] = calls.get(entry["endpoint"], 0) + 1
    # the three fleet reads, then the logs of lin-dave (Error) and nora's three devices
    assert calls == {"list-users-full": 1, "dispatcher/list-active": 1, "get-jobs-for-date-range": 1, "get-job-log-entries": 4}
    devices = dict((d["device_id"], d) for d in report["devices"])
    got = dict((d, [p["id"] for p in v["known_problems"]]) for d, v in devices.items() if "known_problems" in v)
    assert got == {"lin-dave": [], "mac-fda": ["macos_full_disk_access"], "mac-spotlight": ["macos_corespotlight"],
                   "win-vault": ["storage_vault_corrupted"]}
    assert devices["win-vault"]["known_problems"][0]["line"].endswith("ERROR Failed to initialize Storage Vault: config file "
                                                                      "already exists")
    assert all(f["fix"] for f in report["findings"])
    vault = [f for f in report["findings"] if f["device_id"] == "win-vault" and f["code"] == "last_job_failed"]
    assert vault and vault[0]["known_problems"][0]["id"] == "storage_vault_corrupted"
    assert report["summary"]["job_logs"]["read"] == 4

    # the metrics file: node_exporter's parser reads it, the values are the report's
    families = dict((f.name, f) for f in text_string_to_metric_families(metrics))
    assert all(f.type == "gauge" for f in families.values())
    dept = [s for s in families["unil_backup_fleet_department_devices"].samples if s.labels["department"] == 'geo"sciences']
    assert [s.value for s in dept] == [4]                                  # nora's 3 devices and dave's one
    problems = dict((s.labels["problem"], s.value) for s in families["unil_backup_fleet_known_problems"].samples)
    assert problems["storage_vault_corrupted"] == 1 and problems["macos_full_disk_access"] == 1
    findings = dict((s.labels["code"], s.value) for s in families["unil_backup_fleet_findings"].samples)
    assert findings == report["summary"]["by_finding"]

    # the bound: one log only, the Error devices first
    server.reset_log()
    report, dummy = playbook(server, tmp_path, max_logs=1)
    assert sum(1 for e in server.log if e["endpoint"] == "get-job-log-entries") == 1
    assert report["summary"]["job_logs"]["skipped"] == 3
