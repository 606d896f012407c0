# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/validate_inventory.py checks the crashplan_removal_* variables with the role's own rule
(_crashplan_role.role_problems, the role's first task), over the role's literal defaults."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "validate_inventory.py")
BASE = os.path.join(os.path.dirname(__file__), "fixtures", "bad_inventories", "wrong-type-bool")
CHIMIE = "group_vars/dept_chimie/main.yml"


def _errors(tmp_path, extra):
    inventory = str(tmp_path / "inv")
    shutil.copytree(BASE, inventory)
    path = os.path.join(inventory, CHIMIE)
    with open(path, encoding="utf-8") as handle:
        text = handle.read().replace("comet_config_run_on_boot: sometimes\n", extra)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    proc = subprocess.run([sys.executable, SCRIPT, "--json", inventory], capture_output=True, text=True, check=False)
    return proc.returncode, json.loads(proc.stdout)[inventory]


def test_crashplan_removal_variables_go_through_the_roles_check(tmp_path):
    rc, errors = _errors(tmp_path, "crashplan_removal_require_server_check: false\n"
                                   "crashplan_removal_archives: [relative/dir]\n"
                                   'crashplan_removal_comet_brand: "Comet Backup"\n')
    assert rc == 1
    got = sorted(set((e["var"], e["message"]) for e in errors))
    assert got == [
        ("crashplan_removal_archives", "every entry must be an absolute path (relative/dir)."),
        ("crashplan_removal_comet_brand", "must be letters, digits, '.', '_' or '-'."),
        # the role's default (require_backup: true) with the inventory's value
        ("crashplan_removal_require_backup", "needs crashplan_removal_require_server_check (the backup is read on the "
                                             "server)."),
    ]
    assert all(e["hosts"] and all(h.startswith("chim-lin-") for h in e["hosts"]) for e in errors)


def test_valid_crashplan_removal_variables_pass(tmp_path):
    rc, errors = _errors(tmp_path, "crashplan_removal_require_server_check: false\n"
                                   "crashplan_removal_require_backup: false\n"
                                   "crashplan_removal_archives: [/srv/crashplan]\n"
                                   "crashplan_removal_deactivate_on_server: true\n")
    assert (rc, errors) == (0, [])
