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
    backup, no computer on the account, computer with no working backup, failed last backup, no backup this week (the
    weekly report's C(No jobs)) - plus outdated clients.
  - Reads the Comet Server three times for the whole fleet, never per account or device - C(list-users-full) (profiles,
    with each Protected Item's C(Statistics.LastBackupJob) and C(LastSuccessfulBackupJob)), C(dispatcher/list-active)
    (devices online) and C(get-jobs-for-date-range) over the last O(week_days) days. Nothing is written.
  - Only backup jobs (classification 4001) count; restores, retention passes, verifications and the like are ignored.
  - "Findings (code, default severity): C(obsolete) (critical) - the last successful backup is older than
    O(obsolete_after_days) (the service deletes the backup of a computer not backed up for more than 5 months);
    C(never_backed_up) (error, or info while the first backup is running) - no successful job (5000-5999) in the
    device's history; C(no_jobs_this_week) (error) - no backup job at all in the last O(week_days) days;
    C(last_job_failed) - the last backup job ended Error, Abandoned, Timeout or Quota exceeded (error), or Missed,
    Cancelled or Skipped (warning); a Warning job is not a failure; C(no_device) (warning) - an account without a
    device; C(outdated_client) (warning, info when the version is unknown) - client older than O(min_client_version)."
  - The role C(unil.backup.fleet_report) (playbook C(unil.backup.report)) runs this module once and writes the report on
    the controller as Markdown, JSON and CSV.
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
  obsolete_after_days:
    description:
      - A device whose last successful backup ended more than this many days ago is C(obsolete). The default, 150 days,
        is the service's "more than 5 months".
    type: int
    default: 150
  week_days:
    description:
      - Length of the recent window, in days - jobs are read and counted by status over it, and a device with no backup
        job in it gets C(no_jobs_this_week). The default is the weekly report's 7 days.
    type: int
    default: 7
  min_client_version:
    description:
      - Lowest acceptable Comet Backup client version, such as C(24.6.0). Older devices get C(outdated_client).
      - Not set means no version check.
    type: str
  now:
    description:
      - The time of the report, in Unix seconds. Default is the current time. For tests and to replay a report.
    type: int
notes:
  - The client version of an online device is the one it reports live, else the one stored in its profile.
  - A running job started before the window is seen only through the Protected Item's C(Statistics).
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

- name: Two accounts only, one month threshold
  unil.backup.comet_fleet_report:
    accounts: [pnom, lab-chimie]
    obsolete_after_days: 30
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
      description: Whether the account is suspended.
      type: bool
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
    last_success_time:
      description: End of the last successful backup job (Unix seconds), null when none.
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
findings:
  description: Every finding, most severe first.
  returned: success
  type: list
  elements: dict
  contains:
    code:
      description: V(obsolete), V(never_backed_up), V(no_jobs_this_week), V(last_job_failed), V(no_device), V(outdated_client).
      type: str
    severity:
      description: V(info), V(warning), V(error) or V(critical).
      type: str
    account:
      description: Username.
      type: str
    device_id:
      description: Device ID (null for V(no_device)).
      type: str
    device_name:
      description: Device name (null for V(no_device)).
      type: str
    message:
      description: One line for a human.
      type: str
    details:
      description: Figures behind the finding (C(age_days), C(last_success_time), C(label), C(version), ...).
      type: dict
summary:
  description: "Fleet totals - C(accounts), C(accounts_without_device), C(devices), C(devices_online), C(devices_ok),
    C(devices_with_findings), C(devices_without_jobs_this_week), C(findings), C(by_finding), C(by_severity),
    C(by_device_status), C(by_platform), C(by_status) (backup jobs of the window by label), C(by_last_status)
    (devices by the label of their last backup job, C(No jobs) when none is known), C(worst), C(now), C(now_iso), C(week_start), C(week_days),
    C(obsolete_after_days), C(min_client_version), C(jobs) (C(read), C(ignored_not_backup), C(ignored_unknown_device))."
  returned: success
  type: dict
api:
  description: API calls made (C(reads), C(writes), C(retries), C(conflicts)).
  returned: success
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    comet_argument_spec,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import DAY, check_options, fleet_report
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError, api_counters


def read_fleet(client, now, week_days):
    """The three fleet-wide reads: (profiles, live connections, jobs of the window)."""
    profiles = client.call("list-users-full") or {}
    active = client.list_active() or {}
    jobs = client.jobs_for_date_range(now - week_days * DAY, now) or []
    return profiles, active, jobs


def main():
    argument_spec = comet_argument_spec()
    argument_spec.update(
        accounts=dict(type="list", elements="str", default=[]),
        obsolete_after_days=dict(type="int", default=150),
        week_days=dict(type="int", default=7),
        min_client_version=dict(type="str"),
        now=dict(type="int"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    now = p["now"] if p["now"] is not None else int(time.time())
    try:
        # bad options fail before the server is read
        check_options(p["obsolete_after_days"], p["week_days"], p["min_client_version"], now)
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)
    client = CometAdminClient.from_module(module)
    try:
        profiles, active, jobs = read_fleet(client, now, p["week_days"])
        if not isinstance(profiles, dict):
            module.fail_json(msg="Comet Server API list-users-full answered %s, not a map of profiles" % type(profiles).__name__,
                             **result)
        report = fleet_report(profiles, active, jobs, now, accounts=p["accounts"],
                              obsolete_after_days=p["obsolete_after_days"], week_days=p["week_days"],
                              min_client_version=p["min_client_version"])
    except CometInputError as exc:
        module.fail_json(msg=str(exc), api=api_counters(client), **result)
    except CometApiError as exc:
        module.fail_json(msg=str(exc), api=api_counters(client), **result)
    result.update(report)
    result["api"] = api_counters(client)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
