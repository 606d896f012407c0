# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action unil.backup.comet_shared_devices through real ansible-playbook: run once for the batch, each host's
refusal looked up by the host; hosts allowed to share are not refused; a 200-host play is compared in one pass
(its time printed)."""
from __future__ import annotations

import time

from playbook_runner import run_playbook

PLAY = """
- name: Hosts as comet_client leaves them, then the once-per-play comparison
  hosts: all
  gather_facts: false
  tasks:
    - name: The device ID each host reported
      ansible.builtin.set_fact:
        comet_client_device_id: "{{ _id }}"
    - name: Compare the hosts of the batch once
      unil.backup.comet_shared_devices:
      run_once: true
      register: shared
    - name: Refuse the hosts that share a device
      ansible.builtin.fail:
        msg: "{{ shared.refusals[inventory_hostname] }}"
      when: inventory_hostname in shared.refusals
    - name: Reached by the hosts with a device of their own
      ansible.builtin.debug:
        msg: "REACHED {{ inventory_hostname }} compared={{ shared.hosts }}"
"""


def run(tmp_path, inventory, forks=5):
    (tmp_path / "hosts.yml").write_text(inventory)
    (tmp_path / "play.yml").write_text(PLAY)
    return run_playbook("-f", str(forks), "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"),
                        tmp_path=tmp_path, timeout=900)


def test_hosts_sharing_a_device_are_refused_all_named_and_the_others_go_on(tmp_path):
    rc, out = run(tmp_path, """
all:
  vars: {ansible_connection: local, ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  hosts:
    lab-01: {_id: dev-golden}
    lab-02: {_id: dev-golden}
    lab-03: {_id: dev-own}
    lab-04: {_id: dev-golden, comet_client_allow_shared_device_id: true}
    lab-05: {_id: ""}
""")
    assert rc == 2, out
    assert "lab-01 shares the Comet device ID dev-golden with lab-02, lab-04 (3 hosts" in out, out
    assert "lab-02 shares the Comet device ID dev-golden with lab-01, lab-04 (3 hosts" in out, out
    for host in ("lab-03", "lab-04", "lab-05"):
        assert "REACHED %s compared=5" % host in out, out
    assert "REACHED lab-01" not in out and "REACHED lab-02" not in out


def test_two_hundred_hosts_are_compared_once(tmp_path):
    lines = ["all:", "  vars: {ansible_connection: local, ansible_python_interpreter: \"{{ ansible_playbook_python }}\"}",
             "  hosts:"]
    lines += ["    pc%04d: {_id: dev-%04d}" % (i, i) for i in range(198)] + ["    twin-a: {_id: same}", "    twin-b: {_id: same}"]
    start = time.monotonic()
    rc, out = run(tmp_path, "\n".join(lines) + "\n", forks=10)
    print("\ncomet_shared_devices: 200 hosts, whole play %.1f s" % (time.monotonic() - start))
    assert rc == 2, out[-3000:]
    assert out.count("REACHED ") == 198 and "compared=200" in out
    assert "twin-a shares the Comet device ID same with twin-b (2 hosts" in out
