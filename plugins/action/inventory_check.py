# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.inventory_check: the inventory check of scripts/validate_inventory.py
(plugins/plugin_utils/_inventory_check.py) run on the controller. Documentation in plugins/modules/inventory_check.py."""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.plugin_utils import _inventory_check
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ARGUMENT_SPEC = dict(inventory=dict(type="list", elements="path", required=True))


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run_on_controller(self, result, args, task_vars):
        inventories, lines, failed = {}, [], False
        for inventory in args["inventory"]:
            errors, hosts, vault_files = _inventory_check.check_inventory(inventory)
            inventories[inventory] = dict(hosts=hosts, errors=[error.as_dict() for error in errors])
            lines.extend(_inventory_check.report_lines(inventory, errors, hosts, vault_files))
            failed = failed or bool(errors)
        result.update(changed=False, inventories=inventories, lines=lines)
        if failed:
            result.update(failed=True, msg="the inventory check failed:\n" + "\n".join(lines))
        else:
            result["msg"] = "\n".join(lines)
        return result
