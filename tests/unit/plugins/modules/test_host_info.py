# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""unil.backup.host_info run in-process on this (Linux) machine against a scripted backup-tool and a unit file."""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

TOOL = """#!/bin/sh
# a scripted backup-tool: what the real client prints (Comet docs, "Command-line control")
echo "$*" >> "{log}"
[ "$HOME" = "{home}" ] || {{ echo "HOME is $HOME" >&2; exit 3; }}
case "$*" in
  version) echo "24.6.0" ;;
  "info device-id") echo "dev-0123abcd" ;;
  "login status")
    n=$(grep -c "login status" "{log}")
    if [ "$n" -le {connecting} ]; then echo "Connection error (3)"; else echo "Logged in, unlocked (2)"; fi ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"""


def run(capsys, args):
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules.host_info")
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def tool(tmp_path, connecting=0):
    home = tmp_path / "home"
    home.mkdir()
    path = tmp_path / "opt" / "backup-tool"
    path.parent.mkdir()
    path.write_text(TOOL.format(log=tmp_path / "calls.log", home=home, connecting=connecting))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path), str(home)


def test_an_installed_client_is_read_in_one_call(tmp_path, capsys):
    path, home = tool(tmp_path)
    unit = tmp_path / "comet-backup.service"
    unit.write_text("[Unit]\nDescription=Comet\n")
    out = run(capsys, {"backup_tool": path, "home": home, "unit_path": str(unit)})
    assert out["changed"] is False
    assert out["comet"] == {"installed": True, "version": "24.6.0", "device_id": "dev-0123abcd",
                            "login": {"code": 2, "text": "Logged in, unlocked (2)", "logged_in": True}}
    assert out["unit"]["exists"] and out["unit"]["sha256"] == hashlib.sha256(unit.read_bytes()).hexdigest()
    assert "crashplan" not in out
    assert out["probed"] == {"backup_tool": path, "crashplan": False, "crashplan_archives": [], "crashplan_uninstaller": None}
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert sorted(calls) == ["info device-id", "login status", "version"]


def test_a_missing_client_and_unit(tmp_path, capsys):
    out = run(capsys, {"backup_tool": str(tmp_path / "nothing" / "backup-tool"), "unit_path": str(tmp_path / "none.service")})
    assert out["comet"] == {"installed": False, "version": "", "device_id": "", "login": {"code": -1, "text": "Not installed", "logged_in": False}}
    assert out["unit"]["exists"] is False and out["unit"]["sha256"] == ""


def test_waits_while_the_client_connects(tmp_path, capsys):
    path, home = tool(tmp_path, connecting=2)
    out = run(capsys, {"backup_tool": path, "home": home, "wait_login": 20})
    assert out["comet"]["login"]["code"] == 2
    assert (tmp_path / "calls.log").read_text().count("login status") == 3
    # without waiting, the first answer is reported as it is
    (tmp_path / "calls.log").write_text("")
    out = run(capsys, {"backup_tool": path, "home": home})
    assert out["comet"]["login"]["code"] == 3 and out["comet"]["login"]["logged_in"] is False


def test_crashplan_detection_in_the_same_call(tmp_path, capsys):
    path, home = tool(tmp_path)
    out = run(capsys, {"backup_tool": path, "home": home, "crashplan": True})
    assert out["crashplan"]["os"] == "linux" and isinstance(out["crashplan"]["present"], bool)
    assert "keep" in out["crashplan"] and "steps" in out["crashplan"]


@pytest.mark.parametrize("args, message", [
    ({"wait_login": 601}, "wait_login: 601 is not between 0 and 600 seconds"),
    ({"wait_login": -1}, "wait_login: -1 is not between 0 and 600 seconds"),
    ({"crashplan": True, "crashplan_archives": ["relative/dir"]}, "crashplan_archives: 'relative/dir' is not an absolute path"),
])
def test_bad_input_is_refused(tmp_path, capsys, args, message):
    path, home = tool(tmp_path)
    out = run(capsys, dict({"backup_tool": path, "home": home}, **args))
    assert out["failed"] and out["msg"] == message
    assert not os.path.exists(tmp_path / "calls.log"), "the client was run before the input was checked"


def test_gather_facts_returns_what_setup_min_returns(tmp_path, capsys):
    """One round trip for a play without facts: the min subset of ansible.builtin.setup, by the same collectors."""
    path, home = tool(tmp_path)
    out = run(capsys, {"backup_tool": path, "home": home, "gather_facts": True})
    facts = out["ansible_facts"]
    setup = importlib.import_module("ansible.modules.setup")
    with patch_module_args({"gather_subset": ["!all", "min"]}):
        with pytest.raises(SystemExit):
            setup.main()
    expected = json.loads(capsys.readouterr().out)["ansible_facts"]
    # the same keys, and the same values for what the roles decide on (the clock and the env differ by a moment)
    assert sorted(facts) == sorted(expected)
    for key in ("ansible_system", "ansible_os_family", "ansible_distribution", "ansible_distribution_version",
                "ansible_architecture", "ansible_service_mgr", "ansible_hostname", "ansible_pkg_mgr"):
        assert facts[key] == expected[key], key
    assert out["comet"]["installed"] is True
    # without it, no facts (the roles' usual path: the play gathered them)
    assert "ansible_facts" not in run(capsys, {"backup_tool": path, "home": home})


def test_the_macos_options_apply_only_on_a_mac():
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules.host_info")
    params = {"backup_tool": "/opt/Comet/backup-tool", "home": "/root", "unit_path": "/etc/systemd/system/c.service",
              "unit_name": "c.service", "launchd_labels": [], "profile_identifier": None, "os_version": False,
              "macos": {"backup_tool": "/Applications/Comet.app/Contents/MacOS/backup-tool", "home": "/var/root",
                        "unit_path": None, "launchd_labels": ["backup.delegate"], "profile_identifier": "ch.unil.pppc",
                        "os_version": True}}
    assert module.options_for(params, "Linux") == params
    mac = module.options_for(params, "Darwin")
    assert mac["backup_tool"] == "/Applications/Comet.app/Contents/MacOS/backup-tool" and mac["home"] == "/var/root"
    assert mac["unit_path"] is None and mac["unit_name"] is None
    assert mac["launchd_labels"] == ["backup.delegate"] and mac["profile_identifier"] == "ch.unil.pppc" and mac["os_version"]
    # without the macOS form, a Mac reads the top-level options (as before)
    assert module.options_for(dict(params, macos=None), "Darwin")["backup_tool"] == "/opt/Comet/backup-tool"
