# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role crashplan_removal's first decision per host (_crashplan_role_decide.decide): checks, then the probe reused."""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role_decide as decide_mod

FACTS = {"system": "Linux", "os_family": "Debian"}
VARIABLES = {"crashplan_removal_archives": [], "crashplan_removal_gate": True,
             "crashplan_removal_comet_linux_install_dir": "/opt/CometBackup",
             "crashplan_removal_windows_log_dir": "C:\\ProgramData\\unil-backup"}


def comet_probe(present=False, archives=None, tool="/opt/CometBackup/backup-tool"):
    return {"probed": {"crashplan": True, "crashplan_archives": archives or [], "backup_tool": tool},
            "comet": {"installed": True}, "crashplan": {"present": present}}


def test_a_probe_with_the_same_inputs_answers_and_an_absent_crashplan_is_decided():
    got = decide_mod.decide(VARIABLES, FACTS, comet_probe())
    assert not got["failed"]
    assert got["facts"]["_crashplan_removal_before"] == {"present": False}
    assert got["facts"]["_crashplan_removal_gate"]["code"] == "absent"


def test_no_probe_or_other_inputs_leave_the_detection_to_the_role():
    detect = {"_crashplan_removal_host": None, "_crashplan_removal_steps": ["detect.yml"]}
    assert decide_mod.decide(VARIABLES, FACTS, None)["facts"] == detect
    other = comet_probe(archives=["/srv/cp"])
    assert decide_mod.decide(VARIABLES, FACTS, other)["facts"] == detect


def test_bad_variables_fail_before_anything_is_read():
    got = decide_mod.decide(dict(VARIABLES, crashplan_removal_archives=["relative/path"]), FACTS, comet_probe())
    assert got["failed"] and "crashplan_removal_archives" in got["msg"] and got["facts"] == {}


def test_where_the_probe_answers_the_result_is_known_without_another_task():
    result = decide_mod.decide(VARIABLES, FACTS, comet_probe())["facts"]["crashplan_removal_result"]
    assert result["stage"] == "no_crashplan" and result["present_before"] is False and result["removed"] is False
    checked = decide_mod.decide(dict(VARIABLES), FACTS, comet_probe(present=True), check_mode=True)
    assert checked["facts"]["crashplan_removal_result"]["check_mode"] is True


def test_the_decision_lists_the_task_files_that_follow():
    assert decide_mod.decide(VARIABLES, FACTS, comet_probe())["facts"]["_crashplan_removal_steps"] == []
    assert decide_mod.decide(VARIABLES, FACTS, comet_probe(present=True))["facts"]["_crashplan_removal_steps"] == ["change.yml"]
    deactivate = dict(VARIABLES, crashplan_removal_deactivate_on_server=True)
    assert decide_mod.decide(deactivate, FACTS, comet_probe())["facts"]["_crashplan_removal_steps"] == ["change.yml"]
    assert decide_mod.decide(VARIABLES, FACTS, None)["facts"]["_crashplan_removal_steps"] == ["detect.yml"]
