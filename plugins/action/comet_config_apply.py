# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.comet_config_apply: role comet_config's settings for one host in one task - the
refusal of a device shared in the batch, the options of unil.backup.comet_device_settings built from the role's
variables (plugins/module_utils/_role_results.py), that module's one read-modify-write, and the fact
comet_config_result with the line the role shows. Documentation in plugins/modules/comet_config_apply.py."""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.module_utils import _role_results
from ansible_collections.unil.backup.plugins.modules import comet_device_settings as module_code
from ansible_collections.unil.backup.plugins.plugin_utils._controller_module import ControllerModuleAction
from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import role_variables

ARGUMENT_SPEC = dict(
    shared=dict(type="dict", default={}),
)


class ActionModule(ControllerModuleAction):
    MODULE = "unil.backup.comet_device_settings"
    MODULE_CODE = module_code

    def run(self, tmp=None, task_vars=None):
        result = super(ControllerModuleAction, self).run(tmp, task_vars)  # ActionBase's: the task's own options
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = str(task_vars.get("inventory_hostname") or "")
        refusal = ((args["shared"] or {}).get("refusals") or {}).get(host)
        if refusal:
            result.update(failed=True, msg="unil.backup.comet_config: %s" % refusal)
            return result
        variables = role_variables(self._templar, task_vars, "comet_config_")
        account = str(variables.get("comet_config_account") or "")
        name = _role_results.comet_config_device_name(variables.get("comet_config_device_name"),
                                                      task_vars.get("ansible_facts"),
                                                      task_vars.get("inventory_hostname_short"))
        if not str(variables.get("comet_config_device_id") or ""):
            # no device yet (a check run before the client's first installation): nothing to apply, the line says so
            result.update(changed=False, skipped=True, line=_role_results.comet_config_line(None, host, account))
            return result
        settings = self.run_module(task_vars, _role_results.comet_config_settings_args(variables, name))
        result.update(settings)
        if not settings.get("failed"):
            record = _role_results.comet_config_result(
                settings, account, str(variables["comet_config_device_id"]), name,
                variables.get("comet_config_item_name") or "", variables.get("comet_config_folders"),
                variables.get("comet_config_schedules"))
            result.update(ansible_facts={"comet_config_result": record},
                          line=_role_results.comet_config_line(record, host, account))
        return result
