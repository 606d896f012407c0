#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_exclusions
short_description: User-level and system-level exclusions of Comet Backup
version_added: 0.1.0
description:
  - "Manages the two levels of exclusions UNIL uses:"
  - "O(level=user): exclusions the person may edit, stored on the device's protected item as C(EngineProps):
    globs as C(EXCLUDE<suffix>), regular expressions as C(REXCLUDE<suffix>). A new entry's suffix is the first 16 hex
    digits of the sha256 of its value; an entry already stored keeps its key."
  - "O(level=system): exclusions the person cannot edit, stored in a policy's C(FileAndFolderMandatoryExclusions) as
    C({Exclude, Regex: true, RestrictOS}) with RestrictOS 0 (any OS), 1 (Windows), 4 (macOS), 5 (Linux), through
    C(policies/get) and C(policies/set) with C(CheckPolicyHash). Accounts follow the policy through their C(PolicyID).
    The policy is given by O(policy_id), or by O(policy_name), looked up with C(policies/list)."
  - >-
    O(defaults=true) adds the UNIL defaults, shipped once in the collection: for O(level=user) the globs for the
    device's OS; for O(level=system) the regexes for all OSes, Windows, macOS and Linux. The seed's
    "/Users/**/.DS_Store" is not a valid regular expression; it is written as "/Users/.*/\.DS_Store". The macOS set
    also holds ".*/Library/Metadata/CoreSpotlight/.*", which the seed announces for the next update of the system
    exclusions. Two seed entries are written byte-exact although they look mistyped, for the site to confirm -
    ".*/(cookies|permissions).sqllite(-.{3})?" and ".*/lost\ found/.*".
  - >-
    O(optional_defaults) adds optional UNIL sets at O(level=system), with or without O(defaults) - V(datavaults) is
    the macOS ".*/Library/Containers/com.apple.mail/Data/DataVaults(/.*)?", which avoids the seed's "DataVaults"
    warning on macOS 10.15 and older (the seed recommends upgrading macOS instead).
  - >-
    Every regular expression is compiled first; an invalid one fails naming the option and the pattern, before
    anything is written. A glob must be an absolute path for the device's OS or start with "*".
  - >-
    Accented characters (known problem): Comet does not apply an exclusion holding an accented character when the
    name on disk is stored in the other Unicode normalisation form (macOS before 12 stores names decomposed). For such
    a pattern the module warns and, unless O(accent_workaround=false), also writes one regular expression (REXCLUDE on
    the item, or a policy entry next to the original at the system level) that matches both forms.
  - >-
    For a glob, for example "/Users/*/OneDrive - Université de Lausanne" on macOS, the regex written is
    "^/Users/[^/]*/OneDrive - Universit(?:é|é) de Lausanne(?:/.*)?$", where the second "é" is the decomposed
    form ("e" followed by U+0301). It is built so - the glob is normalised to NFC; each accented character becomes
    "(?:composed|decomposed)"; "**" becomes ".*", "*" becomes "[^/]*", "?" becomes "[^/]"; the metacharacters
    backslash . ^ $ | ? * + ( ) [ ] { } are escaped with a backslash, every other character is written as is; the
    regex is anchored with "^" and ends with "(?:/.*)?$" so that it also matches everything below the path.
    On Windows each run of "\" or "/" becomes "[/\\]+", "*" becomes "[^/\\]*", the end is "(?:[/\\].*)?$" and the
    regex starts with "(?i)" (Windows paths are case-insensitive).
  - >-
    For an accented regex, every accented character outside a character class gets the same alternation and the
    variant is written next to the original; accented characters inside "[...]" are only warned about.
  - With O(state=absent) the workaround regexes of the given patterns are removed too.
  - Only the exclusions are changed; every other field of the profile or policy is kept as stored.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.comet
  - unil.backup.attributes
  - unil.backup.attributes.comet_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  level:
    description: V(user) for the device's protected item, V(system) for a policy.
    type: str
    choices: [user, system]
    default: user
  account:
    description: O(level=user) - the Comet user account (username) the device is registered to.
    type: str
  device_id:
    description: O(level=user) - the device ID. One of O(device_id) and O(device_name) is required.
    type: str
  device_name:
    description: O(level=user) - the device's current name (unique in the account).
    type: str
  item_name:
    description:
      - O(level=user) - name of the device's protected item. Defaults to the UNIL name for the device's OS; when the
        device has a single files-and-folders item, that one is used whatever its name.
    type: str
  globs:
    description: O(level=user) - glob exclusions (C(EXCLUDE*)).
    type: list
    elements: str
    default: []
  regexes:
    description: O(level=user) - regular-expression exclusions (C(REXCLUDE*)).
    type: list
    elements: str
    default: []
  policy_id:
    description:
      - O(level=system) - the policy ID (see C(policies/list)). One of O(policy_id) and O(policy_name) is required.
    type: str
  policy_name:
    description:
      - O(level=system) - the policy's name (its C(Description), what the Comet Server's interface shows), looked up
        with C(policies/list). No policy of that name, or several, fails naming them, before anything is written.
    type: str
  system:
    description: O(level=system) - regular expressions per OS.
    type: dict
    default: {}
    suboptions:
      any:
        description: For every OS (RestrictOS 0).
        type: list
        elements: str
      windows:
        description: Windows only (RestrictOS 1).
        type: list
        elements: str
      macos:
        description: macOS only (RestrictOS 4).
        type: list
        elements: str
      linux:
        description: Linux only (RestrictOS 5).
        type: list
        elements: str
  defaults:
    description: Add the UNIL default exclusions of the level (see above) to the given ones.
    type: bool
    default: false
  optional_defaults:
    description:
      - O(level=system) - optional UNIL sets to add to the given exclusions (see above). With O(state=exact), a set
        not named here is removed from the policy.
    type: list
    elements: str
    choices: [datavaults]
    default: []
  state:
    description:
      - V(present) adds the given exclusions, V(absent) removes them, V(exact) makes the level hold exactly them
        (for O(level=user), both the C(EXCLUDE*) and the C(REXCLUDE*) entries of the item).
    type: str
    choices: [present, absent, exact]
    default: present
  accent_workaround:
    description: Also write the NFC/NFD regex described above for patterns with accented characters.
    type: bool
    default: true
seealso:
  - module: unil.backup.comet_profile
"""

EXAMPLES = r"""
- name: The UNIL user-level exclusions for the device's OS, exactly
  unil.backup.comet_exclusions:
    account: pnom
    device_id: "{{ comet_device_id }}"
    defaults: true
    state: exact
  delegate_to: localhost

- name: Exclude a scratch folder on a lab machine, keep the rest
  unil.backup.comet_exclusions:
    account: lab-chimie
    device_id: "{{ comet_device_id }}"
    globs:
      - /home/*/scratch
    regexes:
      - '(?i).*\.iso'
  delegate_to: localhost

- name: The UNIL system-level exclusions in the UNIL policy
  unil.backup.comet_exclusions:
    level: system
    policy_id: "{{ comet_policy_id }}"
    defaults: true
    state: exact
  run_once: true
  delegate_to: localhost

- name: The same in the policy named "UNIL", with the DataVaults exclusion for old Macs and a site's own
  unil.backup.comet_exclusions:
    level: system
    policy_name: UNIL
    defaults: true
    optional_defaults: [datavaults]
    system:
      linux: ['/var/tmp/.*']
    state: exact
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
device_id:
  description: O(level=user) - the device ID.
  returned: level is user
  type: str
item_id:
  description: O(level=user) - key of the protected item.
  returned: level is user
  type: str
globs:
  description: O(level=user) - the item's glob exclusions after the change.
  returned: level is user
  type: list
  elements: str
regexes:
  description: O(level=user) - the item's regex exclusions after the change (workaround regexes included).
  returned: level is user
  type: list
  elements: str
exclusions:
  description: O(level=system) - the policy's mandatory exclusions after the change, per OS (V(any), V(windows), V(macos), V(linux)).
  returned: level is system
  type: dict
  sample: {linux: ["/tmp/.*"]}
policy_id:
  description: O(level=system) - the policy's ID (the one given, or the one O(policy_name) names).
  returned: level is system
  type: str
  sample: pol-unil
policy_name:
  description: O(level=system) - the policy's name (its C(Description)) as stored.
  returned: level is system
  type: str
  sample: UNIL
workarounds:
  description: Each accented pattern and the regex written for it (null when none was written).
  returned: success
  type: dict
  sample: {"/Users/*/OneDrive - Université de Lausanne": "^/Users/[^/]*/OneDrive - Universit(?:é|é) de Lausanne(?:/.*)?$"}
refetched:
  description: O(level=user) - whether the device was asked to reload its profile after the change.
  returned: always
  type: bool
api:
  description: API calls this task made.
  returned: always
  type: dict
"""

import time

# AnsibleModule whose refusal of a wrong-typed option names the option and what to write
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import CometModule as AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    comet_argument_spec,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_device_module import run_device_update
from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import (
    OPTIONAL_SYSTEM_SETS,
    SYSTEM_LEVELS,
    apply_system_exclusions,
    check_exclusions_options,
    default_system_exclusions,
    policy_error,
    policy_id_by_name,
    restrict_os_name,
    system_exclusions_plan,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
    api_counters,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_settings import (
    exclusions_view as user_view,
    set_user_exclusions,
    warn_if_suspended,
)

MANDATORY = "FileAndFolderMandatoryExclusions"


def _user_policy(policy):
    """The UserPolicy inside a GroupPolicy ({Description, Policy: {...}}), or the object itself."""
    if isinstance(policy.get("Policy"), dict):
        return policy["Policy"]
    return policy


def system_view(policy):
    out = {}
    for entry in _user_policy(policy or {}).get(MANDATORY) or []:
        name = restrict_os_name(entry.get("RestrictOS") or 0)
        out.setdefault(name, []).append(entry.get("Exclude") if entry.get("Regex") else "%s (glob)" % entry.get("Exclude"))
    return out


def run_user(module, result):
    p = module.params
    now = int(time.time())

    def plan(profile):
        return set_user_exclusions(profile, p["device_id"], p["device_name"], item_name=p["item_name"], globs=p["globs"],
                                   regexes=p["regexes"], state=p["state"], defaults=p["defaults"],
                                   accent_workaround=p["accent_workaround"], now=now)

    def report(update, found, dummy_online):
        after = user_view(update.after, found)
        return dict(device_id=found["device_id"], item_id=found["item_id"], globs=after["globs"], regexes=after["regexes"],
                    workarounds=found["workarounds"])

    run_device_update(module, p["account"], warn_if_suspended(plan, p["account"]), report, user_view, result)


def run_system(module, client, result):
    p = module.params
    wanted = dict((level, list(p["system"].get(level) or [])) for level in SYSTEM_LEVELS)
    if p["defaults"] or p["optional_defaults"]:
        for level, patterns in default_system_exclusions(p["optional_defaults"], unil_set=p["defaults"]).items():
            wanted[level] = patterns + [x for x in wanted[level] if x not in patterns]
    workarounds = {}
    entries, warnings = system_exclusions_plan(wanted, p["accent_workaround"], workarounds)
    for warning in warnings:
        module.warn(warning)

    def change(policy):
        user_policy = _user_policy(policy)
        new = apply_system_exclusions(user_policy.get(MANDATORY), entries, p["state"])
        if new != (user_policy.get(MANDATORY) or []):
            user_policy[MANDATORY] = new
        return policy

    policy_id = p["policy_id"]
    if policy_id is None:
        policy_id = policy_id_by_name(client.list_policies(), p["policy_name"])
    result["policy_id"] = policy_id
    update = client.update_policy(policy_id, change, check_mode=module.check_mode)
    result.update(exclusions=system_view(update.after), changed=bool(update.changed), workarounds=workarounds,
                  policy_name=(update.after or {}).get("Description", ""))
    if module._diff:
        result["diff"] = {"before": system_view(update.before), "after": system_view(update.after)}


def argument_spec():
    """The module's options (also validated in the controller by its action plugin, plugins/action)."""
    spec = comet_argument_spec()
    spec.update(
        level=dict(type="str", choices=["user", "system"], default="user"),
        account=dict(type="str"),
        device_id=dict(type="str"),
        device_name=dict(type="str"),
        item_name=dict(type="str"),
        globs=dict(type="list", elements="str", default=[]),
        regexes=dict(type="list", elements="str", default=[]),
        policy_id=dict(type="str"),
        policy_name=dict(type="str"),
        system=dict(type="dict", default={}, options=dict(
            any=dict(type="list", elements="str"),
            windows=dict(type="list", elements="str"),
            macos=dict(type="list", elements="str"),
            linux=dict(type="list", elements="str"),
        )),
        defaults=dict(type="bool", default=False),
        optional_defaults=dict(type="list", elements="str", choices=list(OPTIONAL_SYSTEM_SETS), default=[]),
        state=dict(type="str", choices=["present", "absent", "exact"], default="present"),
        accent_workaround=dict(type="bool", default=True),
    )
    return spec


def constraints():
    """What the module passes to AnsibleModule beside its options: one device and one policy, by ID or by name; a
    policy for level=system, an account and a device for level=user."""
    return dict(
        mutually_exclusive=[("device_id", "device_name"), ("policy_id", "policy_name")],
        required_if=[
            ("level", "system", ["policy_id", "policy_name"], True),
            ("level", "user", ["account"]),
            ("level", "user", ["device_id", "device_name"], True),
        ],
    )


def run(module):
    """The module's work, given an AnsibleModule or the controller's stand-in for one (plugins/plugin_utils); exits
    through module.exit_json / fail_json."""
    p = module.params
    result = dict(changed=False, refetched=False, workarounds={})
    try:
        check_exclusions_options(p)
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)

    if p["level"] == "user":
        run_user(module, result)
    client = CometAdminClient.from_module(module)
    try:
        run_system(module, client, result)
    except CometInputError as exc:
        module.fail_json(msg=str(exc), **result)
    except CometApiError as exc:
        result["api"] = api_counters(client)
        module.fail_json(msg=policy_error(exc, result.get("policy_id")), **result)
    result["api"] = api_counters(client)
    module.exit_json(**result)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **constraints()))


if __name__ == "__main__":
    main()
