#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_profile
short_description: The protected item of a Comet Backup device, its folders and its backup rule
version_added: 0.1.0
description:
  - Manages the files-and-folders protected item (C(Sources[<id>]), engine C(engine1/file)) owned by one device of a
    Comet Server user account, and the backup rule (C(BackupRules[<id>])) that sends it to the account's Storage Vault.
  - "The item is found by name among the device's own file items; when the device has exactly one file item it is
    edited in place (and renamed to O(item_name)); when it has none it is created, with a key derived from the account,
    the device ID and the item name (C(OwnerDevice) is the device, C(EngineProps) holds one C(INCLUDE<hash>) entry per
    folder, the suffix being the first 16 hex digits of the sha256 of the path)."
  - The backup rule to the Storage Vault is created when the item has none (without schedules, see
    M(unil.backup.comet_schedule)); existing rules are left as they are.
  - Items of other devices, other engines, exclusions (C(EXCLUDE*)/C(REXCLUDE*)) and every other field are kept as stored.
  - Writes go through the admin API's hash-checked read-modify-write, serialised per account, and the device, when
    online, is asked to reload its profile afterwards.
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
      - Name (C(Description)) of the protected item.
      - Defaults to the UNIL name for the device's OS, V(Windows UNIL), V(macOS UNIL) or V(Linux UNIL).
    type: str
  folders:
    description:
      - Folders to back up (C(INCLUDE*) entries), absolute paths for the device's OS (V(C:/Users) or V(C:\\Users) on
        Windows, V(/home) elsewhere). A trailing separator is dropped.
      - Defaults to the UNIL folder for the device's OS, V(C:/Users), V(/Users) or V(/home).
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
      - The Storage Vault (its ID or its name) the backup rule sends the item to.
      - May be omitted when the account has exactly one Storage Vault.
    type: str
notes:
  - A device whose platform Comet does not report cannot be managed (its paths cannot be checked).
seealso:
  - module: unil.backup.comet_schedule
  - module: unil.backup.comet_exclusions
"""

EXAMPLES = r"""
- name: The UNIL protected item with the default folder for the device's OS
  unil.backup.comet_profile:
    account: lab-chimie
    device_id: "{{ comet_device_id }}"
  delegate_to: localhost

- name: Back up two folders of a Windows lab PC
  unil.backup.comet_profile:
    account: lab-chimie
    device_id: "{{ comet_device_id }}"
    folders:
      - C:/Users
      - D:/Data
    vault: UNIL Storage Vault
  delegate_to: localhost
"""

RETURN = r"""
device_id:
  description: The device ID.
  returned: success
  type: str
item_id:
  description: Key of the protected item in the profile's C(Sources).
  returned: success
  type: str
item_name:
  description: Name of the protected item.
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
  description: Key of the Storage Vault in the profile's C(Destinations).
  returned: success
  type: str
rule_id:
  description: Key of the backup rule to that vault in the profile's C(BackupRules).
  returned: success
  type: str
created:
  description: What this task created (V(item), V(rule)); empty when only edits were needed.
  returned: success
  type: list
  elements: str
refetched:
  description: Whether the device was asked to reload its profile after the change.
  returned: always
  type: bool
api:
  description: API calls this task made.
  returned: always
  type: dict
  sample: {reads: 2, writes: 1, retries: 0, conflicts: 0}
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
)
from ansible_collections.unil.backup.plugins.module_utils._comet_settings import (
    item_view as view,
    set_protected_item,
    warn_if_suspended,
)


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    return comet_device_argument_spec(
        item_name=dict(type="str"),
        folders=dict(type="list", elements="str"),
        folders_mode=dict(type="str", choices=["replace", "merge"], default="replace"),
        vault=dict(type="str"),
    )


def constraints():
    """What the module passes to AnsibleModule beside its options: one device, by ID or by name."""
    return dict(DEVICE_CHOICE)


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    result = dict(changed=False, refetched=False)
    try:
        check_name(p["account"], "account")
        check_name(p["item_name"], "item_name")
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)

    now = int(time.time())

    def plan(profile):
        return set_protected_item(profile, p["account"], p["device_id"], p["device_name"], item_name=p["item_name"],
                                  folders=p["folders"], folders_mode=p["folders_mode"], vault=p["vault"], now=now)

    def report(update, found, dummy_online):
        return dict(view(update.after, found), created=found["created"] if update.changed else [])

    run_device_update(module, p["account"], warn_if_suspended(plan, p["account"]), report, view, result)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
