# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet report logic (_comet_fleet): YAML-described fleets (test_comet_fleet.yaml) and table cases.

A case describes accounts, devices and jobs with times relative to NOW ("150d+1s" = 150 days and 1 second before
NOW), or absolute (`at: "2026-02-28T12:00:00Z"`); a case may set its own `now` (UTC ISO text). The harness builds
what the server would answer: list-users-full (each device owns one Protected Item whose Statistics hold its last
backup job and last successful one, as Comet updates them), dispatcher/list-active, and get-jobs-for-date-range(NOW -
week_days, NOW) (only the jobs that started or ended in that range)."""
from __future__ import annotations

import datetime
import os
import re

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet as fleet
from ansible_collections.unil.backup.plugins.module_utils._comet_model import JOB_STATUS, CometInputError

NOW = 1795435200  # 2026-11-23T12:00:00Z
DAY = 86400

with open(os.path.join(os.path.dirname(__file__), "test_comet_fleet.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)


def ago(text):
    """Seconds from "150d+1s", "7d-1s", "2h", "0s" (or an int)."""
    if isinstance(text, int):
        return text
    terms = re.findall(r"([+-]?)(\d+)([dhms])", str(text).replace(" ", ""))
    assert terms and "".join("".join(t) for t in terms) == str(text).replace(" ", ""), "bad duration %r" % text
    unit = {"d": DAY, "h": 3600, "m": 60, "s": 1}
    return sum((-1 if sign == "-" else 1) * int(n) * unit[u] for sign, n, u in terms)


def epoch(text):
    """Unix seconds of "2026-02-28T12:00:00Z"."""
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())


def case_now(case):
    return epoch(case["now"]) if case.get("now") else NOW


OS = {
    "linux": {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""},
    "windows": {"os": "windows", "distribution": "", "arch": "amd64", "version": "10.0", "build": "19045"},
    "macos": {"os": "darwin", "distribution": "", "arch": "arm64", "version": "14.5", "build": ""},
}


def build(case):
    """(profiles, active, jobs_in_window) the server would answer for the case."""
    week_days = (case.get("options") or {}).get("week_days", 7)
    now = case_now(case)
    profiles, active, all_jobs = {}, {}, []
    for account, spec in (case.get("fleet") or {}).items():
        spec = spec or {}
        profile = {"Username": account, "AccountName": spec.get("name", account), "Devices": {}, "Sources": {},
                   "BackupRules": {}, "Destinations": {"vault-1": {"Description": "UNIL Storage Vault"}}}
        # IsSuspended / LastSuspended are omitempty: absent unless the case sets them
        if spec.get("suspended"):
            profile["IsSuspended"] = True
        if spec.get("suspended_at") or spec.get("suspended_ago"):
            profile["LastSuspended"] = epoch(spec["suspended_at"]) if spec.get("suspended_at") else now - ago(spec["suspended_ago"])
        for device_id, dev in (spec.get("devices") or {}).items():
            dev = dev or {}
            profile["Devices"][device_id] = {
                "FriendlyName": dev.get("name", device_id),
                "PlatformVersion": OS.get(dev.get("os", "linux"), {"os": dev.get("os")}),
                "ClientVersion": dev.get("version", "24.6.0"),
                "RegistrationTime": now - 400 * DAY,
            }
            profile["Sources"]["src-" + device_id] = {"Engine": "engine1/file", "Description": "Documents",
                                                      "OwnerDevice": device_id}
            if dev.get("online"):
                active["target-" + device_id] = {"Username": account, "DeviceID": device_id,
                                                 "ReportedVersion": dev.get("reported_version", dev.get("version", "24.6.0")),
                                                 "ReportedPlatform": profile["Devices"][device_id]["PlatformVersion"]}
        profiles[account] = profile
    for i, spec in enumerate(case.get("jobs") or []):
        duration = ago(spec.get("duration", 600))
        when = epoch(spec["at"]) if "at" in spec else now - ago(spec["ago"])
        if spec.get("running"):
            start, end = when, 0
        else:
            end = when
            start = end - duration
        job = {"GUID": "job-%03d" % i, "Username": spec["account"], "DeviceID": spec["device"],
               "Classification": spec.get("classification", 4001), "Status": spec["status"],
               "StartTime": start, "EndTime": end, "SourceGUID": "src-" + spec["device"]}
        all_jobs.append(job)
    # Statistics, as Comet keeps them per Protected Item: the latest backup job and the latest successful one.
    for job in sorted(all_jobs, key=lambda j: j["StartTime"]):
        if job["Classification"] != 4001:
            continue
        profile = profiles.get(job["Username"])
        source = (profile or {}).get("Sources", {}).get(job["SourceGUID"])
        if source is None:
            continue
        stats = source.setdefault("Statistics", {})
        stats["LastStartTime"] = job["StartTime"]
        stats["LastBackupJob"] = dict(job)
        if 5000 <= job["Status"] <= 5999:
            stats["LastSuccessfulBackupJob"] = dict(job)
    start = now - week_days * DAY
    in_range = [j for j in all_jobs if start <= j["StartTime"] <= now or (j["EndTime"] and start <= j["EndTime"] <= now)]
    return profiles, active, in_range


def run(case, **overrides):
    profiles, active, jobs = build(case)
    options = dict(case.get("options") or {})
    options.update(overrides)
    return fleet.fleet_report(profiles, active, jobs, case_now(case), **options)


def finding_lines(report):
    return sorted("%s %s %s %s" % (f["code"], f["severity"], f["account"], f["device_id"] or "-") for f in report["findings"])


# counters compared whole (a status or finding missing from the expectation must be missing from the result too)
EXACT = ("week", "by_status", "by_last_status", "by_finding", "by_severity", "by_platform", "by_device_status", "jobs")


def subset(actual, expected, path=""):
    """Every key of ``expected`` has the same value in ``actual`` (recursively for dicts); the EXACT counters and empty
    dicts are compared whole."""
    if isinstance(expected, dict) and (not expected or path.rsplit(".", 1)[-1] in EXACT):
        assert actual == expected, "%s: %r != %r" % (path, actual, expected)
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), "%s: expected a dict, got %r" % (path, actual)
        for key, value in expected.items():
            assert key in actual, "%s.%s missing in %r" % (path, key, actual)
            subset(actual[key], value, "%s.%s" % (path, key))
    else:
        assert actual == expected, "%s: %r != %r" % (path, actual, expected)


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["id"] for c in CASES["cases"]])
def test_case(case):
    report = run(case)
    assert finding_lines(report) == sorted(case["findings"])
    by_key = dict(("%s %s %s" % (f["code"], f["account"], f["device_id"] or "-"), f) for f in report["findings"])
    for key, expected in (case.get("details") or {}).items():
        assert key in by_key, "%s: no such finding in %s" % (key, sorted(by_key))
        subset(by_key[key]["details"], expected, key)
    devices = dict(("%s/%s" % (d["account"], d["device_id"]), d) for d in report["devices"])
    for key, expected in (case.get("devices") or {}).items():
        subset(devices[key], expected, key)
    accounts = dict((a["account"], a) for a in report["accounts"])
    for key, expected in (case.get("accounts") or {}).items():
        subset(accounts[key], expected, key)
    if case.get("summary"):
        subset(report["summary"], case["summary"], "summary")


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_invalid_input_names_the_option(case):
    with pytest.raises(CometInputError) as err:
        run(case)
    assert err.value.option == case["option"]
    assert str(err.value).startswith(case["option"] + ":")


# --- table cases ---

# The brief's mapping: every code's label, and whether a last backup job with it is a finding (and how severe).
STATUS_TABLE = [
    (5000, "Success", "success", None),
    (6000, "Running", "running", None),
    (6001, "Running", "running", None),
    (6002, "Running (revived)", "running", None),
    (6003, "Running (retrying)", "running", None),
    (6004, "Not yet started", "running", None),
    (7000, "Timeout", "failed", "error"),
    (7001, "Warning", "failed", None),
    (7002, "Error", "failed", "error"),
    (7003, "Quota exceeded", "failed", "error"),
    (7004, "Missed", "failed", "warning"),
    (7005, "Cancelled", "failed", "warning"),
    (7006, "Skipped", "failed", "warning"),
    (7007, "Abandoned", "failed", "error"),
    (7099, "Error", "failed", "error"),   # an unknown 7xxx code is an error
    (5001, "Success", "success", None),   # any 5xxx is a success
]


@pytest.mark.parametrize("code,label,kind,severity", STATUS_TABLE, ids=[str(r[0]) for r in STATUS_TABLE])
def test_last_job_status(code, label, kind, severity):
    """Last backup job with that status, after a success the day before: label, kind, and the last_job_failed
    finding (or none)."""
    running = kind == "running"
    case = {"fleet": {"pnom": {"devices": {"d1": {}}}},
            "jobs": [{"account": "pnom", "device": "d1", "status": 5000, "ago": "1d"},
                     {"account": "pnom", "device": "d1", "status": code, "ago": "1h", "running": running}]}
    report = run(case)
    device = report["devices"][0]
    assert device["last_job"]["label"] == label
    assert device["last_job"]["kind"] == kind
    assert fleet.status_label(code) == label
    expected = [] if severity is None else ["last_job_failed %s pnom d1" % severity]
    assert finding_lines(report) == expected
    if severity:
        assert report["findings"][0]["details"]["label"] == label
    assert device["week"] == ({"Success": 1, label: 1} if label != "Success" else {"Success": 2})


@pytest.mark.parametrize("now,months,cutoff", [
    ("2026-12-02T12:00:00Z", 5, "2026-07-02T12:00:00Z"),   # the brief's example
    ("2026-11-23T12:00:00Z", 5, "2026-06-23T12:00:00Z"),   # NOW: 153 days
    ("2026-07-31T12:00:00Z", 5, "2026-02-28T12:00:00Z"),   # clamped to February's last day
    ("2028-07-31T12:00:00Z", 5, "2028-02-29T12:00:00Z"),   # leap year
    ("2026-08-31T23:59:59Z", 5, "2026-03-31T23:59:59Z"),   # no clamp needed
    ("2026-10-31T00:00:00Z", 5, "2026-05-31T00:00:00Z"),
    ("2026-09-30T06:00:00Z", 5, "2026-04-30T06:00:00Z"),
    ("2026-03-31T12:00:00Z", 5, "2025-10-31T12:00:00Z"),   # across the year
    ("2026-02-15T00:00:00Z", 5, "2025-09-15T00:00:00Z"),
    ("2026-05-31T12:00:00Z", 5, "2025-12-31T12:00:00Z"),
    ("2026-01-01T00:00:00Z", 5, "2025-08-01T00:00:00Z"),
    ("2026-03-31T12:00:00Z", 1, "2026-02-28T12:00:00Z"),
    ("2026-03-31T12:00:00Z", 13, "2025-02-28T12:00:00Z"),
    ("2026-03-31T12:00:00Z", 12, "2025-03-31T12:00:00Z"),
])
def test_months_before(now, months, cutoff):
    assert fleet.iso(fleet.months_before(epoch(now), months)) == cutoff
    assert fleet.obsolete_before(epoch(now), ("months", months)) == epoch(cutoff)


def test_obsolete_default_is_5_calendar_months():
    obsolete, week_days, minimum, now = fleet.check_options()
    assert obsolete == ("months", 5) and week_days == 7 and minimum is None and now is None
    assert fleet.check_options(obsolete_after_days=150)[0] == ("days", 150)
    assert fleet.check_options(obsolete_after_months=6)[0] == ("months", 6)


def test_status_codes_come_from_the_one_table():
    """The labels are derived from _comet_model.JOB_STATUS (the collection's one code table), not a copy."""
    assert set(fleet.all_status_labels()) == set(fleet.status_label(c) for c in JOB_STATUS)
    for code in JOB_STATUS:
        assert fleet.status_label(code).lower() == JOB_STATUS[code]


@pytest.mark.parametrize("version,reported,expected", [
    ("24.5.9", None, "outdated_client warning"),
    ("24.6.0", None, None),
    ("24.6", None, None),
    ("24.10.1", None, None),
    ("v25.3.0-beta", None, None),
    ("23.12.9", None, "outdated_client warning"),
    ("", None, "outdated_client info"),
    ("garbage", None, "outdated_client info"),
    ("23.9.0", "24.6.1", None),         # online: the live ReportedVersion is the current one
    ("24.9.0", "24.5.0", "outdated_client warning"),
])
def test_outdated_client(version, reported, expected):
    device = {"version": version}
    if reported:
        device.update(online=True, reported_version=reported)
    case = {"fleet": {"pnom": {"devices": {"d1": device}}},
            "jobs": [{"account": "pnom", "device": "d1", "status": 5000, "ago": "1d"}]}
    report = run(case, min_client_version="24.6.0")
    assert finding_lines(report) == ([] if expected is None else ["%s pnom d1" % expected])
    assert report["devices"][0]["client_version"] == (reported or version)
    # without a minimum, never a finding
    assert finding_lines(run(case)) == []


@pytest.mark.parametrize("a,b,lower", [
    ((24, 6), (24, 6, 0), False), ((24, 5, 9), (24, 6), True), ((24,), (23, 99), False), ((9, 9), (10,), True),
])
def test_version_lower(a, b, lower):
    assert fleet.version_lower(a, b) is lower


def test_severity_threshold_filter():
    case = CASES["cases"][0] if CASES["cases"][0]["id"] == "mixed_fleet" else None
    assert case is not None, "the first YAML case is the mixed fleet"
    findings = run(case)["findings"]
    assert fleet.at_or_above(findings, "none") == []
    assert len(fleet.at_or_above(findings, "info")) == len(findings)
    assert all(f["severity"] == "critical" for f in fleet.at_or_above(findings, "critical"))
    assert fleet.at_or_above(findings, "critical")
    severities = [fleet.SEVERITY_RANK[f["severity"]] for f in findings]
    assert severities == sorted(severities, reverse=True), "findings are sorted, most severe first"


def test_statistics_only_without_jobs_read():
    """jobs=None (no date-range read): Statistics still give the last success and last job."""
    case = {"fleet": {"pnom": {"devices": {"d1": {}}}},
            "jobs": [{"account": "pnom", "device": "d1", "status": 5000, "ago": "2d"}]}
    profiles, active, dummy = build(case)
    report = fleet.fleet_report(profiles, active, None, NOW)
    assert finding_lines(report) == []
    assert report["devices"][0]["last_success_time"] == NOW - 2 * DAY
    assert report["summary"]["jobs"]["read"] == 0


def test_result_is_json_plain_and_deterministic():
    import json
    case = CASES["cases"][0]
    a = json.dumps(run(case), sort_keys=False)
    b = json.dumps(run(case), sort_keys=False)
    assert a == b
