# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin unil.backup.comet_installer: the Comet Backup client installer a host needs, fetched on the controller
(once per distinct installer, whatever the number of hosts and forks), checked and cached. Runs in the controller's
worker: nothing runs on the host, no connection to it is opened. The logic is plugins/module_utils/_comet_installer.py;
the documentation plugins/modules/comet_installer.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.unil.backup.plugins.module_utils._comet_api import run_identity
from ansible_collections.unil.backup.plugins.module_utils._comet_installer import InstallerError, SOURCES, fetch

ARGUMENT_SPEC = dict(
    source=dict(type="str", required=True, choices=list(SOURCES)),
    file=dict(type="path"),
    url=dict(type="str"),
    sha256=dict(type="str", default=""),
    variant=dict(type="str", default=""),
    version=dict(type="str", default=""),
    product_name=dict(type="str", default=""),
    name=dict(type="str", default=""),
    cache_dir=dict(type="path", required=True),
    server_url=dict(type="str"),
    admin_username=dict(type="str"),
    admin_password=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=30),
    # accepted from module_defaults of the comet action group; the installer's locks live in cache_dir
    lock_dir=dict(type="path"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    # the installer is the controller's business: no connection to the host
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=exc.message, stage="input", reason="bad_input")
            return result
        # what each source needs is checked by fetch() (_comet_installer.check_request), naming the role variables
        secrets = [args[k] for k in ("admin_password",) if args.get(k)]
        # check mode too: the installer's version is what later steps compare, and the cache is the controller's
        try:
            # this run of ansible-playbook (the process the forks descend from): the same rule as the API client's
            result.update(fetch(args, run_id=run_identity()))
        except InstallerError as exc:
            result.update(exc.as_result())
        return remove_values(result, secrets) if secrets else result
