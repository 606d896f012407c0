#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_fleet_report
short_description: Backup health of every Comet Backup account and device, in one read of the server
version_added: 0.1.0
description:
  - Tells an administrator, for the whole fleet, what the service's automatic e-mails tell one person - obsolete
    backup, account closing, no computer on the account, computer with no working backup, failed last backup, a week
    of only Abandoned or Error jobs and no backup this week (the weekly report) - plus outdated clients.
  - A working backup is a backup job that ended Success (5000-5999) or Warning (7001) - the service counts a Warning
    as a backup that ran to the end ("la tache de sauvegarde a pu aller au bout du processus"). The rules below use it.
  - Reads the Comet Server three times for the whole fleet, never per account or device - C(list-users-full) (profiles,
    with each Protected Item's C(Statistics.LastBackupJob) and C(LastSuccessfulBackupJob)), C(dispatcher/list-active)
    (devices online) and C(get-jobs-for-date-range) over the last O(week_days) days. Nothing is written.
  - Only backup jobs (classification 4001) count; restores, retention passes, verifications and the like are ignored.
  - "Findings (code, severity): C(obsolete) (critical) - no working backup for more than O(obsolete_after_months)
    calendar months (default 5, the service's rule - it deletes the backup of a computer not backed up for more than 5
    months), counted back from the report's time in UTC with the day of the month clamped (2026-07-31 minus 5 months is
    2026-02-28), or more than O(obsolete_after_days) days when that is set; C(never_backed_up) (error, or info while
    the first backup is running) - no working backup in the device's history;
    C(only_abandoned_or_error_this_week) (error) - every backup job of the last O(week_days) days ended Abandoned or
    Error (the weekly report - one Error among Successes is no finding); C(no_jobs_this_week) (error) - no backup job
    at all in the last O(week_days) days (the weekly report's C(No jobs)); C(last_job_failed) - the last backup job
    ended Error, Abandoned, Timeout or Quota exceeded (error), or Missed, Cancelled or Skipped (warning), a Warning job
    is not a failure; C(account_closing) (warning) - a suspended account (C(IsSuspended)), with the date its backups
    are deleted, 14 days after its suspension (C(LastSuspended)); C(no_device) (warning) - an account without a
    device; C(outdated_client) (warning, info when the version is unknown) - client older than O(min_client_version)."
  - "Account rules a site sets (each finding with its fix): C(devices_over_limit) (warning) - more devices than
    O(max_devices_per_account), default 2, the guide's (licences are paid per computer), with the devices to remove
    first; C(stale_device) (warning) - no backup job (else registration) for more than O(stale_after_months) months,
    with the C(unil.backup.comet_device) C(state=absent) step that removes it; C(policy_mismatch) (warning) - an account
    whose C(PolicyID) is not O(policy_id) (or O(policy_name)); C(mails_not_received) (warning, with
    O(check_mail_recipients)) - no one receives the job mails (Error, Cancelled) or the weekly report."
  - "Account closing - the service deletes the backups 14 days after it announces the closing (the mail
    [Comet Backup] Acces au service de sauvegarde UNIL desactive dans X jours). O(closing_announcements) gives the
    date each announcement was sent (from wherever the site's mails are recorded); O(closing_source) says what counts -
    the announcement, the suspension (C(LastSuspended), which may be later than the announcement) or both (the
    announcement when known, else the suspension)."
  - The role C(unil.backup.fleet_report) (playbook C(unil.backup.report)) runs this module once and writes the report on
    the controller as Markdown, JSON and CSV.
  - With O(read_job_logs) (the default), each device whose last backup job ended Error or Warning also gets that job's
    log read (C(get-job-log-entries), Warning and Error lines, one call per device, every device - the Error ones
    first - within O(job_log_seconds), 4 calls at once), where the known problems of the university's guide are recognised - corrupted Storage
    Vault, x509 certificate errors (system too old), Lost connection to local service, CoreSpotlight and DataVaults
    (macOS 10.15 and older) warnings, Full Disk Access missing
    and OneDrive warnings on macOS, exclusions with an accented character that do not apply - each with its fix.
    Every finding carries the fix of its code.
author:
  - UNIL Ci backup team (!UNKNOWN)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
options:
  accounts:
    description:
      - Report only these accounts (usernames). Empty means every account of the server.
      - The server is read once for the whole fleet either way; an unknown account fails naming this option.
    type: list
    elements: str
    default: []
  obsolete_after_months:
    description:
      - A device whose last working backup ended more than this many calendar months before the report's time is
        C(obsolete). The default is the service's "more than 5 months".
      - Ignored when O(obsolete_after_days) is set.
    type: int
    default: 5
  obsolete_after_days:
    description:
      - A fixed number of days instead of O(obsolete_after_months) - a device whose last working backup ended more than
        this many days ago is C(obsolete).
      - Not set means the calendar months of O(obsolete_after_months).
    type: int
  week_days:
    description:
      - Length of the recent window, in days - jobs are read and counted by status over it; a device with no backup job
        in it gets C(no_jobs_this_week), one whose jobs in it all ended Abandoned or Error gets
        C(only_abandoned_or_error_this_week). The default is the weekly report's 7 days.
      - Not longer than the obsolete threshold (28 days a month for O(obsolete_after_months)).
    type: int
    default: 7
  history_days:
    description:
      - Read the backup jobs of this many days (instead of O(week_days)) for the summary's C(jobs_per_day) - the job
        outcomes per day that the HTML report of the role C(unil.backup.fleet_report) draws. The findings still see
        the last O(week_days) days only. 1 to 400; shorter than O(week_days) means O(week_days).
      - Not set means O(week_days). Each extra day is more jobs in the one C(get-jobs-for-date-range) answer.
    type: int
  min_client_version:
    description:
      - Lowest acceptable Comet Backup client version, such as C(24.6.0). Older devices get C(outdated_client).
      - Not set means no version check.
    type: str
  now:
    description:
      - The time of the report, in Unix seconds. Default is the current time. For tests and to replay a report.
    type: int
  read_job_logs:
    description:
      - Read the log of the last backup job of each device whose last backup job ended Error or Warning, and recognise
        the known problems in it (C(known_problems) of the devices and their findings).
      - V(false) reads only the three fleet-wide answers.
    type: bool
    default: true
    version_added: 0.2.0
  max_devices_per_account:
    description:
      - Licence limit - an account with more devices gets C(devices_over_limit). The guide's is 2 (two computers per
        personal account). V(0) turns the check off.
    type: int
    default: 2
    version_added: 0.3.0
  stale_after_months:
    description:
      - A device with no backup job (or, without any, registered) for more than this many calendar months gets
        C(stale_device), with the step that removes it. V(0) or not set turns the check off.
    type: int
    version_added: 0.3.0
  policy_id:
    description:
      - The site's policy (the one holding the system exclusions) - an account whose C(PolicyID) differs gets
        C(policy_mismatch). Not set, with O(policy_name) not set either, turns the check off.
    type: str
    version_added: 0.3.0
  policy_name:
    description:
      - The site's policy by its name, looked up with C(policies/list) (one read more); exclusive with O(policy_id).
    type: str
    version_added: 0.3.0
  check_mail_recipients:
    description:
      - Report the accounts where no one receives the job mails or the weekly report (C(mails_not_received)) - from
        C(SendEmailReports), C(Emails) and C(OverrideEmailSettings) (an address without its own settings is assumed
        to receive the server's default reports).
    type: bool
    default: false
    version_added: 0.3.0
  closing_announcements:
    description:
      - The closing announcements the service sent - account to the date it was sent (C(2026-11-20),
        C(2026-11-20T08:00Z) in UTC, or Unix seconds). The backups are deleted 14 days after it.
    type: dict
    default: {}
    version_added: 0.3.0
  closing_source:
    description:
      - What dates the account closing - V(announcement) (O(closing_announcements) only), V(suspension) (a suspended
        account, from C(LastSuspended)), V(both) (the announcement when known, else the suspension).
    type: str
    choices: [announcement, suspension, both]
    default: both
    version_added: 0.3.0
  max_job_logs:
    description:
      - At most this many job logs are read (one C(get-job-log-entries) call each), the devices whose last job ended
        Error first; C(summary.job_logs.skipped) says how many were left out.
      - Not set (the default since 0.4.0; it was 200) means every one, within O(job_log_seconds).
    type: int
    version_added: 0.2.0
  job_log_seconds:
    description:
      - The time the job logs may take, in seconds - the log of EVERY device whose last backup job ended Error or
        Warning is read, the Error ones first, 4 calls at once, until they are all read or this time has passed (a
        call started before the end finishes). C(summary.job_logs) says how many were read of how many
        (C(read), C(candidates), C(out_of_time), C(complete)).
      - More than 0, at most 3600. The default, 3 seconds, reads about a thousand logs from a nearby server.
    type: float
    default: 3.0
    version_added: 0.4.0
  history_path:
    description:
      - The migration history on the controller (the JSON Lines file the playbooks C(unil.backup.site) and
        C(unil.backup.remove_crashplan) append to, C(unil_backup_history_path)). When set, the result gets
        C(migration) - per department the machines per stage now (from the latest record of each host) and per run,
        each machine's path through the stages, and the machines stuck longest with their reason and the fix, linked
        to their device on the server (the host's account, the device named as the host).
      - A file that does not exist yet gives an empty section; lines that are not records (a torn last line) are
        skipped and counted (C(migration.skipped_lines)).
      - Not set (the default) means no migration section.
    type: path
    version_added: 0.4.0
notes:
  - The client version of an online device is the one it reports live, else the one stored in its profile.
  - A running job started before the window is seen only through the Protected Item's C(Statistics).
  - Jobs older than the window are seen only through the Protected Items' C(Statistics) (last backup job, last
    successful one). A Warning job older than the window that is no longer the last backup job is therefore not seen,
    unless the server records it as the last successful one.
seealso:
  - module: unil.backup.comet_info
"""

EXAMPLES = r"""
- name: Fleet report
  unil.backup.comet_fleet_report:
    min_client_version: 24.6.0
  delegate_to: localhost
  run_once: true
  register: fleet

- name: Devices whose backup is obsolete
  ansible.builtin.debug:
    msg: "{{ fleet.findings | selectattr('code', 'equalto', 'obsolete') | map(attribute='message') | list }}"

- name: Suspended accounts, and when their backups are deleted
  ansible.builtin.debug:
    msg: "{{ fleet.accounts | selectattr('suspended') | map(attribute='data_deletion_iso') | list }}"

- name: Two accounts only, one month threshold
  unil.backup.comet_fleet_report:
    accounts: [pnom, lab-chimie]
    obsolete_after_months: 1
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
accounts:
  description: The accounts reported, sorted by username.
  returned: success
  type: list
  elements: dict
  contains:
    account:
      description: Username.
      type: str
    account_name:
      description: Display name.
      type: str
    suspended:
      description: Whether the account is suspended (C(IsSuspended)).
      type: bool
    suspended_since:
      description: When it was suspended (C(LastSuspended), Unix seconds); null when not suspended or unknown.
      type: int
    data_deletion_time:
      description: When its backups are deleted, 14 days after C(suspended_since) (Unix seconds); null when not
        suspended or unknown.
      type: int
    data_deletion_iso:
      description: The same, as UTC ISO 8601 text.
      type: str
    policy_id:
      description: Policy the account follows (empty when none).
      type: str
    device_count:
      description: Number of devices.
      type: int
    devices:
      description: Device IDs.
      type: list
      elements: str
    online:
      description: Number of devices online now.
      type: int
    findings:
      description: Codes of the findings of the account and its devices.
      type: list
      elements: str
    status:
      description: Highest severity of those findings (V(info), V(warning), V(error), V(critical)), V(ok) when none.
      type: str
devices:
  description: Every device of the accounts reported, sorted by account then device name.
  returned: success
  type: list
  elements: dict
  contains:
    account:
      description: Username.
      type: str
    device_id:
      description: Device ID.
      type: str
    name:
      description: Device name (the ID when it has none).
      type: str
    platform:
      description: V(windows), V(macos), V(linux), the raw value, or V(unknown).
      type: str
    client_version:
      description: Client version (live when online, else from the profile; empty when unknown).
      type: str
    online:
      description: Whether the device has a live connection now.
      type: bool
    registration_time:
      description: When the device registered (Unix seconds), null when unknown.
      type: int
    last_job:
      description: "Last backup job - C(status) (code), C(label) (Success, Warning, Error, Running, Missed, ...),
        C(kind) (success, running, failed), C(start_time), C(end_time) (0 while running), C(time) (end, or start while
        running), C(time_iso), C(item_id), C(guid). Null when none is known."
      type: dict
    last_working_time:
      description: End of the last working backup job - Success or Warning (Unix seconds), null when none. The rules
        C(obsolete) and C(never_backed_up) use it.
      type: int
    last_working_iso:
      description: The same, as UTC ISO 8601 text.
      type: str
    last_working_age_days:
      description: Whole days since then, null when none.
      type: int
    last_success_time:
      description: End of the last backup job that ended Success (5000-5999; Unix seconds), null when none.
      type: int
    last_success_iso:
      description: The same, as UTC ISO 8601 text.
      type: str
    last_success_age_days:
      description: Whole days since then, null when none.
      type: int
    week_jobs:
      description: Number of backup jobs in the last O(week_days) days.
      type: int
    week_working_jobs:
      description: How many of them are working backups (Success or Warning).
      type: int
    week:
      description: Those jobs counted by status label.
      type: dict
    findings:
      description: Codes of the device's findings.
      type: list
      elements: str
    status:
      description: Highest severity of the device's findings, V(ok) when none.
      type: str
    known_problems:
      description: "The known problems recognised in the log of the device's last backup job, present only when that
        log was read (O(read_job_logs), the last job ended Error or Warning; an empty list when none was recognised) -
        each with C(id) (V(storage_vault_corrupted), V(x509_system_too_old), V(macos_lost_local_service), V(macos_corespotlight),
        V(macos_datavaults), V(macos_onedrive_old), V(accented_exclusion), V(macos_full_disk_access)), C(title),
        C(reason), C(fix), C(line) (the first log line that matched) and C(count) (the lines that matched)."
      type: list
      elements: dict
findings:
  description: Every finding, most severe first.
  returned: success
  type: list
  elements: dict
  contains:
    code:
      description: V(obsolete), V(never_backed_up), V(only_abandoned_or_error_this_week), V(no_jobs_this_week),
        V(last_job_failed), V(account_closing), V(no_device), V(outdated_client), V(devices_over_limit),
        V(stale_device), V(policy_mismatch), V(mails_not_received).
      type: str
    severity:
      description: V(info), V(warning), V(error) or V(critical).
      type: str
    account:
      description: Username.
      type: str
    device_id:
      description: Device ID (null for the account findings V(no_device) and V(account_closing)).
      type: str
    device_name:
      description: Device name (null for V(no_device) and V(account_closing)).
      type: str
    message:
      description: One line for a human.
      type: str
    details:
      description: "Figures behind the finding - V(obsolete): C(last_working_time), C(last_working_iso), C(age_days),
        C(obsolete_before), C(obsolete_before_iso), C(threshold_months) or C(threshold_days);
        V(only_abandoned_or_error_this_week): C(week_days), C(week_jobs), C(week); V(account_closing):
        C(suspended_since), C(suspended_since_iso), C(data_deletion_time), C(data_deletion_iso), C(data_deletion_date),
        C(days_left) (negative when the date is past; all null when C(LastSuspended) is unknown), and when counted from
        the announcement C(source=announcement), C(announced_time), C(announced_iso), C(suspended); V(devices_over_limit):
        C(device_count), C(limit), C(devices) (least recently active first), C(remove_first) (the
        C(unil.backup.comet_device) C(state=absent) steps); V(stale_device): C(last_activity_time),
        C(last_activity_iso), C(last_activity_source), C(threshold_months), C(stale_before), C(remove) (the step);
        V(policy_mismatch): C(policy_id), C(expected_policy_id); V(mails_not_received): C(missing) (V(job_mails),
        V(weekly_report)), C(send_email_reports), C(addresses) (how many); V(last_job_failed):
        C(status), C(label), C(time); V(outdated_client): C(version), C(minimum)."
      type: dict
    fix:
      description: What to do about it (by code; for V(last_job_failed) by the last job's status). The known
        problems, when any, say more.
      type: str
      version_added: 0.2.0
    known_problems:
      description: "The known problems recognised in the log of the device's last backup job (the same list as the
        device's), present only when that log was read (O(read_job_logs), the last job ended Error or Warning; an
        empty list when none was recognised) - each with C(id) (V(storage_vault_corrupted), V(x509_system_too_old),
        V(macos_lost_local_service), V(macos_corespotlight),
        V(macos_datavaults), V(macos_onedrive_old), V(accented_exclusion), V(macos_full_disk_access)), C(title),
        C(reason), C(fix), C(line) (the first log line that matched) and C(count) (the lines that matched)."
      type: list
      elements: dict
      version_added: 0.2.0
summary:
  description: "Fleet totals - C(accounts), C(accounts_without_device), C(accounts_suspended), C(devices),
    C(devices_online), C(devices_ok), C(devices_with_findings), C(devices_without_jobs_this_week), C(findings),
    C(by_finding), C(by_severity), C(by_device_status), C(by_platform), C(by_status) (backup jobs of the window by
    label), C(by_last_status) (devices by the label of their last backup job, C(No jobs) when none is known), C(worst),
    C(now), C(now_iso), C(week_start), C(week_days), C(obsolete_after_months) and C(obsolete_after_days) (the one not
    used is null), C(obsolete_before) and C(obsolete_before_iso) (a last working backup before it is obsolete),
    C(min_client_version), C(account_rules) (the account rules in force), C(accounts_over_device_limit),
    C(jobs) (C(read), C(ignored_not_backup), C(ignored_unknown_device)), C(history_days) and
    C(jobs_per_day) (backup jobs per UTC day of the last C(history_days) days by status label, such as
    C(2026-11-23: {Success: 12, Error: 1}), every day of the range present, oldest first); with O(read_job_logs),
    C(job_logs) (C(candidates) - devices whose last job ended Error or Warning, C(read), C(failed), C(skipped) - not
    read, C(out_of_time) - of those, the ones not asked because O(job_log_seconds) had passed, C(complete) - every
    log was asked, C(max) - O(max_job_logs) or null, C(seconds) - O(job_log_seconds), C(errors) - the first 10 failed
    reads) and C(known_problems) (devices per known problem
    id)."
  returned: success
  type: dict
migration:
  description: "With O(history_path), the migration section - C(stages) (V(not_started), V(client_installed),
    V(settings_applied), V(waiting_for_backup), V(crashplan_removed), V(failed), V(unreachable); each groups codes of
    the run's summary: C(crashplan_kept) is V(settings_applied), the first backup's stages are
    V(waiting_for_backup), C(settings_applied_no_crashplan) - nothing to remove - is V(crashplan_removed)),
    C(stage_labels), C(history_path), C(history_found), C(records), C(skipped_lines), C(runs), C(hosts),
    C(by_department) ({department: {stage: machines}} now, from the latest record of each host; V((none)) for a host
    without a C(dept_*) group), C(totals), C(per_run) (each run in order - C(run_id), C(playbook), C(time),
    C(hosts), C(by_department), C(totals)), C(machines) (each host - C(host), C(department), C(account), C(stage),
    C(code), C(reason), C(reason_text), C(last_stage) (an unreachable or failed host's stage before), C(since),
    C(since_run_id), C(runs_in_stage), C(days_in_stage), C(since_first_run) (the same stage since the oldest run),
    C(path) - its steps, C(stage), C(code), C(reason), C(since), C(run_id), C(runs)), C(stuck) (the 20 machines
    not done that have been in their stage longest, with C(fix) and C(device) - the device on the server, its
    C(status), C(findings), C(known_problems), C(last_working_iso)) and C(stuck_total)."
  returned: when O(history_path) is set
  type: dict
  version_added: 0.4.0
api:
  description: API calls made (C(reads), C(writes), C(retries), C(conflicts)).
  returned: success
  type: dict
"""

import gc
import os
import threading
import time

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    comet_argument_spec,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import (
    DAY,
    check_history_days,
    check_options,
    fleet_report,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import policy_id_by_name
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet_accounts import check_account_rules
from ansible_collections.unil.backup.plugins.module_utils._comet_known_problems import (
    add_fixes,
    add_known_problems,
    logs_to_read,
    match_problems,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError, api_counters
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet_migration import migration_section
from ansible_collections.unil.backup.plugins.module_utils._migration_history import read_records

# get-job-log-entries calls at once
JOB_LOG_WORKERS = 4
# the time the job logs may take by default (seconds; option job_log_seconds)
JOB_LOG_SECONDS = 3.0
# the clock of that budget (a test may replace it)
_clock = time.monotonic
# the longest budget accepted (an hour)
JOB_LOG_SECONDS_MAX = 3600


def read_fleet(client, now, week_days, history_days=None):
    """The three fleet-wide reads: (profiles, live connections, jobs of the window, or of history_days when longer)."""
    profiles = client.call("list-users-full") or {}
    active = client.list_active() or {}
    jobs = client.jobs_for_date_range(now - max(week_days, history_days or 0) * DAY, now) or []
    return profiles, active, jobs


def without_gc(func, *args, **kwargs):
    """func(*args, **kwargs) with Python's cyclic garbage collector paused: decoding the fleet's answers, building the
    report and scrubbing the result make millions of objects and no reference cycle, and the collector would walk
    them again and again (a fifth of the CPU on 10,000 devices)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return func(*args, **kwargs)
    finally:
        if enabled:
            gc.enable()


def read_job_logs(client, job_ids, seconds, workers=JOB_LOG_WORKERS):
    """The Warning and Error lines of the logs of ``job_ids``, read in their order, ``workers`` calls at once, as
    long as ``seconds`` have not passed since the start: {job_id: entries, or the CometApiError of that call}. A call
    is started only before the deadline (one started just before it ends after it, within the API's timeout); the
    job IDs not in the answer were not asked for lack of time."""
    job_ids = list(dict.fromkeys(job_ids))
    if not job_ids:
        return {}
    deadline = _clock() + seconds
    pending = iter(job_ids)
    lock = threading.Lock()
    out = {}

    def worker():
        while True:
            with lock:
                job_id = next(pending, None) if _clock() < deadline else None
            if job_id is None:
                return
            try:
                entries = client.job_log_entries(job_id, min_severity="W")
            except CometApiError as exc:
                entries = exc
            with lock:
                out[job_id] = entries

    threads = [threading.Thread(target=worker, name="job-log-%d" % n, daemon=True)
               for n in range(max(1, min(int(workers), len(job_ids))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def read_known_problems(client, report, profiles, seconds, limit=None):
    """The last backup job's log (Warning and Error lines) of EVERY device whose last job ended Error or Warning (the
    Error ones first; the first ``limit`` only when it is set), JOB_LOG_WORKERS calls at once, for at most
    ``seconds``; the known problems recognised in them are added to the report (devices and findings), with
    summary.job_logs: how many were read of how many. A log that cannot be read is counted, never fatal."""
    wanted, candidates = logs_to_read(report, profiles, limit)
    logs = read_job_logs(client, [w["job_id"] for w in wanted], seconds)
    found, errors, out_of_time = {}, [], 0
    for item in wanted:
        entries = logs.get(item["job_id"])
        if entries is None:
            out_of_time += 1
        elif isinstance(entries, CometApiError):
            errors.append("%s/%s: %s" % (item["account"], item["device_id"], entries))
        else:
            found[(item["account"], item["device_id"])] = match_problems(entries, item["platform"], item["os_version"])
    add_known_problems(report, found)
    report["summary"]["job_logs"] = job_logs_summary(candidates, len(found), errors, out_of_time, limit, seconds)
    return report


def job_logs_summary(candidates, read, errors, out_of_time, limit, seconds):
    """summary.job_logs: ``read`` logs of ``candidates`` devices, the failed reads (``errors``), those not read for
    lack of time (``out_of_time``) or over ``limit`` (``skipped`` counts both), and the budget. No time measured: the
    same fleet at the same report time gives the same report."""
    return {"candidates": candidates, "read": read, "failed": len(errors), "skipped": candidates - read - len(errors),
            "out_of_time": out_of_time, "max": limit, "seconds": seconds,
            "complete": read + len(errors) == candidates, "errors": errors[:10]}


def read_migration(path, report, now):
    """The migration section (_comet_fleet_migration) of the history at ``path`` and the fleet ``report``."""
    records = read_records(path)
    section = migration_section(records, report, now, skipped=records.skipped)
    section["history_path"] = path
    section["history_found"] = os.path.isfile(path)
    return section


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    spec = comet_argument_spec()
    spec.update(
        accounts=dict(type="list", elements="str", default=[]),
        obsolete_after_months=dict(type="int", default=5),
        obsolete_after_days=dict(type="int"),
        week_days=dict(type="int", default=7),
        min_client_version=dict(type="str"),
        history_days=dict(type="int"),
        now=dict(type="int"),
        read_job_logs=dict(type="bool", default=True),
        max_job_logs=dict(type="int"),
        job_log_seconds=dict(type="float", default=JOB_LOG_SECONDS),
        history_path=dict(type="path"),
        max_devices_per_account=dict(type="int", default=2),
        stale_after_months=dict(type="int"),
        policy_id=dict(type="str"),
        policy_name=dict(type="str"),
        check_mail_recipients=dict(type="bool", default=False),
        closing_announcements=dict(type="dict", default={}),
        closing_source=dict(type="str", choices=["announcement", "suspension", "both"], default="both"),
    )
    return spec


def constraints():
    """What the module passes to AnsibleModule beside its options."""
    return {"mutually_exclusive": [("policy_id", "policy_name")]}


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    result = dict(changed=False)
    now = p["now"] if p["now"] is not None else int(time.time())
    # a fixed number of days, when set, replaces the calendar months
    months = p["obsolete_after_months"] if p["obsolete_after_days"] is None else None
    try:
        # bad options fail before the server is read
        check_options(obsolete_after_days=p["obsolete_after_days"], week_days=p["week_days"],
                      min_client_version=p["min_client_version"], now=now, obsolete_after_months=months)
        check_history_days(p["history_days"], p["week_days"])
        rules = check_account_rules(p["max_devices_per_account"], p["stale_after_months"], p["policy_id"],
                                    p["check_mail_recipients"], p["closing_announcements"], p["closing_source"])
        if p["max_job_logs"] is not None and p["max_job_logs"] < 1:
            raise CometInputError("max_job_logs", "must be 1 or more (got %d); read_job_logs=false reads none"
                                  % p["max_job_logs"])
        if not 0 < p["job_log_seconds"] <= JOB_LOG_SECONDS_MAX:
            raise CometInputError("job_log_seconds", "must be more than 0 and at most %d seconds (got %s); "
                                  "read_job_logs=false reads none" % (JOB_LOG_SECONDS_MAX, p["job_log_seconds"]))
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)
    client = CometAdminClient.from_module(module)
    try:
        if p["policy_name"]:
            rules["policy_id"] = policy_id_by_name(client.list_policies(), p["policy_name"])
        profiles, active, jobs = without_gc(read_fleet, client, now, p["week_days"], p["history_days"])
        if not isinstance(profiles, dict):
            module.fail_json(msg="Comet Server API list-users-full answered %s, not a map of profiles" % type(profiles).__name__,
                             **result)
        report = without_gc(fleet_report, profiles, active, jobs, now, accounts=p["accounts"],
                            obsolete_after_days=p["obsolete_after_days"], obsolete_after_months=months,
                            week_days=p["week_days"], min_client_version=p["min_client_version"],
                            history_days=p["history_days"], account_rules=rules)
    except CometInputError as exc:
        module.fail_json(msg=str(exc), api=api_counters(client), **result)
    except CometApiError as exc:
        module.fail_json(msg=str(exc), api=api_counters(client), **result)
    add_fixes(report)
    if p["read_job_logs"]:
        read_known_problems(client, report, profiles, p["job_log_seconds"], p["max_job_logs"])
    if p["history_path"]:
        try:
            report["migration"] = without_gc(read_migration, p["history_path"], report, now)
        except (OSError, ValueError) as exc:
            module.fail_json(msg="history_path: cannot read the migration history %s: %s" % (p["history_path"], exc),
                             api=api_counters(client), **result)
    result.update(report)
    result["api"] = api_counters(client)
    without_gc(module.exit_json, **result)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
