# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters the roles decide with, on the controller (the rules themselves are tested in module_utils)."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.backup_decisions import FilterModule

F = FilterModule().filters()
PROBE = {"comet": {"installed": True, "version": "24.6.0", "device_id": "d1",
                   "login": {"code": 2, "text": "Logged in, unlocked (2)", "logged_in": True}},
         "unit": {"exists": True, "sha256": "aaa", "enabled": True, "active": True},
         "crashplan": {"present": True}}


def test_plan_of_a_converged_host_is_empty():
    plan = F["comet_client_plan"](PROBE, "24.6.0", unit_sha256="aaa", can_login=True)
    assert plan["changes"] == [] and plan["action"] == "none"


def test_plan_refuses_anything_but_a_probe():
    with pytest.raises(AnsibleFilterError, match="the result of unil.backup.host_info"):
        F["comet_client_plan"]({"stdout": "24.6.0"}, "24.6.0")


def test_gate_from_the_probe():
    comet = F["comet_gate_input"](PROBE)
    assert comet == {"installed": True, "version": "24.6.0", "device_id": "d1", "login_code": 2, "login_text": "Logged in, unlocked (2)"}
    gate = F["crashplan_gate"](PROBE["crashplan"], comet=comet, server={"required": True, "known": True, "account": "a"})
    assert gate["open"] is True
    gate = F["crashplan_gate"](PROBE["crashplan"], comet=dict(comet, login_code=0), server={"required": False})
    assert gate["open"] is False and "not logged in" in gate["reason"]
    assert F["crashplan_gate"]({"present": False})["open"] is False


def test_gate_input_of_a_host_without_client():
    assert F["comet_gate_input"]({"comet": {"installed": False, "login": {"code": -1}}})["installed"] is False
    with pytest.raises(AnsibleFilterError):
        F["crashplan_gate"]({}, comet={})
