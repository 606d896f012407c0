# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role unil.backup.comet_client's login (tasks/login.yml, the one task file of every OS), run for real by
ansible-playbook on the local connection against a stand-in ``backup-tool`` (a shell script): the answers reach it on
stdin in the order of its prompts, never on its command line; a failed login names the tool, the host and the exit
code and quotes the output with the password masked (an empty password masks nothing); a login that worked reads the
host again."""
from __future__ import annotations

import sys

from playbook_runner import run_playbook

PASSWORD = "Us3r-L0gin-Secret-7"

BACKUP_TOOL = """#!/bin/sh
here=$(dirname "$0")
case "$1 $2" in
  "login prompt")
    echo "$*" > "$here/argv"
    cat > "$here/answers"
    echo "Username: $(sed -n 1p "$here/answers") Password: $(sed -n 2p "$here/answers")"
    echo "refused by the stand-in" >&2
    exit $(cat "$here/rc") ;;
  "login status") echo "Logged in, unlocked (2)" ;;
  "version "*) echo "24.6.0" ;;
  "info device-id") echo "dev-login-1" ;;
esac
exit 0
"""

PLAY = """
- name: The login step of role comet_client on a Linux host
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The facts the role reads
      ansible.builtin.setup:
        gather_subset: ["!all", "min"]
    - name: What tasks/main.yml decided before (the OS, the server, the probe of a logged-out client)
      ansible.builtin.set_fact:
        _comet_client_os: linux
        _comet_client_server: "https://comet.example.org/"
        _comet_client_probe:
          comet: {installed: true, version: "24.6.0", device_id: dev-login-1,
                  login: {code: 0, text: "Logged out (0)", logged_in: false}}
          services: {}
          unit: {exists: false}
    - name: The login
      ansible.builtin.include_role:
        name: unil.backup.comet_client
        tasks_from: login.yml
    - name: After the login
      ansible.builtin.debug:
        msg: "REACHED {{ _comet_client_probe.comet.login.code }}"
"""


def login(tmp_path, rc, password=PASSWORD):
    tool_dir = tmp_path / "opt"
    tool_dir.mkdir(exist_ok=True)
    tool = tool_dir / "backup-tool"
    tool.write_text(BACKUP_TOOL)
    tool.chmod(0o755)
    (tool_dir / "rc").write_text(str(rc))
    (tmp_path / "play.yml").write_text(PLAY)
    extra = ('{"comet_client_linux_install_dir": "%s", "comet_client_username": "pnom", "comet_client_password": "%s",'
             ' "comet_client_device_name": "pc-login"}' % (tool_dir, password))
    rc, out = run_playbook("-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"), "-e", extra, tmp_path=tmp_path,
                           timeout=300, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    return rc, out, tool_dir


def test_a_failed_login_names_the_tool_and_masks_the_password(tmp_path):
    rc, out, tool_dir = login(tmp_path, 3)
    assert rc != 0, out
    assert ("unil.backup.comet_client: backup-tool login prompt failed on localhost with exit code 3: Username: pnom "
            "Password: ******** | refused by the stand-in") in out, out
    assert PASSWORD not in out
    assert "REACHED" not in out
    # the answers on stdin, in the order of the prompts; nothing but the command on the command line
    assert (tool_dir / "answers").read_text().splitlines() == ["pnom", PASSWORD, "https://comet.example.org/", "pc-login"]
    assert (tool_dir / "argv").read_text().strip() == "login prompt"


def test_an_empty_password_masks_nothing(tmp_path):
    rc, out, dummy = login(tmp_path, 1, password="")
    assert rc != 0, out
    assert "backup-tool login prompt failed on localhost with exit code 1: Username: pnom Password: | refused by" in out, out
    assert "Password: *" not in out and "p*" not in out


def test_a_login_that_worked_reads_the_host_again(tmp_path):
    rc, out, dummy = login(tmp_path, 0)
    assert rc == 0, out
    assert "TASK [unil.backup.comet_client : Read the host again after the login]" in out
    assert "REACHED 2" in out
    assert PASSWORD not in out
