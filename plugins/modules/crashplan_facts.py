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
      description: Application folder.
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
      description: What is kept on purpose (archives, identity, user files).
      type: list
      elements: str
gate:
  description: The health gate decision (C(open), C(reason), C(checks)).
  returned: when O(gate) is set
  type: dict
"""

import glob
import os
import plistlib
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp


def _read(path, limit=1024 * 1024):
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def _listdir(path):
    try:
        return sorted(os.path.join(path, name) for name in os.listdir(path))
    except (IOError, OSError):
        return None


def _homes(min_uid, roots):
    homes = []
    for entry in pwd.getpwall():
        home = os.path.normpath(entry.pw_dir or "/")
        if home == "/" or not os.path.isdir(home):
            continue
        if (entry.pw_uid >= min_uid and any(home.startswith(r) for r in roots)) or (entry.pw_uid == 0 and home in roots):
            homes.append({"name": entry.pw_name, "uid": entry.pw_uid, "home": home})
    seen = set()
    return [h for h in homes if not (h["home"] in seen or seen.add(h["home"]))]


def _ancestors(path):
    out = []
    path = os.path.normpath(path)
    while path not in ("/", ""):
        out.append(path)
        path = os.path.dirname(path)
    return out


def _listings(paths):
    entries = {}
    for path in paths:
        for directory in _ancestors(path):
            if directory not in entries and os.path.isdir(directory) and not os.path.islink(directory):
                children = _listdir(directory)
                if children is not None:
                    entries[directory] = children
    return entries


def linux_probe(module, declared):
    homes = _homes(1000, ("/home/", "/root"))
    home_dirs = [h["home"] for h in homes]
    dirs = [cp.LINUX_DEFAULT_DIR, "/opt/crashplan", "/usr/local/code42"] + [os.path.join(h, "crashplan") for h in home_dirs]
    install_dirs = {}
    for directory in dirs:
        if os.path.isdir(directory):
            install_dirs[directory] = _read(os.path.join(directory, "install.vars"))
    config_texts = []
    targets = list(install_dirs)
    for directory, text in list(install_dirs.items()):
        target = cp.parse_install_vars(text).get("TARGETDIR") if text else None
        if target and target not in targets:
            targets.append(target)
    for target in targets:
        text = _read(os.path.join(target, "conf", "my.service.xml"))
        if text:
            config_texts.append(text)
        for text in [install_dirs.get(target)]:
            if text:
                config_texts.append(text)
    archive_candidates = [cp.LINUX_DEFAULT_ARCHIVES] + list(declared)
    for text in config_texts:
        archive_candidates.extend(cp.parse_archive_locations(text))
    for target in targets:
        archive_candidates += [os.path.join(target, "backupArchives"), os.path.join(target, "manifest")]
    units = {}
    for unit in cp.LINUX_UNITS:
        for base in ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"):
            path = os.path.join(base, unit)
            if os.path.lexists(path):
                dummy, active, dummy2 = module.run_command(["systemctl", "is-active", unit])
                dummy, enabled, dummy2 = module.run_command(["systemctl", "is-enabled", unit])
                units[unit] = {"path": path, "active": active.strip() == "active", "enabled": enabled.strip() in ("enabled", "enabled-runtime")}
                break
    init_scripts = {}
    for name in cp.LINUX_INIT_SCRIPTS:
        path = os.path.join("/etc/init.d", name)
        if os.path.lexists(path):
            init_scripts[name] = path
    rc_links = []
    for name in cp.LINUX_INIT_SCRIPTS:
        rc_links += sorted(glob.glob("/etc/rc[0-6S].d/[KkSs][0-9][0-9]%s" % name))
    processes = []
    for pid in sorted(os.listdir("/proc")) if os.path.isdir("/proc") else []:
        if pid.isdigit():
            cmdline = _read("/proc/%s/cmdline" % pid)
            if cmdline:
                processes.append({"pid": int(pid), "cmdline": cmdline.replace("\0", " ").strip()})
    candidates = list(targets) + cp.LINUX_LAUNCHERS + cp.LINUX_STATE_FILES + cp.LINUX_IDENTITY + archive_candidates + rc_links
    candidates += list(init_scripts.values()) + [u["path"] for u in units.values()]
    candidates += [os.path.join(h, c) for h in home_dirs for c in cp.LINUX_HOME_REMOVABLE + cp.LINUX_HOME_KEEP]
    existing = [c for c in candidates if os.path.lexists(c)]
    listing = _listings([os.path.join(t, "bin", "x") for t in targets] + [os.path.join(a, "x") for a in archive_candidates])
    return {
        "install_dirs": install_dirs,
        "dir_entries": listing,
        "existing": existing,
        "config_texts": config_texts,
        "units": units,
        "init_scripts": init_scripts,
        "rc_links": rc_links,
        "homes": home_dirs,
        "processes": processes,
        "identity_text": _read(cp.LINUX_IDENTITY[0]),
    }


def macos_probe(module, declared):
    users = _homes(500, ("/Users/", "/var/root"))
    users = [u for u in users if u["home"].startswith("/Users/")]
    rc, pkgs, dummy = module.run_command(["/usr/sbin/pkgutil", "--pkgs"])
    pkg_info = {}
    for receipt in cp.parse_pkgutil_pkgs(pkgs if rc == 0 else ""):
        dummy, out, dummy2 = module.run_command(["/usr/sbin/pkgutil", "--pkg-info", receipt])
        pkg_info[receipt] = out
    app_versions = {}
    for app in cp.MACOS_APPS:
        try:
            with open(os.path.join(app, "Contents", "Info.plist"), "rb") as handle:
                app_versions[app] = str(plistlib.load(handle).get("CFBundleShortVersionString") or "")
        except Exception:  # pylint: disable=broad-except
            pass
    config_texts = [t for t in [_read(os.path.join(cp.MACOS_SUPPORT, "conf", "my.service.xml"))] if t]
    archive_candidates = [cp.MACOS_DEFAULT_ARCHIVES] + list(declared)
    for text in config_texts:
        archive_candidates.extend(cp.parse_archive_locations(text))
    supports = [cp.MACOS_SUPPORT] + [os.path.join(u["home"], "Library/Application Support/CrashPlan") for u in users]
    candidates = cp.MACOS_APPS + cp.MACOS_DAEMONS + cp.MACOS_SYSTEM_REMOVABLE + archive_candidates
    candidates += [os.path.join(s, n) for s in supports for n in (cp.MACOS_UNINSTALLER, "install.vars", ".identity")]
    candidates += [os.path.join(u["home"], r) for u in users for r in cp.MACOS_AGENTS + cp.MACOS_HOME_REMOVABLE]
    return {
        "existing": [c for c in candidates if os.path.lexists(c)],
        "users": users,
        "pkgutil_pkgs": pkgs if rc == 0 else "",
        "pkg_info": pkg_info,
        "app_versions": app_versions,
        "config_texts": config_texts,
        "dir_entries": _listings([os.path.join(a, "x") for a in archive_candidates]),
        "identity_text": _read(os.path.join(cp.MACOS_SUPPORT, ".identity")),
    }


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
            system = os.uname()[0]
            if system == "Darwin":
                facts = cp.macos_facts(macos_probe(module, p["archives"]), p["archives"])
            elif system == "Linux":
                facts = cp.linux_facts(linux_probe(module, p["archives"]), p["uninstaller"] or "", p["archives"])
            else:
                module.fail_json(msg="crashplan_facts: unsupported system %s (Linux, macOS, or windows_probe on the controller)" % system)
    except cp.CrashPlanInputError as err:
        module.fail_json(msg=str(err))
    result = dict(changed=False, crashplan=facts)
    if p["gate"] is not None:
        gate = p["gate"]
        result["gate"] = cp.decide_gate(facts["present"], bool(gate.get("enabled", True)), gate.get("comet") or {}, gate.get("server") or {})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
