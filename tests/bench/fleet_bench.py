# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench.py's fleet-report figure: the module comet_fleet_report against the Comet Server stand-in serving a large
generated fleet (default 10,000 devices in 1,000 accounts, 1,000,000 backup jobs), in a child process of its own so
that its time and peak memory are the module's alone. Test code, never shipped.

The stand-in's state is written directly (a state dict, or a state file with --fleet-state-file), never through the
API. The child times the module's HTTP calls apart from the rest: the server's answer (request sent to the last byte
read, the stand-in's own work included), the client's JSON decoding, the job logs read 4 at once (wall time of that
phase) and the computation (everything else: the report, the known problems, the result's JSON). Figures are
printed, never asserted."""
from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from comet_server import CometServerStandIn  # noqa: E402  pylint: disable=wrong-import-position
from comet_server import state as standin_state  # noqa: E402  pylint: disable=wrong-import-position
from comet_server.schema import normalize as schema_normalize  # noqa: E402  pylint: disable=wrong-import-position

DAY = 86400
NOW = 1795435200  # 2026-11-23T12:00:00Z
ADMIN = "bench-admin"
ADMIN_PASSWORD = "B3nch-fleet-admin-pw"
GOAL_SECONDS = 10.0
GOAL_BYTES = 1 << 30

PLATFORMS = (
    ({"os": "windows", "version": "10.0", "build": "19045", "arch": "amd64"}, 0.45),
    ({"os": "darwin", "version": "14.5", "arch": "arm64"}, 0.2),
    ({"os": "darwin", "version": "11.7.10", "arch": "amd64"}, 0.05),
    ({"os": "linux", "distribution": "Debian 12", "arch": "amd64"}, 0.3),
)
# Kinds of device and their share: how their backups go
KINDS = (("healthy", 0.80), ("error", 0.05), ("warning", 0.06), ("silent", 0.05), ("never", 0.04))
LOGS = {
    "error": [{"Severity": "W", "Message": "Failed to initialize Storage Vault: config file already exists"},
              {"Severity": "E", "Message": "The destination initializer encountered a problem: exit status 1"}],
    "warning": [{"Severity": "W", "Message": "Reading subdirectories of <Users/u/Desktop>: Open: open /Users/u/Desktop: "
                                             "operation not permitted"},
                {"Severity": "W", "Message": "Reading subdirectories of <Users/u/Documents>: Open: open "
                                             "/Users/u/Documents: operation not permitted"}],
}


def _pick(rng, table):
    roll = rng.random()
    for value, share in table:
        roll -= share
        if roll < 0:
            return value
    return table[-1][0]


def generate_state(devices=10000, accounts=1000, jobs=1000000, now=NOW, seed=13):
    """A stand-in state (the dict State.from_dict reads): ``accounts`` accounts sharing ``devices`` devices, each with
    one Protected Item whose Statistics name its last and last successful backup jobs, ``jobs`` backup jobs (one a day
    per device, back from ``now``), the last job's log of the devices whose last job ended Error or Warning."""
    rng = random.Random(seed)
    probe = standin_state.State()
    probe.add_user("template", "template-pw")
    probe.add_device("template", "dev", "PC", platform={"os": "linux"})
    probe.add_job("template", "dev", status=5000, start_time=now - 600, end_time=now)
    profile_template = probe.get_profile("template")
    device_template = profile_template["Devices"].pop("dev")
    job_template = probe.jobs[0]
    source_template = schema_normalize("SourceConfig", {"Engine": "engine1/file", "Description": "Documents",
                                                        "OwnerDevice": "dev", "EngineProps": {"INCLUDE0": "/home"}})
    password_hash = standin_state.hash_password("bench-user-pw")  # one hash for all (PBKDF2 is slow on purpose)
    per_device = max(1, jobs // max(1, devices))
    users, all_jobs, job_logs = {}, [], {}
    serial = 0
    for a in range(accounts):
        name = "acct%04d" % a
        profile = copy.deepcopy(profile_template)
        vault = standin_state.vault_id(name)
        profile["Username"] = profile["AccountName"] = name
        profile["Destinations"] = {vault: profile["Destinations"].popitem()[1]}
        profile["Devices"], profile["Sources"] = {}, {}
        for d in range(devices * (a + 1) // accounts - devices * a // accounts):
            device_id = "%s-dev%02d" % (name, d)
            platform = _pick(rng, PLATFORMS)
            kind = _pick(rng, KINDS)
            device = dict(device_template, FriendlyName="PC-%04d-%02d" % (a, d), ClientVersion=rng.choice(
                ["24.6.0", "24.6.0", "24.3.1", "23.12.0"]), RegistrationTime=now - 500 * DAY)
            device["PlatformVersion"] = dict(device_template["PlatformVersion"], **platform)
            profile["Devices"][device_id] = device
            source_id = "src-" + device_id
            first_day = rng.randint(160, 400) if kind == "silent" else 0
            last = last_success = None
            for k in range(first_day + per_device - 1, first_day - 1, -1):   # oldest first
                serial += 1
                end = now - k * DAY - 60 - int(rng.random() * 7140)
                if kind == "never":
                    status = 7002
                elif kind in ("error", "warning") and k < 7:
                    status = 7002 if kind == "error" else 7001
                else:
                    status = 5000 if rng.random() < 0.95 else rng.choice((7001, 7002, 7004, 7005, 7007))
                job = dict(job_template, GUID="00000000-0000-4000-8000-%012x" % serial, Username=name, DeviceID=device_id,
                           SourceGUID=source_id, DestinationGUID=vault, Status=status, StartTime=end - 900, EndTime=end,
                           ClientVersion=device["ClientVersion"], TotalFiles=1000 + k, TotalSize=10 ** 9 + k)
                all_jobs.append(job)
                last = job
                if 5000 <= status <= 5999:
                    last_success = job
            source = copy.deepcopy(source_template)
            source["OwnerDevice"] = device_id
            source["Statistics"] = {"LastStartTime": last["StartTime"], "LastBackupJob": last}
            if last_success is not None:
                source["Statistics"]["LastSuccessfulBackupJob"] = last_success
            profile["Sources"][source_id] = source
            if last["Status"] in (7001, 7002):
                job_logs[last["GUID"]] = [dict(e, Time=last["EndTime"] - 10) for e in LOGS.get(kind) or LOGS["error"]]
        users[name] = {"profile": profile, "profile_hash": uuid.UUID(int=a).hex, "password_hash": password_hash}
    return {"format": standin_state.STATE_FORMAT, "admins": {ADMIN: standin_state.hash_password(ADMIN_PASSWORD)},
            "users": users, "jobs": all_jobs, "job_logs": job_logs}


# The child process: runs comet_fleet_report's main() in-process, timing its HTTP calls apart.
RUNNER = r'''
import cProfile, io, json, pstats, resource, sys, threading, time
def peak_rss():
    """Peak resident memory of this process in bytes: VmHWM (ru_maxrss would include the forking parent's)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
from ansible_collections.unil.backup.plugins.module_utils import _comet_api
args, out_path, profile = json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
Client = _comet_api.CometAdminClient
t = {"answer": 0.0, "send": 0.0, "logs": 0.0, "calls": 0, "bytes": 0, "answer_cpu": 0.0, "send_cpu": 0.0, "logs_cpu": 0.0}
lock = threading.Lock()
attempt, send = Client._attempt, Client._send
from ansible_collections.unil.backup.plugins.modules import comet_fleet_report
many = comet_fleet_report.read_job_logs
def timed_attempt(self, *a, **k):
    start, cpu = time.perf_counter(), time.thread_time()
    status, data = attempt(self, *a, **k)
    if threading.current_thread() is threading.main_thread():
        with lock:
            t["answer"] += time.perf_counter() - start
            t["answer_cpu"] += time.thread_time() - cpu
    with lock:
        t["bytes"] += len(data or b"")
    return status, data
def timed_send(self, *a, **k):
    start, cpu = time.perf_counter(), time.thread_time()
    try:
        return send(self, *a, **k)
    finally:
        with lock:
            t["calls"] += 1
            if threading.current_thread() is threading.main_thread():
                t["send"] += time.perf_counter() - start
                t["send_cpu"] += time.thread_time() - cpu
def timed_many(self, *a, **k):
    start, cpu = time.perf_counter(), time.process_time()
    try:
        return many(self, *a, **k)
    finally:
        t["logs"] += time.perf_counter() - start
        t["logs_cpu"] += time.process_time() - cpu
Client._attempt, Client._send, comet_fleet_report.read_job_logs = timed_attempt, timed_send, timed_many
from ansible.module_utils.basic import AnsibleModule
def phase(name, func):
    def timed(*a, **k):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return func(*a, **k)
        finally:
            t[name] = t.get(name, 0.0) + time.perf_counter() - start
            t[name + "_cpu"] = t.get(name + "_cpu", 0.0) + time.process_time() - cpu
    return timed
comet_fleet_report.fleet_report = phase("report", comet_fleet_report.fleet_report)
comet_fleet_report.read_known_problems = phase("known", comet_fleet_report.read_known_problems)
comet_fleet_report.read_migration = phase("migration", comet_fleet_report.read_migration)
AnsibleModule.exit_json = phase("exit", AnsibleModule.exit_json)
rss_before = peak_rss()
real_stdout, sys.stdout = sys.stdout, io.StringIO()
profiler = cProfile.Profile() if profile else None
start = time.perf_counter()
cpu = time.process_time()
try:
    with patch_module_args(args):
        if profiler:
            profiler.enable()
        comet_fleet_report.main()
except SystemExit:
    pass
finally:
    if profiler:
        profiler.disable()
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
result = json.loads(sys.stdout.getvalue())
sys.stdout = real_stdout
stats = ""
if profiler:
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(18)
    stats = buf.getvalue()
summary = result.get("summary") or {}
with open(out_path, "w") as handle:
    json.dump({"wall": wall, "cpu": cpu, "timings": t, "rss_before": rss_before,
               "rss_peak": peak_rss(),
               "failed": result.get("failed"), "msg": result.get("msg"), "api": result.get("api"),
               "devices": summary.get("devices"), "accounts": summary.get("accounts"), "findings": summary.get("findings"),
               "by_finding": summary.get("by_finding"), "jobs": summary.get("jobs"), "job_logs": summary.get("job_logs"),
               "known_problems": summary.get("known_problems"), "result_bytes": len(json.dumps(result)),
               "migration": dict((k, v) for k, v in (result.get("migration") or {}).items()
                                 if k in ("records", "runs", "hosts", "stuck_total", "totals")) or None,
               "profile": stats}, handle)
'''


def run_module(srv, log_dir, profile=False, **options):
    """comet_fleet_report's main() in a child process against ``srv``: the child's figures (a dict)."""
    args = dict(server_url=srv.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD, now=NOW, timeout=300,
                lock_dir=log_dir, min_client_version="24.6.0")
    args.update(options)
    with tempfile.NamedTemporaryFile("r", suffix=".json", dir=log_dir) as out:
        proc = subprocess.run([sys.executable, "-c", RUNNER, os.path.join(ROOT, "build", "collections"), json.dumps(args),
                               out.name, "1" if profile else "0"], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError("the module's child process failed (rc %d):\n%s" % (proc.returncode, proc.stderr[-3000:]))
        figures = json.load(out)
    if figures.get("failed"):
        raise RuntimeError("comet_fleet_report failed: %s" % figures.get("msg"))
    return figures


# How a host moves between runs in the generated migration history: the stages of the run's summary, in order.
HISTORY_STAGES = ("not_started", "client_installed", "settings_applied", "first_backup_started", "waiting_for_backup",
                  "crashplan_removed")


def generate_history(state, runs, path, now=NOW, seed=17):
    """A migration history (the history's own writer) of ``runs`` runs, one a day back from ``now``, of one host per
    device of ``state`` (named as the device, its account's, in one of 30 departments): each run moves a host one stage
    on with a chance of 2 in 5; 5 % unreachable and 2 % failed at each run. Returns the number of records."""
    if os.path.join(ROOT, "build", "collections") not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, "build", "collections"))   # make collection-link's tree
    from ansible_collections.unil.backup.plugins.module_utils._migration_history import (  # pylint: disable=import-outside-toplevel
        append_records, make_record)
    rng = random.Random(seed)
    hosts = [(device["FriendlyName"], name, "dept_%02d" % (i % 30))
             for i, (name, user) in enumerate(sorted(state["users"].items()))
             for device in user["profile"]["Devices"].values()]
    reached = dict((host, 0) for host, dummy, dummy2 in hosts)
    written = 0
    for run in range(runs):
        records = []
        for host, account, department in hosts:
            roll = rng.random()
            if roll < 0.05:
                stage = "unreachable"
            elif roll < 0.07:
                stage = "failed"
            else:
                if rng.random() < 0.4:
                    reached[host] = min(reached[host] + 1, len(HISTORY_STAGES) - 1)
                stage = HISTORY_STAGES[reached[host]]
            records.append(make_record("bench-run-%d" % run, "site", host, stage, department=department, account=account,
                                       when=now - (runs - run) * DAY))
        written += append_records(path, records)
    return written


def measure(devices=10000, accounts=None, jobs=None, log_dir=None, profile=False, state_file=None, say=print,
            history_runs=0):
    """Generate the fleet (and, with ``history_runs``, a migration history of its hosts), serve it, run the module;
    the figures (a dict)."""
    accounts = accounts or max(1, devices // 10)
    jobs = jobs if jobs is not None else devices * 100
    log_dir = log_dir or tempfile.mkdtemp(prefix="fleet-bench-")
    os.makedirs(log_dir, exist_ok=True)
    started = time.monotonic()
    state = generate_state(devices, accounts, jobs)
    generated = time.monotonic() - started
    say("fleet state generated: %d accounts, %d devices, %d jobs, %d job logs in %.1f s"
        % (len(state["users"]), devices, len(state["jobs"]), len(state["job_logs"]), generated))
    options = {}
    if history_runs:
        options["history_path"] = os.path.join(log_dir, "migration-history.jsonl")
        if os.path.exists(options["history_path"]):
            os.unlink(options["history_path"])
        started = time.monotonic()
        written = generate_history(state, history_runs, options["history_path"])
        say("migration history generated: %d runs, %d records, %.0f MB in %.1f s" % (
            history_runs, written, os.path.getsize(options["history_path"]) / 1e6, time.monotonic() - started))
    with CometServerStandIn(admin_users={}, tls=False, port=0) as srv:
        started = time.monotonic()
        if state_file:
            with open(state_file, "w", encoding="utf-8") as handle:
                json.dump(state, handle, separators=(",", ":"))
            del state
            srv.state.load(state_file)
        else:
            srv.state.from_dict(state)
            del state
        loaded = time.monotonic() - started
        say("stand-in loaded in %.1f s%s; running comet_fleet_report in a child process"
            % (loaded, " (state file %s, %.0f MB)" % (state_file, os.path.getsize(state_file) / 1e6) if state_file else ""))
        figures = run_module(srv, log_dir, profile=profile, **options)
        figures["log"] = srv.log
    figures.update(devices_asked=devices, accounts_asked=accounts, jobs_stored=jobs, generated=generated, loaded=loaded)
    return figures


def report_lines(fig, number=5):
    """The printed figure (section ``number`` of bench.py's report)."""
    t = fig["timings"]
    calls = {}
    for entry in fig["log"]:
        calls[entry["endpoint"]] = calls.get(entry["endpoint"], 0) + 1
    fleet_calls = sum(n for e, n in calls.items() if e != "get-job-log-entries")
    decode = max(0.0, t["send"] - t["answer"])
    compute = max(0.0, fig["wall"] - t["send"] - t["logs"])
    decode_cpu = max(0.0, t["send_cpu"] - t["answer_cpu"])
    compute_cpu = max(0.0, fig["cpu"] - t["send_cpu"] - t["logs_cpu"])
    own = max(0.0, fig["wall"] - t["answer"])
    logs = fig.get("job_logs") or {}
    peak = fig["rss_peak"]
    out = [
        "%d. Fleet report: comet_fleet_report on a generated fleet served by the stand-in (%d devices in %d accounts, "
        "%d jobs stored)" % (number, fig["devices"], fig["accounts"], fig["jobs_stored"]),
        "   state written directly in %.1f s, loaded by the stand-in in %.1f s (not the module's time)"
        % (fig["generated"], fig["loaded"]),
        "   %-62s %9s %9s" % ("the module (child process, main() to exit_json), seconds", "wall", "CPU"),
        "   %-62s %9.2f %9.2f" % ("whole run", fig["wall"], fig["cpu"]),
        "   %-62s %9.2f %9.2f" % ("  fleet reads (%d calls): the server's answer, bytes received" % fleet_calls, t["answer"],
                                  t["answer_cpu"]),
        "   %-62s %9.2f %9.2f" % ("  fleet reads: the client's JSON decoding", decode, decode_cpu),
        "   %-62s %9.2f %9.2f" % ("  job logs (%d calls, 4 at once, within a %s s budget)"
                                  % (calls.get("get-job-log-entries", 0), logs.get("seconds")), t["logs"], t["logs_cpu"]),
        "   %-62s %9.2f %9.2f" % ("  computation (report, known problems, result JSON)", compute, compute_cpu),
        "   %-62s %9.2f %9.2f" % ("    the report (fleet_report: findings, devices, summary)", t.get("report", 0),
                                  t.get("report_cpu", 0)),
        "   %-62s %9.2f %9.2f" % ("    known problems in the logs read, fixes", max(0.0, t.get("known", 0) - t["logs"]),
                                  max(0.0, t.get("known_cpu", 0) - t["logs_cpu"])),
        "   %-62s %9.2f %9.2f" % ("    exit_json: Ansible's no_log scrub of the result, its JSON", t.get("exit", 0),
                                  t.get("exit_cpu", 0)),
    ]
    if fig.get("migration"):
        m = fig["migration"]
        out.append("   %-62s %9.2f %9.2f" % ("    migration section (%d runs, %d records read)" % (m["runs"], m["records"]),
                                             t.get("migration", 0), t.get("migration_cpu", 0)))
    out += [
        "   (wall above CPU is waiting: for the server, or for a busy machine's CPUs)",
        "   %-62s %9.0f MB (%.0f MB before main(): Python, Ansible)" % ("peak memory (max RSS)", peak / 1e6,
                                                                        fig["rss_before"] / 1e6),
        "   answers received %.0f MB, result %.0f MB; jobs read %s; job logs %s of %s read (%s not asked: the %s s "
        "budget spent), %s failed; known problems %s"
        % (t["bytes"] / 1e6, fig["result_bytes"] / 1e6, (fig.get("jobs") or {}).get("read"), logs.get("read"),
           logs.get("candidates"), logs.get("out_of_time"), logs.get("seconds"), logs.get("failed"),
           json.dumps(dict((k, v) for k, v in (fig.get("known_problems") or {}).items() if v))),
        "   findings %s: %s" % (fig["findings"], json.dumps(fig["by_finding"])),
        "   the module's own time (whole run less the wait for the server's answers): wall %.2f s, CPU %.2f s"
        % (own, fig["cpu"]),
        "   goal under %.0f s and under 1 GB: %s on the module's own wall time, %s on its CPU time (printed, not "
        "asserted; the machine may be busy)" % (GOAL_SECONDS, "met" if own < GOAL_SECONDS and peak < GOAL_BYTES else "NOT met",
                                                "met" if fig["cpu"] < GOAL_SECONDS and peak < GOAL_BYTES else "NOT met"),
    ]
    if fig.get("profile"):
        out.append("   cProfile of the module (its own time, by tottime):")
        out.extend("     " + line for line in fig["profile"].strip().splitlines())
    return out
