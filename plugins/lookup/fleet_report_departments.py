# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_report_departments
author:
  - UNIL Ci (Centre informatique) backup team (!UNKNOWN)
version_added: 0.3.0
short_description: The department of each Comet account, from the inventory's dept_* groups
description:
  - "Maps each Comet account to the inventory's C(dept_*) groups of the hosts whose C(comet_client_username) (else
    C(comet_config_account)) it is, as C({account: department}); an account whose hosts are in several C(dept_*) groups
    gets them all, sorted and joined with C(, ). A host without an account is left out."
  - Reads the play's C(groups) and the variables of the hosts of the C(dept_*) groups only, each host once, on the
    controller in the process that templates the task - once per use, linear in the number of those hosts. Role
    C(unil.backup.fleet_report) uses it once per play (its task runs once), for the departments of its HTML report and
    its Prometheus metrics; the role itself walks no host's variables.
  - The rules are in the collection's private C(module_utils/_role_summaries.py), unit-tested there.
options:
  overrides:
    description: "Departments given by hand, C({account: department}); they win over the inventory's."
    type: dict
    default: {}
notes:
  - Takes no terms.
seealso:
  - plugin: unil.backup.fleet_report_html
    plugin_type: filter
  - plugin: unil.backup.fleet_report_prometheus
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Map each account to its department
  ansible.builtin.set_fact:
    departments: "{{ lookup('unil.backup.fleet_report_departments', overrides={'frank': 'dept_physique'}) }}"
  run_once: true
"""

RETURN = r"""
_raw:
  description: "One dict, C({account: department})."
  type: list
  elements: dict
"""

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.unil.backup.plugins.module_utils import _role_summaries


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("unil.backup.fleet_report_departments takes no terms, only the option overrides")
        self.set_options(var_options=variables, direct=kwargs)
        overrides = self.get_option("overrides") or {}
        variables = variables or {}
        groups = variables.get("groups") or {}
        hostvars = variables.get("hostvars")
        accounts = {}
        for host in _role_summaries.department_hosts(groups):
            accounts[host] = self._account(hostvars, host)
        return [_role_summaries.departments_from_groups(groups, accounts, dict(overrides))]

    @staticmethod
    def _account(hostvars, host):
        """The host's account; "" when its variables name none or cannot be templated (as Jinja's default(..., true))."""
        if hostvars is None or host not in hostvars:
            return ""
        host_vars = hostvars[host]
        found = {}
        for name in _role_summaries.ACCOUNT_VARIABLES:
            try:
                value = host_vars[name] if name in host_vars else None
            except AnsibleError:
                value = None
            found[name] = value if isinstance(value, (str, int)) and not isinstance(value, bool) else None
            if found[name] not in (None, ""):
                break
        return _role_summaries.host_account(found)
