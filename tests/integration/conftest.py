# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures of the integration tests: the Comet Server stand-in and the ansible-playbook runner.

- ``comet_standin(**kwargs)`` starts a stand-in (tests/comet_server) with a fresh state on a free port (plain HTTP
  unless ``tls=True``), stopped when the test ends; a test may start several. Function-scoped: no test sees
  another's accounts, devices or log, also under ``pytest -n 2`` (each worker its own servers and ports).
- ``run_playbook(*args, **options)``: ansible-playbook with the environment the Makefile exports and Ansible's home
  and temp under the test's tmp_path (playbook_runner.run_playbook).
- Every test (autouse) has ANSIBLE_HOME and ANSIBLE_LOCAL_TEMP under its tmp_path in its environment, so whatever it
  runs (scripts/demo.sh, validate_inventory.py, bench.py, a runner of its own) never shares ~/.ansible with a test
  running beside it; run_playbook sets the same paths.
- Tests that must not run beside others (podman demo, bench, fixed ports, shared build/ paths) carry
  ``pytest.mark.xdist_group("serial")``: with ``--dist loadgroup`` they run one after the other on one worker.
"""
from __future__ import annotations

import functools

import pytest

from comet_server import CometServerStandIn

import playbook_runner


@pytest.fixture(autouse=True)
def own_ansible_home(tmp_path, monkeypatch):
    """ANSIBLE_HOME and ANSIBLE_LOCAL_TEMP of this test's own (the paths playbook_runner.ansible_env gives)."""
    env = playbook_runner.ansible_env(tmp_path)
    for name in ("ANSIBLE_HOME", "ANSIBLE_LOCAL_TEMP"):
        monkeypatch.setenv(name, env[name])


@pytest.fixture
def comet_standin():
    """A factory: comet_standin(admin_users={...}, fixture=..., state_file=..., tls=False) -> a started stand-in."""
    started = []

    def start(**kwargs):
        kwargs.setdefault("tls", False)
        kwargs.setdefault("port", 0)
        srv = CometServerStandIn(**kwargs).start()
        started.append(srv)
        return srv

    yield start
    for srv in reversed(started):
        srv.stop()


@pytest.fixture
def run_playbook(tmp_path):
    """playbook_runner.run_playbook with Ansible's home and temp under this test's tmp_path."""
    return functools.partial(playbook_runner.run_playbook, tmp_path=tmp_path)
