# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Pulse Secure / Ivanti Secure Access connection read on a Linux host or a Mac (_host_vpn), for the first backup's
deferral (seed 000, "Machine ventile lors du premier backup": "il est même déconseillé de faire cette première
sauvegarde tout en ayant Pulse Secure activé")."""
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _first_backup as fb
from ansible_collections.unil.backup.plugins.module_utils import _host_vpn as vpn

# /sys/class/net/<name>/flags as the kernel writes them (hex), tun_flags present for tun/tap devices only
LINUX_UP = {"lo": {"tun": False, "flags": "0x9"}, "eth0": {"tun": False, "flags": "0x1003"},
            "tun0": {"tun": True, "flags": "0x1091"}}
LINUX_DOWN = dict(LINUX_UP, tun0={"tun": True, "flags": "0x1090"})

IFCONFIG_CONNECTED = """lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384
\tinet 127.0.0.1 netmask 0xff000000
en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tinet 10.0.1.12 netmask 0xffffff00 broadcast 10.0.1.255
utun0: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380
\tinet6 fe80::1%utun0 prefixlen 64 scopeid 0x10
utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1400
\tinet 10.8.20.7 --> 10.8.20.7 netmask 0xffffffff
"""
# macOS's own utun interfaces: IPv6 link-local only
IFCONFIG_IDLE = IFCONFIG_CONNECTED.split("utun3:", maxsplit=1)[0]

CASES = [
    ("linux connected", ["systemd", "sshd", "pulsesvc"], vpn.linux_tunnels(LINUX_UP), True),
    ("linux Ivanti connected", ["dsAccessService"], vpn.linux_tunnels(LINUX_UP), True),
    ("linux client idle, tunnel down", ["pulsesvc"], vpn.linux_tunnels(LINUX_DOWN), False),
    ("linux another VPN's tunnel, no client", ["openvpn"], vpn.linux_tunnels(LINUX_UP), False),
    ("macOS connected", ["launchd", "dsAccessService", "PulseTray"], vpn.macos_tunnels(IFCONFIG_CONNECTED), True),
    ("macOS client running, not connected", ["dsAccessService"], vpn.macos_tunnels(IFCONFIG_IDLE), False),
    ("macOS system utun only, no client", ["launchd"], vpn.macos_tunnels(IFCONFIG_CONNECTED), False),
]


@pytest.mark.parametrize("name,processes,tunnels,connected", CASES, ids=[c[0] for c in CASES])
def test_vpn_state(name, processes, tunnels, connected):
    got = vpn.vpn_state(processes, tunnels)
    assert got["connected"] is connected, name
    assert got["client"] == "Pulse Secure / Ivanti Secure Access"


def test_what_was_read_is_said():
    assert vpn.linux_tunnels(LINUX_UP) == ["tun0"] and vpn.linux_tunnels(LINUX_DOWN) == []
    assert vpn.macos_tunnels(IFCONFIG_CONNECTED) == ["utun3"] and vpn.macos_tunnels(IFCONFIG_IDLE) == []
    assert vpn.vpn_state(["pulsesvc", "pulsesvc", "bash"], ["tun0"]) == {
        "connected": True, "client": "Pulse Secure / Ivanti Secure Access", "processes": ["pulsesvc"],
        "interfaces": ["tun0"]}
    assert vpn.linux_tunnels({"tun0": {"tun": True, "flags": "garbage"}, "tun1": {"tun": True, "flags": 1}}) == ["tun1"]


@pytest.mark.parametrize("processes,tunnels,reason", [
    (["pulsesvc"], ["tun0"], "deferred:vpn"),
    (["pulsesvc"], [], "start"),
])
def test_the_probes_answer_defers_the_first_backup(processes, tunnels, reason):
    """What the probe returns (vpn.connected, mapped to comet_client_vpn_connected) is what the first backup's decision
    reads: inside the window, a connected VPN defers it to the schedule."""
    connected = vpn.vpn_state(processes, tunnels)["connected"]
    assert fb.first_backup_decision(True, True, False, True, fb.parse_window("20:00-06:00"), 23 * 60, vpn=connected) == reason
