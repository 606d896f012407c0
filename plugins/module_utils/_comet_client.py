# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Comet Backup client on a host says, and what the roles decide from it. Pure functions, run anywhere.

The meaning of ``backup-tool`` output (version, device ID, login status codes) lives here once, for every OS: the host
probe (module host_info) parses with it, and the role decisions (filter unil.backup.comet_client_plan) use it.
"""

from __future__ import annotations

import json
import re

from ansible_collections.unil.backup.plugins.module_utils import _comet_tls
from ansible_collections.unil.backup.plugins.module_utils._comet_url import server_url as server_url_normalised, url_problem

# `backup-tool login status` (Comet docs, appendix "Command-line control"): "<text> (<code>)".
LOGIN_CODES = {
    0: "Logged out",
    1: "Logged in, locked",
    2: "Logged in, unlocked",
    3: "Connection error",
    4: "Unregistered device for the supplied credentials",
}
LOGGED_IN_CODES = (1, 2)
# logged out, or the device is not registered for the credentials: a login prompt repairs it
RELOGIN_CODES = (0, 4)
# the client may still be connecting right after an installation or a login
TRANSIENT_CODES = (3,)
NOT_INSTALLED = -1

_VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9]+)+")
_CODE_RE = re.compile(r"\(([0-9]+)\)")
_DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


def parse_version(text):
    """The first dotted version number in ``backup-tool version`` output, or ''."""
    match = _VERSION_RE.search(text or "")
    return match.group(0) if match else ""


def parse_device_id(text):
    """``backup-tool info device-id`` prints the ID alone on a line; anything else is not an ID."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines and _DEVICE_ID_RE.match(lines[-1]) else ""


def login_status(text, installed=True):
    """{code, text, logged_in} from ``backup-tool login status`` output (the last "(N)" in it)."""
    if not installed:
        return {"code": NOT_INSTALLED, "text": "Not installed", "logged_in": False}
    text = (text or "").strip()
    codes = _CODE_RE.findall(text)
    code = int(codes[-1]) if codes else NOT_INSTALLED
    return {"code": code, "text": text, "logged_in": code in LOGGED_IN_CODES}


def version_tuple(version):
    return tuple(int(part) for part in parse_version(version).split(".")) if parse_version(version) else ()


def compare_versions(left, right):
    """-1, 0 or 1, numerically per dotted part (24.10.0 > 24.9.3); missing parts count as 0."""
    a, b = list(version_tuple(left)), list(version_tuple(right))
    width = max(len(a), len(b))
    a += [0] * (width - len(a))
    b += [0] * (width - len(b))
    return (a > b) - (a < b)


def install_action(installed, installed_version, target_version):
    """What the installer must do: install, upgrade, downgrade or none.

    A client whose version cannot be read is upgraded (reinstalled over itself): that is how the real installer repairs.
    """
    if not installed:
        return "install"
    if not parse_version(installed_version):
        return "upgrade"
    order = compare_versions(target_version, installed_version)
    return "upgrade" if order > 0 else ("downgrade" if order < 0 else "none")


def needs_login(login, can_login):
    """Whether to run ``backup-tool login prompt``: logged out or unregistered, and credentials are at hand."""
    return bool(can_login) and login.get("code") in RELOGIN_CODES


def plan(probe, target_version, unit_sha256="", unit_enabled=True, allow_downgrade=False, can_login=False, state="present",
         can_install=True, require_login=False, services=()):
    """The decisions of role comet_client for one host, from its probe (module host_info, key ``comet``).

    Returns {action, target, refused, reason, write_unit, start_unit, start_services, login, changes}: ``changes`` lists
    what would change, empty for a converged host. ``unit_sha256`` is the digest of the unit the role wants ('' where
    there is none: Windows, macOS). ``services`` names the client's services that must be enabled and running (Windows
    services, macOS launchd daemons; probe key ``services``): ``start_services`` when one is not, on an installed client.
    Refused, with the reason, before any change: a downgrade not allowed; a first installation without the end user's
    credentials (``can_install`` false); an installation or upgrade on a host that cannot verify the server's TLS
    certificate with its own trust store (probe key ``tls``, see tls_refusal); with ``require_login``, a host with nothing else to change whose client is
    not logged in and cannot be logged in again (after a change the role checks the login on the new probe).
    """
    comet = probe.get("comet") or {}
    installed = bool(comet.get("installed"))
    if state == "absent":
        return {"action": "remove" if installed else "none", "target": "", "refused": False, "reason": "", "write_unit": False,
                "start_unit": False, "start_services": False, "login": False, "changes": ["remove"] if installed else []}
    action = install_action(installed, comet.get("version", ""), target_version)
    refused = action == "downgrade" and not allow_downgrade
    reason = ""
    if refused:
        reason = ("runs Comet Backup %s, newer than the installer's %s; refusing to downgrade (set "
                  "comet_client_allow_downgrade: true to force it)" % (comet.get("version"), target_version))
    elif action == "install" and not can_install:
        refused = True
        reason = ("has no Comet Backup client: comet_client_username and comet_client_password (the end user's Comet "
                  "account) are required to install and register it")
    if not refused and action in ("install", "upgrade"):
        reason = tls_refusal(probe.get("tls"))
        refused = bool(reason)
    unit = probe.get("unit") or {}
    write_unit = bool(unit_sha256) and unit.get("sha256", "") != unit_sha256
    start_unit = bool(unit_sha256) and (write_unit or not unit.get("active") or bool(unit.get("enabled")) != bool(unit_enabled))
    found = probe.get("services") or {}
    start_services = installed and any(not (found.get(name) or {}).get("enabled") or not (found.get(name) or {}).get("active")
                                       for name in services)
    login = action == "none" and needs_login(comet.get("login") or {}, can_login)
    changes = [name for name, wanted in (("install" if action == "install" else action, action != "none" and not refused),
                                         ("unit", write_unit), ("service", start_unit or start_services), ("login", login))
               if wanted]
    status = comet.get("login") or {}
    if not refused and not changes and require_login and installed and not status.get("logged_in"):
        refused = True
        reason = ("runs Comet Backup %s but its client is not logged in (%s) and cannot be logged in again here (set "
                  "comet_client_username, comet_client_password and comet_client_login_repair, or "
                  "comet_client_require_login: false)" % (comet.get("version"), status.get("text") or "no status"))
    return {"action": "none" if refused else action, "target": target_version, "refused": refused, "reason": reason,
            "write_unit": write_unit, "start_services": start_services,
            "start_unit": start_unit, "login": login, "changes": changes}


# ---------------------------------------------------------------------------------------------------------------
# Two-factor accounts. UserProfileConfig (GO): AllowPasswordLogin ("set this to false if the password alone should not
# be sufficient") and AllowPasswordAndTOTPLogin ("TOTP is required to open the desktop app or the web interface");
# a login that lacks the TOTP code fails with the message ERR_TOTP_REQUIRED (GO TOTPRequiredError). An unattended
# installation or `backup-tool login prompt` has no one to read a code from an authenticator app.
# ---------------------------------------------------------------------------------------------------------------
TOTP_REQUIRED_ERROR = "ERR_TOTP_REQUIRED"
_TWO_FACTOR_TEXT_RE = re.compile(r"ERR_TOTP_REQUIRED|\bTOTP\b|two[- ]factor|\b2FA\b|one[- ]time (?:pass)?code", re.IGNORECASE)


def account_login(profile):
    """How an account logs in, from its profile: {password, totp, two_factor_required}. ``two_factor_required``: a
    TOTP code is asked for at a password login. comet-go-sdk's UserProfileConfig says of AllowPasswordAndTOTPLogin
    that TOTP is then *required*, so it is read alone: AllowPasswordLogin true beside it does not make the password
    sufficient (read with AllowPasswordLogin, it would let an unattended password login run into ERR_TOTP_REQUIRED).
    A profile that does not say is read as the Comet default (password login allowed, no TOTP)."""
    profile = profile if isinstance(profile, dict) else {}
    password = profile.get("AllowPasswordLogin")
    password = True if password is None else bool(password)
    totp = bool(profile.get("AllowPasswordAndTOTPLogin"))
    return {"password": password, "totp": totp, "two_factor_required": totp}


def mentions_two_factor(text):
    """Whether an installer's or ``backup-tool login prompt``'s output says a two-factor (TOTP) code was wanted."""
    return bool(_TWO_FACTOR_TEXT_RE.search(text or ""))


def two_factor_message(account, uses=""):
    """The error for an account that needs a TOTP code where nobody can type one: names the account and the ways out.
    ``uses`` says what would have logged in with the password alone (the Linux installer, backup-tool login prompt)."""
    return ("the Comet account %s requires two-factor authentication (a TOTP code from an authenticator app at every "
            "login with its password)%s, and an unattended installation cannot answer it. Ways out: install with a "
            "single-use install token (Windows and macOS do by default, comet_client_windows_use_install_token and "
            "comet_client_macos_use_install_token), which registers the device without a login; or register the "
            "device to an account without two-factor authentication (an account for the machine or the department, "
            "comet_client_username and comet_client_password); an administrator can also turn two-factor "
            "authentication off for %s on the Comet Server." % (account, (": " + uses) if uses else "", account))


def two_factor_refusal(account, login, os_name, action, relogin):
    """The reason to refuse a host before any change, or '' when nothing would log in with the password alone.

    ``login``: account_login() of the account (None when it could not be read: nothing is refused). ``os_name``:
    linux, windows or macos. ``action``: the plan's action (install, upgrade, ...). ``relogin``: the plan logs the
    client in again with ``backup-tool login prompt``. Linux installs answer the installer's login prompts with the
    password; Windows and macOS installs use an install token, but a login repair is a password login everywhere."""
    if not isinstance(login, dict) or not login.get("two_factor_required"):
        return ""
    uses = []
    if os_name == "linux" and action == "install":
        uses.append("the Linux installer (.run) logs in with the password on its prompts")
    if relogin:
        uses.append("backup-tool login prompt (the login repair of a logged-out client) logs in with the password")
    return two_factor_message(account, "; ".join(uses)) if uses else ""


# ---------------------------------------------------------------------------------------------------------------
# Role comet_client: its variables checked and resolved at once, before any change (the cross-field checks that
# meta/argument_specs.yml cannot express). Secrets come in as booleans only.
# ---------------------------------------------------------------------------------------------------------------
# system fact -> what is supported there, and the task files of the role for it (tasks/<os>_*.yml)
SUPPORTED_SYSTEMS = {"Linux": "Linux with systemd", "Win32NT": "Windows (WinRM or SSH)", "Darwin": "macOS"}
ROLE_OS = {"Linux": "linux", "Win32NT": "windows", "Darwin": "macos"}
VARIANTS = {"Linux": "linuxgeneric", "Win32NT": "windows-x86_64-zip", "Darwin_x86_64": "macos-x86_64",
            "Darwin_arm64": "macos-arm64"}
# The client's services: Windows services and macOS launchd daemons (Comet docs, appendix); Linux has its unit.
SERVICES = {"Win32NT": ["backup.delegate", "backup.elevator"], "Darwin": ["backup.delegate", "backup.elevator"]}
# Seed 000, "Problèmes connus", x509: "the system is obsolete (Windows Vista or XP, macOS 10.11 or older, Ubuntu 16.04
# or older, etc.)". (system, distribution or '' for any, last obsolete version, what to call it)
OBSOLETE = [
    ("Win32NT", "", (6, 0), "Windows Vista or XP"),
    ("Darwin", "", (10, 11), "macOS 10.11 or older"),
    ("Linux", "Ubuntu", (16, 4), "Ubuntu 16.04 or older"),
]


def obsolete_os(system, distribution, version):
    """The seed's name for an obsolete system (its certificates fail: x509 errors), or ''."""
    found = version_tuple(version)
    for obs_system, obs_distribution, last, name in OBSOLETE:
        if system == obs_system and (not obs_distribution or obs_distribution == distribution) and found \
                and found[:len(last)] <= last:
            return name
    return ""


_SYSTEM_DIRS = ["/home", "/root", "/usr", "/etc", "/opt", "/var", "/bin", "/lib"]
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_VERSION_ONLY_RE = re.compile(r"^[0-9]+(\.[0-9]+)+\Z")  # \Z: "24.6.0\n" is no version
_INSTALLER_VERSION_RE = re.compile(r"[-_]([0-9]+(?:\.[0-9]+)+)((?:\.[A-Za-z]+)+)$")


def installer_version(name):
    """The version in an installer's file name (Comet_Backup_UNIL-24.6.0.run -> 24.6.0), or ''."""
    match = _INSTALLER_VERSION_RE.search(name or "")
    return match.group(1) if match else ""


def role_settings(v):
    """Check and resolve role comet_client's variables. ``v`` holds them without prefix (server_url, brand, ...), the
    facts system, architecture and service_mgr, whether the installer file is a file on the controller
    (installer_file_exists), and the secrets as booleans (password_set, password_one_line, admin_set).
    distribution, distribution_version, allow_obsolete_os and use_install_token (Windows, macOS) too.
    Returns {source, variant, server, installer_name, installer_version, os, services, errors}."""
    state = v.get("state", "present")
    source = v.get("installer_source") or "auto"
    if source == "auto":
        source = "file" if v.get("installer_file") else ("url" if v.get("installer_url") else "server")
    system = v.get("system") or ""
    variant = v.get("installer_variant") or VARIANTS.get(system if system != "Darwin" else "Darwin_%s" % v.get("architecture"), "")
    server_url = v.get("server_url") or ""
    server = server_url if server_url.endswith("/") else server_url + "/"
    url_ok = not url_problem(server_url, "comet_client_server_url")  # the one URL rule (_comet_url)
    server = server_url_normalised(server_url) if url_ok else server
    installer_name = ((v.get("installer_file") or (v.get("installer_url") or "").split("?")[0]) or "").rstrip("/").rsplit("/", 1)[-1]
    errors = []
    if system not in SUPPORTED_SYSTEMS:
        errors.append("unsupported system %s (OS family %s): supported: %s." % (
            system or "unknown", v.get("os_family") or "unknown", ", ".join(SUPPORTED_SYSTEMS.values())))
    obsolete = obsolete_os(system, v.get("distribution") or "", str(v.get("distribution_version") or ""))
    if obsolete and not v.get("allow_obsolete_os"):
        errors.append("%s %s is obsolete (%s): the Comet client fails there with x509 certificate errors (the service's "
                      "guide, known problems). Update the system, or set comet_client_allow_obsolete_os: true to install "
                      "anyway." % (v.get("distribution") or system, v.get("distribution_version"), obsolete))
    if system in ("Win32NT", "Darwin") and not v.get("use_install_token", True):
        errors.append("comet_client_%s_use_install_token: false is refused: without an install token the end user's "
                      "password would reach the host's command line or launchd's environment."
                      % ("windows" if system == "Win32NT" else "macos"))
    if system == "Linux" and v.get("service_mgr") != "systemd":
        errors.append("unsupported service manager %s on %s: the client is started at boot by a systemd unit, so systemd is "
                      "required." % (v.get("service_mgr") or "unknown", v.get("os_family") or "Linux"))
    install_dir = v.get("linux_install_dir") or ""
    if not (url_ok and re.match(r"^[A-Za-z0-9._-]+$", v.get("brand") or "")
            and not _CONTROL_RE.search(v.get("username") or "") and re.match(r"^/[^\x00-\x1f\x7f]*[^/]$", install_dir)
            and install_dir not in _SYSTEM_DIRS and re.match(r"^[A-Za-z0-9:_.@-]+$", v.get("linux_service_name") or "")):
        errors.append("check comet_client_server_url (http(s)://host/), comet_client_brand (letters, digits, . _ -), "
                      "comet_client_username (no control characters), comet_client_linux_install_dir (an absolute directory "
                      "of its own, not a system or home directory) and comet_client_linux_service_name (a systemd unit name).")
    if not v.get("password_one_line", True):
        errors.append("comet_client_password must not contain a line break or a NUL character.")
    name = v.get("device_name") or ""
    if name and (not re.match(r"^[^\x00-\x1f\x7f]{1,255}$", name) or name.strip() != name):
        errors.append("bad comet_client_device_name %s: use 1 to 255 printable characters, no control character or line "
                      "break, no leading or trailing space (or leave it empty for the host's short name)." % json.dumps(name))
    if state == "present":
        sha = v.get("installer_sha256") or ""
        checks = [
            (source in ("file", "url", "server"), "comet_client_installer_source must be auto, file, url or server."),
            (source != "file" or v.get("installer_file"), "comet_client_installer_file is required for the file source."),
            (source != "file" or not v.get("installer_file") or v.get("installer_file_exists", True),
             "comet_client_installer_file %s is not a file on the controller." % v.get("installer_file")),
            (source != "url" or re.match(r"^(https?|ftp|file)://", v.get("installer_url") or ""),
             "comet_client_installer_url must be an http(s), ftp or file URL for the url source."),
            (source != "url" or sha, "comet_client_installer_sha256 is required with comet_client_installer_url."),
            (not sha or _SHA256_RE.match(sha), "comet_client_installer_sha256 must be 64 hexadecimal digits."),
            (not v.get("version") or _VERSION_ONLY_RE.match(v.get("version")), "comet_client_version must be a version like 24.6.0."),
            (source != "server" or v.get("admin_set"),
             "comet_client_admin_username and comet_client_admin_password are required to download the installer from the "
             "Comet Server (or set comet_client_installer_file or comet_client_installer_url)."),
            (variant, "no installer variant is known for %s: set comet_client_installer_variant." % (system or "unknown")),
        ]
        errors += [msg for ok, msg in checks if not ok]
        if not errors and source in ("file", "url") and not v.get("version") and not installer_version(installer_name):
            errors.append("cannot tell the version of installer %s from its name (expected like Comet_Backup_UNIL-24.6.0.run): "
                          "set comet_client_version." % installer_name)
    elif v.get("revoke_device") and not (v.get("username") and v.get("admin_set")):
        errors.append("comet_client_revoke_device needs comet_client_username (the account that owns the device), "
                      "comet_client_admin_username and comet_client_admin_password.")
    return {"source": source, "variant": variant, "server": server, "installer_name": installer_name,
            "os": ROLE_OS.get(system, "unsupported"), "services": SERVICES.get(system, []),
            "installer_version": installer_version(installer_name) if source in ("file", "url") else "",
            "errors": errors}


# The facts role_settings reads, from the host's ansible_facts (the probe returns them in a play without facts).
_SETTINGS_FACTS = ("system", "architecture", "service_mgr", "os_family", "distribution", "distribution_version")


def role_inputs(variables, facts, installer_file_exists=True):
    """role_settings' input from the role's variables as they are (without their ``comet_client_`` prefix, secrets
    included: they are reduced here to booleans and never returned) and the host's ``ansible_facts``."""
    v = dict((key, value) for key, value in variables.items()
             if key not in ("password", "admin_username", "admin_password", "windows_use_install_token",
                            "macos_use_install_token"))
    password = str(variables.get("password") or "")
    v["password_set"] = bool(password)
    v["password_one_line"] = not re.search(r"[\r\n\x00]", password)
    v["admin_set"] = bool(variables.get("admin_username")) and bool(variables.get("admin_password"))
    v["revoke_device"] = bool(variables.get("revoke_device"))
    v["allow_obsolete_os"] = bool(variables.get("allow_obsolete_os"))
    v["installer_file_exists"] = bool(installer_file_exists)
    facts = facts or {}
    for key in _SETTINGS_FACTS:
        v[key] = facts.get(key) or ""
    v["use_install_token"] = bool(variables.get("windows_use_install_token" if v["system"] == "Win32NT"
                                                else "macos_use_install_token", True))
    return v


def target_version(settings, state, version):
    """The version to install, when it is known without asking the server: comet_client_version, else the version in
    the installer's name (file and url sources); '' when the server's version must be asked (server source) or when
    removing. Returns (version, ask_server)."""
    if state == "absent":
        return "", False
    if version:
        return str(version), False
    if settings.get("source") in ("file", "url"):
        return settings.get("installer_version") or "", False
    return "", True


# Seed 000, "Problèmes connus", x509: the cause the guide names is the host's system (its trust store, its clock). The
# host probe (module host_info, option tls_server; module_utils/_comet_tls.py) tells whether the host verifies the
# server's certificate; OBSOLETE above stays the fast path, read from the facts before any probe.
_TLS_WHY = {
    _comet_tls.UNTRUSTED: "no certificate authority of its trust store signs the server's certificate (the store is "
                          "outdated or empty)",
    _comet_tls.EXPIRED: "a certificate of the server's chain has expired as the host's clock reads it",
    _comet_tls.NOT_YET_VALID: "a certificate of the server's chain is not valid yet as the host's clock reads it (a "
                              "clock behind)",
    _comet_tls.VERIFY_FAILED: "its TLS library refuses the server's certificate",
}


def tls_refusal(tls):
    """Why a host cannot run the Comet client: it cannot verify the server's TLS certificate with its own trust store
    (the probe's ``tls``, module_utils/_comet_tls.check), with the guide's advice and the OS named; '' otherwise (not
    checked, verified, or a failure that is not the host's trust store: unreachable, hostname mismatch)."""
    if not isinstance(tls, dict) or not tls.get("checked") or tls.get("code") not in _comet_tls.TRUST_FAILURES:
        return ""
    os_name = str(tls.get("os") or "this system")
    detail = str(tls.get("detail") or "").strip()
    clock = tls.get("code") in (_comet_tls.EXPIRED, _comet_tls.NOT_YET_VALID)
    return ("cannot verify the Comet Server's TLS certificate (%s) with its own trust store (%s): %s%s. The Comet client "
            "would fail there with x509 certificate errors (\"x509: certificate has expired or is not yet valid\"): in "
            "most cases the system is obsolete (the service's guide, known problems: Windows Vista or XP, macOS 10.11 or "
            "older, Ubuntu 16.04 or older, etc.) and an update of the system to a more recent version is required. "
            "%s %s (at least its CA certificates), or set comet_client_allow_obsolete_os: true to install anyway"
            % (tls.get("server") or "-", os_name, _TLS_WHY[tls["code"]], (" (%s)" % detail) if detail else "",
               "Check the host's clock first, then update" if clock else "Update", os_name))


def refusals(host, plan_result, two_factor="", shared=""):
    """What stops role comet_client on ``host`` before any change, each a sentence: the plan's refusal (a downgrade,
    a first installation without credentials, a client that cannot be logged in), a two-factor account, a device
    shared with other hosts of the play (from unil.backup.comet_shared_devices)."""
    out = []
    if plan_result.get("refused"):
        out.append("%s %s." % (host, plan_result.get("reason")))
    if two_factor:
        out.append("%s: %s" % (host, two_factor))
    if shared:
        out.append(shared)
    return out


def password_login(plan_result, os_name, state="present"):
    """Whether the plan logs in with the end user's password: a Linux installation answers the installer's prompts,
    a login repair runs ``backup-tool login prompt`` (Windows and macOS install with a single-use install token)."""
    if state != "present" or plan_result.get("refused"):
        return False
    return bool((os_name == "linux" and plan_result.get("action") == "install") or plan_result.get("login"))
