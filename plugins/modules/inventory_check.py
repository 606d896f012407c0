#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_check
short_description: Check a site's inventory completely, as C(make validate-inventory) does, from the installed collection
version_added: 0.4.0
description:
  - "Loads each inventory directory as Ansible loads it, with no vault secret, and checks it with the collection's
    rules (plugins/plugin_utils/_inventory_check.py, also run by C(scripts/validate_inventory.py)): variables the
    roles do not know (with the closest known name), values against the roles' argument specs and the modules' rules,
    one C(dept_*) group and one account per host, device names unique per account, secrets only in vault, and the
    files themselves (YAML that does not parse, duplicate keys, numbers where a name is expected)."
  - Fails with every problem at once, one line each naming the file, the host or group and the variable. A value
    is never shown.
  - Runs on the controller only (an action plugin). Called by the playbook C(unil.backup.validate_inventory).
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: Only reads files.
  diff_mode:
    support: none
options:
  inventory:
    description:
      - The inventory directories to check (for example the play's C(ansible_inventory_sources)).
      - A source that is not a directory is an error.
    type: list
    elements: path
    required: true
seealso:
  - module: unil.backup.role_check
"""

EXAMPLES = r"""
- name: Check every inventory given with -i
  unil.backup.inventory_check:
    inventory: "{{ ansible_inventory_sources }}"
"""

RETURN = r"""
inventories:
  description: Per inventory directory (as given), its errors and number of hosts.
  returned: always
  type: dict
  sample:
    inventories/example:
      hosts: 8
      errors: []
lines:
  description: The report's lines (C(ERROR ...), then C(OK ...) or C(FAILED ...) per inventory), as the script prints them.
  returned: always
  type: list
  elements: str
"""
