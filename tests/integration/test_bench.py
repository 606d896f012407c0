# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench's smoke mode: tests/bench/bench.py --smoke -v on a demo of its own (build/test-bench), start to end.

Checks that every figure is printed and well formed (ratios > 0, round trips whole numbers >= 1 on every host, API
reads and writes counted for the first, no-op and changed runs), never what the times are: the machine may be busy.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "tests", "bench", "bench.py")
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
DEMO_DIR = os.path.join(ROOT, "build", "test-bench")
HOSTS = ["demo-deb11", "demo-deb12", "demo-deb13"]
NUMBER = r"(\d+(?:\.\d+)?)"

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


def section(output, number):
    """The lines of section ``number`` ("1." ... up to the next numbered title)."""
    match = re.search(r"^%d\. .*?(?=^\d\. |^logs of every run)" % number, output, re.M | re.S)
    assert match, "section %d is missing:\n%s" % (number, output)
    return match.group(0)


def test_bench_smoke_prints_well_formed_figures(tmp_path):
    demo_down()  # a test demo left over by an interrupted run
    try:
        started = time.time()
        proc = subprocess.run([sys.executable, BENCH, "--smoke", "-v", "--demo-dir", DEMO_DIR, "--log-dir", str(tmp_path)], cwd=ROOT,
                              env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800, check=False)
        print(proc.stderr[-4000:])
        print(proc.stdout)
        print("bench --smoke: rc %d in %.0f s" % (proc.returncode, time.time() - started))
        assert proc.returncode == 0, proc.stderr[-4000:]
        out = proc.stdout
    finally:
        demo_down()
    assert not os.path.exists(DEMO_DIR), "the bench left the demo it started"

    assert re.search(r"on the demo fleet \(3 hosts: %s\)" % ", ".join(HOSTS), out), out

    # 1. the no-op rerun over the floor, wall and CPU, and the figures beside them
    first = section(out, 1)
    match = re.search(r"ratio no-op / floor\s+%sx\s+%sx" % (NUMBER, NUMBER), first)
    assert match, first
    assert float(match.group(1)) > 0 and float(match.group(2)) > 0, first
    assert re.search(r"before \(the issue\)\s+no-op site.yml 37.7 s wall / floor 5.4 s = 6.8x", first), first
    assert "changed in the no-op runs: 0" in first, first

    # 2. round trips per host: whole numbers, at least one (facts are gathered on every host); -v lists the tasks
    second = section(out, 2)
    for host in HOSTS:
        match = re.search(r"^\s+%s\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)" % host, second, re.M)
        assert match, second
        assert all(re.match(r"^\d+$", v) for v in match.groups()), match.group(0)
        # a converged host is read once: the probe, which also returns the facts (site.yml gathers none)
        assert int(match.group(1)) == 1, match.group(0)
    assert re.search(r"tasks run on demo-deb1[123].*:\n\s+1\. unil\.backup\.comet_client : Read the host's backup state\n"
                     r"(?!\s+2\. )", second), second

    # 3. API calls: reads and writes per host for the first, the no-op and the changed run
    third = section(out, 3)
    writes = {}
    for label in ("first run (fresh hosts)", "no-op run", "one setting changed"):
        match = re.search(r"^\s+%s.*?\s%s\s+%s\s+%s\s+%s\s+(\d+)/(\d+)/(\d+)$" % (re.escape(label), NUMBER, NUMBER, NUMBER, NUMBER), third, re.M)
        assert match, (label, third)
        reads, writes[label], other, total, fleet_reads, fleet_writes, fleet_other = (float(v) for v in match.groups())
        assert abs(reads + writes[label] + other - total) < 0.2, match.group(0)
        assert reads > 0 and fleet_reads + fleet_writes + fleet_other > 0, match.group(0)
        if label == "no-op run":
            # the collection's calls for a converged host: one profile read, no write (the clients' own calls apart)
            assert (reads, writes[label]) == (1, 0), match.group(0)
    # the first run writes the settings, and so does a run that changes one
    assert writes["first run (fresh hosts)"] > 0 and writes["one setting changed"] > 0, third
    assert re.search(r"the clients' own calls, no-op run: %s per host" % NUMBER, third), third

    assert "4. First converge with 1 and 5 forks: skipped (--smoke)" in out, out
    # the controller-side scale run: both sizes converged and reran without a write
    assert "== controller-side scale: role comet_config" in out, out
    assert re.search(r"^ +20 +noop .* +0$", out, re.M) and "no-op 20 hosts / no-op 10 hosts" in out, out


def test_bench_fleet_report_small(tmp_path):
    """bench.py --fleet-report-only on 200 devices (no demo, no podman): the figures of section 1 are printed and well
    formed - the module's wall time split into the server's answers, the JSON decoding, the job logs and the
    computation (with the migration section of a 3-run history), its peak memory, the calls it made - never what they
    are."""
    proc = subprocess.run([sys.executable, BENCH, "--fleet-report-only", "--fleet-devices", "200", "--fleet-profile",
                           "--fleet-history-runs", "3", "--log-dir", str(tmp_path)], cwd=ROOT, env=env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, check=False)
    print(proc.stderr[-2000:])
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout
    assert re.search(r"^1\. Fleet report: comet_fleet_report on a generated fleet served by the stand-in \(200 devices in 20 "
                     r"accounts, 20000 jobs stored\)$", out, re.M), out
    seconds = {}
    for label in ("whole run", "fleet reads \\(3 calls\\): the server's answer", "fleet reads: the client's JSON decoding",
                  "job logs \\(\\d+ calls, 4 at once, within a [0-9.]+ s budget\\)", "computation \\(report, known problems",
                  "migration section \\(3 runs, 600 records read\\)"):
        match = re.search(r"^\s+%s.*?\s%s\s+%s$" % (label, NUMBER, NUMBER), out, re.M)
        assert match, (label, out)
        seconds[label] = (float(match.group(1)), float(match.group(2)))
    assert seconds["whole run"][0] > 0 and seconds["whole run"][1] > 0
    calls = int(re.search(r"job logs \((\d+) calls, 4 at once", out).group(1))
    assert 1 <= calls <= 200, out
    match = re.search(r"peak memory \(max RSS\)\s+%s MB \(%s MB before main\(\)" % (NUMBER, NUMBER), out)
    assert match and float(match.group(1)) >= float(match.group(2)) > 0, out
    # every failing device's log, as long as the time budget lasts: read (or failed) and not asked add up
    match = re.search(r"job logs (\d+) of (\d+) read \((\d+) not asked: the [0-9.]+ s budget spent\), (\d+) failed", out)
    assert match, out
    read, candidates, not_asked, failed = (int(v) for v in match.groups())
    assert read + failed == calls and read + failed + not_asked == candidates, out
    assert re.search(r"goal under 10 s and under 1 GB: (met|NOT met) on the module's own wall time, (met|NOT met) on its CPU "
                     r"time", out), out
    assert re.search(r"the module's own time \(whole run less the wait for the server's answers\): wall %s s, CPU %s s"
                     % (NUMBER, NUMBER), out), out
    assert re.search(r"^\s+exit_json: Ansible's no_log scrub of the result, its JSON\s+%s\s+%s$" % (NUMBER, NUMBER), out, re.M), out
    assert "cProfile of the module" in out and "device_report" in out, out
