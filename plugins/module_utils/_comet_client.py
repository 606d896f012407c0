# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Comet Backup client on a host says, and what the roles decide from it. Pure functions, run anywhere.

The meaning of ``backup-tool`` output (version, device ID, login status codes) lives here once, for every OS: the host
probe (module host_info) parses with it, and the role decisions (filter unil.backup.comet_client_plan) use it.
"""

from __future__ import annotations

import re

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


def plan(probe, target_version, unit_sha256="", unit_enabled=True, allow_downgrade=False, can_login=False, state="present"):
    """The decisions of role comet_client for one host, from its probe (module host_info, key ``comet``).

    Returns {action, refused, reason, write_unit, start_unit, login, changes}: ``changes`` lists what would change,
    empty for a converged host. ``unit_sha256`` is the digest of the unit the role wants ('' where there is none).
    """
    comet = probe.get("comet") or {}
    installed = bool(comet.get("installed"))
    if state == "absent":
        return {"action": "remove" if installed else "none", "refused": False, "reason": "", "write_unit": False,
                "start_unit": False, "login": False, "changes": ["remove"] if installed else []}
    action = install_action(installed, comet.get("version", ""), target_version)
    refused = action == "downgrade" and not allow_downgrade
    reason = ""
    if refused:
        reason = ("runs Comet Backup %s, newer than the installer's %s; refusing to downgrade (set "
                  "comet_client_allow_downgrade: true to force it)" % (comet.get("version"), target_version))
    unit = probe.get("unit") or {}
    write_unit = bool(unit_sha256) and unit.get("sha256", "") != unit_sha256
    start_unit = bool(unit_sha256) and (write_unit or not unit.get("active") or bool(unit.get("enabled")) != bool(unit_enabled))
    login = action == "none" and needs_login(comet.get("login") or {}, can_login)
    changes = [name for name, wanted in (("install" if action == "install" else action, action != "none" and not refused),
                                         ("unit", write_unit), ("service", start_unit), ("login", login)) if wanted]
    return {"action": "none" if refused else action, "refused": refused, "reason": reason, "write_unit": write_unit,
            "start_unit": start_unit, "login": login, "changes": changes}
