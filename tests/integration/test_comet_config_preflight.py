# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_config's preflight refuses, before any change, an exclusion regex the Comet client (a Go program, RE2)
would refuse, with the modules' own rule (filter comet_regex_problems), and accepts what RE2 accepts."""
from __future__ import annotations

import json

from playbook_runner import run_playbook

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
    return run_playbook(str(tmp_path / "play.yml"), "-e", json.dumps({"comet_config_exclude_regexes": regexes}),
                        tmp_path=tmp_path, timeout=300, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")


def test_a_lookahead_and_backreference_are_refused_naming_the_variable(tmp_path):
    rc, out = preflight(tmp_path, [r"(?i).*/\.cache/.*", r".*(?=\.tmp)", r"(a)\1"])
    assert rc != 0, out
    assert "lookahead (?=...) is not supported" in out and "backreference" in out, out
    assert "cache" not in out.split("FAILED!")[1].split("\n")[0], "a valid regex is not reported: " + out


def test_what_go_accepts_passes(tmp_path):
    rc, out = preflight(tmp_path, [r".*/\.cache/.*", r"(?i)^/home/[^/]+/Downloads(?-i)/x\z"])
    assert rc == 0, out
