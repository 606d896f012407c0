# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's first command, end to end: scripts/demo.sh up (twice) and down (what make demo / make demo-clean run).

Uses the demo's own names (containers unil-demo-deb11..13, build/demo, port 18060): a demo left running on this
machine is taken down first.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
DEMO_DIR = os.path.join(ROOT, "build", "demo")
HOSTS = ["demo-deb11", "demo-deb12", "demo-deb13"]
CONTAINERS = ["unil-demo-deb11", "unil-demo-deb12", "unil-demo-deb13"]
PORT = 18060

pytestmark = pytest.mark.slow


def run(*args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    env.pop("UNIL_DEMO_DIR", None)
    env.pop("UNIL_DEMO_PORT", None)
    started = time.time()
    proc = subprocess.run(["bash", DEMO] + list(args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1200, check=False)
    print("$ scripts/demo.sh %s: rc %d in %.0f s" % (" ".join(args), proc.returncode, time.time() - started))
    return proc.returncode, proc.stdout


def recap(output):
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            out[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return out


def server_state():
    with urllib.request.urlopen("http://127.0.0.1:%d/_standin/state" % PORT, timeout=10) as answer:
        return json.loads(answer.read().decode())


def containers():
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, "tests", "podman", "containers.conf"))
    out = subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], env=env, stdout=subprocess.PIPE,
                         text=True, check=True).stdout.split()
    return sorted(n for n in out if n in CONTAINERS)


def port_open():
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", PORT)) == 0


def secrets():
    out = []
    for name in ("admin.pw", "user.pw"):
        path = os.path.join(DEMO_DIR, name)
        assert os.stat(path).st_mode & 0o777 == 0o600, "%s is not mode 0600" % path
        with open(path) as f:
            out.append(f.read().strip())
    assert all(len(s) >= 20 for s in out)
    return out


def check_fleet(state):
    """The demo account holds exactly the 3 hosts' devices, online, configured; returns {name: device ID}."""
    profile = state["users"]["demo"]["profile"]
    devices = profile["Devices"]
    names = dict((dev["FriendlyName"], dev_id) for dev_id, dev in devices.items())
    assert len(devices) == 3 and sorted(names) == HOSTS, devices
    # Live connections as dispatcher/list-active answers them (heartbeats of the clients in the containers).
    online = set(c["DeviceID"] for c in state["active"].values() if c["Username"] == "demo")
    assert online == set(devices), (online, sorted(devices))
    for name, dev_id in names.items():
        assert devices[dev_id]["ClientVersion"] == "24.6.0", devices[dev_id]
        items = [(sid, s) for sid, s in profile["Sources"].items() if s.get("OwnerDevice") == dev_id]
        assert len(items) == 1, (name, items)
        sid, item = items[0]
        props = item["EngineProps"]
        assert item["Engine"] == "engine1/file" and item["Description"] == "Linux UNIL", item
        assert sorted(v for k, v in props.items() if k.startswith("INCLUDE")) == ["/etc", "/home"], props
        assert sorted(v for k, v in props.items() if k.startswith("EXCLUDE")) == ["*.iso", "/home/*/.cache"], props
        rules = [r for r in profile["BackupRules"].values() if r.get("Source") == sid]
        assert len(rules) == 1, (name, rules)
        schedules = rules[0]["Schedules"]
        assert [(s["FrequencyType"], s["SecondsPast"], s["RandomDelaySecs"]) for s in schedules] == [(8011, 43200, 1800)], schedules
        assert rules[0]["EventTriggers"]["OnPCBootIfLastJobMissed"] is True
    return names


def test_make_demo_up_twice_then_down():
    rc, out = run("down")
    assert rc == 0, out
    try:
        rc, first = run("up")
        assert rc == 0, first[-8000:]
        passwords = secrets()
        assert not any(p in first for p in passwords), "a password appears in the demo's output"
        hosts = recap(first)
        assert sorted(hosts) == HOSTS and all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values()), hosts
        assert all(h["changed"] > 0 for h in hosts.values()), hosts
        # The summary printed at the end, read back from the server.
        summary = first[first.rindex("Fleet summary read back"):]
        assert "3 device(s), 3 online" in summary, summary
        for name in HOSTS:
            assert re.search(r"%s\s+24\.6\.0\s+online\s+linux\s+Linux UNIL \(/etc /home\)\s+1" % name, summary), summary
        ids = check_fleet(server_state())
        assert containers() == CONTAINERS

        rc, second = run("up")
        assert rc == 0, second[-8000:]
        assert not any(p in second for p in passwords), "a password appears in the demo's output"
        hosts = recap(second)
        assert sorted(hosts) == HOSTS, hosts
        assert all(h["changed"] == 0 and h["failed"] == 0 for h in hosts.values()), hosts
        assert check_fleet(server_state()) == ids, "the second run registered devices again"
        with open(os.path.join(DEMO_DIR, "server.pid")) as f:
            pid = int(f.read())
    finally:
        rc, out = run("down")
    assert rc == 0, out
    assert containers() == []
    assert not os.path.exists(DEMO_DIR)
    assert not port_open(), "the stand-in still listens on port %d" % PORT
    assert not os.path.exists("/proc/%d" % pid) or "comet_server" not in open("/proc/%d/cmdline" % pid).read()
