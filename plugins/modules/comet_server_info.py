#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_server_info
short_description: Read the Comet Server's version, the version of the clients it generates
version_added: 0.2.0
description:
  - One read of C(meta/version) through the collection's Comet Server client (retries, the JSON C(Status) of the answer
    checked, no password in any output). Role C(unil.backup.comet_client) uses it once per server and run to know which
    client version C(branding/generate-client) hands out.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
options: {}
"""

EXAMPLES = r"""
- name: Which client version does the server hand out?
  unil.backup.comet_server_info:
    server_url: https://cometbackup.unil.ch/
    admin_username: "{{ vault_comet_admin_username }}"
    admin_password: "{{ vault_comet_admin_password }}"
  delegate_to: localhost
  run_once: true
  register: comet_server
"""

RETURN = r"""
version:
  description: The server's version (also the version of the clients it generates).
  returned: success
  type: str
  sample: 24.6.0
api:
  description: API call counters of this run (no secret).
  returned: always
  type: dict
"""

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometAdminClient, CometApiError, comet_argument_spec
from ansible_collections.unil.backup.plugins.module_utils._comet_model import api_counters


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    return comet_argument_spec()


def constraints():
    """What the module passes to AnsibleModule beside its options: nothing."""
    return {}


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    client = CometAdminClient.from_module(module)
    try:
        version = client.version()
    except CometApiError as exc:
        module.fail_json(msg=str(exc), api=api_counters(client))
    module.exit_json(changed=False, version=version, api=api_counters(client))


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
