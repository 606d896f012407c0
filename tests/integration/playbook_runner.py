# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one ansible-playbook runner of the integration tests (conftest.py makes it a fixture, ``run_playbook``).

The environment is the one the Makefile exports (PATH with .venv/bin first, ANSIBLE_COLLECTIONS_PATH=build/collections,
CONTAINERS_CONF=tests/podman/containers.conf), output without colours, and - given a test's tmp_path - Ansible's home
and local temp under it, so tests running in parallel (pytest -n) never share them.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, "ansible-playbook")
COLLECTIONS = os.path.join(ROOT, "build", "collections")
CONTAINERS_CONF = os.path.join(ROOT, "tests", "podman", "containers.conf")
COMET_ENV = ("COMET_SERVER_URL", "COMET_ADMIN_USERNAME", "COMET_ADMIN_PASSWORD")


def ansible_env(tmp_path=None, clear_comet=False, **extra):
    """os.environ with the Makefile's exports; ``tmp_path``: ANSIBLE_HOME and ANSIBLE_LOCAL_TEMP under it;
    ``clear_comet``: without the COMET_* connection fallbacks of the caller's shell; ``extra``: more variables."""
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, CONTAINERS_CONF=CONTAINERS_CONF, ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", NO_COLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    if tmp_path is not None:
        env.update(ANSIBLE_HOME=os.path.join(str(tmp_path), "ansible-home"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(str(tmp_path), "ansible-tmp"))
    if clear_comet:
        for name in COMET_ENV:
            env.pop(name, None)
    env.update(extra)
    return env


def run_playbook(*args, tmp_path=None, env=None, clear_comet=False, timeout=600, cwd=ROOT, label=None, **extra_env):
    """ansible-playbook ``args`` (stdout and stderr together). ``env``: the whole environment instead of
    ansible_env(tmp_path, clear_comet, **extra_env). Returns (rc, output); prints the command's duration and rc."""
    if env is None:
        env = ansible_env(tmp_path, clear_comet, **extra_env)
    started = time.time()
    proc = subprocess.run([ANSIBLE_PLAYBOOK] + [str(a) for a in args], cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    shown = label or " ".join(os.path.basename(str(a)) for a in args)
    print("$ ansible-playbook %s: rc %d in %.1f s" % (shown, proc.returncode, time.time() - started))
    return proc.returncode, proc.stdout


CONTROLLER_INVENTORY = """all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    comet_config_server_url: %(url)s
    comet_config_admin_username: %(admin)s
    comet_config_admin_password: %(password)s
    comet_config_account: %(account)s
%(hosts)s"""


def controller_inventory(url, admin, password, account, hosts):
    """An inventory of hosts run on the controller (local connection, this Python) whose role comet_config reaches
    the stand-in at ``url`` with the administrator ``admin`` and ``account``; ``hosts``: the YAML under ``all:``
    (its ``hosts:`` or ``children:``, indented by two spaces)."""
    return CONTROLLER_INVENTORY % dict(url=url, admin=admin, password=password, account=account, hosts=hosts.strip("\n"))
