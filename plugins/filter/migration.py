# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The summary of a migration run (playbooks/site.yml): the stage each host reached and the count per stage.

Thin wrapper: the rules are in plugins/module_utils/_migration.py, unit-tested there.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

_migration = lazy_module("_migration")
_migration_history = lazy_module("_migration_history")


def _host_facts(host, variables, in_play):
    facts = {"host": str(host), "in_play": in_play}
    for key in _migration.FACT_KEYS:
        if key in variables:
            facts[key] = variables[key]
    return facts


def migration_summary(hosts, hostvars=None, play_hosts=None):
    """``hosts``: the play's host names (ansible_play_hosts_all) read from ``hostvars``, each one once; or, without
    ``hostvars``, a list of dicts {host, in_play, <facts>}. ``play_hosts``: the hosts still in the play."""
    if isinstance(hosts, (str, bytes, Mapping)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("migration_summary: the input must be a list of host names (ansible_play_hosts_all)")
    if hostvars is None:
        if not all(isinstance(h, Mapping) for h in hosts):
            raise AnsibleFilterError("migration_summary: without hostvars, the input must be a list of dicts")
        return _migration.migration_summary([dict(h) for h in hosts])
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("migration_summary: hostvars must be the hostvars mapping")
    in_play = set(str(h) for h in play_hosts) if play_hosts is not None else None
    collected = []
    for host in hosts:
        name = str(host)
        collected.append(_host_facts(name, hostvars[name], in_play is None or name in in_play))
    return _migration.migration_summary(collected)


def migration_stage_text(code, reason=""):
    """The people-facing label of a stage code (and the gate's reason code for a kept CrashPlan)."""
    return _migration.stage_text(str(code), str(reason or ""))


def migration_history_path(ansible_home=None):
    """The migration history site.yml and remove_crashplan.yml write when unil_backup_history_path is not set."""
    return _migration_history.default_path(ansible_home)


class FilterModule(object):
    def filters(self):
        return {
            "migration_history_path": migration_history_path,
            "migration_summary": migration_summary,
            "migration_stage_text": migration_stage_text,
        }
