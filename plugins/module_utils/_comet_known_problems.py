# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The fix of each fleet report finding, and the known problems of the university's Comet Backup guide (seed 000,
# "Problèmes connus" and "Gestion des alertes") recognised in a backup job's log entries (get-job-log-entries,
# JobEntry {Time, Severity, Message}). Pure logic and data, no I/O: the module comet_fleet_report reads the logs.
#
# KNOWN_PROBLEMS is data: {id, title, reason, fix, patterns (regexes searched in each log message), os (optional:
# the device platform it applies to, as _comet_model.platform_os names it), max_os_version (optional: the highest
# OS version it applies to, compared with DeviceConfig.PlatformVersion.version; for macOS the product version such as
# 11.7.10 is assumed - UNCONFIRMED - and an unknown version matches)}. Each log line counts for the FIRST problem it
# matches, so the list goes from the most specific to the most general (a CoreSpotlight "operation not permitted" is
# not a Full Disk Access problem).

from __future__ import annotations

import datetime
import re

from ansible_collections.unil.backup.plugins.module_utils._comet_defaults import USER_EXCLUSION_WORKAROUNDS

# the OneDrive glob of each OS among the user-level defaults (seed 000, "Exclusion au niveau user (modifiable)")
ONEDRIVE_GLOBS = dict((os_name, glob) for os_name, table in USER_EXCLUSION_WORKAROUNDS.items()
                      for glob in table if "OneDrive" in glob)

# Severities of a JobEntry (Go SDK: SEVERITY_DEBUG "D", SEVERITY_INFO "I", SEVERITY_WARNING "W", SEVERITY_ERROR "E"),
# lowest first.
SEVERITY_ORDER = ("D", "I", "W", "E")
SEVERITY_NAMES = {"D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR"}

# The last job statuses whose log is read (names of _comet_model.JOB_STATUS): an Error, or a Warning (a working
# backup that met an alert: "Un rapport ... indique le détail de l'erreur").
LOG_STATUSES = ("error", "warning")

MAX_LINE = 500

KNOWN_PROBLEMS = (
    {
        "id": "storage_vault_corrupted",
        "title": "Corrupted Storage Vault",
        "reason": "During the first backup the server could not record the Storage Vault's encryption data "
                  "(\"Couldn't record that the Storage Vault has been initialized\"); every later backup fails with "
                  "\"Failed to initialize Storage Vault: config file already exists\". The Storage Vault is corrupted.",
        "fix": "Ask the help desk for a new Storage Vault for this account (the corrupted one cannot be repaired).",
        "patterns": (
            r"Failed to initialize Storage Vault: config file already exists",
            r"Couldn't record that the Storage Vault has been initialized",
        ),
    },
    {
        "id": "x509_system_too_old",
        "title": "TLS certificate error (x509): system too old",
        "reason": "\"x509: certificate has expired or is not yet valid\": in most cases the computer's operating "
                  "system is obsolete (Windows Vista or XP, macOS 10.11 or older, Ubuntu 16.04 or older) and cannot "
                  "validate the server's certificate.",
        "fix": "Update the computer's operating system to a supported version (and check that its clock is right).",
        "patterns": (
            r"x509: certificate has expired or is not yet valid",
            r"x509: certificate signed by unknown authority",
        ),
    },
    {
        "id": "macos_lost_local_service",
        "title": "Lost connection to local service (macOS)",
        "reason": "\"Lost connection to local service\": after an incomplete update the Comet Backup application no "
                  "longer reaches its background service on the Mac, and the computer stops being backed up (seed "
                  "001, \"Sauvegarde obsolète\").",
        "fix": "Reinstall the Comet Backup client on the Mac (role unil.backup.comet_client) to complete the update, "
               "then open Comet Backup, log in and start a backup with \"Sauvegarder\" (seed 001).",
        "patterns": (r"Lost connection to local service",),
        "os": "macos",
    },
    {
        "id": "macos_corespotlight",
        "title": "CoreSpotlight warnings on macOS",
        "reason": "macOS refuses to read the Spotlight index (Library/Metadata/CoreSpotlight): the backup ends in "
                  "Warning.",
        "fix": "Exclude the folder Users/<user>/Library/Metadata/CoreSpotlight from the backup (a user-level "
               "exclusion, comet_config_exclude_globs of the role unil.backup.comet_config); the next update of the "
               "system-level exclusions excludes it for everyone.",
        "patterns": (r"Library/Metadata/CoreSpotlight/",),
        "os": "macos",
    },
    {
        "id": "macos_datavaults",
        "title": "DataVaults warnings on macOS",
        "reason": "On macOS 10.15 and older, macOS refuses to read the applications' DataVaults folders "
                  "(Library/Containers/.../Data/DataVaults): the backup ends in Warning.",
        "fix": "Update macOS to its latest version (recommended); excluding the DataVaults folder also avoids the "
               "warning.",
        "patterns": (r"/DataVaults(?:[/:\s]|$)",),
        "os": "macos",
        # seed 000, Warning "DataVaults" sur macOS: "Sur macOS 10.15 et plus ancien" - macOS 11 and later never get it
        "max_os_version": "10.15",
    },
    {
        "id": "macos_onedrive_old",
        "title": "OneDrive warnings on macOS 11 and older",
        "reason": "On macOS 11 and older the OneDrive folder's name has an accented character (OneDrive - Université "
                  "de Lausanne) and Comet Backup cannot apply an exclusion with an accented character: the OneDrive "
                  "folder, excluded by default, is read and every backup ends in Warning.",
        "fix": "Update macOS to macOS 12 (Monterey) or later: the OneDrive folder then has no accented character and "
               "is excluded as it should be.",
        "patterns": (r"OneDrive",),
        "os": "macos",
        "max_os_version": "11",
    },
    {
        "id": "accented_exclusion",
        "title": "Exclusion with an accented character does not apply",
        "reason": "A bug in Comet Backup: an exclusion of files or folders whose name has an accented character does "
                  "not apply (here the OneDrive folder, excluded by default); a correction was requested from Comet.",
        # the one accent workaround the collection writes beside the accented default glob (_comet_defaults)
        "fix": "Until Comet corrects it, exclude the folder with a regular expression matching both Unicode forms of "
               "its name, which the collection writes beside each accented default exclusion (role "
               "unil.backup.comet_config with comet_config_exclusions_defaults) - on macOS %s, on Windows %s (a "
               "workaround, not from the guide). If the person removed the exclusion to back up OneDrive, leave it "
               "removed." % (USER_EXCLUSION_WORKAROUNDS["macos"][ONEDRIVE_GLOBS["macos"]],
                             USER_EXCLUSION_WORKAROUNDS["windows"][ONEDRIVE_GLOBS["windows"]]),
        "patterns": (r"OneDrive - Universit(?:\u00e9|e\u0301) de Lausanne",),
    },
    {
        "id": "macos_full_disk_access",
        "title": "Full Disk Access missing on macOS",
        "reason": "\"operation not permitted\" on the user's folders: Comet Backup was not given Full Disk Access, so "
                  "macOS refuses it the Desktop, Documents, Downloads... which are not backed up.",
        "fix": "Give Comet Backup Full Disk Access: install through the MDM the PPPC profile the role "
               "unil.backup.comet_client renders (comet_client_macos_pppc_apps, comet_client_macos_pppc_dest), or "
               "grant it by hand in System Settings > Privacy & Security (guide, macOS installation steps 14 to 17).",
        "patterns": (r"operation not permitted",),
        "os": "macos",
    },
)

# The reason and fix of each finding code of _comet_fleet.FINDINGS (seeds 000 and 001).
FINDING_FIXES = {
    "obsolete": {
        "reason": "No working backup for more than the obsolete threshold: the service deletes the backup of a "
                  "computer not backed up for more than 5 months.",
        "fix": "Start the computer with Comet Backup running and logged in (backup-tool login status), and let a "
               "backup run to the end; a computer no longer used can be removed (unil.backup.comet_device "
               "state=absent).",
    },
    "never_backed_up": {
        "reason": "The computer has no working backup in its history (Success or Warning).",
        "fix": "Check that Comet Backup is installed, logged in and has a Protected Item and a schedule (roles "
               "unil.backup.comet_client and unil.backup.comet_config), then run a first backup, at night or off-peak.",
    },
    "only_abandoned_or_error_this_week": {
        "reason": "Every backup job of the week ended Abandoned or Error (the weekly report: the backup must be "
                  "checked).",
        "fix": "Read the job reports (Comet Backup, History tab, or the web interface) and the known problems below; "
               "an Abandoned job is a computer that stopped reporting (asleep, off or disconnected during the backup).",
    },
    "no_jobs_this_week": {
        "reason": "No backup job in the week (No jobs): Comet Backup is not installed or not activated on the "
                  "computer, or the computer was not on.",
        "fix": "Check that the Comet Backup client is installed, logged in and started at boot (role "
               "unil.backup.comet_client), and that the device has a schedule.",
    },
    "last_job_failed": {
        "reason": "The last backup job did not end as a working backup.",
        "fix": "Read the last job's report (Comet Backup, History tab, or the web interface) and the known problems "
               "below; the next scheduled run may be enough.",
    },
    "account_closing": {
        "reason": "The service announced the account's closing (or suspended it): its backups are deleted 14 days "
                  "after the announcement.",
        "fix": "Restore what is still needed before the deletion date, or have the account reactivated.",
    },
    "no_device": {
        "reason": "No computer is backed up on the account.",
        "fix": "Install and activate Comet Backup on the person's computer (role unil.backup.comet_client), or close "
               "the account if it is no longer needed.",
    },
    "outdated_client": {
        "reason": "The Comet Backup client is older than the minimum version (or its version is unknown).",
        "fix": "Upgrade the client (role unil.backup.comet_client installs the server's version), or from the server.",
    },
    "devices_over_limit": {
        "reason": "More computers on the account than the licence limit: the licences are paid per computer.",
        "fix": "Remove the computers no longer used, the least recently backed up first (unil.backup.comet_device "
               "state=absent, the steps in remove_first), or agree a higher limit for this account.",
    },
    "stale_device": {
        "reason": "No backup job for months: often an old computer replaced by a new one.",
        "fix": "If the computer is no longer used, remove it (unil.backup.comet_device state=absent); otherwise "
               "open Comet Backup on it, log in and start a backup.",
    },
    "policy_mismatch": {
        "reason": "The account does not follow the site's policy, which holds the system-level exclusions.",
        "fix": "Attach the account to the site's policy (Comet Server, the account's settings, Policy), so that the "
               "system exclusions apply to its computers.",
    },
    "mails_not_received": {
        "reason": "No one receives the account's job mails (Error, Cancelled) or its weekly report.",
        "fix": "Give the account the person's address (Emails) and turn its e-mail reports on (SendEmailReports); "
               "an address with its own settings must keep the immediate and the summary reports.",
    },
}

# last_job_failed by the status of the last job (names of _comet_model.JOB_STATUS; seed 000, "Gestion des alertes").
LAST_JOB_FIXES = {
    "error": "A major error stopped the backup: read the last job's report and the known problems below.",
    "abandoned": "The server stopped hearing from the backup (computer asleep, off or disconnected during it): keep "
                 "the computer on and connected until the backup ends.",
    "timeout": "The backup ran out of time: let it run longer (its schedule's maximum duration) or back up less.",
    "quota exceeded": "The account's storage quota is full: ask for more quota or exclude what need not be backed up.",
    "missed": "The computer was off or asleep at the scheduled time: the next run may be enough, or change the "
              "schedule.",
    "cancelled": "The person using the computer cancelled the backup: the next scheduled run may be enough.",
    "skipped": "Another backup job was running: the next scheduled run may be enough.",
}


def finding_fix(finding):
    """The fix text of a fleet report finding (a dict with ``code``, ``details``)."""
    code = finding.get("code")
    if code == "last_job_failed":
        label = str((finding.get("details") or {}).get("label") or "").lower()
        if label in LAST_JOB_FIXES:
            return LAST_JOB_FIXES[label]
    if code == "stale_device":
        step = (finding.get("details") or {}).get("remove") or {}
        if step.get("account") and step.get("device_id"):
            return ("If the computer is no longer used, remove it: unil.backup.comet_device with account=%s "
                    "device_id=%s state=absent; otherwise open Comet Backup on it, log in and start a backup."
                    % (step["account"], step["device_id"]))
    return (FINDING_FIXES.get(code) or {}).get("fix") or ""


def _version(value):
    match = re.match(r"^\s*(\d+(?:\.\d+)*)", str(value or ""))
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def applies(problem, platform=None, os_version=None):
    """Whether ``problem`` can be the one of a device of ``platform`` (macos, windows, linux; None or unknown: any) and
    OS ``os_version`` (unknown: any)."""
    wanted = problem.get("os")
    if wanted and platform not in (None, "", "unknown") and platform != wanted:
        return False
    limit = _version(problem.get("max_os_version"))
    version = _version(os_version)
    if limit and version:
        # macOS 11.7.10 is macOS 11: only as many parts as the limit has are compared
        head = version[:len(limit)]
        if head + (0,) * (len(limit) - len(head)) > limit:
            return False
    return True


def _compiled(problems):
    return [(p, [re.compile(r) for r in p["patterns"]]) for p in problems]


_COMPILED = _compiled(KNOWN_PROBLEMS)


def entry_line(entry):
    """A log entry as one line of Comet's text log ("2026-11-22 11:01:00 WARNING message"), at most MAX_LINE
    characters; a plain string is kept as it is."""
    if not isinstance(entry, dict):
        line = str(entry)
    else:
        try:
            when = datetime.datetime.fromtimestamp(int(entry.get("Time") or 0), tz=datetime.timezone.utc)
            stamp = when.strftime("%Y-%m-%d %H:%M:%S")
        except (TypeError, ValueError, OverflowError, OSError):
            stamp = "????-??-?? ??:??:??"
        severity = str(entry.get("Severity") or "")
        line = "%s %s %s" % (stamp, SEVERITY_NAMES.get(severity, severity or "?"), entry.get("Message") or "")
    return line if len(line) <= MAX_LINE else line[:MAX_LINE] + "..."


def match_problems(entries, platform=None, os_version=None, problems=None):
    """The known problems seen in a job's log ``entries`` (JobEntry dicts {Time, Severity, Message}, or plain lines),
    in the order of ``problems`` (default KNOWN_PROBLEMS): [{id, title, reason, fix, line (the first line that matched),
    count (lines that matched)}]. A line counts for the first problem it matches that applies to the device."""
    compiled = _COMPILED if problems is None else _compiled(problems)
    usable = [(p, regexes) for p, regexes in compiled if applies(p, platform, os_version)]
    found = {}
    for entry in entries or []:
        message = entry.get("Message") if isinstance(entry, dict) else entry
        if not isinstance(message, str) or not message:
            continue
        for problem, regexes in usable:
            if any(r.search(message) for r in regexes):
                hit = found.get(problem["id"])
                if hit is None:
                    found[problem["id"]] = {"line": entry_line(entry), "count": 1}
                else:
                    hit["count"] += 1
                break
    out = []
    for problem, dummy in usable:
        hit = found.get(problem["id"])
        if hit:
            out.append({"id": problem["id"], "title": problem["title"], "reason": problem["reason"],
                        "fix": problem["fix"], "line": hit["line"], "count": hit["count"]})
    return out


def logs_to_read(report, profiles, limit):
    """The devices whose last backup job's log is worth reading - it ended Error or Warning - Error first, then in
    report order: ([{account, device_id, job_id, status, platform, os_version}] - every one, or the first ``limit``
    when it is set -, how many there were)."""
    wanted = []
    for index, device in enumerate(report.get("devices") or []):
        last = device.get("last_job") or {}
        name = str(last.get("label") or "").lower()
        if name not in LOG_STATUSES or not last.get("guid"):
            continue
        stored = ((profiles.get(device["account"]) or {}).get("Devices") or {}).get(device["device_id"]) or {}
        wanted.append((LOG_STATUSES.index(name), index, {
            "account": device["account"], "device_id": device["device_id"], "job_id": last["guid"], "status": name,
            "platform": device.get("platform"),
            "os_version": (stored.get("PlatformVersion") or {}).get("version") or "",
        }))
    wanted.sort(key=lambda item: item[:2])
    return [item[2] for item in (wanted if limit is None else wanted[:limit])], len(wanted)


def add_fixes(report):
    """Every finding of ``report`` (fleet_report's result) gets its ``fix`` text, in place."""
    for finding in report.get("findings") or []:
        finding["fix"] = finding_fix(finding)
    return report


def add_known_problems(report, found):
    """``found``: {(account, device_id): [known problem]} of the devices whose last job's log was read. Those devices
    and their findings get ``known_problems`` (an empty list when none was recognised), in place; the summary gets
    ``known_problems`` ({problem id: number of devices})."""
    for device in report.get("devices") or []:
        key = (device["account"], device["device_id"])
        if key in found:
            device["known_problems"] = found[key]
    for finding in report.get("findings") or []:
        key = (finding.get("account"), finding.get("device_id"))
        if finding.get("device_id") and key in found:
            finding["known_problems"] = found[key]
    counts = dict((p["id"], 0) for p in KNOWN_PROBLEMS)
    for problems in found.values():
        for problem in problems:
            counts[problem["id"]] = counts.get(problem["id"], 0) + 1
    report.setdefault("summary", {})["known_problems"] = counts
    return report


def job_logs_text(job_logs):
    """One line on the job logs read (summary.job_logs of comet_fleet_report): how many of how many, and why not all;
    '' when none was to be read or the summary has none."""
    if not isinstance(job_logs, dict) or not job_logs.get("candidates"):
        return ""
    text = "Job logs read: %s of %s (the devices whose last backup job ended Error or Warning, the Error ones first)" % (
        job_logs.get("read", 0), job_logs["candidates"])
    why = []
    if job_logs.get("out_of_time"):
        why.append("%s not read, the %s s budget (job_log_seconds) spent"
                   % (job_logs["out_of_time"], job_logs.get("seconds")))
    over = (job_logs.get("skipped") or 0) - (job_logs.get("out_of_time") or 0)
    if over > 0:
        why.append("%d over max_job_logs %s" % (over, job_logs.get("max")))
    if job_logs.get("failed"):
        why.append("%s could not be read" % job_logs["failed"])
    return text + ("; " + ", ".join(why) if why else "") + "."
