# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: the history of the migration, one record per host per run.

A JSON Lines file on the controller (``unil_backup_history_path``, default ``<ANSIBLE_HOME>/unil_backup/
migration-history.jsonl``; ``''`` turns recording off). Each run of playbooks/site.yml or playbooks/remove_crashplan.yml
appends one record per host with one ``os.write`` of whole lines, to the file opened ``O_APPEND``, under the
collection's exclusive FileLock on the file itself: two runs at once never tear or interleave a record. A reader skips
a line that is not a JSON object with the keys below (a last line torn by a writer that died) and counts it; a writer
that finds the file not ending with a newline starts its lines on a new one, so a torn line never swallows a record.

Record (keys exactly): version, run_id, playbook ('site' | 'remove_crashplan'), time (UTC ISO 8601, seconds, Z), host,
department (the host's dept_* group or ''), account (comet_config_account or ''), stage (a code of _migration.STAGES
or 'unreachable'), reason (a reason code of _migration.REASON_TEXT or '').
"""

from __future__ import annotations

import json
import os
import time

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role
from ansible_collections.unil.backup.plugins.module_utils._comet_api import FileLock
from ansible_collections.unil.backup.plugins.module_utils._migration import (
    FACT_KEYS, REASON_TEXT, STAGES, UNREACHABLE, host_stage, migration_summary)
from ansible_collections.unil.backup.plugins.module_utils._role_summaries import (
    ACCOUNT_VARIABLES, DEPARTMENT_GROUP, host_account)

VERSION = 1
KEYS = ("version", "run_id", "playbook", "time", "host", "department", "account", "stage", "reason")
PLAYBOOKS = ("site", "remove_crashplan")
RECORD_STAGES = STAGES + (UNREACHABLE,)
# Stages that say nothing of how far a host got: latest_by_host looks past them for ``last_stage``.
_NO_PROGRESS = ("failed", UNREACHABLE)
LOCK_TIMEOUT = 60
DEFAULT_NAME = os.path.join("unil_backup", "migration-history.jsonl")


def default_path(ansible_home):
    """The history file when ``unil_backup_history_path`` is not set: under Ansible's home (ANSIBLE_HOME)."""
    return os.path.join(os.path.expanduser(str(ansible_home or "~/.ansible")), DEFAULT_NAME)


def utc_now(now=None):
    """UTC ISO 8601 to the second with Z: ``2026-12-07T05:01:10Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


def record_problem(record):
    """Why ``record`` is not a record of the contract (a sentence), or '' when it is one."""
    if not isinstance(record, dict):
        return "a record must be a dict"
    if set(record) != set(KEYS):
        return "a record has exactly the keys %s (missing: %s, unknown: %s)" % (
            ", ".join(KEYS), ", ".join(sorted(set(KEYS) - set(record))) or "-",
            ", ".join(sorted(str(k) for k in set(record) - set(KEYS))) or "-")
    if record["version"] != VERSION:
        return "record version %r is not %d" % (record["version"], VERSION)
    for key in KEYS[1:]:
        if not isinstance(record[key], str):
            return "record key %s must be a string" % key
    if record["playbook"] not in PLAYBOOKS:
        return "record playbook %r is not one of %s" % (record["playbook"], ", ".join(PLAYBOOKS))
    if not record["run_id"] or not record["host"] or not record["time"]:
        return "record keys run_id, host and time must not be empty"
    if record["stage"] not in RECORD_STAGES:
        return "record stage %r is not a stage code" % record["stage"]
    if record["reason"] and record["reason"] not in REASON_TEXT:
        return "record reason %r is not a reason code" % record["reason"]
    return ""


def make_record(run_id, playbook, host, stage, reason="", department="", account="", when=None):
    """One record of the contract, its strings normalised ('' for None), ``when`` (epoch seconds) now by default.
    Raises ValueError when it is not a valid record."""
    record = {
        "version": VERSION,
        "run_id": str(run_id or ""),
        "playbook": str(playbook or ""),
        "time": utc_now(when),
        "host": str(host or ""),
        "department": str(department or ""),
        "account": str(account or ""),
        "stage": str(stage or ""),
        "reason": str(reason or ""),
    }
    problem = record_problem(record)
    if problem:
        raise ValueError(problem)
    return record


def encode(records):
    """The bytes of ``records``, one JSON object per line, keys in the contract's order (ValueError if one is bad)."""
    lines = []
    for record in records:
        problem = record_problem(record)
        if problem:
            raise ValueError(problem)
        lines.append(json.dumps(dict((key, record[key]) for key in KEYS), separators=(", ", ": ")) + "\n")
    return "".join(lines).encode("utf-8")


def _ends_with_newline(fd):
    size = os.fstat(fd).st_size
    if size == 0:
        return True
    return os.pread(fd, 1, size - 1) == b"\n"


def append_records(path, records, timeout=LOCK_TIMEOUT):
    """Append ``records`` (dicts of the contract) to the history at ``path`` in one write, under the file's lock.
    The parent directory is created (0700) and the file (0600) when missing. Returns the number of records written."""
    records = list(records)
    data = encode(records)
    if not data:
        return 0
    path = os.path.expanduser(str(path))
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        os.makedirs(parent, 0o700, exist_ok=True)
    with FileLock(path, timeout):
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if not _ends_with_newline(fd):
                data = b"\n" + data
            written = os.write(fd, data)
            while written < len(data):  # pragma: no cover - a regular file takes the whole write
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
    return len(records)


class Records(list):
    """The records read (a list), with ``skipped``: the number of lines that were not records."""

    skipped = 0


def parse_lines(lines):
    """Records of the contract from text lines; invalid or torn lines are skipped and counted (``.skipped``)."""
    records = Records()
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            records.skipped += 1
            continue
        if record_problem(record):
            records.skipped += 1
            continue
        records.append(record)
    return records


def read_records(path):
    """The records of the history at ``path`` in the order written (a missing file: none). Lines that are not records
    (a torn last line) are skipped; their number is ``.skipped`` of the list returned."""
    path = os.path.expanduser(str(path))
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return parse_lines(handle)
    except FileNotFoundError:
        return Records()


def latest_by_host(records):
    """{host: its last record}. When that record is 'unreachable' or 'failed', it is a copy with ``last_stage`` and
    ``last_reason``: those of the host's last record that says how far it got (neither 'unreachable' nor 'failed'),
    else 'not_started' and ''. Linear in the number of records."""
    latest = {}
    reached = {}
    for record in records:
        host = record["host"]
        latest[host] = record
        if record["stage"] not in _NO_PROGRESS:
            reached[host] = record
    result = {}
    for host, record in latest.items():
        if record["stage"] in _NO_PROGRESS:
            record = dict(record)
            before = reached.get(host)
            record["last_stage"] = before["stage"] if before else "not_started"
            record["last_reason"] = before["reason"] if before else ""
        result[host] = record
    return result


def counts_by_run(records):
    """Per run, in the order the runs were first written: {run_id, playbook, time (its first record's), hosts,
    counts: {department: {stage: n}}}. A host written twice in one run counts once, with its last record."""
    runs = {}
    order = []
    for record in records:
        run = runs.get(record["run_id"])
        if run is None:
            run = runs[record["run_id"]] = {"run_id": record["run_id"], "playbook": record["playbook"],
                                            "time": record["time"], "by_host": {}}
            order.append(run)
        run["by_host"][record["host"]] = record
    result = []
    for run in order:
        counts = {}
        for record in run["by_host"].values():
            department = counts.setdefault(record["department"], {})
            department[record["stage"]] = department.get(record["stage"], 0) + 1
        result.append({"run_id": run["run_id"], "playbook": run["playbook"], "time": run["time"],
                       "hosts": len(run["by_host"]), "counts": counts})
    return result


# --- one run: the records of its hosts, the job's stats and the summary ---------------------------------------------

def host_department(group_names):
    """The host's department: its dept_* group (the first by name when it is in several, which the inventory check
    refuses), else ''."""
    names = sorted(str(g) for g in group_names or () if DEPARTMENT_GROUP.match(str(g)))
    return names[0] if names else ""


def host_facts(host, variables, in_play=True, unreachable=False):
    """What the run knows of one host, from its variables (a mapping, e.g. hostvars[host], each key read once):
    {host, in_play, unreachable, department, account, <FACT_KEYS it has>}."""
    facts = {"host": str(host), "in_play": bool(in_play), "unreachable": bool(unreachable),
             "department": host_department(variables.get("group_names")),
             "account": host_account(dict((name, variables.get(name)) for name in ACCOUNT_VARIABLES))}
    for key in FACT_KEYS:
        if key in variables:
            facts[key] = variables[key]
    return facts


def last_reached(facts, before=None):
    """(stage, reason) an unreachable host last reached: that of its record ``before`` (latest_by_host of the history
    before this run: the outcome of a whole run), else - a host the history knows nothing of past not_started - what
    this run's facts show it got to before it was lost, else not_started."""
    if before:
        if before["stage"] in _NO_PROGRESS:
            stage, reason = before.get("last_stage") or "not_started", before.get("last_reason") or ""
        else:
            stage, reason = before["stage"], before["reason"]
        if stage != "not_started":
            return stage, reason
    return host_stage(dict(facts, in_play=True, unreachable=False))


def run_outcome(hosts, run_id, playbook, latest=None, when=None):
    """The outcome of one run from its hosts (dicts of host_facts): {records: [one record per host, in the order
    given], stats: {run_id, playbook, hosts: {host: {stage, reason}}} (small, for set_stats), summary:
    _migration.migration_summary with each unreachable host's last stage}. ``latest``: latest_by_host of the history
    before this run (for the stage an unreachable host last reached). Linear in the number of hosts."""
    latest = latest or {}
    records, rows, stats = [], [], {}
    for facts in hosts:
        facts = dict(facts)
        stage, reason = host_stage(facts)
        if stage == UNREACHABLE:
            facts["last_stage"], facts["last_reason"] = last_reached(facts, latest.get(facts["host"]))
        records.append(make_record(run_id, playbook, facts["host"], stage, reason=reason,
                                   department=facts.get("department"), account=facts.get("account"), when=when))
        stats[facts["host"]] = {"stage": stage, "reason": reason}
        rows.append(facts)
    summary = migration_summary(rows)
    # the CrashPlan devices removed (or kept) in this run, by name, and that CrashPlan's history is not transferred
    crashplan = _crashplan_role.run_summary(dict((facts["host"], facts["crashplan_removal_result"]) for facts in rows
                                                 if isinstance(facts.get("crashplan_removal_result"), dict)))
    if crashplan["removed"] or crashplan["would_remove"] or crashplan["kept"]:
        summary["lines"] = list(summary["lines"]) + ["", crashplan["msg"]]
    summary["crashplan"] = crashplan
    return {"records": records, "stats": {"run_id": str(run_id), "playbook": str(playbook), "hosts": stats},
            "summary": summary}
