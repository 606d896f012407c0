# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's first command, end to end: scripts/demo.sh up (twice) and down (what make demo / make demo-clean run).

Runs in its own demo directory (build/test-demo), so its containers (unil-demo-<id of that directory>-deb11..13),
its stand-in port (any free one) and its files are not those of a `make demo` of this checkout or of another one:
a demo left running by a person is left alone. A test demo left over by an interrupted run is taken down first.
The hosts are started while another podman host boots beside them (a loaded machine).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "podman"))
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position
import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
DEMO_DIR = os.path.join(ROOT, "build", "test-demo")
HOSTS = ["demo-deb11", "demo-deb12", "demo-deb13"]
PREFIX = "unil-demo-" + podman_hosts.run_id(DEMO_DIR)
CONTAINERS = [PREFIX + "-deb11", PREFIX + "-deb12", PREFIX + "-deb13"]

# podman hosts and demo.sh under build/: never beside another such test under pytest -n (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]


def run(*args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1", UNIL_DEMO_DIR=DEMO_DIR)
    env.pop("UNIL_DEMO_PORT", None)
    started = time.time()
    proc = subprocess.run(["bash", DEMO] + list(args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1200, check=False)
    print("$ scripts/demo.sh %s: rc %d in %.0f s" % (" ".join(args), proc.returncode, time.time() - started))
    return proc.returncode, proc.stdout


def playbook(tmp_path, name, *args):
    """ansible-playbook playbooks/<name> -i inventories/demo on this test's demo, as demo.sh runs site.yml."""
    return playbook_runner.run_playbook("-i", os.path.join(ROOT, "inventories", "demo"), os.path.join(ROOT, "playbooks", name),
                                        *args, tmp_path=tmp_path, timeout=600, label=" ".join(("playbooks/" + name,) + args),
                                        UNIL_DEMO_DIR=DEMO_DIR)


def recap(output):
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            out[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return out


def server_port():
    with open(os.path.join(DEMO_DIR, "server.port")) as f:
        return int(f.read())


def server_state():
    with urllib.request.urlopen("http://127.0.0.1:%d/_standin/state" % server_port(), timeout=10) as answer:
        return json.loads(answer.read().decode())


def podman(*args, check=True):
    return subprocess.run(["podman"] + list(args), env=podman_hosts.podman_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=check).stdout


def containers(names=None):
    out = podman("ps", "-a", "--format", "{{.Names}}").split()
    return sorted(n for n in out if n in (names or CONTAINERS))


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(name="booting_neighbour")
def booting_neighbour_fixture():
    """Another podman systemd host that boots at the same time as the demo's: the machine is loaded."""
    name = "unil-test-neighbour-" + podman_hosts.run_id(ROOT)
    podman("rm", "-f", "-t", "0", name, check=False)
    podman("run", "-d", "--name", name, "--systemd", "always", "localhost/unil-debian-systemd:12", "/sbin/init")
    yield name
    podman("rm", "-f", "-t", "0", name, check=False)


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


def test_a_second_run_on_the_same_demo_refuses_while_one_runs():
    os.makedirs(os.path.dirname(DEMO_DIR), exist_ok=True)
    with open(DEMO_DIR + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for action in ("up", "down"):
            rc, out = run(action)
            assert rc != 0 and "another make demo / demo-clean is using build/test-demo" in out, out
            assert "removed" not in out and "starting" not in out, out


def test_a_container_of_that_name_not_made_by_this_demo_is_refused_and_kept():
    rc, out = run("down")
    assert rc == 0, out
    stranger = CONTAINERS[0]
    podman("create", "--name", stranger, "--label", "unil.backup.demo=/elsewhere/build/demo",
           "localhost/unil-debian-systemd:11", "/sbin/init")
    try:
        rc, out = run("up")
        assert rc != 0, out
        assert "a container named %s exists but was not made by the demo in build/test-demo" % stranger in out, out
        rc, out = run("down")
        assert rc == 0, out
        assert "left container %s alone" % stranger in out, out
        assert containers() == [stranger]
    finally:
        podman("rm", "-f", "-t", "0", stranger, check=False)
        run("down")


def test_make_demo_up_twice_then_down(booting_neighbour, tmp_path):
    rc, out = run("down")
    assert rc == 0, out
    port = None
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
        port = server_port()
        assert containers() == CONTAINERS
        assert containers([booting_neighbour]) == [booting_neighbour], "the demo touched another podman host"

        rc, second = run("up")
        assert rc == 0, second[-8000:]
        assert not any(p in second for p in passwords), "a password appears in the demo's output"
        hosts = recap(second)
        assert sorted(hosts) == HOSTS, hosts
        assert all(h["changed"] == 0 and h["failed"] == 0 for h in hosts.values()), hosts
        assert check_fleet(server_state()) == ids, "the second run registered devices again"
        with open(os.path.join(DEMO_DIR, "server.pid")) as f:
            pid = int(f.read())

        # playbooks/configure.yml: the client role's read-only entry point (tasks_from: info) finds each host's
        # device ID and its facts (the play gathers none); on the converged fleet nothing is written
        rc, configured = playbook(tmp_path, "configure.yml")
        assert rc == 0, configured[-8000:]
        hosts = recap(configured)
        assert sorted(hosts) == HOSTS and all(h["changed"] == 0 and h["failed"] == 0 for h in hosts.values()), hosts
        assert check_fleet(server_state()) == ids
        # one setting changed and enforced: written on each host's device, the rest as it was
        rc, configured = playbook(tmp_path, "configure.yml", "-e", '{"comet_config_random_delay": 1799, "comet_config_enforce": ["schedule"]}')
        assert rc == 0, configured[-8000:]
        hosts = recap(configured)
        assert sorted(hosts) == HOSTS and all(h["changed"] == 1 and h["failed"] == 0 for h in hosts.values()), hosts
        profile = server_state()["users"]["demo"]["profile"]
        delays = sorted(s["RandomDelaySecs"] for r in profile["BackupRules"].values() for s in r["Schedules"])
        assert delays == [1799, 1799, 1799], delays
        assert sorted(dev["FriendlyName"] for dev in profile["Devices"].values()) == HOSTS
    finally:
        rc, out = run("down")
    assert rc == 0, out
    assert containers() == []
    assert not os.path.exists(DEMO_DIR)
    assert not os.path.exists(DEMO_DIR + ".lock")
    assert port is None or not port_open(port), "the stand-in still listens on port %d" % port
    assert not os.path.exists("/proc/%d" % pid) or "comet_server" not in open("/proc/%d/cmdline" % pid).read()
