# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.crashplan_removal_decide: role crashplan_removal's variables checked and the probe of
unil.backup.comet_client reused, on the controller, in one task (plugins/module_utils/_crashplan_role_decide.py).
Documentation in plugins/modules/crashplan_removal_decide.py."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role_decide
from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import argument_errors, argument_failure, role_variables

ARGUMENT_SPEC = dict(
    probe=dict(type="raw"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        errors = argument_errors(self._templar, task_vars, "crashplan_removal")
        if errors:
            result.update(failed=True, msg=argument_failure("crashplan_removal", errors), argument_errors=errors)
            return result
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        probe = args["probe"] if isinstance(args["probe"], dict) else None
        variables = role_variables(self._templar, task_vars, "crashplan_removal_")
        decision = _crashplan_role_decide.decide(variables, task_vars.get("ansible_facts") or {}, probe,
                                                 dict(os.environ), os.path.isfile, bool(self._play_context.check_mode))
        result.update(changed=False, ansible_facts=decision["facts"])
        if decision["failed"]:
            result.update(failed=True, msg=decision["msg"])
        return result
