#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_device_settings
short_description: Every setting of one Comet Backup device in one profile write
version_added: 0.1.0
description:
  - Applies the settings of one device of a Comet Server user account together - its name, its files-and-folders
    protected item with its folders and backup rule, the rule's schedules and missed-job options, and the user-level
    exclusions of the item - with ONE read of the account's profile and at most one hash-checked write.
  - Each setting is applied by the same code as the single-purpose module that manages it, with the same rules -
    M(unil.backup.comet_device) (O(name)), M(unil.backup.comet_profile) (O(item_defaults), O(item_name), O(folders),
    O(folders_mode), O(vault)), M(unil.backup.comet_schedule) (O(schedules), O(random_delay), O(run_on_boot),
    O(run_missed_on_boot), O(retry_failed), O(retry_count), O(retry_delay)) and M(unil.backup.comet_exclusions) with
    C(level=user) (O(exclude_globs), O(exclude_regexes), O(exclusions_defaults), O(exclusions_state),
    O(accent_workaround)). See those modules for the mapping to Comet's fields.
  - Every setting is optional - an omitted setting is left as stored. Settings are applied in the order name,
    protected item, schedule, exclusions; the schedule and the exclusions go to the item the protected-item setting
    found or created, so a brand-new device is configured in one run, also in check mode.
  - Every other field of the profile is kept as stored, unknown ones included. When someone else changed the profile
    between the read and the write, it is read again and every setting applied again (the write is serialised per
    account on the controller, so many hosts of one account can run this at once).
  - Bad input fails naming the option before anything is written - the values that do not depend on the device
    before any call, the paths (which depend on the device's OS) before the write.
  - After a change the device, when online, is asked to reload its profile (C(dispatcher/refetch-profile)).
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.comet.rename
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  account:
    description: The Comet user account (username) the device is registered to.
    type: str
    required: true
  device_id:
    description: The device ID (C(backup-tool info device-id), or the Windows registry value C(DeviceIdentificationID)).
    type: str
    required: true
  name:
    description:
      - The name to give the device (1 to 255 characters, no control characters, no leading or trailing space).
      - Left as stored when omitted.
      - A name another device of the account already has (NFC and NFD spellings alike) is refused, as
        M(unil.backup.comet_device) refuses it; see O(allow_duplicate_name).
    type: str
  item_defaults:
    description:
      - "V(true) manages the protected item as M(unil.backup.comet_profile) does: an omitted O(item_name) is the UNIL
        name for the device's OS (V(Windows UNIL), V(macOS UNIL), V(Linux UNIL)), omitted O(folders) are the UNIL
        folder for the device's OS (V(C:/Users), V(/Users), V(/home)), and the item and its backup rule are created
        when missing."
      - V(false) manages the protected item only when O(folders) is given; an omitted O(item_name) then keeps the
        name of the item found (a new item gets the UNIL name).
      - When the protected item is not managed, O(item_name) only says which item the schedule and the exclusions
        apply to (by default the UNIL name for the device's OS, or the device's only files-and-folders item), and
        that item must exist.
    type: bool
    default: false
  item_name:
    description:
      - Name (C(Description)) of the device's protected item; see O(item_defaults) for what an omitted name means.
    type: str
  folders:
    description:
      - Folders to back up (C(INCLUDE*) entries), absolute paths for the device's OS. A trailing separator is dropped.
      - Giving them manages the protected item (see O(item_defaults)). Left as stored when omitted (unless
        O(item_defaults=true)).
    type: list
    elements: str
  folders_mode:
    description:
      - V(replace) makes the item include exactly O(folders).
      - V(merge) adds O(folders) to the folders already included.
    type: str
    choices: [replace, merge]
    default: replace
  vault:
    description:
      - The Storage Vault (its ID or its name) of the item's backup rule. May be omitted when the account has exactly
        one Storage Vault (or, for the schedule, when the item has a single rule).
    type: str
  schedules:
    description:
      - The complete list of schedules of the item's backup rule, in this order, as in M(unil.backup.comet_schedule).
        An empty list removes every schedule.
      - Left as stored when omitted.
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
        description: V(monthly) - day of the month, 1 to 28.
        type: int
      every:
        description: V(periodic) - the period, seconds or a duration such as V(30m), V(4h), V(1d), V(1h30m).
        type: str
      offset:
        description: V(periodic) - shift of the start from the Unix epoch, shorter than the period.
        type: str
  random_delay:
    description:
      - Random delay in seconds (0 to 18000) added to every schedule's start (C(RandomDelaySecs)). Used only with
        O(schedules).
    type: int
    default: 0
  run_on_boot:
    description: Also run the rule when the computer starts (C(EventTriggers.OnPCBoot)). Left as stored when omitted.
    type: bool
  run_missed_on_boot:
    description:
      - Run the rule at start-up when the last scheduled job was missed (C(EventTriggers.OnPCBootIfLastJobMissed)).
        Left as stored when omitted.
    type: bool
  retry_failed:
    description: Retry a failed job (C(EventTriggers.OnLastJobFailDoRetry)). Left as stored when omitted.
    type: bool
  retry_count:
    description: How many retries (C(LastJobFailDoRetryCount)), 0 to 100. Left as stored when omitted.
    type: int
  retry_delay:
    description:
      - Wait before a retry (C(LastJobFailDoRetryTime)), a duration such as V(30m) (a bare number is seconds), a whole
        number of minutes from 1 minute to 7 days, stored in minutes as M(unil.backup.comet_schedule) writes it. Left
        as stored when omitted.
    type: str
  exclude_globs:
    description: User-level glob exclusions (C(EXCLUDE*) on the item), absolute paths for the device's OS or starting with C(*).
    type: list
    elements: str
    default: []
  exclude_regexes:
    description: User-level regular-expression exclusions (C(REXCLUDE*) on the item).
    type: list
    elements: str
    default: []
  exclusions_defaults:
    description: Add the UNIL default user-level exclusions for the device's OS to O(exclude_globs).
    type: bool
    default: false
  exclusions_state:
    description:
      - V(present) adds the exclusions, V(absent) removes them, V(exact) makes the item hold exactly them (both its
        C(EXCLUDE*) and its C(REXCLUDE*) entries).
      - The exclusions are left as stored when there is nothing to add or remove (no exclusion given,
        O(exclusions_defaults=false), and a state other than V(exact)).
    type: str
    choices: [present, absent, exact]
    default: present
  accent_workaround:
    description:
      - For an exclusion with accented characters, also write the regex that matches the name whatever its Unicode
        normalisation form (see M(unil.backup.comet_exclusions)).
    type: bool
    default: true
  set_once:
    description:
      - The settings a person may change in their Comet Backup client (the service's activation guide - add or remove
        folders, choose when backups run, re-enable folders excluded by default) that this task writes only when it
        creates the device's protected item (V(schedule) - when it creates the item's backup rule). On an item that
        exists they stay as the person set them, and RV(kept) says what this task would have written instead.
      - V(folders) - O(folders) (or the UNIL folders of O(item_defaults)); V(schedule) - O(schedules) and the
        missed-job options; V(exclusions) - the user-level exclusions.
      - A setting not listed is enforced - written on every run. Only takes effect when the protected item is managed
        (O(item_defaults) or O(folders)); without it nothing is created, so these settings are never written.
    type: list
    elements: str
    choices: [folders, schedule, exclusions]
    default: []
  start_backup:
    description:
      - Start the first backup of the device (C(dispatcher/run-backup) for the item's backup rule) right after this
        run created its protected item, as the service's activation steps end ("Sauvegarder dès maintenant"), when the
        device is online. Nothing is started when the item already existed, in check mode, or when the device is
        offline (its schedule takes over); RV(backup_started) says which.
      - A first backup makes the machine busy for a while; set V(false) to leave it to the schedule, or choose when
        with O(first_backup_window).
      - C(dispatcher/run-backup) is sent once; the C(JobID) it returns is read back (C(get-job-properties)) and
        RV(backup_reason) says whether the job started and, if not, why.
    type: bool
    default: false
  first_backup_window:
    description:
      - When O(start_backup) may start the first backup (the service's guide, "Machine ventile lors du premier
        backup" - the first backup makes the machine busy and loud, run it in a quiet period or at night).
      - V(now) starts it at once; V(never) leaves it to the device's schedule; a daily window V(HH:MM-HH:MM) starts it
        only between these times, in the device's time zone (C(DeviceTimeZone) of its live connection; the
        controller's local time when the device reports none). A start later than the end spans midnight -
        V(20:00-06:00) is the night.
      - Outside the window nothing is sent and RV(backup_reason) is V(deferred:outside_window) - the schedule runs
        the backup.
    type: str
    default: now
  first_backup_wait:
    description:
      - Seconds (0 to 600) to wait, at most, for the device to apply its new profile before its first backup can
        start. A device applies a refetched profile some time after C(dispatcher/refetch-profile); until then it
        does not know the new backup rule and refuses to run it (nothing started), so the request is sent again
        after a refusal until this time has passed - never after a lost answer, which is followed by a read of the
        account's jobs instead. Then RV(backup_reason) is V(not_started:profile_not_applied).
    type: int
    default: 30
  vpn_connected:
    description:
      - The host's Pulse Secure (Ivanti Secure Access) VPN connection is up, as read on the host. The service's guide
        advises against a first backup through it ("Machine ventile lors du premier backup"), so O(start_backup)
        then starts nothing and RV(backup_reason) is V(deferred:vpn) - the schedule runs the backup.
    type: bool
    default: false
notes:
  - The role M(unil.backup.comet_config) applies a host's settings with this module, once per host.
  - The connection options can be set once for all comet_* modules with C(module_defaults) and C(group/unil.backup.comet).
seealso:
  - module: unil.backup.comet_device
  - module: unil.backup.comet_profile
  - module: unil.backup.comet_schedule
  - module: unil.backup.comet_exclusions
"""

EXAMPLES = r"""
- name: Everything the UNIL way for this host's device, in one write
  unil.backup.comet_device_settings:
    server_url: https://cometbackup.unil.ch/
    admin_username: ansible
    admin_password: "{{ vault_comet_admin_password }}"
    account: lab-chimie
    device_id: "{{ comet_client_device_id }}"
    name: "{{ inventory_hostname_short }}"
    item_defaults: true
    schedules:
      - frequency: daily
        at: "12:00"
    random_delay: 1800
    run_missed_on_boot: true
    exclusions_defaults: true
  delegate_to: localhost

- name: The UNIL defaults when the device's item is created, afterwards the person's own folders, schedule and exclusions
  unil.backup.comet_device_settings:
    account: lab-chimie
    device_id: "{{ comet_client_device_id }}"
    item_defaults: true
    schedules:
      - frequency: daily
        at: "12:00"
    exclusions_defaults: true
    set_once: [folders, schedule, exclusions]
  delegate_to: localhost
  register: settings
  # settings.kept shows what the person changed and this task left alone

- name: Only add a folder and a scratch exclusion, leave the rest as stored
  unil.backup.comet_device_settings:
    account: lab-chimie
    device_id: "{{ comet_client_device_id }}"
    folders: [/srv/data]
    folders_mode: merge
    exclude_globs: [/home/*/scratch]
  delegate_to: localhost
"""

RETURN = r"""
backup_started:
  description: Whether this run started the device's first backup (O(start_backup)); see RV(backup_reason).
  returned: success
  type: bool
backup_reason:
  description:
    - Why the first backup was or was not started, a code - V(started); V(not_started:not_asked),
      V(not_started:item_existed), V(not_started:check_mode), V(not_started:offline), V(not_started:no_rule),
      V(not_started:profile_not_applied) (the device had not applied its new profile within O(first_backup_wait)),
      V(not_started:refused), V(not_started:answer_lost), V(not_started:job_not_found); V(deferred:outside_window),
      V(deferred:never) (O(first_backup_window)), V(deferred:vpn) (O(vpn_connected)).
  returned: success
  type: str
  sample: deferred:outside_window
backup_job_id:
  description: The ID of the first backup's job (from C(dispatcher/run-backup), read back); null when none.
  returned: success
  type: str
device_id:
  description: The device ID.
  returned: success
  type: str
device_name:
  description: The device's name after the change.
  returned: success
  type: str
  sample: lab-pc-01
item_id:
  description: Key of the device's protected item in the profile's C(Sources); null when the device has none.
  returned: success
  type: str
item_name:
  description: Name of the protected item; null when the device has none.
  returned: success
  type: str
  sample: Linux UNIL
folders:
  description: The folders the item includes after the change.
  returned: success
  type: list
  elements: str
  sample: [/home]
vault_id:
  description: Key of the Storage Vault of the item's backup rule.
  returned: success
  type: str
rule_id:
  description: Key of the item's backup rule in the profile's C(BackupRules); null when it has none.
  returned: success
  type: str
created:
  description: What this task created (V(item), V(rule)); empty when only edits were needed.
  returned: success
  type: list
  elements: str
schedules:
  description: The rule's schedules after the change, in M(unil.backup.comet_schedule)'s terms.
  returned: success
  type: list
  elements: dict
  sample: [{frequency: daily, at: "12:00", random_delay: 1800}]
comet_schedules:
  description: The rule's C(Schedules) as stored, in Comet's terms.
  returned: success
  type: list
  elements: dict
event_triggers:
  description: The rule's C(EventTriggers) after the change.
  returned: success
  type: dict
globs:
  description: The item's glob exclusions after the change.
  returned: success
  type: list
  elements: str
regexes:
  description: The item's regex exclusions after the change (workaround regexes included).
  returned: success
  type: list
  elements: str
workarounds:
  description: Each accented exclusion and the regex written for it (null when none was written).
  returned: success
  type: dict
kept:
  description:
    - The settings of O(set_once) the person changed and this task left alone, each with what is stored and what
      this task would have written - for O(set_once=[folders]) the folders, for V(schedule) the schedules and
      event triggers in M(unil.backup.comet_schedule)'s terms, for V(exclusions) the globs and regexes. Empty when
      they are as this task would write them, or were written by it.
  returned: success
  type: dict
  sample: {folders: {stored: [/home, /srv/data], wanted: [/home]}}
changes:
  description: The settings this task changed, among V(name), V(item), V(schedule), V(exclusions).
  returned: success
  type: list
  elements: str
  sample: [item, schedule]
refetched:
  description: Whether the device was asked to reload its profile after the change.
  returned: always
  type: bool
api:
  description: API calls this task made (no secret) - reads, writes (dispatcher actions included), retries, conflicts, and the calls per endpoint.
  returned: always
  type: dict
  sample: {reads: 2, writes: 2, retries: 0, conflicts: 0, endpoints: {get-user-profile-and-hash: 1, set-user-profile-hash: 1}}
"""

import time

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometApiError, comet_argument_spec
from ansible_collections.unil.backup.plugins.module_utils._comet_device_module import run_device_update
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_settings import (
    apply_settings,
    settings_diff_view,
    settings_request,
    warn_if_suspended,
)
from ansible_collections.unil.backup.plugins.module_utils._first_backup import (
    check_wait,
    first_backup_decision,
    local_minute,
    parse_window,
    reason_text,
    start_first_backup,
)


def _result(after, found):
    """The module's result keys, from the profile as written (or as it would be, in check mode)."""
    device = after["Devices"][found["device_id"]]
    item = (after.get("Sources") or {}).get(found["item_id"]) if found["item_id"] else None
    rule = (after.get("BackupRules") or {}).get(found["rule_id"]) if found["rule_id"] else None
    view = settings_diff_view(after, found)
    return dict(
        device_id=found["device_id"],
        device_name=device.get("FriendlyName"),
        item_id=found["item_id"],
        item_name=(item or {}).get("Description"),
        folders=view.get("folders", []),
        vault_id=found["vault_id"],
        rule_id=found["rule_id"],
        schedules=view.get("schedules", []),
        comet_schedules=(rule or {}).get("Schedules") or [],
        event_triggers=(rule or {}).get("EventTriggers") or {},
        globs=view.get("globs", []),
        regexes=view.get("regexes", []),
        workarounds=found["workarounds"],
        kept=found.get("kept") or {},
    )


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    spec = comet_argument_spec()
    spec.update(
        account=dict(type="str", required=True),
        device_id=dict(type="str", required=True),
        name=dict(type="str"),
        allow_duplicate_name=dict(type="bool", default=False),
        item_defaults=dict(type="bool", default=False),
        item_name=dict(type="str"),
        folders=dict(type="list", elements="str"),
        folders_mode=dict(type="str", choices=["replace", "merge"], default="replace"),
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
        exclude_globs=dict(type="list", elements="str", default=[]),
        exclude_regexes=dict(type="list", elements="str", default=[]),
        exclusions_defaults=dict(type="bool", default=False),
        exclusions_state=dict(type="str", choices=["present", "absent", "exact"], default="present"),
        accent_workaround=dict(type="bool", default=True),
        set_once=dict(type="list", elements="str", choices=["folders", "schedule", "exclusions"], default=[]),
        start_backup=dict(type="bool", default=False),
        first_backup_window=dict(type="str", default="now"),
        first_backup_wait=dict(type="int", default=30),
        vpn_connected=dict(type="bool", default=False),
    )
    return spec


def constraints():
    """What the module passes to AnsibleModule beside its options: nothing."""
    return {}


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    result = dict(changed=False, refetched=False, created=[], changes=[])
    try:
        request = settings_request(p)
        window = parse_window(p.get("first_backup_window"))
        wait = check_wait(p.get("first_backup_wait"))
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)

    now = int(time.time())
    decided = {}

    def plan(profile):
        return apply_settings(profile, request, now)

    def decide(found, online):
        """The first backup's decision (once): 'start' or the reason code it is not started."""
        if "code" not in decided:
            created = "item" in found["created"]
            conn = online().get(found["device_id"]) if p["start_backup"] and created and not module.check_mode else None
            minute = local_minute((conn or {}).get("DeviceTimeZone"))[0]
            decided["conn"] = conn
            decided["code"] = first_backup_decision(p["start_backup"], created, module.check_mode, conn, window,
                                                    minute, vpn=bool(p.get("vpn_connected")))
            if decided["code"] == "start" and not found.get("rule_id"):
                decided["code"] = "not_started:no_rule"
        return decided["code"]

    def report(update, found, online):
        out = _result(update.after, found)
        if update.changed:
            out.update(created=found["created"], changes=[c["setting"] for c in found["changes"] if c["changed"]])
        code = decide(found, online)
        out.update(backup_started=False, backup_reason=code if code != "start" else "not_started:not_asked",
                   backup_job_id=None)
        return out

    def first_backup(client, dummy_update, found, online):
        """After the write that created the device's item: its first backup, when the device is online and the
        time is in the first-backup window."""
        if decide(found, online) != "start":
            return {}
        try:
            started = start_first_backup(client, p["account"], decided["conn"]["TargetID"], found["device_id"],
                                         found["rule_id"], wait=wait)
        except CometApiError as exc:  # pragma: no cover - start_first_backup turns API errors into codes
            module.warn("The settings were written but starting the first backup of device %s failed: %s (its "
                        "schedule will run it)" % (found["device_id"], exc))
            return {"backup_reason": "not_started:refused"}
        if not started["started"]:
            module.warn("The settings were written; device %s: %s" % (found["device_id"], reason_text(started["reason"])))
        return {"backup_started": started["started"], "backup_reason": started["reason"],
                "backup_job_id": started["job_id"]}

    result["backup_started"] = False
    run_device_update(module, p["account"], warn_if_suspended(plan, p["account"]), report, settings_diff_view, result,
                      after_write=first_backup)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
