# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two-factor accounts (issue #13) against the Comet Server stand-in: unil.backup.comet_info says how an account logs
in, and role unil.backup.comet_client refuses a Linux host whose first installation would answer the installer's
login prompts with the password of an account that requires a TOTP code - before any change, naming the account and
the ways out. Real ansible-playbook, local connection; the account is a fixture (AllowPasswordLogin false,
AllowPasswordAndTOTPLogin true, as comet-go-sdk's UserProfileConfig has them)."""
from __future__ import annotations

import json
import sys

import pytest

from playbook_runner import run_playbook
ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Pw-4-2fa-itest"
FIXTURE = {
    "users": {
        "pnom-2fa": {"password": "Us3r-2fa-Secret-9", "profile": {"AllowPasswordLogin": False, "AllowPasswordAndTOTPLogin": True}},
        "pnom": {"password": "Us3r-Secret-9"},
    },
}

INFO_PLAY = """
- name: How each account logs in
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the account
      unil.backup.comet_info:
        server_url: "{{ url }}"
        admin_username: admin
        admin_password: "{{ admin_password }}"
        account: "{{ item }}"
        jobs: false
      loop: [pnom-2fa, pnom]
      register: info
    - name: Print
      ansible.builtin.debug:
        msg: "LOGIN {{ info.results | map(attribute='account') | map(attribute='login') | list | to_json }}"
"""

ROLE_PLAY = """
- name: A Linux host without the client, its account requiring a TOTP code
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The facts the role reads
      ansible.builtin.setup:
        gather_subset: ["!all", "min"]
    - name: As on a systemd host (this machine may run another init)
      ansible.builtin.set_fact:
        service_mgr: systemd
        cacheable: true
    - name: The role
      ansible.builtin.include_role:
        name: unil.backup.comet_client
    - name: Not reached
      ansible.builtin.debug:
        msg: REACHED
"""


@pytest.fixture
def server(tmp_path, comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, state_file=str(tmp_path / "standin-state.json"), fixture=FIXTURE)
    srv.reset_log()
    return srv


def playbook(tmp_path, play, *extra):
    (tmp_path / "play.yml").write_text(play)
    return run_playbook("-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"), *extra, tmp_path=tmp_path,
                        timeout=300, ANSIBLE_PYTHON_INTERPRETER=sys.executable)


def test_comet_info_says_how_the_account_logs_in(server, tmp_path):
    rc, out = playbook(tmp_path, INFO_PLAY, "-e", "url=%s admin_password=%s" % (server.url, ADMIN_PASSWORD))
    assert rc == 0, out
    line = [x for x in out.splitlines() if "LOGIN [" in x][0]
    assert json.loads(line[line.index("LOGIN ") + 6:].rstrip('"').replace('\\"', '"')) == [
        {"password": False, "totp": True, "two_factor_required": True},
        {"password": True, "totp": False, "two_factor_required": False}]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
def test_a_linux_install_for_a_two_factor_account_is_refused_before_any_change(server, tmp_path, check):
    installer = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    installer.write_text("#!/bin/sh\necho 'the installer must not run' >&2\nexit 97\n")
    stage = tmp_path / "stage"
    variables = {
        "comet_client_server_url": server.url, "comet_client_username": "pnom-2fa",
        "comet_client_password": "Us3r-2fa-Secret-9", "comet_client_admin_username": ADMIN,
        "comet_client_admin_password": ADMIN_PASSWORD, "comet_client_installer_file": str(installer),
        "comet_client_linux_install_dir": str(tmp_path / "opt" / "CometBackupUNIL"),
        "comet_client_remote_tmp_dir": str(stage), "comet_client_cache_dir": str(tmp_path / "cache"),
    }
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    rc, out = playbook(tmp_path, ROLE_PLAY, "-e", "@%s" % (tmp_path / "vars.json"), *(["--check"] if check else []))
    assert rc != 0, out
    assert ("the Comet account pnom-2fa requires two-factor authentication (a TOTP code from an authenticator app at every "
            "login with its password): the Linux installer (.run) logs in with the password on its prompts") in out, out
    assert "install token" in out and "an account without two-factor authentication" in out
    assert "REACHED" not in out
    # nothing was done: no installer staged, no client, no unit; the account's password is in no output
    assert not stage.exists() and not (tmp_path / "opt").exists()
    assert "Us3r-2fa-Secret-9" not in out and ADMIN_PASSWORD not in out
    # the server was only read (no install token created, nothing written)
    assert [e["endpoint"] for e in server.log if e["side"] == "admin"] == ["get-user-profile-and-hash", "dispatcher/list-active"]
