# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback of tests/integration/test_migration_history_podman.py (test code, never shipped): a host switched off
during a run. After the result of host UNIL_STOP_HOST for the first task of action UNIL_STOP_AFTER_ACTION (default
unil.backup.host_info, the migration's first read), the podman container UNIL_STOP_CONTAINER is stopped, before the
strategy queues the host's next task: from there on the run cannot reach it. Enabled only by that test
(ANSIBLE_CALLBACK_PLUGINS=tests/integration/callback_plugins, ANSIBLE_CALLBACKS_ENABLED=unil_stop_host)."""
from __future__ import annotations

import os
import subprocess

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: unil_stop_host
type: aggregate
short_description: stops a podman host after its first task result (tests only)
description:
  - After the result of the host UNIL_STOP_HOST for the first task of action UNIL_STOP_AFTER_ACTION, runs C(podman stop) on the container UNIL_STOP_CONTAINER.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=unil_stop_host
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "unil_stop_host"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = os.environ.get("UNIL_STOP_HOST", "")
        self.container = os.environ.get("UNIL_STOP_CONTAINER", "")
        self.action = os.environ.get("UNIL_STOP_AFTER_ACTION", "unil.backup.host_info")
        self.stopped = False

    def _maybe_stop(self, result):
        # pylint: disable-next=protected-access
        if self.stopped or not self.host or result._host.get_name() != self.host or result._task.action != self.action:
            return
        self.stopped = True
        subprocess.run(["podman", "stop", "-t", "0", self.container], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False, timeout=120)

    def v2_runner_on_ok(self, result):
        self._maybe_stop(result)
