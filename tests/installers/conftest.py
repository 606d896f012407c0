# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the stand-in .run installer tests: builds, a live Comet Server stand-in, throwaway install roots."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # tests/ (comet_server), also when pytest.ini's pythonpath is not used

import build_comet_run  # noqa: E402
from comet_server import CometServerStandIn  # noqa: E402

from installer_testlib import ADMIN, ADMIN_PASSWORD, BRAND, NEW, OLD, PASSWORD, USER, pids_matching, wait_for  # noqa: E402


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """{version: path} of the built .run files (default brand and server)."""
    out = tmp_path_factory.mktemp("runs")
    return {v: build_comet_run.build(v, str(out))[0] for v in (OLD, NEW)}


@pytest.fixture
def server():
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}) as srv:
        srv.state.add_user(USER, PASSWORD)
        yield srv


class Host(object):
    """A throwaway 'host': STANDIN_INSTALL_ROOT (test-only prefix for /opt) and HOME under tmp_path."""

    def __init__(self, tmp_path):
        self.root = str(tmp_path / "root")
        self.home = str(tmp_path / "home")
        os.makedirs(self.home)
        self.install_dir = os.path.join(self.root, "opt", BRAND)
        self.config = os.path.join(self.home, ".config", "backup-tool", "config.dat")

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WRITE_INSTALL_LOG", "OVERRIDE_INSTALL"))}
        env.update({"STANDIN_INSTALL_ROOT": self.root, "HOME": self.home, "STANDIN_HEARTBEAT_SECONDS": "1"})
        env.update(extra)
        return env

    def install(self, run, answers=None, **env):
        """Run the .run; answers: list of lines for stdin (None: stdin closed at once)."""
        data = "" if answers is None else "".join(a + "\n" for a in answers)
        return subprocess.run([run], input=data, capture_output=True, text=True, env=self.env(**env), timeout=60, check=False)

    def tool(self, *args, stdin=None, **env):
        return subprocess.run([os.path.join(self.install_dir, "backup-tool")] + list(args), input=stdin or "",
                              capture_output=True, text=True, env=self.env(**env), timeout=60, check=False)

    def out(self, *args):
        res = self.tool(*args)
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    def supervisor_pid(self):
        try:
            with open(os.path.join(self.install_dir, "daemon.pid")) as handle:
                pid = int(handle.read().strip())
        except (OSError, ValueError):
            return None
        return pid if pid in pids_matching(self.install_dir + "/backup-daemon-start") else None

    def processes(self):
        return pids_matching(self.install_dir + "/")

    def delegates(self):
        return pids_matching(self.install_dir + "/backup-tool cmd")

    def cleanup(self):
        """Stop the daemons this test's installs started (by their PIDs, found through this root only)."""
        pid = self.supervisor_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: pid not in pids_matching(self.install_dir + "/"), timeout=10)
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        # a killed process is gone only once the kernel has taken it down: on a loaded machine (CI, 2 cores) it was
        # still listed by the next line of a test
        wait_for(lambda: not self.processes(), timeout=10)


@pytest.fixture
def host(tmp_path):
    h = Host(tmp_path)
    yield h
    h.cleanup()


@pytest.fixture
def first_answers(server):
    """The four answers of a first installation: user, password, server URL, device name (blank: hostname)."""
    return [USER, PASSWORD, server.url, ""]
