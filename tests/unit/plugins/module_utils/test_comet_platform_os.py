# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One rule for a device's platform (issue 23): DeviceConfig.PlatformVersion.os (Go SDK OSInfo.OS, "available in
Comet 23.6.0 and later"), else the live connection's ReportedPlatform (LiveUserConnection: "one of the PLATFORM_
constants; then a forwardslash (/); then the device's GOARCH"), for a client older than 23.6. The fleet report (and
the known problems, which read its platform) use it."""
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet as fleet
from ansible_collections.unil.backup.plugins.module_utils import _comet_model as m

NEW = {"FriendlyName": "mac-24", "ClientVersion": "24.6.0",
       "PlatformVersion": {"version": "14.5", "distribution": "macOS", "os": "darwin", "arch": "arm64"}}
# a 23.3 client: PlatformVersion without os/arch (omitempty), no ClientVersion
OLD = {"FriendlyName": "lab-pc-23",
       "PlatformVersion": {"version": "2009", "distribution": "Windows 10 Pro", "build": "19045"}}


def live(platform, os_name=None):
    conn = {"Username": "pnom", "DeviceID": "dev-old", "ReportedVersion": "23.3.5", "ReportedPlatform": platform,
            "ConnectionTime": 1700000000}
    if os_name:
        conn["ReportedPlatformVersion"] = {"os": os_name}
    return conn


@pytest.mark.parametrize("device, connection, expected", [
    (NEW, None, "macos"),
    (NEW, live("windows/amd64"), "macos"),           # PlatformVersion.os first
    (OLD, None, None),
    (OLD, live("windows/amd64"), "windows"),
    (OLD, live("windows/386"), "windows"),
    (OLD, live("darwin/arm64"), "macos"),
    (OLD, live("linux/amd64"), "linux"),
    (OLD, live("linux"), "linux"),                   # no GOARCH part
    (OLD, live("freebsd/amd64"), None),
    (OLD, live("", "linux"), "linux"),               # ReportedPlatformVersion.os when the connection has it
    (OLD, "darwin/amd64", "macos"),                  # the ReportedPlatform string itself
    (OLD, {"ReportedPlatform": 7}, None),
    ({}, None, None),
    (None, "linux/arm64", "linux"),
    (live("windows/amd64"), None, "windows"),        # a connection (list-active, a lobby device) as the device
    ({"PlatformVersion": {"os": "freebsd"}}, live("linux/amd64"), "linux"),
])
def test_platform_os(device, connection, expected):
    assert m.platform_os(device, connection) == expected


@pytest.mark.parametrize("value, expected", [("linux/amd64", "linux"), ("Windows/amd64", "windows"),
                                             ("darwin/arm64", "macos"), ("", None), (None, None), ("plan9/386", None)])
def test_reported_platform_os(value, expected):
    assert m.reported_platform_os(value) == expected


def test_device_summary_of_an_old_client():
    assert m.device_summary("dev-old", OLD, online=True)["platform"] is None
    assert m.device_summary("dev-old", OLD, online=True, connection=live("windows/amd64"))["platform"] == "windows"


def _profile(device):
    return {"Username": "pnom", "Devices": {"dev-old": device}, "Sources": {}, "BackupRules": {}, "Destinations": {}}


@pytest.mark.parametrize("device, active, expected", [
    (OLD, {"conn-1": live("windows/amd64")}, "windows"),   # a pre-23.6 client online: its ReportedPlatform
    (OLD, {}, "unknown"),                                  # offline: nothing says its platform
    (dict(NEW), {"conn-1": live("windows/amd64")}, "macos"),
])
def test_fleet_report_platform(device, active, expected):
    active = {key: dict(conn, DeviceID="dev-old") for key, conn in active.items()}
    report = fleet.fleet_report({"pnom": _profile(device)}, active, [], 1700000000)
    assert [d["platform"] for d in report["devices"]] == [expected]
