# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role unil.backup.comet_client's decision (action comet_client_decide) and Windows change step
(tasks/windows_present.yml) run by ansible-playbook on the local
connection, up to what the controller does (no Windows host here): a 32-bit Windows whose installer source has no
32-bit installer is refused before the installer is fetched or anything runs on the host; with
comet_client_windows_x86_installer_file the 32-bit installer is the one fetched (the role's own installer variables
are replaced for that host only), in check mode."""
from __future__ import annotations

import json
import sys

from playbook_runner import run_playbook

PLAY = """
- name: The Windows change step of role comet_client, as decided for a host
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The facts and the probe of a Windows without the client (what tasks/main.yml reads first)
      ansible.builtin.set_fact:
        ansible_facts: {system: Win32NT, os_family: Windows, architecture: ARCH, distribution: Microsoft Windows 10,
                        distribution_version: "10.0"}
        _comet_client_probe:
          comet: {installed: false, version: "", device_id: "", login: {code: -1, text: Not installed, logged_in: false}}
          services: {}
          unit: {exists: false}
          probed: {backup_tool: ""}
          windows: {architecture: "ARCH", install_dir: "", product_id: backup-tool, uninstaller: ""}
    - name: The role's decision (tasks/main.yml), which refuses a 32-bit Windows without a 32-bit installer
      unil.backup.comet_client_decide:
        variables:
          state: present
          server_url: https://comet.example.org/
          brand: Comet_Backup
          username: alice
          password: secret
          admin_username: ""
          admin_password: ""
          linux_install_dir: /opt/CometBackup
          linux_service_name: comet-backup
          installer_source: file
          installer_file: "{{ comet_client_installer_file }}"
          windows_x86_installer_file: "{{ comet_client_windows_x86_installer_file }}"
        probe: "{{ _comet_client_probe }}"
    - name: The change step
      ansible.builtin.include_role:
        name: unil.backup.comet_client
        tasks_from: windows_present.yml
    - name: After the change step
      ansible.builtin.debug:
        msg: "FETCHED {{ _comet_client_fetch | to_json }}"
"""


def present(tmp_path, architecture, x86_file="", check=True):
    installers = tmp_path / "installers"
    installers.mkdir(exist_ok=True)
    (installers / "Comet_Backup-24.6.0.zip").write_bytes(b"64-bit installer")
    (installers / "Comet_Backup_x86-24.6.0.zip").write_bytes(b"32-bit installer")
    (tmp_path / "play.yml").write_text(PLAY.replace("ARCH", architecture))
    extra = {"comet_client_installer_file": str(installers / "Comet_Backup-24.6.0.zip"),
             "comet_client_windows_x86_installer_file": str(installers / x86_file) if x86_file else "",
             "comet_client_cache_dir": str(tmp_path / "cache"), "comet_client_username": "",
             "comet_client_password": ""}
    args = ["-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"), "-e", json.dumps(extra)]
    return run_playbook(*(args + (["--check"] if check else [])), tmp_path=tmp_path, timeout=300,
                        ANSIBLE_PYTHON_INTERPRETER=sys.executable)


def _fetched(out):
    line = next(line for line in out.splitlines() if "FETCHED " in line)
    return json.loads(line.split("FETCHED ", 1)[1].rstrip('"').replace('\\\\"', '"').replace('\\"', '"'))


def test_a_32_bit_windows_without_a_32_bit_installer_is_refused_before_any_change(tmp_path):
    rc, out = present(tmp_path, "x86", check=False)
    assert rc != 0, out
    assert ("unil.backup.comet_client: localhost runs 32-bit Windows and comet_client_installer_file is the 64-bit "
            "installer: set comet_client_windows_x86_installer_file to the 32-bit one") in out, out
    # nothing fetched, staged or run
    assert "Get and check this host's installer" not in out and "Stage and run" not in out
    assert "FETCHED" not in out


def test_a_32_bit_windows_gets_the_32_bit_installer(tmp_path):
    rc, out = present(tmp_path, "x86", "Comet_Backup_x86-24.6.0.zip")
    assert rc == 0, out
    fetched = _fetched(out)
    assert fetched["name"] == "Comet_Backup_x86-24.6.0.zip", fetched
    assert fetched["path"].endswith("Comet_Backup_x86-24.6.0.zip") and fetched["source"] == "file"


def test_a_64_bit_windows_keeps_the_role_installer(tmp_path):
    rc, out = present(tmp_path, "x86_64", "Comet_Backup_x86-24.6.0.zip")
    assert rc == 0, out
    assert _fetched(out)["name"] == "Comet_Backup-24.6.0.zip"
