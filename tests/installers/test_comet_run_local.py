# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stand-in .run, run for real on this machine (as root) against a live Comet Server stand-in.

Each test installs into its own throwaway prefix (STANDIN_INSTALL_ROOT, test-only) and HOME, so /opt is not touched.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest

from comet_server import CometServerStandIn
from installer_testlib import BRAND, NEW, OLD, PASSWORD, USER, admin, devices, pids_matching, short_hostname, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the .run installs as root (run these tests as root)")

FIRST_INSTALL_LINES = [
    "First-time installation...",
    "Extracting latest software version to '{dir}'...",
    "Starting service...",
    "First time setup - please answer the following questions:",
    "Username: ",
    "Password: ",
    "Server URL (https://cometbackup.unil.ch/): ",
    "Logging in...",
    "Device name ({hostname}): ",
    "Registering this device...",
    "Logged in.",
    "Complete!",
]


def _in_order(text, items):
    pos = 0
    for item in items:
        found = text.find(item, pos)
        assert found >= 0, "%r missing (or out of order) after position %d in:\n%s" % (item, pos, text)
        pos = found + len(item)


def _files_holding(top, needle):
    hits = []
    for base, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(base, name)
            try:
                with open(path, "rb") as handle:
                    if needle.encode() in handle.read():
                        hits.append(path)
            except OSError:
                pass
    return hits


def test_first_install_prompts_in_order_and_registers_one_device(runs, server, host, first_answers):
    res = host.install(runs[OLD], first_answers)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = [line.format(dir=host.install_dir, hostname=short_hostname()) for line in FIRST_INSTALL_LINES]
    _in_order(res.stdout, lines)
    assert PASSWORD not in res.stdout + res.stderr

    devs = devices(server)
    assert len(devs) == 1
    dev_id = host.out("info", "device-id")
    assert re.match(r"^[0-9a-f]{64}$", dev_id)
    assert list(devs) == [dev_id]
    assert devs[dev_id]["FriendlyName"] == short_hostname()
    assert devs[dev_id]["ClientVersion"] == OLD
    assert devs[dev_id]["PlatformVersion"]["os"] == "linux"

    # web/session/start with the password, then register-device with the session key
    user_calls = [e["endpoint"] for e in server.log if e["endpoint"] in ("web/session/start", "register-device")]
    assert user_calls == ["web/session/start", "register-device"]

    st = os.stat(host.config)
    assert stat.S_IMODE(st.st_mode) == 0o600
    with open(host.config) as handle:
        config = json.load(handle)
    assert config["Username"] == USER and config["Server"] == server.url and config["DeviceID"] == dev_id
    assert config["SessionKey"] and PASSWORD not in json.dumps(config)
    for name in ("backup-tool", "backup-daemon-start.sh", "backup-daemon-start-background.sh"):
        assert os.access(os.path.join(host.install_dir, name), os.X_OK)


def test_device_name_and_server_answers_are_used(runs, server, host):
    res = host.install(runs[OLD], [USER, PASSWORD, server.url.rstrip("/"), "lab-pc-42"])
    assert res.returncode == 0, res.stderr
    (dev,) = devices(server).values()
    assert dev["FriendlyName"] == "lab-pc-42"
    with open(host.config) as handle:
        assert json.load(handle)["Server"] == server.url  # trailing slash added


def test_override_install_server_is_the_default(runs, server, host):
    res = host.install(runs[OLD], [USER, PASSWORD], OVERRIDE_INSTALL_SERVER=server.url)
    assert res.returncode == 0, res.stderr
    assert "Server URL (%s): " % server.url in res.stdout
    assert "Device name (%s): " % short_hostname() in res.stdout  # end of input: defaults
    assert len(devices(server)) == 1


def test_rerun_upgrades_without_questions_and_keeps_the_device(runs, server, host, first_answers):
    assert host.install(runs[OLD], first_answers).returncode == 0
    dev_id = host.out("info", "device-id")
    old_supervisor = wait_for(host.supervisor_pid)
    assert old_supervisor

    for run, version in ((runs[OLD], OLD), (runs[NEW], NEW), (runs[NEW], NEW)):
        res = host.install(run)  # stdin closed: any question would fail the install
        assert res.returncode == 0, res.stdout + res.stderr
        _in_order(res.stdout, ["Upgrading existing installation...",
                               "Extracting latest software version to '%s'..." % host.install_dir,
                               "Starting service...", "Complete!"])
        assert "First" not in res.stdout and "Username" not in res.stdout and "Password" not in res.stdout
        assert host.out("version") == version
        assert host.out("info", "device-id") == dev_id
        assert list(devices(server)) == [dev_id]
        assert devices(server)[dev_id]["ClientVersion"] == version
        assert host.out("login", "status") == "Logged in, unlocked (2)"
    # the daemon was running: it was restarted (a new supervisor, exactly one delegate)
    new_supervisor = wait_for(host.supervisor_pid)
    assert new_supervisor and new_supervisor != old_supervisor
    assert old_supervisor not in pids_matching(host.install_dir + "/")
    assert wait_for(lambda: len(host.delegates()) == 1)


def test_upgrade_does_not_start_a_stopped_daemon(runs, server, host, first_answers):
    assert host.install(runs[OLD], first_answers).returncode == 0
    host.cleanup()
    assert host.processes() == []
    res = host.install(runs[NEW])
    assert res.returncode == 0, res.stderr
    assert "Starting service..." not in res.stdout
    time.sleep(1)
    assert host.processes() == []


def test_wrong_password_fails_with_the_server_message_and_no_login(runs, server, host):
    wrong = "Wr0ng-Pa55-unique-Kq"
    res = host.install(runs[OLD], [USER, wrong, server.url, ""])
    assert res.returncode != 0
    assert "ERROR: Login failed: Authentication failed" in res.stdout + res.stderr
    assert wrong not in res.stdout + res.stderr
    assert "Registering this device..." not in res.stdout
    assert not os.path.exists(host.config)
    assert devices(server) == {}
    assert host.out("login", "status") == "Logged out (0)"


def test_first_install_replaces_a_login_left_behind(runs, server, host, first_answers):
    """Deleting /opt/<brand> forces a reinstall that asks again; a failed one leaves no stored login."""
    assert host.install(runs[OLD], first_answers).returncode == 0
    host.cleanup()
    shutil.rmtree(host.install_dir)
    res = host.install(runs[OLD], [USER, "not-the-password", server.url, ""])
    assert res.returncode != 0
    assert "First-time installation..." in res.stdout
    assert not os.path.exists(host.config)


def test_unreachable_server_fails_cleanly(runs, host):
    res = host.install(runs[OLD], [USER, PASSWORD, "http://127.0.0.1:9/", ""])
    assert res.returncode != 0
    assert "ERROR: Login failed: could not connect to http://127.0.0.1:9/" in res.stderr
    assert PASSWORD not in res.stdout + res.stderr
    assert not os.path.exists(host.config)


def test_password_is_in_no_file_no_log_no_argv_no_environment(runs, server, host, tmp_path):
    log = str(tmp_path / "install.log")
    proc = subprocess.Popen([runs[OLD]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=host.env(WRITE_INSTALL_LOG=log))
    # the installer now holds the password and waits for the server URL: look at every process on the machine
    proc.stdin.write("%s\n%s\n" % (USER, PASSWORD))
    proc.stdin.flush()
    assert wait_for(lambda: os.path.exists(log) and "Server URL" in open(log).read(), timeout=20)
    leaks = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for part in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (entry, part), "rb") as handle:
                    if PASSWORD.encode() in handle.read():
                        leaks.append((entry, part))
            except OSError:
                pass
    out, err = proc.communicate("%s\n\n" % server.url, timeout=60)
    assert proc.returncode == 0, out + err
    assert leaks == []
    # the daemon ran and beat with the stored session key meanwhile
    assert wait_for(lambda: server.log_count(endpoint="device-heartbeat") > 0)
    with open(log) as handle:
        text = handle.read()
    _in_order(text, ["First-time installation...", "Username: ", "Password: ", "Logged in.", "Complete!"])
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert PASSWORD not in text and PASSWORD not in out + err
    assert _files_holding(host.root, PASSWORD) == []
    assert _files_holding(host.home, PASSWORD) == []
    assert _files_holding(str(tmp_path), PASSWORD) == []


def test_backup_tool_cli(runs, server, host, first_answers):
    assert host.install(runs[OLD], first_answers).returncode == 0
    dev_id = host.out("info", "device-id")
    assert host.out("version") == OLD
    assert host.out("login", "status") == "Logged in, unlocked (2)"

    # the server answers 503: a connection error
    server.faults.fail_next(1, status=503, endpoint="get-profile-and-hash")
    assert host.out("login", "status") == "Connection error (3)"

    # the device disappears from the account (still valid credentials): unregistered
    profile = server.state.get_profile(USER)
    profile["Devices"] = {}
    server.state.set_profile(USER, profile)
    assert host.out("login", "status") == "Unregistered device for the supplied credentials (4)"

    # login prompt: wrong password keeps the current login and says why
    res = host.tool("login", "prompt", stdin="%s\nbad-one\n%s\n" % (USER, server.url))
    assert res.returncode != 0 and "ERROR: Login failed: Authentication failed" in res.stderr
    assert host.out("login", "status") == "Unregistered device for the supplied credentials (4)"

    # login prompt (user, password, server, device name on stdin) registers the same device again
    res = host.tool("login", "prompt", stdin="%s\n%s\n%s\n%s\n" % (USER, PASSWORD, server.url, short_hostname()))
    assert res.returncode == 0, res.stderr
    assert PASSWORD not in res.stdout + res.stderr
    assert host.out("login", "status") == "Logged in, unlocked (2)"
    assert list(devices(server)) == [dev_id]

    assert host.out("login", "disconnect")
    assert not os.path.exists(host.config)
    assert host.out("login", "status") == "Logged out (0)"
    assert host.out("info", "device-id") == dev_id  # derived from the machine, not from the login

    res = host.tool("no-such-command")
    assert res.returncode == 2


def test_daemon_heartbeats_make_the_device_online_and_survive_outages(runs, server, host, first_answers):
    assert host.install(runs[OLD], first_answers).returncode == 0
    dev_id = host.out("info", "device-id")

    def online():
        return [v for v in admin(server, "dispatcher/list-active").values() if v["DeviceID"] == dev_id]

    assert wait_for(online)
    (entry,) = online()
    assert entry["Username"] == USER and entry["ReportedVersion"] == OLD
    supervisor, (delegate,) = host.supervisor_pid(), host.delegates()

    # the server fails and drops heartbeats for a while: the daemon keeps running and beats again afterwards
    server.faults.fail_next(3, status=503, endpoint="device-heartbeat")
    server.faults.drop_next(1, endpoint="device-heartbeat")
    before = server.log_count(endpoint="device-heartbeat")
    assert wait_for(lambda: server.log_count(endpoint="device-heartbeat") >= before + 6, timeout=30)
    assert host.supervisor_pid() == supervisor and host.delegates() == [delegate]
    assert online()
    beats = [e for e in server.log if e["endpoint"] == "device-heartbeat"]
    assert {503, 200} <= {e["status"] for e in beats}
    assert all(e["account"] == USER for e in beats)


def test_a_new_foreground_daemon_takes_over(runs, server, host, first_answers):
    """What a systemd unit does after the installer started the daemon in the background."""
    assert host.install(runs[OLD], first_answers).returncode == 0
    background = wait_for(host.supervisor_pid)
    assert background
    fg = subprocess.Popen([os.path.join(host.install_dir, "backup-daemon-start.sh")], env=host.env(),
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: host.supervisor_pid() == fg.pid)
        assert wait_for(lambda: background not in pids_matching(host.install_dir + "/"))
        assert wait_for(lambda: len(host.delegates()) == 1)
        time.sleep(1.5)
        assert len(host.delegates()) == 1 and fg.poll() is None
        before = server.log_count(endpoint="device-heartbeat")
        assert wait_for(lambda: server.log_count(endpoint="device-heartbeat") > before)
        # SIGTERM (systemctl stop with KillMode=process) stops the script and its delegate
        fg.send_signal(signal.SIGTERM)
        assert fg.wait(timeout=10) == 0
        assert wait_for(lambda: host.processes() == [], timeout=10)
        assert not os.path.exists(os.path.join(host.install_dir, "daemon.pid"))
    finally:
        if fg.poll() is None:
            fg.kill()


def test_refuses_non_root(runs, server):
    if not shutil.which("setpriv"):
        pytest.skip("setpriv is not installed")
    tmp = tempfile.mkdtemp(prefix="comet-run-nonroot-")
    try:
        os.chmod(tmp, 0o755)
        run = os.path.join(tmp, "x.run")
        shutil.copy(runs[OLD], run)
        os.chmod(run, 0o755)
        res = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", run],
                             input="%s\n%s\n" % (USER, PASSWORD), capture_output=True, text=True, timeout=30,
                             env={"PATH": os.environ["PATH"], "HOME": tmp, "STANDIN_INSTALL_ROOT": tmp}, check=False)
        assert res.returncode != 0
        assert "ERROR: This installer must be run as root" in res.stderr
        assert not os.path.exists(os.path.join(tmp, "opt", BRAND))
        assert server.log_count() == 0
    finally:
        shutil.rmtree(tmp)


def test_damaged_installer_is_refused(runs, host, tmp_path):
    with open(runs[OLD], "rb") as handle:
        data = bytearray(handle.read())
    data[-100] ^= 0xFF
    bad = str(tmp_path / "bad.run")
    with open(bad, "wb") as handle:
        handle.write(bytes(data))
    os.chmod(bad, 0o755)
    res = host.install(bad, [USER, PASSWORD])
    assert res.returncode != 0 and "damaged" in res.stderr
    assert not os.path.exists(host.install_dir)


def test_https_server_with_a_private_ca(runs, host):
    with CometServerStandIn(tls=True) as srv:
        srv.state.add_user(USER, PASSWORD)
        # without the CA the certificate is refused
        res = host.install(runs[OLD], [USER, PASSWORD, srv.url, ""])
        assert res.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in res.stderr
        host.cleanup()
        shutil.rmtree(host.install_dir)
        res = host.install(runs[OLD], [USER, PASSWORD, srv.url, ""], SSL_CERT_FILE=srv.ca_cert_path)
        assert res.returncode == 0, res.stderr
        assert host.tool("login", "status", SSL_CERT_FILE=srv.ca_cert_path).stdout.strip() == "Logged in, unlocked (2)"
        assert len(devices(srv)) == 1
