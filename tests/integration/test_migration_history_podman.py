# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A demo host switched off during a run, then on again (issue 25, hosts that are off; issue 26, the history): on the
demo fleet (scripts/demo.sh up in its own directory, its first site.yml converges the three podman Debian hosts),
demo-deb12's client is removed (playbooks/uninstall.yml, its device revoked), then site.yml runs again and the
container is stopped right after the installer ran on it (callback tests/integration/callback_plugins/unil_stop_host.py,
on its first ansible.builtin.command): the run records it 'unreachable' and its summary names the stage the first run
reached; the container is started again and the next site.yml, with no other step, completes it - the history's last
record of the host is that stage again, every host is ok."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "podman"))
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position
import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.unil.backup.plugins.module_utils import _migration, _migration_history as hist  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
DEMO_DIR = os.path.join(ROOT, "build", "test-demo-history")
PREFIX = "unil-demo-" + podman_hosts.run_id(DEMO_DIR)
HOSTS = ("demo-deb11", "demo-deb12", "demo-deb13")
OFF = "demo-deb12"
OFF_CONTAINER = PREFIX + "-deb12"
CALLBACKS = os.path.join(os.path.dirname(__file__), "callback_plugins")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]


def demo(*args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1", UNIL_DEMO_DIR=DEMO_DIR)
    env.pop("UNIL_DEMO_PORT", None)
    proc = subprocess.run(["bash", DEMO] + list(args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1800, check=False)
    print("$ scripts/demo.sh %s: rc %d" % (" ".join(args), proc.returncode))
    return proc.returncode, proc.stdout


def playbook(tmp_path, name, *args, **env):
    return playbook_runner.run_playbook("-i", os.path.join(ROOT, "inventories", "demo"),
                                        os.path.join(ROOT, "playbooks", name), *args, tmp_path=tmp_path, timeout=900,
                                        label="playbooks/" + name, UNIL_DEMO_DIR=DEMO_DIR, **env)


def podman(*args):
    return subprocess.run(["podman"] + list(args), env=podman_hosts.podman_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)


def test_a_host_switched_off_during_a_run_then_on_is_completed_by_the_next_run(tmp_path):
    # the test's ANSIBLE_HOME (conftest.own_ansible_home) holds the history of every run below, demo.sh's included
    path = hist.default_path(os.environ["ANSIBLE_HOME"])
    demo("down")
    try:
        rc, out = demo("up")
        assert rc == 0, out
        first = hist.latest_by_host(hist.read_records(path))
        assert sorted(first) == list(HOSTS), out
        reached = (first[OFF]["stage"], first[OFF]["reason"])
        assert reached[0] not in ("failed", "unreachable"), first

        rc, out = playbook(tmp_path, "uninstall.yml", "--limit", OFF, "-e", "comet_client_revoke_device=true")
        assert rc == 0, out
        rc, out = playbook(tmp_path, "site.yml", ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                           ANSIBLE_CALLBACKS_ENABLED="unil_stop_host", UNIL_STOP_HOST=OFF,
                           UNIL_STOP_CONTAINER=OFF_CONTAINER, UNIL_STOP_AFTER_ACTION="ansible.builtin.command")
        assert rc != 0 and "UNREACHABLE!" in out, out
        # lost mid-run: the installer changed the host, then the host was gone
        assert -1 < out.find("changed: [%s]" % OFF) < out.find("[%s]: UNREACHABLE!" % OFF), out
        print(out[out.find("[%s]: UNREACHABLE!" % OFF) - 400:][:1200])
        records = hist.read_records(path)
        assert len(records) == 2 * len(HOSTS) and records.skipped == 0, out
        second = hist.latest_by_host(records)
        assert second[OFF]["stage"] == "unreachable", second
        assert (second[OFF]["last_stage"], second[OFF]["last_reason"]) == reached, second
        assert all(second[h]["stage"] not in ("failed", "unreachable") for h in HOSTS if h != OFF), second
        label = "unreachable, last reached: " + _migration.stage_text(*reached)
        assert '"%-20s %s' % (OFF, label) in out, out

        started = podman("start", OFF_CONTAINER)
        assert started.returncode == 0, started.stdout
        rc, out = playbook(tmp_path, "site.yml")
        assert rc == 0, out
        records = hist.read_records(path)
        assert len(records) == 3 * len(HOSTS) and records.skipped == 0, out
        third = hist.latest_by_host(records)
        assert (third[OFF]["stage"], third[OFF]["reason"]) == reached, third
        assert "unreachable" not in out.split("PLAY RECAP")[-1].replace("unreachable=0", ""), out
    finally:
        demo("down")
