# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host-side gathering of what CrashPlan left on a Linux or macOS host (read-only), for the modules that run on the host
(crashplan_facts, host_info). ``run_command`` is AnsibleModule.run_command (argv list -> rc, stdout, stderr).
The interpretation of what is gathered (plans, gate) is in _crashplan and runs anywhere."""

from __future__ import annotations

import glob
import os
import plistlib
import pwd

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


def linux_probe(run_command, declared):
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
                dummy, active, dummy2 = run_command(["systemctl", "is-active", unit])
                dummy, enabled, dummy2 = run_command(["systemctl", "is-enabled", unit])
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


def macos_probe(run_command, declared):
    users = _homes(500, ("/Users/", "/var/root"))
    users = [u for u in users if u["home"].startswith("/Users/")]
    rc, pkgs, dummy = run_command(["/usr/sbin/pkgutil", "--pkgs"])
    pkg_info = {}
    for receipt in cp.parse_pkgutil_pkgs(pkgs if rc == 0 else ""):
        dummy, out, dummy2 = run_command(["/usr/sbin/pkgutil", "--pkg-info", receipt])
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


def gather_facts(run_command, archives, uninstaller=""):
    """The CrashPlan facts of this host (Linux or macOS), as _crashplan computes them from the gathered probe."""
    system = os.uname()[0]
    if system == "Darwin":
        return cp.macos_facts(macos_probe(run_command, archives), archives)
    if system == "Linux":
        return cp.linux_facts(linux_probe(run_command, archives), uninstaller or "", archives)
    raise cp.CrashPlanInputError("unsupported system %s (Linux, macOS, or a Windows probe on the controller)" % system)
