# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make ee-check (scripts/ee_check.py): the collection installed from its tarball with its declared dependencies only
and run through ansible-runner passes; a copy of the tree missing one declaration fails, naming it; and
`ansible-builder create` renders a build context that names every dependency the clean virtualenv needed.

Each run works in a copy of the tree (git ls-files, as make sanity copies it) under the test's tmp_path; the clean
virtualenvs are shared under build/ee-check/venvs (one per requirement set: created once, ~20 s each).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV_ROOT = os.path.join(ROOT, "build", "ee-check", "venvs")
BIN = os.path.dirname(sys.executable)

# the shared virtualenvs under build/ee-check/venvs: one test at a time creates them
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ee_check")]


def tree_copy(tmp_path):
    dest = tmp_path / "tree"
    dest.mkdir()
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           stdout=subprocess.PIPE, check=True).stdout
    existing = b"\0".join(f for f in files.split(b"\0") if f and os.path.lexists(os.path.join(ROOT.encode(), f)))
    subprocess.run(["bash", "-c", 'set -o pipefail; tar --null -T - -cf - | tar -xf - -C "$1"', "copy", str(dest)], cwd=ROOT,
                   input=existing, check=True)
    return dest


def ee_check(tree, tmp_path):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(str(tree), "scripts", "ee_check.py"), "--work", str(tmp_path / "work"),
                           "--venv-root", VENV_ROOT], cwd=str(tree), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
    print(proc.stdout)
    return proc.returncode, proc.stdout


def test_ee_check_passes(tmp_path):
    rc, out = ee_check(tree_copy(tmp_path), tmp_path)
    assert rc == 0, out
    assert "declared collections copied from" in out and ": ansible.windows" in out, out
    assert "ansible-runner run --syntax-check" in out and "unil.backup.site" in out, out
    assert re.search(r"ansible-runner run -p unil.backup.report against the Comet Server stand-in: ok, [1-9]", out), out
    artifacts = tmp_path / "work" / "runner" / "artifacts"
    assert sorted(os.listdir(str(artifacts))) == ["report", "syntax"]
    assert (artifacts / "report" / "rc").read_text().strip() == "0"


def test_galaxy_yml_without_ansible_windows_fails_the_syntax_check(tmp_path):
    tree = tree_copy(tmp_path)
    galaxy = yaml.safe_load((tree / "galaxy.yml").read_text())
    del galaxy["dependencies"]["ansible.windows"]
    (tree / "galaxy.yml").write_text(yaml.safe_dump(galaxy))
    rc, out = ee_check(tree, tmp_path)
    assert rc == 1, out
    assert "FAILED: ansible-runner run -p syntax.yml --syntax-check failed" in out, out
    assert "ansible.windows." in out, out  # the module that does not resolve


def test_requirements_without_pywinrm_fail_the_windows_connection(tmp_path):
    tree = tree_copy(tmp_path)
    lines = (tree / "requirements-ee.txt").read_text().splitlines()
    (tree / "requirements-ee.txt").write_text("\n".join(line for line in lines if not line.startswith("pywinrm")) + "\n")
    rc, out = ee_check(tree, tmp_path)
    assert rc == 1, out
    assert "FAILED: the Windows connection plugin (ansible.builtin.winrm) cannot load in the clean virtualenv" in out, out
    assert "pywinrm does not import" in out, out


def requirement_name(line):
    return re.split(r"[\[<>=!~; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_ansible_builder_context_names_every_dependency(tmp_path):
    """ansible-builder create renders the build context of execution-environment.yml: its Containerfile and the
    files it copies name everything ee-check installs (requirements-ee.txt, ansible-core, ansible-runner, the
    system packages of bindep.txt, the collection tarball)."""
    tree = tree_copy(tmp_path)
    (tree / "build" / "dist").mkdir(parents=True)
    (tree / "build" / "dist" / "unil-backup-0.1.0.tar.gz").write_bytes(b"")  # what make docs builds
    context = tmp_path / "context"
    proc = subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(context)],
                          cwd=str(tree), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    containerfile = (context / "Containerfile").read_text()
    build = context / "_build"
    python_reqs = [requirement_name(line) for line in (build / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    ee = yaml.safe_load((tree / "execution-environment.yml").read_text())["dependencies"]
    needed = [requirement_name(line) for line in (tree / "requirements-ee.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert needed and set(needed) <= set(python_reqs), (needed, python_reqs)
    for pin in (ee["ansible_core"]["package_pip"], ee["ansible_runner"]["package_pip"]):
        assert pin in containerfile, (pin, containerfile)
    system = (build / "bindep.txt").read_text()
    for package in ("libkrb5-dev", "krb5-devel", "gcc", "openssh-clients"):
        assert re.search(r"^%s\b" % re.escape(package), system, re.M), system
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["/build/unil-backup.tar.gz"], galaxy
    assert (build / "unil-backup-0.1.0.tar.gz").exists() and "COPY _build/unil-backup-*.tar.gz" in containerfile
