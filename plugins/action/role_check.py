# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.role_check: a role's variables checked by its one validator
(plugins/module_utils/_role_checks.py, also run by scripts/validate_inventory.py). Runs on the controller only;
documentation in plugins/modules/role_check.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display

from ansible_collections.unil.backup.plugins.module_utils import _role_checks, _role_results
from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import known_variables, role_variables
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ROLES = ("comet_config", "comet_system_exclusions", "fleet_report")

ARGUMENT_SPEC = dict(
    role=dict(type="str", required=True, choices=list(ROLES)),
    device_name=dict(type="str"),
    check_device=dict(type="bool", default=False),
    os_name=dict(type="str"),
    facts=dict(type="dict", default={}),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def checked_role(self):
        role = self._task.args.get("role")
        return role if role in ROLES else None

    def run_on_controller(self, result, args, task_vars):
        role = args["role"]
        variables = role_variables(self._templar, task_vars, role + "_")
        context = {}
        if role == "comet_config":
            device_name = args["device_name"]
            if device_name is None:  # the name the role gives the device (the same rule as its settings step)
                device_name = _role_results.comet_config_device_name(
                    variables.get("comet_config_device_name"), task_vars.get("ansible_facts"),
                    task_vars.get("inventory_hostname_short"))
            context = dict(os_name=args["os_name"] or None, check_device=args["check_device"],
                           check_mode=bool(self._play_context.check_mode), device_name=device_name)
        try:
            problems = _role_checks.role_problems(role, variables, **context)
        except (TypeError, ValueError) as exc:
            raise AnsibleActionFail("unil.backup.%s: %s" % (role, exc))
        known = known_variables(role)
        if known:
            for unknown in _role_checks.unknown_variables(role, variables.keys(), known):
                Display().warning(unknown["text"])
        if problems:
            where = "" if self._task.run_once else " on %s" % task_vars.get("inventory_hostname", "")
            result.update(failed=True, msg="unil.backup.%s%s: %s." % (role, where, "; ".join(_role_checks.texts(problems))))
            return result
        result.update(changed=False, problems=[], ansible_facts=args["facts"])
        return result
