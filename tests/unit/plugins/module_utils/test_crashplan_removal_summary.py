# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CrashPlan removal report and summary name the devices removed in this run and say that CrashPlan's history is
not transferred (seed 000, FAQ "Puis-je transférer automatiquement mon historique de sauvegarde de Code42 CrashPlan à
Comet Backup?": "Non. Le passage à Comet Backup implique que la sauvegarde recommence à zéro")."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter import crashplan_removal as filters
from ansible_collections.unil.backup.plugins.filter import crashplan_removal_summary as summary_filter
from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role as role

BEFORE = {"present": True, "version": "11.2.0", "era": "code42", "install_dir": "/usr/local/crashplan", "guid": "42",
          "remove": ["/usr/local/crashplan"], "keep": ["/srv/a"], "per_user_left": []}
HEALTHY = {"installed": True, "version": "24.6.0", "device_id": "dev-1", "login_code": 2, "login_text": "Logged in (2)"}
KNOWN = {"required": True, "known": True, "account": "pnom", "require_backup": True, "last_backup_ok": True}
OPEN = cp.decide_gate(True, True, HEALTHY, KNOWN)
CLOSED = cp.decide_gate(True, True, HEALTHY, dict(KNOWN, last_backup_ok=False))
DEACTIVATED = role.deactivation({"changed": True, "device": {"status": "Deactivated", "name": "LAB-PC-01"}}, "42")


def result(before=None, gate=None, check_mode=False, **kw):
    before = BEFORE if before is None else before
    gate = OPEN if gate is None else gate
    after = dict(before, present=False) if gate["open"] and not check_mode else before
    return filters.crashplan_removal_result(before, after=after, gate=gate, check_mode=check_mode,
                                            removed_paths=before.get("remove"), **kw)


def test_the_deactivation_keeps_the_device_name_the_server_gave():
    assert DEACTIVATED["name"] == "LAB-PC-01"
    assert "name" not in role.deactivation({"changed": True, "device": {"status": "Deactivated"}}, "42")
    assert "name" not in role.deactivation({"changed": False, "msg": "legal hold"}, "42")


REPORT_CASES = [
    ("removed, GUID only", {}, "CrashPlan removed in this run from pc1 (GUID 42)."),
    ("removed, server name", dict(server_deactivation=DEACTIVATED),
     "CrashPlan removed in this run from pc1 (CrashPlan device LAB-PC-01, GUID 42)."),
    ("check mode", dict(check_mode=True), "CrashPlan would be removed in this run from pc1 (GUID 42)."),
    ("no GUID", dict(before=dict(BEFORE, guid="")), "CrashPlan removed in this run from pc1."),
]


@pytest.mark.parametrize("name,given,sentence", REPORT_CASES, ids=[c[0] for c in REPORT_CASES])
def test_the_host_report_names_the_device_removed_in_this_run(name, given, sentence):
    msg = filters.crashplan_removal_report(result(**given), "pc1")["msg"]
    assert sentence in msg, (name, msg)
    # the seed's FAQ, after the device
    assert msg.index(sentence) < msg.index(role.HISTORY_NOT_TRANSFERRED)


def test_the_host_report_names_no_device_when_none_was_removed():
    kept = filters.crashplan_removal_report(result(gate=CLOSED), "pc1")["msg"]
    assert "in this run from" not in kept and role.HISTORY_NOT_TRANSFERRED in kept
    absent = result(before={"present": False, "remove": [], "keep": []}, gate=cp.decide_gate(False))
    assert "in this run" not in filters.crashplan_removal_report(absent, "pc1")["msg"]


def test_the_run_summary_names_the_devices_and_says_the_history_is_not_transferred():
    results = {
        "pc2": result(server_deactivation=DEACTIVATED),
        "pc1": result(before=dict(BEFORE, guid="7")),
        "pc3": result(gate=CLOSED),
        "pc4": result(before={"present": False, "remove": [], "keep": []}, gate=cp.decide_gate(False)),
        "pc5": {},  # the role did not run there
    }
    got = summary_filter.crashplan_removal_summary(results)
    assert [e["host"] for e in got["removed"]] == ["pc1", "pc2"]
    assert got["removed"][1] == {"host": "pc2", "name": "LAB-PC-01", "guid": "42",
                                 "label": "pc2 (CrashPlan device LAB-PC-01, GUID 42)"}
    assert got["would_remove"] == []
    assert got["kept"] == [{"host": "pc3", "name": "", "guid": "42", "label": "pc3 (GUID 42)", "code": "waiting_for_backup"}]
    assert got["msg"] == (
        "CrashPlan removed in this run from 2 devices: pc1 (GUID 7), pc2 (CrashPlan device LAB-PC-01, GUID 42). "
        "CrashPlan kept by the health gate on 1 device: pc3 (GUID 42) [waiting_for_backup]. "
        + role.HISTORY_NOT_TRANSFERRED)


def test_the_run_summary_in_check_mode_and_without_crashplan():
    got = summary_filter.crashplan_removal_summary({"pc1": result(check_mode=True)})
    assert got["msg"] == "CrashPlan would be removed in this run from 1 device: pc1 (GUID 42). " + role.HISTORY_NOT_TRANSFERRED
    none = summary_filter.crashplan_removal_summary({"pc1": result(before={"present": False, "remove": [], "keep": []},
                                                                   gate=cp.decide_gate(False))})
    assert none == {"removed": [], "would_remove": [], "kept": [], "msg": "CrashPlan removed from no device in this run."}
    with pytest.raises(AnsibleFilterError):
        summary_filter.crashplan_removal_summary([])
