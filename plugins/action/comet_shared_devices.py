# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.comet_shared_devices: the hosts of the play that would share one Comet device, found
once (run_once) in one pass over the hosts (plugins/module_utils/_comet_identity.py). Runs on the controller only;
documentation in plugins/modules/comet_shared_devices.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.unil.backup.plugins.module_utils import _comet_identity
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    hosts=dict(type="list", elements="str"),
    identities=dict(type="dict"),
    identity_var=dict(type="str", default="comet_client_device_id"),
    allow_var=dict(type="str", default="comet_client_allow_shared_device_id"),
    keys=dict(type="list", elements="str", default=list(_comet_identity.IDENTITY_KEYS)),
    assume_new_identity=dict(type="list", elements="str", default=[]),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run_on_controller(self, result, args, task_vars):
        unknown = sorted(set(args["keys"]) - set(_comet_identity.IDENTITY_KEYS))
        if unknown:
            raise AnsibleActionFail("keys: unknown identity keys %s (known: %s)"
                                    % (", ".join(unknown), ", ".join(_comet_identity.IDENTITY_KEYS)))
        hosts = args["hosts"] if args["hosts"] is not None else list(task_vars.get("ansible_play_batch") or [])
        identities = args["identities"]
        allowed = []
        if identities is None:
            # each host's own variables, read once per host (templated in that host's context)
            hostvars = task_vars.get("hostvars") or {}
            identities = {}
            for host in hosts:
                variables = hostvars[host] if host in hostvars else {}
                identities[host] = variables.get(args["identity_var"]) if args["identity_var"] in variables else None
                if args["allow_var"] in variables and _truthy(variables.get(args["allow_var"])):
                    allowed.append(host)
        if args["assume_new_identity"]:
            identities = _comet_identity.assume_new_identity(identities, args["assume_new_identity"])
        refusals, groups = _comet_identity.refusals(identities, allowed, tuple(args["keys"]))
        reidentify = _comet_identity.reidentify_hosts(groups, identities, allowed)
        result.update(changed=False, refusals=refusals, groups=groups, hosts=len(identities), reidentify=reidentify,
                      reidentify_notes=_comet_identity.reidentify_notes(groups, reidentify))
        return result


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y")
    return bool(value)
