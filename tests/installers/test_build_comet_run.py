# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stand-in .run builder: reproducible bytes, file name, payload contents, input validation, clean shell."""
from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

import build_comet_run

BUILDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build_comet_run.py")


def _payload(path):
    with open(path, "rb") as handle:
        data = handle.read()
    marker = b"\n__PAYLOAD_BELOW__\n"
    raw = lzma.decompress(data[data.index(marker) + len(marker):])
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return {m.name: (m.mode, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()}


def test_cli_is_deterministic_and_prints_path_and_sha256(tmp_path):
    lines = []
    for sub in ("a", "b"):
        res = subprocess.run([sys.executable, BUILDER, "--version", "24.6.0", "--output-dir", str(tmp_path / sub)],
                             check=True, capture_output=True, text=True)
        lines.append(res.stdout.split())
    (path_a, sha_a), (path_b, sha_b) = lines
    assert os.path.basename(path_a) == "Comet_Backup_UNIL-24.6.0.run"
    assert path_a == str(tmp_path / "a" / "Comet_Backup_UNIL-24.6.0.run")
    with open(path_a, "rb") as fa, open(path_b, "rb") as fb:
        data_a, data_b = fa.read(), fb.read()
    assert data_a == data_b
    assert sha_a == sha_b == hashlib.sha256(data_a).hexdigest()
    assert os.stat(path_a).st_mode & 0o777 == 0o755


def test_inputs_change_the_bytes(tmp_path):
    base = build_comet_run.build("24.6.0", str(tmp_path / "1"))[1]
    other_version = build_comet_run.build("24.9.1", str(tmp_path / "2"))[1]
    other_server = build_comet_run.build("24.6.0", str(tmp_path / "3"), default_server="https://backup.example.org/")[1]
    assert len({base, other_version, other_server}) == 3


def test_branding_names_the_file_and_the_install_dir(tmp_path):
    path = build_comet_run.build("25.3.0", str(tmp_path), brand="CometBackup", product="Comet Backup",
                                 default_server="https://backup.example.org")[0]
    assert os.path.basename(path) == "Comet_Backup-25.3.0.run"
    files = _payload(path)
    meta = json.loads(files["payload/standin.json"][1])
    assert meta == {"version": "25.3.0", "brand": "CometBackup", "product": "Comet Backup",
                    "default_server": "https://backup.example.org/"}


def test_payload_holds_the_program_files(tmp_path):
    path = build_comet_run.build("24.6.0", str(tmp_path))[0]
    files = _payload(path)
    assert set(files) == {"payload", "payload/backup-tool", "payload/backup-daemon-start.sh",
                          "payload/backup-daemon-start-background.sh", "payload/standin.json"}
    for name in ("backup-tool", "backup-daemon-start.sh", "backup-daemon-start-background.sh"):
        assert files["payload/" + name][0] == 0o755
    assert files["payload/backup-tool"][1].startswith(b"#!/usr/bin/env python3\n")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    assert head.startswith(b"#!/usr/bin/env bash\n")
    assert b"curl" not in head


@pytest.mark.parametrize("kwargs", [
    {"version": "latest"},
    {"version": "24.6.0", "brand": "../etc"},
    {"version": "24.6.0", "product": "Comet$(id)"},
    {"version": "24.6.0", "default_server": "ftp://x/"},
    {"version": "24.6.0", "default_server": "https://x/'; rm -rf /"},
])
def test_bad_input_is_refused(tmp_path, kwargs):
    with pytest.raises(ValueError):
        build_comet_run.build(output_dir=str(tmp_path), **kwargs)
    assert os.listdir(str(tmp_path)) == []


def test_cli_reports_bad_input(tmp_path):
    res = subprocess.run([sys.executable, BUILDER, "--version", "x", "--output-dir", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert "--version" in res.stderr


def test_shell_scripts_are_shellcheck_clean():
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        pytest.skip("shellcheck is not installed")
    src = os.path.join(os.path.dirname(BUILDER), "comet_run")
    scripts = [os.path.join(src, "header.sh")] + [os.path.join(src, "payload", n)
                                                  for n in ("backup-daemon-start.sh", "backup-daemon-start-background.sh")]
    res = subprocess.run([shellcheck] + scripts, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout


def test_backup_tool_compiles_for_old_pythons():
    """backup-tool runs on the hosts' python3 (3.6+): no syntax newer than that."""
    import ast

    path = os.path.join(os.path.dirname(BUILDER), "comet_run", "payload", "backup_tool.py")
    with open(path) as handle:
        source = handle.read()
    ast.parse(source, feature_version=(3, 6))
