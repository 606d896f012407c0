#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_device
short_description: Name or revoke a device of a Comet Backup account
version_added: 0.1.0
description:
  - Finds a device registered to a Comet Server user account, by its device ID or by its current name.
  - Sets the device's name (C(Devices[<id>].FriendlyName) in the account's profile), through the admin API's
    hash-checked read-modify-write, serialised per account so that many hosts of one play can run it at once.
  - Every other field of the profile is kept as stored.
  - After a change the device, when online, is asked to reload its profile (C(dispatcher/refetch-profile)).
  - With O(state=absent) the device is revoked from the account (C(revoke-device)), which also removes its protected
    items and their backup rules on the server.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.comet.device
  - unil.backup.comet.rename
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - The name to give the device (1 to 255 characters, no control characters, no leading or trailing space).
      - Left as it is when omitted.
      - A name another device of the account already has (NFC and NFD spellings alike) is refused, since a device
        found by name must be one; see O(allow_duplicate_name).
    type: str
  state:
    description:
      - V(present) checks that the device exists and sets O(name).
      - V(absent) revokes the device. A device that is already gone is not an error; a O(device_name) several devices
        share is one (as with V(present)) - use O(device_id).
    type: str
    choices: [present, absent]
    default: present
notes:
  - The connection options can be set once for all comet_* modules with C(module_defaults) and C(group/unil.backup.comet).
seealso:
  - module: unil.backup.comet_info
"""

EXAMPLES = r"""
- name: Name the device as the inventory host
  unil.backup.comet_device:
    server_url: https://cometbackup.unil.ch/
    admin_username: ansible
    admin_password: "{{ vault_comet_admin_password }}"
    account: lab-chimie
    device_id: "{{ comet_device_id }}"
    name: "{{ inventory_hostname }}"
  delegate_to: localhost

- name: Revoke a device found by name
  unil.backup.comet_device:
    account: pnom
    device_name: old-laptop
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
device_id:
  description: The device ID.
  returned: when the device exists (or existed, with O(state=absent))
  type: str
  sample: 7e3f0b9a-2b6c-4c8e-9f4e-3a1d5c2b7e10
name:
  description: The device's name after the change (with O(state=absent), before the revocation).
  returned: when the device exists
  type: str
  sample: lts22
platform:
  description: The device's operating system (V(windows), V(macos), V(linux)) or the raw value Comet reported.
  returned: when the device exists
  type: str
  sample: linux
client_version:
  description: The Comet Backup version the device reported.
  returned: when the device exists
  type: str
  sample: 24.6.0
online:
  description: Whether the device has a live connection to the server now.
  returned: when the device exists
  type: bool
refetched:
  description: Whether the device was asked to reload its profile after the change.
  returned: always
  type: bool
api:
  description: API calls this task made (no secret).
  returned: always
  type: dict
  sample: {reads: 2, writes: 1, retries: 0, conflicts: 0}
"""

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    DEVICE_CHOICE,
    comet_device_argument_spec,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_device_module import run_device_update
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometAmbiguousError,
    CometInputError,
    account_error,
    api_counters,
    check_device_state,
    check_name,
    connection_problem,
    device_summary,
    find_device,
    live_connections,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_settings import (
    device_view as view,
    set_device_name,
    warn_if_suspended,
)


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    return comet_device_argument_spec(
        name=dict(type="str"),
        allow_duplicate_name=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )


def constraints():
    """What the module passes to AnsibleModule beside its options: one device, by ID or by name."""
    return dict(DEVICE_CHOICE)


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    account = p["account"]
    result = dict(changed=False, refetched=False)
    try:
        check_name(account, "account")
        check_name(p["name"], "name")
        check_device_state(p["state"], p["name"])
        check_name(p["device_name"], "device_name")
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)
    problem = connection_problem(p)
    if problem:
        module.fail_json(msg=problem, **result)

    if p["state"] == "absent":
        client = CometAdminClient.from_module(module)
        try:
            profile, dummy = client.get_profile_and_hash(account)
            try:
                device_id, device = find_device(profile, p["device_id"], p["device_name"])
            except CometAmbiguousError:
                raise  # several devices have that name: which one to revoke is not ours to guess
            except CometInputError:
                result["api"] = api_counters(client)
                module.exit_json(**result)
            result.update(device_summary(device_id, device, online=device_id in live_connections(client, account)))
            result["changed"] = True
            if module._diff:
                result["diff"] = {"before": view(profile, device_id), "after": {}}
            if not module.check_mode:
                client.revoke_device(account, device_id)
            result["api"] = api_counters(client)
            module.exit_json(**result)
        except CometInputError as exc:
            result["api"] = api_counters(client)
            module.fail_json(msg=str(exc), **result)
        except CometApiError as exc:
            result["api"] = api_counters(client)
            module.fail_json(msg=account_error(exc, account), **result)

    def plan(profile):
        return set_device_name(profile, p["device_id"], p["device_name"], p["name"], p["allow_duplicate_name"])

    def report(update, found, online):
        device_id = found["device_id"]
        out = device_summary(device_id, update.after["Devices"][device_id], online=device_id in online())
        if not out["client_version"] and device_id in online():
            out["client_version"] = online()[device_id].get("ReportedVersion")
        return out

    run_device_update(module, account, warn_if_suspended(plan, account), report, lambda profile, found: view(profile, found["device_id"]), result)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
