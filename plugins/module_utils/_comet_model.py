# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Pure logic on a Comet UserProfileConfig (no I/O): find a device, its protected items and backup rules, the Storage
# Vault; deterministic keys; validation helpers shared by the comet_* modules. Plus small helpers the modules share
# around the API client (online lookup, refetch, counters), which take the client as a parameter.

from __future__ import annotations

import copy
import hashlib
import os
import re
import tempfile
import unicodedata

FILE_ENGINE = "engine1/file"
INCLUDE_PREFIX = "INCLUDE"
MAX_NAME_LENGTH = 255
MAX_PATH_LENGTH = 4096

_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+)")
# C0 controls, DEL and the C1 controls (U+0080 to U+009F).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TIMEOUT = 3600


class CometInputError(Exception):
    """Bad input: ``option`` is the module option to name in the failure message."""

    def __init__(self, option, message):
        super(CometInputError, self).__init__("%s: %s" % (option, message))
        self.option = option
        self.message = message

    def renamed(self, names):
        """The same error naming the option as ``names`` maps it (for a module whose options are named differently
        from those of the shared function that raised it)."""
        return type(self)(names.get(self.option, self.option), self.message)


class CometAmbiguousError(CometInputError):
    """A name (of a device, an item, a vault) that several objects share: an error in every state."""


def nfc(text):
    """``text`` in Unicode normalisation form NFC (composed): NFC and NFD spellings of one name compare equal."""
    return unicodedata.normalize("NFC", text) if isinstance(text, str) else text


def same_name(a, b):
    """Whether two names are one (NFC and NFD forms compare equal)."""
    return isinstance(a, str) and isinstance(b, str) and nfc(a) == nfc(b)


def fold_path(path, os_name=None):
    """The comparison key of a folder or a glob: NFC; on Windows also case-insensitive, "\\" and "/" alike, runs of
    separators as one and no trailing separator (except on a root), so C:/Users, C:\\Users, c:/users and C:\\Users\\
    are one (elsewhere only NFC). Never stored: the user's (or the stored) spelling is kept."""
    if not isinstance(path, str):
        return path
    key = nfc(path)
    if os_name == "windows":
        key = re.sub(r"[\\/]+", "/", key).casefold()
        if len(key) > 1 and key.endswith("/") and not re.match(r"^[a-z]:/$", key):
            key = key.rstrip("/") or "/"
    return key


def unique_folded(values, key):
    """``values`` without the ones whose key() an earlier value already has (the first spelling is kept)."""
    out, seen = [], set()
    for value in values:
        k = key(value)
        if k not in seen:
            seen.add(k)
            out.append(value)
    return out


def _os_name(value):
    """'windows', 'macos', 'linux' or None from an OS name as Comet reports it (a Go GOOS value)."""
    value = str(value or "").strip().lower()
    if value.startswith("win"):
        return "windows"
    if value in ("darwin", "macos", "mac", "osx", "macosx"):
        return "macos"
    if value == "linux":
        return "linux"
    return None


def reported_platform_os(value):
    """'windows', 'macos', 'linux' or None from a ReportedPlatform (Go SDK LiveUserConnection and
    RegistrationLobbyConnection: "one of the PLATFORM_ constants; then a forwardslash (/); then the device's GOARCH",
    e.g. "linux/amd64"). The PLATFORM_ constants' values are not published (neither SDK defines them): read as GOOS
    values, as the stand-in answers."""
    if not isinstance(value, str):
        return None
    return _os_name(value.split("/", 1)[0])


def platform_os(device, connection=None):
    """'windows', 'macos', 'linux' or None: the one rule for a device's platform.

    From DeviceConfig.PlatformVersion.os (OSInfo, Go GOOS values), which clients report from 23.6.0 (Go SDK OSInfo:
    "This field is available in Comet 23.6.0 and later"); for an older client, from its live connection
    (``connection``: the dispatcher/list-active or installation/list-active entry of the device, or its
    ReportedPlatform string): ReportedPlatformVersion.os, else ReportedPlatform ("linux/amd64"). ``device`` itself may
    be such a connection (it carries ReportedPlatform)."""
    device = device if isinstance(device, dict) else {}
    found = _os_name((device.get("PlatformVersion") or {}).get("os"))
    for source in (device, connection):
        if found is not None:
            break
        if isinstance(source, str):
            found = reported_platform_os(source)
        elif isinstance(source, dict):
            found = (_os_name((source.get("ReportedPlatformVersion") or {}).get("os"))
                     or reported_platform_os(source.get("ReportedPlatform")))
    return found


def is_absolute_path(path, os_name):
    """Absolute path for that OS: "C:/..", "C:\\..", "\\\\server\\share" on Windows; "/..." elsewhere."""
    if os_name == "windows":
        return bool(_WINDOWS_ABS.match(path))
    return path.startswith("/")


def check_name(value, option, max_length=MAX_NAME_LENGTH):
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CometInputError(option, "must not be empty")
    if value != value.strip():
        raise CometInputError(option, "must not start or end with white space")
    if len(value) > max_length:
        raise CometInputError(option, "longer than %d characters (%d)" % (max_length, len(value)))
    if _CONTROL.search(value):
        raise CometInputError(option, "contains a control character")
    if any("\ud800" <= c <= "\udfff" for c in value):
        raise CometInputError(option, "contains an invalid character (a lone surrogate)")
    invisible = invisible_characters(value)
    if invisible:
        raise CometInputError(option, "contains %s: a name that looks like another would name two things alike "
                                      "(write it with visible characters only)" % invisible)
    if all(unicodedata.category(c) in _COMBINING for c in value):
        raise CometInputError(option, "is made of combining marks only (nothing visible)")
    return value


# Unicode categories a name must not contain: format characters (zero-width space U+200B, byte order mark U+FEFF,
# right-to-left override U+202E...), line and paragraph separators; and a name of combining marks only shows nothing.
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")
_COMBINING = ("Mn", "Mc", "Me")


def invisible_characters(value):
    """'' or a description of the invisible characters of ``value`` (their code points and names)."""
    found = []
    for char in value:
        if unicodedata.category(char) in _INVISIBLE and char not in found:
            found.append(char)
    return ", ".join("U+%04X %s" % (ord(c), unicodedata.name(c, "(unnamed)")) for c in found[:5])


def normalize_folder(path, os_name, option="folders"):
    """Validate an INCLUDE path for the device's OS and drop a trailing separator (except on a root)."""
    if not isinstance(path, str) or not path.strip():
        raise CometInputError(option, "empty path")
    if len(path) > MAX_PATH_LENGTH or _CONTROL.search(path):
        raise CometInputError(option, "path %r is too long or contains a control character" % path[:80])
    if not is_absolute_path(path, os_name):
        if os_name != "windows" and _WINDOWS_ABS.match(path):
            raise CometInputError(option, "%r is a Windows path but the device runs %s" % (path, os_name))
        if os_name == "windows" and path.startswith("/"):
            raise CometInputError(option, "%r is not a Windows path (the device runs Windows)" % path)
        raise CometInputError(option, "%r is not an absolute %s path" % (path, os_name))
    path = resolve_dot_segments(path, os_name)
    stripped = path.rstrip("/\\") if os_name == "windows" else path.rstrip("/")
    if not stripped or (os_name == "windows" and re.match(r"^[A-Za-z]:$", stripped)):
        return path
    return stripped


def resolve_dot_segments(path, os_name):
    """``path`` with its ``.`` and ``..`` segments resolved and repeated separators collapsed, as the client would
    read it (/home/./user -> /home/user, /home/../../etc -> /etc, C:/Users/../Windows -> C:/Windows); the separators
    as written. A path without such segments is returned unchanged."""
    separators = "/\\" if os_name == "windows" else "/"
    split = re.split("[%s]" % re.escape(separators), path)
    if not any(part in (".", "..") for part in split[1:]) and "" not in split[1:-1]:
        return path
    separator = next((c for c in path if c in separators), "/")
    if os_name == "windows" and path[:2] in ("\\\\", "//"):       # \\server\share\...: the share is the root
        head, rest = split[:4], split[4:]
        root = separator * 2 + separator.join(head[2:4])
    elif os_name == "windows":                                 # C:\...
        head, rest = split[:1], split[1:]
        root = head[0]
    else:
        rest = split[1:]
        root = ""
    parts = []
    for part in rest:
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    trailing = separator if path[-1:] and path[-1] in separators and parts else ""
    return root + separator + separator.join(parts) + trailing


def deterministic_guid(*parts):
    """A GUID-shaped key derived from sha256 of the parts: the same input always gives the same key."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return "%s-%s-%s-%s-%s" % (digest[0:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32])


def find_device(profile, device_id=None, device_name=None):
    """(device_id, DeviceConfig) by ID, or by current FriendlyName (must be unique). Raises CometInputError."""
    devices = profile.get("Devices") or {}
    if device_id:
        if device_id not in devices:
            raise CometInputError("device_id", "no device %r in account %r" % (device_id, profile.get("Username")))
        return device_id, devices[device_id]
    if device_name:
        found = sorted(k for k, v in devices.items() if same_name((v or {}).get("FriendlyName"), device_name))
        if not found:
            raise CometInputError("device_name", "no device named %r in account %r" % (device_name, profile.get("Username")))
        if len(found) > 1:
            raise CometAmbiguousError("device_name", "%d devices are named %r in account %r (%s): use device_id"
                                      % (len(found), device_name, profile.get("Username"), ", ".join(found)))
        return found[0], devices[found[0]]
    raise CometInputError("device_id", "one of device_id or device_name is required")


def device_items(profile, device_id):
    """Sorted list of (source_id, SourceConfig) of the device's file-and-folder protected items."""
    sources = profile.get("Sources") or {}
    return sorted((k, v) for k, v in sources.items()
                  if (v or {}).get("OwnerDevice") == device_id and (v or {}).get("Engine") == FILE_ENGINE)


def find_item(profile, device_id, item_name):
    """The device's protected item: the one named ``item_name``, else its only file item, else None (none at all).
    Raises CometInputError when the device has several items and none has that name."""
    items = device_items(profile, device_id)
    named = [(k, v) for k, v in items if same_name(v.get("Description"), item_name)]
    if named:
        return named[0]
    if len(items) == 1:
        return items[0]
    if not items:
        return None, None
    raise CometInputError("item_name", "device %r has %d protected items (%s) and none is named %r"
                          % (device_id, len(items), ", ".join(repr(v.get("Description")) for k, v in items), item_name))


def require_item(profile, device_id, item_name, hint="create it with unil.backup.comet_profile"):
    key, item = find_item(profile, device_id, item_name)
    if key is None:
        raise CometInputError("item_name", "device %r has no protected item %r yet (%s)" % (device_id, item_name, hint))
    return key, item


def item_folders(item):
    props = (item or {}).get("EngineProps") or {}
    return sorted(props[k] for k in props if k.startswith(INCLUDE_PREFIX))


def rules_for_source(profile, source_id):
    rules = profile.get("BackupRules") or {}
    return sorted((k, v) for k, v in rules.items() if (v or {}).get("Source") == source_id)


def find_vault(profile, vault=None):
    """Storage Vault ID by ID or Description; the only one when ``vault`` is None. Raises CometInputError."""
    destinations = profile.get("Destinations") or {}
    if vault:
        if vault in destinations:
            return vault
        found = sorted(k for k, v in destinations.items() if same_name((v or {}).get("Description"), vault))
        if len(found) == 1:
            return found[0]
        if found:
            raise CometAmbiguousError("vault", "%d Storage Vaults are named %r: use the vault ID" % (len(found), vault))
        raise CometInputError("vault", "no Storage Vault %r in account %r" % (vault, profile.get("Username")))
    if len(destinations) == 1:
        return next(iter(destinations))
    if not destinations:
        raise CometInputError("vault", "account %r has no Storage Vault" % profile.get("Username"))
    raise CometInputError("vault", "account %r has %d Storage Vaults: name one (%s)"
                          % (profile.get("Username"), len(destinations),
                             ", ".join(repr((v or {}).get("Description") or k) for k, v in sorted(destinations.items()))))


def find_rule(profile, source_id, vault_id=None):
    """(rule_id, rule) of the item's backup rule: to ``vault_id`` when given, else the only one (or None, None).
    Raises CometInputError when several rules match."""
    rules = rules_for_source(profile, source_id)
    if vault_id:
        rules = [(k, v) for k, v in rules if v.get("Destination") == vault_id]
    if not rules:
        return None, None
    if len(rules) > 1:
        raise CometInputError("vault", "protected item %r has %d backup rules (%s): name the Storage Vault"
                              % (source_id, len(rules), ", ".join(k for k, v in rules)))
    return rules[0]


def device_summary(device_id, device, online=None, connection=None):
    """The device as the modules return it; ``connection``: its live connection, if known (platform_os's
    fallback for a client older than 23.6)."""
    info = (device or {}).get("PlatformVersion") or {}
    return {
        "device_id": device_id,
        "name": (device or {}).get("FriendlyName"),
        "platform": platform_os(device, connection) or info.get("os"),
        "platform_details": dict((k, info.get(k)) for k in ("os", "distribution", "version", "build", "arch") if k in info),
        "client_version": (device or {}).get("ClientVersion"),
        "online": online,
    }


def connection_problem(params):
    """'' or the message (naming the option) for connection options a client cannot use: ``timeout`` outside 1 to
    MAX_TIMEOUT seconds, a ``lock_dir`` where no lock file can be created (it is created, mode 0700, when missing).
    For CometAdminClient.from_module(), before any call."""
    timeout = params.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT):
        shown = timeout if not isinstance(timeout, int) or abs(timeout) < 10 ** 12 else "a %d-digit number" % len(str(abs(timeout)))
        return "timeout: %s is not between 1 and %d seconds" % (shown, MAX_TIMEOUT)
    lock_dir = params.get("lock_dir")
    if lock_dir:
        if not isinstance(lock_dir, str) or _CONTROL.search(lock_dir) or len(lock_dir) > MAX_PATH_LENGTH:
            return "lock_dir: not a usable directory path"
        try:
            if not os.path.isdir(lock_dir):
                os.makedirs(lock_dir, 0o700)
            handle, probe = tempfile.mkstemp(prefix=".probe-", suffix=".lock", dir=lock_dir)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            return "lock_dir: cannot create a lock file in %r (%s): choose a writable directory" % (
                lock_dir, exc.strerror or exc.__class__.__name__)
    return ""


def check_device_state(state, name):
    """comet_device: ``name`` renames the device (state=present); with state=absent the device is revoked, so a
    name there says two contradicting things. Raises CometInputError naming the option and what to write instead."""
    if state == "absent" and name is not None:
        raise CometInputError("name", "renames the device (state=present) but state=absent revokes it: remove name to "
                                      "revoke the device, or remove state: absent to rename it")


def deep(value):
    return copy.deepcopy(value)


# --- helpers around the API client (the client is passed in; nothing here opens a connection itself) ---

def live_connections(client, account):
    """{device_id: live connection (dispatcher/list-active entry plus its "TargetID")} of the account's devices."""
    out = {}
    for target_id, conn in sorted((client.list_active(account) or {}).items()):
        if (conn or {}).get("Username") == account and conn.get("DeviceID") and conn["DeviceID"] not in out:
            out[conn["DeviceID"]] = dict(conn, TargetID=target_id)
    return out


def refetch_if_online(client, account, device_id, module=None, online=None):
    """Ask the device to reload its profile when it is online; True if asked. ``online`` is a live_connections()
    result already read (else it is read). A failure is only a warning: the profile is stored, the device reloads it
    on its next connection."""
    if online is None:
        online = live_connections(client, account)
    conn = online.get(device_id)
    if not conn:
        return False
    try:
        client.refetch_profile(conn["TargetID"])
    except Exception as exc:  # pylint: disable=broad-except
        if module is not None:
            module.warn("The profile was written but asking device %s to reload it failed: %s" % (device_id, exc))
        return False
    return True


def api_counters(client):
    """The client's counters (no secret): reads, writes (dispatcher actions included), retries, conflicts, and the
    calls per endpoint."""
    stats = getattr(client, "stats", None) or {}
    out = dict((k, stats.get(k, 0)) for k in ("reads", "writes", "retries", "conflicts"))
    out["endpoints"] = dict(stats.get("endpoints") or {})
    return out


JOB_STATUS = {
    5000: "success", 6000: "running", 6001: "running", 6002: "running (revived)", 6003: "running (retrying)",
    6004: "not yet started", 7000: "timeout", 7001: "warning", 7002: "error", 7003: "quota exceeded",
    7004: "missed", 7005: "cancelled", 7006: "skipped", 7007: "abandoned",
}


def job_status_name(code):
    try:
        code = int(code)
    except (TypeError, ValueError):
        return "unknown"
    return JOB_STATUS.get(code, "success" if 5000 <= code < 6000 else "running" if 6000 <= code < 7000 else "error")


def account_error(exc, account):
    """Message for an API error on reading an account: an unknown user (HTTP 400 on the profile read) names the
    ``account`` option; anything else is the client's own message (never a password)."""
    status = getattr(exc, "status", None)
    message = str(getattr(exc, "message", "") or "")
    if status == 400 and "user" in message.lower() and "not found" in message.lower():
        return "account: no account %r on the Comet Server" % account
    return str(exc)
