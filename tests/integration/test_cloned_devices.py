# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts of one play that name one Comet device - cloned machines (a golden image) reporting one device ID, or
comet_config_device_id set for a whole group - fail before any setting is written to the shared device, each naming
the others, and the other hosts go on. Real ansible-playbook of role comet_config against the stand-in; the
comparison runs once for the batch (action comet_shared_devices)."""
from __future__ import annotations

from playbook_runner import controller_inventory

ADMIN, ADMIN_PASSWORD = "cloned-admin", "Cl0ned-admin-pw"

HOSTS = """
  children:
    golden:
      hosts:
        lab-01: {_id: dev-golden}
        lab-02: {_id: dev-golden}
    own:
      hosts:
        lab-03: {_id: dev-own}
    room_b:
      vars:
        comet_config_device_id: dev-room-b
      hosts:
        lab-04: {_id: ""}
        lab-05: {_id: ""}
"""

PLAY = """
- name: Hosts as comet_client leaves them, then role comet_config
  hosts: all
  gather_facts: false
  tasks:
    - name: The device ID each host reported
      ansible.builtin.set_fact:
        comet_client_device_id: "{{ _id }}"
    - name: Role comet_config
      ansible.builtin.include_role:
        name: unil.backup.comet_config
    - name: Reached by the hosts with a device of their own
      ansible.builtin.debug:
        msg: "REACHED {{ inventory_hostname }}"
"""


def standin(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user("dept-lab", "dept-lab-user-pw")
    for device in ("dev-golden", "dev-own", "dev-room-b"):
        srv.state.add_device("dept-lab", device, device, platform={"os": "linux"})
    return srv


def run(tmp_path, run_playbook, srv, *extra):
    (tmp_path / "hosts.yml").write_text(controller_inventory(srv.url, ADMIN, ADMIN_PASSWORD, "dept-lab", HOSTS))
    (tmp_path / "play.yml").write_text(PLAY)
    return run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), *extra, timeout=300)


def writes(srv):
    return srv.log_count("set-user-profile-hash") + srv.log_count("set-user-profile")


def test_hosts_sharing_a_device_fail_naming_each_other_and_the_others_go_on(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    rc, out = run(tmp_path, run_playbook, srv)
    assert rc != 0, out
    assert "lab-01 shares the Comet device ID dev-golden with lab-02 (2 hosts" in out, out
    assert "lab-02 shares the Comet device ID dev-golden with lab-01 (2 hosts" in out, out
    # one comet_config_device_id for a whole group: both hosts would write one device
    assert "lab-04 shares the Comet device ID dev-room-b with lab-05 (2 hosts" in out, out
    assert "REACHED lab-03" in out and all("REACHED lab-0%d" % n not in out for n in (1, 2, 4, 5)), out
    # only lab-03's device was written (its name), the shared devices were not touched
    assert writes(srv) == 1, srv.log
    names = dict((d, v["FriendlyName"]) for d, v in srv.state.get_profile("dept-lab")["Devices"].items())
    assert names == {"dev-golden": "dev-golden", "dev-own": "lab-03", "dev-room-b": "dev-room-b"}, names


def test_a_site_that_accepts_shared_devices_says_so(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    rc, out = run(tmp_path, run_playbook, srv, "-e", "comet_client_allow_shared_device_id=true",
                  "-e", "comet_config_allow_duplicate_name=true")
    assert rc == 0, out
    assert all("REACHED lab-0%d" % n in out for n in range(1, 6)), out
