#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The module is PowerShell (comet_windows_probe.ps1, Ansible.Basic); this file holds its documentation only, as the
# modules of ansible.windows do.

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_windows_probe
short_description: Read a Windows host's backup state in one round trip - Comet Backup client, CrashPlan, facts
version_added: 0.4.0
description:
  - Read-only probe of a Windows host (PowerShell 5.1 or later), run once per host by the roles
    M(unil.backup.comet_client) and M(unil.backup.crashplan_removal), which decide from its answer on the controller
    (filter P(unil.backup.comet_client_windows_facts#filter)) and change the host only where something differs.
  - The Comet Backup client - its Uninstall and settings registry keys (64-bit and 32-bit views), its program,
    C(backup-tool.exe version) (the documented way to read the installed version) and C(backup-tool.exe login status)
    run in the install directory, its services, the pending-reboot indicators, the Windows version and the OS
    architecture (a 32-bit Windows gets the x86 client).
  - With O(crashplan_name_pattern), Code42 CrashPlan - its Uninstall entries in every hive (the profiles of users who
    are not logged on are loaded read-only for the time of the probe), services, processes and data folders.
  - The inputs of the Comet device ID (O(identity_value_names) under O(settings_key)), the Windows installation's
    C(MachineGuid) and the SMBIOS hardware UUID, so that machines installed from one image are found before the
    client is installed on them.
  - The names it looks for are options, given by the collection's Python code (filter
    P(unil.backup.comet_client_windows_probe_params#filter)); the module defines none of them.
  - Nothing secret is read - not the client's stored credentials, and of CrashPlan's C(.identity) only its C(guid=)
    and C(username=) lines.
author:
  - UNIL Ci (Centre informatique) backup team (!UNKNOWN)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: windows
options:
  install_dir_hint:
    description:
      - The client's install directory when neither the settings key's C(InstallDirectory) (authoritative) nor the
        Uninstall key's C(InstallLocation) names one.
    type: str
    default: ""
  uninstall_key:
    description:
      - The client's Uninstall key, relative to C(HKLM) (the 32-bit view under C(SOFTWARE\WOW6432Node) is read too).
    type: str
    required: true
  settings_key:
    description:
      - The client's settings key, relative to C(HKLM) (C(InstallDirectory), C(DeviceIdentificationID)).
    type: str
    required: true
  backup_tool_exe:
    description:
      - The file name of the client's command-line program in its install directory.
    type: str
    required: true
  service_names:
    description:
      - The client's Windows services; each is reported with its start type (a delayed automatic start as
        C(AutomaticDelayedStart)) and status.
    type: list
    elements: str
    required: true
  wait_login_seconds:
    description:
      - Seconds to wait, at most, while C(login status) answers one of O(transient_login_codes), as the client does
        while it connects just after an installation or a login. V(0) reads once.
    type: int
    default: 0
  transient_login_codes:
    description:
      - The login status codes that mean the client is still connecting.
    type: list
    elements: int
    default: []
  login_code_pattern:
    description:
      - The regular expression whose first group is the code in C(login status)'s answer (the last match counts).
    type: str
    required: true
  crashplan_service_names:
    description:
      - CrashPlan's Windows services.
    type: list
    elements: str
    default: []
  crashplan_process_names:
    description:
      - CrashPlan's process names.
    type: list
    elements: str
    default: []
  crashplan_name_pattern:
    description:
      - A regular expression that keeps the Uninstall entries whose C(DisplayName) matches (a coarse filter, the exact
        rule is applied on the controller). Empty reads no CrashPlan state (RV(crashplan) is null).
    type: str
    default: ""
  identity_value_names:
    description:
      - Values of O(settings_key) that the Comet device ID is derived from, returned as they are.
    type: list
    elements: str
    default: []
  cryptography_key:
    description:
      - The key, relative to C(HKLM), whose C(MachineGuid) is reported. Empty reports none.
    type: str
    default: ""
  gather_facts:
    description:
      - Also return the facts the roles decide on, under the names and in the forms of M(ansible.windows.setup)'s
        C(min) subset (C(ansible_system), C(ansible_os_family), C(ansible_hostname), C(ansible_fqdn),
        C(ansible_nodename), C(ansible_kernel), C(ansible_distribution), C(ansible_distribution_version),
        C(ansible_distribution_major_version), C(ansible_architecture)), so that a play without facts reads the host
        once.
    type: bool
    default: false
seealso:
  - module: unil.backup.host_info
  - module: ansible.windows.win_package
notes:
  - The result is raw, normalised on the controller by the filter P(unil.backup.comet_client_windows_facts#filter)
    into the probe shape every OS shares.
"""

EXAMPLES = r"""
- name: Read the client, CrashPlan and the facts the role needs (read-only)
  unil.backup.comet_windows_probe:
    install_dir_hint: "{{ _params.install_dir_hint }}"
    uninstall_key: "{{ _params.uninstall_key }}"
    settings_key: "{{ _params.settings_key }}"
    backup_tool_exe: "{{ _params.backup_tool_exe }}"
    service_names: "{{ _params.service_names }}"
    wait_login_seconds: "{{ _params.wait_login_seconds }}"
    transient_login_codes: "{{ _params.transient_login_codes }}"
    login_code_pattern: "{{ _params.login_code_pattern }}"
    crashplan_service_names: "{{ _params.crashplan_service_names }}"
    crashplan_process_names: "{{ _params.crashplan_process_names }}"
    crashplan_name_pattern: "{{ _params.crashplan_name_pattern }}"
    identity_value_names: "{{ _params.identity_value_names }}"
    cryptography_key: "{{ _params.cryptography_key }}"
    gather_facts: true
  vars:
    _params: "{{ 'C:\\Program Files\\Comet Backup' | unil.backup.comet_client_windows_probe_params }}"
  register: _raw

- name: Put the answer in the probe shape every OS shares
  ansible.builtin.set_fact:
    probe: "{{ _raw | unil.backup.comet_client_windows_facts('C:\\Program Files\\Comet Backup') }}"
"""

RETURN = r"""
uninstall_key:
  description: The first of the 64-bit and 32-bit views of O(uninstall_key) that exists, with its path and the values
    C(DisplayVersion), C(DisplayName), C(UninstallString) and C(InstallLocation) as strings.
  returned: always (null when the key does not exist)
  type: dict
settings_key:
  description: The same for O(settings_key), with C(InstallDirectory), C(DeviceIdentificationID) and the values of
    O(identity_value_names).
  returned: always (null when the key does not exist)
  type: dict
install_dir:
  description: The client's install directory (settings key, then Uninstall key, then O(install_dir_hint)).
  returned: always
  type: str
backup_tool:
  description: The client's program, C(path) and whether it C(exists).
  returned: always
  type: dict
login_status:
  description: The answer of C(backup-tool.exe login status), C(rc) (null when it could not run or did not answer in
    time) and C(text) (stdout and stderr).
  returned: always (null when the program does not exist)
  type: dict
version_output:
  description: The answer of C(backup-tool.exe version), C(rc) and C(text), as for RV(login_status).
  returned: always (null when the program does not exist)
  type: dict
services:
  description: One entry per O(service_names) - C(name), C(exists), C(start_type) and C(status).
  returned: always
  type: list
  elements: dict
reboot_pending:
  description: The pending-reboot indicators - C(component_based_servicing), C(windows_update), C(pending_file_rename).
  returned: always
  type: dict
os_version:
  description: The Windows version (C([Environment]::OSVersion)).
  returned: always
  type: str
  sample: 10.0.19045.0
os_architecture:
  description: The OS architecture - C(processor_architecture), the native C(PROCESSOR_ARCHITECTURE) (C(AMD64), C(x86),
    C(ARM64)), and C(is_64bit_os).
  returned: always
  type: dict
  sample: {"processor_architecture": "AMD64", "is_64bit_os": true}
crashplan:
  description: CrashPlan's C(uninstall_entries), C(services), C(processes), C(existing_paths), C(config_texts) and
    C(identity_text) (its C(guid=) and C(username=) lines only).
  returned: always (null without O(crashplan_name_pattern))
  type: dict
identity:
  description: The Windows installation's C(MachineGuid) and the SMBIOS C(ProductUuid).
  returned: always
  type: dict
ansible_facts:
  description: The facts listed under O(gather_facts).
  returned: when O(gather_facts) is true
  type: dict
"""
