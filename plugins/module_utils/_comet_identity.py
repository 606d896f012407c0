# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to unil.backup. Hosts of one play that would share a Comet device, found in one pass.

The Comet client derives its device ID from the machine's identity (on Linux and macOS the SSH host keys are one
of the inputs; on Windows the hardware and HKLM\\SOFTWARE\\backup-tool\\DeviceIdentificationEntropy): machines
installed from one image share it, and would back up into one device's Protected Items, each overwriting the
others' snapshots (../shared/notes/comet.md, "Device identity"). Two hosts that name one device (the client's
device ID, or a ``comet_config_device_id`` set for a whole group) are the same harm.

``shared_groups`` groups the hosts that share any identity value, in time linear in the number of hosts and
values (a union-find over (key, value) pairs): the roles call it once per play through the action plugin
``unil.backup.comet_shared_devices``, never once per host over all hosts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re

# What a host's identity is made of, in the order messages name them. ``device_id``: the Comet client's own
# (backup-tool info device-id); the others are the inputs the client derives it from, read by the host probe.
# The Windows MachineGuid is read and reported, not compared: it is not one of the client's documented inputs, and
# sysprep-less clones on different hardware share it while Comet gives them different devices.
IDENTITY_KEYS = ("device_id", "machine_id", "product_uuid", "platform_uuid", "ssh_host_key", "entropy",
                 "hardware_id_override")
KEY_LABELS = {
    "device_id": "the Comet device ID",
    "machine_id": "the machine ID (/etc/machine-id)",
    "product_uuid": "the hardware UUID",
    "platform_uuid": "the platform UUID",
    "machine_guid": "the Windows MachineGuid",
    "ssh_host_key": "an SSH host key",
    "entropy": "the DeviceIdentificationEntropy",
    "hardware_id_override": "the DeviceIdentificationHardwareIDOverride",
}
# Values that identify nothing (firmware placeholders, unset IDs): never a reason to call two hosts clones.
_PLACEHOLDERS = frozenset([
    "", "none", "unknown", "not settable", "not specified", "default string", "to be filled by o.e.m.",
    "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009", "00000000000000000000000000000000",
])
# At most this many other hosts are named in one host's message (the count of the rest is given).
NAMED_HOSTS = 10

WAY_OUT = ("Give each host its own identity before the client first starts - comet_client_reidentify_clones: true "
           "does it (Linux: a new machine ID, Windows: a random DeviceIdentificationEntropy under "
           "HKLM\\SOFTWARE\\backup-tool; SSH host keys with comet_client_reidentify_ssh_host_keys); a host whose client "
           "is installed on a shared device: remove the client from it first. Or set "
           "comet_client_allow_shared_device_id: true where the hosts really are one machine.")


def _values(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        out = []
        for item in value:
            out.extend(_values(item))
        return out
    text = str(value).strip()
    return [] if text.lower() in _PLACEHOLDERS else [text]


def identity_of(identity, keys=IDENTITY_KEYS):
    """The (key, value) pairs of one host's identity dict that can identify it (placeholders dropped)."""
    if not isinstance(identity, dict):
        identity = {"device_id": identity}
    pairs = []
    for key in keys:
        for value in _values(identity.get(key)):
            pairs.append((key, value))
    return pairs


def shared_groups(identities, keys=IDENTITY_KEYS):
    """Group the hosts that would share one Comet device.

    ``identities``: {host: {key: value or [values]}} (a bare string is a device ID). Two hosts are grouped when they
    report one device ID, or when they share an identity input and at least one of them has no client yet (its
    device ID would be derived from that input); two installed clients with distinct device IDs are distinct
    devices whatever their inputs. Returns a list of groups of two or more hosts, each {"hosts": [sorted hosts],
    "shared": {key: [values shared inside the group]}}, sorted by their first host. Linear in hosts and values
    (union-find with path halving and union by size)."""
    parent = {}
    size = {}

    def find(host):
        while parent[host] != host:
            parent[host] = parent[parent[host]]
            host = parent[host]
        return host

    def union(left, right):
        left, right = find(left), find(right)
        if left == right:
            return
        if size[left] < size[right]:
            left, right = right, left
        parent[right] = left
        size[left] += size[right]

    holders = {}
    installed = set()
    for host, identity in identities.items():
        parent[host] = host
        size[host] = 1
        pairs = set(identity_of(identity, keys))
        if any(key == "device_id" for key, dummy in pairs):
            installed.add(host)
        for pair in pairs:
            holders.setdefault(pair, []).append(host)
    linked = []
    for pair, hosts in holders.items():
        if len(hosts) < 2:
            continue
        if pair[0] != "device_id":
            newcomers = [host for host in hosts if host not in installed]
            if not newcomers:
                continue
        for host in hosts[1:]:
            union(hosts[0], host)
        linked.append(pair)
    members = {}
    for host in identities:
        root = find(host)
        if size[root] > 1:
            members.setdefault(root, []).append(host)
    shared = {}
    for key, value in linked:
        root = find(holders[(key, value)][0])
        shared.setdefault(root, {}).setdefault(key, []).append(value)
    groups = []
    for root, hosts in members.items():
        values = shared.get(root, {})
        groups.append({"hosts": sorted(hosts, key=str),
                       "shared": dict((key, sorted(values[key])) for key in keys if key in values)})
    return sorted(groups, key=lambda group: str(group["hosts"][0]))


def _named(hosts, limit=NAMED_HOSTS):
    shown = ", ".join(str(host) for host in hosts[:limit])
    return shown + (" and %d more" % (len(hosts) - limit) if len(hosts) > limit else "")


def refusal(host, group, what="Comet device"):
    """The message refusing ``host`` of a ``group`` (from shared_groups): who shares what with it, and the way out."""
    others = [other for other in group["hosts"] if other != host]
    shared = "; ".join("%s %s" % (KEY_LABELS.get(key, key), ", ".join(values))
                       for key, values in group["shared"].items())
    return ("%s shares %s with %s (%d hosts, a cloned image?): they would back up into one %s, each overwriting the "
            "others' snapshots. %s" % (host, shared or "its identity", _named(others), len(group["hosts"]), what, WAY_OUT))


def reidentify_hosts(groups, identities, allowed=()):
    """The hosts that need an identity of their own, group by group: one host keeps the group's identity - the first
    (sorted) whose client is installed (its device and backups stay its own), else the first host - and every other
    host without a client gets a new one. A host whose client is installed already is never re-identified here: its
    device is registered (remove the client first)."""
    allowed = set(allowed)
    out = []
    for group in groups:
        hosts = [host for host in group["hosts"] if host not in allowed]
        installed = [host for host in group["hosts"] if _values((identities.get(host) or {}).get("device_id")
                                                                if isinstance(identities.get(host), dict)
                                                                else identities.get(host))]
        keeper = installed[0] if installed else group["hosts"][0]
        out.extend(host for host in hosts if host != keeper and host not in installed)
    return sorted(out, key=str)


def reidentify_notes(groups, hosts):
    """{host: why it gets a new identity} for the ``hosts`` of reidentify_hosts (what the run says it changed)."""
    wanted = set(hosts)
    out = {}
    for group in groups:
        shared = "; ".join("%s %s" % (KEY_LABELS.get(key, key), ", ".join(values))
                           for key, values in group["shared"].items())
        for host in group["hosts"]:
            if host in wanted:
                others = [other for other in group["hosts"] if other != host]
                out[host] = "%s shared %s with %s: given an identity of its own" % (
                    host, shared or "its identity", _named(others))
    return out


def assume_new_identity(identities, hosts):
    """``identities`` where ``hosts`` have been given a new identity (check mode: what the comparison would find
    after the change): their inputs are replaced by a value of their own, their device ID kept."""
    out = dict(identities)
    for host in hosts:
        identity = out.get(host)
        device_id = identity.get("device_id") if isinstance(identity, dict) else identity
        out[host] = {"device_id": device_id or "", "machine_id": "new identity of %s" % host}
    return out


def refusals(identities, allowed=(), keys=IDENTITY_KEYS):
    """{host: message} for every host that shares an identity with another host, except the hosts in ``allowed``
    (comet_client_allow_shared_device_id); and the groups themselves. One pass: see shared_groups."""
    allowed = set(allowed)
    groups = shared_groups(identities, keys)
    out = {}
    for group in groups:
        devices = {}
        for host in group["hosts"]:
            for device in _values(_device_of(identities.get(host))):
                devices[device] = devices.get(device, 0) + 1
        for host in group["hosts"]:
            own = _values(_device_of(identities.get(host)))
            # an installed client alone on its device keeps it: the newcomers that would collide with it are refused
            if host in allowed or (own and devices.get(own[0]) == 1):
                continue
            out[host] = refusal(host, group)
    return out, groups


def _device_of(identity):
    return identity.get("device_id") if isinstance(identity, dict) else identity


# ---------------------------------------------------------------------------------------------------------------
# Reading a host's identity inputs (module host_info, option identity; the Windows probe's registry values).
# Read-only and cheap: a few small files, no command on Linux; ioreg on a Mac.
# ---------------------------------------------------------------------------------------------------------------
SSH_DIR = "/etc/ssh"
_HEX32_RE = re.compile(r"^[0-9a-f]{32}$")
_IOREG_UUID_RE = re.compile(r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"')


def ssh_key_fingerprint(line):
    """The SHA256 fingerprint of a public key line (``ssh-ed25519 AAAA... comment``), as ssh-keygen -l prints it;
    '' for a line that is not a key."""
    parts = (line or "").split()
    if len(parts) < 2:
        return ""
    try:
        blob = base64.b64decode(parts[1].encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return ""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def _read(path, limit=65536):
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except (IOError, OSError):
        return ""


def ssh_host_keys(ssh_dir=SSH_DIR, read=_read, listdir=os.listdir):
    """The fingerprints of the host's SSH host keys (/etc/ssh/ssh_host_*_key.pub), sorted."""
    try:
        names = sorted(n for n in listdir(ssh_dir) if n.startswith("ssh_host_") and n.endswith("_key.pub"))
    except (IOError, OSError):
        return []
    prints = (ssh_key_fingerprint(read(os.path.join(ssh_dir, name))) for name in names)
    return sorted(p for p in prints if p)


def machine_id(text):
    """A machine ID file's value (32 lowercase hex digits), or '' (empty, 'uninitialized', anything else)."""
    value = (text or "").strip().lower()
    return value if _HEX32_RE.match(value) else ""


def linux_identity(read=_read, listdir=os.listdir):
    """What the Comet client can derive a Linux device ID from: the machine ID (and the D-Bus copy when it differs),
    the DMI product UUID where readable (root), the SSH host keys."""
    mid = machine_id(read("/etc/machine-id"))
    dbus = machine_id(read("/var/lib/dbus/machine-id"))
    out = {"machine_id": mid, "dbus_machine_id": dbus if dbus and dbus != mid else "",
           "product_uuid": (read("/sys/class/dmi/id/product_uuid") or "").strip().lower(),
           "ssh_host_key": ssh_host_keys(read=read, listdir=listdir)}
    if not out["machine_id"] and dbus:
        out["machine_id"] = dbus
    return out


def parse_ioreg_platform_uuid(text):
    """IOPlatformUUID from ``ioreg -rd1 -c IOPlatformExpertDevice``, or ''."""
    match = _IOREG_UUID_RE.search(text or "")
    return match.group(1).upper() if match else ""


def macos_identity(ioreg_output, read=_read, listdir=os.listdir):
    """A Mac's: the platform UUID (hardware) and the SSH host keys."""
    return {"platform_uuid": parse_ioreg_platform_uuid(ioreg_output), "ssh_host_key": ssh_host_keys(read=read, listdir=listdir)}


def windows_identity(values):
    """A Windows host's, from the probe's registry read: MachineGuid (reported only), and under
    HKLM\\SOFTWARE\\backup-tool DeviceIdentificationEntropy and DeviceIdentificationHardwareIDOverride."""
    values = values or {}
    return {"machine_guid": str(values.get("MachineGuid") or "").strip().lower(),
            "entropy": str(values.get("DeviceIdentificationEntropy") or "").strip(),
            "hardware_id_override": str(values.get("DeviceIdentificationHardwareIDOverride") or "").strip()}


def host_identity(device_id, identity):
    """One host's identity for shared_groups: its Comet device ID and the inputs its probe read."""
    out = dict(identity or {})
    out["device_id"] = device_id or ""
    return out
