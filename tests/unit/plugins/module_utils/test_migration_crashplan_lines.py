# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run's summary names the CrashPlan devices removed in this run and says that CrashPlan's history is not
transferred (seed 000, FAQ "Puis-je transférer automatiquement mon historique ... ?": "Non")."""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role
from ansible_collections.unil.backup.plugins.module_utils import _migration_history as hist


def host(name, stage, **extra):
    facts = {"host": name, "in_play": True, "unreachable": False, "department": "dept_x", "account": "alice",
             "comet_client_installed": True, "comet_config_result": {"device_id": "d", "changed": False}}
    if stage:
        facts["crashplan_removal_result"] = dict({"stage": stage, "present_before": stage != "no_crashplan"}, **extra)
    return facts


def test_the_devices_removed_are_named_with_the_history_sentence():
    outcome = hist.run_outcome([host("pc1", "removed", guid="42"), host("pc2", "no_crashplan"), host("pc3", "")],
                               "run-1", "site")
    lines = outcome["summary"]["lines"]
    assert "CrashPlan removed in this run from 1 device: pc1 (GUID 42)." in lines[-1]
    assert _crashplan_role.HISTORY_NOT_TRANSFERRED in lines[-1]
    assert [e["host"] for e in outcome["summary"]["crashplan"]["removed"]] == ["pc1"]


def test_a_run_without_crashplan_adds_no_line():
    outcome = hist.run_outcome([host("pc2", "no_crashplan")], "run-1", "site")
    assert not any("CrashPlan removed" in line for line in outcome["summary"]["lines"])
