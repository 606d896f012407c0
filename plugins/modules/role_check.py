#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: role_check
short_description: Check a role's variables with the collection's one validator, before anything changes
version_added: 0.4.0
description:
  - "Reads every variable of the host whose name starts with the role's prefix (for example C(comet_config_)), as the
    host sees it, and checks the values with the role's validator - the same Python that C(make validate-inventory)
    and the modules run. Fails with every problem at once, each naming its variable; warns about a variable named with
    the role's prefix that the role does not read, naming the closest known one."
  - Types and choices are checked before, by the role's C(meta/argument_specs.yml); this checks values and rules
    across variables (a URL without credentials, absolute paths, schedules, regexes the client accepts).
  - Runs on the controller only (an action plugin). Internal to the collection's roles.
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
  role:
    description: The role whose variables are checked.
    type: str
    required: true
    choices: [comet_config, comet_system_exclusions, fleet_report]
  device_name:
    description:
      - The device name the role would set (role C(comet_config)).
      - Unset, the role's own rule - C(comet_config_device_name), else the host's C(ansible_facts.hostname), else
        its short inventory name.
    type: str
  check_device:
    description: Whether the host's device ID must be known (role C(comet_config)).
    type: bool
    default: false
  os_name:
    description: The host's OS (linux, windows, macos) for the path rules; unknown when not given.
    type: str
  facts:
    description: Facts set on the host when the check passes (what the next steps read).
    type: dict
    default: {}
seealso:
  - module: unil.backup.comet_device_settings
"""

EXAMPLES = r"""
- name: Check the variables before any change
  unil.backup.role_check:
    role: comet_config
    device_name: "{{ ansible_facts['hostname'] }}"
    check_device: true
"""

RETURN = r"""
problems:
  description: The problems found (empty; the task fails when there is one).
  returned: success
  type: list
  elements: dict
ansible_facts:
  description: O(facts), when the check passed.
  returned: success
  type: dict
"""
