# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 23: unil.backup.host_info on a Mac reads each daemon's launchd label from the plist Comet documents (its
``Label``, not its file name), and finds the client's app bundle from the package receipt (pkgutil) when the
configured one is absent. In-process, against a fake run_command answering as a Mac does."""
from __future__ import annotations

import plistlib

import pytest

from test_host_info_macos import FakeMac, run  # pylint: disable=import-error

PKG = "ch.unil.comet.pkg"


class ReceiptMac(FakeMac):
    """FakeMac with package receipts: {id: (pkg-info text, files text)}."""

    def __init__(self, tool, daemons, receipts, **kwargs):
        super().__init__(tool, daemons, **kwargs)
        self.receipts = receipts

    def run_command(self, args, **kwargs):
        if args[0] == "/usr/sbin/pkgutil":
            self.calls.append(list(args))
            if args[1] == "--pkgs":
                return 0, "com.apple.pkg.Core\n" + "".join(pkg + "\n" for pkg in self.receipts), ""
            info, files = self.receipts[args[2]]
            return 0, info if args[1] == "--pkg-info" else files, ""
        return super().run_command(args, **kwargs)


@pytest.fixture
def plists(tmp_path):
    folder = tmp_path / "LaunchDaemons"
    folder.mkdir()
    (folder / "backup.delegate.plist").write_bytes(plistlib.dumps({"Label": "com.cometbackup.delegate"}))
    (folder / "backup.elevator.plist").write_bytes(plistlib.dumps({"Label": "backup.elevator"}, fmt=plistlib.FMT_BINARY))
    return [str(folder / "backup.delegate.plist"), str(folder / "backup.elevator.plist")]


def test_labels_come_from_the_plists(tmp_path, plists, capsys, monkeypatch):
    tool = tmp_path / "Comet Backup.app" / "Contents" / "MacOS" / "backup-tool"
    tool.parent.mkdir(parents=True)
    tool.write_text("")
    mac = ReceiptMac(str(tool), {"com.cometbackup.delegate": "running", "backup.elevator": "stopped"}, {})
    out = run(capsys, monkeypatch, mac, {"backup_tool": str(tool), "launchd_plists": plists, "find_app": True})
    assert out["services"] == {
        "backup.delegate": {"exists": True, "enabled": True, "active": True, "label": "com.cometbackup.delegate",
                            "plist": plists[0]},
        "backup.elevator": {"exists": True, "enabled": True, "active": False, "label": "backup.elevator", "plist": plists[1]}}
    assert ["/bin/launchctl", "print", "system/com.cometbackup.delegate"] in mac.calls
    assert ["/bin/launchctl", "print", "system/backup.delegate"] not in mac.calls
    # the configured bundle exists: no receipt is read
    assert not [c for c in mac.calls if c[0] == "/usr/sbin/pkgutil"]
    assert out["macos"]["app_path"] == str(tmp_path / "Comet Backup.app") and out["macos"]["app_source"] == "configured"


def test_an_app_bundle_found_from_its_receipt_under_another_name(tmp_path, plists, capsys, monkeypatch):
    found = tmp_path / "Applications" / "Comet Backup UNIL.app" / "Contents" / "MacOS" / "backup-tool"
    found.parent.mkdir(parents=True)
    found.write_text("")
    info = "package-id: %s\nversion: 24.6.0\nvolume: %s\nlocation: Applications\n" % (PKG, tmp_path)
    files = "Comet Backup UNIL.app\nComet Backup UNIL.app/Contents/MacOS/backup-tool\n"
    mac = ReceiptMac(str(found), {}, {"org.python.Python": ("volume: /\n", "Python.app/Contents/MacOS/Python\n"),
                                      PKG: (info, files)})
    configured = str(tmp_path / "Applications" / "Comet Backup.app" / "Contents" / "MacOS" / "backup-tool")
    out = run(capsys, monkeypatch, mac, {"backup_tool": configured, "launchd_plists": plists, "find_app": True})
    assert out["comet"]["installed"] is True and out["comet"]["version"] == "24.6.0"
    assert out["macos"]["app_path"] == str(tmp_path / "Applications" / "Comet Backup UNIL.app")
    assert out["macos"]["app_source"] == "receipt" and out["macos"]["package_id"] == PKG
    # never an Apple receipt; the likely one (naming comet) first, and the search stops there
    assert ["/usr/sbin/pkgutil", "--files", "com.apple.pkg.Core"] not in mac.calls
    assert ["/usr/sbin/pkgutil", "--files", "org.python.Python"] not in mac.calls


def test_no_client_anywhere(tmp_path, plists, capsys, monkeypatch):
    mac = ReceiptMac("/nowhere", {}, {"org.python.Python": ("volume: /\n", "Python.app/Contents/MacOS/Python\n")})
    out = run(capsys, monkeypatch, mac, {"backup_tool": str(tmp_path / "X.app" / "Contents" / "MacOS" / "backup-tool"),
                                         "launchd_plists": plists, "find_app": True})
    assert out["comet"]["installed"] is False
    assert out["macos"]["app_path"] == "" and out["macos"]["app_source"] == ""


def test_a_relative_plist_path_is_refused(tmp_path, capsys, monkeypatch):
    mac = ReceiptMac("/nowhere", {}, {})
    out = run(capsys, monkeypatch, mac, {"backup_tool": "/nowhere", "launchd_plists": ["backup.delegate.plist"]})
    assert out["failed"] is True and "launchd_plists" in out["msg"]
