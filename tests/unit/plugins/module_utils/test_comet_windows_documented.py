# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Windows commands of role comet_client as Comet documents them (installation page: ``install.exe /S
/TOKEN=...``, ``"<InstallDir>\\Uninstall.exe" /S /ISDELETECREDENTIAL=yes``; appendix: ``backup-tool.exe version``,
``login status``, ``login prompt``), shown by the delegated scenario molecule/comet_client_windows."""
from __future__ import annotations

import os

import yaml

from ansible_collections.unil.backup.plugins.filter.comet_windows import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw

F = FilterModule().filters()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PROBE = {"windows": {"install_dir": "C:\\Program Files\\Comet Backup UNIL",
                     "uninstaller": "C:\\Program Files\\Comet Backup UNIL\\Uninstall.exe"}}
TOOL = "C:\\Program Files\\Comet Backup UNIL\\backup-tool.exe"


def _by_step(commands):
    return dict((c["step"], c) for c in commands)


def test_the_documented_commands():
    found = _by_step(cw.documented_commands(PROBE))
    assert found["install"]["command"] == ["install.exe", "/S", "/TOKEN=<token>"]
    assert found["upgrade"]["command"] == ["install.exe", "/S"]
    assert found["version"] == {"step": "version", "command": [TOOL, "version"],
                                "chdir": "C:\\Program Files\\Comet Backup UNIL",
                                "source": "docs.cometbackup.com, Appendix (command-line control)", "read_only": True}
    assert found["login_status"]["command"] == [TOOL, "login", "status"] and found["login_status"]["read_only"]
    assert found["login"]["command"] == [TOOL, "login", "prompt"] and not found["login"]["read_only"]
    assert found["uninstall"]["command"] == ["C:\\Program Files\\Comet Backup UNIL\\Uninstall.exe", "/S",
                                             "/ISDELETECREDENTIAL=yes"]
    assert [c["step"] for c in cw.documented_commands(PROBE) if c["read_only"]] == ["version", "login_status"]


def test_the_options_the_role_passes_show_in_the_commands():
    found = _by_step(F["comet_client_windows_documented_commands"](PROBE, shortcuts=False, tray_icon=False,
                                                                   local_system=True, remove_credentials=False))
    assert found["install"]["command"] == ["install.exe", "/S", "/SHORTCUT=disable", "/TRAYICON=disable",
                                           "/ISLOCALSYSTEM=yes", "/TOKEN=<token>"]
    assert found["uninstall"]["command"][1:] == ["/S"]
    # the installer's arguments are the role's own (install_arguments), not a second copy
    assert " ".join(found["upgrade"]["command"][1:]) == cw.install_arguments(False, False, True)


def test_no_probe_still_names_the_programs():
    found = _by_step(F["comet_client_windows_documented_commands"](None))
    assert found["version"]["command"] == ["backup-tool.exe", "version"] and found["version"]["chdir"] == ""
    assert found["uninstall"]["command"][0] == "Uninstall.exe"


def test_the_windows_scenario_runs_the_read_only_ones():
    with open(os.path.join(ROOT, "molecule", "comet_client_windows", "verify.yml"), encoding="utf-8") as handle:
        text = handle.read()
    plays = yaml.safe_load(text)
    names = [task["name"] for task in plays[0]["tasks"]]
    assert "Show the commands the role ran, as Comet documents them" in names
    assert "unil.backup.comet_client_windows_documented_commands" in text
    assert "selectattr('read_only')" in text
