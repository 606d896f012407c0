# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""unil.backup.comet_macos_pppc run in-process: writes the profile once, then reports it unchanged; check mode
writes nothing; diff mode shows the XML."""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import plistlib
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm

ORG = "Université de Lausanne"
IDENT = "ch.unil.backup.comet.pppc"
APPS = [
    {"identifier": "com.cometbackup.unil", "identifier_type": "bundleID",
     "code_requirement": 'identifier "com.cometbackup.unil" and anchor apple generic'},
    {"identifier": "/Applications/Comet Backup.app/Contents/MacOS/backup-tool", "identifier_type": "path",
     "code_requirement": 'identifier "backup-tool" and anchor apple generic'},
]


def run(capsys, args, check_mode=False, diff=False):
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules.comet_macos_pppc")
    full = dict({"apps": APPS, "organization": ORG, "identifier": IDENT}, _ansible_check_mode=check_mode, _ansible_diff=diff)
    full.update(args)
    capsys.readouterr()
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def test_writes_once_then_unchanged(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path)})
    path = tmp_path / (IDENT + ".mobileconfig")
    assert out["changed"] is True and out["path"] == str(path)
    data = path.read_bytes()
    assert data == cm.render_pppc(APPS, ORG, IDENT)
    assert out["content"] == data.decode("utf-8")
    assert out["sha256"] == hashlib.sha256(data).hexdigest()
    assert out["payload_uuid"] == plistlib.loads(data)["PayloadUUID"] == "FF6B42D1-1765-523C-9941-1268D58A0ED4"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert cm.validate_pppc(data) == []
    mtime = path.stat().st_mtime_ns
    again = run(capsys, {"dest": str(tmp_path)})
    assert again["changed"] is False and again["sha256"] == out["sha256"]
    assert path.stat().st_mtime_ns == mtime, "an unchanged profile was rewritten"
    assert sorted(os.listdir(tmp_path)) == [IDENT + ".mobileconfig"], "a temporary file was left behind"


def test_a_changed_app_list_rewrites_and_a_wrong_mode_is_fixed(tmp_path, capsys):
    run(capsys, {"dest": str(tmp_path)})
    path = tmp_path / (IDENT + ".mobileconfig")
    out = run(capsys, {"dest": str(tmp_path), "apps": APPS[:1]})
    assert out["changed"] is True
    assert len(plistlib.loads(path.read_bytes())["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"]) == 1
    path.chmod(0o600)
    out = run(capsys, {"dest": str(tmp_path), "apps": APPS[:1]})
    assert out["changed"] is True and stat.S_IMODE(path.stat().st_mode) == 0o644


def test_check_mode_writes_nothing_and_diff_shows_the_xml(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path)}, check_mode=True, diff=True)
    assert out["changed"] is True
    assert os.listdir(tmp_path) == []
    assert out["diff"]["before"] == "" and out["diff"]["before_header"] == "(absent)"
    assert out["diff"]["after"] == cm.render_pppc(APPS, ORG, IDENT).decode("utf-8")
    # with the file there, a change of organisation shows both versions
    run(capsys, {"dest": str(tmp_path)})
    before = (tmp_path / (IDENT + ".mobileconfig")).read_text(encoding="utf-8")
    out = run(capsys, {"dest": str(tmp_path), "organization": "EPFL"}, check_mode=True, diff=True)
    assert out["changed"] is True
    assert out["diff"]["before"] == before and "<string>EPFL</string>" in out["diff"]["after"]
    assert (tmp_path / (IDENT + ".mobileconfig")).read_text(encoding="utf-8") == before
    out = run(capsys, {"dest": str(tmp_path)}, check_mode=True, diff=True)
    assert out["changed"] is False and out["diff"]["before"] == out["diff"]["after"]


def test_legacy_allowed(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path), "legacy_allowed": True})
    entry = plistlib.loads(out["content"].encode("utf-8"))["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"][0]
    assert entry["Allowed"] is True and "Authorization" not in entry


@pytest.mark.parametrize("args, message", [
    ({"apps": []}, "apps: at least one app is required (identifier, identifier_type, code_requirement)"),
    ({"apps": [dict(APPS[1], code_requirement="")]},
     "apps[0] (/Applications/Comet Backup.app/Contents/MacOS/backup-tool): code_requirement must be a non-empty "
     "single-line code requirement (read it with: codesign -dr - <path>)"),
    ({"apps": [dict(APPS[0], identifier_type="bundle")]},
     "value of identifier_type must be one of: bundleID, path, got: bundle found in apps"),
    ({"identifier": "../etc/x"},
     "identifier: '../etc/x' must be a reverse-DNS profile identifier (letters, digits, . _ -), like ch.unil.backup.comet.pppc"),
])
def test_bad_input_is_refused(tmp_path, capsys, args, message):
    out = run(capsys, dict({"dest": str(tmp_path)}, **args))
    assert out["failed"] and out["msg"] == message
    assert os.listdir(tmp_path) == []


def test_dest_must_be_a_directory(tmp_path, capsys):
    out = run(capsys, {"dest": str(tmp_path / "missing")})
    assert out["failed"] and out["msg"] == "dest: %s is not a directory" % (tmp_path / "missing")
    (tmp_path / (IDENT + ".mobileconfig")).mkdir()
    out = run(capsys, {"dest": str(tmp_path)})
    assert out["failed"] and "is not a regular file: refusing to replace it" in out["msg"]
