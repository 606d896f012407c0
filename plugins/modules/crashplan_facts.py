#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: crashplan_facts
short_description: Detect the CrashPlan / Code42 backup client and plan its removal
version_added: 0.1.0
description:
  - Read-only. On a Linux or macOS host, finds the CrashPlan / Code42 backup client (every era from 4.x to 12.x) and
    returns what is installed, its services, its backup archives, and the exact removal plan - commands with their
    accepted return codes, paths to delete, and what is kept (backup archives, C(.identity), every user file).
  - "For a Windows host, run it on the controller (C(delegate_to: localhost)) with O(windows_probe), the raw registry
    and file probe gathered on the host by the role C(unil.backup.crashplan_removal); nothing is then read locally."
  - The Incydr agent C(Code42-AAT) is never reported nor touched.
  - With O(gate), also decides whether the removal may go ahead (the health gate of the role).
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
options:
  archives:
    description:
      - More backup archive folders to keep, besides those found in the defaults and in the CrashPlan configuration.
    type: list
    elements: str
    default: []
  uninstaller:
    description:
      - Linux only. Path on the host of the vendor's C(uninstall.sh) (from the installer tarball,
        C(crashplan-install/) or C(code42-install/)). When set and CrashPlan is installed, the plan runs it first.
    type: path
  windows_probe:
    description:
      - Windows only, on the controller. The probe of a Windows host - C(uninstall_entries) (raw Uninstall registry
        entries of both HKLM hives and of every HKU hive, each with C(Hive), C(Sid), C(KeyName) and the values),
        C(services), C(processes), C(existing_paths), C(config_texts), C(identity_text).
    type: dict
  log_dir:
    description:
      - Where the uninstallers write their logs. Defaults to C(C:\Windows\Temp) on Windows and C(/var/tmp) elsewhere.
    type: str
  gate:
    description:
      - Inputs of the health gate. Keys C(enabled) (bool, default true), C(comet) (C(installed), C(version),
        C(device_id), C(login_code), C(login_text)) and C(server) (C(required), C(error), C(known), C(account),
        C(require_backup), C(last_backup_ok), C(last_backup)).
      - The inputs are strict - C(enabled) must be a boolean (the string V(false) is an error, not a disabled gate);
        the other flags are booleans or the strings V(true)/V(false) (V(yes)/V(no), V(on)/V(off), V(1)/V(0)) read
        for what they say; C(login_code) is an integer; the texts are strings; an unknown key is an error. A bad
        input fails naming it (for example C(gate.comet.login_code)).
    type: dict
seealso:
  - module: unil.backup.comet_info
    description: The Comet Server side of the health gate of the role C(unil.backup.crashplan_removal), which uses this module.
"""

EXAMPLES = r"""
- name: Look for CrashPlan
  unil.backup.crashplan_facts:
  register: cp

- name: Report
  ansible.builtin.debug:
    msg: "CrashPlan {{ cp.crashplan.version }} in {{ cp.crashplan.install_dir }}; keeps {{ cp.crashplan.keep }}"
  when: cp.crashplan.present
"""

RETURN = r"""
crashplan:
  description: What was found and the removal plan.
  returned: always
  type: dict
  contains:
    present:
      description: Whether CrashPlan is installed (application, service, receipt or Windows product).
      type: bool
    os:
      description: V(linux), V(macos) or V(windows).
      type: str
    era:
      description: V(4.x), V(6-8.0), V(8.2-10.x), V(11+) or V(unknown).
      type: str
    edition:
      description: Edition as far as it can be told.
      type: str
    version:
      description: Installed version when known.
      type: str
    install_dir:
      description: Application folder (empty when CrashPlan is not installed).
      type: str
    services:
      description: Services, daemons and units found (C(name), C(kind), C(path), C(active), C(enabled)).
      type: list
      elements: dict
    guid:
      description: The device GUID from C(.identity) (to deactivate the device on the CrashPlan server).
      type: str
    archives:
      description: Backup archive folders considered (C(path), C(source), C(exists)); never deleted.
      type: list
      elements: dict
    steps:
      description: Linux and macOS commands to run, in order (C(name), C(argv), C(rc_ok), optional C(stdin), C(chdir)).
      type: list
      elements: dict
    actions:
      description: Windows actions per product (C(kind) win_package, command or per_user, C(argv), C(product_id), ...).
      type: list
      elements: dict
    remove:
      description: Paths to delete after the uninstallers (application files only).
      type: list
      elements: str
    keep:
      description:
        - What is kept on purpose (archives, identity, user files), each path with, where it says more, why and where.
        - An archive inside the install folder is kept with the folder that holds it, the folder's other content goes;
          once no application file is left, that folder no longer counts as CrashPlan (RV(crashplan.present) false)
          and is listed here with what it holds.
      type: list
      elements: str
gate:
  description: The health gate decision (C(open), C(reason), C(checks)).
  returned: when O(gate) is set
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _crashplan_host


def main():
    module = AnsibleModule(
        argument_spec=dict(
            archives=dict(type="list", elements="str", default=[]),
            uninstaller=dict(type="path"),
            windows_probe=dict(type="dict"),
            log_dir=dict(type="str"),
            gate=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for path in p["archives"]:
        if not path.strip():
            module.fail_json(msg="archives: an entry is empty")
    try:
        if p["windows_probe"] is not None:
            facts = cp.windows_facts(p["windows_probe"], p["log_dir"] or "C:\\Windows\\Temp", p["archives"])
        else:
            for path in p["archives"]:
                if not path.startswith("/"):
                    module.fail_json(msg="archives: %r is not an absolute path" % path)
            facts = _crashplan_host.gather_facts(module.run_command, p["archives"], p["uninstaller"])
    except cp.CrashPlanInputError as err:
        module.fail_json(msg=str(err))
    result = dict(changed=False, crashplan=facts)
    if p["gate"] is not None:
        gate = p["gate"]
        unknown = sorted(set(gate) - set(["enabled", "comet", "server"]))
        if unknown:
            module.fail_json(msg="gate: unknown key%s %s (known: comet, enabled, server)" % (
                "s" if len(unknown) > 1 else "", ", ".join(str(k) for k in unknown)))
        try:
            # strict inputs (gate_inputs): a string "false" or a login_code "abc" is an error naming it, never truthy
            result["gate"] = cp.decide_gate(facts["present"], gate.get("enabled", True), gate.get("comet"), gate.get("server"))
        except cp.CrashPlanInputError as err:
            module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
