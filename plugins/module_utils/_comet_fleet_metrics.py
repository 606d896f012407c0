# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The fleet report (module comet_fleet_report's result: {summary, findings, accounts, devices}) as a Prometheus
# textfile-collector file (node_exporter --collector.textfile.directory; the text exposition format 0.0.4): gauges
# per device, per department and for the fleet, and the findings counted by code. Pure logic, no I/O; the filter
# unil.backup.fleet_report_prometheus exposes it.

from __future__ import annotations

import datetime

from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import int_or_zero

PREFIX = "unil_backup_fleet_"

# Severity as a number, for alerts (device_status): ok 0 ... critical 4.
STATUS_VALUE = {"ok": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

# Finding codes in report order, when the report's summary does not list them (_comet_fleet.FINDINGS).
DEFAULT_CODES = ("obsolete", "never_backed_up", "only_abandoned_or_error_this_week", "no_jobs_this_week",
                 "last_job_failed", "account_closing", "no_device", "outdated_client")

NO_JOB_LABEL = "No jobs"

# name (after PREFIX), help text; every metric is a gauge.
METRICS = (
    ("report_timestamp_seconds", "Time of the fleet report (Unix seconds)."),
    ("accounts", "Accounts in the report."),
    ("devices", "Devices in the report."),
    ("findings", "Findings of the report by code (the service's rules: obsolete, never_backed_up, ...)."),
    ("findings_by_severity", "Findings of the report by severity."),
    ("known_problems", "Devices whose last backup job's log shows a known problem of the guide, by problem."),
    ("device_last_working_backup_timestamp_seconds",
     "End of the device's last working backup, Success or Warning (Unix seconds; 0 when it has none)."),
    ("device_last_job_timestamp_seconds",
     "End of the device's last backup job, or its start while it runs (Unix seconds; 0 when none is known)."),
    ("device_last_job_status",
     "Status code of the device's last backup job (5000 Success, 7001 Warning, 7002 Error, ...; label status); "
     "0 when none is known."),
    ("device_jobs_this_week", "Backup jobs of the device in the report's recent window (week_days)."),
    ("device_working_jobs_this_week", "Working backup jobs (Success or Warning) of the device in the recent window."),
    ("device_online", "1 when the device has a live connection to the Comet Server, else 0."),
    ("device_status", "Highest severity of the device's findings: 0 ok, 1 info, 2 warning, 3 error, 4 critical."),
    ("department_accounts", "Accounts of the department."),
    ("department_devices", "Devices of the department."),
    ("department_devices_online", "Devices of the department with a live connection."),
    ("department_jobs_this_week", "Backup jobs of the department's devices in the recent window."),
    ("department_oldest_last_working_backup_timestamp_seconds",
     "The oldest last working backup among the department's devices that have one (Unix seconds; 0 when none has)."),
    ("department_devices_without_working_backup", "Devices of the department with no working backup in their history."),
    ("department_last_job_status", "Devices of the department by the status label of their last backup job."),
    ("department_findings", "Findings of the department by code."),
)


def escape_label(value):
    """A label value as the exposition format writes it between double quotes: backslash, double quote and line feed
    escaped."""
    return str(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def escape_help(text):
    """HELP text: backslash and line feed escaped."""
    return str(text).replace("\\", "\\\\").replace("\n", "\\n")


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return "%d" % value
    if value is None:
        return "0"
    return repr(float(value))


# The migration section (the report's ``migration``, with the module's history_path): its own prefix.
MIGRATION_PREFIX = "unil_backup_migration_"
MIGRATION_METRICS = (
    ("hosts", "Machines per department and migration stage now, from the latest record of each host in the migration "
              "history (stages: not_started, client_installed, settings_applied, waiting_for_backup, "
              "crashplan_removed, failed, unreachable)."),
    ("stuck_hosts", "Machines of the department not done with the migration (CrashPlan not removed)."),
    ("oldest_stage_since_timestamp_seconds",
     "Since when the department's longest stuck machine (not done) has been in its stage (Unix seconds)."),
    ("runs", "Runs in the migration history."),
    ("history_skipped_lines", "Lines of the migration history that were not records (a torn last line)."),
)


class _Families(object):
    """Samples per metric, written in the order of ``metrics`` with their HELP and TYPE once each."""

    def __init__(self, metrics=METRICS, prefix=PREFIX):
        self.metrics, self.prefix = metrics, prefix
        self.samples = dict((name, []) for name, dummy in metrics)

    def add(self, name, labels, value):
        self.samples[name].append((tuple(labels), value))

    def text(self):
        out = []
        for name, help_text in self.metrics:
            samples = self.samples[name]
            if not samples:
                continue
            full = self.prefix + name
            out.append("# HELP %s %s" % (full, escape_help(help_text)))
            out.append("# TYPE %s gauge" % full)
            for labels, value in samples:
                if labels:
                    text = ",".join('%s="%s"' % (key, escape_label(val)) for key, val in labels)
                    out.append("%s{%s} %s" % (full, text, _number(value)))
                else:
                    out.append("%s %s" % (full, _number(value)))
        return "\n".join(out) + "\n" if out else ""


def _department_of(departments):
    if departments is None:
        return lambda account: account
    if not isinstance(departments, dict):
        raise ValueError("departments must be a mapping of account -> department, not %s" % type(departments).__name__)
    for account, department in departments.items():
        if not isinstance(account, str) or not isinstance(department, str) or not department:
            raise ValueError("departments: %r -> %r is not an account name -> department name" % (account, department))
    return lambda account: departments.get(account) or account


def render_textfile(report, departments=None):
    """The Prometheus textfile-collector text of a fleet report (comet_fleet_report's result). ``departments`` maps
    an account to its department (default, and for an account it does not name: the account itself). Raises ValueError
    on input that is not a fleet report."""
    if not isinstance(report, dict) or not all(isinstance(report.get(k), list) for k in ("devices", "findings")):
        raise ValueError("the input must be a fleet report (the result of unil.backup.comet_fleet_report): a mapping "
                         "with devices and findings lists")
    department_of = _department_of(departments)
    summary = report.get("summary") if isinstance(report.get("summary"), dict) else {}
    accounts = [a for a in report.get("accounts") or [] if isinstance(a, dict)]
    devices = [d for d in report["devices"] if isinstance(d, dict)]
    findings = [f for f in report["findings"] if isinstance(f, dict)]
    codes = list((summary.get("by_finding") or {}).keys()) or list(DEFAULT_CODES)
    for f in findings:
        if f.get("code") not in codes:
            codes.append(f.get("code"))
    families = _Families()

    if summary.get("now"):
        families.add("report_timestamp_seconds", (), int_or_zero(summary["now"]))
    families.add("accounts", (), len(accounts) if accounts else int_or_zero(summary.get("accounts")))
    families.add("devices", (), len(devices))
    by_code = dict((c, 0) for c in codes)
    by_severity = dict((s, 0) for s in ("info", "warning", "error", "critical"))
    for f in findings:
        by_code[f.get("code")] = by_code.get(f.get("code"), 0) + 1
        by_severity[f.get("severity")] = by_severity.get(f.get("severity"), 0) + 1
    for code in codes:
        families.add("findings", (("code", code),), by_code[code])
    for severity, count in by_severity.items():
        families.add("findings_by_severity", (("severity", severity),), count)
    for problem, count in sorted((summary.get("known_problems") or {}).items()):
        families.add("known_problems", (("problem", problem),), int_or_zero(count))

    depts = {}

    def dept(account):
        name = department_of(account)
        if name not in depts:
            depts[name] = {"accounts": set(), "devices": 0, "online": 0, "jobs": 0, "oldest": None, "never": 0,
                           "last": {}, "findings": dict((c, 0) for c in codes)}
        depts[name]["accounts"].add(account)
        return name, depts[name]

    for account in accounts:
        dept(account.get("account"))
    by_place = sorted(devices, key=lambda d: (department_of(d.get("account")), str(d.get("account")),
                                              str(d.get("device_id"))))
    for d in by_place:
        name, agg = dept(d.get("account"))
        labels = (("department", name), ("account", d.get("account") or ""), ("device_id", d.get("device_id") or ""),
                  ("device", d.get("name") or d.get("device_id") or ""), ("platform", d.get("platform") or "unknown"))
        working = int_or_zero(d.get("last_working_time"))
        last = d.get("last_job") if isinstance(d.get("last_job"), dict) else None
        label = (last or {}).get("label") or NO_JOB_LABEL
        families.add("device_last_working_backup_timestamp_seconds", labels, working)
        families.add("device_last_job_timestamp_seconds", labels, int_or_zero((last or {}).get("time")))
        families.add("device_last_job_status", labels + (("status", label),), int_or_zero((last or {}).get("status")))
        families.add("device_jobs_this_week", labels, int_or_zero(d.get("week_jobs")))
        families.add("device_working_jobs_this_week", labels, int_or_zero(d.get("week_working_jobs")))
        families.add("device_online", labels, bool(d.get("online")))
        families.add("device_status", labels, STATUS_VALUE.get(d.get("status"), 0))
        agg["devices"] += 1
        agg["online"] += 1 if d.get("online") else 0
        agg["jobs"] += int_or_zero(d.get("week_jobs"))
        if working:
            agg["oldest"] = working if agg["oldest"] is None else min(agg["oldest"], working)
        else:
            agg["never"] += 1
        agg["last"][label] = agg["last"].get(label, 0) + 1
    for f in findings:
        dummy, agg = dept(f.get("account"))
        agg["findings"][f.get("code")] = agg["findings"].get(f.get("code"), 0) + 1

    for name in sorted(depts, key=str):
        agg = depts[name]
        labels = (("department", name),)
        families.add("department_accounts", labels, len(agg["accounts"]))
        families.add("department_devices", labels, agg["devices"])
        families.add("department_devices_online", labels, agg["online"])
        families.add("department_jobs_this_week", labels, agg["jobs"])
        families.add("department_oldest_last_working_backup_timestamp_seconds", labels, agg["oldest"] or 0)
        families.add("department_devices_without_working_backup", labels, agg["never"])
        for label, count in sorted(agg["last"].items()):
            families.add("department_last_job_status", labels + (("status", label),), count)
        for code in codes:
            families.add("department_findings", labels + (("code", code),), agg["findings"].get(code, 0))
    if isinstance(report.get("migration"), dict):
        return families.text() + migration_textfile(report["migration"])
    return families.text()


def migration_textfile(section):
    """The gauges of the migration section: a sample per department and stage (every stage, 0 included), the stuck
    machines per department, the runs and the skipped lines."""
    families = _Families(MIGRATION_METRICS, MIGRATION_PREFIX)
    stages = list(section.get("stages") or ())
    by_dept = section.get("by_department") or {}
    done = ("crashplan_removed",)
    oldest = {}
    for entry in section.get("machines") or section.get("stuck") or []:
        if entry.get("stage") in done:
            continue
        since = _epoch(entry.get("since"))
        dept = entry.get("department")
        if since is not None and (dept not in oldest or since < oldest[dept]):
            oldest[dept] = since
    for dept in sorted(by_dept, key=str):
        row = by_dept[dept] or {}
        for stage in stages or sorted(row):
            families.add("hosts", (("department", dept), ("stage", stage)), int_or_zero(row.get(stage)))
        families.add("stuck_hosts", (("department", dept),),
                     sum(int_or_zero(n) for stage, n in row.items() if stage not in done))
        if dept in oldest:
            families.add("oldest_stage_since_timestamp_seconds", (("department", dept),), oldest[dept])
    families.add("runs", (), int_or_zero(section.get("runs")))
    families.add("history_skipped_lines", (), int_or_zero(section.get("skipped_lines")))
    return families.text()


def _epoch(text):
    """Unix seconds of a UTC ISO 8601 time with Z (the history's), None otherwise."""
    try:
        moment = datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())
