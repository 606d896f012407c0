# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.comet_device_settings: run on the controller (delegate_to: localhost, as the roles
run it), the module's code runs in the worker process, without an AnsiballZ payload or a new Python per host (one
settings call per host is most of what a converged host costs on the controller). On any other connection, with
become, or with an ``environment``, the module runs as usual. Options, results, check and diff mode: the module's
(plugins/modules)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.unil.backup.plugins.modules import comet_device_settings as module_code
from ansible_collections.unil.backup.plugins.plugin_utils._controller_module import run_in_controller

MODULE = "unil.backup.comet_device_settings"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def _in_controller(self):
        """The module would run on the controller, as the user running ansible-playbook, in the controller's own
        environment: a task or play ``environment`` (a proxy for the Comet Server, say) is only given to a module
        process, so with one the module runs as a module."""
        if self._connection.transport != "local" or self._play_context.become:
            return False
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        return not environment

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if not self._in_controller():
            result.update(self._execute_module(module_name=MODULE, task_vars=task_vars))
            return result
        result.update(run_in_controller(module_code.argument_spec(), module_code.run, self._task.args,
                                        check_mode=self._task.check_mode, diff=self._task.diff))
        return result
