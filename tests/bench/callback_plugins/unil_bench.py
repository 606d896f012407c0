# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback of tests/bench/bench.py (test code, never shipped): what one ansible-playbook run did, per host.

Enabled only by the bench (ANSIBLE_CALLBACK_PLUGINS=tests/bench/callback_plugins, ANSIBLE_CALLBACKS_ENABLED=unil_bench,
UNIL_BENCH_EVENTS=<file>); it prints nothing and writes one JSON document at the end of the run:

    {"start": epoch, "end": epoch,
     "tasks": [{"start": epoch, "name": "...", "play": "..."}],       every task start, in order (the linear strategy
                                                                       runs one task on all hosts before the next)
     "hosts": {"demo-deb11": {"on_host": 12,                          round trips to the host: results of tasks that
                                                                       ran there (each loop item and retry counts)
                              "on_host_tasks": ["Gathering Facts", ...],
                              "delegated": 5,                          ran on another host for it (delegate_to)
                              "controller": 20,                        never left the controller (debug, set_fact,
                                                                       assert, include_*, ...)
                              "skipped": 30}},
     "stats": {"demo-deb11": {"ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored"}}}
"""
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import action_loader

DOCUMENTATION = """
name: unil_bench
type: aggregate
short_description: per-host round trips and task start times for tests/bench/bench.py
description:
  - Writes, at the end of the run, a JSON document with the tasks that ran on each host, those delegated, those that
    stayed on the controller, those skipped, the start time of every task and the play recap.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=unil_bench
options:
  events_file:
    description: Where to write the JSON document.
    env:
      - name: UNIL_BENCH_EVENTS
    type: path
"""

# Actions carried out by the controller alone: they never open the connection to the host.
CONTROLLER_ONLY = frozenset((
    "add_host", "assert", "debug", "fail", "group_by", "import_playbook", "import_role", "import_tasks", "include_role",
    "include_tasks", "include_vars", "meta", "pause", "set_fact", "set_stats", "validate_argument_spec",
))
_KNOWN = {}


def _controller_only(action):
    """ansible-core's own controller actions above, and every action plugin that declares it needs no connection
    (_requires_connection = False: the collection's decisions, checks, comparisons and the installer fetch)."""
    if action not in _KNOWN:
        found = action_loader.get(action, class_only=True) if _short_action(action) not in CONTROLLER_ONLY else None
        _KNOWN[action] = _short_action(action) in CONTROLLER_ONLY or (
            found is not None and getattr(found, "_requires_connection", True) is False)
    return _KNOWN[action]


def _short_action(action):
    for prefix in ("ansible.builtin.", "ansible.legacy."):
        if action.startswith(prefix):
            return action[len(prefix):]
    return action


def _parts(result):
    """(host name, task, result dict) of a callback result, ansible-core 2.19 names first."""
    host = getattr(result, "host", None) or result._host  # pylint: disable=protected-access
    task = getattr(result, "task", None) or result._task  # pylint: disable=protected-access
    data = getattr(result, "result", None)
    if data is None:
        data = result._result  # pylint: disable=protected-access
    return host.get_name(), task, data


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "unil_bench"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = time.time()
        self.play = ""
        self.tasks = []
        self.hosts = {}
        self.items = {}

    def _host(self, name):
        return self.hosts.setdefault(name, {"on_host": 0, "on_host_tasks": [], "delegated": 0, "controller": 0, "skipped": 0})

    @staticmethod
    def _kind(name, task, data):
        # a decision that needs no connection but had to gather the host's facts (crashplan_removal_decide) reached it
        if _controller_only(task.action) and not data.get("facts_gathered"):
            return "controller"
        delegate = task.delegate_to
        if ("_ansible_delegated_vars" in data or delegate) and delegate != name:
            return "delegated"
        return "on_host"

    def _count(self, result, how):
        """One result: how = "item" (a loop item), "retry" (a failed attempt of an until loop) or "final"."""
        name, task, data = _parts(result)
        key = (name, task._uuid)  # pylint: disable=protected-access
        if how == "item":
            self.items[key] = True
        elif how == "final" and self.items.pop(key, None):
            return  # a loop task's items were counted one by one: its final result is not one more round trip
        kind = self._kind(name, task, data)
        host = self._host(name)
        host[kind] += 1
        if kind == "on_host":
            host["on_host_tasks"].append(task.get_name())

    def v2_playbook_on_play_start(self, play):
        self.play = play.get_name()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append({"start": time.time(), "name": task.get_name(), "play": self.play})

    def v2_playbook_on_handler_task_start(self, task):
        self.tasks.append({"start": time.time(), "name": task.get_name(), "play": self.play})

    def v2_runner_retry(self, result):
        self._count(result, "retry")

    def v2_runner_item_on_ok(self, result):
        self._count(result, "item")

    def v2_runner_item_on_failed(self, result):
        self._count(result, "item")

    def v2_runner_item_on_skipped(self, result):
        name, task, _data = _parts(result)
        self.items[(name, task._uuid)] = True  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._count(result, "final")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "final")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "final")

    def v2_runner_on_skipped(self, result):
        name, task, _data = _parts(result)
        self.items.pop((name, task._uuid), None)  # pylint: disable=protected-access
        self._host(name)["skipped"] += 1

    def v2_playbook_on_stats(self, stats):
        path = self.get_option("events_file")
        if not path:
            return
        out = {
            "start": self.started,
            "end": time.time(),
            "tasks": self.tasks,
            "hosts": self.hosts,
            "stats": dict((name, stats.summarize(name)) for name in sorted(stats.processed)),
        }
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=1)
        os.replace(path + ".tmp", path)
