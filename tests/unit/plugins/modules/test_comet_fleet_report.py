# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""comet_fleet_report main() in-process: against the Comet Server stand-in (real client, real HTTP on 127.0.0.1)
loaded with tests/integration/fixtures/fleet_report.json, and with the client mocked for the failure paths."""
from __future__ import annotations

import json
import os
import re

import pytest

from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.unil.backup.plugins.module_utils import _comet_api
from ansible_collections.unil.backup.plugins.module_utils._migration_history import append_records, make_record
from ansible_collections.unil.backup.plugins.modules import comet_fleet_report

ADMIN = "fleet-admin"
ADMIN_PASSWORD = "Fl33t-admin-S3cret"
NOW = 1795435200
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "fixtures", "fleet_report.json")
FLEET_ENDPOINTS = ("list-users-full", "dispatcher/list-active", "get-jobs-for-date-range")

with open(os.path.join(os.path.dirname(FIXTURE), "fleet_report.expected.json"), encoding="utf-8") as _handle:
    _EXPECTED_FILE = json.load(_handle)["findings"]
# The rules of issue 13 (the mails as the service means them): obsolete is more than 5 calendar months (at NOW, before
# 2026-06-23T12:00:00Z, 153 days), so ivan's device 150 days + 1 s ago is no longer obsolete; dave's week of Errors
# only is the weekly report's signal. Written so that it holds before and after fleet_report.expected.json says so.
EXPECTED = sorted(_EXPECTED_FILE)

# Added to the fixture for these tests (loaded after it): the service's rules at their edges, through the stand-in.
OVERLAY = {
    "users": {
        # suspended 2026-11-13T12:00:00Z: the backups go 14 days later (seed 001), 2026-11-27
        "kate": {"password": "kate-pw-Xy12", "profile": {"AccountName": "Kate", "IsSuspended": True,
                                                         "LastSuspended": 1794571200, "Sources": {}}},
        "liam": {"password": "liam-pw-Xy12", "devices": {
            "liam-warnings": {"name": "liam-warnings", "platform": {"os": "darwin"}},
            "liam-old-success": {"name": "liam-old-success", "platform": {"os": "darwin"}},
            "liam-5m": {"name": "liam-5m", "platform": {"os": "linux"}},
            "liam-5m-1s": {"name": "liam-5m-1s", "platform": {"os": "linux"}},
        }, "profile": {"AccountName": "Liam", "Sources": {
            "src-liam-warnings": {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": "liam-warnings"},
            "src-liam-old-success": {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": "liam-old-success"},
            "src-liam-5m": {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": "liam-5m"},
            "src-liam-5m-1s": {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": "liam-5m-1s"},
        }}},
    },
    "jobs": [
        # only Warnings: a working backup, not "never backed up"
        {"account": "liam", "device": "liam-warnings", "status": 7001, "start": NOW - 2 * 86400 - 600, "end": NOW - 2 * 86400,
         "source": "src-liam-warnings"},
        {"account": "liam", "device": "liam-warnings", "status": 7001, "start": NOW - 86400 - 600, "end": NOW - 86400,
         "source": "src-liam-warnings"},
        # a Success 200 days ago, then a daily Warning: not obsolete
        {"account": "liam", "device": "liam-old-success", "status": 5000, "start": NOW - 200 * 86400 - 600,
         "end": NOW - 200 * 86400, "source": "src-liam-old-success"},
        {"account": "liam", "device": "liam-old-success", "status": 7001, "start": NOW - 86400 - 600, "end": NOW - 86400,
         "source": "src-liam-old-success"},
        # 2026-06-23T12:00:00Z is exactly 5 months before NOW: not obsolete; one second earlier is
        {"account": "liam", "device": "liam-5m", "status": 5000, "start": 1782216000 - 600, "end": 1782216000,
         "source": "src-liam-5m"},
        {"account": "liam", "device": "liam-5m-1s", "status": 5000, "start": 1782216000 - 601, "end": 1782216000 - 1,
         "source": "src-liam-5m-1s"},
    ],
}
OVERLAY_FINDINGS = [
    "account_closing warning kate -",
    "no_device warning kate -",
    "no_jobs_this_week error liam liam-5m",
    "obsolete critical liam liam-5m-1s",
    "no_jobs_this_week error liam liam-5m-1s",
    # seed 000 FAQ, "L'UNIL paie des licences Comet Backup par machine": liam's devices are over the guide's 2
    "devices_over_limit warning liam -",
]


@pytest.fixture(scope="module")
def server():
    from comet_server import CometServerStandIn
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=FIXTURE) as srv:
        yield srv


@pytest.fixture(scope="module")
def server_overlay():
    from comet_server import CometServerStandIn
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=[FIXTURE, OVERLAY]) as srv:
        yield srv


def run(server, tmp_path, capsys, check_mode=False, **args):
    full = dict(server_url=server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD, lock_dir=str(tmp_path),
                now=NOW, min_client_version="24.6.0", _ansible_check_mode=check_mode)
    full.update(args)
    capsys.readouterr()
    module_warnings._global_warnings.clear()  # pylint: disable=protected-access
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            comet_fleet_report.main()
    out = capsys.readouterr().out
    assert ADMIN_PASSWORD not in out
    return json.loads(out)


def lines(result):
    return sorted("%s %s %s %s" % (f["code"], f["severity"], f["account"], f["device_id"] or "-") for f in result["findings"])


def logs_read(result):
    """summary.job_logs (no time measured in it: the same report time gives the same report)."""
    return dict(result["summary"]["job_logs"])


def calls(server):
    out = {}
    for entry in server.log:
        out[entry["endpoint"]] = out.get(entry["endpoint"], 0) + 1
    return out


@pytest.mark.parametrize("check_mode", [False, True])
def test_fleet_read_once(server, tmp_path, capsys, check_mode):
    before = len(server.log)
    result = run(server, tmp_path, capsys, check_mode=check_mode)
    new = server.log[before:]
    # one read per fleet endpoint, plus the last job's log of lin-dave, the one device whose last job ended Error or
    # Warning (it has no log entries: no known problem)
    assert sorted(e["endpoint"] for e in new) == sorted(FLEET_ENDPOINTS + ("get-job-log-entries",)), new
    assert result["changed"] is False
    assert lines(result) == EXPECTED
    assert result["api"]["reads"] == 4 and result["api"]["writes"] == 0
    assert logs_read(result) == {"candidates": 1, "read": 1, "failed": 0, "skipped": 0, "out_of_time": 0, "max": None,
                                 "seconds": 3.0, "complete": True, "errors": []}
    assert all(f["fix"] for f in result["findings"])
    dave = [f.get("known_problems") for f in result["findings"] if f["device_id"] == "lin-dave"]
    assert dave and all(p == [] for p in dave)
    assert not any("known_problems" in f for f in result["findings"] if f["device_id"] != "lin-dave")
    summary = result["summary"]
    assert (summary["accounts"], summary["devices"], summary["findings"]) == (10, 11, 16)
    assert summary["by_severity"] == {"info": 1, "warning": 4, "error": 10, "critical": 1}
    assert summary["obsolete_after_months"] == 5 and summary["obsolete_after_days"] is None
    assert summary["obsolete_before_iso"] == "2026-06-23T12:00:00Z"
    assert summary["by_platform"] == {"linux": 5, "macos": 2, "windows": 4}
    assert summary["jobs"]["ignored_not_backup"] == 1   # bob's restore
    devices = dict((d["device_id"], d) for d in result["devices"])
    assert devices["lin-erin"]["last_job"]["label"] == "Running"
    assert devices["win-alice"]["week"] == {"Success": 1, "Warning": 1}
    assert devices["win-alice"]["online"] is True and devices["mac-old"]["online"] is False
    assert devices["mac-old"]["last_success_age_days"] == 200
    assert devices["mac-old"]["last_working_age_days"] == 200
    assert devices["lin-judy"]["findings"] == []          # exactly 7 days ago is this week


def test_the_rules_of_the_service_through_the_stand_in(server_overlay, tmp_path, capsys):
    """Warnings are working backups, 5 calendar months, a suspended account and the date its backups go - read from
    the stand-in as from a Comet Server (IsSuspended / LastSuspended in list-users-full)."""
    result = run(server_overlay, tmp_path, capsys)
    assert lines(result) == sorted(EXPECTED + OVERLAY_FINDINGS)
    devices = dict((d["device_id"], d) for d in result["devices"])
    assert devices["liam-warnings"]["findings"] == [] and devices["liam-warnings"]["last_success_time"] is None
    assert devices["liam-warnings"]["last_working_age_days"] == 1
    assert devices["liam-old-success"]["findings"] == [] and devices["liam-old-success"]["last_success_age_days"] == 200
    accounts = dict((a["account"], a) for a in result["accounts"])
    assert accounts["kate"]["suspended"] is True
    assert accounts["kate"]["data_deletion_iso"] == "2026-11-27T12:00:00Z"
    assert accounts["liam"]["suspended"] is False and accounts["liam"]["data_deletion_time"] is None
    closing = [f for f in result["findings"] if f["code"] == "account_closing"]
    assert closing[0]["details"]["data_deletion_date"] == "2026-11-27" and closing[0]["details"]["days_left"] == 4
    assert "2026-11-27" in closing[0]["message"]
    assert result["summary"]["accounts_suspended"] == 1


def test_obsolete_after_days_replaces_the_months(server_overlay, tmp_path, capsys):
    # 150 days: the old fixed threshold, now an explicit choice
    got = lines(run(server_overlay, tmp_path, capsys, obsolete_after_days=150))
    assert "obsolete critical ivan ivan-150-1s" in got and "obsolete critical liam liam-5m" in got
    assert "obsolete critical ivan ivan-150" not in got
    result = run(server_overlay, tmp_path, capsys, obsolete_after_months=6)
    assert result["summary"]["obsolete_before_iso"] == "2026-05-23T12:00:00Z"
    assert [f["device_id"] for f in result["findings"] if f["code"] == "obsolete"] == ["mac-old"]  # 200 days ago, 6 months are 184 days


def test_accounts_filter_still_one_read(server, tmp_path, capsys):
    before = len(server.log)
    result = run(server, tmp_path, capsys, accounts=["bob", "carol"])
    assert len(server.log) - before == 3   # no last job of bob's or carol's ended Error or Warning
    assert [a["account"] for a in result["accounts"]] == ["bob", "carol"]
    assert all(f["account"] in ("bob", "carol") for f in result["findings"])


def test_thresholds_from_options(server, tmp_path, capsys):
    result = run(server, tmp_path, capsys, obsolete_after_days=300, week_days=14, min_client_version=None)
    got = lines(result)
    assert not any(line.startswith(("obsolete", "outdated_client")) for line in got)
    assert "no_jobs_this_week error frank win-frank" not in got   # 10 days ago is within 14 days


@pytest.mark.parametrize("args,option", [
    (dict(accounts=["nobody"]), "accounts"),
    (dict(week_days=0), "week_days"),
    (dict(obsolete_after_days=-3), "obsolete_after_days"),
    (dict(obsolete_after_months=0), "obsolete_after_months"),
    (dict(week_days=141), "week_days"),
    (dict(min_client_version="latest"), "min_client_version"),
    (dict(max_job_logs=0), "max_job_logs"),
    (dict(job_log_seconds=0), "job_log_seconds"),
    (dict(job_log_seconds=-1.5), "job_log_seconds"),
    (dict(job_log_seconds=3601), "job_log_seconds"),
])
def test_bad_input_names_the_option(server, tmp_path, capsys, args, option):
    before = len(server.log)
    result = run(server, tmp_path, capsys, **args)
    assert result["failed"] is True
    assert result["msg"].startswith(option + ":"), result["msg"]
    if option != "accounts":
        assert len(server.log) == before, "bad options fail before the server is read"


def test_wrong_password_fails_without_echoing_it(server, tmp_path, capsys):
    result = run(server, tmp_path, capsys, admin_password="wrong-" + ADMIN_PASSWORD[:4])
    assert result["failed"] is True
    assert "list-users-full" in result["msg"] and "403" in result["msg"]


class _FailingClient(object):
    """The client mocked: the jobs read fails after the first two reads succeeded."""

    stats = {"reads": 0, "writes": 0, "retries": 0, "conflicts": 0}

    @classmethod
    def from_module(cls, module):
        return cls()

    def call(self, endpoint, params=None):
        self.stats["reads"] += 1
        return {"pnom": {"Username": "pnom", "Devices": {}}}

    def list_active(self, user=None):
        self.stats["reads"] += 1
        return {}

    def jobs_for_date_range(self, start, end):
        raise _comet_api.CometApiError("get-jobs-for-date-range", 503, "Service Unavailable")


def test_api_error_is_reported(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(comet_fleet_report, "CometAdminClient", _FailingClient)
    result = run(server, tmp_path, capsys)
    assert result["failed"] is True
    assert "get-jobs-for-date-range" in result["msg"] and "503" in result["msg"]
    assert result["api"]["reads"] == 2


# Devices whose last job's log holds the guide's known problems (seed 000, "Problèmes connus"), for the log reading.
_DAY = 86400
_LOG_DEVICES = {
    "mac-fda": ({"os": "darwin", "version": "14.5"}, 7001, [
        {"Severity": "W", "Message": "Reading subdirectories of <Users/mia/Desktop>: Open: open /Users/mia/Desktop: "
                                     "operation not permitted"},
        {"Severity": "W", "Message": "Reading subdirectories of <Users/mia/Documents>: Open: open /Users/mia/Documents: "
                                     "operation not permitted"}]),
    "mac-onedrive": ({"os": "darwin", "version": "11.7.10"}, 7001, [
        {"Severity": "W", "Message": "Lstat: lstat /Users/mia/OneDrive - Université de Lausanne/a.docx: resource "
                                     "deadlock avoided"}]),
    "mac-spotlight": ({"os": "darwin", "version": "10.15.7"}, 7001, [
        {"Severity": "I", "Message": "Starting backup"},
        {"Severity": "W", "Message": "Warning for Users/mia/Library/Metadata/CoreSpotlight/index.spotlightV3/.store.db: "
                                     "Open: open /Users/mia/Library/Metadata/CoreSpotlight/index.spotlightV3/.store.db: "
                                     "operation not permitted"},
        {"Severity": "W", "Message": "Lstat: lstat /Users/mia/Library/Containers/com.apple.mail/Data/DataVaults: "
                                     "operation not permitted"}]),
    "win-vault": ({"os": "windows", "version": "10.0"}, 7002, [
        {"Severity": "W", "Message": "Failed to initialize Storage Vault: config file already exists"},
        {"Severity": "E", "Message": "The destination initializer encountered a problem: exit status 1"}]),
    "lin-x509": ({"os": "linux", "distribution": "Ubuntu 16.04"}, 7002, [
        {"Severity": "E", "Message": "Post https://cometbackup.unil.ch/api/v1/user/get-profile-and-hash: x509: "
                                     "certificate has expired or is not yet valid"}]),
}
LOGS = {
    "users": {"mia": {"password": "mia-pw-Xy12", "devices": dict(
        (d, {"name": d, "platform": platform}) for d, (platform, dummy, dummy2) in _LOG_DEVICES.items()),
        "profile": {"AccountName": "Mia", "Sources": dict(
            ("src-" + d, {"Engine": "engine1/file", "Description": "Documents", "OwnerDevice": d}) for d in _LOG_DEVICES)}}},
    "jobs": [{"account": "mia", "device": d, "status": status, "start": NOW - _DAY - 600, "end": NOW - _DAY,
              "source": "src-" + d, "log": log} for d, (dummy, status, log) in _LOG_DEVICES.items()],
}
EXPECTED_PROBLEMS = {
    "mac-fda": ["macos_full_disk_access"],
    "mac-onedrive": ["macos_onedrive_old"],
    "mac-spotlight": ["macos_corespotlight", "macos_datavaults"],
    "win-vault": ["storage_vault_corrupted"],
    "lin-x509": ["x509_system_too_old"],
    "lin-dave": [],
}


@pytest.fixture(scope="module")
def server_logs():
    from comet_server import CometServerStandIn
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=[FIXTURE, LOGS]) as srv:
        yield srv


def test_known_problems_from_the_job_logs(server_logs, tmp_path, capsys):
    before = len(server_logs.log)
    result = run(server_logs, tmp_path, capsys)
    new = [e for e in server_logs.log[before:] if e["endpoint"] == "get-job-log-entries"]
    assert len(new) == 6 and all(e["status"] == 200 for e in new)     # one call per Error or Warning device
    devices = dict((d["device_id"], d) for d in result["devices"])
    got = dict((d, [p["id"] for p in v["known_problems"]]) for d, v in devices.items() if "known_problems" in v)
    assert got == EXPECTED_PROBLEMS
    fda = devices["mac-fda"]["known_problems"][0]
    assert fda["count"] == 2 and fda["line"].endswith("/Users/mia/Desktop: operation not permitted")
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING Reading subdirectories", fda["line"])
    assert "PPPC" in fda["fix"] and "unil.backup.comet_client" in fda["fix"]
    # the failed devices' findings carry the same known problems, and a fix
    vault = [f for f in result["findings"] if f["device_id"] == "win-vault" and f["code"] == "last_job_failed"][0]
    assert [p["id"] for p in vault["known_problems"]] == ["storage_vault_corrupted"]
    assert "new Storage Vault" in vault["known_problems"][0]["fix"] and vault["fix"]
    summary = result["summary"]
    assert logs_read(result) == {"candidates": 6, "read": 6, "failed": 0, "skipped": 0, "out_of_time": 0, "max": None,
                                 "seconds": 3.0, "complete": True, "errors": []}
    assert summary["known_problems"]["macos_full_disk_access"] == 1 and summary["known_problems"]["accented_exclusion"] == 0


def test_job_logs_bounded_off_and_failing(server_logs, tmp_path, capsys):
    # the bound: the Error devices first (lin-dave, then mia's in name order: lin-x509, win-vault)
    before = len(server_logs.log)
    result = run(server_logs, tmp_path, capsys, max_job_logs=2)
    assert sum(1 for e in server_logs.log[before:] if e["endpoint"] == "get-job-log-entries") == 2
    assert result["summary"]["job_logs"]["skipped"] == 4
    assert sorted(d["device_id"] for d in result["devices"] if "known_problems" in d) == ["lin-dave", "lin-x509"]

    # off: the three fleet reads only, no known problems, the fixes still there
    before = len(server_logs.log)
    result = run(server_logs, tmp_path, capsys, read_job_logs=False)
    assert sorted(e["endpoint"] for e in server_logs.log[before:]) == sorted(FLEET_ENDPOINTS)
    assert not any("known_problems" in x for x in result["devices"] + result["findings"])
    assert "job_logs" not in result["summary"] and all(f["fix"] for f in result["findings"])

    # a log that cannot be read is counted and named, the report is still made
    server_logs.faults.fail_next(1, status=400, endpoint="get-job-log-entries", message="Job log unavailable")
    result = run(server_logs, tmp_path, capsys)
    logs = result["summary"]["job_logs"]
    assert result.get("failed") is not True and (logs["read"], logs["failed"]) == (5, 1)
    assert "get-job-log-entries" in logs["errors"][0] and "Job log unavailable" in logs["errors"][0]


class _Clock(object):
    """A clock that moves one second each time a job log is read (the budget's clock, no real time)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_job_logs_bounded_by_time_not_count(server_logs, tmp_path, capsys, monkeypatch):
    """Every failing device's log is read, the Error ones first, until the time budget is spent; the summary says how
    many of how many. The clock is a fake one moved by each read, so the test does not depend on the machine."""
    clock = _Clock()
    real = _comet_api.CometAdminClient.job_log_entries

    def slow_read(self, job_id, **kwargs):
        clock.now += 1.0
        return real(self, job_id, **kwargs)

    monkeypatch.setattr(comet_fleet_report, "_clock", clock)
    monkeypatch.setattr(comet_fleet_report, "JOB_LOG_WORKERS", 1)
    monkeypatch.setattr(_comet_api.CometAdminClient, "job_log_entries", slow_read)
    before = len(server_logs.log)
    # calls start at 0, 1 and 2 s; at 3 s the 3-second budget is spent: 3 of the 6 logs
    result = run(server_logs, tmp_path, capsys, job_log_seconds=3)
    assert sum(1 for e in server_logs.log[before:] if e["endpoint"] == "get-job-log-entries") == 3
    logs = logs_read(result)
    assert (logs["candidates"], logs["read"], logs["out_of_time"], logs["skipped"], logs["complete"]) == (6, 3, 3, 3, False)
    # the Error devices first (lin-dave, then mia's in name order: lin-x509, win-vault)
    assert sorted(d["device_id"] for d in result["devices"] if "known_problems" in d) == ["lin-dave", "lin-x509", "win-vault"]

    # a budget long enough reads them all, whatever their number (no count bound by default)
    clock.now = 0.0
    result = run(server_logs, tmp_path, capsys, job_log_seconds=60)
    logs = logs_read(result)
    assert (logs["read"], logs["out_of_time"], logs["complete"], logs["max"]) == (6, 0, True, None)


def test_read_job_logs_in_order_within_the_budget():
    clock = _Clock()
    asked = []

    class Client(object):
        def job_log_entries(self, job_id, min_severity=None):
            asked.append((job_id, min_severity))
            clock.now += 0.5
            if job_id == "bad":
                raise _comet_api.CometApiError("get-job-log-entries", 400, "gone")
            return [{"Severity": "W", "Message": job_id}]

    original = comet_fleet_report._clock  # pylint: disable=protected-access
    comet_fleet_report._clock = clock  # pylint: disable=protected-access
    try:
        got = comet_fleet_report.read_job_logs(Client(), ["a", "bad", "a", "c", "d", "e"], 1.5, workers=1)
    finally:
        comet_fleet_report._clock = original  # pylint: disable=protected-access
    assert [job for job, dummy in asked] == ["a", "bad", "c"] and all(sev == "W" for dummy, sev in asked)
    assert got["a"] == [{"Severity": "W", "Message": "a"}] and isinstance(got["bad"], _comet_api.CometApiError)
    assert sorted(got) == ["a", "bad", "c"]
    assert comet_fleet_report.read_job_logs(Client(), [], 1.0) == {}


def test_migration_section_from_the_history(server, tmp_path, capsys):
    path = tmp_path / "history.jsonl"
    append_records(str(path), [make_record("r1", "site", "lin-dave", "waiting_for_backup", department="dept_x",
                                           account="dave", when=NOW - 86400)])
    result = run(server, tmp_path, capsys, history_path=str(path))
    m = result["migration"]
    assert (m["history_path"], m["history_found"], m["runs"], m["hosts"]) == (str(path), True, 1, 1)
    assert m["by_department"]["dept_x"]["waiting_for_backup"] == 1
    assert m["stuck"][0]["device"]["device_id"] == "lin-dave" and m["stuck"][0]["days_in_stage"] == 1
    # not set: no section; a directory: fails naming the option
    assert "migration" not in run(server, tmp_path, capsys)
    result = run(server, tmp_path, capsys, history_path=str(tmp_path))
    assert result["failed"] is True and result["msg"].startswith("history_path: cannot read the migration history")
