#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_install_token
short_description: Create a single-use install token for a Comet account, so that no password reaches the host
version_added: 0.3.0
description:
  - Asks the Comet Server (C(create-install-token)) for an install token of O(account), checked against the account's
    O(password). The Windows installer takes it as C(/TOKEN=), the macOS package through C(BACKUP_APP_TOKEN); the
    end user's password stays on the controller.
  - The token can register one device once, and expires (Comet sets its lifetime). Create it just before the install,
    for that host; every run creates a new one, so the module always reports a change (not in check mode).
  - "Register the result with C(no_log: true): the token is a credential until it is used."
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
    details: In check mode no token is created and RV(token) is empty.
  diff_mode:
    support: none
options:
  account:
    description: The Comet account (username) the device is registered to.
    type: str
    required: true
  password:
    description: The password of O(account). Sent in the body of the request only.
    type: str
    required: true
  server:
    description:
      - The Comet Server address the client connects to, carried in the token (for prebuilt clients without a server
        URL). Defaults to the server's own setting.
      - The rule of O(server_url) applies (an http or https URL, no credentials, query or fragment).
    type: str
"""

EXAMPLES = r"""
- name: Create the host's install token
  unil.backup.comet_install_token:
    server_url: https://cometbackup.unil.ch/
    admin_username: "{{ vault_comet_admin_username }}"
    admin_password: "{{ vault_comet_admin_password }}"
    account: "{{ comet_client_username }}"
    password: "{{ comet_client_password }}"
  delegate_to: localhost
  no_log: true
  register: install_token
"""

RETURN = r"""
token:
  description: The install token (empty in check mode).
  returned: success
  type: str
expires:
  description: When the token expires (unix seconds; 0 in check mode).
  returned: success
  type: int
api:
  description: API call counters of this run (no secret).
  returned: always
  type: dict
"""

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometAdminClient, CometApiError, comet_argument_spec
from ansible_collections.unil.backup.plugins.module_utils._comet_model import api_counters
from ansible_collections.unil.backup.plugins.module_utils._comet_url import url_problem


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    spec = comet_argument_spec()
    spec.update(account=dict(type="str", required=True), password=dict(type="str", required=True, no_log=True),
                server=dict(type="str"))
    return spec


def constraints():
    """What the module passes to AnsibleModule beside its options: nothing."""
    return {}


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    if not p["account"].strip() or any(ch in p["account"] for ch in "\r\n\t\x00 "):
        module.fail_json(msg="account: %r is not a Comet username" % p["account"])
    if p["server"] is not None and url_problem(p["server"], "server"):  # the server URL's rule, never showing it
        module.fail_json(msg="server: %s" % url_problem(p["server"], "server"))
    client = CometAdminClient.from_module(module)
    if module.check_mode:
        module.exit_json(changed=True, token="", expires=0, api=api_counters(client))
    try:
        answer = client.create_install_token(p["account"], p["password"], p["server"])
    except CometApiError as exc:
        module.fail_json(msg=str(exc), api=api_counters(client))
    token = str((answer or {}).get("Token") or "") if isinstance(answer, dict) else ""
    if not token:
        module.fail_json(msg="Comet Server API create-install-token answered without a Token", api=api_counters(client))
    module.exit_json(changed=True, token=token, expires=int(answer.get("ExpireTime") or 0), api=api_counters(client))


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
