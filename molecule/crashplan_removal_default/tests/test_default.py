"""crashplan_removal_default: CrashPlan removed behind an open gate; every user file and archive intact (on deb13
the archive lies inside CrashPlan's own install folder, /opt/crashplan, which stays with it)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "crashplan_removal"))

import cpr_testlib as lib  # noqa: E402  pylint: disable=wrong-import-position

testinfra_hosts = ["all"]


def test_user_files_and_archives_intact(host):
    before, after = lib.survivors(host)
    print("files that must survive: %d before, %d after" % (len(before), len(after)))
    assert len(before) >= 60
    assert after == before
    for archive in lib.layout(host)["archives"]:
        assert host.file(archive).is_directory
    assert host.file("/var/lib/crashplan/.identity").contains("guid=912345678901234567")
    assert host.file("/home/alice/.crashplan/.identity").exists


def test_application_files_gone(host):
    for path in lib.layout(host)["app_files"]:
        assert not host.file(path).exists, path


def test_service_gone(host):
    assert host.run("systemctl cat %s" % lib.UNIT).rc != 0
    assert host.run("systemctl is-active %s" % lib.UNIT).stdout.strip() != "active"
    assert lib.crashplan_processes(host) == []


def test_result_per_run(host):
    runs = lib.results(host)
    layout = lib.layout(host)
    app_dir, archives = layout["app_dir"], layout["archives"]
    archive_inside = archives[0].startswith(app_dir + "/")
    assert [r["check_mode"] for r in runs] == [True, False, False]
    check, converge, again = (r["result"] for r in runs)
    # Check mode: what would go, nothing removed.
    assert check["present_before"] and not check["removed"]
    if archive_inside:  # the application's files around the archive, never the folder that holds it
        assert app_dir not in check["would_remove"] and app_dir + "/bin" in check["would_remove"], check["would_remove"]
    else:
        assert app_dir in check["would_remove"]
    assert check["gate"]["open"]
    # Converge: removed behind the gate, what is kept is listed.
    assert converge["removed"] and not converge["present"]
    assert converge["gate"]["reason"] == "Comet Backup is installed, logged in, known to the server and has a working backup"
    assert [c["check"] for c in converge["gate"]["checks"]] == [
        "comet installed", "comet logged in", "comet device id", "known to the server", "working backup"]
    assert converge["guid"] == "912345678901234567"
    assert sorted(a["path"] for a in converge["archives"]) == sorted(archives)
    for kept in archives + ["/var/lib/crashplan/.identity", "/home/alice/.crashplan/.identity"]:
        assert kept in converge["kept"]
    if archive_inside:  # the report says the install folder stays, and why
        assert any(k.startswith(app_dir + " (the install folder") for k in converge["kept"]), converge["kept"]
        assert app_dir + "/bin" in converge["removed_paths"] and app_dir not in converge["removed_paths"]
    else:
        assert app_dir in converge["removed_paths"]
    assert "/home/alice/.config/CrashPlan" in converge["removed_paths"]
    assert not any(p.startswith(a) for p in converge["removed_paths"] for a in archives)
    # Idempotence run: nothing installed any more.
    assert not again["present_before"] and not again["removed"]
    assert again["gate"]["reason"] == "CrashPlan is not installed: nothing to remove"


def test_stays_gone_after_reboot(host):
    lib.restart_instance(host)
    assert host.run("systemctl is-active %s" % lib.UNIT).stdout.strip() != "active"
    assert host.run("systemctl is-enabled %s" % lib.UNIT).rc != 0
    assert lib.wait_for(lambda: lib.crashplan_processes(host) == [], 10)
    app_dir, archives = lib.layout(host)["app_dir"], lib.layout(host)["archives"]
    if archives[0].startswith(app_dir + "/"):
        assert sorted(host.file(app_dir).listdir()) == [archives[0][len(app_dir) + 1:]]
    else:
        assert not host.file(app_dir).exists
    before, after = lib.survivors(host)
    assert after == before
