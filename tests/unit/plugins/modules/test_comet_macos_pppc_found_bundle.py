# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""unil.backup.comet_macos_pppc with the app bundle found on the Macs (issue 23): the module places the paths in
app_paths (default_app_path only when none was found), and its action plugin collects macos.app_path of each host's
registered host_info result."""
from __future__ import annotations

import importlib
import json
import plistlib

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.unil.backup.plugins.action.comet_macos_pppc import found_app_paths

FOUND = "/Applications/Comet Backup UNIL.app"
CONFIGURED = "/Applications/Comet Backup.app"
APPS = [{"identifier": "Contents/MacOS/backup-tool", "identifier_type": "path",
         "code_requirement": 'identifier "backup-tool" and anchor apple generic'}]


def run(capsys, args):
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules.comet_macos_pppc")
    full = dict({"apps": APPS, "organization": "UNIL", "identifier": "ch.unil.backup.comet.pppc"}, **args)
    capsys.readouterr()
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def written(out):
    profile = plistlib.loads(out["content"].encode("utf-8"))
    return [e["Identifier"] for e in profile["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"]]


def test_the_bundle_found(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path), "app_paths": [FOUND], "default_app_path": CONFIGURED})
    assert written(out) == [FOUND + "/Contents/MacOS/backup-tool"]
    assert out["app_paths"] == [FOUND] and out["app_paths_source"] == "found"
    assert out["apps"][0]["identifier"] == FOUND + "/Contents/MacOS/backup-tool"


def test_the_configured_bundle_while_no_mac_has_the_client(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path), "app_paths": [], "default_app_path": CONFIGURED})
    assert written(out) == [CONFIGURED + "/Contents/MacOS/backup-tool"] and out["app_paths_source"] == "default"


def test_no_bundle_at_all(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path)})
    assert out["failed"] and "none was found" in out["msg"]
    assert list(tmp_path.iterdir()) == []


def test_found_app_paths_of_the_probes():
    probes = [{"macos": {"app_path": FOUND, "app_source": "receipt"}}, None, {"macos": {"app_path": ""}},
              {"comet": {}}, {"macos": {"app_path": FOUND}}, {"macos": {"app_path": CONFIGURED}}, "skipped"]
    assert found_app_paths(probes) == [FOUND, CONFIGURED]
