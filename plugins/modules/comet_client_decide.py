#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_client_decide
short_description: Decide what role comet_client changes on one host (on the controller, from its probe)
version_added: 0.4.0
description:
  - "The decision of role M(unil.backup.comet_client) for one host, in one controller task: the role's variables
    checked and resolved (installer source and variant, server address, OS), the version to install (asked of the
    Comet Server only when neither the variables nor the installer's name tell it), the plan (install, upgrade, unit,
    services, login) and what refuses the host before any change (bad variables, a downgrade, no credentials for a
    first installation, a client that cannot be logged in)."
  - Returns the role's facts (RV(ansible_facts)); fails, naming every problem, when the host must not be changed.
  - Runs on the controller only (an action plugin); it reads the host's C(ansible_facts) and nothing else of it.
  - Internal to the collection's roles; its options follow the role's variables and may change with them.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: Only reads variables (and the server's version).
  diff_mode:
    support: none
options:
  variables:
    description:
      - "The role's variables without their C(comet_client_) prefix (state, server_url, brand, username, password,
        admin_username, admin_password, device_name, linux_install_dir, linux_service_name, installer_source,
        installer_file, installer_url, installer_sha256, installer_variant, version, revoke_device, allow_obsolete_os,
        windows_use_install_token, macos_use_install_token). The secrets are reduced to booleans and never returned."
    type: dict
    required: true
  probe:
    description: The host's probe, the registered result of M(unil.backup.host_info).
    type: dict
    required: true
  unit_text:
    description:
      - The systemd unit wanted on Linux (its digest is compared with the host's); returned as the fact
        C(_comet_client_unit_text).
      - Empty, the role's own unit (Comet's documented unit, with O(product_name) and the variable
        C(linux_install_dir)).
    type: str
    default: ""
  product_name:
    description: The client's product name, in the description of the role's own unit.
    type: str
    default: ""
  unit_enabled:
    description: Whether the unit is enabled at boot.
    type: bool
    default: true
  allow_downgrade:
    description: Whether a client newer than the installer may be replaced by the older one.
    type: bool
    default: false
  login_repair:
    description: Whether a logged-out client may be logged in again (with the end user's credentials).
    type: bool
    default: true
  require_login:
    description: Whether a client that is not logged in and cannot be logged in again refuses the host.
    type: bool
    default: false
  allow_shared:
    description: Whether this host may share its Comet device with another host of the play (returned as a fact).
    type: bool
    default: false
  validate_certs:
    description: Whether to verify the server's TLS certificate when its version is asked.
    type: bool
    default: true
  ca_path:
    description: PEM file of the certificate authorities to trust for the server certificate; empty for the system ones.
    type: str
    default: ""
  timeout:
    description: Timeout in seconds of the request for the server's version.
    type: int
    default: 30
seealso:
  - module: unil.backup.host_info
  - module: unil.backup.comet_shared_devices
"""

EXAMPLES = r"""
- name: Decide what to change on the host (on the controller, from the probe)
  unil.backup.comet_client_decide:
    variables:
      state: present
      server_url: https://cometbackup.example.org/
      username: alice
      password: "{{ vault_alice_password }}"
      installer_source: server
    probe: "{{ _probe }}"
"""

RETURN = r"""
ansible_facts:
  description: The role's facts.
  returned: always
  type: dict
  contains:
    comet_client_installed:
      description: Whether the client is installed.
      type: bool
    comet_client_installed_version:
      description: The installed client's version.
      type: str
    comet_client_device_id:
      description: The Comet device ID of the host.
      type: str
    comet_client_login_status:
      description: The client's login status.
      type: dict
    comet_client_identity:
      description: What the device ID is derived from (compared across the play).
      type: dict
    _comet_client_plan:
      description: The plan (action, target, refused, reason, changes, ...).
      type: dict
msg:
  description: What refuses the host, when it is refused.
  returned: failure
  type: str
"""
