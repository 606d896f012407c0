# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: role crashplan_removal's first decision for one host, in one step.

The role's variables checked on this host, then the probe unil.backup.comet_client made in this play reused when it
answers the role's question; where it does, and CrashPlan is absent, that is the whole decision (the health gate's code
``absent``). Called by the action plugin unil.backup.crashplan_removal_decide; the rules are in _crashplan_role.py and
_crashplan.py.
"""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role as role


def found(host, gate_enabled, check_mode=False, deactivate_on_server=False):
    """The role's facts once the host's CrashPlan is known (``host``: a probe with its ``crashplan`` part): what was
    found before any change, the gate as far as it is decided without Comet (absent, or disabled), and the role's
    result if nothing else happens (tasks/change.yml sets it again after a gate, a removal or a deactivation)."""
    crashplan = host["crashplan"]
    gate = cp.decide_gate(bool(crashplan.get("present")), bool(gate_enabled), {}, {})
    return {"_crashplan_removal_host": host, "_crashplan_removal_facts": crashplan, "_crashplan_removal_before": crashplan,
            "_crashplan_removal_gate": gate,
            "_crashplan_removal_steps": ["change.yml"] if crashplan.get("present") or deactivate_on_server else [],
            "crashplan_removal_result": role.role_result(crashplan, crashplan, gate, check_mode,
                                                         deactivate_on_server=deactivate_on_server)}


def decide(variables, facts, probe, env=None, is_file=None, check_mode=False):
    """{failed, msg, facts}. ``variables``: the role's variables with their ``crashplan_removal_`` prefix, as the
    host sees them; ``facts``: ansible_facts; ``probe``: comet_client_host_info (None when that role did not run).
    ``facts`` holds ``_crashplan_removal_host`` (None: the role must detect CrashPlan itself) and, when the probe
    answers, what found() returns; ``_crashplan_removal_steps`` lists the task files the role includes next (a
    dispatch table): detect.yml (which goes on with change.yml where there is something to do), change.yml, or
    nothing (CrashPlan absent, no deactivation asked)."""
    os_name = role.os_of(facts)
    problems = role.role_problems(variables, os_name, facts, env, is_file)
    if problems:
        return {"failed": True, "msg": role.problems_text(problems), "facts": {}}
    host = role.reused_probe(probe, os_name, list(variables.get("crashplan_removal_archives") or []),
                             str(variables.get("crashplan_removal_windows_log_dir") or cp.WINDOWS_DEFAULT_LOG_DIR),
                             "%s/backup-tool" % variables.get("crashplan_removal_comet_linux_install_dir", ""))
    if host is None:
        return {"failed": False, "msg": "", "facts": {"_crashplan_removal_host": None, "_crashplan_removal_steps": ["detect.yml"]}}
    return {"failed": False, "msg": "", "facts": found(
        host, role.boolean(variables.get("crashplan_removal_gate", True)), check_mode,
        role.boolean(variables.get("crashplan_removal_deactivate_on_server", False)))}
