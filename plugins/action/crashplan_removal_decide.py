# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.crashplan_removal_decide: role crashplan_removal's variables checked and the probe of
unil.backup.comet_client reused, on the controller, in one task (plugins/module_utils/_crashplan_role_decide.py).
Documentation in plugins/modules/crashplan_removal_decide.py."""

from __future__ import annotations

import os

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role_decide
from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import role_variables
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    probe=dict(type="raw"),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    ROLE = "crashplan_removal"

    def run_on_controller(self, result, args, task_vars):
        probe = args["probe"] if isinstance(args["probe"], dict) else None
        variables = role_variables(self._templar, task_vars, "crashplan_removal_")
        decision = _crashplan_role_decide.decide(variables, task_vars.get("ansible_facts") or {}, probe,
                                                 dict(os.environ), os.path.isfile, bool(self._play_context.check_mode))
        result.update(changed=False, ansible_facts=decision["facts"])
        if decision["failed"]:
            result.update(failed=True, msg=decision["msg"])
        return result
