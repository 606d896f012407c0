# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_config's preflight refuses, before any change, an exclusion regex the Comet client (a Go program, RE2)
would refuse, with the modules' own rule (filter comet_regex_problems), and accepts what RE2 accepts."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)

PLAY = """
- name: The preflight of unil.backup.comet_config
  hosts: localhost
  gather_facts: false
  vars:
    comet_config_server_url: https://comet.example.ch/
    comet_config_admin_username: admin
    comet_config_admin_password: not-used-here
    comet_config_account: dept-lab
  tasks:
    - name: Preflight
      ansible.builtin.include_role:
        name: unil.backup.comet_config
        tasks_from: preflight
"""


def preflight(tmp_path, regexes):
    (tmp_path / "play.yml").write_text(PLAY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), str(tmp_path / "play.yml"), "-e",
                           json.dumps({"comet_config_exclude_regexes": regexes})],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
                          check=False)
    return proc.returncode, proc.stdout


def test_a_lookahead_and_backreference_are_refused_naming_the_variable(tmp_path):
    rc, out = preflight(tmp_path, [r"(?i).*/\.cache/.*", r".*(?=\.tmp)", r"(a)\1"])
    assert rc != 0, out
    assert "lookahead (?=...) is not supported" in out and "backreference" in out, out
    assert "cache" not in out.split("FAILED!")[1].split("\n")[0], "a valid regex is not reported: " + out


def test_what_go_accepts_passes(tmp_path):
    rc, out = preflight(tmp_path, [r".*/\.cache/.*", r"(?i)^/home/[^/]+/Downloads(?-i)/x\z"])
    assert rc == 0, out
