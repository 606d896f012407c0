# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Fleet view of the Comet Server (pure logic, no I/O): from list-users-full, dispatcher/list-active and the backup jobs
# (get-jobs-for-date-range over the last week, plus each Protected Item's Statistics.LastBackupJob /
# LastSuccessfulBackupJob), compute per account and per device what the service's automatic e-mails (seed 001) tell
# one person:
#   obsolete           no working backup for more than 5 calendar months ("n'a pas été sauvegardé depuis plus de
#                      5 mois", "Sauvegarde obsolète")
#   never_backed_up    computer with no working backup in its history ("aucune sauvegarde fonctionnelle dans son
#                      historique", "Sauvegarde de l'ordinateur YYY à contrôler"); info while the first one runs
#   only_abandoned_or_error_this_week
#                      every backup job of the last 7 days ended Abandoned or Error (the Friday report: "Si seules
#                      des mentions Abandonné ou Erreur apparaissent, alors il faut contrôler la sauvegarde")
#   no_jobs_this_week  no backup job at all in the last 7 days (the Friday report: "La mention No jobs report indique
#                      "qu'il n'y a eu aucune sauvegarde au cours des 7 derniers jours")
#   last_job_failed    the last backup job ended Error/Abandoned/Timeout/Quota exceeded/Missed/Cancelled/Skipped
#   account_closing    suspended account, with the date its backups are deleted ("Accès au service de sauvegarde
#                      UNIL désactivé dans X jours")
#   no_device          account with no computer ("Aucun ordinateur sauvegardé sur votre compte")
#   outdated_client    client version lower than a minimum (when one is given)
# and, when the site turns them on, the account rules of _comet_fleet_accounts (devices_over_limit, stale_device,
# policy_mismatch, mails_not_received) and the closing counted from the service's announcement (account_closing).
# Only BACKUP jobs (classification 4001) count for backup health. A working backup is a Success (5xxx) or a Warning
# (7001): seed 000, "Gestion des alertes", Warning = "La tâche de sauvegarde a pu aller au bout du processus", and the
# weekly report "Si des mentions succès ou avertissement apparaissent en majorité ... tout semble en ordre" (is_working).

from __future__ import annotations

import calendar
import datetime
import functools
import re

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_accounts as rules_of
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    JOB_STATUS,
    CometInputError,
    job_status_name,
    platform_os,
)

DAY = 86400
BACKUP_CLASSIFICATION = 4001

SEVERITIES = ("info", "warning", "error", "critical")
SEVERITY_RANK = dict((name, rank) for rank, name in enumerate(SEVERITIES))

# Finding codes, in report order, with their default severity.
FINDINGS = (
    ("obsolete", "critical"),
    ("never_backed_up", "error"),
    ("only_abandoned_or_error_this_week", "error"),
    ("no_jobs_this_week", "error"),
    ("last_job_failed", "error"),
    ("account_closing", "warning"),
    ("no_device", "warning"),
    ("outdated_client", "warning"),
    ("devices_over_limit", "warning"),
    ("stale_device", "warning"),
    ("policy_mismatch", "warning"),
    ("mails_not_received", "warning"),
)
# The codes of the checks a site turns on (options): counted in summary.by_finding only when on.
OPTIONAL_FINDINGS = {
    "devices_over_limit": "max_devices_per_account",
    "stale_device": "stale_after_months",
    "policy_mismatch": "policy_id",
    "mails_not_received": "check_mails",
}
FINDING_ORDER = dict((code, i) for i, (code, dummy) in enumerate(FINDINGS))

# Severity of last_job_failed by status name (names from the ONE code table, _comet_model.JOB_STATUS).
# Warning (7001) is not a failure: the job ran to the end (the weekly e-mail says success/warning means all is well).
# What the user can fix by simply letting the next run happen (missed, cancelled by the user, skipped because another
# job was running) is a warning; what means the backup did not work is an error.
FAILED_SEVERITY = {
    "error": "error",
    "abandoned": "error",
    "timeout": "error",
    "quota exceeded": "error",
    "missed": "warning",
    "cancelled": "warning",
    "skipped": "warning",
}

NO_JOB_LABEL = "No jobs"

# The longest job history the summary's jobs_per_day may cover (history_days).
HISTORY_DAYS_MAX = 400

# The service's "obsolete" threshold (seed 001): "n'a pas été sauvegardé depuis plus de 5 mois" - calendar months.
OBSOLETE_AFTER_MONTHS = 5

# Statuses of the weekly report's bad mentions (seed 001: "Si seules des mentions *Abandonné* ou *Erreur*
# apparaissent, alors il faut contrôler la sauvegarde votre ordinateur"). Names from _comet_model.JOB_STATUS; an unknown 7xxx code is
# an "error" there too.
WEEK_BAD_STATUS = ("abandoned", "error")

# Seed 001, account closing ("[Comet Backup] Accès au service de sauvegarde UNIL désactivé dans X jours"):
#   "La suppression de votre compte Comet Backup implique la suppression définitives des sauvegardes. Elle est
#    effectuée 14 jours après l'annonce de suppression."
# The announcement is the suspension (UserProfileConfig.IsSuspended, LastSuspended in Unix seconds, both omitempty).
DATA_DELETED_AFTER_DAYS = 14


# status_label's answers by code: a fleet has few distinct codes and asks for them hundreds of thousands of times
_LABELS = {}


def status_label(code):
    """Display label of a job status code ("Success", "Warning", "Quota exceeded", "Running", ...), from the one
    code -> name table of the collection (_comet_model.JOB_STATUS)."""
    try:
        return _LABELS[code]
    except (KeyError, TypeError):
        pass
    name = job_status_name(code)
    label = name[:1].upper() + name[1:]
    if isinstance(code, (int, str)) and len(_LABELS) < 1000:
        _LABELS[code] = label
    return label


def status_kind(code):
    """'success' (5xxx), 'running' (6xxx) or 'failed' (7xxx and anything else)."""
    try:
        code = int(code)
    except (TypeError, ValueError):
        return "failed"
    if 5000 <= code <= 5999:
        return "success"
    if 6000 <= code <= 6999:
        return "running"
    return "failed"


def is_working(code):
    """A job that backed the data up: success (5xxx) or warning (7001; the service counts it as a working backup)."""
    return status_kind(code) == "success" or status_label(code) == "Warning"


_ALL_LABELS = []


def all_status_labels():
    """Every label of the code table, in code order (for stable tables in reports)."""
    if not _ALL_LABELS:
        for code in sorted(JOB_STATUS):
            label = status_label(code)
            if label not in _ALL_LABELS:
                _ALL_LABELS.append(label)
    return list(_ALL_LABELS)


def parse_version(value):
    """(24, 6, 0) from "24.6.0", "v24.6.0", "24.6.0-beta"; None when there is no leading number."""
    if value is None:
        return None
    match = re.match(r"^\s*[vV]?(\d+(?:\.\d+)*)", str(value))
    if not match:
        return None
    return tuple(int(p) for p in match.group(1).split("."))


# A version an option gives (a minimum): numbers separated by dots and nothing else, the whole value (a reported
# client version may carry a suffix, "24.6.0-beta": parse_version reads its leading numbers).
_MINIMUM_VERSION = re.compile(r"[vV]?[0-9]{1,9}(?:\.[0-9]{1,9}){0,3}")


def parse_minimum_version(value):
    """(24, 6, 0) from "24.6.0" or "v24.6" (outer spaces ignored); None for anything else ("24.6garbage", "24.6.0\n
    x", "24..6", "²4"): the whole value must be the version."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    match = _MINIMUM_VERSION.fullmatch(str(value).strip())
    if not match:
        return None
    return tuple(int(p) for p in match.group(0).lstrip("vV").split("."))


def version_lower(version, minimum):
    """True when ``version`` (tuple) is lower than ``minimum`` (tuple); missing parts count as 0."""
    size = max(len(version), len(minimum))
    return tuple(version) + (0,) * (size - len(version)) < tuple(minimum) + (0,) * (size - len(minimum))


def months_before(now, months):
    """Unix seconds ``months`` calendar months before ``now`` (UTC), same time of day; the day of the month is clamped
    to the length of the target month (2026-07-31 minus 5 months is 2026-02-28)."""
    moment = datetime.datetime.fromtimestamp(int(now), tz=datetime.timezone.utc)
    index = moment.year * 12 + (moment.month - 1) - int(months)
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def iso(epoch):
    """UTC ISO 8601 text of Unix seconds, None for None/0."""
    if not epoch:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def int_or_zero(value):
    """``value`` as an int; 0 for None, empty or what is not a number (Comet's optional numeric fields)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def is_backup(job):
    """A BACKUP job (classification 4001). A job from Statistics.Last*BackupJob without a Classification is one."""
    if "Classification" not in job or job.get("Classification") in (None, ""):
        return True
    return int_or_zero(job.get("Classification")) == BACKUP_CLASSIFICATION


def _job_key(job):
    return (int_or_zero(job.get("StartTime")), int_or_zero(job.get("EndTime")), str(job.get("GUID") or ""))


def _job_identity(job):
    guid = job.get("GUID")
    if guid:
        return guid
    return ("", int_or_zero(job.get("StartTime")), int_or_zero(job.get("EndTime")), int_or_zero(job.get("Status")), job.get("SourceGUID") or "")


def job_time(job):
    """When the job ended, or started while it runs."""
    return int_or_zero(job.get("EndTime")) or int_or_zero(job.get("StartTime"))


def job_in_window(job, start, end):
    """The job ran at some point in [start, end]: it started or ended in it, or it is running (no EndTime) and started
    before ``end``."""
    started = int_or_zero(job.get("StartTime"))
    ended = int_or_zero(job.get("EndTime"))
    if start <= started <= end or (ended and start <= ended <= end):
        return True
    return not ended and status_kind(job.get("Status")) == "running" and 0 < started <= end


def job_view(job):
    if not job:
        return None
    code = int_or_zero(job.get("Status"))
    return {
        "status": code,
        "label": status_label(code),
        "kind": status_kind(code),
        "start_time": int_or_zero(job.get("StartTime")),
        "end_time": int_or_zero(job.get("EndTime")),
        "time": job_time(job),
        "time_iso": iso(job_time(job)),
        "item_id": job.get("SourceGUID") or "",
        "guid": job.get("GUID") or "",
    }


def check_options(obsolete_after_days=None, week_days=7, min_client_version=None, now=None, obsolete_after_months=None):
    """Validated (obsolete, week_days, min_version tuple or None, now); ``obsolete`` is ("months", n) - the service's
    rule, 5 calendar months when neither threshold is given - or ("days", n) when ``obsolete_after_days`` is set.
    Raises CometInputError naming the option."""
    if obsolete_after_days is not None and obsolete_after_months is not None:
        raise CometInputError("obsolete_after_days", "and obsolete_after_months are exclusive: set one of them")
    for option, value in (("obsolete_after_days", obsolete_after_days), ("week_days", week_days)):
        if value is None and option == "obsolete_after_days":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CometInputError(option, "must be a whole number of days, 1 or more (got %r)" % (value,))
    if obsolete_after_days is not None:
        obsolete = ("days", obsolete_after_days)
        longest_week = obsolete_after_days
    else:
        months = OBSOLETE_AFTER_MONTHS if obsolete_after_months is None else obsolete_after_months
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
            raise CometInputError("obsolete_after_months", "must be a whole number of months, 1 to 1200 (got %r)" % (months,))
        obsolete = ("months", months)
        longest_week = 28 * months  # the shortest span those months can have
    if week_days > longest_week:
        raise CometInputError("week_days", "(%d) must not be longer than the obsolete threshold (%d %s, %d days at least)"
                              % (week_days, obsolete[1], obsolete[0], longest_week))
    minimum = None
    if min_client_version not in (None, ""):
        minimum = parse_minimum_version(min_client_version)
        if minimum is None:
            raise CometInputError("min_client_version", "%r is not a version like 24.6.0 (numbers separated by dots, "
                                                        "nothing after them)" % (min_client_version,))
    if now is not None and (isinstance(now, bool) or not isinstance(now, int) or now <= 0):
        raise CometInputError("now", "must be Unix seconds (got %r)" % (now,))
    return obsolete, week_days, minimum, now


def obsolete_before(now, obsolete):
    """The cutoff of an ``obsolete`` threshold from check_options: a device whose last working backup ended before
    it (strictly) is obsolete. ("months", 5) at 2026-12-02T12:00:00Z is 2026-07-02T12:00:00Z."""
    kind, count = obsolete
    if kind == "days":
        return now - count * DAY
    return months_before(now, count)


def threshold_text(obsolete):
    kind, count = obsolete
    return "%d %s" % (count, kind if count != 1 else kind[:-1])


def select_accounts(profiles, accounts=None):
    """Sorted account names to report: all, or ``accounts`` (each must exist). Raises CometInputError."""
    if not accounts:
        return sorted(profiles)
    missing = sorted(set(accounts) - set(profiles))
    if missing:
        raise CometInputError("accounts", "no account %s on the Comet Server" % ", ".join(repr(a) for a in missing))
    return sorted(set(accounts))


def live_by_device(active):
    """{(account, device_id): live connection} from dispatcher/list-active ({TargetID: connection})."""
    out = {}
    for target_id, conn in sorted((active or {}).items()):
        conn = conn or {}
        key = (conn.get("Username"), conn.get("DeviceID"))
        if key[0] and key[1] and key not in out:
            out[key] = dict(conn, TargetID=target_id)
    return out


def _finding(code, severity, account, device_id, device_name, message, **details):
    return {
        "code": code,
        "severity": severity,
        "account": account,
        "device_id": device_id,
        "device_name": device_name,
        "message": message,
        "details": details,
    }


def _days(seconds):
    return int(seconds // DAY)


def device_report(account, device_id, device, profile, jobs, live, now, obsolete=("months", OBSOLETE_AFTER_MONTHS),
                  week_days=7, minimum=None):
    """(device view, findings) of one device. ``jobs`` are this device's jobs from the date-range read (any
    classification: non-backup ones are ignored here); the Statistics of the Protected Items it owns add its last
    backup job and last successful one, which may be older than the window. ``obsolete`` comes from check_options."""
    device = device or {}
    name = device.get("FriendlyName") or device_id
    week_start = now - week_days * DAY
    cutoff = obsolete_before(now, obsolete)
    seen = {}
    for job in jobs or []:
        if is_backup(job):
            seen.setdefault(_job_identity(job), job)
    for dummy, source in sorted((profile.get("Sources") or {}).items()):
        source = source or {}
        if source.get("OwnerDevice") != device_id:
            continue
        stats = source.get("Statistics") or {}
        for field in ("LastBackupJob", "LastSuccessfulBackupJob"):
            job = stats.get(field)
            if isinstance(job, dict) and int_or_zero(job.get("StartTime")) > 0 and is_backup(job):
                job = dict(job)
                job.setdefault("SourceGUID", dummy)
                seen.setdefault(_job_identity(job), job)
    backups = sorted(seen.values(), key=_job_key)
    last = backups[-1] if backups else None
    successes = [j for j in backups if status_kind(j.get("Status")) == "success"]
    last_success = max(successes, key=job_time) if successes else None
    last_success_time = job_time(last_success) if last_success else None
    # a working backup (Success or Warning) is what the service's rules count: never backed up, obsolete
    working = [j for j in backups if is_working(j.get("Status"))]
    last_working = max(working, key=job_time) if working else None
    last_working_time = job_time(last_working) if last_working else None
    running = [j for j in backups if status_kind(j.get("Status")) == "running" and not int_or_zero(j.get("EndTime"))]
    week = [j for j in backups if job_in_window(j, week_start, now)]
    counts = {}
    for job in week:
        label = status_label(job.get("Status"))
        counts[label] = counts.get(label, 0) + 1

    conn = live.get((account, device_id))
    # one rule (platform_os): PlatformVersion.os, else the live connection's ReportedPlatform (clients before 23.6)
    platform = platform_os(device, conn) or str(((device.get("PlatformVersion") or {}).get("os")) or "") or "unknown"
    version = (conn or {}).get("ReportedVersion") or device.get("ClientVersion") or ""

    findings = []
    where = "device %s (%s, account %s)" % (name, device_id, account)
    if last_working is None:
        if running:
            findings.append(_finding(
                "never_backed_up", "info", account, device_id, name,
                "%s has no working backup yet; its first backup is running since %s" % (where, iso(int_or_zero(running[-1].get("StartTime")))),
                first_backup_running=True))
        else:
            findings.append(_finding(
                "never_backed_up", "error", account, device_id, name,
                "%s has no working backup (Success or Warning) in its history" % where, first_backup_running=False))
    elif last_working_time < cutoff:
        age = now - last_working_time
        details = dict(last_working_time=last_working_time, last_working_iso=iso(last_working_time), age_days=_days(age),
                       obsolete_before=cutoff, obsolete_before_iso=iso(cutoff))
        details["threshold_" + obsolete[0]] = obsolete[1]
        findings.append(_finding(
            "obsolete", "critical", account, device_id, name,
            "%s: no working backup for more than %s (last one %s, %d days ago; obsolete before %s)"
            % (where, threshold_text(obsolete), iso(last_working_time), _days(age), iso(cutoff)), **details))
    if not week:
        findings.append(_finding(
            "no_jobs_this_week", "error", account, device_id, name,
            "%s: no backup job in the last %d days (No jobs)" % (where, week_days),
            week_days=week_days, last_job_time=job_time(last) if last else None))
    elif all(job_status_name(j.get("Status")) in WEEK_BAD_STATUS for j in week):
        findings.append(_finding(
            "only_abandoned_or_error_this_week", "error", account, device_id, name,
            "%s: every backup job of the last %d days ended Abandoned or Error (%s)"
            % (where, week_days, ", ".join("%s %d" % kv for kv in _label_order(counts).items())),
            week_days=week_days, week_jobs=len(week), week=_label_order(counts)))
    if last is not None and status_kind(last.get("Status")) == "failed":
        name_of_status = job_status_name(last.get("Status"))
        severity = FAILED_SEVERITY.get(name_of_status)
        if severity:
            findings.append(_finding(
                "last_job_failed", severity, account, device_id, name,
                "%s: last backup job %s (%s)" % (where, status_label(last.get("Status")), iso(job_time(last))),
                status=int_or_zero(last.get("Status")), label=status_label(last.get("Status")), time=job_time(last)))
    if minimum is not None:
        parsed = parse_version(version)
        if parsed is None:
            findings.append(_finding(
                "outdated_client", "info", account, device_id, name,
                "%s: client version unknown (minimum %s)" % (where, ".".join(str(p) for p in minimum)),
                version=version, minimum=".".join(str(p) for p in minimum)))
        elif version_lower(parsed, minimum):
            findings.append(_finding(
                "outdated_client", "warning", account, device_id, name,
                "%s: client %s is older than %s" % (where, version, ".".join(str(p) for p in minimum)),
                version=version, minimum=".".join(str(p) for p in minimum)))

    view = {
        "account": account,
        "device_id": device_id,
        "name": name,
        "platform": platform,
        "client_version": version,
        "online": conn is not None,
        "registration_time": int_or_zero(device.get("RegistrationTime")) or None,
        "last_job": job_view(last),
        "last_working_time": last_working_time,
        "last_working_iso": iso(last_working_time),
        "last_working_age_days": _days(now - last_working_time) if last_working_time else None,
        "last_success_time": last_success_time,
        "last_success_iso": iso(last_success_time),
        "last_success_age_days": _days(now - last_success_time) if last_success_time else None,
        "week_jobs": len(week),
        "week_working_jobs": sum(1 for j in week if is_working(j.get("Status"))),
        "week": _label_order(counts),
        "findings": [f["code"] for f in sorted(findings, key=_finding_sort_key)],
        "status": worst([f["severity"] for f in findings]),
    }
    return view, findings


def account_closing(account, profile, now, announced=None, source="suspension"):
    """The account_closing finding of an account (None when none): from the service's announcement (``announced``,
    Unix seconds, when ``source`` is announcement or both) the backups go DATA_DELETED_AFTER_DAYS days after it (seed
    001, quoted at DATA_DELETED_AFTER_DAYS); else, when ``source`` is suspension or both, a suspended account's backups
    go DATA_DELETED_AFTER_DAYS days after UserProfileConfig.LastSuspended (later than the announcement when the
    service suspends after announcing). days_left counts whole days up (0 when the date is now, negative once past)."""
    if announced and source in ("announcement", "both"):
        d = rules_of.announced_closing(announced, now, DATA_DELETED_AFTER_DAYS)
        left = d["days_left"]
        when = ("in %d day(s)" % left) if d["data_deletion_time"] > now else ("due %d day(s) ago" % -left)
        d.update(announced_iso=iso(announced), data_deletion_iso=iso(d["data_deletion_time"]),
                 data_deletion_date=iso(d["data_deletion_time"])[:10], suspended=bool(profile.get("IsSuspended")),
                 suspended_since=int_or_zero(profile.get("LastSuspended")) or None)
        return _finding(
            "account_closing", "warning", account, None, None,
            "account %s: closing announced on %s; its backups are deleted %d days later, on %s (%s)"
            % (account, iso(announced)[:10], DATA_DELETED_AFTER_DAYS, d["data_deletion_date"], when), **d)
    if source == "announcement" or not profile.get("IsSuspended"):
        return None
    since = int_or_zero(profile.get("LastSuspended")) or None
    if since is None:
        return _finding(
            "account_closing", "warning", account, None, None,
            "account %s is suspended (since when unknown: no LastSuspended); its backups are deleted %d days after the "
            "suspension" % (account, DATA_DELETED_AFTER_DAYS),
            suspended_since=None, suspended_since_iso=None, data_deletion_time=None, data_deletion_iso=None,
            data_deletion_date=None, days_left=None)
    deletion = since + DATA_DELETED_AFTER_DAYS * DAY
    left = deletion - now
    days_left = -(-left // DAY) if left > 0 else -_days(-left)
    when = ("in %d day(s)" % days_left) if left > 0 else ("due %d day(s) ago" % -days_left)
    return _finding(
        "account_closing", "warning", account, None, None,
        "account %s is suspended since %s: its backups are deleted %d days later, on %s (%s)"
        % (account, iso(since), DATA_DELETED_AFTER_DAYS, iso(deletion)[:10], when),
        suspended_since=since, suspended_since_iso=iso(since), data_deletion_time=deletion,
        data_deletion_iso=iso(deletion), data_deletion_date=iso(deletion)[:10],
        days_left=days_left)


def _account_rule_findings(account, profile, views, rules, stale_cutoff):
    """The findings of the site's account rules (_comet_fleet_accounts) for one account and its device ``views``; the
    views of stale devices get the code and their status raised, in place."""
    found = []
    if stale_cutoff is not None:
        for view in views:
            d = rules_of.stale_device(view, stale_cutoff, rules["stale_after_months"])
            if d is None:
                continue
            d.update(last_activity_iso=iso(d["last_activity_time"]), stale_before_iso=iso(d["stale_before"]))
            found.append(_finding(
                "stale_device", "warning", account, view["device_id"], view["name"],
                "device %s (%s, account %s): no backup job for more than %d month(s) (last %s %s); remove it if it is "
                "no longer used" % (view["name"], view["device_id"], account, rules["stale_after_months"],
                                    "job" if d["last_activity_source"] == "last_job" else "registration",
                                    iso(d["last_activity_time"])), **d))
            view["findings"].append("stale_device")
            view["status"] = worst([view["status"], "warning"])
    over = rules_of.devices_over_limit(views, rules["max_devices_per_account"])
    if over:
        found.append(_finding(
            "devices_over_limit", "warning", account, None, None,
            "account %s has %d devices, more than the licence limit of %d per account (%s)"
            % (account, over["device_count"], over["limit"], ", ".join(d["name"] for d in over["devices"])), **over))
    mismatch = rules_of.policy_mismatch(profile, rules["policy_id"])
    if mismatch:
        found.append(_finding(
            "policy_mismatch", "warning", account, None, None,
            "account %s follows %s, not the site's policy %s" % (
                account, ("policy %s" % mismatch["policy_id"]) if mismatch["policy_id"] else "no policy",
                mismatch["expected_policy_id"]), **mismatch))
    if rules["check_mails"]:
        mails = rules_of.mails_not_received(profile)
        if mails:
            found.append(_finding(
                "mails_not_received", "warning", account, None, None,
                "account %s: no one receives %s" % (account, " nor ".join(
                    {"job_mails": "the job mails (Error, Cancelled)", "weekly_report": "the weekly report"}[k]
                    for k in mails["missing"])), **mails))
    return found


def worst(severities):
    """The highest severity of the list, "ok" when empty."""
    ranked = [s for s in severities if s in SEVERITY_RANK]
    if not ranked:
        return "ok"
    return max(ranked, key=lambda s: SEVERITY_RANK[s])


def _finding_sort_key(f):
    return (-SEVERITY_RANK.get(f["severity"], -1), FINDING_ORDER.get(f["code"], 99), f["account"] or "",
            f["device_name"] or "", f["device_id"] or "")


def fleet_report(profiles, active, jobs, now, accounts=None, obsolete_after_days=None, week_days=7,
                 min_client_version=None, obsolete_after_months=None, history_days=None, account_rules=None):
    """The fleet view: {"accounts", "devices", "findings", "summary"}.

    ``profiles``: list-users-full ({username: UserProfileConfig}); ``active``: dispatcher/list-active; ``jobs``: the
    BackupJobDetail list of get-jobs-for-date-range(now - week_days days, now) (None when not read: Statistics only);
    ``now``: Unix seconds. Obsolete is more than ``obsolete_after_months`` calendar months (default 5, the service's
    rule) without a working backup, or more than ``obsolete_after_days`` days when that is set instead.
    ``history_days`` (default ``week_days``): ``jobs`` may cover that longer range; only the summary's
    ``jobs_per_day`` counts the jobs older than the recent window, the findings never see them. ``account_rules``
    (_comet_fleet_accounts.check_account_rules; None: every account rule off, closing from the suspension) turns on
    the site's account rules. Raises CometInputError naming the option on bad input."""
    obsolete, week_days, minimum, now = check_options(obsolete_after_days, week_days, min_client_version, now,
                                                      obsolete_after_months)
    if now is None:
        raise CometInputError("now", "is required")
    history_days = check_history_days(history_days, week_days)
    rules = account_rules if account_rules is not None else rules_of.check_account_rules(
        max_devices_per_account=None, closing_source="suspension")
    stale_cutoff = months_before(now, rules["stale_after_months"]) if rules["stale_after_months"] else None
    wanted = select_accounts(profiles or {}, accounts)
    live = live_by_device(active)

    by_device = {}
    wanted_set = set(wanted)
    charted = []
    ignored_class = 0
    unknown_device = 0
    for job in jobs or []:
        job = job or {}
        if not is_backup(job):
            ignored_class += 1
            continue
        key = (job.get("Username"), job.get("DeviceID"))
        profile = (profiles or {}).get(key[0]) or {}
        if key[1] not in (profile.get("Devices") or {}):
            unknown_device += 1
            continue
        if key[0] in wanted_set:
            charted.append(job)
        # a longer read (history_days) feeds jobs_per_day only: the findings see the recent window, as before
        if history_days > week_days and not job_in_window(job, now - week_days * DAY, now):
            continue
        by_device.setdefault(key, []).append(job)

    account_views, device_views, findings = [], [], []
    for account in wanted:
        profile = profiles[account] or {}
        devices = profile.get("Devices") or {}
        account_findings = []
        closing = account_closing(account, profile, now, rules["closing_announcements"].get(account),
                                  rules["closing_source"])
        if closing:
            account_findings.append(closing)
        if not devices:
            account_findings.append(_finding("no_device", "warning", account, None, None,
                                             "account %s has no device" % account))
        ids = sorted(devices, key=lambda d: ((devices[d] or {}).get("FriendlyName") or d, d))
        views = []
        for device_id in ids:
            view, found = device_report(account, device_id, devices[device_id], profile, by_device.get((account, device_id)),
                                        live, now, obsolete, week_days, minimum)
            views.append(view)
            account_findings.extend(found)
        account_findings.extend(_account_rule_findings(account, profile, views, rules, stale_cutoff))
        device_views.extend(views)
        findings.extend(account_findings)
        account_views.append({
            "account": account,
            "account_name": profile.get("AccountName") or "",
            "suspended": bool(profile.get("IsSuspended")),
            "suspended_since": (closing or {}).get("details", {}).get("suspended_since"),
            "data_deletion_time": (closing or {}).get("details", {}).get("data_deletion_time"),
            "data_deletion_iso": (closing or {}).get("details", {}).get("data_deletion_iso"),
            "closing_announced_time": (closing or {}).get("details", {}).get("announced_time"),
            "policy_id": profile.get("PolicyID") or "",
            "device_count": len(views),
            "devices": [v["device_id"] for v in views],
            "online": sum(1 for v in views if v["online"]),
            "findings": sorted(set(f["code"] for f in account_findings), key=lambda c: FINDING_ORDER.get(c, 99)),
            "status": worst([f["severity"] for f in account_findings]),
        })
    findings.sort(key=_finding_sort_key)
    summary = fleet_summary(account_views, device_views, findings, now, obsolete, week_days, minimum)
    for code, option in OPTIONAL_FINDINGS.items():
        if not rules[option] and not summary["by_finding"].get(code):
            summary["by_finding"].pop(code, None)
    summary["account_rules"] = dict((k, v) for k, v in rules.items() if k != "closing_announcements")
    summary["account_rules"]["closing_announcements"] = len(rules["closing_announcements"])
    summary["accounts_over_device_limit"] = summary["by_finding"].get("devices_over_limit", 0)
    summary["jobs"] = {
        "read": len(jobs or []),
        "ignored_not_backup": ignored_class,
        "ignored_unknown_device": unknown_device,
    }
    summary["history_days"] = history_days
    summary["jobs_per_day"] = jobs_per_day(charted, now, history_days)
    return {"accounts": account_views, "devices": device_views, "findings": findings, "summary": summary}


def fleet_summary(accounts, devices, findings, now, obsolete, week_days, minimum):
    by_finding = dict((code, 0) for code, dummy in FINDINGS)
    by_severity = dict((s, 0) for s in SEVERITIES)
    for f in findings:
        by_finding[f["code"]] = by_finding.get(f["code"], 0) + 1
        by_severity[f["severity"]] = by_severity.get(f["severity"], 0) + 1
    by_platform = {}
    by_status = {}
    by_last_status = {}
    by_device_status = dict((s, 0) for s in ("ok",) + SEVERITIES)
    for d in devices:
        by_platform[d["platform"]] = by_platform.get(d["platform"], 0) + 1
        for label, n in d["week"].items():
            by_status[label] = by_status.get(label, 0) + n
        last = d["last_job"]["label"] if d["last_job"] else NO_JOB_LABEL
        by_last_status[last] = by_last_status.get(last, 0) + 1
        by_device_status[d["status"]] += 1
    return {
        "now": now,
        "now_iso": iso(now),
        "week_start": now - week_days * DAY,
        "week_days": week_days,
        "obsolete_after_days": obsolete[1] if obsolete[0] == "days" else None,
        "obsolete_after_months": obsolete[1] if obsolete[0] == "months" else None,
        "obsolete_before": obsolete_before(now, obsolete),
        "obsolete_before_iso": iso(obsolete_before(now, obsolete)),
        "min_client_version": ".".join(str(p) for p in minimum) if minimum else None,
        "accounts": len(accounts),
        "accounts_without_device": sum(1 for a in accounts if not a["device_count"]),
        "accounts_suspended": sum(1 for a in accounts if a["suspended"]),
        "devices": len(devices),
        "devices_online": sum(1 for d in devices if d["online"]),
        "devices_ok": by_device_status["ok"],
        "devices_with_findings": len(devices) - by_device_status["ok"],
        "devices_without_jobs_this_week": sum(1 for d in devices if not d["week_jobs"]),
        "findings": len(findings),
        "by_finding": by_finding,
        "by_severity": by_severity,
        "by_device_status": by_device_status,
        "by_platform": dict(sorted(by_platform.items())),
        "by_status": _label_order(by_status),
        "by_last_status": _label_order(by_last_status),
        "worst": worst([f["severity"] for f in findings]),
    }


_LABEL_RANK = {}


def _label_order(counts):
    if not _LABEL_RANK:
        _LABEL_RANK.update((label, i) for i, label in enumerate(all_status_labels() + [NO_JOB_LABEL]))
    last = len(_LABEL_RANK)
    return dict(sorted(counts.items(), key=lambda kv: (_LABEL_RANK.get(kv[0], last), kv[0])))


def check_history_days(history_days, week_days):
    """The days ``jobs_per_day`` covers: ``week_days`` when None, else 1 to HISTORY_DAYS_MAX and not shorter than
    the recent window. Raises CometInputError."""
    if history_days is None:
        return week_days
    if isinstance(history_days, bool) or not isinstance(history_days, int) or not 1 <= history_days <= HISTORY_DAYS_MAX:
        raise CometInputError("history_days", "must be a whole number of days, 1 to %d (got %r)"
                              % (HISTORY_DAYS_MAX, history_days))
    return max(history_days, week_days)


def day_of(epoch):
    """UTC date text (2026-11-23) of Unix seconds."""
    return _day_text(int(epoch) // DAY)


@functools.lru_cache(maxsize=1024)
def _day_text(day):
    # one strftime per day, not per job (a UTC day is a multiple of 86400 Unix seconds)
    return datetime.datetime.fromtimestamp(day * DAY, tz=datetime.timezone.utc).strftime("%Y-%m-%d")


def jobs_per_day(jobs, now, days):
    """{UTC date: {status label: count}} of the backup ``jobs`` that ended (or, running, started) in the last ``days``
    days before ``now``; every date of the range is a key (an empty dict when no job), oldest first."""
    start = now - days * DAY
    out = {}
    moment = start - start % DAY
    while moment <= now:
        out[day_of(moment)] = {}
        moment += DAY
    for job in jobs:
        when = job_time(job)
        if not start <= when <= now:
            continue
        counts = out[day_of(when)]
        label = status_label(job.get("Status"))
        counts[label] = counts.get(label, 0) + 1
    return dict((day, _label_order(counts)) for day, counts in out.items())


def at_or_above(findings, severity):
    """The findings of ``severity`` or higher ("none" -> no finding)."""
    if severity in (None, "", "none"):
        return []
    floor = SEVERITY_RANK[severity]
    return [f for f in findings if SEVERITY_RANK.get(f["severity"], -1) >= floor]
