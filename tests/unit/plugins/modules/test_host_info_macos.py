# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""unil.backup.host_info with its macOS inputs, in-process, against a fake run_command that answers as a Mac does
(launchctl, profiles, sw_vers, backup-tool); the commands it runs are recorded and checked."""
from __future__ import annotations

import importlib
import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

APP = "/Applications/Comet Backup.app"
PPPC = "ch.unil.backup.comet.pppc"

RUNNING = """system/{label} = {{
\tactive count = 1
\tpath = /Library/LaunchDaemons/{label}.plist
\ttype = LaunchDaemon
\tstate = running
\targuments = {{
\t\t{app}/Contents/MacOS/backup-tool
\t}}
\tpid = 641
}}
"""
STOPPED = "system/{label} = {{\n\tpath = /Library/LaunchDaemons/{label}.plist\n\tstate = not running\n\tlast exit code = 1\n}}\n"
NOT_FOUND = 'Bad request.\nCould not find service "{label}" in domain for system\n'
DISABLED = 'disabled services = {{\n\t"com.apple.ftpd" => disabled\n{lines}}}\n'
PROFILES = ("_computerlevel[1] attribute: name: Comet Backup Full Disk Access\n"
            "_computerlevel[1] attribute: profileIdentifier: %s\n"
            "There are 1 configuration profiles installed\n" % PPPC)


class FakeMac:
    """A Mac's answers: daemons {label: 'running' | 'stopped' | 'missing'}, disabled labels, the PPPC profile."""

    def __init__(self, tool, daemons, disabled=(), profile=True, version="14.4.1"):
        self.tool, self.daemons, self.disabled, self.profile, self.version = tool, daemons, disabled, profile, version
        self.calls = []

    def run_command(self, args, **kwargs):  # stands for AnsibleModule.run_command
        self.calls.append(list(args))
        if args[0] == self.tool:
            assert kwargs.get("environ_update") == {"HOME": "/var/root"}
            return 0, {"version": "24.6.0\n", "info device-id": "dev-mac-01\n",
                       "login status": "Logged in, unlocked (2)\n"}[" ".join(args[1:])], ""
        if args[:2] == ["/bin/launchctl", "print"]:
            label = args[2].split("/", 1)[1]
            state = self.daemons.get(label, "missing")
            if state == "missing":
                return 113, NOT_FOUND.format(label=label), ""
            return 0, (RUNNING if state == "running" else STOPPED).format(label=label, app=APP), ""
        if args == ["/bin/launchctl", "print-disabled", "system"]:
            lines = "".join('\t"%s" => %s\n' % (label, "disabled" if label in self.disabled else "enabled")
                            for label in self.daemons)
            return 0, DISABLED.format(lines=lines), ""
        if args == ["/usr/bin/profiles", "show", "-type", "configuration"]:
            return 0, PROFILES if self.profile else "There are no configuration profiles installed\n", ""
        if args == ["/usr/bin/sw_vers", "-productVersion"]:
            return 0, self.version + "\n", ""
        raise AssertionError("unexpected command %r" % (args,))


@pytest.fixture
def tool(tmp_path):
    path = tmp_path / "Comet Backup.app" / "Contents" / "MacOS" / "backup-tool"
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\nexit 99\n")  # never run: the fake run_command answers
    return str(path)


def run(capsys, monkeypatch, mac, args):
    # a bound method is no descriptor: the module's run_command(args, ...) calls mac.run_command(args, ...)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", mac.run_command)
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules.host_info")
    with patch_module_args(dict({"home": "/var/root"}, **args)):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


MAC_ARGS = {"launchd_labels": ["backup.delegate", "backup.elevator"], "profile_identifier": PPPC, "os_version": True}


def test_a_converged_mac(tool, capsys, monkeypatch):
    mac = FakeMac(tool, {"backup.delegate": "running", "backup.elevator": "running"})
    out = run(capsys, monkeypatch, mac, dict(MAC_ARGS, backup_tool=tool))
    assert out["changed"] is False
    assert out["comet"] == {"installed": True, "version": "24.6.0", "device_id": "dev-mac-01",
                            "login": {"code": 2, "text": "Logged in, unlocked (2)", "logged_in": True}}
    assert out["services"] == {"backup.delegate": {"exists": True, "enabled": True, "active": True},
                               "backup.elevator": {"exists": True, "enabled": True, "active": True}}
    assert out["macos"] == {"pppc_installed": True, "os_version": "14.4.1"}
    # no unit on macOS: all false and empty, as the plan expects
    assert out["unit"] == {"path": "", "exists": False, "sha256": "", "enabled": False, "active": False}
    assert out["probed"] == {"backup_tool": tool, "crashplan": False, "crashplan_archives": [],
                             "crashplan_uninstaller": None, "launchd_labels": ["backup.delegate", "backup.elevator"],
                             "profile_identifier": PPPC}
    assert sorted(" ".join(c[1:]) if c[0] == tool else " ".join(c) for c in mac.calls) == [
        "/bin/launchctl print system/backup.delegate", "/bin/launchctl print system/backup.elevator",
        "/bin/launchctl print-disabled system", "/usr/bin/profiles show -type configuration",
        "/usr/bin/sw_vers -productVersion", "info device-id", "login status", "version"]


def test_stopped_disabled_and_missing_daemons_and_no_profile(tool, capsys, monkeypatch):
    mac = FakeMac(tool, {"backup.delegate": "stopped", "backup.elevator": "running"}, disabled=("backup.elevator",),
                  profile=False, version="11.7")
    out = run(capsys, monkeypatch, mac, dict(MAC_ARGS, backup_tool=tool, launchd_labels=MAC_ARGS["launchd_labels"] + ["backup.x"]))
    assert out["services"] == {"backup.delegate": {"exists": True, "enabled": True, "active": False},
                               "backup.elevator": {"exists": True, "enabled": False, "active": True},
                               "backup.x": {"exists": False, "enabled": False, "active": False}}
    assert out["macos"] == {"pppc_installed": False, "os_version": "11.7"}


def test_a_mac_without_the_client(tmp_path, capsys, monkeypatch):
    mac = FakeMac("/nowhere", {})
    out = run(capsys, monkeypatch, mac, dict(MAC_ARGS, backup_tool=str(tmp_path / "none" / "backup-tool")))
    assert out["comet"]["installed"] is False and out["comet"]["login"]["code"] == -1
    assert out["services"] == {"backup.delegate": {"exists": False, "enabled": False, "active": False},
                               "backup.elevator": {"exists": False, "enabled": False, "active": False}}
    assert out["macos"]["pppc_installed"] is True  # the profile can come before the client


def test_without_macos_inputs_nothing_macos_is_run(tool, capsys, monkeypatch):
    mac = FakeMac(tool, {"backup.delegate": "running"})
    out = run(capsys, monkeypatch, mac, {"backup_tool": tool})
    assert out["services"] == {} and out["macos"] == {"pppc_installed": False, "os_version": ""}
    assert "launchd_labels" not in out["probed"] and "profile_identifier" not in out["probed"]
    assert all(c[0] == tool for c in mac.calls)


@pytest.mark.parametrize("args, message", [
    ({"launchd_labels": ["backup.delegate", "system/x"]}, "launchd_labels: 'system/x' is not a launchd label (letters, digits, . _ -)"),
    ({"launchd_labels": ["-h"]}, "launchd_labels: '-h' is not a launchd label (letters, digits, . _ -)"),
    ({"profile_identifier": "a b"}, "profile_identifier: 'a b' is not a profile identifier (letters, digits, . _ -)"),
])
def test_bad_macos_input_is_refused_before_any_command(tool, capsys, monkeypatch, args, message):
    mac = FakeMac(tool, {})
    out = run(capsys, monkeypatch, mac, dict({"backup_tool": tool}, **args))
    assert out["failed"] and out["msg"] == message
    assert mac.calls == []
    assert os.path.exists(tool)
