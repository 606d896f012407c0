# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_client's Full Disk Access step (tasks/macos_full_disk_access.yml) in a real ansible-playbook run on
three local hosts: two Macs whose probes found the client's bundle under two names (one from the package receipt),
and a Linux host. The PPPC profile written once on the controller names the bundles found, not the configured
comet_client_macos_app_path (issue 23)."""
from __future__ import annotations

import plistlib
import sys

PLAY = """
- name: Full Disk Access profile from the bundles the probes found
  hosts: all
  gather_facts: false
  tasks:
    - name: What the role's probe (host_info) returned on each host
      ansible.builtin.set_fact:
        _comet_client_probe: "{{ probe }}"

    - name: The role's Full Disk Access step
      ansible.builtin.include_role:
        name: unil.backup.comet_client
        tasks_from: macos_full_disk_access.yml
      when: probe.macos is defined
"""

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: {python}
    comet_client_product_name: Comet Backup
    comet_client_macos_pppc_dest: {dest}
    comet_client_macos_pppc_apps:
      - identifier: com.cometbackup.unil
        identifier_type: bundleID
        code_requirement: identifier "com.cometbackup.unil" and anchor apple generic
      - identifier: Contents/MacOS/backup-tool
        identifier_type: path
        code_requirement: identifier "backup-tool" and anchor apple generic
  hosts:
    mac-receipt:
      probe: {{macos: {{app_path: /Applications/Comet Backup UNIL.app, app_source: receipt, pppc_installed: false}}}}
    mac-configured:
      probe: {{macos: {{app_path: /Applications/Comet Backup.app, app_source: configured, pppc_installed: true}}}}
    linux-1:
      probe: {{comet: {{installed: true}}}}
"""


def _entries(path):
    with open(path, "rb") as handle:
        profile = plistlib.load(handle)
    return [e["Identifier"] for e in profile["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"]]


def test_profile_names_the_bundles_found(tmp_path, run_playbook):
    dest = tmp_path / "pppc"
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY.format(python=sys.executable, dest=dest))
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    rc, out = run_playbook("-i", inventory, play)
    assert rc == 0, out
    profile = dest / "ch.unil.backup.comet.pppc.mobileconfig"
    assert _entries(profile) == ["com.cometbackup.unil",
                                 "/Applications/Comet Backup UNIL.app/Contents/MacOS/backup-tool",
                                 "/Applications/Comet Backup.app/Contents/MacOS/backup-tool"]
    # the Mac without the profile is warned about, the other not; written once, then unchanged
    assert "ok: [mac-receipt] => " in out and "NOT granted" in out.split("ok: [mac-receipt] => ", 1)[1].split("\n")[1]
    assert "ok: [mac-configured] => " not in out
    rc, again = run_playbook("-i", inventory, play)
    assert rc == 0 and "changed=0" in again.split("PLAY RECAP", 1)[1], again


def test_no_mac_has_the_client_yet(tmp_path, run_playbook):
    dest = tmp_path / "pppc"
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY.format(python=sys.executable, dest=dest)
                         .replace("app_path: /Applications/Comet Backup UNIL.app", "app_path: ''")
                         .replace("app_path: /Applications/Comet Backup.app", "app_path: ''"))
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    rc, out = run_playbook("-i", inventory, play)
    assert rc == 0, out
    # the configured bundle (comet_client_macos_app_path), for want of one found
    assert _entries(dest / "ch.unil.backup.comet.pppc.mobileconfig")[1:] == [
        "/Applications/Comet Backup.app/Contents/MacOS/backup-tool"]
