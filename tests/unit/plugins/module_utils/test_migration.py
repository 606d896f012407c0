# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stage each host reached in playbooks/site.yml, and the run's summary (module_utils/_migration.py and the
filters of plugins/filter/migration.py)."""
from __future__ import annotations

import time

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.migration import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _migration as mig

F = FilterModule().filters()
CONFIG = {"device_id": "d1", "backup_started": False}
STARTED = {"device_id": "d1", "backup_started": True}


def removal(stage, code=""):
    """A crashplan_removal_result with the codes of role crashplan_removal."""
    return {"stage": stage, "gate": {"code": code, "open": code in ("open", "disabled"), "reason": "free text, never read"}}


def legacy(present_before, removed, gate_open, failed_check=None):
    """A crashplan_removal_result without codes (before role crashplan_removal set them)."""
    checks = [{"check": "comet installed", "ok": True, "detail": "x"}]
    if failed_check:
        checks.append({"check": failed_check, "ok": False, "detail": "waiting for the first Comet backup"})
    return {"present_before": present_before, "removed": removed,
            "gate": {"open": gate_open, "reason": "waiting for the first Comet backup", "checks": checks}}


# (id, facts, expected stage, expected reason)
STAGE_CASES = [
    ("failed host, whatever its facts", {"in_play": False, "crashplan_removal_result": removal("removed", "open")}, "failed", ""),
    ("removed", {"crashplan_removal_result": removal("removed", "open"), "comet_config_result": CONFIG}, "crashplan_removed", ""),
    ("removed with the gate disabled", {"crashplan_removal_result": removal("removed", "disabled")}, "crashplan_removed", ""),
    ("waiting for a backup", {"crashplan_removal_result": removal("kept_gate_closed", "waiting_for_backup"),
                              "comet_config_result": STARTED}, "waiting_for_backup", ""),
    ("kept: not logged in", {"crashplan_removal_result": removal("kept_gate_closed", "comet_not_logged_in")},
     "crashplan_kept", "comet_not_logged_in"),
    ("kept: client missing", {"crashplan_removal_result": removal("kept_gate_closed", "comet_not_installed")},
     "crashplan_kept", "comet_not_installed"),
    ("kept: device id unknown", {"crashplan_removal_result": removal("kept_gate_closed", "device_id_unknown")},
     "crashplan_kept", "device_id_unknown"),
    ("kept: server error", {"crashplan_removal_result": removal("kept_gate_closed", "server_error")},
     "crashplan_kept", "server_error"),
    ("kept: not on the server", {"crashplan_removal_result": removal("kept_gate_closed", "device_not_on_server")},
     "crashplan_kept", "device_not_on_server"),
    ("first backup started", {"crashplan_removal_result": removal("no_crashplan", "absent"), "comet_config_result": STARTED},
     "first_backup_started", ""),
    # seed 000 "Machine ventile lors du premier backup": a first backup outside the window is deferred and said so
    ("first backup deferred, gate waiting", {"crashplan_removal_result": removal("kept_gate_closed", "waiting_for_backup"),
                                             "comet_config_result": dict(CONFIG, backup_reason="deferred:outside_window")},
     "first_backup_deferred", "deferred:outside_window"),
    ("first backup deferred, no CrashPlan", {"crashplan_removal_result": removal("no_crashplan", "absent"),
                                             "comet_config_result": dict(CONFIG, backup_reason="deferred:never")},
     "first_backup_deferred", "deferred:never"),
    ("first backup not started, profile not applied",
     {"comet_config_result": dict(CONFIG, backup_reason="not_started:profile_not_applied")},
     "first_backup_not_started", "not_started:profile_not_applied"),
    ("first backup not asked: the settings' stage", {"comet_config_result": dict(CONFIG, backup_reason="not_started:not_asked")},
     "settings_applied_no_crashplan", ""),
    ("settings applied, CrashPlan would go (check mode)",
     {"crashplan_removal_result": removal("would_remove", "open"), "comet_config_result": CONFIG}, "settings_applied", ""),
    ("settings applied, no CrashPlan", {"crashplan_removal_result": removal("no_crashplan", "absent"),
                                        "comet_config_result": CONFIG}, "settings_applied_no_crashplan", ""),
    ("settings applied, removal not run", {"comet_config_result": CONFIG}, "settings_applied_no_crashplan", ""),
    ("client installed", {"comet_client_installed": True}, "client_installed", ""),
    ("client installed, as text", {"comet_client_installed": "True"}, "client_installed", ""),
    ("not started", {}, "not_started", ""),
    ("not started, client missing as text", {"comet_client_installed": "false"}, "not_started", ""),
    # older results: the keys removed / present_before / gate.open and the names of the gate's checks
    ("legacy removed", {"crashplan_removal_result": legacy(True, True, True)}, "crashplan_removed", ""),
    ("legacy removed, flags as text", {"crashplan_removal_result": legacy("True", "True", "True")}, "crashplan_removed", ""),
    ("legacy waiting", {"crashplan_removal_result": legacy(True, False, False, "working backup")}, "waiting_for_backup", ""),
    ("legacy kept, not logged in", {"crashplan_removal_result": legacy(True, False, False, "comet logged in")},
     "crashplan_kept", "comet_not_logged_in"),
    ("legacy kept, not known", {"crashplan_removal_result": legacy(True, False, "False", "known to the server")},
     "crashplan_kept", "device_not_on_server"),
    ("legacy check mode, gate open", {"crashplan_removal_result": legacy(True, False, True), "comet_config_result": CONFIG},
     "settings_applied", ""),
    ("legacy no CrashPlan", {"crashplan_removal_result": legacy(False, False, False), "comet_config_result": CONFIG},
     "settings_applied_no_crashplan", ""),
]


@pytest.mark.parametrize("facts, stage, reason", [c[1:] for c in STAGE_CASES], ids=[c[0] for c in STAGE_CASES])
def test_host_stage(facts, stage, reason):
    assert mig.host_stage(facts) == (stage, reason)


def test_every_stage_is_covered_and_labelled():
    assert set(c[2] for c in STAGE_CASES) - {mig.UNREACHABLE} == set(mig.STAGES) == set(mig.STAGE_TEXT) - {mig.UNREACHABLE}


def test_an_unreachable_host_is_unreachable_whatever_its_facts():
    facts = {"unreachable": True, "in_play": False, "crashplan_removal_result": removal("removed", "open")}
    assert mig.host_stage(facts) == ("unreachable", "")
    assert mig.host_stage(dict(facts, unreachable=False)) == ("failed", "")


def test_the_summary_names_the_stage_an_unreachable_host_last_reached():
    hosts = [{"host": "lab-off", "unreachable": True, "in_play": False, "last_stage": "crashplan_kept",
              "last_reason": "comet_not_logged_in"},
             {"host": "lab-gone", "unreachable": True, "in_play": False},
             {"host": "lab-broken", "in_play": False}]
    summary = mig.migration_summary(hosts)
    assert [(r["host"], r["stage"], r["text"]) for r in summary["hosts"]] == [
        ("lab-broken", "failed", "failed (see above)"),
        ("lab-gone", "unreachable", "unreachable"),
        ("lab-off", "unreachable", "unreachable, last reached: CrashPlan kept: Comet Backup is not logged in")]
    assert summary["counts"] == {"failed": 1, "unreachable": 2}
    assert "   2  unreachable" in summary["lines"]


def test_the_reason_text_is_never_read():
    facts = {"crashplan_removal_result": removal("kept_gate_closed", "comet_not_logged_in")}
    facts["crashplan_removal_result"]["gate"]["reason"] = "waiting for the first Comet backup"
    assert mig.host_stage(facts) == ("crashplan_kept", "comet_not_logged_in")


@pytest.mark.parametrize("code, reason, text", [
    ("crashplan_removed", "", "CrashPlan removed"),
    ("waiting_for_backup", "", "waiting for a working backup"),
    ("crashplan_kept", "comet_not_logged_in", "CrashPlan kept: Comet Backup is not logged in"),
    ("crashplan_kept", "server_error", "CrashPlan kept: the Comet Server could not be asked"),
    ("crashplan_kept", "some_new_code", "CrashPlan kept: some_new_code"),
    ("settings_applied_no_crashplan", "", "settings applied, no CrashPlan"),
    ("failed", "", "failed (see above)"),
])
def test_stage_text(code, reason, text):
    assert mig.stage_text(code, reason) == text
    assert F["migration_stage_text"](code, reason) == text


def test_every_gate_code_has_words():
    codes = ("absent", "disabled", "open", "comet_not_installed", "comet_not_logged_in", "device_id_unknown",
             "server_error", "device_not_on_server", "waiting_for_backup")
    assert set(codes) <= set(mig.REASON_TEXT)


HOSTS = [
    {"host": "lab-02", "in_play": True, "crashplan_removal_result": removal("kept_gate_closed", "comet_not_logged_in"),
     "comet_client_installed": True, "comet_client_installed_version": "24.6.0", "comet_client_device_id": "",
     "comet_client_login_status": {"text": "Not logged in (0)"}},
    {"host": "lab-01", "in_play": True, "crashplan_removal_result": removal("removed", "open"), "comet_config_result": CONFIG,
     "comet_client_installed": True, "comet_client_installed_version": "24.6.0", "comet_client_device_id": "d1",
     "comet_client_login_status": {"text": "Logged in, unlocked (2)"}},
    {"host": "lab-03", "in_play": False},
    {"host": "lab-04", "in_play": True, "crashplan_removal_result": removal("kept_gate_closed", "server_error")},
]


def test_summary_lines_and_counts():
    summary = mig.migration_summary(HOSTS)
    assert summary["lines"] == [
        "lab-01               CrashPlan removed                Comet Backup 24.6.0, device d1, Logged in, unlocked (2)",
        "lab-02               CrashPlan kept: Comet Backup is not logged in Comet Backup 24.6.0, device -, Not logged in (0)",
        "lab-03               failed (see above)               Comet Backup -, device -, -",
        "lab-04               CrashPlan kept: the Comet Server could not be asked Comet Backup -, device -, -",
        "",
        "   2  CrashPlan kept",
        "   1  CrashPlan removed",
        "   1  failed (see above)",
    ]
    assert summary["counts"] == {"crashplan_removed": 1, "crashplan_kept": 2, "failed": 1}
    assert [h["stage"] for h in summary["hosts"]] == ["crashplan_removed", "crashplan_kept", "failed", "crashplan_kept"]
    assert summary["hosts"][1]["reason"] == "comet_not_logged_in"


def test_summary_of_no_host():
    assert mig.migration_summary([]) == {"hosts": [], "counts": {}, "lines": [""]}


def test_filter_reads_each_host_from_hostvars_once():
    reads = []

    class Vars(dict):
        def __getitem__(self, key):
            reads.append(key)
            return dict.__getitem__(self, key)

    hostvars = {h["host"]: Vars((k, v) for k, v in h.items() if k not in ("host", "in_play")) for h in HOSTS}
    hostvars["other"] = Vars(comet_client_installed=True)  # not in the play: never read
    summary = F["migration_summary"](["lab-01", "lab-02", "lab-03", "lab-04"], hostvars, ["lab-01", "lab-02", "lab-04"])
    assert summary == mig.migration_summary(HOSTS)
    assert sorted(reads) == sorted(k for h in HOSTS for k in h if k in mig.FACT_KEYS)


def test_filter_without_hostvars_takes_dicts():
    assert F["migration_summary"](HOSTS) == mig.migration_summary(HOSTS)


@pytest.mark.parametrize("args, match", [
    (("lab-01",), "list of host names"),
    ((["lab-01"],), "list of dicts"),
    ((["lab-01"], ["not", "a", "mapping"]), "hostvars mapping"),
])
def test_filter_refuses_bad_input(args, match):
    with pytest.raises(AnsibleFilterError, match=match):
        F["migration_summary"](*args)


def _fleet(count):
    kinds = list(HOSTS)
    return [dict(kinds[i % len(kinds)], host="host-%05d" % i) for i in range(count)]


def test_summary_is_linear_in_hosts():
    """10,000 synthetic hosts: the figures are printed (never asserted against a clock); the result is checked."""
    timings = {}
    for count in (1000, 10000):
        fleet = _fleet(count)
        start = time.perf_counter()
        summary = mig.migration_summary(fleet)
        timings[count] = time.perf_counter() - start
        assert len(summary["hosts"]) == count and len(summary["lines"]) == count + 1 + len(summary["counts"])
        assert sum(summary["counts"].values()) == count
    print("migration_summary: 1,000 hosts %.4f s, 10,000 hosts %.4f s (ratio %.1f, linear is about 10)"
          % (timings[1000], timings[10000], timings[10000] / max(timings[1000], 1e-9)))
