"""crashplan_removal_gate_closed: no Comet Backup, so nothing is removed and the reason is reported."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "crashplan_removal"))

import cpr_testlib as lib  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = ["all"]


def test_nothing_removed(host):
    for path in lib.APP_FILES:
        assert host.file(path).exists, path
    assert host.file("/home/alice/.config/CrashPlan/log/app.log").exists
    before, after = lib.survivors(host)
    print("files that must survive: %d before, %d after" % (len(before), len(after)))
    assert after == before


def test_service_still_running(host):
    assert host.run("systemctl is-active %s" % lib.UNIT).stdout.strip() == "active"
    assert host.run("systemctl is-enabled %s" % lib.UNIT).stdout.strip() == "enabled"
    assert lib.crashplan_processes(host)


def test_reason_reported_on_every_run(host):
    runs = lib.results(host)
    assert [r["check_mode"] for r in runs] == [True, False, False]
    for run in runs:
        result = run["result"]
        assert result["present_before"] and result["present"] and not result["removed"]
        assert not result["gate"]["open"]
        assert result["gate"]["reason"] == "Comet Backup is not installed"
        assert "/usr/local/crashplan" in result["would_remove"]
        assert result["removed_paths"] == []
