# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: the stage each host reached in playbooks/site.yml, and the run's summary.

Decided from codes only (``crashplan_removal_result.stage`` and ``.gate.code``, ``comet_config_result``,
``comet_client_installed``); the people-facing text is formatted from the codes by one table, never parsed back.
Until role crashplan_removal sets ``stage`` and ``gate.code``, the older keys are read instead (``removed``,
``present_before``, ``gate.open`` and the names of the gate's failed ``checks``), never the reason text.
"""

from __future__ import annotations

# The stage codes, in the order host_stage tries them.
STAGES = (
    "failed",
    "crashplan_removed",
    "waiting_for_backup",
    "crashplan_kept",
    "first_backup_started",
    "first_backup_deferred",
    "first_backup_not_started",
    "settings_applied",
    "settings_applied_no_crashplan",
    "client_installed",
    "not_started",
)

# A host the run could not reach (its connection failed): not a stage of STAGES, host_stage returns it for a host
# marked ``unreachable``; the summary adds the stage it last reached (``last_stage``, ``last_reason``).
UNREACHABLE = "unreachable"

# The one table of people-facing labels (the summary's count lines group by the label).
STAGE_TEXT = {
    "failed": "failed (see above)",
    "crashplan_removed": "CrashPlan removed",
    "waiting_for_backup": "waiting for a working backup",
    "crashplan_kept": "CrashPlan kept",
    "first_backup_started": "first backup started",
    "first_backup_deferred": "first backup deferred to the schedule",
    "first_backup_not_started": "first backup not started",
    "settings_applied": "settings applied",
    "settings_applied_no_crashplan": "settings applied, no CrashPlan",
    "client_installed": "client installed",
    "not_started": "not started",
    UNREACHABLE: "unreachable",
}

# Why the health gate kept CrashPlan: the codes of role crashplan_removal (crashplan_removal_result.gate.code).
REASON_TEXT = {
    "absent": "CrashPlan is not installed",
    "disabled": "health gate disabled",
    "open": "health gate open",
    "comet_not_installed": "Comet Backup is not installed",
    "comet_not_logged_in": "Comet Backup is not logged in",
    "device_id_unknown": "the Comet device ID is unknown",
    "server_error": "the Comet Server could not be asked",
    "device_not_on_server": "the device is not known to the Comet Server",
    "waiting_for_backup": "waiting for the first Comet backup",
}

# Why the first backup was deferred or not started: comet_config_result.backup_reason (module comet_device_settings,
# plugins/module_utils/_first_backup.py). Other codes (not asked, the item existed, offline) are no news: the host's
# stage stays the settings'.
BACKUP_REASON_TEXT = {
    "deferred:outside_window": "outside the first-backup window",
    "deferred:never": "first_backup_window is never",
    "deferred:vpn": "the host's Pulse Secure VPN is connected",
    "not_started:profile_not_applied": "the device has not applied its profile yet",
    "not_started:refused": "the Comet Server refused it",
    "not_started:answer_lost": "the answer was lost and no job was found",
    "not_started:job_not_found": "its job was not found",
}
REASON_TEXT.update(BACKUP_REASON_TEXT)

# Older results (no gate.code): the first failed check of the gate, by its name, gives the code.
_CHECK_CODES = {
    "comet installed": "comet_not_installed",
    "comet logged in": "comet_not_logged_in",
    "comet device id": "device_id_unknown",
    "known to the server": "device_not_on_server",
    "working backup": "waiting_for_backup",
}

# crashplan_removal_result.stage values saying CrashPlan was there when the role started.
_CRASHPLAN_PRESENT_STAGES = ("removed", "would_remove", "kept_gate_closed")

# The facts of one host the summary reads (what the roles set; failed hosts keep theirs).
FACT_KEYS = (
    "comet_config_result",
    "crashplan_removal_result",
    "comet_client_installed",
    "comet_client_installed_version",
    "comet_client_device_id",
    "comet_client_login_status",
)


def _flag(value):
    """A fact's boolean: a real bool, or the text a templated dict may hold ("True", "false")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def _dict(value):
    return value if isinstance(value, dict) else {}


def gate_code(removal):
    """The code of the health gate's decision in a crashplan_removal_result ('' when unknown)."""
    gate = _dict(_dict(removal).get("gate"))
    if gate.get("code"):
        return str(gate["code"])
    if not gate:
        return ""
    if _flag(gate.get("open")):
        return "open"
    for check in gate.get("checks") or ():
        if isinstance(check, dict) and not _flag(check.get("ok")) and check.get("check") in _CHECK_CODES:
            return _CHECK_CODES[check["check"]]
    return ""


def removal_stage(removal):
    """crashplan_removal_result.stage, or the same code from the older keys ('' when the role did not run)."""
    removal = _dict(removal)
    if not removal:
        return ""
    if removal.get("stage"):
        return str(removal["stage"])
    if _flag(removal.get("removed")):
        return "removed"
    if not _flag(removal.get("present_before")):
        return "no_crashplan"
    if not _flag(_dict(removal.get("gate")).get("open")):
        return "kept_gate_closed"
    return "would_remove"


def first_backup_stage(config):
    """(stage, reason) of a first backup deferred or not started (comet_config_result.backup_reason), else None."""
    reason = str(_dict(config).get("backup_reason") or "")
    if reason not in BACKUP_REASON_TEXT or _flag(_dict(config).get("backup_started")):
        return None
    return ("first_backup_deferred" if reason.startswith("deferred:") else "first_backup_not_started"), reason


def host_stage(facts):
    """(stage, reason) of one host from its facts: ``unreachable`` (True: the run could not reach it), ``in_play``
    (False when the host failed or was unreachable) and FACT_KEYS. ``reason`` is the gate's code for
    ``crashplan_kept``, the first backup's code (backup_reason) for ``first_backup_deferred`` and
    ``first_backup_not_started``, else ''."""
    facts = _dict(facts)
    if _flag(facts.get("unreachable", False)):
        return UNREACHABLE, ""
    if not _flag(facts.get("in_play", True)):
        return "failed", ""
    config = _dict(facts.get("comet_config_result"))
    removal = _dict(facts.get("crashplan_removal_result"))
    stage = removal_stage(removal)
    backup = first_backup_stage(config)
    if stage == "removed":
        return "crashplan_removed", ""
    if stage == "kept_gate_closed":
        code = gate_code(removal)
        if code == "waiting_for_backup":
            return backup or ("waiting_for_backup", "")
        return "crashplan_kept", code
    if config and _flag(config.get("backup_started")):
        return "first_backup_started", ""
    if backup:
        return backup
    if config:
        return ("settings_applied" if stage in _CRASHPLAN_PRESENT_STAGES else "settings_applied_no_crashplan"), ""
    if _flag(facts.get("comet_client_installed")):
        return "client_installed", ""
    return "not_started", ""


def stage_text(code, reason=""):
    """The label of a stage code; a kept CrashPlan says why ("CrashPlan kept: Comet Backup is not logged in")."""
    text = STAGE_TEXT.get(code, str(code))
    if reason:
        text = "%s: %s" % (text, REASON_TEXT.get(reason, str(reason)))
    return text


def host_text(facts, stage, reason):
    """The label of a host's stage; an unreachable host's says the stage it last reached, when known (``last_stage``
    and ``last_reason`` of its facts): "unreachable, last reached: client installed"."""
    text = stage_text(stage, reason)
    last = _dict(facts).get("last_stage")
    if stage == UNREACHABLE and last:
        text = "%s, last reached: %s" % (text, stage_text(str(last), str(_dict(facts).get("last_reason") or "")))
    return text


def _text(value):
    return "-" if value is None or value == "" or value is False else str(value)


def migration_summary(hosts):
    """The summary of a run from a list of hosts, each {host, in_play, <FACT_KEYS>} and, for a host the run could not
    reach, ``unreachable`` (with ``last_stage``, ``last_reason`` when known).

    Returns {hosts: [{host, stage, reason, text, version, device, login}], counts: {stage: n}, lines: [...]}: one line
    per host (sorted by name), an empty line, then the count per stage label. Linear in the number of hosts.
    """
    rows = []
    counts = {}
    for facts in sorted((_dict(h) for h in hosts or ()), key=lambda h: str(h.get("host", ""))):
        stage, reason = host_stage(facts)
        counts[stage] = counts.get(stage, 0) + 1
        login = _dict(facts.get("comet_client_login_status"))
        rows.append({
            "host": str(facts.get("host", "")),
            "stage": stage,
            "reason": reason,
            "text": host_text(facts, stage, reason),
            "version": _text(facts.get("comet_client_installed_version")),
            "device": _text(facts.get("comet_client_device_id")),
            "login": str(login["text"]) if login.get("text") is not None else "-",
        })
    lines = ["%-20s %-32s Comet Backup %s, device %s, %s" % (
        row["host"], row["text"], row["version"], row["device"], row["login"]) for row in rows]
    lines.append("")
    lines.extend("%4d  %s" % (counts[code], STAGE_TEXT.get(code, code))
                 for code in sorted(counts, key=lambda c: STAGE_TEXT.get(c, c)))
    return {"hosts": rows, "counts": counts, "lines": lines}
