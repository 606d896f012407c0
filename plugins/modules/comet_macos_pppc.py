#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: comet_macos_pppc
short_description: Write the PPPC configuration profile that grants Comet Backup Full Disk Access on macOS
version_added: 0.3.0
description:
  - Renders a C(.mobileconfig) with one Privacy Preferences Policy Control payload
    (C(com.apple.TCC.configuration-profile-policy)) whose C(Services.SystemPolicyAllFiles) grants Full Disk Access to
    each app of O(apps), and writes it as C(<identifier>.mobileconfig) in O(dest), mode 0644, only when its bytes differ.
  - macOS honours such a profile only when a user-approved MDM delivers it; neither the Comet Backup installer nor
    this collection can grant Full Disk Access on the Mac. The file is for the MDM administrator. Module
    M(unil.backup.host_info) then tells whether a Mac has it (O(unil.backup.host_info#module:profile_identifier)).
  - The payload UUIDs derive from O(organization) and O(identifier) only, and the XML keys are sorted, so the same
    input always gives the same bytes (an MDM sees an unchanged profile as unchanged).
  - "Meant for the controller (C(delegate_to: localhost), C(run_once)). The profile is unsigned; sign it in the MDM if
    it requires signed profiles."
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written; the module reports whether it would write.
  diff_mode:
    support: full
    details: The diff shows the XML of the file before and after.
options:
  apps:
    description:
      - The programs granted Full Disk Access. Read their values on a Mac with C(codesign -dr - <path>) on the
        C(.app) and on its C(Contents/MacOS/backup-tool); grant both.
    type: list
    elements: dict
    required: true
    suboptions:
      identifier:
        description:
          - The bundle ID (for example the branding's C(PackageIdentifier)) or the path of the program.
          - A path relative to the app bundle (C(Contents/MacOS/backup-tool); C(.) for the bundle itself) is written
            once for each bundle of O(app_paths). An absolute path inside an app bundle that is not one of
            O(app_paths) is moved into each of them (the same path inside the bundle), so that the bundle is the one
            found on the Macs, not an assumed one.
        type: str
        required: true
      identifier_type:
        description: What O(apps[].identifier) is.
        type: str
        required: true
        choices: [bundleID, path]
      code_requirement:
        description:
          - The designated code requirement of the program (the C(designated =>) line of C(codesign -dr -), without
            C(designated =>)). macOS grants the access only to code that satisfies it.
        type: str
        required: true
      comment:
        description: A note kept in the profile.
        type: str
        default: Comet Backup reads every file it backs up (Full Disk Access)
  organization:
    description: The organisation shown in the profile (C(PayloadOrganization)); also seeds the payload UUIDs.
    type: str
    required: true
  identifier:
    description:
      - The profile's C(PayloadIdentifier), reverse-DNS (letters, digits, C(.), C(_), C(-)); also the file name and
        what M(unil.backup.host_info) looks for on the Macs.
    type: str
    required: true
  dest:
    description: The directory the profile is written to. It must exist.
    type: path
    required: true
  app_paths:
    description:
      - The client's app bundles found on the Macs (RV(unil.backup.host_info#module:macos.app_path) of
        M(unil.backup.host_info), from its configured path or the package receipt with
        O(unil.backup.host_info#module:find_app)). Paths of O(apps) are placed in these bundles.
      - When not given, the action plugin reads them on the controller from O(probe_var) of every host of the play's
        batch.
    type: list
    elements: path
  probe_var:
    description:
      - The name of a registered M(unil.backup.host_info) result on each host of the play's batch; the action plugin
        collects their C(macos.app_path) into O(app_paths) when O(app_paths) is not given. Hosts without it (not a
        Mac, no client found) are skipped.
    type: str
  default_app_path:
    description:
      - The app bundle to use when no bundle was found on any Mac (no client installed yet, check mode), for example
        the role's C(comet_client_macos_app_path). Without it, relative paths of O(apps) then fail.
    type: path
  legacy_allowed:
    description:
      - Grant with the older C(Allowed) key (V(true)) instead of C(Authorization) V(Allow), for Macs older than
        macOS 11, which do not know C(Authorization). Apple ignores an entry that carries both keys.
    type: bool
    default: false
seealso:
  - module: unil.backup.host_info
    description: Reports on each Mac whether the profile is installed (C(macos.pppc_installed)).
"""

EXAMPLES = r"""
- name: Write the Full Disk Access profile for the MDM
  unil.backup.comet_macos_pppc:
    organization: Université de Lausanne
    identifier: ch.unil.backup.comet.pppc
    dest: /srv/mdm/profiles
    apps:
      - identifier: com.cometbackup.unil
        identifier_type: bundleID
        # the values below are examples: read yours with codesign -dr - on a Mac
        code_requirement: 'identifier "com.cometbackup.unil" and anchor apple generic and certificate leaf[subject.OU] = "ABCDE12345"'
      # inside the app bundle found on the Macs (below), wherever and however it is named
      - identifier: Contents/MacOS/backup-tool
        identifier_type: path
        code_requirement: 'identifier "backup-tool" and anchor apple generic and certificate leaf[subject.OU] = "ABCDE12345"'
    # the bundles host_info found (macos.app_path of each Mac's registered result), read by the action plugin
    probe_var: _comet_client_probe
    default_app_path: /Applications/Comet Backup.app
  delegate_to: localhost
  run_once: true
  register: pppc
"""

RETURN = r"""
path:
  description: The profile file (O(dest)/O(identifier).mobileconfig).
  returned: success
  type: str
  sample: /srv/mdm/profiles/ch.unil.backup.comet.pppc.mobileconfig
payload_uuid:
  description: The profile's PayloadUUID (stable for one O(organization) and O(identifier)).
  returned: success
  type: str
  sample: FF6B42D1-1765-523C-9941-1268D58A0ED4
sha256:
  description: The sha256 of the profile's bytes.
  returned: success
  type: str
content:
  description: The profile, XML.
  returned: success
  type: str
app_paths:
  description: The app bundles the paths of O(apps) were placed in.
  returned: success
  type: list
  elements: str
  sample: [/Applications/Comet Backup UNIL.app]
app_paths_source:
  description: Where RV(app_paths) come from - C(found) (O(app_paths), the Macs), C(default) (O(default_app_path)) or
    empty (none).
  returned: success
  type: str
apps:
  description: The app entries written, their paths in the bundles of RV(app_paths).
  returned: success
  type: list
  elements: dict
"""

import hashlib
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm


def main():
    module = AnsibleModule(
        argument_spec=dict(
            apps=dict(type="list", elements="dict", required=True, options=dict(
                identifier=dict(type="str", required=True),
                identifier_type=dict(type="str", required=True, choices=list(cm.IDENTIFIER_TYPES)),
                code_requirement=dict(type="str", required=True),
                comment=dict(type="str", default=cm.DEFAULT_COMMENT),
            )),
            organization=dict(type="str", required=True),
            identifier=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            app_paths=dict(type="list", elements="path"),
            probe_var=dict(type="str"),
            default_app_path=dict(type="path"),
            legacy_allowed=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        bundles, source = cm.pppc_bundles(p["app_paths"], p["default_app_path"])
        apps = cm.apps_in_bundles(p["apps"], bundles)
        data = cm.render_pppc(apps, p["organization"], p["identifier"], p["legacy_allowed"])
    except cm.PPPCInputError as exc:
        module.fail_json(msg=str(exc))
    problems = cm.validate_pppc(data)
    if problems:
        module.fail_json(msg="the rendered profile is not sound: %s" % "; ".join(problems))
    if not os.path.isdir(p["dest"]):
        module.fail_json(msg="dest: %s is not a directory" % p["dest"])
    path = os.path.join(p["dest"], "%s.mobileconfig" % p["identifier"])
    before = None
    if os.path.lexists(path):
        if not os.path.isfile(path) or os.path.islink(path):
            module.fail_json(msg="%s exists and is not a regular file: refusing to replace it" % path)
        with open(path, "rb") as handle:
            before = handle.read()
    changed = before != data
    if changed and not module.check_mode:
        handle, tmp = tempfile.mkstemp(dir=p["dest"], prefix=".%s." % p["identifier"], suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    elif not changed:
        changed = module.set_mode_if_different(path, "0644", False)
    text = data.decode("utf-8")
    result = dict(changed=changed, path=path, payload_uuid=cm.payload_uuid(p["organization"], p["identifier"]),
                  sha256=hashlib.sha256(data).hexdigest(), content=text, app_paths=bundles, app_paths_source=source,
                  apps=cm.check_apps(apps))
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": (before or b"").decode("utf-8", "replace"), "after": text,
                          "before_header": path if before is not None else "(absent)", "after_header": path}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
