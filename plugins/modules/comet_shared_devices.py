#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_shared_devices
short_description: Find the hosts of a play that would share one Comet device (cloned images)
version_added: 0.4.0
description:
  - "The Comet client derives its device ID from the machine's identity; machines installed from one image share it
    and would back up into one device, each overwriting the others' snapshots. This action compares the hosts of the
    play once, in one pass (linear in the number of hosts), and returns, for each host that shares an identity value
    with another, the message refusing it, with the way out."
  - Run it once per play or batch (C(run_once) with C(register)); each host then looks up its own entry in RV(refusals).
  - Runs on the controller only (an action plugin); it reads each host's variable O(identity_var) once.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: Only reads variables.
  diff_mode:
    support: none
options:
  hosts:
    description: The hosts to compare. Defaults to the current batch of the play (C(ansible_play_batch)).
    type: list
    elements: str
  identities:
    description:
      - "The identities to compare, as C({host: identity}), instead of reading O(identity_var) of each host. An identity
        is a device ID (a string) or a dict with any of the keys of O(keys) (a value or a list of values)."
    type: dict
  identity_var:
    description: The variable of each host that holds its identity (a device ID or a dict as in O(identities)).
    type: str
    default: comet_client_device_id
  allow_var:
    description: The variable of each host that, when true, lets it share its identity (really one machine).
    type: str
    default: comet_client_allow_shared_device_id
  keys:
    description: Which identity values count (placeholders such as an all-zero hardware UUID never do).
    type: list
    elements: str
    default: [device_id, machine_id, product_uuid, platform_uuid, ssh_host_key, entropy, hardware_id_override]
  assume_new_identity:
    description:
      - Hosts to compare as if they had been given a new identity already (check mode - what the comparison would
        find once role C(unil.backup.comet_client) has re-identified them).
    type: list
    elements: str
    default: []
notes:
  - Two hosts are grouped when they report one device ID, or when they share an identity input and at least one of
    them has no client yet. Two installed clients with distinct device IDs are distinct devices whatever their inputs.
  - The Windows MachineGuid is not compared - it is not one of the client's inputs.
"""

EXAMPLES = r"""
- name: Find the hosts of this batch that report one device ID
  unil.backup.comet_shared_devices:
  run_once: true
  register: shared

- name: Refuse them, all named
  ansible.builtin.fail:
    msg: "{{ shared.refusals[inventory_hostname] }}"
  when: inventory_hostname in shared.refusals
"""

RETURN = r"""
refusals:
  description: For each host that shares an identity value with another host (and is not allowed to), the message.
  returned: always
  type: dict
groups:
  description: The groups of hosts sharing identity values, each with C(hosts) and C(shared) (key -> shared values).
  returned: always
  type: list
  elements: dict
reidentify:
  description:
    - The hosts that need an identity of their own - in each group, one host keeps the identity (the first whose
      client is installed, else the first), every other host without a client is listed.
  returned: always
  type: list
  elements: str
reidentify_notes:
  description: For each host of RV(reidentify), why it needs an identity of its own (what it shared, with whom).
  returned: always
  type: dict
hosts:
  description: How many hosts were compared.
  returned: always
  type: int
"""
