# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cloned machines (a golden image: same SSH host keys, or Windows without DeviceIdentificationEntropy) report the same
Comet device ID: the hosts of one play that share one fail before any setting is applied to the shared device, each
naming the other, and the other hosts go on. Real ansible-playbook, local connection, the role's own preflight and
shared-device check."""
from __future__ import annotations

from playbook_runner import run_playbook

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    comet_config_server_url: https://comet.example.ch/
    comet_config_admin_username: admin
    comet_config_admin_password: not-used-here
    comet_config_account: dept-lab
  hosts:
    lab-01: {_id: dev-golden}
    lab-02: {_id: dev-golden}
    lab-03: {_id: dev-own}
"""

PLAY = """
- name: Hosts as comet_client leaves them, then the settings' preflight
  hosts: all
  gather_facts: false
  tasks:
    - name: The device ID each host reported
      ansible.builtin.set_fact:
        comet_client_device_id: "{{ _id }}"
    - name: Preflight of unil.backup.comet_config
      ansible.builtin.include_role:
        name: unil.backup.comet_config
        tasks_from: preflight
      vars:
        _comet_config_check_device: true
    - name: Shared-device check of unil.backup.comet_config (tasks/main.yml runs it right after the preflight)
      ansible.builtin.include_role:
        name: unil.backup.comet_config
        tasks_from: shared_device
    - name: Reached by the hosts with a device of their own
      ansible.builtin.debug:
        msg: "REACHED {{ inventory_hostname }}"
"""


def run(tmp_path, *extra):
    (tmp_path / "hosts.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(PLAY)
    return run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), *extra, tmp_path=tmp_path, timeout=300)


def test_hosts_sharing_a_device_fail_naming_each_other_and_the_others_go_on(tmp_path):
    rc, out = run(tmp_path)
    assert rc != 0, out
    assert "device dev-golden is also the device of lab-02 in this play" in out, out
    assert "device dev-golden is also the device of lab-01 in this play" in out, out
    assert "REACHED lab-03" in out and "REACHED lab-01" not in out and "REACHED lab-02" not in out, out


def test_a_site_that_accepts_shared_devices_says_so(tmp_path):
    rc, out = run(tmp_path, "-e", "comet_client_allow_shared_device_id=true")
    assert rc == 0, out
    assert all("REACHED %s" % host in out for host in ("lab-01", "lab-02", "lab-03")), out
