# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.crashplan_removal_decide: role crashplan_removal's variables checked and the probe of
unil.backup.comet_client reused, on the controller, in one task (plugins/module_utils/_crashplan_role_decide.py).
Documentation in plugins/modules/crashplan_removal_decide.py."""

from __future__ import annotations

import os

from ansible.vars.clean import namespace_facts

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role_decide
from ansible_collections.unil.backup.plugins.module_utils._crashplan_role import facts_missing
from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import role_variables
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    probe=dict(type="raw"),
    gather_facts=dict(type="bool", default=True),
)
# what the role gathers when the facts it decides on are missing (one round trip, ansible.builtin.setup's min subset)
GATHER = dict(module_name="ansible.builtin.setup", module_args=dict(gather_subset=["!all", "min"]))


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    ROLE = "crashplan_removal"
    # The host is reached only to gather its facts when they are missing (below; the result says facts_gathered).
    # No persistent connection is ever set up for it (_requires_connection False, from the base): the collection
    # manages Windows, macOS and Linux hosts, whose connections (ssh, winrm, psrp, podman...) are opened on first use.

    def run_on_controller(self, result, args, task_vars):
        probe = args["probe"] if isinstance(args["probe"], dict) else None
        facts = task_vars.get("ansible_facts") or {}
        gathered = {}
        if args["gather_facts"] and facts_missing(facts):
            answer = self._execute_module(task_vars=task_vars, **GATHER)
            if answer.get("failed") or answer.get("unreachable"):
                return answer
            gathered = answer.get("ansible_facts") or {}
            # as the strategy stores them for the host (without the ansible_ prefix)
            facts = dict(facts, **namespace_facts(gathered)["ansible_facts"])
        variables = role_variables(self._templar, task_vars, "crashplan_removal_")
        decision = _crashplan_role_decide.decide(variables, facts, probe,
                                                 dict(os.environ), os.path.isfile, bool(self._play_context.check_mode))
        result.update(changed=False, ansible_facts=dict(gathered, **decision["facts"]), facts_gathered=bool(gathered))
        if decision["failed"]:
            result.update(failed=True, msg=decision["msg"])
        return result
