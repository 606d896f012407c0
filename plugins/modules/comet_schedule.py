#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_schedule
short_description: When a Comet Backup device backs up
version_added: 0.1.0
description:
  - Sets the schedules (C(Schedules)) and the missed-job options (C(EventTriggers)) of the backup rule of a device's
    protected item (see M(unil.backup.comet_profile), which creates the item and the rule), in a Comet Server user
    account.
  - "Schedules are written in a sysadmin's terms and mapped to Comet's C(ScheduleConfig): V(once) -> ONCEONLY 8010
    (C(SecondsPast) is the Unix timestamp), V(daily) -> DAILY 8011 (seconds after 00:00), V(hourly) -> HOURLY 8012
    (seconds after the hour), V(weekly) -> WEEKLY 8013 (seconds after 00:00 on Sunday), V(monthly) -> MONTHLY 8014
    (seconds after 00:00 on the 1st), V(periodic) -> PERIODIC 8015 (C(SecondsPast) is the period, C(Offset) shifts
    the start from the Unix epoch). Times are the device's local time."
  - "A weekly schedule on several days is written as one WEEKLY entry per day (for example mon and thu at 22:00 ->
    C(SecondsPast) 165600 and 424800). How the Comet client's own editor stores several days is UNCONFIRMED; this
    literal mapping is what Comet's documented semantics of WEEKLY give."
  - The stored schedules are compared with the wanted ones on C(FrequencyType), C(SecondsPast), C(Offset),
    C(RandomDelaySecs) and any restriction that is enabled, so a profile edited by the client's GUI with unset extra
    fields is not rewritten.
  - Only the fields named here are changed; every other field of the rule and of the profile is kept as stored.
  - Bad input (time, day, period, delay) fails naming the option before anything is written.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.comet.device
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  item_name:
    description:
      - Name of the device's protected item. Defaults to the UNIL name for the device's OS; when the device has a single
        files-and-folders item, that one is used whatever its name.
    type: str
  vault:
    description: The Storage Vault (ID or name) of the backup rule, needed only when the item has several rules.
    type: str
  schedules:
    description:
      - The complete list of schedules of the rule, in this order. An empty list removes every schedule.
      - Left as stored when omitted (only the missed-job options are then managed).
    type: list
    elements: dict
    suboptions:
      frequency:
        description: How often.
        type: str
        required: true
        choices: [once, hourly, daily, weekly, monthly, periodic]
      at:
        description:
          - V(daily), V(weekly), V(monthly) - the time of day, V(HH:MM) (00:00 to 23:59).
          - V(once) - an ISO 8601 date-time with its UTC offset, for example V(2026-12-24T18:00+01:00).
        type: str
      minute:
        description: V(hourly) - minute past the hour, 0 to 59 (0 when omitted).
        type: int
      days:
        description: V(weekly) - the days, V(sun) V(mon) V(tue) V(wed) V(thu) V(fri) V(sat) (full names accepted).
        type: list
        elements: str
      day:
        description: V(monthly) - day of the month, 1 to 28 (the days every month has).
        type: int
      every:
        description: V(periodic) - the period, seconds or a duration such as V(30m), V(4h), V(1d), V(1h30m) (1 minute to 366 days).
        type: str
      offset:
        description: V(periodic) - shift of the start from the Unix epoch, shorter than the period (to stagger devices).
        type: str
  random_delay:
    description:
      - Random delay in seconds (0 to 18000) added to every schedule's start (C(RandomDelaySecs)), to spread the load.
      - Used only with O(schedules).
    type: int
    default: 0
  run_on_boot:
    description: Also run the rule when the computer starts (C(EventTriggers.OnPCBoot)). Left as stored when omitted.
    type: bool
  run_missed_on_boot:
    description:
      - Run the rule when the computer starts if the last scheduled job was missed (C(EventTriggers.OnPCBootIfLastJobMissed)),
        the setting for laptops. Left as stored when omitted.
    type: bool
  retry_failed:
    description: Retry a failed job (C(EventTriggers.OnLastJobFailDoRetry), Comet 24.6.6 or later). Left as stored when omitted.
    type: bool
  retry_count:
    description: How many retries (C(LastJobFailDoRetryCount)), 0 to 100. Left as stored when omitted.
    type: int
  retry_delay:
    description:
      - Wait before a retry (C(LastJobFailDoRetryTime)), a duration such as V(30m) or V(2h) (a bare number is
        seconds), a whole number of minutes from 1 minute to 7 days. Comet stores minutes (its default is 30), so V(30m)
        is written as 30. Left as stored when omitted.
    type: str
seealso:
  - module: unil.backup.comet_profile
"""

EXAMPLES = r"""
- name: Every day at 12:30 and on Monday and Thursday at 22:00, up to 30 minutes late, catch up at boot
  unil.backup.comet_schedule:
    account: lab-chimie
    device_id: "{{ comet_device_id }}"
    schedules:
      - frequency: daily
        at: "12:30"
      - frequency: weekly
        days: [mon, thu]
        at: "22:00"
    random_delay: 1800
    run_missed_on_boot: true
  delegate_to: localhost

- name: Every 4 hours, staggered per host
  unil.backup.comet_schedule:
    account: lab-chimie
    device_id: "{{ comet_device_id }}"
    schedules:
      - frequency: periodic
        every: 4h
        offset: "{{ (inventory_hostname | hash('md5') | int(base=16)) % 14400 }}"
  delegate_to: localhost

- name: Hourly at a quarter past
  unil.backup.comet_schedule:
    account: pnom
    device_name: lts22
    schedules:
      - frequency: hourly
        minute: 15
  delegate_to: localhost
"""

RETURN = r"""
device_id:
  description: The device ID.
  returned: success
  type: str
item_id:
  description: Key of the protected item.
  returned: success
  type: str
rule_id:
  description: Key of the backup rule whose schedules were set.
  returned: success
  type: str
schedules:
  description: The rule's schedules after the change, in this module's terms (weekly entries at one time grouped).
  returned: success
  type: list
  elements: dict
  sample: [{frequency: daily, at: "12:30", random_delay: 1800}]
comet_schedules:
  description: The rule's C(Schedules) as stored, in Comet's terms.
  returned: success
  type: list
  elements: dict
  sample: [{FrequencyType: 8011, SecondsPast: 45000, Offset: 0, RandomDelaySecs: 1800}]
event_triggers:
  description: The rule's C(EventTriggers) after the change.
  returned: success
  type: dict
refetched:
  description: Whether the device was asked to reload its profile after the change.
  returned: always
  type: bool
api:
  description: API calls this task made.
  returned: always
  type: dict
"""

import time

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    DEVICE_CHOICE,
    comet_device_argument_spec,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_device_module import run_device_update
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
    check_name,
    connection_problem,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_schedule import (
    describe_all,
    event_triggers,
    schedules_to_comet,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_settings import (
    schedule_view as view,
    set_schedule,
    warn_if_suspended,
)


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    return comet_device_argument_spec(
        item_name=dict(type="str"),
        vault=dict(type="str"),
        schedules=dict(type="list", elements="dict", options=dict(
            frequency=dict(type="str", required=True, choices=["once", "hourly", "daily", "weekly", "monthly", "periodic"]),
            at=dict(type="str"),
            minute=dict(type="int"),
            days=dict(type="list", elements="str"),
            day=dict(type="int"),
            every=dict(type="str"),
            offset=dict(type="str"),
        )),
        random_delay=dict(type="int", default=0),
        run_on_boot=dict(type="bool"),
        run_missed_on_boot=dict(type="bool"),
        retry_failed=dict(type="bool"),
        retry_count=dict(type="int"),
        retry_delay=dict(type="str"),
    )


def constraints():
    """What the module passes to AnsibleModule beside its options: one device, by ID or by name."""
    return dict(DEVICE_CHOICE)


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    result = dict(changed=False, refetched=False)
    problem = connection_problem(p)
    if problem:
        module.fail_json(msg=problem, **result)
    try:
        check_name(p["account"], "account")
        wanted = schedules_to_comet(p["schedules"], p["random_delay"]) if p["schedules"] is not None else None
        triggers = event_triggers(p)
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)
    if wanted is None and not triggers:
        module.fail_json(msg="schedules: nothing to manage (give schedules and/or a missed-job option)", **result)

    now = int(time.time())

    def plan(profile):
        return set_schedule(profile, p["device_id"], p["device_name"], item_name=p["item_name"], vault=p["vault"],
                            schedules=wanted, triggers=triggers, now=now)

    def report(update, found, dummy_online):
        rule = update.after["BackupRules"][found["rule_id"]]
        return dict(device_id=found["device_id"], item_id=found["item_id"], rule_id=found["rule_id"],
                    schedules=describe_all(rule.get("Schedules")), comet_schedules=rule.get("Schedules") or [],
                    event_triggers=rule.get("EventTriggers") or {})

    run_device_update(module, p["account"], warn_if_suspended(plan, p["account"]), report, view, result)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
