# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line (a subprocess, as playbooks and Molecule use it), control endpoints, the state file, fixtures."""
from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time

import pytest

from comet_server import CometServerStandIn

from .conftest import ADMIN, ADMIN_PASSWORD, LINUX, USER, USER_PASSWORD, Client, post

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "fixtures", "demo.json")
DAY = 86400


class _Url(object):
    """Just enough of a stand-in object for Client: a URL."""

    def __init__(self, url):
        self.url = url


def start_cli(tmp_path, *extra, password=ADMIN_PASSWORD):
    pw_file = tmp_path / "admin.pw"
    pw_file.write_text(password + "\n")
    os.chmod(str(pw_file), 0o600)
    port_file = tmp_path / "port"
    if port_file.exists():
        port_file.unlink()
    cmd = [sys.executable, os.path.join(HERE), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
           "--admin-user", ADMIN, "--admin-password-file", str(pw_file)] + list(extra)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # "python tests/comet_server" must work on its own
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path))
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise AssertionError("the stand-in did not start: %s" % proc.stderr.read())
    assert int(port_file.read_text()) == int(line.rsplit(":", 1)[1].strip("/"))
    return proc, line


def stop_cli(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err


def test_cli_serves_and_control_endpoints_work(tmp_path):
    installer = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    installer.write_bytes(b"#!/bin/sh\necho stand-in installer\n")
    state_file = tmp_path / "state.json"
    proc, url = start_cli(tmp_path, "--state-file", str(state_file), "--fixture", DEMO,
                          "--installer", "linuxgeneric=%s" % installer)
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        api = Client(_Url(url))
        assert api.admin("meta/version").body["Version"] == "24.6.0"
        assert api.admin("list-users").body == ["dept-lab", "pnom"]
        assert api.admin("branding/generate-client/linuxgeneric").raw == installer.read_bytes()
        assert api.admin("list-users", auth=False).http_status == 403

        log = api.control("log").body
        assert [e["endpoint"] for e in log] == ["meta/version", "list-users", "branding/generate-client/linuxgeneric",
                                                "list-users"]
        assert log[-1]["status"] == 403 and ADMIN_PASSWORD not in json.dumps(log)
        assert api.control("log/reset", {}).body["Status"] == 200
        assert api.control("log").body == []

        # faults through the control endpoint
        assert api.control("faults", {"kind": "fail", "count": 2, "status": 503, "endpoint": "list-users"}).http_status == 200
        assert [api.admin("list-users").http_status for _attempt in range(3)] == [503, 503, 200]
        api.control("faults", {"kind": "change_profile", "account": "pnom", "set": {"Devices.pnom-win.FriendlyName": "renamed"}})
        read = api.admin("get-user-profile-and-hash", TargetUser="pnom").body
        answer = api.admin("set-user-profile-hash", TargetUser="pnom", ProfileData=json.dumps(read["Profile"]),
                           RequireHash=read["ProfileHash"])
        assert answer.body["Status"] == 409
        state = api.control("state").body
        assert state["users"]["pnom"]["profile"]["Devices"]["pnom-win"]["FriendlyName"] == "renamed"
        api.control("faults", {"kind": "delay", "count": 1, "seconds": 0.3})
        assert api.control("faults").body[0]["kind"] == "delay"
        assert api.control("faults/clear", {}).http_status == 200
        assert api.control("faults").body == []
        assert api.control("faults", {"kind": "explode"}).http_status == 400

        # online, fixture
        active = api.admin("dispatcher/list-active").body
        assert sorted(c["DeviceID"] for c in active.values()) == ["lab-lin-01", "lab-mac-01", "pnom-mbp"]
        assert api.control("online", {"account": "pnom", "device": "pnom-win", "online": True}).http_status == 200
        assert api.control("online", {"account": "pnom", "device": "nope", "online": True}).http_status == 400
        api.control("fixture", {"users": {"newbie": {"password": "newbie-pw", "devices": {
            "nb-1": {"name": "nb", "platform": {"os": "linux"}, "online": True}}}}})
        active = api.admin("dispatcher/list-active").body
        assert sorted(c["DeviceID"] for c in active.values()) == ["lab-lin-01", "lab-mac-01", "nb-1", "pnom-mbp", "pnom-win"]
        assert post(url + "_standin/log", method="PUT").http_status == 405
        assert post(url + "_standin/nothing").http_status == 404
        state = api.control("state").body
        assert "newbie" in state["users"] and len(state["active"]) == 5
        hashes = dict((u, v["profile_hash"]) for u, v in state["users"].items())
    finally:
        rc, out, err = stop_cli(proc)
    assert rc == 0, err
    saved = state_file.read_text()
    for secret in (ADMIN_PASSWORD, "demo-lab-password", "demo-user-password", "newbie-pw"):
        assert secret not in saved and secret not in out and secret not in err
    assert not [p for p in os.listdir(str(tmp_path)) if p.endswith(".tmp")]

    # restart on the same state file: everything is back, hashes unchanged
    proc, url = start_cli(tmp_path, "--state-file", str(state_file))
    try:
        api = Client(_Url(url))
        assert api.admin("list-users").body == ["dept-lab", "newbie", "pnom"]
        for user, profile_hash in hashes.items():
            assert api.admin("get-user-profile-hash", TargetUser=user).body["ProfileHash"] == profile_hash
        assert len(api.admin("get-jobs-for-user", TargetUser="dept-lab").body) == 11
        assert api.admin("branding/generate-client/linuxgeneric").raw == installer.read_bytes()
        assert api.admin("policies/list").body == {"pol-unil": "UNIL default"}
    finally:
        rc, out, err = stop_cli(proc)
    assert rc == 0, err


def test_cli_tls_and_refusals(tmp_path):
    cert_dir = tmp_path / "certs"
    proc, url = start_cli(tmp_path, "--tls", "--cert-dir", str(cert_dir), "--fixture", DEMO)
    try:
        assert url.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert_dir / "ca.pem"))
        answer = post(url + "api/v1/admin/list-users", {"Username": ADMIN, "AuthType": "Password", "Password": ADMIN_PASSWORD},
                      context=context)
        assert answer.body == ["dept-lab", "pnom"]
    finally:
        rc, out, err = stop_cli(proc)
    assert rc == 0, err
    # no admin at all: refuses to start
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, HERE, "--port", "0"], check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=30, env=env)
    assert proc.returncode == 2 and "admin" in proc.stderr


def test_state_file_persistence_in_process(tmp_path):
    state_file = str(tmp_path / "state.json")
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, state_file=state_file) as srv:
        srv.state.add_user(USER, USER_PASSWORD)
        srv.state.add_device(USER, "dev-1", "lts22", platform=LINUX, online=True)
        srv.state.add_policy("pol", {"Description": "P", "Policy": {}})
        srv.state.add_job(USER, "dev-1", status=5000, start_time=10, end_time=20)
        api = Client(srv)
        key = api.user("web/session/start", Username=USER, AuthType="Password", Password=USER_PASSWORD).body["SessionKey"]
        read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
        profile = dict(read["Profile"], Unknown={"x": 1})
        api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(profile), RequireHash=read["ProfileHash"])
        # written on each change, not only at stop
        on_disk = json.load(open(state_file))
        assert on_disk["users"][USER]["profile"]["Unknown"] == {"x": 1}
        profile_hash = srv.state.profile_hash(USER)
    with CometServerStandIn(state_file=state_file) as srv:  # admins come back from the state file
        api = Client(srv)
        read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
        assert read["Profile"] == profile and read["ProfileHash"] == profile_hash
        assert [j["Status"] for j in api.admin("get-jobs-for-user", TargetUser=USER).body] == [5000]
        assert len(api.admin("dispatcher/list-active").body) == 1
        assert api.user("get-profile-and-hash", Username=USER, AuthType="SessionKey", SessionKey=key).body["Status"] == 200
        assert api.admin("policies/list").body == {"pol": "P"}
        api.control("reset", {})
        assert api.admin("list-users").body == []
    assert json.load(open(state_file))["users"] == {}


def test_demo_fixture():
    with CometServerStandIn(fixture=DEMO) as srv:
        api = Client(srv, password="demo-admin-password")
        assert api.admin("list-users").body == ["dept-lab", "pnom"]
        lab = api.admin("get-user-profile", TargetUser="dept-lab").body
        assert lab["UnilCostCenter"] == "CHIM-4411"  # an extra top-level field
        for vault in lab["Destinations"].values():
            assert vault["EncryptedEncryptionKey"] and "ZZFutureVaultField" in vault
        oses = set(d["PlatformVersion"]["os"] for u in ("dept-lab", "pnom")
                   for d in api.admin("get-user-profile", TargetUser=u).body["Devices"].values())
        assert oses == {"linux", "windows", "darwin"}
        now = time.time()
        jobs = api.admin("get-jobs-for-date-range", Start=str(int(now - 400 * DAY)), End=str(int(now) + 60)).body
        statuses = set(j["Status"] for j in jobs)
        assert {5000, 7001, 7002, 7004, 6001} <= statuses
        by_device = {}
        for job in jobs:
            by_device.setdefault(job["DeviceID"], []).append(job)
        never = [d for d, js in by_device.items() if not any(5000 <= j["Status"] < 6000 for j in js)]
        assert "lab-lin-02" in never
        last_ok = max(j["EndTime"] for j in by_device["lab-win-02"] if j["Status"] == 5000)
        assert now - last_ok > 150 * DAY  # more than 5 months
        assert [j["DeviceID"] for j in api.admin("get-jobs-for-date-range", Start="0", End="0").body] == ["pnom-mbp"]
        # the job statistics reach the Protected Items, as on the real server
        src = lab["Sources"]["src-lab-win-02-files"]["Statistics"]
        assert src["LastSuccessfulBackupJob"]["EndTime"] == last_ok and src["LastBackupJob"]["Status"] == 7004
        active = api.admin("dispatcher/list-active").body
        assert sorted(c["DeviceID"] for c in active.values()) == ["lab-lin-01", "lab-mac-01", "pnom-mbp"]
        assert api.admin("policies/list").body == {"pol-unil": "UNIL default"}


def test_fixture_rejects_unknown_keys():
    with pytest.raises(ValueError):
        CometServerStandIn(fixture={"user": {}})


def test_fixture_reloaded_on_state_file_changes_nothing(tmp_path):
    state_file = str(tmp_path / "state.json")
    with CometServerStandIn(state_file=state_file, fixture=DEMO) as srv:
        api = Client(srv, password="demo-admin-password")
        read = api.admin("get-user-profile-and-hash", TargetUser="pnom").body
        read["Profile"]["Devices"]["pnom-win"]["FriendlyName"] = "renamed by an admin"
        api.admin("set-user-profile-hash", TargetUser="pnom", ProfileData=json.dumps(read["Profile"]),
                  RequireHash=read["ProfileHash"])
        before = srv.state.to_dict()
    with CometServerStandIn(state_file=state_file, fixture=DEMO) as srv:
        after = srv.state.to_dict()
        assert srv.state.get_profile("pnom")["Devices"]["pnom-win"]["FriendlyName"] == "renamed by an admin"
    assert after["users"] == before["users"]
    assert after["jobs"] == before["jobs"] and after["policies"] == before["policies"]
