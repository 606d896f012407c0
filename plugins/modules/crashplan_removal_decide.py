#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: crashplan_removal_decide
short_description: Check role crashplan_removal's variables and reuse the host's probe (on the controller)
version_added: 0.4.0
description:
  - "The first step of role M(unil.backup.crashplan_removal) for one host, in one controller task: the role's
    variables (every C(crashplan_removal_*) variable as the host sees it) checked on this host, the controller's
    environment and files included (every problem at once, each naming its variable); then the probe that role
    M(unil.backup.comet_client) made in this play reused when it read CrashPlan with the same inputs. Where it did and
    CrashPlan is absent, that is the whole decision (the health gate's code C(absent))."
  - Returns the role's facts; C(_crashplan_removal_host) is null when the role must read the host itself.
  - Runs on the controller (an action plugin). The host is reached only when the facts the role decides on
    (C(system), C(os_family)) are missing and O(gather_facts) is on; they are then gathered first (M(ansible.builtin.setup),
    its C(min) subset, one round trip) and returned with the role's facts.
  - Internal to the collection's roles.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: Only reads variables (and, when they are missing, the host's facts).
  diff_mode:
    support: none
options:
  probe:
    description: The probe of role M(unil.backup.comet_client) (C(comet_client_host_info)); null when it did not run.
    type: raw
  gather_facts:
    description: Whether the host's facts are gathered when the ones the role decides on are missing.
    type: bool
    default: true
seealso:
  - module: unil.backup.host_info
"""

EXAMPLES = r"""
- name: Check the variables and reuse the probe of unil.backup.comet_client
  unil.backup.crashplan_removal_decide:
    probe: "{{ comet_client_host_info | default(none) }}"
"""

RETURN = r"""
ansible_facts:
  description: The role's facts (what was found before any change and the gate, when the probe answers).
  returned: success
  type: dict
facts_gathered:
  description: Whether the host was reached to gather its facts (they were missing; O(gather_facts)).
  returned: success
  type: bool
msg:
  description: Every problem of the variables, when there is one.
  returned: failure
  type: str
"""
