# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: comet_server_version
author:
  - UNIL Ci (Centre informatique) backup team (!UNKNOWN)
version_added: 0.3.0
short_description: The version of a Comet Server, which is the version of the clients it generates
description:
  - Asks the Comet Server admin API (C(meta/version)) for its version, from the controller, through the collection's
    shared API client (retries, a JSON error under HTTP 200 refused, the password never in a message).
  - Role M(unil.backup.comet_client) uses it to decide whether a host's client must be installed or upgraded, without
    running a module for it. M(unil.backup.comet_server_info) returns the same value as a task.
options:
  server_url:
    description:
      - Base URL of the Comet Server, for example C(https://cometbackup.unil.ch/). Without credentials in it.
    type: str
    required: true
    env:
      - name: COMET_SERVER_URL
  admin_username:
    description: Name of the Comet Server administrator.
    type: str
    required: true
    env:
      - name: COMET_ADMIN_USERNAME
  admin_password:
    description: Password of O(admin_username); keep it in a vault.
    type: str
    required: true
    env:
      - name: COMET_ADMIN_PASSWORD
  validate_certs:
    description: Whether to verify the TLS certificate of the server.
    type: bool
    default: true
  ca_path:
    description: PEM file of the certificate authorities to trust for the server certificate; empty for the system ones.
    type: str
    default: ""
  timeout:
    description: Timeout in seconds of each HTTP request.
    type: int
    default: 30
notes:
  - Runs on the controller, in the process that templates the task, once per use.
seealso:
  - module: unil.backup.comet_server_info
"""

EXAMPLES = r"""
- name: Show the server's version
  ansible.builtin.debug:
    msg: "{{ lookup('unil.backup.comet_server_version', server_url='https://cometbackup.example.org/',
                    admin_username=comet_admin, admin_password=comet_admin_password) }}"
"""

RETURN = r"""
_raw:
  description: The server's version, for example C(24.6.0).
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometAdminClient, CometApiError


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("unil.backup.comet_server_version takes no terms, only options (server_url=...)")
        self.set_options(var_options=variables, direct=kwargs)
        opts = dict((key, self.get_option(key)) for key in
                    ("server_url", "admin_username", "admin_password", "validate_certs", "ca_path", "timeout"))
        for key in ("server_url", "admin_username", "admin_password"):
            if not opts[key]:
                raise AnsibleLookupError("unil.backup.comet_server_version: %s is required" % key)
        try:
            client = CometAdminClient(opts["server_url"], opts["admin_username"], opts["admin_password"],
                                      validate_certs=opts["validate_certs"], ca_path=opts["ca_path"] or None,
                                      timeout=opts["timeout"] or 30)
            return [client.version()]
        except (ValueError, CometApiError) as exc:
            raise AnsibleLookupError("unil.backup.comet_server_version: %s" % exc)
