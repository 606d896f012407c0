# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench: what playbooks/site.yml costs on the demo fleet (scripts/demo.sh: 3 podman Debian hosts), as ratios and
counts a person compares before and after a change. Test code, never shipped; not part of make test.

    python tests/bench/bench.py [--runs 5] [--forks 5] [--skip-forks] [--smoke] [-v] [--ref GIT_REF]
                                [--demo-dir build/bench-demo] [--log-dir build/bench-logs] [--keep]
                                [--fleet-devices 10000] [--fleet-report-only] [--fleet-profile] [--fleet-history-runs N]

1. The no-op rerun of site.yml divided by a floor play (tests/bench/floor.yml: the same min facts, one ping, same
   inventory, connection and become): paired runs floor, site, floor, site ... (--runs pairs), median wall and CPU
   time (CPU: user + sys of ansible-playbook and its children, i.e. the controller's side, from RUSAGE_CHILDREN).
2. Host round trips per host in a no-op run: the results of tasks that ran on the host (not delegated, not skipped,
   not controller-only like debug or set_fact; each loop item counts), from the callback tests/bench/callback_plugins
   /unil_bench.py, enabled for the bench only. -v lists the tasks.
3. Comet Server API calls per host, from the stand-in's request log (GET /_standin/log), for the first run on fresh
   hosts, a no-op run and a run that changes one setting (comet_config_random_delay), split into profile reads,
   profile writes and other calls. The demo's hosts share one account, so "per host" is the account's calls divided
   by the number of hosts; the clients' own device heartbeats are left out. -v lists the calls per task.
4. The first converge on fresh hosts (scripts/demo.sh down + up, then site.yml) with 1 fork and with --forks.

5. The fleet report (tests/bench/fleet_bench.py): the module comet_fleet_report, in a child process, against the
   stand-in serving a generated fleet - --fleet-devices devices (default 10,000; 200 with --smoke; 0 skips it) in a
   tenth as many accounts, 100 backup jobs each (1,000,000) - its wall and CPU time split into the server's answers,
   the client's JSON decoding, the job logs and the computation, and its peak memory (goal: under 10 s and 1 GB).
   --fleet-report-only runs this figure alone (no demo, no podman); --fleet-profile adds the module's cProfile;
   --fleet-history-runs N adds a migration history of N runs of every device's host (the report's migration section).

--smoke: one pair, no fork comparison, and a demo already up in --demo-dir is reused (tests/integration/
test_bench.py). The demo is taken down at the end when the bench started it (unless --keep). --ref runs the roles,
modules and playbooks of a git commit (exported under build/bench-refs/) with this checkout's demo and bench, to
compare a change with what came before. Times are printed, never asserted: the machine may be busy.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
INVENTORY = os.path.join(ROOT, "inventories", "demo")
FLOOR = os.path.join(HERE, "floor.yml")
CALLBACKS = os.path.join(HERE, "callback_plugins")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
ACCOUNT = "demo"
SETTING = "comet_config_random_delay"

# The figures of the issue, measured before this bench existed, printed beside ours as they were reported.
BEFORE = "no-op site.yml 37.7 s wall / floor 5.4 s = 6.8x"

PROFILE_READS = ("get-user-profile", "get-user-profile-hash", "get-user-profile-and-hash", "get-profile-and-hash")
PROFILE_WRITES = ("set-user-profile", "set-user-profile-hash")
HEARTBEAT = "device-heartbeat"
DEFAULT_FORKS = 5  # --forks of every run (also tests/bench/hosts_bench.py's)


class BenchError(Exception):
    pass


def say(msg):
    print("[bench] %s" % msg, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else None


def per_host(count, hosts):
    value = float(count) / hosts
    return "%d" % value if value == int(value) else "%.1f" % value


def ratio(num, den):
    return num / den if num is not None and den else None


def load_yaml(path):
    import yaml  # pylint: disable=import-outside-toplevel  # PyYAML comes with ansible-core in .venv
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


class Run:
    """One ansible-playbook run: wall and CPU seconds, the callback's events, the Comet API calls it made."""

    def __init__(self, label, wall, cpu, events, log):
        self.label = label
        self.wall = wall
        self.cpu = cpu
        self.events = events
        self.log = log
        self.api = []
        self.client_api = []

    @property
    def hosts(self):
        return sorted(self.events["stats"])

    def changed(self):
        return dict((h, s["changed"]) for h, s in self.events["stats"].items())

    def round_trips(self):
        return dict((h, self.events["hosts"].get(h, {}).get("on_host", 0)) for h in self.hosts)

    def api_counts(self):
        out = {"reads": 0, "writes": 0, "other": 0}
        for entry in self.api:
            out[api_kind(entry["endpoint"])] += 1
        return out

    def api_by_task(self):
        """[(task name, {"reads", "writes", "other"})] in the order the tasks ran (the linear strategy runs one task
        on every host before the next one, so a call belongs to the last task started before it)."""
        tasks = self.events["tasks"]
        out = []
        for entry in self.api:
            name = "(before the first task)"
            for task in tasks:
                if task["start"] > entry["time"]:
                    break
                name = task["name"]
            if not out or out[-1][0] != name:
                out.append((name, {"reads": 0, "writes": 0, "other": 0}))
            out[-1][1][api_kind(entry["endpoint"])] += 1
        return out


def api_kind(endpoint):
    if endpoint in PROFILE_READS:
        return "reads"
    if endpoint in PROFILE_WRITES:
        return "writes"
    return "other"


class Bench:
    def __init__(self, args):
        self.args = args
        self.demo_dir = os.path.realpath(args.demo_dir)
        self.log_dir = os.path.realpath(args.log_dir)
        self.serial = 0
        self.collections, self.site_yml, self.ref_label = self.collection(args.ref)
        self.hosts_count = 0
        self.inventory = INVENTORY  # tests/bench/hosts_bench.py: the N-host inventory scripts/demo.sh up --hosts N writes

    # -- environment -------------------------------------------------------------------------------------------------
    @staticmethod
    def collection(ref):
        """(ANSIBLE_COLLECTIONS_PATH, site.yml, label) of this checkout or of the commit ``ref`` exported apart."""
        if not ref:
            return os.path.join(ROOT, "build", "collections"), os.path.join(ROOT, "playbooks", "site.yml"), "this checkout"
        sha = subprocess.run(["git", "rev-parse", "--verify", ref + "^{commit}"], cwd=ROOT, capture_output=True, text=True,
                             check=False).stdout.strip()
        if not sha:
            raise BenchError("--ref %s: no such commit" % ref)
        base = os.path.join(ROOT, "build", "bench-refs", sha[:12])
        dest = os.path.join(base, "ansible_collections", "unil", "backup")
        if not os.path.isdir(dest):
            tmp = dest + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            archive = subprocess.run(["git", "archive", "--format=tar", sha, "galaxy.yml", "meta", "plugins", "roles", "playbooks"],
                                     cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout
            subprocess.run(["tar", "-xf", "-", "-C", tmp], input=archive, check=True)
            os.replace(tmp, dest)
        return base, os.path.join(dest, "playbooks", "site.yml"), "%s (%s)" % (ref, sha[:12])

    def env(self, events=None):
        env = dict(os.environ)
        env.update({
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
            "CONTAINERS_CONF": os.path.join(ROOT, "tests", "podman", "containers.conf"),
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "NO_COLOR": "1",
            "UNIL_DEMO_DIR": self.demo_dir,
            "UNIL_DEMO_SKIP_SETUP": "1",
        })
        env.pop("UNIL_DEMO_PORT", None)
        if events:
            env["ANSIBLE_CALLBACK_PLUGINS"] = os.pathsep.join(p for p in (CALLBACKS, os.environ.get("ANSIBLE_CALLBACK_PLUGINS")) if p)
            env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(p for p in (os.environ.get("ANSIBLE_CALLBACKS_ENABLED"), "unil_bench") if p)
            env["UNIL_BENCH_EVENTS"] = events
        return env

    def log_path(self, label, ext="log"):
        return os.path.join(self.log_dir, "%02d-%s.%s" % (self.serial, re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-"), ext))

    # -- the demo ----------------------------------------------------------------------------------------------------
    def demo(self, action, *args):
        self.serial += 1
        log = self.log_path("demo-" + action)
        say("scripts/demo.sh %s %s (log %s)" % (action, " ".join(args), os.path.relpath(log, ROOT)))
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run(["bash", DEMO, action] + list(args), cwd=ROOT, env=self.env(), stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
        if proc.returncode != 0:
            raise BenchError("scripts/demo.sh %s failed (rc %d):\n%s" % (action, proc.returncode, tail(log)))

    def fresh_fleet(self):
        """Podman hosts that never saw site.yml and a stand-in with an empty demo account: the demo's own up, with
        ansible-playbook told only to list the hosts."""
        self.demo("down")
        self.demo("up", "--list-hosts")

    def demo_is_up(self):
        pid_file = os.path.join(self.demo_dir, "server.pid")
        try:
            with open(pid_file, encoding="utf-8") as handle:
                pid = int(handle.read().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                if b"comet_server" not in handle.read():
                    return False
            self.control("state")
        except (OSError, ValueError):
            return False
        names = subprocess.run(["podman", "ps", "--filter", "label=unil.backup.demo=%s" % self.demo_dir, "--format", "{{.Names}}"],
                               env=self.env(), capture_output=True, text=True, check=False).stdout.split()
        return len(names) == 3

    def control(self, name, post=False):
        with open(os.path.join(self.demo_dir, "server.port"), encoding="utf-8") as handle:
            port = int(handle.read().strip())
        request = urllib.request.Request("http://127.0.0.1:%d/_standin/%s" % (port, name), data=b"" if post else None)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read().decode() or "null")

    def devices(self):
        users = self.control("state").get("users") or {}
        return (users.get(ACCOUNT, {}).get("profile") or {}).get("Devices") or {}

    # -- runs --------------------------------------------------------------------------------------------------------
    def playbook(self, label, playbook, *extra, env=None, api=False, forks=None):
        self.serial += 1
        log, events = self.log_path(label), self.log_path(label, "json")
        if os.path.exists(events):
            os.unlink(events)
        argv = ["ansible-playbook", "-i", self.inventory, playbook, "--forks", str(forks or self.args.forks)] + list(extra)
        say("%s: %s (log %s)" % (label, " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in argv[1:]),
                                 os.path.relpath(log, ROOT)))
        run_env = self.env(events)
        run_env.update(env or {})
        if api:
            self.control("log/reset", post=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run(argv, cwd=ROOT, env=run_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode != 0 or not os.path.exists(events):
            raise BenchError("%s failed (rc %d), see %s:\n%s" % (label, proc.returncode, log, tail(log)))
        with open(events, encoding="utf-8") as handle:
            run = Run(label, wall, cpu, json.load(handle), log)
        bad = dict((h, s) for h, s in run.events["stats"].items() if s["failures"] or s["unreachable"])
        if bad:
            raise BenchError("%s: failed or unreachable hosts %s, see %s" % (label, sorted(bad), log))
        self.hosts_count = len(run.hosts)
        if api:
            window = (run.events["start"], run.events["end"])
            calls = [e for e in self.control("log") if e["endpoint"] != HEARTBEAT and window[0] <= e["time"] <= window[1]]
            # the collection calls the admin API; the clients on the hosts call the user API on their own (the
            # stand-in backup-tool reads its profile when asked for its login status): counted apart
            run.api = [e for e in calls if e.get("side") != "user"]
            run.client_api = [e for e in calls if e.get("side") == "user"]
        say("%s: %.1f s wall, %.1f s CPU, changed %s" % (label, wall, cpu, sum(run.changed().values())))
        return run

    def site(self, label, *extra, api=False, env=None, forks=None):
        return self.playbook(label, self.site_yml, *extra, api=api, env=env, forks=forks)

    def setting_change(self):
        """The demo's comet_config_random_delay and another valid value (0 to 18000)."""
        current = load_yaml(os.path.join(INVENTORY, "group_vars", "all.yml")).get(SETTING, 1800)
        return int(current), int(current) - 1 if int(current) > 0 else 1

    def pipelining(self):
        """(connection plugin, does it support pipelining) for the demo's hosts."""
        connection = load_yaml(os.path.join(INVENTORY, "group_vars", "demo_hosts.yml")).get("ansible_connection", "ssh")
        code = ("import sys\nfrom ansible.plugins.loader import connection_loader\n"
                "print(bool(getattr(connection_loader.get(sys.argv[1], class_only=True), 'has_pipelining', False)))")
        out = subprocess.run([os.path.join(VENV_BIN, "python"), "-c", code, connection], env=self.env(), capture_output=True,
                             text=True, check=False).stdout.strip()
        return connection, out == "True"

    # -- the whole bench ---------------------------------------------------------------------------------------------
    def run(self):
        args = self.args
        os.makedirs(self.log_dir, exist_ok=True)
        for name in os.listdir(self.log_dir):
            if re.match(r"^\d\d-.*\.(log|json)$", name):
                os.unlink(os.path.join(self.log_dir, name))
        was_up = self.demo_is_up()
        res = {"forks": {}, "first": None, "reused": False, "load": os.getloadavg()}
        try:
            if not args.skip_forks:
                for forks in sorted({1, args.forks}):
                    self.fresh_fleet()
                    run = self.site("first converge, %d fork%s" % (forks, "" if forks == 1 else "s"), forks=forks,
                                    api=forks == args.forks)
                    res["forks"][forks] = run
                res["first"] = res["forks"][args.forks]
            else:
                if was_up:
                    say("reusing the demo that is up in %s" % os.path.relpath(self.demo_dir, ROOT))
                self.demo("up", "--list-hosts")
                if not self.devices():
                    res["first"] = self.site("first run (fresh hosts)", api=True)
                else:
                    res["reused"] = True
            noop = self.site("no-op run", api=True)
            if any(noop.changed().values()):
                say("the rerun changed something (%s): one more run to reach the no-op state" % noop.changed())
                noop = self.site("no-op run (again)", api=True)
            res["noop"] = noop
            res["pairs"] = []
            for i in range(args.runs):
                floor = self.playbook("floor %d" % (i + 1), FLOOR)
                site = self.site("site no-op %d" % (i + 1))
                res["pairs"].append((floor, site))
            current, other = self.setting_change()
            res["setting"] = (current, other)
            # the schedule is the person's once set (comet_config_enforce): the site enforces it for this run
            res["change"] = self.site("one setting changed", "-e", json.dumps({SETTING: other, "comet_config_enforce": ["schedule"]}),
                                      api=True)
            connection, can_pipeline = self.pipelining()
            res["connection"] = (connection, can_pipeline)
            res["pipelining"] = None
            if can_pipeline:
                res["pipelining"] = [self.site("site no-op, pipelining %d" % (i + 1), env={"ANSIBLE_PIPELINING": "True"})
                                     for i in range(args.runs)]
            if was_up or args.keep:
                # Leave the demo as it was found: configured as the inventory says.
                res["restore"] = self.site("setting changed back", "-e", json.dumps({"comet_config_enforce": ["schedule"]}), api=True)
        finally:
            if not (was_up or args.keep):
                self.demo("down")
        return res


def tail(path, lines=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


# -- the report --------------------------------------------------------------------------------------------------------
def fmt(value, unit="", digits=1):
    return "-" if value is None else "%.*f%s" % (digits, value, unit)


def report(bench, res):  # pylint: disable=too-many-locals,too-many-statements
    args = bench.args
    out = []
    noop = res["noop"]
    hosts = noop.hosts
    count = len(hosts)
    out.append("")
    out.append("unil.backup bench: playbooks/site.yml on the demo fleet (%d hosts: %s)" % (count, ", ".join(hosts)))
    out.append("  roles and modules of %s; demo %s; connection %s; --forks %d; %d paired run(s)%s"
               % (bench.ref_label, os.path.relpath(bench.demo_dir, ROOT), res["connection"][0], args.forks, args.runs,
                  "; smoke" if args.smoke else ""))
    out.append("  times are this machine's now: compare the ratios and counts, not the seconds (load average %.1f at the start, %.1f at"
               " the end, %d CPUs)" % (res["load"][0], os.getloadavg()[0], os.cpu_count() or 0))

    # 1. no-op vs floor
    floors = [pair[0] for pair in res["pairs"]]
    sites = [pair[1] for pair in res["pairs"]]
    floor_wall, site_wall = median([r.wall for r in floors]), median([r.wall for r in sites])
    floor_cpu, site_cpu = median([r.cpu for r in floors]), median([r.cpu for r in sites])
    out.append("")
    out.append("1. No-op rerun of site.yml / floor play (min facts + ping, same hosts and connection), median of %d pair(s)" % len(sites))
    out.append("   %-34s %10s %10s" % ("", "wall (s)", "CPU (s)"))
    out.append("   %-34s %10s %10s" % ("floor (tests/bench/floor.yml)", fmt(floor_wall), fmt(floor_cpu)))
    out.append("   %-34s %10s %10s" % ("site.yml, no-op", fmt(site_wall), fmt(site_cpu)))
    # two decimals: the goal is <= 1.0x, and 0.95x and 1.04x both round to 1.0x
    out.append("   %-34s %10s %10s" % ("ratio no-op / floor", fmt(ratio(site_wall, floor_wall), "x", 2),
                                       fmt(ratio(site_cpu, floor_cpu), "x", 2)))
    if res.get("pipelining"):
        pipe = median([r.wall for r in res["pipelining"]])
        pipe_cpu = median([r.cpu for r in res["pipelining"]])
        out.append("   %-34s %10s %10s" % ("ratio no-op, pipelining / floor", fmt(ratio(pipe, floor_wall), "x"), fmt(ratio(pipe_cpu, floor_cpu), "x")))
    else:
        out.append("   pipelining: not measured, the connection %s does not support it (has_pipelining = False)" % res["connection"][0])
    out.append("   %-34s %s" % ("before (the issue)", BEFORE))
    out.append("   CPU: user + sys of ansible-playbook and its children on the controller (not the work inside the hosts)")
    out.append("   changed in the no-op runs: %d" % sum(sum(r.changed().values()) for r in [noop] + sites))

    # 2. round trips
    out.append("")
    out.append("2. Host round trips per host in a no-op run (results of tasks run on the host: not delegated, not skipped)")
    out.append("   %-14s %8s %10s %11s %8s" % ("host", "on host", "delegated", "controller", "skipped"))
    trips = dict((h, sorted({r.round_trips()[h] for r in [noop] + sites})) for h in hosts)
    for host in hosts:
        counts = noop.events["hosts"].get(host, {})
        seen = trips[host]
        out.append("   %-14s %8s %10d %11d %8d%s" % (
            host, noop.round_trips()[host], counts.get("delegated", 0), counts.get("controller", 0), counts.get("skipped", 0),
            "" if len(seen) == 1 else "   (varies across the no-op runs: %s)" % ", ".join(str(s) for s in seen)))
    out.append("   floor play: %s per host" % "/".join(str(n) for n in sorted(set(floors[0].round_trips().values()))))
    out.append("   delegated: run on the controller for the host (API modules); controller: debug, set_fact, assert, include_*;")
    out.append("   a run_once task counts on the host it ran for (the first)")
    if args.verbose:
        lists = dict((h, noop.events["hosts"].get(h, {}).get("on_host_tasks", [])) for h in hosts)
        groups = {}
        for host in hosts:
            groups.setdefault(tuple(lists[host]), []).append(host)
        for names, group in groups.items():
            out.append("   tasks run on %s:" % ", ".join(group))
            for i, name in enumerate(names):
                out.append("     %2d. %s" % (i + 1, name))

    # 3. API calls
    out.append("")
    out.append("3. Comet Server API calls per host (stand-in request log; one account for the %d hosts: calls / %d;" % (count, count))
    out.append("   the collection's admin API calls; the clients' own user API calls and device heartbeats counted apart)")
    out.append("   %-28s %7s %7s %7s %7s   %s" % ("run", "reads", "writes", "other", "total", "whole run: reads/writes/other"))
    current, other = res["setting"]
    rows = [("first run (fresh hosts)", res["first"]), ("no-op run", noop), ("one setting changed", res["change"])]
    if res.get("restore"):
        rows.append(("the setting changed back", res["restore"]))
    for label, run in rows:
        if run is None:
            out.append("   %-28s %7s %7s %7s %7s   %s" % (label, "-", "-", "-", "-", "not measured: the demo was already up and converged"))
            continue
        c = run.api_counts()
        total = c["reads"] + c["writes"] + c["other"]
        out.append("   %-28s %7s %7s %7s %7s   %d/%d/%d" % (
            label, per_host(c["reads"], count), per_host(c["writes"], count), per_host(c["other"], count), per_host(total, count),
            c["reads"], c["writes"], c["other"]))
    out.append("   one setting: -e %s=%d (the inventory says %d), enforced (comet_config_enforce: [schedule])"
               % (SETTING, other, current))
    out.append("   reads: %s; writes: %s" % (", ".join(PROFILE_READS), ", ".join(PROFILE_WRITES)))
    for label, run in rows:
        if run is not None and run.client_api:
            names = {}
            for entry in run.client_api:
                names[entry["endpoint"]] = names.get(entry["endpoint"], 0) + 1
            out.append("   the clients' own calls, %s: %s per host (%s)" % (
                label, per_host(len(run.client_api), count), ", ".join("%s x%d" % kv for kv in sorted(names.items()))))
    if args.verbose:
        for label, run in rows:
            if run is None or not run.api:
                continue
            out.append("   calls per task, %s (reads/writes/other, whole run):" % label)
            for name, c in run.api_by_task():
                out.append("     %3d/%d/%d  %s" % (c["reads"], c["writes"], c["other"], name))
            others = {}
            for entry in run.api:
                if api_kind(entry["endpoint"]) == "other":
                    key = "%s %s" % (entry.get("side") or "?", entry["endpoint"])
                    others[key] = others.get(key, 0) + 1
            out.append("     other: %s" % (", ".join("%s x%d" % kv for kv in sorted(others.items())) or "none"))

    # 4. forks
    out.append("")
    if not res["forks"]:
        out.append("4. First converge with 1 and %d forks: skipped (%s)" % (args.forks, "--smoke" if args.smoke else "--skip-forks"))
    else:
        out.append("4. First converge on fresh hosts (demo down + up, then site.yml)")
        out.append("   %-14s %10s %18s %10s" % ("forks", "wall (s)", "wall per host (s)", "CPU (s)"))
        for forks, run in sorted(res["forks"].items()):
            out.append("   %-14d %10s %18s %10s" % (forks, fmt(run.wall), fmt(run.wall / count), fmt(run.cpu)))
        if len(res["forks"]) == 2:
            one, many = res["forks"][1], res["forks"][args.forks]
            out.append("   %-14s %10s %18s %10s" % ("ratio 1 / %d" % args.forks, fmt(ratio(one.wall, many.wall), "x"), "",
                                                    fmt(ratio(one.cpu, many.cpu), "x")))
    out.append("")
    out.append("logs of every run: %s" % os.path.relpath(bench.log_dir, ROOT))
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="paired runs floor/site (median), default 5")
    parser.add_argument("--forks", type=int, default=DEFAULT_FORKS,
                        help="forks of every run, compared with 1 fork on fresh hosts (default %d)" % DEFAULT_FORKS)
    parser.add_argument("--skip-forks", action="store_true", help="skip the first converge with 1 and --forks forks (two fresh fleets)")
    parser.add_argument("--smoke", action="store_true", help="one pair, no fork comparison, reuse a demo that is up (for a test)")
    parser.add_argument("--ref", help="bench the roles, modules and playbooks of this git commit instead of the work tree")
    parser.add_argument("--demo-dir", default=os.environ.get("UNIL_DEMO_DIR") or os.path.join(ROOT, "build", "bench-demo"),
                        help="the demo's directory (UNIL_DEMO_DIR; default build/bench-demo, not make demo's)")
    parser.add_argument("--log-dir", default=os.path.join(ROOT, "build", "bench-logs"), help="where each run's output goes")
    parser.add_argument("--keep", action="store_true", help="leave the demo up at the end (it is left up anyway if it was)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the tasks run on each host and the API calls per task")
    parser.add_argument("--fleet-devices", type=int, help="devices of the fleet-report figure (default 10000, 200 with --smoke; 0 skips it)")
    parser.add_argument("--fleet-accounts", type=int, help="accounts of that fleet (default a tenth of the devices)")
    parser.add_argument("--fleet-jobs", type=int, help="backup jobs stored for that fleet (default 100 per device)")
    parser.add_argument("--fleet-report-only", action="store_true", help="only the fleet-report figure (no demo, no podman)")
    parser.add_argument("--fleet-profile", action="store_true", help="print the module's cProfile in the fleet-report figure")
    parser.add_argument("--fleet-history-runs", type=int, default=0,
                        help="also give the module a migration history of that many runs of every device's host (default 0: none)")
    parser.add_argument("--scale-hosts", type=int, nargs="*",
                        help="controller-side scale run of role comet_config over generated inventories of these sizes "
                             "(default 100 400, 10 20 with --smoke; none skips it)")
    parser.add_argument("--scale-only", action="store_true", help="only the scale figure (no demo, no podman)")
    parser.add_argument("--fleet-state-file", help="write the generated fleet's state there and serve it from that file")
    args = parser.parse_args(argv)
    if args.fleet_devices is None:
        args.fleet_devices = 200 if args.smoke else 10000
    if args.fleet_devices < 0 or (args.fleet_report_only and args.fleet_devices < 1):
        parser.error("--fleet-devices must be at least 1 (0 skips the figure, not with --fleet-report-only)")
    if args.scale_hosts is None:
        args.scale_hosts = [10, 20] if args.smoke else [100, 400]
    if args.fleet_report_only:
        return fleet_figure(args)
    if args.scale_only:
        return scale_figure(args)
    if args.smoke:
        args.runs, args.skip_forks = 1, True
    if args.runs < 1 or args.forks < 1:
        parser.error("--runs and --forks must be at least 1")
    if not os.access(os.path.join(VENV_BIN, "ansible-playbook"), os.X_OK):
        parser.error(".venv is missing: run scripts/setup.sh")
    bench = Bench(args)
    started = time.monotonic()
    try:
        res = bench.run()
    except BenchError as exc:
        print("bench: %s" % exc, file=sys.stderr)
        return 1
    print(report(bench, res))
    if args.fleet_devices and fleet_figure(args, number=5) != 0:
        return 1
    if args.scale_hosts and scale_figure(args) != 0:
        return 1
    print("bench done in %.0f s" % (time.monotonic() - started))
    return 0


def fleet_figure(args, number=1):
    """Section ``number``: the fleet report on a generated fleet (fleet_bench.py); 0 when it could be measured."""
    import fleet_bench  # pylint: disable=import-outside-toplevel  # tests/bench is the script's directory
    os.makedirs(args.log_dir, exist_ok=True)
    started = time.monotonic()
    try:
        figures = fleet_bench.measure(args.fleet_devices, accounts=args.fleet_accounts, jobs=args.fleet_jobs,
                                      log_dir=args.log_dir, profile=args.fleet_profile, state_file=args.fleet_state_file,
                                      say=say, history_runs=args.fleet_history_runs)
    except (RuntimeError, OSError, ValueError) as exc:
        print("bench: fleet report: %s" % exc, file=sys.stderr)
        return 1
    print("")
    print("\n".join(fleet_bench.report_lines(figures, number)))
    print("   load average %.1f at the end, %d CPUs; fleet figure done in %.0f s"
          % (os.getloadavg()[0], os.cpu_count() or 0, time.monotonic() - started))
    return 0


def scale_figure(args):
    """The controller-side scale run (scale_bench.py): role comet_config over generated inventories; 0 when measured."""
    import scale_bench  # pylint: disable=import-outside-toplevel  # tests/bench is the script's directory
    started = time.monotonic()
    results = []
    for hosts in args.scale_hosts:
        say("scale: role comet_config over %d generated hosts (first converge, then no-op)" % hosts)
        results.append(scale_bench.measure(hosts, forks=args.forks, work=os.path.join(args.log_dir, "scale-%d" % hosts),
                                           say=say, collections=Bench.collection(args.ref)[0]))
    print("")
    scale_bench.report(results, scale_bench.identity_figure(200 if args.smoke else 10000))
    print("   load average %.1f at the end, %d CPUs; scale figure done in %.0f s"
          % (os.getloadavg()[0], os.cpu_count() or 0, time.monotonic() - started))
    return 0 if all(fig[label]["rc"] == 0 for fig in results for label in ("first", "noop")) else 1


if __name__ == "__main__":
    sys.exit(main())
