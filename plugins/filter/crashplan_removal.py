# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role crashplan_removal: its checks, the reuse of a probe, the health gate's inputs, its result and its report,
computed on the controller.

Thin wrappers: the rules are in plugins/module_utils/_crashplan_role.py and _crashplan.py, unit-tested there.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

cp = lazy_module("_crashplan")
role = lazy_module("_crashplan_role")


def crashplan_removal_os(facts):
    return role.os_of(facts)


def crashplan_removal_check(variables, facts=None):
    """{ok, problems, msg} for the role's variables on this host, the controller's environment and files included."""
    if not isinstance(variables, dict):
        raise AnsibleFilterError("crashplan_removal_check: the input must be a dict of the role's variables")
    facts = facts if isinstance(facts, dict) else {}
    problems = role.role_problems(variables, role.os_of(facts), facts, dict(os.environ), os.path.isfile)
    return {"ok": not problems, "problems": problems, "msg": role.problems_text(problems)}


def crashplan_removal_host(probe, os_name="", archives=None, log_dir="", linux_backup_tool=""):
    return role.reused_probe(probe, str(os_name or ""), list(archives or []), str(log_dir or cp.WINDOWS_DEFAULT_LOG_DIR),
                             str(linux_backup_tool or ""))


def crashplan_removal_comet(probe, os_name="", installed_version=None, device_id="", login_status=None):
    return role.gate_comet(probe, str(os_name or ""), installed_version, device_id, login_status)


def crashplan_removal_server(info, device_id="", account="", required=True, require_backup=True):
    return role.gate_server(info, str(device_id or ""), str(account or ""), required, require_backup)


def crashplan_removal_deactivation(registered, guid=""):
    return role.deactivation(registered, str(guid or ""))


def crashplan_removal_result(before, after=None, gate=None, check_mode=False, removed_paths=None, commands=None,
                             reboot_required=False, server_deactivation=None, deactivate_on_server=False):
    if not isinstance(before, dict) or "present" not in before:
        raise AnsibleFilterError("crashplan_removal_result: the input must be the crashplan facts found before any change")
    return role.role_result(before, after, gate, check_mode, removed_paths, commands, reboot_required,
                            server_deactivation, deactivate_on_server)


def crashplan_removal_report(result, host="", fail_when_gate_closed=False, fail_when_deactivation_fails=True):
    if not isinstance(result, dict):
        raise AnsibleFilterError("crashplan_removal_report: the input must be crashplan_removal_result")
    return role.report(result, str(host or ""), fail_when_gate_closed, fail_when_deactivation_fails)


def crashplan_removal_leftovers(facts, host=""):
    return role.leftovers(facts, str(host or ""))


def crashplan_removal_reboot_required(results):
    return role.reboot_required(results if isinstance(results, list) else [])


class FilterModule(object):
    def filters(self):
        return {
            "crashplan_removal_check": crashplan_removal_check,
            "crashplan_removal_comet": crashplan_removal_comet,
            "crashplan_removal_deactivation": crashplan_removal_deactivation,
            "crashplan_removal_host": crashplan_removal_host,
            "crashplan_removal_leftovers": crashplan_removal_leftovers,
            "crashplan_removal_os": crashplan_removal_os,
            "crashplan_removal_reboot_required": crashplan_removal_reboot_required,
            "crashplan_removal_report": crashplan_removal_report,
            "crashplan_removal_result": crashplan_removal_result,
            "crashplan_removal_server": crashplan_removal_server,
        }
