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

# What a host's identity is made of, in the order messages name them. ``device_id``: the Comet client's own
# (backup-tool info device-id); the others are the inputs the client derives it from, read by the host probe.
IDENTITY_KEYS = ("device_id", "machine_id", "product_uuid", "platform_uuid", "machine_guid", "ssh_host_key")
KEY_LABELS = {
    "device_id": "the Comet device ID",
    "machine_id": "the machine ID (/etc/machine-id)",
    "product_uuid": "the hardware UUID",
    "platform_uuid": "the platform UUID",
    "machine_guid": "the Windows MachineGuid",
    "ssh_host_key": "an SSH host key",
}
# Values that identify nothing (firmware placeholders, unset IDs): never a reason to call two hosts clones.
_PLACEHOLDERS = frozenset([
    "", "none", "unknown", "not settable", "not specified", "default string", "to be filled by o.e.m.",
    "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009", "00000000000000000000000000000000",
])
# At most this many other hosts are named in one host's message (the count of the rest is given).
NAMED_HOSTS = 10

WAY_OUT = ("Give each host its own identity before the client first starts: on Linux a new machine ID "
           "(systemd-machine-id-setup after emptying /etc/machine-id) and new SSH host keys, on macOS new SSH host keys, on "
           "Windows a unique DeviceIdentificationEntropy under HKLM\\SOFTWARE\\backup-tool; then remove the client and "
           "run again (or set comet_client_allow_shared_device_id: true where hosts really are one machine).")


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
    """Group the hosts that share any identity value.

    ``identities``: {host: {key: value or [values]}} (a bare string is a device ID). Returns a list of groups of two
    or more hosts, each {"hosts": [sorted hosts], "shared": {key: [values shared inside the group]}}, sorted by
    their first host. Linear in hosts and values (union-find with path halving and union by size)."""
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

    owner = {}
    count = {}
    for host in identities:
        parent[host] = host
        size[host] = 1
    for host, identity in identities.items():
        for pair in set(identity_of(identity, keys)):
            count[pair] = count.get(pair, 0) + 1
            if pair in owner:
                union(owner[pair], host)
            else:
                owner[pair] = host
    members = {}
    for host in identities:
        root = find(host)
        if size[root] > 1:
            members.setdefault(root, []).append(host)
    shared = {}
    for pair, number in count.items():
        if number > 1:
            root = find(owner[pair])
            shared.setdefault(root, {}).setdefault(pair[0], []).append(pair[1])
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


def refusals(identities, allowed=(), keys=IDENTITY_KEYS):
    """{host: message} for every host that shares an identity with another host, except the hosts in ``allowed``
    (comet_client_allow_shared_device_id); and the groups themselves. One pass: see shared_groups."""
    allowed = set(allowed)
    groups = shared_groups(identities, keys)
    out = {}
    for group in groups:
        for host in group["hosts"]:
            if host not in allowed:
                out[host] = refusal(host, group)
    return out, groups
