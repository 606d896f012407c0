#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_config_apply
short_description: Apply role comet_config's settings to one host's Comet device (on the controller)
version_added: 0.4.0
description:
  - "The settings step of role M(unil.backup.comet_config) for one host, in one controller task: a device that
    another host of the batch also names is refused (O(shared)); otherwise the options of
    M(unil.backup.comet_device_settings) are built from the role's C(comet_config_*) variables (the device's name,
    its protected item and folders, schedules, user-level exclusions, the first backup and the connection to the
    Comet Server; an empty variable leaves its option out) and that module's one read-modify-write of the account's
    profile is made."
  - Returns that module's result, the fact C(comet_config_result) and RV(line), the line the role shows for the host.
    A host without a Comet device ID yet (a check run before the client's first installation) is skipped, with its
    line.
  - The module's code runs in the controller's worker, or as a module when the task has an C(environment) (a proxy,
    C(COMET_*)), another connection or C(become), as M(unil.backup.comet_device_settings) does.
  - Internal to the collection's roles; its options follow the role's variables and may change with them.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: As M(unil.backup.comet_device_settings) (nothing is written; the result says what would change).
  diff_mode:
    support: full
    details: As M(unil.backup.comet_device_settings).
options:
  shared:
    description:
      - The batch's comparison of the devices the hosts name (the registered result of
        M(unil.backup.comet_shared_devices)); a host in its C(refusals) fails with that refusal, before any request.
    type: dict
    default: {}
seealso:
  - module: unil.backup.comet_device_settings
  - module: unil.backup.comet_shared_devices
"""

EXAMPLES = r"""
- name: Apply the settings through the Comet Server admin API (the role's variables; on the controller)
  unil.backup.comet_config_apply:
    shared: "{{ _comet_config_shared }}"
  delegate_to: localhost
  become: false
  register: _comet_config_applied
"""

RETURN = r"""
ansible_facts:
  description: The role's fact C(comet_config_result) (account, device ID and name, item, folders, schedule and
    exclusion counts, changed, first backup, the person's settings left alone).
  returned: success, when the host has a device ID
  type: dict
line:
  description: The line role comet_config shows for the host.
  returned: success
  type: str
msg:
  description: Why the host is refused (a device shared in the batch), or the module's failure.
  returned: failure
  type: str
"""
