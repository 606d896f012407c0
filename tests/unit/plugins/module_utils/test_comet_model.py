# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_model as m
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError


def profile():
    return {
        "Username": "lab",
        "Destinations": {"vault-1": {"Description": "UNIL Storage Vault"}},
        "Devices": {
            "dev-a": {"FriendlyName": "pc-a", "PlatformVersion": {"os": "windows"}, "ClientVersion": "24.6.0"},
            "dev-b": {"FriendlyName": "mac-b", "PlatformVersion": {"os": "darwin"}},
            "dev-c": {"FriendlyName": "twin", "PlatformVersion": {"os": "linux"}},
            "dev-d": {"FriendlyName": "twin", "PlatformVersion": {"os": "linux"}},
        },
        "Sources": {
            "s1": {"Engine": "engine1/file", "OwnerDevice": "dev-a", "Description": "Windows UNIL",
                   "EngineProps": {"INCLUDEb": "D:/data", "INCLUDEa": "C:/Users", "EXCLUDE1": "x"}},
            "s2": {"Engine": "engine1/file", "OwnerDevice": "dev-c", "Description": "one"},
            "s3": {"Engine": "engine1/file", "OwnerDevice": "dev-c", "Description": "two"},
            "s4": {"Engine": "engine1/mysql", "OwnerDevice": "dev-b", "Description": "db"},
        },
        "BackupRules": {"r1": {"Source": "s1", "Destination": "vault-1"}},
    }


def test_platform_os():
    p = profile()
    assert [m.platform_os(p["Devices"][d]) for d in ("dev-a", "dev-b", "dev-c")] == ["windows", "macos", "linux"]
    assert m.platform_os({"PlatformVersion": {"os": "freebsd"}}) is None
    assert m.platform_os({}) is None


def test_find_device():
    p = profile()
    assert m.find_device(p, device_id="dev-a")[0] == "dev-a"
    assert m.find_device(p, device_name="mac-b")[0] == "dev-b"
    for kwargs, option in (({"device_id": "nope"}, "device_id"), ({"device_name": "nope"}, "device_name"),
                           ({"device_name": "twin"}, "device_name"), ({}, "device_id")):
        with pytest.raises(CometInputError) as err:
            m.find_device(p, **kwargs)
        assert err.value.option == option


def test_find_item_rules():
    p = profile()
    assert m.find_item(p, "dev-a", "Windows UNIL")[0] == "s1"
    assert m.find_item(p, "dev-a", "Other name")[0] == "s1"     # the only item: edited in place
    assert m.find_item(p, "dev-b", "macOS UNIL") == (None, None)  # mysql item is not ours
    assert m.find_item(p, "dev-c", "two")[0] == "s3"
    with pytest.raises(CometInputError) as err:
        m.find_item(p, "dev-c", "three")
    assert err.value.option == "item_name"
    with pytest.raises(CometInputError):
        m.require_item(p, "dev-b", "macOS UNIL")
    assert m.item_folders(p["Sources"]["s1"]) == ["C:/Users", "D:/data"]
    assert m.find_rule(p, "s1") == ("r1", p["BackupRules"]["r1"])
    assert m.find_rule(p, "s1", "vault-2") == (None, None)


def test_find_vault():
    p = profile()
    assert m.find_vault(p) == "vault-1"
    assert m.find_vault(p, "UNIL Storage Vault") == "vault-1"
    assert m.find_vault(p, "vault-1") == "vault-1"
    p["Destinations"]["vault-2"] = {"Description": "Other"}
    with pytest.raises(CometInputError) as err:
        m.find_vault(p)
    assert err.value.option == "vault"
    with pytest.raises(CometInputError):
        m.find_vault(p, "missing")


@pytest.mark.parametrize("path,os_name,expected", [
    ("/home/", "linux", "/home"), ("/", "linux", "/"), ("C:/Users/", "windows", "C:/Users"), ("C:\\", "windows", "C:\\"),
    ("\\\\srv\\share\\x", "windows", "\\\\srv\\share\\x"), ("/Users", "macos", "/Users"),
])
def test_normalize_folder_ok(path, os_name, expected):
    assert m.normalize_folder(path, os_name) == expected


@pytest.mark.parametrize("path,os_name,words", [
    ("home", "linux", "absolute"), ("C:/Users", "linux", "Windows path"), ("/home", "windows", "not a Windows path"),
    ("", "linux", "empty"), ("Users", "windows", "absolute"),
])
def test_normalize_folder_bad(path, os_name, words):
    with pytest.raises(CometInputError) as err:
        m.normalize_folder(path, os_name)
    assert err.value.option == "folders" and words in str(err.value)


@pytest.mark.parametrize("value", ["", "  ", " x", "x" * 256, "a\tb"])
def test_check_name_bad(value):
    with pytest.raises(CometInputError) as err:
        m.check_name(value, "name")
    assert err.value.option == "name"


def test_deterministic_guid():
    a = m.deterministic_guid("source", "lab", "dev-a", "Windows UNIL")
    assert a == m.deterministic_guid("source", "lab", "dev-a", "Windows UNIL")
    assert a != m.deterministic_guid("source", "lab", "dev-b", "Windows UNIL")
    assert [len(p) for p in a.split("-")] == [8, 4, 4, 4, 12]


class FakeClient:
    def __init__(self, active, fail=False):
        self.active = active
        self.fail = fail
        self.refetched = []

    def list_active(self, user=None):
        return self.active

    def refetch_profile(self, target):
        if self.fail:
            raise RuntimeError("gone")
        self.refetched.append(target)


def test_refetch_if_online():
    client = FakeClient({"t2": {"Username": "lab", "DeviceID": "dev-a"}, "t1": {"Username": "other", "DeviceID": "dev-a"}})
    assert m.refetch_if_online(client, "lab", "dev-a") is True and client.refetched == ["t2"]
    assert m.refetch_if_online(client, "lab", "dev-b") is False

    class Mod:
        warnings = []

        def warn(self, msg):
            self.warnings.append(msg)
    mod = Mod()
    assert m.refetch_if_online(FakeClient(client.active, fail=True), "lab", "dev-a", mod) is False
    assert len(mod.warnings) == 1
