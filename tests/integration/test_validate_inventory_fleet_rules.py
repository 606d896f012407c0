# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/validate_inventory.py (make validate-inventory) checks role fleet_report's account rules (issue 24: licence
limit of seed 000's FAQ, stale devices and closing announcements of seed 001, the site's policy and the mails of seed
000) with the role's one validator (_role_checks.fleet_report), each mistake named with its file and variable."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "validate_inventory.py")
BASE = os.path.join(os.path.dirname(__file__), "fixtures", "bad_inventories", "wrong-type-bool")
ALL = "group_vars/all/main.yml"


def _errors(tmp_path, extra):
    inventory = str(tmp_path / "inv")
    shutil.copytree(BASE, inventory)
    # the mistake of the base case removed: only the fleet report's variables are left to judge
    chimie = os.path.join(inventory, "group_vars/dept_chimie/main.yml")
    with open(chimie, encoding="utf-8") as handle:
        text = handle.read().replace("comet_config_run_on_boot: sometimes\n", "")
    with open(chimie, "w", encoding="utf-8") as handle:
        handle.write(text)
    with open(os.path.join(inventory, ALL), "a", encoding="utf-8") as handle:
        handle.write(extra)
    proc = subprocess.run([sys.executable, SCRIPT, "--json", inventory], capture_output=True, text=True, check=False,
                          timeout=300)
    return proc.returncode, json.loads(proc.stdout)[inventory]


def test_fleet_report_account_rules_are_named_with_their_file(tmp_path):
    rc, errors = _errors(tmp_path, "fleet_report_max_devices_per_account: -1\n"
                                   "fleet_report_policy_id: pol-unil\n"
                                   "fleet_report_policy_name: UNIL\n"
                                   "fleet_report_closing_source: mail\n"
                                   "fleet_report_closing_announcements:\n"
                                   "  jdoe: 20.11.2026\n")
    assert rc == 1
    got = sorted(set((e["file"], e["var"]) for e in errors))
    assert got == [(ALL, "fleet_report_closing_announcements"), (ALL, "fleet_report_closing_source"),
                   (ALL, "fleet_report_max_devices_per_account"), (ALL, "fleet_report_policy_id")], errors
    messages = dict((e["var"], e["message"]) for e in errors)
    assert "0 (no check) to 1200 (got -1)" in messages["fleet_report_max_devices_per_account"]
    assert "are both set: set one of them" in messages["fleet_report_policy_id"]
    assert "announcement, suspension, both" in messages["fleet_report_closing_source"]
    assert "'jdoe'" in messages["fleet_report_closing_announcements"]


def test_valid_fleet_report_account_rules_pass(tmp_path):
    rc, errors = _errors(tmp_path, "fleet_report_max_devices_per_account: 3\n"
                                   "fleet_report_stale_after_months: 6\n"
                                   "fleet_report_policy_name: UNIL\n"
                                   "fleet_report_check_mail_recipients: true\n"
                                   "fleet_report_closing_source: announcement\n"
                                   "fleet_report_closing_announcements:\n"
                                   "  jdoe: 2026-11-20\n")
    assert (rc, errors) == (0, [])
