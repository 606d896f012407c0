# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Comet Backup client on macOS: what launchd, profiles and sw_vers say, and the Full Disk Access profile.

Pure functions, run anywhere (no Mac needed):

* parsing - ``launchctl print system/<label>``, ``launchctl print-disabled system``, ``profiles show -type
  configuration`` (or ``profiles list``) and ``sw_vers``; module host_info runs the commands on the Mac and reads
  their output with these functions;
* the PPPC (Privacy Preferences Policy Control) profile that grants Full Disk Access (TCC service
  ``SystemPolicyAllFiles``) to the client: rendered on the controller as a ``.mobileconfig`` for the MDM to deliver
  (Apple honours such a profile only from a user-approved MDM; the installer cannot grant the access), and checked.
"""

from __future__ import annotations

import plistlib
import re
import uuid

# The client's daemons (Comet docs, appendix "macOS": /Library/LaunchDaemons/<label>.plist).
LAUNCHD_LABELS = ("backup.delegate", "backup.elevator")
LAUNCH_DAEMONS_DIR = "/Library/LaunchDaemons"

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
PROFILE_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9]+)+|[0-9]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


# ---------------------------------------------------------------------------------------------------------------
# Installation (Comet docs, "Comet Backup installation", macOS silent installation, Comet >= 20.12.5; comet-go-sdk
# cometsdk.go, the comment on install tokens / AdminCreateInstallToken): the package reads BACKUP_APP_TOKEN (or
# BACKUP_APP_CONFIGURE) from launchd's environment, then Apple's installer runs with -allowUntrusted, so that the
# installation is not refused where the package's signing certificate is not trusted or has expired. Running the
# installer again over an installed client upgrades it.
# ---------------------------------------------------------------------------------------------------------------
INSTALLER = "/usr/sbin/installer"
LAUNCHCTL = "/bin/launchctl"
TOKEN_VARIABLE = "BACKUP_APP_TOKEN"


def installer_argv(package):
    """The documented ``installer -allowUntrusted -pkg <package> -target /`` as an argv (run from the package's
    directory, as the docs show)."""
    if not isinstance(package, str) or not package or _CONTROL_RE.search(package):
        raise ValueError("package: %r is not a path to a .pkg" % (package,))
    return [INSTALLER, "-allowUntrusted", "-pkg", package, "-target", "/"]


def token_setenv_argv():
    """The documented ``launchctl setenv BACKUP_APP_TOKEN`` that precedes the installer, without the token: the task
    appends it, under no_log, so that no filter result ever holds it."""
    return [LAUNCHCTL, "setenv", TOKEN_VARIABLE]


def token_unsetenv_argv():
    """``launchctl unsetenv BACKUP_APP_TOKEN``: launchd keeps the variable until reboot otherwise (our own step, not
    the vendor's)."""
    return [LAUNCHCTL, "unsetenv", TOKEN_VARIABLE]


def daemon_plist(label):
    """The LaunchDaemon file of a label: backup.delegate -> /Library/LaunchDaemons/backup.delegate.plist."""
    return "%s/%s.plist" % (LAUNCH_DAEMONS_DIR, label)


# ---------------------------------------------------------------------------------------------------------------
# The client's daemons and app bundle, read from the Mac rather than assumed. Comet documents the plist paths only
# (appendix: /Library/LaunchDaemons/backup.delegate.plist and backup.elevator.plist), not the launchd labels: the
# label is each plist's ``Label``. The app is documented at /Applications/Comet Backup.app, a branded build may be
# named after its product: when the configured bundle is absent, the package receipt (pkgutil) tells where it is.
# ---------------------------------------------------------------------------------------------------------------
DOCUMENTED_PLISTS = tuple(daemon_plist(name) for name in LAUNCHD_LABELS)
PKGUTIL = "/usr/sbin/pkgutil"
CLIENT_PROGRAM = "Contents/MacOS/backup-tool"
_APP_IN_RECEIPT_RE = re.compile(r"^(?:\./)?(.*?[^/]\.app)/" + re.escape(CLIENT_PROGRAM) + r"$")
_PKG_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


def daemon_name(plist_path):
    """The documented name of a daemon from its plist's path: /Library/LaunchDaemons/backup.delegate.plist ->
    backup.delegate (the key of the probe's ``services``, as on Windows)."""
    name = str(plist_path or "").rsplit("/", 1)[-1]
    return name[:-len(".plist")] if name.endswith(".plist") else name


def plist_label(data):
    """The ``Label`` of a launchd plist (bytes, XML or binary); '' when it does not parse or has no valid label."""
    try:
        plist = plistlib.loads(data)
    except Exception:  # pylint: disable=broad-except
        return ""
    label = plist.get("Label") if isinstance(plist, dict) else None
    return label if isinstance(label, str) and LABEL_RE.match(label) else ""


def daemons(plists):
    """{name: {plist, label}} of the client's daemons from ``plists`` ({path: bytes or None when the file is absent}):
    the name is the documented one (the file's stem), the label the plist's ``Label``, or the stem when the file is
    absent or unreadable (launchd cannot know it then; the stem is what bootstrap would register)."""
    out = {}
    for path, data in plists.items():
        name = daemon_name(path)
        out[name] = {"plist": path, "label": (plist_label(data) if data is not None else "") or name}
    return out


def services_by_name(found_daemons, prints, disabled_text):
    """The probe's ``services`` keyed by the documented daemon name: {name: {exists, enabled, active, label, plist}},
    from daemons() and ``prints`` ({label: (rc, output)} of ``launchctl print system/<label>``)."""
    labels = [entry["label"] for entry in found_daemons.values()]
    states = services_state(labels, prints, disabled_text)
    return dict((name, dict(states[entry["label"]], label=entry["label"], plist=entry["plist"]))
                for name, entry in found_daemons.items())


def parse_pkgs(text):
    """The receipt IDs of ``pkgutil --pkgs``."""
    return [line.strip() for line in (text or "").splitlines() if _PKG_ID_RE.match(line.strip())]


def parse_pkg_info(text):
    """{package-id, version, volume, location, ...} of ``pkgutil --pkg-info <id>`` ("key: value" lines)."""
    info = {}
    for line in (text or "").splitlines():
        if ": " in line:
            key, value = line.split(": ", 1)
            info[key.strip().lower()] = value.strip()
    return info


def app_from_receipt(info_text, files_text):
    """The app bundle a package receipt installed the client in, from ``pkgutil --pkg-info`` and ``pkgutil --files``
    (paths relative to the receipt's volume and location): the .app holding Contents/MacOS/backup-tool; '' when the
    receipt has none."""
    info = parse_pkg_info(info_text)
    base = "/".join(part.strip("/") for part in (info.get("volume") or "/", info.get("location") or "") if part.strip("/"))
    for line in (files_text or "").splitlines():
        match = _APP_IN_RECEIPT_RE.match(line.strip())
        if match:
            return "/" + "/".join(part for part in (base, match.group(1).strip("/")) if part)
    return ""


def receipt_candidates(pkgs, wanted=()):
    """The receipts to look the client up in: the ``wanted`` IDs that are installed; else every receipt not
    Apple's (com.apple.*), those naming comet or backup first (an order, not a filter)."""
    if wanted:
        return [pkg for pkg in pkgs if pkg in wanted]
    others = [pkg for pkg in pkgs if not pkg.startswith("com.apple.")]
    likely = [pkg for pkg in others if "comet" in pkg.lower() or "backup" in pkg.lower()]
    return likely + [pkg for pkg in others if pkg not in likely]


# ---------------------------------------------------------------------------------------------------------------
# launchd
# ---------------------------------------------------------------------------------------------------------------
def parse_launchctl_print(text):
    """The top-level properties of ``launchctl print system/<label>`` ("key = value" lines directly inside the outer
    braces; nested blocks such as ``arguments = {...}`` or ``endpoints = {...}`` are skipped, so their own ``state``
    lines are never taken for the service's). Returns a dict of str; {} for anything else."""
    props = {}
    depth = 0
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        opens = line.endswith("{")
        closes = line == "}" or line.startswith("}")
        if closes:
            depth = max(0, depth - 1)
            continue
        if depth == 1 and " = " in line and not opens:
            key, value = line.split(" = ", 1)
            props.setdefault(key.strip(), value.strip())
        if opens:
            depth += 1
    return props


def service_state(rc, text):
    """{exists, active, state, pid} of a daemon from the exit code and output of ``launchctl print system/<label>``.

    rc 0: launchd knows (has loaded) the daemon; any other code (113 "Could not find service") means it is not loaded.
    Active means ``state = running``. ``pid`` is 0 when it does not run."""
    if rc != 0:
        return {"exists": False, "active": False, "state": "", "pid": 0}
    props = parse_launchctl_print(text)
    state = props.get("state", "")
    pid = props.get("pid", "")
    return {"exists": True, "active": state == "running", "state": state, "pid": int(pid) if pid.isdigit() else 0}


_DISABLED_LINE_RE = re.compile(r'^"([^"]+)"\s*=>\s*(\S+)\s*$')


def parse_print_disabled(text):
    """{label: disabled (bool)} from ``launchctl print-disabled system``, the ``disabled services = {...}`` block only.

    macOS 11 and later print ``"label" => disabled`` / ``=> enabled``; older releases ``=> true`` / ``=> false``
    (true means disabled). A label that is not listed is not disabled."""
    found = {}
    in_block = False
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line.endswith("{"):
            in_block = line.startswith("disabled services")
            continue
        if line.startswith("}"):
            in_block = False
            continue
        match = _DISABLED_LINE_RE.match(line) if in_block else None
        if match:
            found[match.group(1)] = match.group(2).lower() in ("disabled", "true")
    return found


def services_state(labels, prints, disabled_text):
    """The probe's ``services``: {label: {exists, enabled, active}} from ``prints`` ({label: (rc, output)} of
    ``launchctl print system/<label>``) and the output of ``launchctl print-disabled system``.

    Enabled means loaded and not disabled in launchd's override database (a disabled daemon is not started at boot,
    and ``launchctl bootstrap`` refuses it until ``launchctl enable``)."""
    disabled = parse_print_disabled(disabled_text)
    out = {}
    for label in labels:
        rc, text = prints.get(label, (1, ""))
        state = service_state(rc, text)
        out[label] = {"exists": state["exists"], "enabled": state["exists"] and not disabled.get(label, False),
                      "active": state["active"]}
    return out


# ---------------------------------------------------------------------------------------------------------------
# configuration profiles and OS version
# ---------------------------------------------------------------------------------------------------------------
_PROFILE_LINE_RE = re.compile(r"^(\S+)\[(\d+)\]\s+attribute:\s+([A-Za-z]+):\s?(.*)$")


def parse_profiles(text):
    """The profiles in ``profiles show -type configuration`` or ``profiles list`` output: a list of {scope, index,
    attributes} in order of appearance. ``scope`` is ``_computerlevel`` for device profiles, else the user's name;
    ``attributes`` holds the ``attribute: <name>: <value>`` lines (profileIdentifier, name, profileUUID, ...)."""
    profiles = {}
    order = []
    for raw in (text or "").splitlines():
        match = _PROFILE_LINE_RE.match(raw.strip())
        if not match:
            continue
        key = (match.group(1), int(match.group(2)))
        if key not in profiles:
            profiles[key] = {"scope": key[0], "index": key[1], "attributes": {}}
            order.append(key)
        profiles[key]["attributes"].setdefault(match.group(3), match.group(4).strip())
    return [profiles[key] for key in order]


def profile_installed(text, identifier):
    """Whether a device-level (``_computerlevel``) profile with PayloadIdentifier ``identifier`` is installed.

    Only device profiles can carry a PPPC payload; a user-level profile of that identifier does not count."""
    if not identifier:
        return False
    return any(p["scope"] == "_computerlevel" and p["attributes"].get("profileIdentifier") == identifier
               for p in parse_profiles(text))


def parse_sw_vers(text):
    """The macOS version from ``sw_vers -productVersion`` ("14.4.1") or full ``sw_vers`` output
    ("ProductVersion:<tab>14.4.1"); '' when there is none."""
    for raw in (text or "").splitlines():
        line = raw.strip()
        if ":" in line:
            key, value = line.split(":", 1)
            if key.strip() != "ProductVersion":
                continue
            line = value.strip()
        match = _VERSION_RE.fullmatch(line)
        if match:
            return line
    return ""


# ---------------------------------------------------------------------------------------------------------------
# PPPC profile (Full Disk Access)
# ---------------------------------------------------------------------------------------------------------------
TCC_PAYLOAD_TYPE = "com.apple.TCC.configuration-profile-policy"
FDA_SERVICE = "SystemPolicyAllFiles"
IDENTIFIER_TYPES = ("bundleID", "path")
AUTHORIZATIONS = ("Allow", "Deny", "AllowStandardUserToSetSystemService")
DISPLAY_NAME = "Comet Backup Full Disk Access"
DEFAULT_COMMENT = "Comet Backup reads every file it backs up (Full Disk Access)"
APP_KEYS = ("identifier", "identifier_type", "code_requirement", "comment")
# stable PayloadUUIDs: uuid5 in this namespace of (organization, identifier[, payload])
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/unil/backup/pppc")


class PPPCInputError(ValueError):
    """A bad app entry, organization or identifier; the message names the entry."""


def payload_uuid(organization, identifier, part=""):
    """The stable PayloadUUID (upper case) of the profile (``part`` empty) or of one of its payloads."""
    return str(uuid.uuid5(_UUID_NAMESPACE, "\n".join([organization, identifier, part]))).upper()


def _text(value):
    return value if isinstance(value, str) else None


def check_apps(apps):
    """The app entries, checked and normalised to {identifier, identifier_type, code_requirement, comment}.

    Raises PPPCInputError naming the first bad entry: not a mapping, an unknown key, an empty identifier, an
    identifier_type other than bundleID or path (a path must be absolute), an empty code requirement, control
    characters, or an identifier listed twice. At least one app is required."""
    if not isinstance(apps, (list, tuple)) or not apps:
        raise PPPCInputError("apps: at least one app is required (identifier, identifier_type, code_requirement)")
    out = []
    seen = set()
    for index, app in enumerate(apps):
        where = "apps[%d]" % index
        if not isinstance(app, dict):
            raise PPPCInputError("%s: %r is not a mapping of identifier, identifier_type, code_requirement" % (where, app))
        ident = _text(app.get("identifier"))
        if ident:
            where = "%s (%s)" % (where, ident)
        unknown = sorted(set(app) - set(APP_KEYS))
        if unknown:
            raise PPPCInputError("%s: unknown key(s) %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(APP_KEYS)))
        if not ident or not ident.strip() or _CONTROL_RE.search(ident) or ident.strip() != ident:
            raise PPPCInputError("%s: identifier must be a non-empty bundle ID or path, without surrounding spaces or "
                                 "control characters" % where)
        id_type = app.get("identifier_type")
        if id_type not in IDENTIFIER_TYPES:
            raise PPPCInputError("%s: identifier_type %r must be bundleID or path" % (where, id_type))
        if id_type == "path" and not ident.startswith("/"):
            raise PPPCInputError("%s: identifier_type path needs an absolute path" % where)
        if id_type == "bundleID" and "/" in ident:
            raise PPPCInputError("%s: a bundleID has no slash (use identifier_type path for a path)" % where)
        requirement = _text(app.get("code_requirement"))
        if not requirement or not requirement.strip() or _CONTROL_RE.search(requirement):
            raise PPPCInputError("%s: code_requirement must be a non-empty single-line code requirement (read it with: "
                                 "codesign -dr - <path>)" % where)
        comment = app.get("comment")
        if comment is None:
            comment = DEFAULT_COMMENT
        if not isinstance(comment, str) or _CONTROL_RE.search(comment):
            raise PPPCInputError("%s: comment must be single-line text" % where)
        if (id_type, ident) in seen:
            raise PPPCInputError("%s: listed twice" % where)
        seen.add((id_type, ident))
        out.append({"identifier": ident, "identifier_type": id_type, "code_requirement": requirement.strip(),
                    "comment": comment})
    return out


def app_bundle(path):
    """The app bundle a path is in (the path up to its first component ending in .app): "/Applications/Comet
    Backup UNIL.app/Contents/MacOS/backup-tool" -> "/Applications/Comet Backup UNIL.app"; '' when it is in none."""
    parts = str(path or "").split("/")
    for index, part in enumerate(parts):
        if part.endswith(".app") and len(part) > len(".app"):
            return "/".join(parts[:index + 1])
    return ""


def check_app_paths(app_paths):
    """The app bundles the probe found (host_info ``macos.app_path`` of each Mac), checked: absolute, a ``.app``,
    single-line; duplicates and empty values dropped, sorted. Raises PPPCInputError."""
    out = []
    for value in app_paths or ():
        if value in (None, ""):
            continue
        path = value.rstrip("/") if isinstance(value, str) else value
        if not isinstance(path, str) or not path.startswith("/") or _CONTROL_RE.search(path) or app_bundle(path) != path:
            raise PPPCInputError("app_paths: %r is not the absolute path of an app bundle (/Applications/<name>.app)"
                                 % (value,))
        if path not in out:
            out.append(path)
    return sorted(out)


def pppc_bundles(app_paths, default_app_path=None):
    """(bundles, source): the bundles found on the Macs (check_app_paths), source "found"; else
    ``default_app_path`` (the configured bundle, for a run where no Mac has the client yet), source "default"; else
    ([], "")."""
    found = check_app_paths(app_paths)
    if found:
        return found, "found"
    if default_app_path:
        try:
            return check_app_paths([default_app_path]), "default"
        except PPPCInputError:
            raise PPPCInputError("default_app_path: %r is not the absolute path of an app bundle (/Applications/<name>.app)"
                                 % (default_app_path,)) from None
    return [], ""


def apps_in_bundles(apps, app_paths):
    """The PPPC app entries with their paths in the app bundles the probe found on the Macs (``app_paths``), not in
    an assumed one (issue 23: Comet documents /Applications/Comet Backup.app, a branded package installs
    /Applications/<ProductName>.app, and where the bundle is is read from the Mac - host_info find_app, from the
    package receipt).

    - ``identifier_type: path`` relative to the bundle (``Contents/MacOS/backup-tool``; ``.`` is the bundle itself):
      one entry per bundle found; PPPCInputError when none was found.
    - an absolute path inside an app bundle that is not one of those found: moved into each bundle found (the same
      path inside it); kept as written when ``app_paths`` is empty, or when it is in a bundle found.
    - bundle IDs, and paths outside any bundle: as written.
    Returns the entries (dicts, other keys kept); a moved entry that lands on an identifier already listed is kept
    once (an entry the caller listed twice is left for check_apps to refuse)."""
    bundles = check_app_paths(app_paths)
    if not isinstance(apps, (list, tuple)):
        return apps
    out = []
    seen = set()
    seen_moved = set()
    for index, app in enumerate(apps):
        resolved = [app]
        ident = app.get("identifier") if isinstance(app, dict) else None
        if isinstance(app, dict) and app.get("identifier_type") == "path" and isinstance(ident, str) and ident:
            if not ident.startswith("/"):
                inner = ident.strip("/")
                inner = "" if inner in (".", "") else "/" + inner
                if not bundles:
                    raise PPPCInputError("apps[%d] (%s): a path inside the app bundle needs the bundle found on the "
                                         "Macs (app_paths), and none was found (is the client installed?)" % (index, ident))
                resolved = [dict(app, identifier=bundle + inner) for bundle in bundles]
            else:
                bundle = app_bundle(ident)
                if bundle and bundles and bundle not in bundles:
                    resolved = [dict(app, identifier=found + ident[len(bundle):]) for found in bundles]
        moved = resolved != [app]
        for entry in resolved:
            key = (entry.get("identifier_type"), entry.get("identifier")) if isinstance(entry, dict) else None
            if key in seen_moved or (moved and key in seen):
                continue
            (seen_moved if moved else seen).add(key)
            out.append(entry)
    return out


def _check_names(organization, identifier):
    if not isinstance(organization, str) or not organization.strip() or _CONTROL_RE.search(organization):
        raise PPPCInputError("organization: must be non-empty single-line text")
    if not isinstance(identifier, str) or not PROFILE_IDENTIFIER_RE.match(identifier) or ".." in identifier:
        raise PPPCInputError("identifier: %r must be a reverse-DNS profile identifier (letters, digits, . _ -), like "
                             "ch.unil.backup.comet.pppc" % (identifier,))


def pppc_profile(apps, organization, identifier, legacy_allowed=False):
    """The plist (dict) of a ``.mobileconfig`` granting Full Disk Access to ``apps`` (see check_apps).

    One Configuration profile, scope System, with one ``com.apple.TCC.configuration-profile-policy`` payload whose
    ``Services.SystemPolicyAllFiles`` lists each app (Identifier, IdentifierType, CodeRequirement, StaticCode false,
    Comment, and ``Authorization: Allow``, or with ``legacy_allowed`` the older ``Allowed: true`` for macOS before 11:
    Apple requires one of the two keys, never both). PayloadUUIDs derive from organization and identifier only, so the
    same input always gives the same profile."""
    checked = check_apps(apps)
    _check_names(organization, identifier)
    entries = []
    for app in checked:
        entry = {"Identifier": app["identifier"], "IdentifierType": app["identifier_type"],
                 "CodeRequirement": app["code_requirement"], "StaticCode": False, "Comment": app["comment"]}
        if legacy_allowed:
            entry["Allowed"] = True
        else:
            entry["Authorization"] = "Allow"
        entries.append(entry)
    tcc = {
        "PayloadType": TCC_PAYLOAD_TYPE,
        "PayloadIdentifier": "%s.tcc" % identifier,
        "PayloadUUID": payload_uuid(organization, identifier, TCC_PAYLOAD_TYPE),
        "PayloadVersion": 1,
        "PayloadDisplayName": "%s (Privacy Preferences Policy Control)" % DISPLAY_NAME,
        "PayloadDescription": "Grants Full Disk Access (SystemPolicyAllFiles) to the Comet Backup client.",
        "PayloadOrganization": organization,
        "Services": {FDA_SERVICE: entries},
    }
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": payload_uuid(organization, identifier),
        "PayloadDisplayName": DISPLAY_NAME,
        "PayloadDescription": ("Lets Comet Backup read every file it backs up (Full Disk Access). Must be delivered by a "
                               "user-approved MDM: macOS ignores it otherwise."),
        "PayloadOrganization": organization,
        "PayloadScope": "System",
        "PayloadRemovalDisallowed": True,
        "PayloadContent": [tcc],
    }


def render_pppc(apps, organization, identifier, legacy_allowed=False):
    """The ``.mobileconfig`` bytes (XML plist, keys sorted): identical bytes for identical input."""
    return plistlib.dumps(pppc_profile(apps, organization, identifier, legacy_allowed), fmt=plistlib.FMT_XML,
                          sort_keys=True)


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _check_payload_header(where, payload, wanted_type, problems):
    if payload.get("PayloadType") != wanted_type:
        problems.append("%s: PayloadType is %r, expected %r" % (where, payload.get("PayloadType"), wanted_type))
    if not isinstance(payload.get("PayloadIdentifier"), str) or not payload.get("PayloadIdentifier"):
        problems.append("%s: PayloadIdentifier is missing or empty" % where)
    if not _is_uuid(payload.get("PayloadUUID")):
        problems.append("%s: PayloadUUID %r is not a UUID" % (where, payload.get("PayloadUUID")))
    if not isinstance(payload.get("PayloadVersion"), int) or isinstance(payload.get("PayloadVersion"), bool):
        problems.append("%s: PayloadVersion must be an integer" % where)


def _check_fda_entry(where, entry, problems):
    if not isinstance(entry, dict):
        problems.append("%s: not a dictionary" % where)
        return
    ident = entry.get("Identifier")
    if isinstance(ident, str) and ident:
        where = "%s (%s)" % (where, ident)
    else:
        problems.append("%s: Identifier is missing or empty" % where)
    id_type = entry.get("IdentifierType")
    if id_type not in IDENTIFIER_TYPES:
        problems.append("%s: IdentifierType %r must be bundleID or path" % (where, id_type))
    elif id_type == "path" and isinstance(ident, str) and not ident.startswith("/"):
        problems.append("%s: IdentifierType path needs an absolute path" % where)
    requirement = entry.get("CodeRequirement")
    if not isinstance(requirement, str) or not requirement.strip():
        problems.append("%s: CodeRequirement is missing or empty" % where)
    has_allowed, has_auth = "Allowed" in entry, "Authorization" in entry
    if has_allowed == has_auth:
        problems.append("%s: needs exactly one of Allowed and Authorization (Apple ignores an entry with both or "
                        "neither)" % where)
    elif has_allowed and entry["Allowed"] is not True:
        problems.append("%s: Allowed must be true to grant Full Disk Access" % where)
    elif has_auth and entry["Authorization"] != "Allow":
        problems.append("%s: Authorization is %r; Full Disk Access needs Allow" % (where, entry["Authorization"]))
    if "StaticCode" in entry and not isinstance(entry["StaticCode"], bool):
        problems.append("%s: StaticCode must be a boolean" % where)
    if "Comment" in entry and not isinstance(entry["Comment"], str):
        problems.append("%s: Comment must be a string" % where)


def validate_pppc(data):
    """The problems of a ``.mobileconfig`` (bytes) meant to grant Full Disk Access; [] when it is sound.

    It must parse as a plist; be a System-scoped Configuration profile with PayloadIdentifier, PayloadUUID,
    PayloadVersion and PayloadDisplayName; hold at least one TCC payload whose SystemPolicyAllFiles lists at least one
    app, each with an Identifier, an IdentifierType bundleID or path, a non-empty CodeRequirement, and exactly one of
    ``Allowed: true`` / ``Authorization: Allow``."""
    try:
        profile = plistlib.loads(data)
    except Exception as exc:  # pylint: disable=broad-except
        return ["not a property list: %s" % (exc,)]
    if not isinstance(profile, dict):
        return ["the top level is a %s, expected a dictionary" % type(profile).__name__]
    problems = []
    _check_payload_header("profile", profile, "Configuration", problems)
    if profile.get("PayloadScope", "System") != "System":
        problems.append("profile: PayloadScope is %r; a PPPC profile is System-wide" % profile.get("PayloadScope"))
    if not isinstance(profile.get("PayloadDisplayName"), str) or not profile.get("PayloadDisplayName"):
        problems.append("profile: PayloadDisplayName is missing or empty")
    content = profile.get("PayloadContent")
    if not isinstance(content, list) or not content:
        problems.append("profile: PayloadContent must be a non-empty list of payloads")
        return problems
    tcc_payloads = [(i, p) for i, p in enumerate(content) if isinstance(p, dict) and p.get("PayloadType") == TCC_PAYLOAD_TYPE]
    if not tcc_payloads:
        problems.append("profile: no %s payload in PayloadContent" % TCC_PAYLOAD_TYPE)
    uuids = [profile.get("PayloadUUID")] + [p.get("PayloadUUID") for p in content if isinstance(p, dict)]
    if len(set(uuids)) != len(uuids):
        problems.append("profile: the PayloadUUIDs are not all different")
    for index, payload in tcc_payloads:
        where = "PayloadContent[%d]" % index
        _check_payload_header(where, payload, TCC_PAYLOAD_TYPE, problems)
        services = payload.get("Services")
        entries = services.get(FDA_SERVICE) if isinstance(services, dict) else None
        if not isinstance(entries, list) or not entries:
            problems.append("%s: Services.%s must list at least one app" % (where, FDA_SERVICE))
            continue
        for number, entry in enumerate(entries):
            _check_fda_entry("%s.Services.%s[%d]" % (where, FDA_SERVICE, number), entry, problems)
    return problems
