# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench HOSTS=3,10,30 (issue 25): how a run of playbooks/site.yml grows with the fleet on real hosts. Test code,
never shipped; not part of make test.

    python tests/bench/hosts_bench.py --hosts 3,10,30 [--runs 3] [--forks 5] [--ref GIT_REF]
                                      [--demo-dir build/bench-hosts-demo] [--log-dir build/bench-hosts-logs]

For each host count N: the demo fleet grown to N podman systemd hosts (scripts/demo.sh up --hosts N: the demo's
image and connection, Debian 11, 12, 13, 11, ...; the stand-in with an empty demo account), site.yml's first
converge on those fresh hosts, one no-op run (the API calls), then --runs paired runs floor (tests/bench/floor.yml),
no-op site.yml (medians), and the demo taken down. One table: per host count, the first converge's and the no-op's
wall and controller CPU per host, the floor's wall, the no-op / floor ratios, host round trips and Comet API calls
per host in a no-op run. The runs, their measures and the floor are tests/bench/bench.py's (its Bench, imported).
Times are printed, never asserted: the machine may be busy.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time

from bench import DEFAULT_FORKS, FLOOR, INVENTORY, ROOT, VENV_BIN, Bench, BenchError, fmt, median, per_host, ratio, say

COLUMNS = (
    ("hosts", 5),
    ("first wall/host", 15),
    ("first CPU/host", 14),
    ("no-op wall/host", 15),
    ("no-op CPU/host", 14),
    ("floor wall", 10),
    ("no-op/floor wall", 16),
    ("no-op/floor CPU", 15),
    ("round trips/host", 16),
    ("API calls/host", 14),
)


def host_counts(text):
    """"3,10,30" -> [3, 10, 30] (each at least 1, in the order given, once)."""
    out = []
    for part in text.split(","):
        if not re.match(r"^\s*[1-9]\d*\s*$", part):
            raise argparse.ArgumentTypeError("--hosts: a comma-separated list of host counts (1 or more), not %r" % text)
        if int(part) not in out:
            out.append(int(part))
    return out


def demo_inventory(demo_dir, hosts):
    """The inventory scripts/demo.sh up --hosts N runs site.yml with: inventories/demo for 3, else <dir>/inventory."""
    return INVENTORY if hosts == 3 else os.path.join(demo_dir, "inventory")


INOTIFY_PER_HOST = 8  # a podman systemd host holds 6 or 7 inotify instances (systemd 4, logind, dbus-daemon, ...)
INOTIFY_LIMIT = "/proc/sys/fs/inotify/max_user_instances"


def inotify_check(hosts):
    """Why ``hosts`` more podman systemd hosts would not boot on this machine (None when they would): each holds inotify
    instances, and past fs.inotify.max_user_instances (128 by default: about 15 hosts) systemd in the next ones never
    answers."""
    try:
        with open(INOTIFY_LIMIT, encoding="utf-8") as handle:
            limit = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    in_use = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                in_use += os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "anon_inode:inotify"
            except OSError:
                pass
    needed = in_use + INOTIFY_PER_HOST * hosts
    if needed <= limit:
        return None
    return ("%d podman systemd hosts need about %d inotify instances (%d each, %d in use now), fs.inotify.max_user_instances"
            " is %d: raise it first (sysctl -w fs.inotify.max_user_instances=%d) or their systemd never answers"
            % (hosts, needed, INOTIFY_PER_HOST, in_use, limit, max(1024, needed * 2)))


def measure(args, hosts):
    """The figures of one host count (a dict); the demo it started is always taken down."""
    ns = argparse.Namespace(demo_dir=args.demo_dir, log_dir=os.path.join(args.log_dir, "hosts-%d" % hosts), ref=args.ref,
                            forks=args.forks)
    bench = Bench(ns)
    bench.inventory = demo_inventory(bench.demo_dir, hosts)
    os.makedirs(bench.log_dir, exist_ok=True)
    for name in os.listdir(bench.log_dir):
        if re.match(r"^\d\d-.*\.(log|json)$", name):
            os.unlink(os.path.join(bench.log_dir, name))
    res = {"hosts": hosts, "error": inotify_check(hosts)}
    if res["error"]:
        say("%d hosts: %s" % (hosts, res["error"]))
        return res
    try:
        bench.demo("down")
        bench.demo("up", "--hosts", str(hosts), "--list-hosts")
        res["first"] = bench.site("first converge, %d hosts" % hosts)
        noop = bench.site("no-op run, %d hosts" % hosts, api=True)
        if any(noop.changed().values()):
            say("the rerun changed something (%s): one more run to reach the no-op state" % noop.changed())
            noop = bench.site("no-op run (again), %d hosts" % hosts, api=True)
        res["noop"] = noop
        res["pairs"] = []
        for i in range(args.runs):
            res["pairs"].append((bench.playbook("floor %d, %d hosts" % (i + 1, hosts), FLOOR),
                                 bench.site("site no-op %d, %d hosts" % (i + 1, hosts))))
        if len(noop.hosts) != hosts:
            raise BenchError("the no-op run saw %d hosts, not %d" % (len(noop.hosts), hosts))
    except BenchError as exc:
        res["error"] = str(exc)
        say("%d hosts: %s" % (hosts, exc))
    finally:
        try:
            bench.demo("down")
        except BenchError as exc:
            say("scripts/demo.sh down: %s" % exc)
            res["error"] = res["error"] or "scripts/demo.sh down failed: %s" % exc
    return res


def row(res):
    """The table's cells for one host count."""
    hosts = res["hosts"]
    if res["error"]:
        return ["%d" % hosts, "failed: %s" % res["error"].splitlines()[0]]
    first, noop, pairs = res["first"], res["noop"], res["pairs"]
    floor_wall, floor_cpu = median([pair[0].wall for pair in pairs]), median([pair[0].cpu for pair in pairs])
    site_wall, site_cpu = median([pair[1].wall for pair in pairs]), median([pair[1].cpu for pair in pairs])
    counts = noop.api_counts()
    return ["%d" % hosts, fmt(first.wall / hosts), fmt(first.cpu / hosts), fmt(site_wall / hosts), fmt(site_cpu / hosts),
            fmt(floor_wall), fmt(ratio(site_wall, floor_wall), "x"), fmt(ratio(site_cpu, floor_cpu), "x"),
            per_host(sum(noop.round_trips().values()), hosts), per_host(sum(counts.values()), hosts)]


def table_line(cells):
    if len(cells) == 2 and cells[1].startswith("failed"):
        return "   %*s  %s" % (COLUMNS[0][1], cells[0], cells[1])
    return "   " + "  ".join("%*s" % (column[1], cell) for column, cell in zip(COLUMNS, cells))


def report(args, results, load, started):
    out = ["", "unil.backup bench: playbooks/site.yml on N podman hosts of the demo (scripts/demo.sh up --hosts N), per host count",
           "  --forks %d (bench.py's default %d), %d paired run(s) floor / no-op (medians), connection of inventories/demo;"
           " fresh hosts and an empty account for each first converge" % (args.forks, DEFAULT_FORKS, args.runs),
           "  times are this machine's now (shared, loaded by other work): compare the ratios and counts, not the seconds"
           " (load average %.1f at the start, %.1f at the end, %d CPUs)" % (load, os.getloadavg()[0], os.cpu_count() or 0),
           "", table_line([column[0] for column in COLUMNS])]
    out += [table_line(row(res)) for res in results]
    out.append("   wall and CPU in seconds; CPU: user + sys of ansible-playbook and its children on the controller; floor: min facts +"
               " one ping (tests/bench/floor.yml)")
    out.append("   round trips and API calls (the collection's admin API calls, one account for the N hosts: calls / N) of a no-op run")
    done = [res for res in results if not res["error"]]
    if len(done) >= 2:
        low, high = min(done, key=lambda r: r["hosts"]), max(done, key=lambda r: r["hosts"])
        per_low = median([pair[1].wall for pair in low["pairs"]]) / low["hosts"]
        per_high = median([pair[1].wall for pair in high["pairs"]]) / high["hosts"]
        wall_ratio = ratio(median([pair[1].wall for pair in high["pairs"]]), median([pair[0].wall for pair in high["pairs"]]))
        out.append("   goal (issue 25): no-op per host at %d hosts %s s vs %s s at %d hosts (no more: %s); ratio to the floor at %d"
                   " hosts %s (<= 1.0x: %s)" % (high["hosts"], fmt(per_high), fmt(per_low), low["hosts"],
                                                "met" if per_high <= per_low else "not met", high["hosts"], fmt(wall_ratio, "x"),
                                                "met" if wall_ratio is not None and wall_ratio <= 1.0 else "not met"))
    out.append("   logs of every run: %s; done in %.0f s" % (os.path.relpath(os.path.realpath(args.log_dir), ROOT), time.monotonic() - started))
    return "\n".join(out)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # the finally blocks take the demo down


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=host_counts, required=True, help="host counts, comma-separated (e.g. 3,10,30)")
    parser.add_argument("--runs", type=int, default=3, help="paired runs floor / no-op site.yml per host count (median), default 3")
    parser.add_argument("--forks", type=int, default=DEFAULT_FORKS, help="forks of every run (default %d, bench.py's)" % DEFAULT_FORKS)
    parser.add_argument("--ref", help="bench the roles, modules and playbooks of this git commit instead of the work tree")
    parser.add_argument("--demo-dir", default=os.path.join(ROOT, "build", "bench-hosts-demo"),
                        help="the demo's directory (default build/bench-hosts-demo; its containers are named after it)")
    parser.add_argument("--log-dir", default=os.path.join(ROOT, "build", "bench-hosts-logs"), help="where each run's output goes")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.forks < 1:
        parser.error("--runs and --forks must be at least 1")
    if not os.access(os.path.join(VENV_BIN, "ansible-playbook"), os.X_OK):
        parser.error(".venv is missing: run scripts/setup.sh")
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    started, load = time.monotonic(), os.getloadavg()[0]
    results = []
    for hosts in args.hosts:
        say("%d hosts: demo up, first converge, no-op, %d pair(s) floor / no-op, demo down" % (hosts, args.runs))
        results.append(measure(args, hosts))
    print(report(args, results, load, started))
    return 1 if any(res["error"] for res in results) else 0


if __name__ == "__main__":
    sys.exit(main())
