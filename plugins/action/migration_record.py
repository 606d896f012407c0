# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin unil.backup.migration_record: the stage each host of the play reached in this run, appended to the
migration's history on the controller (one record per host, one atomic write), with the run's summary and the small
stats kept with the job (AWX artifacts, as set_stats would). Runs once, in the controller's worker: nothing runs on the hosts. The logic is
plugins/module_utils/_migration_history.py; the documentation plugins/modules/migration_record.py."""

from __future__ import annotations

import os
import socket

from ansible import constants as C

from ansible_collections.unil.backup.plugins.module_utils._comet_api import run_identity
from ansible_collections.unil.backup.plugins.module_utils import _migration_history as history
from ansible_collections.unil.backup.plugins.plugin_utils._controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    playbook=dict(type="str", required=True, choices=list(history.PLAYBOOKS)),
    path=dict(type="str"),
    run_id=dict(type="str", default=""),
    lock_timeout=dict(type="int", default=history.LOCK_TIMEOUT),
    job_stats=dict(type="bool", default=True),
)
# the custom stats key of the job (AWX artifacts), as set_stats would keep it: not per host, not aggregated
JOB_STATS_KEY = "unil_backup_migration"

_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def default_run_id(task_vars):
    """One id per run of ansible-playbook: the AWX job's (awx_job_id), else the controller's name, the run's process
    (_comet_api.run_identity(), the same rule as the breaker's and the installer cache's) and the boot it ran in."""
    job = task_vars.get("awx_job_id") or task_vars.get("tower_job_id")
    if job not in (None, ""):
        return "awx-job-%s" % job
    boot = ""
    try:
        with open(_BOOT_ID, "r", encoding="ascii") as handle:
            boot = handle.read().strip()[:8]
    except OSError:
        pass
    return ":".join(part for part in (socket.gethostname(), run_identity(), boot) if part)


def play_hosts(task_vars):
    """(all hosts of the play, the hosts still in it, the hosts the run could not reach). A host is unreachable when
    it is not among the strategy's ``ansible_current_hosts`` (the hosts neither failed in this play nor unreachable
    in this run: the hosts that failed in an earlier play are counted again there, the unreachable ones never)."""
    hosts = [str(h) for h in task_vars.get("ansible_play_hosts_all") or ()]
    in_play = set(str(h) for h in task_vars.get("ansible_play_hosts") or ())
    current = task_vars.get("ansible_current_hosts")
    if current is None:  # a strategy that does not say: every host out of the play counts as failed
        return hosts, in_play, set()
    current = set(str(h) for h in current)
    return hosts, in_play, set(h for h in hosts if h not in in_play and h not in current)


class ActionModule(ControllerAction):
    # the history is the controller's business: no connection to the host (plugin_utils/_controller_action.py)
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run_on_controller(self, result, args, task_vars):
        path = args["path"]
        if path is None:
            path = history.default_path(C.config.get_config_value("ANSIBLE_HOME"))
        path = os.path.expanduser(path) if path else ""
        run_id = args["run_id"] or default_run_id(task_vars)

        hosts, in_play, unreachable = play_hosts(task_vars)
        hostvars = task_vars.get("hostvars") or {}
        facts = [history.host_facts(host, hostvars[host], host in in_play, host in unreachable) for host in hosts]
        try:
            latest = history.latest_by_host(history.read_records(path)) if path and unreachable else {}
        except OSError as exc:
            self._display.warning("migration_record: the history %s could not be read (%s)" % (path, exc))
            latest = {}
        outcome = history.run_outcome(facts, run_id, args["playbook"], latest=latest)

        written = 0
        if path and not self._task.check_mode:
            try:
                written = history.append_records(path, outcome["records"], timeout=args["lock_timeout"])
            except (OSError, ValueError) as exc:
                result.update(failed=True, msg="migration_record: the history %s could not be written: %s" % (path, exc))
        result.update(
            changed=False,  # the controller's log of the run, not a change to the fleet (reruns stay changed=0)
            path=path, run_id=run_id, written=written, stats=outcome["stats"],
            lines=outcome["summary"]["lines"], hosts=outcome["summary"]["hosts"], counts=outcome["summary"]["counts"],
            unreachable_hosts=sorted(unreachable))
        if args["job_stats"]:
            # read by the strategy from any task's result (what ansible.builtin.set_stats returns)
            result["ansible_stats"] = {"data": {JOB_STATS_KEY: outcome["stats"]}, "per_host": False, "aggregate": False}
        return result
