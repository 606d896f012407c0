# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.comet_client_decide: role comet_client's decision for one host, on the controller, in
one task (plugins/module_utils/_comet_client_role.py). Documentation in plugins/modules/comet_client_decide.py."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.unil.backup.plugins.module_utils import _comet_client_role
from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometAdminClient, CometApiError
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    variables=dict(type="dict", required=True, no_log=True),
    probe=dict(type="dict", required=True),
    unit_text=dict(type="str", default=""),
    product_name=dict(type="str", default=""),
    unit_enabled=dict(type="bool", default=True),
    allow_downgrade=dict(type="bool", default=False),
    login_repair=dict(type="bool", default=True),
    require_login=dict(type="bool", default=False),
    allow_shared=dict(type="bool", default=False),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="str", default=""),
    timeout=dict(type="int", default=30),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    ROLE = "comet_client"

    def run_on_controller(self, result, args, task_vars):
        variables, probe = args["variables"], args["probe"]
        if not isinstance(probe.get("comet"), dict):
            raise AnsibleActionFail("probe: the result of unil.backup.host_info is expected (no key comet)")
        installer_file = str(variables.get("installer_file") or "")

        def server_version(settings):
            try:
                client = CometAdminClient(settings["server"], str(variables.get("admin_username") or ""),
                                          str(variables.get("admin_password") or ""),
                                          validate_certs=args["validate_certs"], ca_path=args["ca_path"] or None,
                                          timeout=args["timeout"] or 30)
                return client.version()
            except (ValueError, CometApiError) as exc:
                raise AnsibleActionFail("unil.backup.comet_client: the Comet Server's version could not be read: %s" % exc)

        decision = _comet_client_role.decide(
            str(task_vars.get("inventory_hostname") or ""), variables, task_vars.get("ansible_facts") or {}, probe,
            dict((key, args[key]) for key in ("unit_text", "product_name", "unit_enabled", "allow_downgrade", "login_repair",
                                              "require_login", "allow_shared")),
            server_version=server_version,
            installer_file_exists=not installer_file or os.path.isfile(installer_file))
        result.update(changed=False, ansible_facts=decision["facts"])
        if decision["failed"]:
            result.update(failed=True, msg=decision["msg"])
        return result
