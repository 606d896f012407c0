# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.comet_macos_pppc: when ``app_paths`` is not given and ``probe_var`` names a
registered host_info result, the app bundles found on the Macs of the play's batch (``macos.app_path`` of each) are
collected here, on the controller, once (run_once), and passed to the module as ``app_paths`` - the profile then
names the bundle each Mac has, not an assumed one. Documentation in plugins/modules/comet_macos_pppc.py."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


def found_app_paths(probes):
    """The non-empty ``macos.app_path`` of each host_info result of ``probes`` (any other value skipped), in order,
    each once."""
    out = []
    for probe in probes:
        macos = probe.get("macos") if isinstance(probe, dict) else None
        path = macos.get("app_path") if isinstance(macos, dict) else None
        if isinstance(path, str) and path and path not in out:
            out.append(path)
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        args = dict(self._task.args)
        probe_var = args.get("probe_var")
        if args.get("app_paths") is None and probe_var:
            hostvars = task_vars.get("hostvars") or {}
            probes = []
            # each host's own registered result, read once per host
            for host in task_vars.get("ansible_play_batch") or []:
                variables = hostvars[host] if host in hostvars else {}
                probes.append(variables.get(probe_var) if probe_var in variables else None)
            args["app_paths"] = found_app_paths(probes)
        result.update(self._execute_module(module_name="unil.backup.comet_macos_pppc", module_args=args,
                                           task_vars=task_vars))
        return result
