# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Whether a Pulse Secure / Ivanti Secure Access VPN connection is up on a Linux host or a Mac (issue 24, point 3).
# Seed 000, "Machine ventile lors du premier backup": "l'utilisation du VPN (Pulse Secure) n'est pas nécessaire pour
# cette première sauvegarde, et il est même déconseillé de faire cette première sauvegarde tout en ayant Pulse Secure
# activé." Read by module host_info (option vpn), decided here from what it read, pure:
#   Linux  the client's service process (pulsesvc; dsAccessService for Ivanti Secure Access) runs and a tun device
#          (/sys/class/net/<name>/tun_flags) is up - the tunnel it opens while connected;
#   macOS  the client's process (dsAccessService, pulsesvc) runs and a utun interface carries an IPv4 address - macOS
#          keeps utun interfaces of its own (iCloud, Back to My Mac) with IPv6 link-local addresses only.
# Windows is read by its own probe (roles' Windows tasks), not here.

from __future__ import annotations

import re

CLIENT = "Pulse Secure / Ivanti Secure Access"
# process names (as /proc/<pid>/comm, at most 15 characters, or ps -axco comm) of the client's service
PROCESSES = ("pulsesvc", "dsAccessService", "PulseSecure", "Pulse Secure", "Ivanti Secure Access")
IFF_UP = 0x1

_UTUN_HEADER = re.compile(r"^(utun[0-9]+):\s")
_INET = re.compile(r"^\s+inet\s+([0-9.]+)")


def client_processes(names):
    """The names among ``names`` (running processes) that are the VPN client's, sorted, once each."""
    wanted = set(p.lower()[:15] for p in PROCESSES) | set(p.lower() for p in PROCESSES)
    return sorted(set(n.strip() for n in names or () if n and n.strip().lower() in wanted))


def linux_tunnels(interfaces):
    """The tun devices that are up, from {name: {tun: bool, flags: int or hex text}}."""
    out = []
    for name, info in sorted((interfaces or {}).items()):
        flags = info.get("flags", 0)
        if isinstance(flags, str):
            try:
                flags = int(flags.strip(), 0)
            except ValueError:
                flags = 0
        if info.get("tun") and flags & IFF_UP:
            out.append(name)
    return out


def macos_tunnels(ifconfig):
    """The utun interfaces with an IPv4 address, from ``ifconfig`` output."""
    out, current = [], None
    for line in (ifconfig or "").splitlines():
        header = _UTUN_HEADER.match(line)
        if header:
            current = header.group(1)
            continue
        if line and not line[0].isspace():
            current = None
            continue
        if current and _INET.match(line) and current not in out:
            out.append(current)
    return out


def vpn_state(processes, tunnels):
    """{connected, client, processes, interfaces}: connected when the client's process runs and a tunnel is up."""
    found = client_processes(processes)
    return {"connected": bool(found) and bool(tunnels), "client": CLIENT, "processes": found,
            "interfaces": list(tunnels or [])}
