# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection. Role comet_client's steps on the host (tasks/<os>_present.yml, <os>_absent.yml,
login.yml, macos_full_disk_access.yml): what each step runs, whether it failed, and its message, from the step's
registered result and the role's values. Pure functions, run on the controller (filters in
plugins/filter/comet_client_steps.py).

Every message starts with ``unil.backup.comet_client:`` and names the host; a command's output is quoted with its
secrets masked (``********``), the same way on every OS.
"""

from __future__ import annotations

import json

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw

PREFIX = "unil.backup.comet_client: "
MASK = "********"
# what the role's login answers on `backup-tool login prompt`'s prompts, in this order (stdin, never argv)
LOGIN_PROMPTS = ("username", "password", "server", "device_name")


def _dict(value):
    return value if isinstance(value, dict) else {}


def _flag(value, default=False):
    if value is None or value == "":
        return default
    return boolean(value, strict=False)


def _rc_text(result):
    rc = _dict(result).get("rc")
    return "-" if rc is None or rc == "" else str(rc)


def _rc_zero(result):
    """Whether a command's exit code is 0 (a result without one counts as failed)."""
    try:
        return int(_dict(result).get("rc")) == 0
    except (TypeError, ValueError):
        return False


def ran(result):
    """Whether a registered result is of a task that ran (not skipped, not absent)."""
    result = _dict(result)
    return bool(result) and not result.get("skipped")


def command_output(result, keys=("stdout", "stderr"), secrets=()):
    """What a command printed, for a message: the non-empty ``keys`` of its result, trimmed, joined by `` | ``; each
    non-empty secret replaced by ``********`` (an empty one is never replaced: it would mask between every letter)."""
    result = _dict(result)
    text = " | ".join(part for part in (str(result.get(key) or "").strip() for key in keys) if part)
    for secret in secrets or ():
        secret = "" if secret is None else str(secret)
        if secret:
            text = text.replace(secret, MASK)
    return text


def _two_factor(account, output):
    """The two-factor explanation when a login's output asks for a TOTP code, else ''."""
    if output and cc.mentions_two_factor(output):
        return cc.two_factor_message(str(account or ""), "the login answered that a TOTP code is required")
    return ""


def _join(*parts):
    return " ".join(part for part in parts if part)


# ---------------------------------------------------------------------------------------------------------------
# Facts and refusals read before the plan (vars/main.yml)
# ---------------------------------------------------------------------------------------------------------------
# (whether the facts are there: _host_facts.facts_missing, kept apart for the play's first task)


def two_factor(account_result, account, plan, os_name):
    """Why a two-factor account stops the plan ('' when nothing does), from the registered comet_info read of the
    account (skipped or failed: nothing is refused) and the plan."""
    login = _dict(_dict(account_result).get("account")).get("login")
    plan = _dict(plan)
    return cc.two_factor_refusal(str(account or ""), login, str(os_name or ""), str(plan.get("action") or ""),
                                 bool(plan.get("login")))


# ---------------------------------------------------------------------------------------------------------------
# Installers
# ---------------------------------------------------------------------------------------------------------------
_INSTALLER_OUTPUT = {"linux": ("stdout", "stderr", "msg"), "macos": ("stdout", "stderr", "msg"),
                     "windows": ("msg", "stdout", "stderr")}


def install_failure(result, host, installer, action, os_name, account="", secrets=(), expected_rcs=None):
    """The message for an installer run that failed, '' when it did not (or did not run: check mode).

    Linux and macOS: any exit code but 0 fails. Windows: win_package judged the exit code (its
    expected_return_code, ``expected_rcs``): a result it did not fail is no failure; a failed one is worded.
    ``secrets`` are masked in the quoted output (the Linux installer's prompts, win_package's command line with the
    install token). A Linux installer that answered that a TOTP code is required gets the two-factor explanation."""
    if not ran(result):
        return ""
    os_name = str(os_name or "")
    output = command_output(result, _INSTALLER_OUTPUT.get(os_name, ("stdout", "stderr", "msg")), secrets)
    if os_name == "windows":
        # win_package (expected_return_code) judged the exit code: its verdict is taken, the code only worded
        if not _flag(result.get("failed")):
            return ""
        meaning = cw.return_code_meaning(result.get("rc"), cw.DEFAULT_EXPECTED_RCS if expected_rcs is None
                                         else list(expected_rcs))
        return "%sthe installer %s (%s) on %s %s: %s" % (PREFIX, installer, action, host, meaning["text"], output)
    if _rc_zero(result):
        return ""
    if os_name == "macos":
        return "%s%s (%s) failed on %s with exit code %s: %s" % (
            PREFIX, " ".join(cm.installer_argv(installer or "-")), action, host, _rc_text(result), output)
    return _join("%sthe installer %s (%s) failed on %s with exit code %s: %s" % (
        PREFIX, installer, action, host, _rc_text(result), output), _two_factor(account, output))


def reboot_required(result, expected_rcs=None):
    """Whether Windows must restart to finish an installation or a removal (comet_client_reboot_required, set from
    here only): win_package says so, or it succeeded with an exit code of _comet_windows.REBOOT_RCS (3010, 1641)."""
    result = _dict(result)
    if not ran(result) or _flag(result.get("failed")):
        return False
    if _flag(result.get("reboot_required")):
        return True
    rc = result.get("rc")
    return cw.return_code_meaning(0 if rc is None else rc, cw.DEFAULT_EXPECTED_RCS if expected_rcs is None
                                  else list(expected_rcs))["reboot_required"]


def windows_installer(probe, action, shortcuts=False, tray_icon=False, local_system=False):
    """win_package's product_id and arguments for the installer (the install token is appended by the task, under
    no_log). A first installation names the product (a client already registered is never installed again); an
    upgrade or a downgrade does not, or win_package would find the Uninstall key and skip it."""
    windows = _dict(_dict(probe).get("windows"))
    return {"product_id": str(windows.get("product_id") or cw.PRODUCT_ID) if action == "install" else "",
            "arguments": cw.install_arguments(_flag(shortcuts), _flag(tray_icon), _flag(local_system))}


def windows_services_to_start(probe, plan, check_mode=False):
    """The Windows services to start (and at boot): [{name, start_mode}], start_mode '' to keep the one an
    administrator chose (a delayed start counts as started at boot) on a client the plan does not install. None
    without a change of the plan; none in check mode before a first installation (they do not exist yet)."""
    plan = _dict(plan)
    action = plan.get("action") or "none"
    if not (plan.get("start_services") or action != "none") or (_flag(check_mode) and action == "install"):
        return []
    services = _dict(_dict(probe).get("services"))
    return [{"name": name, "start_mode": "" if _dict(state).get("enabled") and action == "none" else "auto"}
            for name, state in services.items()]


def macos_install_steps(package, use_token=False):
    """The documented macOS installation as argvs: {setenv (``launchctl setenv BACKUP_APP_TOKEN``, the task appends
    the token under no_log; [] without a token), installer (``installer -allowUntrusted -pkg <package> -target /``),
    unsetenv (``launchctl unsetenv BACKUP_APP_TOKEN``; [] without a token)}. Sources: _comet_macos.installer_argv."""
    use_token = _flag(use_token)
    return {"setenv": cm.token_setenv_argv() if use_token else [],
            "installer": cm.installer_argv(str(package or "")),
            "unsetenv": cm.token_unsetenv_argv() if use_token else []}


def macos_daemons(probe):
    """The client's launchd daemons to bring up, from the probe: ``down`` (not running or disabled), and what each
    needs: ``enable`` (disabled in launchd's override database), ``bootstrap`` (unknown to launchd), ``kickstart``
    (loaded, not running). All empty when the client is not installed."""
    probe = _dict(probe)
    out = {"down": [], "enable": [], "bootstrap": [], "kickstart": []}
    if not _dict(probe.get("comet")).get("installed"):
        return out
    services = _dict(probe.get("services"))
    inactive = [name for name, state in services.items() if not _dict(state).get("active")]
    disabled = [name for name, state in services.items() if not _dict(state).get("enabled")]
    out["down"] = inactive + [name for name in disabled if name not in inactive]
    for name in out["down"]:
        state = _dict(services.get(name))
        # the launchd label is the plist's Label (host_info launchd_plists), not assumed from its file name
        label = str(state.get("label") or name)
        if not state.get("enabled"):
            out["enable"].append(label)
        if not state.get("exists"):
            out["bootstrap"].append(str(state.get("plist") or cm.daemon_plist(name)))
        elif not state.get("active"):
            out["kickstart"].append(label)
    return out


def macos_loaded(probe):
    """The launchd labels of the client's daemons launchd knows (the probe's ``services``, each with the ``label``
    read from its plist): what is left to boot out after the vendor's uninstall script."""
    services = _dict(_dict(probe).get("services"))
    return [str(_dict(state).get("label") or name) for name, state in services.items() if _dict(state).get("exists")]


def macos_app_path(probe, configured):
    """The client's app bundle: the one the probe read (configured, or found from the package receipt), else the
    configured comet_client_macos_app_path."""
    return str(_dict(_dict(probe).get("macos")).get("app_path") or configured or "")


# ---------------------------------------------------------------------------------------------------------------
# The login (tasks/login.yml, the same on every OS)
# ---------------------------------------------------------------------------------------------------------------
def login_needed(probe, can_login, action="none", install_token=True, check_mode=False):
    """Whether to log the client in, from the latest probe: logged out or unregistered (code 0 or 4) with credentials
    at hand; or a first installation made without an install token (macOS), which always needs the login."""
    if action == "install" and not _flag(install_token, True) and not _flag(check_mode):
        return True
    comet = _dict(_dict(probe).get("comet"))
    return bool(cc.plan(_dict(probe), comet.get("version") or "", can_login=_flag(can_login))["login"])


def login_step(os_name, probe=None, linux_install_dir="", app_path=""):
    """How ``backup-tool login prompt`` runs on this OS: {tool (its path), name (for messages), chdir, home, windows
    (win_command rather than command), restart_delegate (launchctl kickstart -k, macOS), delegate (its launchd label,
    from its plist; macOS), probe_file (the task file that reads the host again)}. Only the path and the way to run it
    differ; the answers go on stdin everywhere. On macOS the app bundle is the one the probe found (macos_app_path)."""
    probe = _dict(probe)
    if os_name == "windows":
        return {"tool": str(_dict(probe.get("probed")).get("backup_tool") or ""), "name": "backup-tool.exe",
                "chdir": str(_dict(probe.get("windows")).get("install_dir") or ""), "home": "", "windows": True,
                "restart_delegate": False, "probe_file": "windows_probe.yml"}
    if os_name == "macos":
        delegate = _dict(_dict(probe.get("services")).get("backup.delegate"))
        return {"tool": "%s/%s" % (macos_app_path(probe, app_path), cm.CLIENT_PROGRAM), "name": "backup-tool",
                "chdir": "", "home": "/var/root", "windows": False, "restart_delegate": bool(delegate.get("exists")),
                "delegate": str(delegate.get("label") or "backup.delegate"), "probe_file": "probe.yml"}
    return {"tool": "%s/backup-tool" % linux_install_dir, "name": "backup-tool", "chdir": "", "home": "/root",
            "windows": False, "restart_delegate": False, "probe_file": "probe.yml"}


def login_failure(results, host, tool_name, account="", password=""):
    """The message for a ``backup-tool login prompt`` that failed, '' when it succeeded or did not run. ``results``: the
    registered result, or a list of them (the one that ran counts). The password is masked in the quoted output, and
    an answer asking for a TOTP code gets the two-factor explanation."""
    results = results if isinstance(results, list) else [results]
    result = next((r for r in results if ran(r)), None)
    if result is None:
        return ""
    if _rc_zero(result):
        return ""
    output = command_output(result, ("stdout", "stderr"), [password])
    failed = "%s%s login prompt failed on %s with exit code %s: %s" % (PREFIX, tool_name, host, _rc_text(result), output)
    return _join(failed, _two_factor(account, output))


# ---------------------------------------------------------------------------------------------------------------
# Checks after a change
# ---------------------------------------------------------------------------------------------------------------
def final_check(probe, plan, host, require_login=False, check_services=False):
    """{ok, msg}: after the plan's changes, the client runs the plan's target version, is logged in when
    comet_client_require_login says so and (Windows, ``check_services``) runs all its services; else why not, from the
    latest probe."""
    probe = _dict(probe)
    plan = _dict(plan)
    target = str(plan.get("target") or "")
    changes = [str(change) for change in plan.get("changes") or []]
    comet = _dict(probe.get("comet"))
    login = _dict(comet.get("login"))
    version = str(comet.get("version") or "")
    services = _dict(probe.get("services"))
    # compared as versions: a client reporting 24.6.0.0 runs the target 24.6.0
    ok = bool(cc.parse_version(version)) and cc.compare_versions(version, target) == 0 \
        and (not _flag(require_login) or bool(login.get("logged_in")))
    check_services = _flag(check_services)
    if check_services:
        ok = ok and all(_dict(state).get("active") for state in services.values())
    found = "version %s (expected %s)" % (version or "-", target)
    if check_services:
        found += ", services %s" % json.dumps(services)
    msg = ("%safter the %s on %s, the client reports %s and login status \"%s\" (logged in is required by "
           "comet_client_require_login)." % (PREFIX, ", ".join(changes), host, found, login.get("text", "")))
    return {"ok": ok, "msg": "" if ok else msg}


def removal_check(probe, host):
    """{ok, msg}: after its uninstaller ran, the client is not installed and none of its services exists."""
    probe = _dict(probe)
    comet = _dict(probe.get("comet"))
    services = _dict(probe.get("services"))
    ok = not comet.get("installed") and not any(_dict(state).get("exists") for state in services.values())
    msg = ("%safter its uninstaller ran on %s, the client is still there (installed %s, version %s, services %s)."
           % (PREFIX, host, bool(comet.get("installed")), comet.get("version") or "-", json.dumps(services)))
    return {"ok": ok, "msg": "" if ok else msg}


# Linux: Comet documents `backup-tool login disconnect` (appendix "Command-line control") to log a client out; the
# role runs it before removing the files, bounded by coreutils' timeout (124: it did not answer in time). Deleting
# /root/.config/backup-tool by hand is community knowledge only: done after, when comet_client_remove_credentials.
DISCONNECT_TIMEOUT = 60
DISCONNECT_KILL_AFTER = 10
TIMEOUT_RC = 124


def linux_disconnect_argv(install_dir):
    """``timeout --kill-after=10 60 <install_dir>/backup-tool login disconnect``."""
    return ["timeout", "--kill-after=%d" % DISCONNECT_KILL_AFTER, str(DISCONNECT_TIMEOUT),
            "%s/backup-tool" % str(install_dir or "").rstrip("/"), "login", "disconnect"]


def disconnect_result(result, host):
    """{ok, msg} of ``backup-tool login disconnect`` before a removal: a failure is tolerated (the removal goes on)
    and said, with the exit code, or that it did not answer within the timeout. Not run (skipped, check mode, no
    client program): ok, nothing said."""
    rc = _dict(result).get("rc")
    if not ran(result) or rc is None or rc == "" or _rc_zero(result):
        return {"ok": True, "msg": ""}
    why = ("did not answer within %d seconds" % DISCONNECT_TIMEOUT if str(rc) == str(TIMEOUT_RC)
           else "failed with exit code %s: %s" % (_rc_text(result), command_output(result)))
    return {"ok": False, "msg": "WARNING %sbackup-tool login disconnect %s on %s; the client is removed anyway, and its "
                                "login with it." % (PREFIX, why, host)}


def uninstall_left(result, host, app_path):
    """The message for a macOS uninstall script that left the app in place."""
    return "%sthe uninstall script left %s on %s (exit code %s): %s" % (
        PREFIX, app_path, host, _rc_text(result), command_output(result, ("stdout", "stderr")))


def macos_uninstaller(stat_results, app_path, remove_credentials=True):
    """The argv of the client's uninstall script: the first one found (Contents/Resources, or Contents/MacOS up to
    Comet 19.12.7), else the current place; ``--also-remove-saved-passwords`` with comet_client_remove_credentials."""
    found = [r.get("item") for r in (stat_results if isinstance(stat_results, list) else [])
             if isinstance(r, dict) and _dict(r.get("stat")).get("exists") and r.get("item")]
    path = (found + ["%s/Contents/Resources/uninstall" % app_path])[0]
    return [path] + (["--also-remove-saved-passwords"] if _flag(remove_credentials, True) else [])


# ---------------------------------------------------------------------------------------------------------------
# Full Disk Access (macOS)
# ---------------------------------------------------------------------------------------------------------------
def full_disk_access(installed, host, identifier, profile_path="", required=False):
    """{granted, warn, refuse, hint, msg}: Full Disk Access is granted only by the PPPC profile an MDM installs. Not
    installed: a warning, or a refusal with comet_client_macos_require_full_disk_access. ``hint`` says what the MDM
    must deliver: the profile the role wrote (``profile_path``), or one with this PayloadIdentifier."""
    granted = _flag(installed)
    required = _flag(required)
    hint = ("deliver %s with the MDM" % profile_path if profile_path else
            "deliver a PPPC profile with this PayloadIdentifier with the MDM (set comet_client_macos_pppc_apps and "
            "comet_client_macos_pppc_dest to have the role write it)")
    msg = ""
    if not granted and required:
        msg = ("%sFull Disk Access is NOT granted to Comet Backup on %s: the configuration profile %s is not installed, "
               "and comet_client_macos_require_full_disk_access is true. Only an MDM can deliver it: %s."
               % (PREFIX, host, identifier, hint))
    elif not granted:
        msg = ("WARNING %sFull Disk Access is NOT granted to Comet Backup on %s: the configuration profile %s is not "
               "installed. Only an MDM can deliver it: %s. Until then the backups of users' Desktop, Documents and "
               "Downloads end with \"operation not permitted\" warnings." % (PREFIX, host, identifier, hint))
    return {"granted": granted, "warn": not granted and not required, "refuse": not granted and required,
            "hint": hint, "msg": msg}
