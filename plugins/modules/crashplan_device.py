#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: crashplan_device
short_description: Deactivate (or reactivate) a device on the CrashPlan server
version_added: 0.1.0
description:
  - Finds a device (computer) on a CrashPlan / Code42 server by its GUID or by its name, and deactivates it, through
    the vendor's Python client C(pycpg).
  - Deactivating the device of a computer whose CrashPlan client was removed stops the server's alert mails
    (C(Warning - <computer> not backed up) after 4 days, C(Critical) after 7). It also stops that device's backups and
    sends its archives to cold storage; a device on a legal hold cannot be deactivated.
  - "The module runs on the controller (C(delegate_to: localhost)); nothing is done on the managed host."
  - A device that is already in the requested state is left alone (not changed). In check mode the server is read
    (login and lookup) and nothing is written.
author:
  - UNIL (@UNIL)
requirements:
  - pycpg == 1.0.5 (the CrashPlan Python SDK, which needs Python 3.11 or later) on the host that runs the module.
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  server_url:
    description:
      - The CrashPlan console's address, C(https://host[:port]) (no path), for example V(https://console.us2.crashplan.com).
      - When not set, the environment variable E(CRASHPLAN_SERVER_URL) is used.
    type: str
    required: true
  username:
    description:
      - A local CrashPlan account allowed to manage the device (SSO accounts and accounts with two-factor
        authentication cannot log in this way).
      - When not set, the environment variable E(CRASHPLAN_USERNAME) is used.
    type: str
    required: true
  password:
    description:
      - The password of O(username). It is never returned, logged or shown in an error.
      - When not set, the environment variable E(CRASHPLAN_PASSWORD) is used.
    type: str
    required: true
  validate_certs:
    description:
      - Check the server's TLS certificate. Only set V(false) against a test server.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of the CA certificates that sign the server's certificate, instead of the system's bundle.
    type: path
  device_guid:
    description:
      - The device's GUID, the C(guid=) of CrashPlan's C(.identity) file (the role M(unil.backup.crashplan_removal)
        reports it as C(crashplan_removal_result.guid)).
      - Exactly one of O(device_guid) and O(device_name) is required.
    type: str
  device_name:
    description:
      - The device's name on the server (or, when no device has that name, its OS hostname), case-insensitive.
      - The name must designate one device; a reinstalled computer may have an older device of the same name, and
        then O(device_guid) is needed.
    type: str
  state:
    description:
      - V(deactivated) deactivates the device; V(active) reactivates a deactivated device.
    type: str
    choices: [deactivated, active]
    default: deactivated
notes:
  - Only the endpoints C(pycpg) 1.0.5 calls are used - C(GET /api/v3/auth/jwt) (login), C(GET /api/v1/Computer/<guid>?idType=guid)
    or C(GET /api/v1/Computer?q=<name>) (lookup), C(POST /api/v38/computer-deactivation/update) (or C(/remove)).
  - An unknown device is an error, also with O(state=deactivated) - a wrong GUID must not look like success.
  - The role C(unil.backup.crashplan_removal) calls this module after a removal when C(crashplan_removal_deactivate_on_server)
    is set.
seealso:
  - module: unil.backup.crashplan_facts
"""

EXAMPLES = r"""
- name: Deactivate the host's CrashPlan device once the client is removed
  unil.backup.crashplan_device:
    server_url: https://crashplan.unil.ch:4285
    username: ansible-crashplan
    password: "{{ vault_crashplan_password }}"
    device_guid: "{{ crashplan_removal_result.guid }}"
  delegate_to: localhost
  no_log: true
  when: crashplan_removal_result.removed and crashplan_removal_result.guid | length > 0

- name: Deactivate a device by its name (credentials from CRASHPLAN_* environment variables)
  unil.backup.crashplan_device:
    device_name: old-laptop-42
  delegate_to: localhost

- name: Reactivate a device deactivated by mistake
  unil.backup.crashplan_device:
    device_guid: "941855493659205632"
    state: active
  delegate_to: localhost
"""

RETURN = r"""
device:
  description: The device after the task (in check mode, as it would be).
  returned: when the device was found
  type: dict
  contains:
    computer_id:
      description: The server's numeric ID of the device.
      type: int
      sample: 1001
    guid:
      description: The device's GUID.
      type: str
      sample: "941855493659205632"
    name:
      description: The device's name on the server.
      type: str
      sample: lab-pc-12
    os_hostname:
      description: The hostname the client reported.
      type: str
      sample: lab-pc-12.unil.ch
    status:
      description: The server's status text.
      type: str
      sample: Deactivated
    active:
      description: Whether the device is active.
      type: bool
      sample: false
action:
  description: What was done (or, in check mode, would be done) - V(deactivate), V(reactivate) or V(none).
  returned: when the device was found
  type: str
  sample: deactivate
"""

import traceback
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.unil.backup.plugins.module_utils._crashplan_server import (
    CrashPlanInputError,
    after,
    check_guid,
    check_name,
    plan,
    pick_by_name,
    scrub,
    view,
)

PYCPG_IMPORT_ERROR = None
try:
    import pycpg.sdk
    import pycpg.settings
    from pycpg.exceptions import (
        PycpgActiveLegalHoldError,
        PycpgError,
        PycpgForbiddenError,
        PycpgHTTPError,
        PycpgNotFoundError,
        PycpgUnauthorizedError,
    )
    from requests.exceptions import RequestException, SSLError
except ImportError:
    PYCPG_IMPORT_ERROR = traceback.format_exc()


def check_server_url(url):
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/") or parts.query \
            or parts.fragment or parts.username or parts.password:
        shown = "%s://%s%s" % (parts.scheme, parts.hostname or "", parts.path) if parts.scheme else "a value without scheme"
        raise CrashPlanInputError(
            "server_url must be the CrashPlan console's address, https://host[:port] with no path, query or credentials, "
            "got %s" % (shown[:120],))
    return "%s://%s" % (parts.scheme, parts.netloc)


def _text(err):
    """The server's short answer in a pycpg HTTP error (never a request header)."""
    response = getattr(err, "response", None)
    return (getattr(response, "text", "") or "")[:300]


class Server(object):
    """The calls the module makes, each turning pycpg's errors into one clear message without a secret."""

    def __init__(self, module, url):
        self.module = module
        self.url = url
        self.secrets = [module.params["password"]]
        self.sdk = None

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=scrub(msg, self.secrets), **kwargs)

    def call(self, what, func, *args, **kwargs):
        not_found = kwargs.pop("not_found", None)
        try:
            return func(*args)
        except PycpgActiveLegalHoldError:
            self.fail("the CrashPlan server refused to %s: the device is on a legal hold" % what)
        except PycpgUnauthorizedError:
            self.fail("the CrashPlan server at %s refused the login of %r (HTTP 401) while trying to %s: check username and "
                      "password (a local CrashPlan account; SSO and two-factor accounts cannot be used)"
                      % (self.url, self.module.params["username"], what))
        except PycpgForbiddenError:
            self.fail("the CrashPlan server at %s refused to %s (HTTP 403): the account %r lacks the permission"
                      % (self.url, what, self.module.params["username"]))
        except PycpgNotFoundError as err:
            if not_found:
                self.fail(not_found)
            self.fail("the CrashPlan server at %s answered HTTP 404 while trying to %s: %s" % (self.url, what, _text(err)))
        except PycpgHTTPError as err:
            status = getattr(getattr(err, "response", None), "status_code", "?")
            self.fail("the CrashPlan server at %s answered HTTP %s while trying to %s: %s" % (self.url, status, what, _text(err)))
        except SSLError:
            self.fail("TLS error talking to the CrashPlan server at %s to %s: its certificate was not accepted "
                      "(see ca_path and validate_certs)" % (self.url, what))
        except RequestException as err:
            self.fail("cannot reach the CrashPlan server at %s to %s (%s)" % (self.url, what, type(err).__name__))
        except PycpgError as err:
            self.fail("CrashPlan client error while trying to %s: %s" % (what, err))
        return None  # not reached: fail_json exits

    def login(self):
        params = self.module.params
        self.sdk = self.call("log in", pycpg.sdk.from_local_account, self.url, params["username"], params["password"])

    def by_guid(self, guid):
        response = self.call("read the device %s" % guid, self.sdk.devices.get_by_guid, guid,
                             not_found="no device with GUID %s on the CrashPlan server at %s" % (guid, self.url))
        return dict(response.data)

    def by_name(self, name):
        computers = []

        def pages():
            for page in self.sdk.devices.get_all(q=name):
                computers.extend(page["computers"] or [])

        self.call("search the devices named %r" % name, pages)
        return pick_by_name(computers, name)

    def write(self, action, computer_id):
        func = self.sdk.devices.deactivate if action == "deactivate" else self.sdk.devices.reactivate
        self.call("%s the device %s" % (action, computer_id), func, computer_id)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            server_url=dict(type="str", required=True, fallback=(env_fallback, ["CRASHPLAN_SERVER_URL"])),
            username=dict(type="str", required=True, fallback=(env_fallback, ["CRASHPLAN_USERNAME"])),
            password=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["CRASHPLAN_PASSWORD"])),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            device_guid=dict(type="str"),
            device_name=dict(type="str"),
            state=dict(type="str", choices=["deactivated", "active"], default="deactivated"),
        ),
        mutually_exclusive=[("device_guid", "device_name")],
        required_one_of=[("device_guid", "device_name")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        url = check_server_url(params["server_url"])
        guid = check_guid(params["device_guid"]) if params["device_guid"] is not None else None
        name = check_name(params["device_name"]) if params["device_name"] is not None else None
    except CrashPlanInputError as err:
        module.fail_json(msg=scrub(err, [params["password"]]))
    if PYCPG_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("pycpg"), exception=PYCPG_IMPORT_ERROR)

    if not params["validate_certs"]:
        pycpg.settings.verify_ssl_certs = False
    elif params["ca_path"]:
        pycpg.settings.verify_ssl_certs = params["ca_path"]
    else:
        pycpg.settings.verify_ssl_certs = True

    server = Server(module, url)
    server.login()
    try:
        computer = server.by_guid(guid) if guid is not None else server.by_name(name)
    except CrashPlanInputError as err:
        server.fail(str(err))
    action = plan(computer, params["state"])
    target = after(computer, action)
    result = dict(changed=action is not None, action=action or "none", device=view(target))
    if module._diff:
        result["diff"] = {
            "before": {"guid": view(computer)["guid"], "status": view(computer)["status"]},
            "after": {"guid": view(target)["guid"], "status": view(target)["status"]},
        }
    if action is not None and not module.check_mode:
        server.write(action, computer["computerId"])
        now = server.by_guid(str(computer["guid"]))
        if plan(now, params["state"]) is not None:
            server.fail("the CrashPlan server accepted to %s the device %s but still reports it as %s"
                        % (action, computer["guid"], view(now)["status"]))
        result["device"] = view(now)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
