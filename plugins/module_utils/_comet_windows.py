# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Comet Backup client on Windows: what the read-only probe (module unil.backup.comet_windows_probe) returns,
normalised into the probe shape every OS shares, the installer for the host's architecture, and the installer's
arguments and exit codes (read from the one table, _windows_exit_codes). The same probe reads CrashPlan too: its raw
part is kept for role crashplan_removal, which plans the removal from it (_crashplan).

PRIVATE to the collection. Pure functions, run on the controller (filters unil.backup.comet_client_windows_*).
The meaning of ``backup-tool`` output (version, device ID, login codes) is _comet_client's, reused here.
"""

from __future__ import annotations

import os

from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_identity
from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _windows_exit_codes as ec

# The installer's fixed names (Comet docs, appendix "Registry keys" and installation page).
# The Uninstall key name, i.e. ansible.windows.win_package's product_id for the registry provider.
PRODUCT_ID = "backup-tool"
# Relative to HKLM (the probe also looks under SOFTWARE\WOW6432Node for a 32-bit install).
UNINSTALL_KEY = "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\" + PRODUCT_ID
SETTINGS_KEY = "SOFTWARE\\backup-tool"
BACKUP_TOOL_EXE = "backup-tool.exe"
UNINSTALLER_EXE = "Uninstall.exe"
# delegate: runs the backups; elevator: applies the client's software updates
SERVICES = ("backup.delegate", "backup.elevator")
# Get-Service StartType values (the probe reports a delayed start as AutomaticDelayedStart)
ENABLED_START_TYPES = ("Automatic", "AutomaticDelayedStart")
RUNNING_STATUS = "Running"
# The installer's exit codes come from the collection's one table (_windows_exit_codes): Comet documents none for its
# Windows installer, these are the Windows ones. ansible.windows.win_package, given expected_return_code, is the only
# judge of success; the role reads from its verdict whether Windows must restart (_comet_client_steps.reboot_required).
# 3010 ERROR_SUCCESS_REBOOT_REQUIRED, 1641 ERROR_SUCCESS_REBOOT_INITIATED (done, the installer started the restart).
REBOOT_REQUIRED_RC = ec.ERROR_SUCCESS_REBOOT_REQUIRED
REBOOT_INITIATED_RC = ec.ERROR_SUCCESS_REBOOT_INITIATED
REBOOT_RCS = ec.REBOOT_CODES
# the default of comet_client_windows_expected_return_codes (roles/comet_client/defaults/main.yml, checked equal)
DEFAULT_EXPECTED_RCS = ec.INSTALLER_SUCCESS
# longest wait for a client that is still connecting (the probe's WaitLoginSeconds)
MAX_WAIT_LOGIN = 600
# the probe's coarse filter of CrashPlan's Uninstall entries (the exact rule is _crashplan.is_crashplan_name)
CRASHPLAN_NAME_PATTERN = "CrashPlan|Code42"
# Under SETTINGS_KEY, inputs of the device ID (../shared/notes/comet.md, "Device identity": APX); the one to set on a
# cloned machine, before the client first starts, is ENTROPY_VALUE.
ENTROPY_VALUE = "DeviceIdentificationEntropy"
HARDWARE_ID_OVERRIDE_VALUE = "DeviceIdentificationHardwareIDOverride"
# The Windows installation's own ID (reported, not compared: not an input of the client)
CRYPTOGRAPHY_KEY = "SOFTWARE\\Microsoft\\Cryptography"
# The installers the Comet Server generates for Windows (docs.cometbackup.com, API methods:
# AdminBrandingGenerateClientWindowsX8664Zip, AdminBrandingGenerateClientWindowsX8632Zip; the zip endpoints are the
# ones recommended for end users). The 64-bit one is _comet_client.VARIANTS' default for Win32NT.
X86_64_VARIANT = "windows-x86_64-zip"
X86_32_VARIANT = "windows-x86_32-zip"
# The OS architecture the probe reports (the native PROCESSOR_ARCHITECTURE, never that of a 32-bit PowerShell on a
# 64-bit Windows), in the names Ansible's facts use.
ARCHITECTURES = {"amd64": "x86_64", "x86": "x86", "arm64": "arm64", "ia64": "ia64"}
# The role's variables for a 32-bit Windows host (roles/comet_client/defaults/main.yml), named in refusals.
X86_VARIABLES = {"variant": "comet_client_windows_x86_installer_variant", "file": "comet_client_windows_x86_installer_file",
                 "url": "comet_client_windows_x86_installer_url", "sha256": "comet_client_windows_x86_installer_sha256"}


def new_entropy(random_bytes=None):
    """The registry value that gives a cloned Windows machine a device ID of its own: a random
    DeviceIdentificationEntropy (REG_SZ, 32 hex digits) under HKLM\\SETTINGS_KEY, set before the client first starts.
    Returns {path, name, data, type} for ansible.windows.win_regedit."""
    data = (random_bytes if random_bytes is not None else os.urandom(16)).hex()
    return {"path": "HKLM:\\" + SETTINGS_KEY, "name": ENTROPY_VALUE, "data": data, "type": "string"}


def probe_parameters(install_dir_hint="", wait_login=0, gather_facts=False):
    """The options of module unil.backup.comet_windows_probe: the names above and the login codes of _comet_client,
    so the module holds none of them itself. ``gather_facts``: the module also returns the facts the roles decide on
    (those ansible.windows.setup's min subset returns under the same names), so a play without facts needs no
    second round trip."""
    wait = int(wait_login or 0)
    if not 0 <= wait <= MAX_WAIT_LOGIN:
        raise ValueError("wait_login: %d is not between 0 and %d seconds" % (wait, MAX_WAIT_LOGIN))
    return {
        "install_dir_hint": str(install_dir_hint or ""),
        "uninstall_key": UNINSTALL_KEY,
        "settings_key": SETTINGS_KEY,
        "backup_tool_exe": BACKUP_TOOL_EXE,
        "service_names": list(SERVICES),
        "wait_login_seconds": wait,
        "transient_login_codes": list(cc.TRANSIENT_CODES),
        "login_code_pattern": cc._CODE_RE.pattern,
        "crashplan_service_names": list(cp.WINDOWS_SERVICES),
        "crashplan_process_names": list(cp.WINDOWS_PROCESSES),
        "crashplan_name_pattern": CRASHPLAN_NAME_PATTERN,
        "identity_value_names": [ENTROPY_VALUE, HARDWARE_ID_OVERRIDE_VALUE],
        "cryptography_key": CRYPTOGRAPHY_KEY,
        "gather_facts": bool(gather_facts),
    }


def _text(value):
    """A registry or PowerShell value as text: strings as they are, PowerShell enums serialised as {String, Value}
    by their string, anything else (lists, numbers, null) as ''."""
    if isinstance(value, dict) and isinstance(value.get("String"), str):
        value = value["String"]
    return value.strip() if isinstance(value, str) else ""


def _dict(value):
    return value if isinstance(value, dict) else {}


def _flag(value):
    return value is True


def device_id(value):
    """HKLM\\SOFTWARE\\backup-tool\\DeviceIdentificationID: one ID on one line, as ``backup-tool info device-id``
    prints it, or ''."""
    text = _text(value)
    return "" if "\n" in text or "\r" in text else cc.parse_device_id(text)


def service_facts(raw_services):
    """{name: {exists, enabled, active}} for each of SERVICES, from the probe's list of {name, exists, start_type,
    status}; a service the probe did not report counts as missing."""
    by_name = {}
    for entry in raw_services if isinstance(raw_services, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            by_name[entry["name"].lower()] = entry
    out = {}
    for name in SERVICES:
        entry = by_name.get(name.lower(), {})
        exists = _flag(entry.get("exists"))
        out[name] = {"exists": exists, "enabled": exists and _text(entry.get("start_type")) in ENABLED_START_TYPES,
                     "active": exists and _text(entry.get("status")) == RUNNING_STATUS}
    return out


def installed_version(raw):
    """The client's version from the probe: what ``backup-tool.exe version`` printed (documented: Comet docs, appendix
    "Command-line control"), else the Uninstall key's DisplayVersion (not documented by Comet: it may be missing, or
    written 24.6.0.0); '' when backup-tool.exe is gone or neither holds a version. Versions are compared as versions
    (_comet_client.compare_versions: 24.6.0.0 == 24.6.0), never as strings."""
    raw = _dict(raw)
    if not _flag(_dict(raw.get("backup_tool")).get("exists")):
        return ""
    answer = _dict(raw.get("version_output"))
    found = cc.parse_version(_text(answer.get("text"))) if answer.get("rc") == 0 else ""
    return found or cc.parse_version(_text(_dict(raw.get("uninstall_key")).get("DisplayVersion")))


def os_architecture(raw):
    """The Windows OS architecture from the probe's ``os_architecture`` ({processor_architecture, is_64bit_os}):
    x86 (32-bit Windows), x86_64, arm64, ia64, or '' when the probe did not say."""
    found = _dict(_dict(raw).get("os_architecture"))
    name = ARCHITECTURES.get(_text(found.get("processor_architecture")).lower(), "")
    if found.get("is_64bit_os") is False:
        return "x86"
    if found.get("is_64bit_os") is True and name == "x86":
        return ""  # contradictory: a 64-bit Windows that calls itself x86 is not guessed at
    return name


def installer_for_host(probe, host="", source="server", variant="", name="", file="", url="", sha256="",
                       target_version="", x86=None):
    """The installer for this Windows host: {architecture, x86, variant, file, url, sha256, name, refusal}.

    A 64-bit (or unknown) Windows gets the role's installer as it is. A 32-bit Windows (the probe's
    ``windows.architecture`` x86) gets the 32-bit client Comet ships: from the server, the variant
    comet_client_windows_x86_installer_variant (empty: X86_32_VARIANT, windows-x86_32-zip); from a file or URL, the 32-bit file or URL
    of ``x86`` ({variant, file, url, sha256}: comet_client_windows_x86_installer_*). When the source has no 32-bit
    installer, or its version (in its name) is not the target version, ``refusal`` says so and what to set, before
    anything is installed."""
    x86 = _dict(x86)
    architecture = _text(_dict(_dict(probe).get("windows")).get("architecture"))
    out = {"architecture": architecture, "x86": architecture == "x86", "variant": str(variant or ""),
           "file": str(file or ""), "url": str(url or ""), "sha256": str(sha256 or ""), "name": str(name or ""),
           "refusal": ""}
    if not out["x86"]:
        return out
    where = "%s runs 32-bit Windows" % (host or "the host")
    chosen = {"variant": _text(x86.get("variant")), "file": _text(x86.get("file")), "url": _text(x86.get("url")),
              "sha256": _text(x86.get("sha256")).lower()}
    if source == "server":
        # comet_client_windows_x86_installer_variant, empty for the one Comet documents
        out["variant"] = chosen["variant"] or X86_32_VARIANT
        return out
    location = chosen[source] if source in ("file", "url") else ""
    if not location:
        out["refusal"] = "%s and comet_client_installer_%s is the 64-bit installer: set %s to the 32-bit one (the " \
            "Comet Server's %s)%s, nothing was installed." % (
                where, source, X86_VARIABLES.get(source, "comet_client_windows_x86_installer_file"), X86_32_VARIANT,
                " and %s" % X86_VARIABLES["sha256"] if source == "url" else "")
        return out
    if source == "url" and not chosen["sha256"]:
        out["refusal"] = "%s: %s is required with %s, nothing was installed." % (
            where, X86_VARIABLES["sha256"], X86_VARIABLES["url"])
        return out
    out.update(file=chosen["file"] if source == "file" else out["file"],
               url=chosen["url"] if source == "url" else out["url"], sha256=chosen["sha256"],
               name=os.path.basename(location.split("?")[0].replace("\\", "/").rstrip("/")))
    found = cc.installer_version(out["name"])
    if found and target_version and cc.compare_versions(found, target_version) != 0:
        out["refusal"] = "%s: %s %s is version %s, the target is %s; give the 32-bit installer of the same version, " \
            "nothing was installed." % (where, X86_VARIABLES[source], out["name"], found, target_version)
    return out


def probe_facts(raw, install_dir_hint="", crashplan_archives=None, crashplan_log_dir=cp.WINDOWS_DEFAULT_LOG_DIR):
    """The probe shape every OS shares (module host_info's on Linux), from the raw answer of module comet_windows_probe.

    Installed: the Uninstall key or backup-tool.exe is there. The version is ``backup-tool.exe version``'s answer
    (installed_version; the Uninstall key's DisplayVersion only when that holds none), and only while backup-tool.exe
    exists: a client whose program is gone reads as installed with no version, which the plan repairs by running the
    installer over it (never by installing beside it).

    When the probe read CrashPlan (its ``crashplan`` part), ``crashplan`` holds the facts and plan of
    _crashplan.windows_facts (as host_info's ``crashplan`` on Linux), made with ``crashplan_archives`` and
    ``crashplan_log_dir``, ``probed`` records them, and ``windows.crashplan_probe`` keeps the raw part, so that role
    crashplan_removal plans again with its own inputs without reading the host again.
    """
    raw = _dict(raw)
    uninstall = _dict(raw.get("uninstall_key"))
    settings = _dict(raw.get("settings_key"))
    tool = _dict(raw.get("backup_tool"))
    tool_exists = _flag(tool.get("exists"))
    installed = bool(uninstall) or tool_exists
    install_dir = _text(raw.get("install_dir")) or _text(settings.get("InstallDirectory")) \
        or _text(uninstall.get("InstallLocation")) or str(install_dir_hint or "")
    status = _dict(raw.get("login_status"))
    if not installed:
        login = cc.login_status("", installed=False)
    else:
        login = cc.login_status(_text(status.get("text")) if tool_exists else "")
    reboot = _dict(raw.get("reboot_pending"))
    crashplan_raw = raw.get("crashplan") if isinstance(raw.get("crashplan"), dict) else None
    archives = [str(a) for a in crashplan_archives or []]
    log_dir = str(crashplan_log_dir or cp.WINDOWS_DEFAULT_LOG_DIR)
    out = {
        "comet": {"installed": installed,
                  "version": installed_version(raw),
                  "device_id": device_id(settings.get("DeviceIdentificationID")) if installed else "",
                  "login": login},
        # start at boot is the services' business on Windows: there is no unit
        "unit": {"exists": False, "sha256": "", "enabled": False, "active": False},
        "services": service_facts(raw.get("services")),
        "probed": {"backup_tool": _text(tool.get("path")), "install_dir_hint": str(install_dir_hint or ""),
                   "crashplan": crashplan_raw is not None, "crashplan_archives": archives if crashplan_raw is not None else [],
                   "crashplan_uninstaller": None},
        "windows": {"install_dir": install_dir,
                    "reboot_pending": any(_flag(value) for value in reboot.values()),
                    "os_version": cc.parse_version(_text(raw.get("os_version"))),
                    # x86 is a 32-bit Windows: its installer is the x86 one (installer_for_host)
                    "architecture": os_architecture(raw),
                    "display_name": _text(uninstall.get("DisplayName")),
                    # for the role's tasks, so that they name none of these themselves
                    "product_id": PRODUCT_ID,
                    "uninstaller": (install_dir.rstrip("\\") + "\\" + UNINSTALLER_EXE) if install_dir else "",
                    "crashplan_probe": crashplan_raw},
    }
    if crashplan_raw is not None:
        out["crashplan"] = cp.windows_facts(crashplan_raw, log_dir, archives)
        out["probed"]["crashplan_log_dir"] = log_dir
    found = _dict(raw.get("identity"))
    identity = _comet_identity.windows_identity(dict(settings, MachineGuid=_text(found.get("MachineGuid"))))
    identity["product_uuid"] = _text(found.get("ProductUuid")).lower()
    out["identity"] = identity
    return out


def install_arguments(shortcuts=True, tray_icon=True, local_system=False):
    """The silent installer's arguments (Comet docs, silent installation), without the install token: the role
    appends ``/TOKEN=...`` in a task of its own, under no_log. An upgrade runs with the same arguments and no token.
    The shortcuts and the tray icon are on by default (the guide sends people into the application: seed 000,
    activation); ``/SHORTCUT=disable`` and ``/TRAYICON=disable`` only when asked."""
    args = ["/S"]
    if not shortcuts:
        args.append("/SHORTCUT=disable")
    if not tray_icon:
        args.append("/TRAYICON=disable")
    if local_system:
        args.append("/ISLOCALSYSTEM=yes")
    return " ".join(args)


def uninstall_arguments(remove_credentials=True):
    """``Uninstall.exe`` arguments: silent, and with ``/ISDELETECREDENTIAL=yes`` the stored credentials go too."""
    return "/S /ISDELETECREDENTIAL=yes" if remove_credentials else "/S"


def expected_return_codes(values=None):
    """win_package's expected_return_code for the client's installer and uninstaller: the role's
    comet_client_windows_expected_return_codes as ints, DEFAULT_EXPECTED_RCS when empty. ValueError names a bad value."""
    return ec.codes(values, DEFAULT_EXPECTED_RCS)


def return_code_meaning(rc, expected=DEFAULT_EXPECTED_RCS):
    """{ok, reboot_required, text} for an installer's exit code, as win_package judges it (its expected_return_code;
    the wording of a message and the restart, never a second verdict), 3010 and 1641 meaning done with a restart
    (_windows_exit_codes, the one table)."""
    codes = [int(c) for c in (expected or [])]
    found = ec.meaning(rc, codes)
    if found["rc"] is None:
        return {"ok": False, "reboot_required": False, "text": found["text"]}
    code = found["rc"]
    if found["ok"]:
        text = "%s (exit code %d)" % (found["text"], code) if found["reboot_required"] else "done (exit code %d)" % code
        return {"ok": True, "reboot_required": found["reboot_required"], "text": text}
    return {"ok": False, "reboot_required": False,
            "text": "failed with exit code %d (0x%08X), expected one of %s" % (
                code, code & 0xFFFFFFFF, ", ".join(str(c) for c in codes) or "none")}


# Where Comet documents each command (../shared/notes/comet.md, sources INST and APX).
_DOC_INSTALL = "docs.cometbackup.com, Comet Backup installation (Windows, silent installation)"
_DOC_CLI = "docs.cometbackup.com, Appendix (command-line control)"


def documented_commands(probe, shortcuts=True, tray_icon=True, local_system=False, remove_credentials=True):
    """The Windows commands the role runs, as Comet documents them, for a person to compare with the vendor's page:
    [{step, command, chdir, source, read_only}]. ``command`` is the argv (the install token shown as <token>: it is
    never printed); ``chdir`` the directory it runs in ('' when any; the installer's own directory for the installer,
    which reads its install.dat there). Steps: install, upgrade, version, login_status, login, uninstall."""
    windows = _dict(_dict(probe).get("windows"))
    install_dir = _text(windows.get("install_dir"))
    tool = (install_dir.rstrip("\\") + "\\" + BACKUP_TOOL_EXE) if install_dir else BACKUP_TOOL_EXE
    upgrade = install_arguments(_flag(shortcuts), _flag(tray_icon), _flag(local_system)).split(" ")
    return [
        {"step": "install", "command": ["install.exe"] + upgrade + ["/TOKEN=<token>"], "chdir": "<installer directory>",
         "source": _DOC_INSTALL, "read_only": False},
        {"step": "upgrade", "command": ["install.exe"] + upgrade, "chdir": "<installer directory>",
         "source": _DOC_INSTALL, "read_only": False},
        {"step": "version", "command": [tool, "version"], "chdir": install_dir, "source": _DOC_CLI, "read_only": True},
        {"step": "login_status", "command": [tool, "login", "status"], "chdir": install_dir, "source": _DOC_CLI,
         "read_only": True},
        {"step": "login", "command": [tool, "login", "prompt"], "chdir": install_dir,
         "source": _DOC_INSTALL + ", answers on stdin", "read_only": False},
        {"step": "uninstall", "command": [_text(windows.get("uninstaller")) or UNINSTALLER_EXE]
         + uninstall_arguments(_flag(remove_credentials)).split(" "), "chdir": "", "source": _DOC_INSTALL,
         "read_only": False},
    ]
