# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The fleet report's migration section (issue 26): how far each machine got in the move from CrashPlan to Comet
# Backup, from the migration history (the records _migration_history reads: one per host per run of site.yml or
# remove_crashplan.yml) and from the server (the fleet report's devices). Pure logic, no I/O: the module
# comet_fleet_report reads the history with _migration_history.read_records and calls migration_section.
#
# The report counts seven stages, each a group of the codes of _migration (the run's own summary keeps the details):
#   not_started         not_started
#   client_installed    client_installed
#   settings_applied    settings_applied, crashplan_kept (the gate kept CrashPlan for a reason other than the wait:
#                       its reason says which)
#   waiting_for_backup  waiting_for_backup, first_backup_started, first_backup_deferred, first_backup_not_started
#   crashplan_removed   crashplan_removed, settings_applied_no_crashplan (no CrashPlan was there to remove): done
#   failed              failed (the run failed on the host)
#   unreachable         unreachable (the run could not reach it; last_stage says how far it got before)
# A machine is "stuck" when it is not done; the longest stuck are those whose stage has not changed for the longest
# time - since the oldest run of the history for the worst.

from __future__ import annotations

import datetime
import functools

from ansible_collections.unil.backup.plugins.module_utils._migration import REASON_TEXT
from ansible_collections.unil.backup.plugins.module_utils._migration_history import counts_by_run, latest_by_host

# The report's stages, in migration order, then the two that say the run did not get through.
STAGES = ("not_started", "client_installed", "settings_applied", "waiting_for_backup", "crashplan_removed", "failed",
          "unreachable")
STAGE_LABEL = {
    "not_started": "not started",
    "client_installed": "client installed",
    "settings_applied": "settings applied",
    "waiting_for_backup": "waiting for a working backup",
    "crashplan_removed": "CrashPlan removed",
    "failed": "failed",
    "unreachable": "unreachable",
}
# Colours of the charts (the HTML page).
STAGE_COLOR = {
    "not_started": "#9e9e9e",
    "client_installed": "#90caf9",
    "settings_applied": "#1e88e5",
    "waiting_for_backup": "#f9a825",
    "crashplan_removed": "#2e7d32",
    "failed": "#c62828",
    "unreachable": "#6a1b9a",
}
# The code of _migration (or 'unreachable') -> the report's stage.
GROUP = {
    "not_started": "not_started",
    "client_installed": "client_installed",
    "settings_applied": "settings_applied",
    "crashplan_kept": "settings_applied",
    "waiting_for_backup": "waiting_for_backup",
    "first_backup_started": "waiting_for_backup",
    "first_backup_deferred": "waiting_for_backup",
    "first_backup_not_started": "waiting_for_backup",
    "crashplan_removed": "crashplan_removed",
    "settings_applied_no_crashplan": "crashplan_removed",
    "failed": "failed",
    "unreachable": "unreachable",
}
DONE = ("crashplan_removed",)
# A host without a dept_* group.
NO_DEPARTMENT = "(none)"
# The stuck machines listed (the longest first); stuck_total counts them all.
STUCK_MAX = 20

# What to do, by the report's stage; a reason's fix (REASON_FIXES) replaces it.
STAGE_FIXES = {
    "not_started": "Run playbooks/site.yml on the host: check it is in the inventory (in its dept_* group), switched "
                   "on and reachable.",
    "client_installed": "The client is installed but its settings were not applied: check the host's account "
                        "(comet_config_account) and the Comet Server connection, then run playbooks/site.yml again.",
    "settings_applied": "Run playbooks/site.yml again: it starts the first backup; CrashPlan is removed once a Comet "
                        "backup has worked (playbooks/remove_crashplan.yml).",
    "waiting_for_backup": "Leave the computer on and connected until its first Comet backup ends Success or Warning, "
                          "then run playbooks/remove_crashplan.yml (its health gate opens).",
    "crashplan_removed": "",
    "failed": "Read the host's error in the output of the last run, fix it and run playbooks/site.yml again.",
    "unreachable": "The last run could not reach the host (switched off, away, or its SSH/WinRM refused): switch it "
                   "on, connect it and run playbooks/site.yml again.",
}
REASON_FIXES = {
    "disabled": "The health gate is off (crashplan_removal_gate): CrashPlan is kept on purpose; turn the gate on to "
                "remove it once Comet Backup works.",
    "comet_not_installed": "Comet Backup is not installed: run playbooks/site.yml (role unil.backup.comet_client).",
    "comet_not_logged_in": "Comet Backup is not logged in: check the account's password (comet_client_password in "
                           "the vault) and run playbooks/site.yml again.",
    "device_id_unknown": "The Comet device ID is unknown: run playbooks/site.yml again (the client registers the "
                         "device), then remove CrashPlan.",
    "server_error": "The Comet Server could not be asked: check the connection and the administrator's credentials, "
                    "then run playbooks/remove_crashplan.yml again.",
    "device_not_on_server": "The device is not on the Comet Server (removed, or another server): run "
                            "playbooks/site.yml again so that the client registers it.",
    "waiting_for_backup": STAGE_FIXES["waiting_for_backup"],
    "deferred:outside_window": "Nothing to do: the first backup starts in the first-backup window "
                               "(comet_config_first_backup_window); set it to now to start it at once.",
    "deferred:never": "comet_config_first_backup_window is never: start the first backup from the Comet web console, "
                      "or set the window.",
    "deferred:vpn": "The host's Pulse Secure VPN was connected: the first backup waits until it is off (run "
                    "playbooks/site.yml again once the computer is on the university network).",
    "not_started:profile_not_applied": "The device had not applied its profile yet: run playbooks/site.yml again "
                                       "once the client is online.",
    "not_started:refused": "The Comet Server refused to start the backup: read the server's log for the device, then "
                           "run playbooks/site.yml again.",
    "not_started:answer_lost": "The server's answer was lost and no job was found: run playbooks/site.yml again.",
    "not_started:job_not_found": "Its job was not found on the server: run playbooks/site.yml again.",
}


def group_of(code):
    """The report's stage of a _migration code (or 'unreachable'); an unknown code is not_started."""
    return GROUP.get(code, "not_started")


def short_name(host):
    """The host's short name (before the first dot): the client's default device name."""
    return str(host).split(".", 1)[0]


def department_name(department):
    return department or NO_DEPARTMENT


@functools.lru_cache(maxsize=4096)
def _seconds(text):
    """Unix seconds of a record's time (UTC ISO 8601 with Z), None when it is not one (a run's records share a few
    times: each is parsed once)."""
    try:
        moment = datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())


def empty_counts():
    return dict((stage, 0) for stage in STAGES)


def regroup(counts):
    """{department: {code: n}} (counts_by_run's) -> {department: {report stage: n}} with every stage, sorted."""
    out = {}
    for department, by_code in (counts or {}).items():
        row = out.setdefault(department_name(department), empty_counts())
        for code, n in by_code.items():
            row[group_of(code)] += n
    return dict(sorted(out.items()))


def totals(by_department):
    out = empty_counts()
    for row in by_department.values():
        for stage, n in row.items():
            out[stage] = out.get(stage, 0) + n
    return out


def host_paths(records):
    """{host: [step]}: each host's records in order, consecutive records of the same code and reason folded into one
    step {stage, code, reason, since (time of the first), run_id (of the first), runs (how many records)}."""
    paths = {}
    for record in records:
        path = paths.setdefault(record["host"], [])
        last = path[-1] if path else None
        if last and last["code"] == record["stage"] and last["reason"] == record["reason"]:
            last["runs"] += 1
            continue
        path.append({"stage": group_of(record["stage"]), "code": record["stage"], "reason": record["reason"],
                     "since": record["time"], "run_id": record["run_id"], "runs": 1})
    return paths


def _in_stage(path):
    """(since, run_id, runs) of the last stretch of ``path`` in its last report stage (codes of one stage joined)."""
    stage = path[-1]["stage"]
    since, run_id, runs = path[-1]["since"], path[-1]["run_id"], 0
    for step in reversed(path):
        if step["stage"] != stage:
            break
        since, run_id, runs = step["since"], step["run_id"], runs + step["runs"]
    return since, run_id, runs


def device_index(report):
    """{account: [device view]} of the fleet report (its devices, with their findings and known problems)."""
    index = {}
    for device in (report or {}).get("devices") or []:
        index.setdefault(device.get("account"), []).append(device)
    return index


def host_device(host, account, index):
    """The device of ``host`` on the server: the account's device named as the host's short name (the client's
    default device name; case ignored), else the account's only device; None when neither."""
    devices = index.get(account) or []
    short = short_name(host).lower()
    for device in devices:
        if str(device.get("name") or "").lower() in (short, str(host).lower()):
            return device
    return devices[0] if len(devices) == 1 else None


def machine_fix(machine, device):
    """What to do for one machine (people-facing, from its codes): the reason's fix, else its stage's, then what
    the server says of its device."""
    stage = machine["stage"]
    fix = REASON_FIXES.get(machine["reason"]) or STAGE_FIXES.get(stage, "")
    if stage in ("failed", "unreachable") and machine.get("last_stage") not in (None, "not_started"):
        fix += " It had reached: %s." % STAGE_LABEL.get(machine["last_stage"], machine["last_stage"])
    if device is None:
        if machine["account"] and stage not in ("not_started", "client_installed"):
            fix += " No device of account %s named %s is on the Comet Server." % (
                machine["account"], short_name(machine["host"]))
        return fix
    problems = device.get("known_problems") or []
    if problems:
        fix += " The last backup job's log shows: %s - %s" % (problems[0].get("title"), problems[0].get("fix"))
    elif stage in ("settings_applied", "waiting_for_backup") and device.get("last_working_iso"):
        fix += (" The server shows a working backup on %s: run playbooks/remove_crashplan.yml now."
                % device["last_working_iso"][:10])
    elif device.get("findings"):
        fix += " The server reports for its device: %s (see the findings)." % ", ".join(device["findings"])
    return fix


def migration_section(records, report=None, now=None, stuck_max=STUCK_MAX, skipped=0):
    """The migration section of the fleet report.

    ``records``: the history's records in the order written (_migration_history.read_records); ``report``: the fleet
    report (its devices link a machine to its device on the server: account and host name); ``now``: the report's
    time (Unix seconds, for the days in a stage); ``skipped``: lines of the history that were not records.
    The counts per run and the latest record per host are _migration_history's (counts_by_run, latest_by_host).
    Returns {stages, stage_labels, records, skipped_lines, runs, hosts, by_department (now: {department: {stage: n}}),
    totals, per_run [{run_id, playbook, time, hosts, by_department, totals}], machines [one per host, by name:
    {host, department, account, stage, code, reason, reason_text, last_stage, since, since_run_id, runs_in_stage,
    days_in_stage, since_first_run, path}], stuck (the ``stuck_max`` longest stuck: machines not done, the same
    stage the longest, each with its fix and its device's status on the server), stuck_total}."""
    records = list(records or [])
    runs = counts_by_run(records)
    latest = latest_by_host(records)
    paths = host_paths(records)
    first_run = runs[0]["run_id"] if runs else None
    index = device_index(report)
    by_department = {}
    machines = []
    for host in sorted(latest):
        record = latest[host]
        stage = group_of(record["stage"])
        since, since_run, runs_in_stage = _in_stage(paths[host])
        start = _seconds(since)
        machine = {
            "host": host,
            "department": department_name(record["department"]),
            "account": record["account"],
            "stage": stage,
            "code": record["stage"],
            "reason": record["reason"],
            "reason_text": REASON_TEXT.get(record["reason"], record["reason"]),
            "last_stage": group_of(record["last_stage"]) if "last_stage" in record else None,
            "since": since,
            "since_run_id": since_run,
            "runs_in_stage": runs_in_stage,
            "days_in_stage": (max(0, int(now) - start) // 86400) if now and start is not None else None,
            "since_first_run": since_run == first_run,
            "path": paths[host],
        }
        machines.append(machine)
        row = by_department.setdefault(machine["department"], empty_counts())
        row[stage] += 1
    by_department = dict(sorted(by_department.items()))
    stuck = sorted((m for m in machines if m["stage"] not in DONE),
                   key=lambda m: (m["since"], -m["runs_in_stage"], m["host"]))
    listed = []
    for machine in stuck[:max(0, int(stuck_max))]:
        device = host_device(machine["host"], machine["account"], index) if machine["account"] else None
        entry = dict((k, v) for k, v in machine.items() if k != "path")
        entry["fix"] = machine_fix(machine, device)
        entry["device"] = None if device is None else {
            "device_id": device.get("device_id"), "name": device.get("name"), "status": device.get("status"),
            "findings": list(device.get("findings") or []),
            "known_problems": [p.get("id") for p in device.get("known_problems") or []],
            "last_working_iso": device.get("last_working_iso")}
        listed.append(entry)
    per_run = []
    for run in runs:
        counts = regroup(run["counts"])
        per_run.append({"run_id": run["run_id"], "playbook": run["playbook"], "time": run["time"],
                        "hosts": run["hosts"], "by_department": counts, "totals": totals(counts)})
    return {
        "stages": list(STAGES),
        "stage_labels": dict(STAGE_LABEL),
        "records": len(records),
        "skipped_lines": int(skipped or 0),
        "runs": len(runs),
        "hosts": len(machines),
        "by_department": by_department,
        "totals": totals(by_department),
        "per_run": per_run,
        "machines": machines,
        "stuck": listed,
        "stuck_total": len(stuck),
    }


def stuck_line(entry):
    """One line for a person on a stuck machine (Markdown, the summary)."""
    days = entry.get("days_in_stage")
    return "%s (%s, %s): %s%s since %s%s%s" % (
        entry["host"], entry["department"], entry["account"] or "no account",
        STAGE_LABEL.get(entry["stage"], entry["stage"]), (" - " + entry["reason_text"]) if entry.get("reason") else "",
        entry["since"][:10], (" (%d days)" % days) if days is not None else "",
        ", since the oldest run" if entry.get("since_first_run") else "")


def summary_lines(section, stuck=5):
    """The lines the role prints: the history read, the machines per stage now, and the ``stuck`` longest stuck."""
    if not isinstance(section, dict):
        return []
    labels = dict(STAGE_LABEL, **(section.get("stage_labels") or {}))
    totals_now = section.get("totals") or {}
    lines = ["Migration (%s: %d run(s), %d machine(s)%s): %s" % (
        section.get("history_path") or "history", int(section.get("runs") or 0), int(section.get("hosts") or 0),
        (", %d line(s) skipped" % section["skipped_lines"]) if section.get("skipped_lines") else "",
        ", ".join("%s %d" % (labels.get(k, k), int(totals_now.get(k) or 0)) for k in section.get("stages") or STAGES))]
    listed = (section.get("stuck") or [])[:max(0, int(stuck))]
    if listed:
        lines.append("Stuck longest (%d not done): %s" % (int(section.get("stuck_total") or 0),
                                                          "; ".join(stuck_line(entry) for entry in listed)))
    return lines
