#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The documentation of the action plugin unil.backup.comet_installer (plugins/action/comet_installer.py), which runs
# entirely on the controller; its logic is plugins/module_utils/_comet_installer.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_installer
short_description: Fetch a Comet Backup client installer once on the controller, check its sha256 and cache it
version_added: 0.2.0
description:
  - Gives the path, on the controller, of the client installer a host needs, and its sha256. Runs on the controller
    only (an action plugin); nothing runs on the host and no connection to it is opened, so it needs no C(delegate_to).
  - Call it once per host, in a play with any number of hosts and forks. Hosts asking for the same installer (same
    O(source), location, O(variant), O(version) and O(sha256)) share one download; the others wait for it (a lock file
    per installer in O(cache_dir)).
  - Downloads go to C(<cache_dir>/incoming/), then are moved whole into C(<cache_dir>/<sha256>/<name>) (mode 0600,
    folders 0700).
  - An installer that is empty, whose download failed, or whose sha256 differs from O(sha256) is an error naming the
    installer and the role variable to check. No message or result shows a password, nor the user information or
    query of a URL.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
    details: The installer is fetched in check mode too (into the controller's cache, nothing on the host), because
      later steps compare its version and check its sha256.
  diff_mode:
    support: none
options:
  source:
    description:
      - V(file) uses O(file) on the controller in place (its sha256 is computed, and remembered in O(cache_dir) with
        the file's size and modification time).
      - V(url) downloads O(url). A copy with sha256 O(sha256) already in O(cache_dir) is used without a download.
      - V(server) asks the Comet Server for the installer it generates for O(variant)
        (C(branding/generate-client/<variant>)). With O(sha256), a copy with that sha256 in O(cache_dir) is used again;
        without, the installer is downloaded once per run of C(ansible-playbook) and shared by its forks.
    type: str
    required: true
    choices: [file, url, server]
  file:
    description: The installer on the controller (O(source=file)).
    type: path
  url:
    description: An http(s), ftp or file URL of the installer (O(source=url)).
    type: str
  sha256:
    description:
      - The expected sha256 of the installer (64 hexadecimal digits). Required with O(source=url).
      - A different sha256 is an error.
    type: str
    default: ''
  variant:
    description:
      - The installer kind, for example V(linuxgeneric) (the C(.run)), V(windows-x86_64-zip), V(macos-x86_64),
        V(macos-arm64). Required with O(source=server); part of the installer's identity otherwise.
    type: str
    default: ''
  version:
    description: The client version of the installer (part of its identity, and of the name of a server installer).
    type: str
    default: ''
  product_name:
    description:
      - The product name the name of a server installer starts with (characters other than letters, digits, C(.),
        C(_) and C(-) become C(_)).
    type: str
    default: ''
  name:
    description:
      - The installer's file name in the cache (and on the host). By default that of O(file) or O(url); for
        O(source=server), O(product_name)-O(version) with the extension of O(variant) (C(.run) for V(linuxgeneric),
        C(.deb) for V(linux-deb), C(.pkg) for macOS variants, C(.zip) otherwise).
    type: str
    default: ''
  cache_dir:
    description: The cache on the controller (created with mode 0700).
    type: path
    required: true
  server_url:
    description: Base URL of the Comet Server (O(source=server)).
    type: str
  admin_username:
    description: Name of the Comet Server administrator (O(source=server)).
    type: str
  admin_password:
    description: Password of O(admin_username) (O(source=server)). Never returned nor shown.
    type: str
  validate_certs:
    description: Whether to verify the TLS certificate of the server or of O(url). Only set to V(false) on test servers.
    type: bool
    default: true
  ca_path:
    description: PEM file of the certificate authorities to trust, instead of the system ones.
    type: path
  timeout:
    description: Timeout in seconds of each HTTP request.
    type: int
    default: 30
  lock_dir:
    description:
      - Accepted for C(module_defaults) of the C(unil.backup.comet) group, and not used (the lock files of the
        installers are in O(cache_dir)).
    type: path
notes:
  - The result carries no password. A failure carries C(stage) and C(reason) codes (V(bad_input), V(missing),
    V(empty), V(checksum), V(download), V(cache), V(lock)) beside its message.
"""

EXAMPLES = r"""
- name: Get the installer this host needs (on the controller)
  unil.backup.comet_installer:
    source: server
    server_url: https://cometbackup.example.org/
    admin_username: admin
    admin_password: "{{ vault_comet_admin_password }}"
    variant: linuxgeneric
    version: 24.6.0
    product_name: Comet Backup UNIL
    cache_dir: "{{ lookup('ansible.builtin.env', 'HOME') }}/.cache/unil.backup/comet_client"
  register: installer

- name: A downloaded installer, checked against its sha256
  unil.backup.comet_installer:
    source: url
    url: https://downloads.example.org/Comet_Backup_UNIL-24.6.0.run
    sha256: 0f2b6c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c
    cache_dir: /var/cache/unil.backup
"""

RETURN = r"""
path:
  description: The installer on the controller (O(file) itself for O(source=file)).
  returned: success
  type: str
sha256:
  description: Its sha256.
  returned: success
  type: str
name:
  description: Its file name.
  returned: always
  type: str
source:
  description: O(source).
  returned: success
  type: str
cached:
  description: Whether it was found in the cache (a copy, or the remembered sha256 of O(file)) rather than read again.
  returned: success
  type: bool
changed:
  description: Whether this call downloaded it.
  returned: always
  type: bool
stage:
  description: Where a failure happened (V(input) or V(fetch)).
  returned: failure
  type: str
reason:
  description: Why, as a code.
  returned: failure
  type: str
"""
