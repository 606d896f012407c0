# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CrashPlan / Code42 backup client: detection parsing, removal plans and the health gate.

PRIVATE to the unil.backup collection: no compatibility promise outside it. Pure functions only (no I/O), so that
every command computed for Windows, macOS and Linux is unit-tested with exact arguments. Facts come from
the research note shared/notes/crashplan.md; the keys in brackets in comments refer to its sources.
"""

from __future__ import annotations

import posixpath
import re

from ansible_collections.unil.backup.plugins.module_utils._comet_client import LOGGED_IN_CODES
from ansible_collections.unil.backup.plugins.module_utils import _windows_exit_codes as ec

# ---------------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------------

# CPL matches DisplayName "(CrashPlan)"; before 11.x the product was called "Code42". The Incydr agent Code42-AAT is
# another product and is never touched.
_NAME_RE = re.compile(r"crashplan|code42", re.IGNORECASE)
_EXCLUDED_RE = re.compile(r"code42[\s_-]*aat|incydr", re.IGNORECASE)
_GUID_RE = re.compile(r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$")
_GUID_IN_TEXT_RE = re.compile(r"\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}")

UPGRADE_CODE = "{113B48D9-4965-4FAA-A583-A61ADAE58355}"  # 11.5.3.13 .. 12.0.0.735 (WGT, FLT)


class CrashPlanInputError(ValueError):
    """Bad input; the message names the option."""

    def __init__(self, option, message):
        super(CrashPlanInputError, self).__init__("%s: %s" % (option, message))
        self.option = option


def is_crashplan_name(name):
    """True for a CrashPlan/Code42 backup client's display name, False for anything else (Code42-AAT included)."""
    name = name or ""
    return bool(_NAME_RE.search(name)) and not _EXCLUDED_RE.search(name)


def era_of(name, version):
    """The product era from a display name and version: 4.x, 6-8.0, 8.2-10.x, 11+ or unknown."""
    match = re.match(r"^\s*(\d+)(?:\.(\d+))?", version or "")
    if match:
        major, minor = int(match.group(1)), int(match.group(2) or 0)
        if major <= 5:
            return "4.x"
        if major < 8 or (major == 8 and minor < 2):
            return "6-8.0"
        if major <= 10:
            return "8.2-10.x"
        return "11+"
    if re.search(r"code42", name or "", re.IGNORECASE):
        return "8.2-10.x"
    return "unknown"


def edition_of(name):
    """Home, PRO/PROe or enterprise/small business, as far as the display name tells."""
    name = name or ""
    if re.search(r"for home", name, re.IGNORECASE):
        return "home"
    if re.search(r"\bPROe?\b", name):
        return "pro"
    return "business"


# ---------------------------------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------------------------------

WINDOWS_HIVES = {
    "HKLM64": r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
    "HKLM32": r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
    "HKU": r"Registry::HKEY_USERS\<SID>\Software\Microsoft\Windows\CurrentVersion\Uninstall",
}
WINDOWS_SERVICES = ["CrashPlanService", "Code42Service"]
WINDOWS_PROCESSES = ["CrashPlanDesktop", "CrashPlanTray", "CrashPlanService", "Code42Service", "Code42"]
# MSI exit codes (MSI): the accepted ones, from the collection's one table (_windows_exit_codes), and what each means
# for a removal.
MSI_RETURN_CODES = {
    ec.SUCCESS: "removed",
    ec.ERROR_UNKNOWN_PRODUCT: "not installed (already absent)",
    ec.ERROR_PRODUCT_UNINSTALLED: "removed (product uninstalled)",
    ec.ERROR_SUCCESS_REBOOT_INITIATED: "removed, the installer started a reboot",
    ec.ERROR_SUCCESS_REBOOT_REQUIRED: "removed, a reboot is required to finish",
}
MSI_EXPECTED_RETURN_CODES = sorted(ec.UNINSTALL_SUCCESS)
MSI_REBOOT_CODES = sorted(ec.REBOOT_CODES)
MSI_RETRY_CODES = list(ec.RETRY_CODES)  # another installation is running
WINDOWS_DEFAULT_LOG_DIR = "C:\\Windows\\Temp"
WINDOWS_DATA_ROOTS = [r"C:\ProgramData\CrashPlan"]
# Children of the data roots that are the application's own and may go (section 3). Everything else stays.
WINDOWS_REMOVABLE_CHILDREN = ["log", "cache"]


def _win_norm(path):
    return (path or "").replace("/", "\\").rstrip("\\").lower()


def product_code_of(entry):
    """The MSI ProductCode of an Uninstall entry: the key name when it is a GUID, else the GUID in /X{..} or /I{..}."""
    key = (entry.get("KeyName") or "").strip()
    if _GUID_RE.match(key):
        return key.upper()
    for field in ("UninstallString", "QuietUninstallString"):
        text = entry.get(field) or ""
        if re.search(r"msiexec", text, re.IGNORECASE):
            found = _GUID_IN_TEXT_RE.search(text)
            if found:
                return found.group(0).upper()
    return ""


def parse_windows_entries(entries):
    """Turn raw Uninstall entries (from both HKLM hives and every HKU hive) into the CrashPlan products found.

    Each entry is a dict with Hive (HKLM64, HKLM32 or HKU), Sid (HKU only), UserName (HKU, optional), KeyName and
    the registry values DisplayName, DisplayVersion, Publisher, UninstallString, QuietUninstallString,
    WindowsInstaller (1 for MSI) and InstallLocation. The result is sorted and has one product per (scope, SID,
    product code or key).
    """
    products = {}
    for entry in entries or []:
        if not isinstance(entry, dict):
            raise CrashPlanInputError("windows_probe.uninstall_entries", "each entry must be a dict, got %r" % (entry,))
        name = entry.get("DisplayName") or ""
        if not is_crashplan_name(name):
            continue
        hive = entry.get("Hive") or ""
        if hive not in WINDOWS_HIVES:
            raise CrashPlanInputError("windows_probe.uninstall_entries", "unknown Hive %r for %s" % (hive, name))
        code = product_code_of(entry)
        msi = str(entry.get("WindowsInstaller") or "0") in ("1", "True", "true") or bool(code and _GUID_RE.match(entry.get("KeyName") or ""))
        scope = "user" if hive == "HKU" else "machine"
        version = str(entry.get("DisplayVersion") or "")
        product = {
            "name": name,
            "version": version,
            "publisher": entry.get("Publisher") or "",
            "era": era_of(name, version),
            "edition": edition_of(name),
            "hive": hive,
            "scope": scope,
            "sid": entry.get("Sid") or "" if scope == "user" else "",
            "user": entry.get("UserName") or "" if scope == "user" else "",
            "key": entry.get("KeyName") or "",
            "product_code": code,
            "msi": bool(msi and code),
            "install_location": entry.get("InstallLocation") or "",
            "uninstall_string": entry.get("UninstallString") or "",
            "quiet_uninstall_string": entry.get("QuietUninstallString") or "",
        }
        ident = (scope, product["sid"], code or product["key"])
        # The same MSI is listed in both HKLM views on some systems: keep the 64-bit one.
        if ident not in products or hive == "HKLM64":
            products[ident] = product
    return [products[k] for k in sorted(products)]


def split_windows_command_line(cmdline):
    """Split a command line the way CommandLineToArgvW does (quotes, backslashes before quotes)."""
    args = []
    current = []
    in_quotes = False
    has_arg = False
    i = 0
    text = cmdline or ""
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            j = i
            while j < len(text) and text[j] == "\\":
                j += 1
            count = j - i
            if j < len(text) and text[j] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    i = j + 1
                else:
                    i = j
                has_arg = True
                continue
            current.append("\\" * count)
            has_arg = True
            i = j
            continue
        if ch == '"':
            in_quotes = not in_quotes
            has_arg = True
            i += 1
            continue
        if ch in " \t" and not in_quotes:
            if has_arg:
                args.append("".join(current))
                current = []
                has_arg = False
            i += 1
            continue
        current.append(ch)
        has_arg = True
        i += 1
    if has_arg:
        args.append("".join(current))
    return args


def msi_uninstall_argv(product_code, log_path):
    """msiexec.exe /x {CODE} /qn /norestart /l*v LOG: what win_package runs for an MSI product_id (FLT, CPL)."""
    if not _GUID_RE.match(product_code or ""):
        raise CrashPlanInputError("product_code", "%r is not an MSI product code like {XXXXXXXX-XXXX-...}" % (product_code,))
    return ["msiexec.exe", "/x", product_code.upper(), "/qn", "/norestart", "/l*v", log_path]


def registry_uninstall_argv(product):
    """The silent uninstall command of a non-MSI product: QuietUninstallString, or UninstallString + /quiet /norestart.

    (CPL's own non-MSI branch has a typo and runs nothing; this is what it meant to run.)
    """
    quiet = product.get("quiet_uninstall_string") or ""
    if quiet.strip():
        return split_windows_command_line(quiet)
    loud = product.get("uninstall_string") or ""
    if not loud.strip():
        raise CrashPlanInputError("windows_probe.uninstall_entries", "%s has no uninstall command" % product.get("name"))
    argv = split_windows_command_line(loud)
    lowered = [a.lower() for a in argv]
    for flag in ("/quiet", "/norestart"):
        if flag not in lowered:
            argv.append(flag)
    return argv


def windows_log_path(log_dir, product_code):
    return "%s\\crashplan-uninstall-%s.log" % ((log_dir or "C:\\Windows\\Temp").rstrip("\\"), (product_code or "product").strip("{}"))


def windows_plan(products, log_dir):
    """One action per product. Machine-wide MSI products go to win_package (state absent, product_id); machine-wide
    non-MSI products to a command; per-user products cannot be removed from the SYSTEM context (an MSI per-user
    product answers 1605 there, MSI norm), so they are reported with the command to run in that user's session."""
    actions = []
    for product in products:
        code = product.get("product_code") or ""
        if product["scope"] == "user":
            argv = msi_uninstall_argv(code, windows_log_path(log_dir, code)) if product["msi"] else registry_uninstall_argv(product)
            actions.append({
                "kind": "per_user",
                "name": product["name"],
                "sid": product["sid"],
                "user": product["user"],
                "argv": argv,
                "reason": "per-user install of %s: run the command in that user's session (not removable as SYSTEM)" % (
                    product["user"] or product["sid"]),
            })
        elif product["msi"]:
            log_path = windows_log_path(log_dir, code)
            actions.append({
                "kind": "win_package",
                "name": product["name"],
                "product_id": code,
                "log_path": log_path,
                "expected_return_code": list(MSI_EXPECTED_RETURN_CODES),
                "argv": msi_uninstall_argv(code, log_path),
            })
        else:
            actions.append({
                "kind": "command",
                "name": product["name"],
                "argv": registry_uninstall_argv(product),
                "expected_return_code": list(MSI_EXPECTED_RETURN_CODES),
            })
    return actions


def interpret_msi_return_code(rc):
    """What an uninstaller's exit code means: ok, reboot_required, already_absent, retry, message."""
    found = ec.meaning(int(rc), MSI_EXPECTED_RETURN_CODES)
    return {
        "rc": found["rc"],
        "ok": found["ok"],
        "reboot_required": found["reboot_required"],
        "already_absent": found["already_absent"],
        "retry": found["retry"],
        "message": MSI_RETURN_CODES.get(found["rc"], found["text"]),
    }


def windows_removals(existing, archive_paths):
    """The app-owned children of C:\\ProgramData\\CrashPlan (and the per-user twins) that exist, minus any path that
    holds or is inside a backup archive. `existing` lists the paths the probe found (any case)."""
    keep = [_win_norm(p) for p in archive_paths or []]
    found = dict((_win_norm(p), p) for p in existing or [])
    out = []
    for norm, original in sorted(found.items()):
        leaf = norm.rsplit("\\", 1)[-1]
        if leaf not in WINDOWS_REMOVABLE_CHILDREN or "\\crashplan\\" not in norm + "\\":
            continue
        if any(k == norm or k.startswith(norm + "\\") or norm.startswith(k + "\\") for k in keep):
            continue
        out.append(original)
    return out


def parse_identity(text):
    """guid= and username= of a .identity file (CPL, Jamf scripts)."""
    out = {}
    for line in (text or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            if key.strip() in ("guid", "username"):
                out[key.strip()] = value.strip()
    return out


def windows_facts(probe, log_dir="C:\\Windows\\Temp", extra_archives=None):
    """Facts and plan for a Windows host from the role's PowerShell probe (see roles/crashplan_removal/files)."""
    if not isinstance(probe, dict):
        raise CrashPlanInputError("windows_probe", "must be a dict")
    products = parse_windows_entries(probe.get("uninstall_entries") or [])
    services = []
    for svc in probe.get("services") or []:
        if svc.get("Name") in WINDOWS_SERVICES:
            services.append({"name": svc["Name"], "kind": "windows", "active": str(svc.get("Status")) in ("Running", "4"),
                             "enabled": str(svc.get("StartType")) not in ("Disabled", "4")})
    processes = sorted(set(p for p in probe.get("processes") or [] if p in WINDOWS_PROCESSES))
    configured = []
    for text in probe.get("config_texts") or []:
        configured.extend(parse_archive_locations(text))
    archives = _archive_list(
        [("default", "C:\\ProgramData\\CrashPlan\\backupArchives"), ("default", "C:\\Program Files\\CrashPlan\\backupArchives")]
        + [("config", p) for p in configured] + [("declared", p) for p in extra_archives or []],
        probe.get("existing_paths") or [], windows=True)
    archive_paths = [a["path"] for a in archives]
    identity = parse_identity(probe.get("identity_text"))
    actions = windows_plan(products, log_dir)
    removals = windows_removals(probe.get("existing_paths") or [], archive_paths)
    present = bool(products or services)
    keep = [a["path"] for a in archives if a["exists"]] + [
        p for p in probe.get("existing_paths") or [] if _win_norm(p).endswith("\\.identity")]
    for location in sorted(set(p["install_location"] for p in products if p["install_location"].strip())):
        inner = [k for k in keep if _win_norm(k).startswith(_win_norm(location) + "\\")]
        if inner:
            keep.append("%s (the install folder: the uninstaller removes the application, the folder stays because it "
                        "holds what is kept: %s)" % (location, ", ".join(inner)))
    keep.append("every file in C:\\Users (only CrashPlan's own log and cache folders may go)")
    return {
        "present": present,
        "os": "windows",
        "products": products,
        "version": products[0]["version"] if products else "",
        "era": products[0]["era"] if products else "",
        "edition": products[0]["edition"] if products else "",
        "install_dir": products[0]["install_location"] if products else "",
        "services": services,
        "processes": processes,
        "guid": identity.get("guid", ""),
        "archives": archives,
        "actions": actions,
        "per_user_left": [a for a in actions if a["kind"] == "per_user"],
        "remove": removals,
        "keep": keep,
    }


# ---------------------------------------------------------------------------------------------------------------
# Backup archive locations (all OSes)
# ---------------------------------------------------------------------------------------------------------------

# conf/my.service.xml of the Java-era client keeps the inbound archive folder in <manifestPath> (UNCONFIRMED element
# names beyond manifestPath; any element whose name says backupArchives is taken too).
_ARCHIVE_TAG_RE = re.compile(r"<(manifestPath|backupArchivesPath|backupArchiveLocation|archivePath)>\s*([^<]+?)\s*</\1>", re.IGNORECASE)


def parse_archive_locations(config_text):
    """Backup archive folders named in a CrashPlan configuration text (XML or key=value)."""
    out = []
    for match in _ARCHIVE_TAG_RE.finditer(config_text or ""):
        value = match.group(2).strip()
        if value and value not in out:
            out.append(value)
    for line in (config_text or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            if key.strip() in ("MANIFESTDIR", "manifestPath", "backupArchives"):
                value = value.strip().strip("\"'")
                if value and value not in out:
                    out.append(value)
    return out


def _archive_list(candidates, existing, windows=False):
    norm = _win_norm if windows else (lambda p: posixpath.normpath(p) if p else "")
    present = set(norm(p) for p in existing)
    out = []
    seen = set()
    for source, path in candidates:
        key = norm(path)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append({"path": path if windows else key, "source": source, "exists": key in present})
    return out


# ---------------------------------------------------------------------------------------------------------------
# Safe removal (Linux and macOS)
# ---------------------------------------------------------------------------------------------------------------

def _inside(path, parent):
    path, parent = posixpath.normpath(path), posixpath.normpath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


_NEVER = ["/", "/home", "/Users", "/root", "/usr", "/usr/local", "/usr/local/bin", "/etc", "/var", "/var/lib",
          "/Library", "/Applications", "/opt", "/srv", "/tmp"]


def safe_removals(candidates, keep, listing):
    """The paths to delete out of `candidates`, never touching a kept path.

    A candidate that holds a kept path (say an archive inside the application folder) is not deleted as a whole:
    its children are considered instead (from `listing`, {dir: [child paths]}); a candidate with unknown children
    is left alone. A candidate inside a kept path is left alone. Returns (remove, left) where left names what was
    spared and why.
    """
    remove, left = [], []
    keep = [posixpath.normpath(k) for k in keep or []]
    todo = [posixpath.normpath(c) for c in candidates or []]
    while todo:
        path = todo.pop(0)
        if path in _NEVER or not path.startswith("/"):
            left.append({"path": path, "reason": "system or home root, never removed"})
            continue
        holder = [k for k in keep if _inside(k, path) and k != path]
        inner = [k for k in keep if _inside(path, k)]
        if inner:
            left.append({"path": path, "reason": "kept (backup archive or user data: %s)" % inner[0]})
        elif holder:
            children = listing.get(path)
            if children is None:
                left.append({"path": path, "reason": "holds %s; its other content is unknown, so it stays" % holder[0]})
            else:
                left.append({"path": path, "reason": "holds %s, only its other content is removed" % holder[0]})
                todo.extend(posixpath.normpath(c) for c in sorted(children))
        elif path not in remove:
            remove.append(path)
    # A child already covered by a removed parent needs no own step.
    remove = [p for p in remove if not any(p != q and _inside(p, q) for q in remove)]
    return sorted(remove), left


def _without(text, paths):
    """``text`` with every mention of ``paths`` (and what is under them) blanked: a command line that only names a
    kept archive (a user copying it) is not CrashPlan running."""
    for path in sorted(paths or [], key=len, reverse=True):
        text = re.sub(re.escape(path) + r"(?=[/\s]|$)\S*", " ", text)
    return text


def install_dir_kept(install_dir, leftover, keep, listing):
    """What the report says of an install folder that stays because of what it holds.

    ``install_dir``: the installed application's folder; when it holds kept paths, its other content goes and the
    folder stays with them. ``leftover``: a former install folder with no application entry left (a removal ran): it
    stays as it is, with what it holds. Empty list when neither applies."""
    out = []
    if install_dir:
        inner = [k for k in keep or [] if k != install_dir and _inside(k, install_dir)]
        if inner:
            out.append("%s (the install folder: the application's files in it are removed, the folder stays because it "
                       "holds what is kept: %s)" % (install_dir, ", ".join(sorted(inner))))
    if leftover:
        held = sorted(posixpath.basename(c.rstrip("/")) for c in listing.get(leftover) or [])
        out.append("%s (the former install folder: no application file is left in it, it stays with what it holds: %s)"
                   % (leftover, ", ".join(held) or "nothing"))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Linux
# ---------------------------------------------------------------------------------------------------------------

LINUX_DEFAULT_DIR = "/usr/local/crashplan"
LINUX_DEFAULT_ARCHIVES = "/usr/local/var/crashplan"
LINUX_UNITS = ["crashplan.service", "code42.service"]
LINUX_INIT_SCRIPTS = ["crashplan", "code42"]
LINUX_LAUNCHERS = ["/usr/local/bin/CrashPlanDesktop", "/usr/local/bin/crashplan", "/usr/local/bin/Code42Desktop",
                   "/usr/local/bin/code42", "/usr/share/applications/crashplan.desktop",
                   "/usr/share/applications/code42.desktop"]
LINUX_STATE_FILES = ["/var/lib/crashplan/.ui_info", "/var/lib/crashplan/service.pem"]
LINUX_IDENTITY = ["/var/lib/crashplan/.identity"]
# Per home: the application's own folders (section 3). The per-user .identity stays.
LINUX_HOME_REMOVABLE = [".config/CrashPlan", ".config/Code42", ".cache/CrashPlan", ".cache/Code42"]
LINUX_HOME_KEEP = [".crashplan/.identity"]
# What of an install folder is the application itself, in every era (LUN, LUN4, JL): install.vars and the folders and
# files the installers put there. Once install.vars is gone (the vendor uninstaller or an earlier run removed it), the
# folder is known to be CrashPlan only by these, and only these may still go: anything else in it is what a removal
# kept (a backup archive whose name only install.vars or conf/ knew, and the folders that lead to it).
LINUX_APP_ENTRIES = ["install.vars", "install.defaults", "bin", "cache", "conf", "doc", "electron", "jre", "lang", "lib",
                     "log", "metadata", "nlib", "skin", "upgrade", "CrashPlan.desktop", "Code42.desktop",
                     "crashplan.desktop", "code42.desktop", "CrashPlan.png", "Code42.png"]


def parse_install_vars(text):
    """KEY=value lines of install.vars (TARGETDIR, BINSDIR, MANIFESTDIR, INITDIR, RUNLVLDIR, APP_BASENAME, ...)."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            out[key] = value
    return out


def linux_era(install_dir_entries):
    """4.x (bin/CrashPlanEngine, jre/), 8.2-10.x (bin/Code42Service), else 6-8.0 or 11+ (bin/CrashPlanService)."""
    names = set(posixpath.basename(p.rstrip("/")) for p in install_dir_entries or [])
    if "CrashPlanEngine" in names:
        return "4.x"
    if "Code42Service" in names:
        return "8.2-10.x"
    if "CrashPlanService" in names:
        return "11+"
    return "unknown"


def linux_uninstaller_step(uninstaller, install_dir, era, log_path):
    """The vendor uninstaller's exact command. Electron era: -i DIR -y -l LOG (without -y it answers "no" and exits 0
    having removed nothing, LUN). Java 4.x: -q -i DIR with "yes" on stdin (LUN4, SALT)."""
    if not uninstaller:
        return None
    if era == "4.x":
        return {"name": "vendor uninstaller (4.x)", "argv": ["/bin/sh", uninstaller, "-q", "-i", install_dir],
                "stdin": "yes\n", "chdir": posixpath.dirname(uninstaller), "rc_ok": [0]}
    return {"name": "vendor uninstaller", "argv": ["/bin/sh", uninstaller, "-i", install_dir, "-y", "-l", log_path],
            "stdin": "", "chdir": posixpath.dirname(uninstaller), "rc_ok": [0]}


def linux_facts(probe, uninstaller="", extra_archives=None):
    """Facts and removal plan for a Linux host from what the module read on it.

    probe keys: install_dirs {dir: install.vars text or None}, dir_entries {dir: [child paths]} (listing of the
    install dirs and of dirs that may hold an archive), existing [paths], config_texts [texts], units
    {unit: {active, enabled, path}}, init_scripts {name: path}, rc_links [paths], homes [home dirs],
    processes [{pid, cmdline}], identity_text.
    """
    existing = set(posixpath.normpath(p) for p in probe.get("existing") or [])
    listing = dict((posixpath.normpath(k), v) for k, v in (probe.get("dir_entries") or {}).items())
    install_dirs = probe.get("install_dirs") or {}
    main_dir, install_vars = "", {}
    for directory in sorted(install_dirs):
        text = install_dirs[directory]
        if text is not None:
            main_dir, install_vars = directory, parse_install_vars(text)
            break
    if not main_dir:
        for directory in sorted(install_dirs):
            main_dir = directory
            break
    target = install_vars.get("TARGETDIR") or main_dir
    if target:
        target = posixpath.normpath(target)
    # The install folder is CrashPlan while it holds install.vars or the application's own entries (or cannot be
    # listed). A folder left with neither holds only what a removal kept: it is reported, never removed.
    target_exists = bool(target) and target in existing
    app_entries = [posixpath.normpath(c) for c in listing.get(target) or [] if posixpath.basename(c.rstrip("/")) in LINUX_APP_ENTRIES]
    installed = target_exists and (bool(install_vars) or bool(app_entries) or target not in listing)
    leftover = target if target_exists and not installed else ""
    era = linux_era(listing.get(target, []) + listing.get(posixpath.join(target, "bin"), [])) if target and not leftover else ""
    # Archives: defaults, install.vars MANIFESTDIR, the configuration, and what the user declares.
    configured = []
    for text in probe.get("config_texts") or []:
        configured.extend(parse_archive_locations(text))
    candidates = [("default", LINUX_DEFAULT_ARCHIVES)]
    if install_vars.get("MANIFESTDIR"):
        candidates.append(("install.vars", install_vars["MANIFESTDIR"]))
    candidates += [("config", p) for p in configured]
    if target:
        candidates += [("default", posixpath.join(target, "backupArchives")), ("default", posixpath.join(target, "manifest"))]
    candidates += [("declared", p) for p in extra_archives or []]
    archives = _archive_list(candidates, existing)
    # An empty default folder is not an archive (both vendor uninstallers drop only empty ones).
    for archive in archives:
        if archive["exists"] and archive["source"] == "default" and not listing.get(archive["path"]):
            archive["exists"] = False
    homes = [posixpath.normpath(h) for h in probe.get("homes") or []]
    keep = [a["path"] for a in archives if a["exists"]]
    keep += [p for p in LINUX_IDENTITY if p in existing]
    keep += [posixpath.join(h, k) for h in homes for k in LINUX_HOME_KEEP if posixpath.join(h, k) in existing]
    # Homes are kept as a whole; only the allow-listed children below are candidates.
    home_candidates = [posixpath.join(h, c) for h in homes for c in LINUX_HOME_REMOVABLE]
    per_user_installs = [posixpath.join(h, "crashplan") for h in homes if posixpath.join(h, "crashplan") in install_dirs]
    services = []
    for unit, info in sorted((probe.get("units") or {}).items()):
        services.append({"name": unit, "kind": "systemd", "path": info.get("path", ""), "active": bool(info.get("active")),
                         "enabled": bool(info.get("enabled"))})
    for name, path in sorted((probe.get("init_scripts") or {}).items()):
        services.append({"name": name, "kind": "sysv", "path": path, "active": False, "enabled": True})
    candidates = []
    if installed and install_vars:
        # install.vars names the archives of this install: the folder goes, around them (safe_removals)
        candidates.append(target)
    elif installed:
        # without install.vars an archive's name is no longer known: only the application's own entries go
        candidates += app_entries
    candidates += [s["path"] for s in services if s["path"]]
    candidates += list(probe.get("rc_links") or [])
    candidates += LINUX_LAUNCHERS + LINUX_STATE_FILES
    candidates += home_candidates
    candidates = [c for c in candidates if posixpath.normpath(c) in existing or c in app_entries]
    # Homes are reached only through the allow-listed children above, never as a whole.
    remove, left = safe_removals(candidates, keep, listing)
    # (a kept path that holds the whole install folder does not hide the application's own processes)
    named_kept = [k for k in keep if not (target and _inside(target, k))]
    processes = [p for p in probe.get("processes") or [] if target and (" " + target + "/") in " " + _without(p.get("cmdline") or "", named_kept)]
    present = installed or bool(services) or bool(processes)
    identity = parse_identity(probe.get("identity_text"))
    steps = []
    step = linux_uninstaller_step(uninstaller, target or LINUX_DEFAULT_DIR, era, posixpath.join("/var/tmp", "crashplan-uninstall.log"))
    if step and present and install_vars:
        steps.append(step)
    kept = keep + ["every file in the home directories %s (only %s may go)" % (", ".join(homes) or "(none)", ", ".join(LINUX_HOME_REMOVABLE))]
    kept += ["%s (per-user install in a home directory: not removed, remove it as that user)" % p for p in per_user_installs]
    kept += install_dir_kept(target if installed else "", leftover, keep, listing)
    return {
        "present": present,
        "os": "linux",
        "install_dir": target if present else "",
        "install_vars": install_vars,
        "era": era,
        "edition": "code42" if (install_vars.get("APP_BASENAME") or "").lower() == "code42" else "crashplan",
        "version": install_vars.get("APP_VERSION") or install_vars.get("VERSION") or "",
        "services": services,
        "processes": processes,
        "guid": identity.get("guid", ""),
        "archives": archives,
        "steps": steps,
        "remove": remove,
        "left": left,
        "keep": kept,
        "per_user_left": per_user_installs,
    }


# ---------------------------------------------------------------------------------------------------------------
# macOS
# ---------------------------------------------------------------------------------------------------------------

MACOS_DAEMONS = ["/Library/LaunchDaemons/com.crashplan.engine.plist", "/Library/LaunchDaemons/com.code42.service.plist"]
MACOS_AGENTS = ["Library/LaunchAgents/com.code42.service.plist", "Library/LaunchAgents/com.crashplan.engine.plist",
                "Library/LaunchAgents/com.code42.menubar.plist"]
MACOS_RECEIPTS = ["com.crashplan.app.pkg", "com.code42.app.pkg"]
MACOS_APPS = ["/Applications/CrashPlan.app", "/Applications/Code42.app"]
MACOS_SUPPORT = "/Library/Application Support/CrashPlan"
MACOS_UNINSTALLER = "Uninstall.app/Contents/Resources/uninstall.sh"
MACOS_DEFAULT_ARCHIVES = "/Library/Application Support/CrashPlan/BackupArchives"
MACOS_SYSTEM_REMOVABLE = ["/Library/Logs/CrashPlan", "/Library/Caches/CrashPlan"]
MACOS_HOME_REMOVABLE = ["Library/Logs/CrashPlan", "Library/Caches/CrashPlan", "Library/Preferences/com.crashplan.desktop.plist"]
# launchctl bootout/unload of a job that is not loaded: 3 (no such process), 5 (I/O error), 36, 113 (not found).
LAUNCHCTL_RC_OK = [0, 3, 5, 36, 113]
# pkgutil --forget of an unknown receipt answers 1: it is only run for receipts pkgutil --pkgs listed.


def parse_pkgutil_pkgs(stdout):
    """The CrashPlan/Code42 receipts among the lines of `pkgutil --pkgs` (exact IDs, HBC)."""
    found = []
    for line in (stdout or "").splitlines():
        name = line.strip()
        if name in MACOS_RECEIPTS and name not in found:
            found.append(name)
    return found


def parse_pkgutil_info(stdout):
    """version and location of `pkgutil --pkg-info ID` output."""
    out = {}
    for line in (stdout or "").splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            out[key.strip()] = value.strip()
    return {"package_id": out.get("package-id", ""), "version": out.get("version", ""), "location": out.get("location", "")}


def macos_facts(probe, extra_archives=None):
    """Facts and plan for a macOS host.

    probe keys: existing [paths], users [{name, uid, home}], pkgutil_pkgs (stdout), pkg_info {id: stdout},
    app_versions {app path: CFBundleShortVersionString}, config_texts, dir_entries, identity_text, processes.
    """
    existing = set(posixpath.normpath(p) for p in probe.get("existing") or [])
    listing = dict((posixpath.normpath(k), v) for k, v in (probe.get("dir_entries") or {}).items())
    users = sorted(probe.get("users") or [], key=lambda u: int(u.get("uid", 0)))
    receipts = parse_pkgutil_pkgs(probe.get("pkgutil_pkgs"))
    apps = [a for a in MACOS_APPS if a in existing]
    versions = probe.get("app_versions") or {}
    version = ""
    for app in apps:
        version = versions.get(app) or version
    if not version:
        for receipt in receipts:
            version = parse_pkgutil_info((probe.get("pkg_info") or {}).get(receipt)).get("version") or version
    name = "Code42" if "/Applications/Code42.app" in apps or "com.code42.app.pkg" in receipts else "CrashPlan"
    daemons = [d for d in MACOS_DAEMONS if d in existing]
    agents = []
    for user in users:
        for rel in MACOS_AGENTS:
            path = posixpath.join(user["home"], rel)
            if path in existing:
                agents.append({"user": user["name"], "uid": int(user["uid"]), "path": path})
    configured = []
    for text in probe.get("config_texts") or []:
        configured.extend(parse_archive_locations(text))
    archives = _archive_list([("default", MACOS_DEFAULT_ARCHIVES)] + [("config", p) for p in configured]
                             + [("declared", p) for p in extra_archives or []], existing)
    keep = [a["path"] for a in archives if a["exists"]]
    keep += [p for p in [posixpath.join(MACOS_SUPPORT, ".identity")] if p in existing]
    steps = []
    for daemon in daemons:
        steps.append({"name": "unload %s" % posixpath.basename(daemon), "argv": ["/bin/launchctl", "unload", "-w", daemon],
                      "rc_ok": list(LAUNCHCTL_RC_OK)})
    for agent in agents:
        steps.append({"name": "unload %s for %s" % (posixpath.basename(agent["path"]), agent["user"]),
                      "argv": ["/bin/launchctl", "bootout", "gui/%d" % agent["uid"], agent["path"]],
                      "rc_ok": list(LAUNCHCTL_RC_OK)})
    for app in apps:
        steps.append({"name": "clear the system immutable flag on %s" % app, "argv": ["/usr/bin/chflags", "-R", "noschg", app],
                      "rc_ok": [0]})
    # The vendor script exits 1 when install.vars is gone (HBC #16038): run it only beside its install.vars.
    supports = [MACOS_SUPPORT] + [posixpath.join(u["home"], "Library/Application Support/CrashPlan") for u in users]
    for support in supports:
        script = posixpath.join(support, MACOS_UNINSTALLER)
        if script in existing and posixpath.join(support, "install.vars") in existing:
            steps.append({"name": "vendor uninstall script in %s" % support, "argv": ["/bin/sh", script], "rc_ok": [0]})
    for receipt in receipts:
        steps.append({"name": "forget the receipt %s" % receipt, "argv": ["/usr/sbin/pkgutil", "--forget", receipt], "rc_ok": [0]})
    candidates = list(apps) + list(daemons) + [a["path"] for a in agents] + MACOS_SYSTEM_REMOVABLE
    candidates += [posixpath.join(u["home"], rel) for u in users for rel in MACOS_HOME_REMOVABLE]
    candidates = [c for c in candidates if c in existing]
    remove, left = safe_removals(candidates, keep, listing)
    identity = parse_identity(probe.get("identity_text"))
    present = bool(apps or daemons or agents or receipts)
    kept = keep + ["every file in /Users (only %s may go)" % ", ".join("~/" + r for r in MACOS_HOME_REMOVABLE),
                   "%s (the vendor's support folder: its uninstaller keeps it; only its own script removes parts)" % MACOS_SUPPORT]
    return {
        "present": present,
        "os": "macos",
        "install_dir": apps[0] if apps else "",
        "era": era_of(name, version),
        "edition": edition_of(name),
        "version": version,
        "receipts": receipts,
        "daemons": daemons,
        "agents": agents,
        "services": [{"name": posixpath.basename(d)[:-len(".plist")], "kind": "launchd", "path": d, "active": True, "enabled": True}
                     for d in daemons],
        "processes": probe.get("processes") or [],
        "guid": identity.get("guid", ""),
        "archives": archives,
        "steps": steps,
        "remove": remove,
        "left": left,
        "keep": kept,
        "per_user_left": [],
    }


# ---------------------------------------------------------------------------------------------------------------
# Health gate
# ---------------------------------------------------------------------------------------------------------------

COMET_LOGGED_IN_CODES = LOGGED_IN_CODES


def parse_login_status(text):
    """The code in parentheses of `backup-tool login status` ("Logged in, unlocked (2)") or -1."""
    found = re.findall(r"\((-?\d+)\)", text or "")
    return int(found[-1]) if found else -1


_TRUE_TEXT = ("true", "yes", "on", "1")
_FALSE_TEXT = ("false", "no", "off", "0")
GATE_BOOLS = {"comet": ("installed",), "server": ("required", "checked", "known", "require_backup", "last_backup_ok")}
GATE_TEXTS = {"comet": ("version", "device_id", "login_text"), "server": ("error", "account", "last_backup")}


def _gate_bool(value, option, text_ok=True):
    """A strict boolean: True/False; with ``text_ok`` also the strings Ansible's boolean filter reads (a role's
    templated dict may hold "True"/"False" before ansible-core 2.19), read for what they say. Anything else (a
    number, "maybe", a list) is an error: a value must never open the gate by being truthy."""
    if isinstance(value, bool):
        return value
    if text_ok and isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT:
            return True
        if text in _FALSE_TEXT:
            return False
    raise CrashPlanInputError(option, "%r is not a boolean (true or false)" % (value if not isinstance(value, str) else value[:40],))


def gate_inputs(enabled=True, comet=None, server=None):
    """Validate and normalise the health gate's inputs (decide_gate); CrashPlanInputError names the option
    (gate.enabled, gate.comet.installed, gate.comet.login_code, ...). ``enabled`` must be a real boolean: the string
    "false" does not disable the gate."""
    enabled = _gate_bool(enabled, "gate.enabled", text_ok=False)
    out = {}
    for part, given in (("comet", comet), ("server", server)):
        given = {} if given is None else given
        if not isinstance(given, dict):
            raise CrashPlanInputError("gate.%s" % part, "must be a dictionary")
        unknown = sorted(set(given) - set(GATE_BOOLS[part]) - set(GATE_TEXTS[part]) - set(["login_code"] if part == "comet" else []))
        if unknown:
            raise CrashPlanInputError("gate.%s" % part, "unknown key%s %s (known: %s)" % (
                "s" if len(unknown) > 1 else "", ", ".join(str(k) for k in unknown),
                ", ".join(sorted(GATE_BOOLS[part] + GATE_TEXTS[part] + (("login_code",) if part == "comet" else ())))))
        values = dict(given)
        for key in GATE_BOOLS[part]:
            if values.get(key) is not None:
                values[key] = _gate_bool(values[key], "gate.%s.%s" % (part, key))
            else:
                values.pop(key, None)
        for key in GATE_TEXTS[part]:
            if values.get(key) is not None and not isinstance(values[key], str):
                raise CrashPlanInputError("gate.%s.%s" % (part, key), "must be a string")
        if part == "comet" and values.get("login_code") is not None:
            code = values["login_code"]
            if isinstance(code, str) and code.strip().lstrip("-").isascii() and code.strip().lstrip("-").isdigit() \
                    and len(code.strip()) <= 6:
                code = int(code.strip())
            if isinstance(code, bool) or not isinstance(code, int) or not -1 <= code <= 9999:
                raise CrashPlanInputError("gate.comet.login_code", "%r is not a login status code (an integer from -1, "
                                          "the number in parentheses of 'backup-tool login status')"
                                          % (code if not isinstance(code, str) else code[:40],))
            values["login_code"] = code
        out[part] = values
    return enabled, out["comet"], out["server"]


# The stable codes of decide_gate's outcomes (``code``), for playbooks and reports to read (never the reason's text).
GATE_CODES = (
    "absent",                # CrashPlan is not installed: nothing to remove
    "disabled",              # the gate is off (crashplan_removal_gate: false): open
    "open",                  # every check passed
    "comet_not_installed",   # Comet Backup is not installed
    "comet_not_logged_in",   # Comet Backup is installed but not logged in
    "device_id_unknown",     # the Comet device ID could not be read
    "server_error",          # the Comet Server could not be asked
    "device_not_on_server",  # the device is not in the account on the Comet Server
    "waiting_for_backup",    # no backup of the device has finished with success or warning yet
)
GATE_OPEN_CODES = ("disabled", "open")


def decide_gate(present, enabled=True, comet=None, server=None):
    """Whether CrashPlan may be removed now, and why (not).

    comet: {installed (bool), version, device_id, login_code (int), login_text}.
    server: {required (bool), checked (bool), error (str), known (bool), account, require_backup (bool),
             last_backup_ok (bool), last_backup (str)}.
    Returns {open, code, codes, reason, checks: [{check, ok, detail}]}; `open` is False whenever CrashPlan is absent
    (nothing to do). ``code`` is one of GATE_CODES (the first reason when several checks failed, all of them in
    ``codes``). Inputs are strict (gate_inputs): a value of the wrong type raises CrashPlanInputError naming it.
    """
    enabled, comet, server = gate_inputs(enabled, comet, server)
    checks = []

    def check(name, ok, detail):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})
        return bool(ok)

    def outcome(is_open, codes, reason):
        return {"open": is_open, "code": codes[0], "codes": codes, "reason": reason, "checks": checks}

    if not present:
        return outcome(False, ["absent"], "CrashPlan is not installed: nothing to remove")
    if not enabled:
        check("gate", True, "the health gate is disabled (crashplan_removal_gate: false)")
        return outcome(True, ["disabled"], "health gate disabled")
    reasons = []
    codes = []

    def fail(code, reason):
        codes.append(code)
        reasons.append(reason)

    if not check("comet installed", comet.get("installed"), "Comet Backup %s" % (
            ("version " + comet["version"]) if comet.get("version") else ("installed" if comet.get("installed") else "is not installed"))):
        fail("comet_not_installed", "Comet Backup is not installed")
    else:
        code = int(comet.get("login_code", -1))
        if not check("comet logged in", code in COMET_LOGGED_IN_CODES, "login status %d: %s" % (code, comet.get("login_text") or "-")):
            fail("comet_not_logged_in", "Comet Backup is not logged in (login status %d: %s)" % (code, comet.get("login_text") or "-"))
        if not check("comet device id", comet.get("device_id"), comet.get("device_id") or "unknown"):
            fail("device_id_unknown", "the Comet device ID is unknown")
    if server.get("required", True):
        if not reasons:
            if server.get("error"):
                check("known to the server", False, server["error"])
                fail("server_error", "the Comet Server could not be asked: %s" % server["error"])
            elif not check("known to the server", server.get("known"), "device %s in account %s" % (
                    comet.get("device_id") or "-", server.get("account") or "-")):
                fail("device_not_on_server", "device %s is not known to the Comet Server in account %s" % (
                    comet.get("device_id") or "-", server.get("account") or "-"))
            elif server.get("require_backup"):
                if not check("working backup", server.get("last_backup_ok"), server.get("last_backup") or "no backup job"):
                    fail("waiting_for_backup", "waiting for the first Comet backup: no backup of this device has "
                         "finished with success or warning yet (last backup job: %s)" % (server.get("last_backup") or "none"))
    else:
        check("known to the server", True, "not checked (crashplan_removal_require_server_check: false)")
    if reasons:
        return outcome(False, codes, "; ".join(reasons))
    if not server.get("required", True):
        reason = "Comet Backup is installed, logged in"
    elif server.get("require_backup"):
        reason = "Comet Backup is installed, logged in, known to the server and has a working backup"
    else:
        reason = "Comet Backup is installed, logged in and known to the server"
    return outcome(True, ["open"], reason)
