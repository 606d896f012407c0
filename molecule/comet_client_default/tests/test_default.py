"""unil.backup.comet_client on fresh Debian hosts: running, logged in, one device per host, survives a reboot."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "comet_client"))
import cc_testlib as lib  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(name="h")
def fast_host(host):
    return lib.fast(host)


def test_unit_enabled_and_active(h):
    svc = h.service(lib.SERVICE)
    assert svc.is_enabled
    assert h.run("systemctl is-active %s" % lib.SERVICE).stdout.strip() == "active"
    unit = h.file("/etc/systemd/system/%s.service" % lib.SERVICE)
    assert unit.contains("Environment=HOME=/root")
    assert unit.contains("ExecStart=%s/backup-daemon-start.sh" % lib.INSTALL_DIR)


def test_daemon_runs(h):
    procs = lib.client_processes(h)
    assert any("backup-daemon" in p for p in procs), procs
    pid = lib.main_pid(h)
    assert pid > 0 and h.file("/proc/%d" % pid).exists


def test_logged_in(h):
    status = lib.tool(h, "login", "status")
    assert status.startswith("Logged in"), status


def test_installer_not_left_on_host(h):
    assert h.run("ls -d /var/tmp/unil-comet-client-* 2>/dev/null").stdout.strip() == ""


def test_exactly_one_device_for_this_host_with_its_name(h):
    device_id = lib.tool(h, "info", "device-id")
    short_name = h.check_output("hostname -s").strip()
    devs = lib.devices()
    mine = {k: v for k, v in devs.items() if v.get("FriendlyName") == short_name}
    assert list(mine) == [device_id], devs
    assert len(devs) == 3, devs  # one per host of the scenario, nothing else
    assert devs[device_id].get("ClientVersion") == lib.tool(h, "version").split()[-1]


def test_starts_again_after_reboot(h):
    before = lib.tool(h, "info", "device-id")
    lib.restart_instance(h)
    assert lib.wait_for(lambda: h.run("systemctl is-active %s" % lib.SERVICE).stdout.strip() == "active", 60)
    assert lib.wait_for(lambda: any("backup-daemon" in p for p in lib.client_processes(h)), 60)
    assert lib.wait_for(lambda: lib.tool(h, "login", "status").startswith("Logged in"), 60)
    assert lib.tool(h, "info", "device-id") == before
    short_name = h.check_output("hostname -s").strip()
    assert [k for k, v in lib.devices().items() if v.get("FriendlyName") == short_name] == [before]


def test_installer_fetched_once_per_run_for_all_hosts():
    """3 hosts, but one branding/generate-client download in the check run and one in the converge run (the
    idempotence run needs none); the server's version (a lookup in the controller's worker, no module) is asked
    once per host and run: 3 hosts x 3 runs (check, converge, idempotence)."""
    with lib.urllib.request.urlopen(lib.standin_url("_standin/log"), timeout=10) as resp:
        log = lib.json.load(resp)
    downloads = [e for e in log if e.get("endpoint") == "branding/generate-client/linuxgeneric"]
    versions = [e for e in log if e.get("endpoint") == "meta/version"]
    print("generate-client calls: %d, meta/version calls: %d" % (len(downloads), len(versions)))
    assert len(downloads) == 2
    assert len(versions) == 9
    assert all(e.get("status") == 200 for e in downloads + versions)
