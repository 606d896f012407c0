# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory check from the installed collection, as a department's pull request runs it (README "Checking
departments' pull requests"): the collection built and installed from its tarball outside this checkout, then
`ansible-playbook unil.backup.validate_inventory -i <inventory>` in a directory of its own, with only that collection
on the collections path: a copy of inventories/example passes, a broken copy fails naming the problem."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)

pytestmark = pytest.mark.slow


@pytest.fixture(name="installed", scope="module")
def installed_fixture(tmp_path_factory):
    """ANSIBLE_COLLECTIONS_PATH holding unil.backup installed from the tarball built from this checkout."""
    top = tmp_path_factory.mktemp("installed")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(top / "collections"), ANSIBLE_HOME=str(top / "ansible-home"))
    galaxy = os.path.join(BIN, "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(top / "dist"), ROOT], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    tarball = glob.glob(str(top / "dist" / "unil-backup-*.tar.gz"))[0]
    subprocess.run([galaxy, "collection", "install", "--offline", "--no-deps", "-p", str(top / "collections"), tarball],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    assert os.path.isfile(str(top / "collections" / "ansible_collections" / "unil" / "backup" / "MANIFEST.json"))
    return top


def validate(installed, workdir, inventory):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(installed / "collections"), ANSIBLE_HOME=str(workdir / "ansible-home"),
               ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "unil.backup.validate_inventory", "-i", inventory],
                          cwd=str(workdir), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, check=False)
    print(proc.stdout)
    return proc.returncode, proc.stdout


def test_example_inventory_passes(installed, tmp_path):
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), str(tmp_path / "example"))
    rc, out = validate(installed, tmp_path, "example")
    assert rc == 0, out
    assert "OK example: 8 hosts" in out, out


def test_broken_inventory_fails_naming_the_problem(installed, tmp_path):
    inventory = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), str(inventory))
    main = inventory / "group_vars" / "dept_chimie" / "main.yml"
    main.write_text(main.read_text() + "comet_config_acount: chimie\n")
    rc, out = validate(installed, tmp_path, "site")
    assert rc != 0, out
    assert "site/group_vars/dept_chimie/main.yml: group dept_chimie: comet_config_acount: unknown variable" in out, out
    assert "did you mean comet_config_account?" in out, out
    assert "FAILED site: 1 error" in out, out
