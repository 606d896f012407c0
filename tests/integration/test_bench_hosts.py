# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench HOSTS=...: tests/bench/hosts_bench.py --hosts 2 --runs 1 on a demo of its own (build/test-bench-hosts),
start to end: scripts/demo.sh up --hosts 2, first converge, no-op, one pair floor / no-op, demo down.

Checks the table (its columns, one row for 2 hosts, every cell well formed: round trips and API calls per host
counted, ratios above 0) and that nothing of the demo is left; never what the times are: the machine may be busy.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOSTS_BENCH = os.path.join(ROOT, "tests", "bench", "hosts_bench.py")
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
DEMO_DIR = os.path.join(ROOT, "build", "test-bench-hosts")
COLUMNS = ["hosts", "first wall/host", "first CPU/host", "no-op wall/host", "no-op CPU/host", "floor wall", "no-op/floor wall",
           "no-op/floor CPU", "round trips/host", "API calls/host"]
NUMBER = r"\d+(?:\.\d+)?"

# podman hosts and demo.sh under build/: never beside another such test under pytest -n (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]


def env():
    out = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1", UNIL_DEMO_DIR=DEMO_DIR, UNIL_DEMO_SKIP_SETUP="1")
    out.pop("UNIL_DEMO_PORT", None)
    return out


def demo_down():
    proc = subprocess.run(["bash", DEMO, "down"], cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout


def containers():
    proc = subprocess.run(["podman", "ps", "-a", "--filter", "label=unil.backup.demo=%s" % DEMO_DIR, "--format", "{{.Names}}"],
                          env=dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, "tests", "podman", "containers.conf")),
                          capture_output=True, text=True, check=True)
    return proc.stdout.split()


def test_hosts_bench_prints_one_row_per_host_count(tmp_path):
    demo_down()  # a test demo left over by an interrupted run
    try:
        started = time.time()
        proc = subprocess.run([sys.executable, HOSTS_BENCH, "--hosts", "2", "--runs", "1", "--demo-dir", DEMO_DIR, "--log-dir", str(tmp_path)],
                              cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800, check=False)
        print(proc.stderr[-4000:])
        print(proc.stdout)
        print("hosts_bench --hosts 2: rc %d in %.0f s" % (proc.returncode, time.time() - started))
        assert proc.returncode == 0, proc.stderr[-4000:]
        out = proc.stdout
    finally:
        demo_down()
    assert not os.path.exists(DEMO_DIR), "the bench left the demo it started"
    assert not containers(), "the bench left containers"

    assert "--forks 5 (bench.py's default 5), 1 paired run(s)" in out, out
    lines = out.splitlines()
    header = [i for i, line in enumerate(lines) if line.split() and line.split()[0] == "hosts"]
    assert len(header) == 1, out
    assert re.split(r"\s{2,}", lines[header[0]].strip()) == COLUMNS, lines[header[0]]
    rows = [line for line in lines[header[0] + 1:] if re.match(r"^\s+\d+\s", line)]
    assert len(rows) == 1, out
    cells = rows[0].split()
    assert len(cells) == len(COLUMNS), rows[0]
    assert cells[0] == "2", rows[0]
    for cell in cells[1:6]:
        assert re.match(r"^%s$" % NUMBER, cell) and float(cell) > 0, rows[0]
    for cell in cells[6:8]:
        assert re.match(r"^%sx$" % NUMBER, cell) and float(cell[:-1]) > 0, rows[0]
    # a no-op run still reads each host (facts, the probe) and the account (the API), at least once per host
    for cell in cells[8:10]:
        assert re.match(r"^%s$" % NUMBER, cell) and float(cell) >= 1, rows[0]
