#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_info
short_description: Read a Comet Backup account and its devices
version_added: 0.1.0
description:
  - Read-only view of a Comet Server user account and its devices - ID, name, platform, client version, whether
    online, protected items (folders, exclusions), backup rules with their schedules, and the last job.
  - Three API reads (profile, live connections, jobs); nothing is written. No secret from the profile is returned.
author:
  - UNIL (@UNIL)
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
  account:
    description: The Comet user account (username).
    type: str
    required: true
  device_id:
    description: Only this device.
    type: str
  device_name:
    description: Only the device with this name (unique in the account).
    type: str
  jobs:
    description: Read the account's jobs to report each device's last job.
    type: bool
    default: true
seealso:
  - module: unil.backup.comet_device
"""

EXAMPLES = r"""
- name: Read the lab account
  unil.backup.comet_info:
    account: lab-chimie
  delegate_to: localhost
  register: lab

- name: Devices not online
  ansible.builtin.debug:
    msg: "{{ lab.devices | rejectattr('online') | map(attribute='name') | list }}"
"""

RETURN = r"""
account:
  description: The account.
  returned: success
  type: dict
  contains:
    username:
      description: Username.
      type: str
    account_name:
      description: Display name.
      type: str
    policy_id:
      description: Policy the account follows (empty when none).
      type: str
    vaults:
      description: Storage Vaults, C({id, name}).
      type: list
      elements: dict
    login:
      description:
        - How the account logs in, from its profile (no secret) - C(password) (the password alone is enough,
          C(AllowPasswordLogin)), C(totp) (password and TOTP code, C(AllowPasswordAndTOTPLogin)) and
          C(two_factor_required) (a TOTP code is required - an unattended installation or C(backup-tool login prompt)
          cannot log in, see P(unil.backup.comet_two_factor_refusal#filter)).
      type: dict
      version_added: 0.3.0
devices:
  description: The account's devices (only the one asked for with O(device_id)/O(device_name)), sorted by ID.
  returned: success
  type: list
  elements: dict
  contains:
    device_id:
      description: Device ID.
      type: str
    name:
      description: Device name.
      type: str
    platform:
      description: V(windows), V(macos), V(linux) or the raw value.
      type: str
    client_version:
      description: Comet Backup version reported by the device.
      type: str
    online:
      description: Whether the device has a live connection now.
      type: bool
    protected_items:
      description: "The device's protected items: C(item_id), C(name), C(engine), C(folders), C(globs), C(regexes),
        C(backup_rules) (each with C(rule_id), C(vault_id), C(schedules) in M(unil.backup.comet_schedule)'s terms,
        C(comet_schedules) as stored, C(event_triggers))."
      type: list
      elements: dict
    last_job:
      description: "The device's most recent job of any kind: C(status) (code), C(status_name) (success, warning,
        error, missed, ...), C(classification), C(start_time), C(end_time) (Unix seconds, 0 while running),
        C(item_id), C(working) (success or warning: the data was backed up). Null when none (or O(jobs=false))."
      type: dict
    last_backup:
      description: "The device's most recent backup job (classification backup; restores, retention passes and
        updates do not count), with the keys of RV(devices[].last_job). Null when none (or O(jobs=false))."
      type: dict
    last_working_backup:
      description: "The device's most recent backup job that backed the data up (success or warning), with the keys
        of RV(devices[].last_job). Null when it has none yet (or O(jobs=false))."
      type: dict
"""

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    comet_argument_spec,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_client import account_login
from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import GLOB_PREFIX, REGEX_PREFIX, props_values
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import is_backup, is_working
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
    account_error,
    api_counters,
    connection_problem,
    device_summary,
    find_device,
    item_folders,
    job_status_name,
    live_connections,
    rules_for_source,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_schedule import TRIGGER_OPTIONS, describe_all


def items_of(profile, device_id):
    out = []
    for item_id, item in sorted((profile.get("Sources") or {}).items()):
        if (item or {}).get("OwnerDevice") != device_id:
            continue
        props = item.get("EngineProps") or {}
        rules = []
        for rule_id, rule in rules_for_source(profile, item_id):
            triggers = rule.get("EventTriggers") or {}
            rules.append({
                "rule_id": rule_id,
                "vault_id": rule.get("Destination"),
                "schedules": describe_all(rule.get("Schedules")),
                "comet_schedules": rule.get("Schedules") or [],
                "event_triggers": dict((k, triggers[k]) for k in TRIGGER_OPTIONS.values() if k in triggers),
            })
        out.append({
            "item_id": item_id,
            "name": item.get("Description"),
            "engine": item.get("Engine"),
            "folders": item_folders(item),
            "globs": props_values(props, GLOB_PREFIX),
            "regexes": props_values(props, REGEX_PREFIX),
            "backup_rules": rules,
        })
    return out


def _number(value):
    """A stored time as an int; anything else 0 (a reader survives whatever the server holds)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def last_jobs(jobs, backups_only=False, working_only=False):
    """The latest job of each device (of any classification, only backup jobs, or only backup jobs that backed the
    data up), in the module's terms."""
    out = {}
    for job in jobs or []:
        device_id = job.get("DeviceID")
        if not device_id or (backups_only and not is_backup(job)) or (working_only and not is_working(job.get("Status"))):
            continue
        key = (_number(job.get("StartTime")), _number(job.get("EndTime")), str(job.get("GUID") or ""))
        if device_id not in out or key > out[device_id][0]:
            out[device_id] = (key, job)
    return dict((d, {
        "status": job.get("Status"),
        "status_name": job_status_name(job.get("Status")),
        "classification": job.get("Classification"),
        "start_time": job.get("StartTime"),
        "end_time": job.get("EndTime"),
        "item_id": job.get("SourceGUID"),
        "working": is_working(job.get("Status")),
    }) for d, (key, job) in out.items())


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    spec = comet_argument_spec()
    spec.update(
        account=dict(type="str", required=True),
        device_id=dict(type="str"),
        device_name=dict(type="str"),
        jobs=dict(type="bool", default=True),
    )
    return spec


def constraints():
    """What the module passes to AnsibleModule beside its options: a device by ID or by name, not both."""
    return dict(mutually_exclusive=[("device_id", "device_name")])


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    result = dict(changed=False)
    problem = connection_problem(p)
    if problem:
        module.fail_json(msg=problem, **result)
    client = CometAdminClient.from_module(module)
    try:
        profile, dummy = client.get_profile_and_hash(p["account"])
        devices = profile.get("Devices") or {}
        if p["device_id"] or p["device_name"]:
            wanted = [find_device(profile, p["device_id"], p["device_name"])[0]]
        else:
            wanted = sorted(devices)
        online = live_connections(client, p["account"])
        all_jobs = client.jobs_for_user(p["account"]) if p["jobs"] else []
        jobs, backups = last_jobs(all_jobs), last_jobs(all_jobs, backups_only=True)
        working = last_jobs(all_jobs, backups_only=True, working_only=True)
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)
    except CometApiError as exc:
        module.fail_json(msg=account_error(exc, p["account"]), **result)
    out = []
    for device_id in wanted:
        summary = device_summary(device_id, devices[device_id], online=device_id in online)
        if not summary["client_version"] and device_id in online:
            summary["client_version"] = online[device_id].get("ReportedVersion")
        summary["protected_items"] = items_of(profile, device_id)
        summary["last_job"] = jobs.get(device_id)
        summary["last_backup"] = backups.get(device_id)
        summary["last_working_backup"] = working.get(device_id)
        out.append(summary)
    result["account"] = {
        "username": profile.get("Username"),
        "account_name": profile.get("AccountName"),
        "policy_id": profile.get("PolicyID") or "",
        "vaults": [{"id": k, "name": (v or {}).get("Description")} for k, v in sorted((profile.get("Destinations") or {}).items())],
        "login": account_login(profile),
    }
    result["devices"] = out
    result["api"] = api_counters(client)
    module.exit_json(**result)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
