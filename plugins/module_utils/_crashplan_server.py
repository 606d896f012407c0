# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection (no API promise): the pure decisions of the crashplan_device module.

Nothing here talks to a server or imports pycpg; the module feeds it the computers the CrashPlan server returned
(``/api/v1/Computer`` objects: ``computerId``, ``guid``, ``name``, ``osHostname``, ``active``, ``status``).
"""
from __future__ import annotations

import re

STATES = ("deactivated", "active")

# CrashPlan GUIDs are decimal numbers (``guid=`` of ``.identity``); the module puts the value in a URL path,
# so anything else is refused before a request is made.
_GUID_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")


class CrashPlanInputError(Exception):
    """Bad input or an answer the module cannot act on; the message names the option or the device."""


def check_guid(guid):
    guid = (guid or "").strip()
    if not _GUID_RE.match(guid):
        raise CrashPlanInputError(
            "device_guid must be the device's GUID (the guid= of CrashPlan's .identity, letters, digits and '-', "
            "at most 64 characters), got %r" % (guid[:80],))
    return guid


def check_name(name):
    name = (name or "").strip()
    if not name or len(name) > 255 or any(ord(c) < 32 for c in name):
        raise CrashPlanInputError("device_name must be 1 to 255 printable characters, got %r" % (name[:80],))
    return name


def is_active(computer):
    """Whether the server counts the computer as active (``active``, else the ``status`` text)."""
    active = computer.get("active")
    if isinstance(active, bool):
        return active
    status = str(computer.get("status") or "").strip().lower()
    return status.startswith("active")


def view(computer):
    """The few fields the module returns (no secret is ever part of a computer)."""
    if not computer:
        return {}
    return {
        "computer_id": computer.get("computerId"),
        "guid": str(computer.get("guid") or ""),
        "name": computer.get("name") or "",
        "os_hostname": computer.get("osHostname") or "",
        "status": computer.get("status") or ("Active" if is_active(computer) else "Deactivated"),
        "active": is_active(computer),
    }


def pick_by_name(computers, name):
    """The one computer named ``name`` (case-insensitive), by its CrashPlan name first, then by its OS hostname.

    The server's ``q`` search is loose (substrings of GUIDs, names, hostnames), so only exact names count here.
    Several matches are an error: a reinstalled host registers a second device with the same name, and picking
    one of them silently could deactivate the wrong one.
    """
    wanted = name.strip().lower()
    computers = [c for c in computers if isinstance(c, dict)]
    for field in ("name", "osHostname"):
        matches = [c for c in computers if str(c.get(field) or "").strip().lower() == wanted]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join("%s (%s)" % (c.get("guid"), c.get("status") or ("Active" if is_active(c) else "Deactivated"))
                               for c in matches)
            raise CrashPlanInputError(
                "device_name %r matches %d devices on the CrashPlan server (GUIDs: %s); give device_guid instead"
                % (name, len(matches), listed))
    raise CrashPlanInputError("no device named %r on the CrashPlan server (searched names and OS hostnames)" % (name,))


def plan(computer, state):
    """What to do to reach ``state``: ``None`` (nothing), ``"deactivate"`` or ``"reactivate"``."""
    if state not in STATES:
        raise CrashPlanInputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    active = is_active(computer)
    if state == "deactivated" and active:
        return "deactivate"
    if state == "active" and not active:
        return "reactivate"
    return None


def after(computer, action):
    """The computer as it will be after ``action`` (for the diff and, in check mode, the result)."""
    result = dict(computer)
    if action == "deactivate":
        result["active"], result["status"] = False, "Deactivated"
    elif action == "reactivate":
        result["active"], result["status"] = True, "Active"
    return result


def scrub(text, secrets):
    """``text`` with every non-empty secret replaced; used on every message built from a library error."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text
