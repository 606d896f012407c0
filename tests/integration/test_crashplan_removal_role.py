# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role crashplan_removal through ansible-playbook on the controller itself, against the Comet Server stand-in: the
variables are checked at once, the probe of unil.backup.comet_client is reused (here a given comet_client_host_info
that says CrashPlan is there), the gate reads the server and ends with a code, the result carries its stage and the
report is the Python report. Only check mode where CrashPlan is said to be present: nothing on this machine changes."""
from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

ADMIN, ADMIN_PASSWORD, ACCOUNT, DEVICE = "admin", "admin-secret", "pnom", "dev-cpr-0001"
PLAY = """
- name: Run crashplan_removal on the controller
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/unil.backup.comet:
      server_url: "{{ comet_server_url }}"
      admin_username: "{{ comet_admin_username }}"
      admin_password: "{{ comet_admin_password }}"
  tasks:
    - name: A probe of unil.backup.comet_client that read CrashPlan (given)
      ansible.builtin.set_fact:
        comet_client_host_info: "{{ probe }}"
      when: probe is defined

    - name: Remove CrashPlan behind the health gate
      ansible.builtin.include_role:
        name: unil.backup.crashplan_removal

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ crashplan_removal_result | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      check_mode: false
"""
TOOL = "/opt/CometBackupUNIL/backup-tool"
PROBE = {
    "comet": {"installed": True, "version": "24.6.0", "device_id": DEVICE,
              "login": {"code": 2, "text": "Logged in, unlocked (2)", "logged_in": True}},
    "probed": {"backup_tool": TOOL, "crashplan": True, "crashplan_archives": [], "crashplan_uninstaller": None},
    "crashplan": {"present": True, "os": "linux", "version": "11.2.0", "era": "code42", "install_dir": "/nonexistent/crashplan",
                  "services": [], "processes": [], "guid": "", "archives": [], "steps": [],
                  "remove": ["/nonexistent/crashplan"], "left": [], "keep": ["/nonexistent/archives"], "per_user_left": []},
}


@pytest.fixture
def server(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "user-secret")
    srv.state.add_device(ACCOUNT, DEVICE, "cpr-host")
    return srv


def run(server, tmp_path, run_playbook, extra, *options, **env):
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    variables = dict({"comet_server_url": server.url, "comet_admin_username": ADMIN, "comet_admin_password": ADMIN_PASSWORD,
                      "result_file": str(tmp_path / "result.json"), "ansible_connection": "local",
                      "ansible_python_interpreter": sys.executable, "crashplan_removal_comet_account": ACCOUNT}, **extra)
    path = tmp_path / "vars.yml"
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(variables, handle)
    if (tmp_path / "result.json").exists():
        (tmp_path / "result.json").unlink()
    rc, out = run_playbook("-i", "localhost,", str(play), "-e", "@%s" % path, *options, **env)
    result = json.loads((tmp_path / "result.json").read_text()) if (tmp_path / "result.json").exists() else None
    return rc, out, result


def test_gate_closed_until_the_first_backup_then_would_remove(server, tmp_path, run_playbook):
    rc, out, result = run(server, tmp_path, run_playbook, {"probe": PROBE}, "--check")
    assert rc == 0, out
    assert result["stage"] == "kept_gate_closed" and result["gate"]["code"] == "waiting_for_backup"
    assert result["would_remove"] == ["/nonexistent/crashplan"] and not result["removed"]
    assert "NOT removed, health gate closed: waiting for the first Comet backup" in out
    # a closed gate fails the host when asked to, after the same report
    rc, out, result = run(server, tmp_path, run_playbook, {"probe": PROBE, "crashplan_removal_fail_when_gate_closed": True},
                          "--check")
    assert rc != 0 and "CrashPlan not removed from localhost: waiting for the first Comet backup" in out
    # the first backup job succeeds: the gate opens (check mode: would remove)
    server.state.add_job(ACCOUNT, DEVICE, 5000, 1700000000, 1700000100)
    rc, out, result = run(server, tmp_path, run_playbook, {"probe": PROBE}, "--check")
    assert rc == 0, out
    assert result["stage"] == "would_remove" and result["gate"]["code"] == "open", result["gate"]
    assert "would be removed (Comet Backup is installed, logged in, known to the server and has a working backup)" in out


def test_a_server_error_and_an_unknown_device_are_codes(server, tmp_path, run_playbook):
    rc, out, result = run(server, tmp_path, run_playbook, {"probe": PROBE, "crashplan_removal_comet_account": "nobody"},
                          "--check")
    assert rc == 0, out
    assert result["gate"]["code"] == "server_error", result["gate"]
    probe = dict(PROBE, comet=dict(PROBE["comet"], device_id="dev-other"))
    rc, out, result = run(server, tmp_path, run_playbook, {"probe": probe}, "--check")
    assert result["gate"]["code"] == "device_not_on_server" and result["stage"] == "kept_gate_closed"


def test_a_probe_made_with_other_inputs_is_not_reused(server, tmp_path, run_playbook):
    # archives differ: the role probes the controller itself, which has no CrashPlan
    rc, out, result = run(server, tmp_path, run_playbook, {"probe": PROBE, "crashplan_removal_archives": ["/srv/cp"]},
                          "--check")
    assert rc == 0, out
    assert result["stage"] == "no_crashplan" and result["gate"]["code"] == "absent"
    assert "CrashPlan is not installed on localhost: nothing to remove." in out


def test_every_bad_variable_is_named_before_anything(server, tmp_path, run_playbook):
    rc, out, result = run(server, tmp_path, run_playbook, {
        "probe": PROBE, "crashplan_removal_archives": ["relative"], "crashplan_removal_comet_brand": "a b",
        "crashplan_removal_deactivate_on_server": True}, "--check", CRASHPLAN_SERVER_URL="https://cp.example")
    assert rc != 0 and result is None
    for text in ("crashplan_removal_archives: every entry must be an absolute path (relative).",
                 "crashplan_removal_comet_brand: must be letters",
                 "crashplan_removal_server_username: (or CRASHPLAN_USERNAME on the controller) is required"):
        assert text in out, out
    assert "crashplan_removal_server_url:" not in out
