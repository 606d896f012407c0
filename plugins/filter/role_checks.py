# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller-side roles' checks and records: thin wrappers, the rules are in plugins/module_utils/_role_checks.py
and _role_results.py (unit-tested there), the same functions scripts/validate_inventory.py calls."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

_comet_fleet = lazy_module("_comet_fleet")
_role_checks = lazy_module("_role_checks")
_role_results = lazy_module("_role_results")
_role_variables = lazy_module("ansible_collections.unil.backup.plugins.plugin_utils._role_variables")


def role_problems(variables, role, warn_unknown=True, os_name=None, check_device=False, check_mode=False, device_name=None):
    """Every problem in a role's variables ({var, message, text}); [] when all is well. A variable named with the
    role's prefix that the role does not read is a warning naming the closest known one."""
    if not isinstance(variables, dict):
        raise AnsibleFilterError("role_problems: the input must be a dict of the role's variables")
    context = {}
    if str(role) == "comet_config":
        context = dict(os_name=os_name or None, check_device=bool(check_device), check_mode=bool(check_mode),
                       device_name=device_name)
    try:
        problems = _role_checks.role_problems(str(role), variables, **context)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("role_problems: %s" % exc)
    known = _role_variables.known_variables(str(role)) if warn_unknown else None
    if known:
        for unknown in _role_checks.unknown_variables(str(role), variables.keys(), known):
            Display().warning(unknown["text"])
    return problems


def comet_config_result(settings, account, device_id, device_name, item_name="", folders=None, schedules=None):
    return _role_results.comet_config_result(settings, account, device_id, device_name, item_name, folders, schedules)


def comet_config_line(result, host, account):
    return _role_results.comet_config_line(result, str(host), account)


def fleet_report_failing(findings, fail_on="none"):
    """The findings of severity ``fail_on`` or higher (_comet_fleet.SEVERITIES, the one list); none for none."""
    if not isinstance(findings, list):
        raise AnsibleFilterError("fleet_report_failing: the input must be the findings of unil.backup.comet_fleet_report")
    if fail_on not in ("none", None, "") and fail_on not in _comet_fleet.SEVERITIES:
        raise AnsibleFilterError("fleet_report_failing: %r is not a severity (%s)" % (fail_on, ", ".join(_comet_fleet.SEVERITIES)))
    return _comet_fleet.at_or_above(findings, fail_on)


class FilterModule(object):
    def filters(self):
        return {
            "comet_config_line": comet_config_line,
            "comet_config_result": comet_config_result,
            "fleet_report_failing": fleet_report_failing,
            "role_problems": role_problems,
        }
