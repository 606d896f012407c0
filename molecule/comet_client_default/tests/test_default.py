"""unil.backup.comet_client on fresh Debian hosts: running, logged in, one device per host, survives a reboot."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "shared"))
import cc_testlib as lib  # noqa: E402


def test_unit_enabled_and_active(host):
    svc = host.service(lib.SERVICE)
    assert svc.is_enabled
    assert host.run("systemctl is-active %s" % lib.SERVICE).stdout.strip() == "active"
    unit = host.file("/etc/systemd/system/%s.service" % lib.SERVICE)
    assert unit.contains("Environment=HOME=/root")
    assert unit.contains("ExecStart=%s/backup-daemon-start.sh" % lib.INSTALL_DIR)


def test_daemon_runs(host):
    procs = lib.client_processes(host)
    assert any("backup-daemon" in p for p in procs), procs
    pid = lib.main_pid(host)
    assert pid > 0 and host.file("/proc/%d" % pid).exists


def test_logged_in(host):
    status = lib.tool(host, "login", "status")
    assert status.startswith("Logged in"), status


def test_installer_not_left_on_host(host):
    assert host.run("ls -d /var/tmp/unil-comet-client-* 2>/dev/null").stdout.strip() == ""


def test_exactly_one_device_for_this_host_with_its_name(host):
    device_id = lib.tool(host, "info", "device-id")
    short_name = host.check_output("hostname -s").strip()
    devs = lib.devices()
    mine = {k: v for k, v in devs.items() if v.get("FriendlyName") == short_name}
    assert list(mine) == [device_id], devs
    assert devs[device_id].get("ClientVersion") == lib.tool(host, "version").split()[-1]


def test_starts_again_after_reboot(host):
    before = lib.tool(host, "info", "device-id")
    lib.restart_instance(host)
    assert lib.wait_for(lambda: host.run("systemctl is-active %s" % lib.SERVICE).stdout.strip() == "active", 60)
    assert lib.wait_for(lambda: any("backup-daemon" in p for p in lib.client_processes(host)), 60)
    assert lib.wait_for(lambda: lib.tool(host, "login", "status").startswith("Logged in"), 60)
    assert lib.tool(host, "info", "device-id") == before
    short_name = host.check_output("hostname -s").strip()
    assert [k for k, v in lib.devices().items() if v.get("FriendlyName") == short_name] == [before]
