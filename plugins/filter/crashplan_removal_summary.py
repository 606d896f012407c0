# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role crashplan_removal: the summary of a run over its hosts (the devices CrashPlan was removed from, and that its
history is not transferred). Thin wrapper: the rule is in plugins/module_utils/_crashplan_role.py, unit-tested there."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

role = lazy_module("_crashplan_role")


def crashplan_removal_summary(results):
    if not isinstance(results, dict):
        raise AnsibleFilterError("crashplan_removal_summary: the input must be a dict {host: crashplan_removal_result}")
    return role.run_summary(results)


class FilterModule(object):
    def filters(self):
        return {"crashplan_removal_summary": crashplan_removal_summary}
