# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' decisions, computed on the controller from one host probe (module unil.backup.host_info).

Thin wrappers: the rules are in plugins/module_utils/_comet_client.py and _crashplan.py, unit-tested there.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

cc = lazy_module("_comet_client")
_comet_client_role = lazy_module("_comet_client_role")
_comet_exclusions = lazy_module("_comet_exclusions")
_comet_schedule = lazy_module("_comet_schedule")
cp = lazy_module("_crashplan")


def comet_client_plan(probe, target_version, unit_sha256="", unit_enabled=True, allow_downgrade=False, can_login=False,
                      state="present", can_install=True, require_login=False, services=None, os=""):
    if not isinstance(probe, dict) or not isinstance(probe.get("comet"), dict):
        raise AnsibleFilterError("comet_client_plan: the input must be the result of unil.backup.host_info")
    return _comet_client_role.planned(probe, str(target_version or ""), str(unit_sha256 or ""), bool(unit_enabled),
                                      bool(allow_downgrade), bool(can_login), str(state), bool(can_install),
                                      bool(require_login), tuple(services or ()), str(os or ""))


def comet_client_settings(variables, facts=None):
    """Check and resolve role comet_client's variables. With ``facts`` (the host's ansible_facts), ``variables`` are
    the role's variables as they are, secrets included (reduced to booleans, never returned); without, the booleans
    form of role_settings. Adds ``target`` and ``ask_server_version`` (the version to install, known or not)."""
    if not isinstance(variables, dict):
        raise AnsibleFilterError("comet_client_settings: the input must be a dict of the role's variables")
    installer_file = str(variables.get("installer_file") or "")
    return _comet_client_role.settings(variables, facts, not installer_file or os.path.isfile(installer_file))


def comet_client_refusals(plan, host, two_factor="", shared=None):
    """What stops role comet_client on ``host`` before any change (sentences; [] when nothing does). ``shared``: the
    result of unil.backup.comet_shared_devices for the play."""
    if not isinstance(plan, dict):
        raise AnsibleFilterError("comet_client_refusals: the input must be the plan of unil.backup.comet_client_plan")
    refusal = ((shared or {}).get("refusals") or {}).get(str(host), "")
    return cc.refusals(str(host), plan, str(two_factor or ""), refusal)


def comet_schedule_problems(schedules, random_delay=0, prefix="", **triggers):
    return _comet_schedule.schedule_problems(schedules, random_delay, triggers, prefix)


def comet_regex_problems(patterns, prefix="", option="exclude_regexes"):
    """Messages for the regexes the Comet client (Go, RE2 syntax) would refuse; [] when all are valid."""
    return _comet_exclusions.regex_problems(patterns, str(prefix or ""), str(option or "exclude_regexes"))


def comet_gate_input(probe):
    """The Comet part of the CrashPlan health gate, from a host probe's ``comet``."""
    comet = (probe or {}).get("comet") or {}
    login = comet.get("login") or {}
    return {"installed": bool(comet.get("installed")), "version": comet.get("version", ""),
            "device_id": comet.get("device_id", ""), "login_code": int(login.get("code", cc.NOT_INSTALLED)),
            "login_text": login.get("text", "")}


def comet_two_factor_refusal(login, account, os="", action="none", relogin=False, output=""):
    """Why a two-factor account cannot be installed or logged in unattended here ('' when nothing stands in the way).

    ``login``: the ``account.login`` of unil.backup.comet_info (how the account logs in); ``output``: what an installer
    or ``backup-tool login prompt`` printed, read for a TOTP demand when the account could not be read beforehand."""
    if output and cc.mentions_two_factor(str(output)):
        return cc.two_factor_message(str(account or ""), "the login answered that a TOTP code is required")
    if login is not None and not isinstance(login, dict):
        raise AnsibleFilterError("comet_two_factor_refusal: the input must be the account.login of unil.backup.comet_info")
    return cc.two_factor_refusal(str(account or ""), login or {}, str(os or ""), str(action or ""), bool(relogin))


def crashplan_gate(crashplan, enabled=True, comet=None, server=None):
    if not isinstance(crashplan, dict) or "present" not in crashplan:
        raise AnsibleFilterError("crashplan_gate: the input must be the crashplan facts of unil.backup.host_info or crashplan_facts")
    return cp.decide_gate(bool(crashplan["present"]), bool(enabled), comet or {}, server or {})


class FilterModule(object):
    def filters(self):
        return {
            "comet_client_plan": comet_client_plan,
            "comet_client_refusals": comet_client_refusals,
            "comet_client_settings": comet_client_settings,
            "comet_gate_input": comet_gate_input,
            "comet_regex_problems": comet_regex_problems,
            "comet_schedule_problems": comet_schedule_problems,
            "comet_two_factor_refusal": comet_two_factor_refusal,
            "crashplan_gate": crashplan_gate,
        }
