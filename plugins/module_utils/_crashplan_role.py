# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role unil.backup.crashplan_removal: its checks, the reuse of a probe, the health gate's inputs, its result and
its report, computed on the controller (filters in plugins/filter/crashplan_removal.py; scripts/validate_inventory.py
calls role_problems too).

PRIVATE to the collection. Pure functions: what the host, the Comet Server or the environment said comes in as
arguments. The rules of the gate itself are _crashplan.decide_gate's.
"""

from __future__ import annotations

import re

from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _host_facts

PREFIX = "crashplan_removal_"
SUPPORTED_OS = ("linux", "windows", "macos")
# What crashplan_removal_result.stage says happened to CrashPlan on the host.
STAGES = ("no_crashplan", "removed", "would_remove", "kept_gate_closed")
# The controller's environment variables the deactivation falls back to (unil.backup.crashplan_device).
SERVER_ENV = (("server_url", "CRASHPLAN_SERVER_URL"), ("server_username", "CRASHPLAN_USERNAME"),
              ("server_password", "CRASHPLAN_PASSWORD"))
_BRAND_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_LINUX_DIR_RE = re.compile(r"^/.+[^/]$")
_WINDOWS_ABSOLUTE_RE = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")
_TRUE = ("true", "yes", "on", "1", "y", "t")


def boolean(value):
    """A role variable read as Ansible's ``bool`` filter reads it (a string "false" is false)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return str(value or "").strip().lower() in _TRUE


# the facts the role decides on (os_of); without them the role gathers setup's min subset first
FACTS_NEEDED = ("system", "os_family")


def facts_missing(facts):
    """Whether the facts the role needs are not there yet (a play without facts and without role comet_client)."""
    return _host_facts.facts_missing(facts, FACTS_NEEDED, linux_service_manager=False)


def os_of(facts):
    """linux, windows, macos or unsupported, from ansible_facts (os_family, system)."""
    facts = facts if isinstance(facts, dict) else {}
    system, family = str(facts.get("system") or ""), str(facts.get("os_family") or "")
    if family == "Windows" or system == "Win32NT":
        return "windows"
    if system == "Darwin":
        return "macos"
    if system == "Linux":
        return "linux"
    return "unsupported"


def _text(value):
    return "" if value is None else str(value)


def role_problems(variables, os_name=None, facts=None, env=None, is_file=None):
    """Every problem of the role's variables at once, each {var, message}; [] when there is none.

    ``variables``: the crashplan_removal_* values known (the role passes all of them; the inventory validator only
    those it can read: a check whose variables are not all given is left out). ``os_name``: os_of() of the host, None
    when unknown. ``env``: the controller's environment (None: unknown, the server credentials are not checked);
    ``is_file``: a test of a controller path (None: not checked). Types and choices are the argument_specs' business.
    """
    v = dict((k[len(PREFIX):], val) for k, val in (variables or {}).items() if str(k).startswith(PREFIX))
    out = []

    def problem(var, message):
        out.append({"var": PREFIX + var if var else "", "message": message})

    def known(*names):
        return all(name in v for name in names)

    if os_name == "unsupported":
        facts = facts if isinstance(facts, dict) else {}
        out.append({"var": "ansible_facts.os_family", "message": "unsupported OS family %s (system %s); supported: "
                    "Linux, Windows, macOS." % (facts.get("os_family") or "unknown", facts.get("system") or "unknown")})
    tarball = _text(v.get("linux_uninstaller_tarball"))
    if os_name in ("linux", None) and tarball and is_file is not None and not is_file(tarball):
        problem("linux_uninstaller_tarball", "%s is not a file on the controller." % tarball)
    if known("archives"):
        archives = v["archives"]
        if not isinstance(archives, (list, tuple)):
            problem("archives", "must be a list of paths.")
        elif os_name != "windows":
            relative = [str(a) for a in archives if not str(a).startswith("/")
                        and (os_name is not None or not _WINDOWS_ABSOLUTE_RE.match(str(a)))]
            if relative:
                problem("archives", "every entry must be an absolute path (%s)." % ", ".join(relative))
    if known("gate", "require_server_check", "comet_account") and boolean(v["gate"]) \
            and boolean(v["require_server_check"]) and not _text(v["comet_account"]):
        problem("comet_account", "(the Comet account of the host's device) is required for the server check; set it, "
                "or set crashplan_removal_require_server_check to false.")
    if known("comet_brand") and not _BRAND_RE.match(_text(v["comet_brand"])):
        problem("comet_brand", "must be letters, digits, '.', '_' or '-'.")
    if known("comet_linux_install_dir") and not _LINUX_DIR_RE.match(_text(v["comet_linux_install_dir"])):
        problem("comet_linux_install_dir", "must be an absolute directory.")
    if known("require_backup", "require_server_check") and boolean(v["require_backup"]) \
            and not boolean(v["require_server_check"]):
        problem("require_backup", "needs crashplan_removal_require_server_check (the backup is read on the server).")
    if known("deactivate_on_server") and boolean(v["deactivate_on_server"]) and env is not None:
        for name, env_name in SERVER_ENV:
            if known(name) and not _text(v[name]) and not env.get(env_name):
                problem(name, "(or %s on the controller) is required with crashplan_removal_deactivate_on_server."
                        % env_name)
    return out


def problems_text(problems):
    """The role's failure message from role_problems ('' when there is none)."""
    if not problems:
        return ""
    return "unil.backup.crashplan_removal: " + " ".join(
        ("%s: %s" % (p["var"], p["message"])) if p["var"] else p["message"] for p in problems)


def reused_probe(probe, os_name, archives, log_dir=cp.WINDOWS_DEFAULT_LOG_DIR, linux_backup_tool=""):
    """The probe of unil.backup.comet_client (comet_client_host_info) with its ``crashplan`` part as this role would
    read it, or None when it cannot answer the role's detection (then the role probes the host itself).

    Linux: host_info read CrashPlan with the same archives, and the same backup-tool (the gate reads its login status).
    macOS: host_info read CrashPlan with the same archives; its backup-tool is the Mac app's, the Comet client the gate
    is about. Windows: the probe kept CrashPlan's raw answer; the plan is made again with this role's archives and
    log folder (neither is read on the host).
    """
    if not isinstance(probe, dict) or not isinstance(probe.get("probed"), dict) or os_name not in SUPPORTED_OS:
        return None
    probed = probe["probed"]
    wanted = [str(a) for a in archives or []]
    if os_name == "windows":
        raw = (probe.get("windows") or {}).get("crashplan_probe")
        if not isinstance(raw, dict):
            return None
        return dict(probe, crashplan=cp.windows_facts(raw, str(log_dir or cp.WINDOWS_DEFAULT_LOG_DIR), wanted))
    if probed.get("crashplan") is not True or not isinstance(probe.get("crashplan"), dict):
        return None
    if probed.get("crashplan_uninstaller") or [str(a) for a in probed.get("crashplan_archives") or []] != wanted:
        return None
    if os_name == "linux" and probed.get("backup_tool") != linux_backup_tool:
        return None
    return probe


def gate_comet(probe, os_name="", installed_version=None, device_id="", login_status=None):
    """The Comet part of the health gate: the probe's ``comet`` (host_info, the Windows probe), else the facts of
    unil.backup.comet_client (comet_client_installed_version, comet_client_device_id, comet_client_login_status),
    else Comet counts as not installed, with the reason."""
    comet = (probe or {}).get("comet") if isinstance(probe, dict) else None
    if isinstance(comet, dict):
        login = comet.get("login") or {}
        return {"installed": bool(comet.get("installed")), "version": _text(comet.get("version")),
                "device_id": _text(comet.get("device_id")), "login_code": int(login.get("code", -1)),
                "login_text": _text(login.get("text"))}
    if installed_version is not None:
        login = login_status if isinstance(login_status, dict) else {}
        return {"installed": len(_text(installed_version)) > 0, "version": _text(installed_version),
                "device_id": _text(device_id), "login_code": int(login.get("code", -1)),
                "login_text": _text(login.get("text"))}
    return {"installed": False, "version": "", "device_id": "", "login_code": -1,
            "login_text": "no comet_client facts on this %s host: run unil.backup.comet_client first (or set "
                          "comet_client_installed_version, comet_client_device_id, comet_client_login_status)"
                          % (os_name or "unknown")}


def gate_server(info, device_id, account="", required=True, require_backup=True):
    """The server part of the health gate from the registered result of unil.backup.comet_info (None or skipped: not
    asked, only ``required``). A failed call (its result has no ``devices``) is an error with its message."""
    required, require_backup = boolean(required), boolean(require_backup)
    if not isinstance(info, dict) or info.get("skipped"):
        return {"required": required}
    server = {"required": required, "account": _text(account), "require_backup": require_backup, "error": "",
              "known": False, "last_backup_ok": False, "last_backup": "none"}
    if not isinstance(info.get("devices"), list):
        server["error"] = _text(info.get("msg")) or "failed"
        return server
    device = next((d for d in info["devices"] if isinstance(d, dict) and d.get("device_id") == device_id), None)
    if device is None:
        return server
    server["known"] = True
    # at least one backup job of the device backed the data up (success or warning): unil.backup.comet_info
    server["last_backup_ok"] = isinstance(device.get("last_working_backup"), dict)
    job = device.get("last_backup")
    if isinstance(job, dict):
        server["last_backup"] = "%s (status %s)" % (job.get("status_name") or "-", job.get("status", "-"))
    return server


def deactivation(registered, guid):
    """crashplan_removal_result.server_deactivation from the registered unil.backup.crashplan_device task (run with
    failed_when: false; skipped when there is no GUID)."""
    registered = registered if isinstance(registered, dict) else {}
    skipped = bool(registered.get("skipped")) or not registered
    ok = not skipped and isinstance(registered.get("device"), dict)
    out = {"enabled": True, "guid": _text(guid), "done": ok, "changed": ok and bool(registered.get("changed")),
           "status": _text((registered.get("device") or {}).get("status")) if ok else "",
           "error": "" if ok or skipped else (_text(registered.get("msg")) or "failed without a message"),
           "reason": "no GUID found (no CrashPlan .identity on the host): nothing to deactivate" if skipped else ""}
    if ok and _text(registered["device"].get("name")):
        out["name"] = _text(registered["device"]["name"])  # the device's name on the CrashPlan server
    return out


def reboot_required(results):
    """Whether the uninstallers' results (registered win_package and win_command loops) ask for a reboot: win_package
    says so, or an exit code means it (_crashplan.MSI_REBOOT_CODES)."""
    for item in results or []:
        if not isinstance(item, dict):
            continue
        if item.get("reboot_required") is True:
            return True
        try:
            if int(item.get("rc")) in cp.MSI_REBOOT_CODES:
                return True
        except (TypeError, ValueError):
            continue
    return False


def leftovers(facts, host):
    """The failure message when CrashPlan is still there after the removal, from the last detection's facts."""
    facts = facts if isinstance(facts, dict) else {}

    def names(items, key):
        return ", ".join(str(i.get(key)) if isinstance(i, dict) else str(i) for i in items or []) or "none"

    if facts.get("os") == "windows":
        products = [a for a in facts.get("actions") or [] if isinstance(a, dict) and a.get("kind") != "per_user"]
        what = "machine-wide products %s" % names(products, "name")
    elif facts.get("os") == "macos":
        what = "apps %s, daemons %s, receipts %s" % (facts.get("install_dir") or "none", names(facts.get("daemons"), "path"),
                                                     names(facts.get("receipts"), "id"))
    else:
        what = "services %s, processes %s, files %s" % (names(facts.get("services"), "name"),
                                                        names(facts.get("processes"), "pid"), names(facts.get("remove"), ""))
    return "unil.backup.crashplan_removal: CrashPlan is still there on %s after the removal: %s. Kept on purpose: %s." % (
        host, what, "; ".join(str(k) for k in facts.get("keep") or []) or "nothing")


def stage_of(present_before, gate_open, check_mode):
    if not present_before:
        return "no_crashplan"
    if not gate_open:
        return "kept_gate_closed"
    return "would_remove" if check_mode else "removed"


def role_result(before, after, gate, check_mode=False, removed_paths=None, commands=None, reboot_required=False,
                server_deactivation=None, deactivate_on_server=False):
    """crashplan_removal_result: what was found (``before``, the detection's crashplan facts), the gate, what was done
    (``after``: the last detection), and ``stage`` (STAGES)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else before
    gate = gate if isinstance(gate, dict) else {}
    present_before = bool(before.get("present"))
    gate_open = bool(gate.get("open"))
    check_mode = boolean(check_mode)
    return {
        "stage": stage_of(present_before, gate_open, check_mode),
        "present_before": present_before,
        "present": bool(after.get("present")) if gate_open else present_before,
        "removed": present_before and gate_open and not check_mode,
        "check_mode": check_mode,
        "gate": gate,
        "version": _text(before.get("version")),
        "era": _text(before.get("era")),
        "install_dir": _text(before.get("install_dir")),
        "guid": _text(before.get("guid")),
        "services": list(before.get("services") or []),
        "archives": [a for a in before.get("archives") or [] if isinstance(a, dict) and a.get("exists")],
        "removed_paths": [] if check_mode else list(removed_paths or []),
        "would_remove": list(before.get("remove") or []) if (check_mode or not gate_open) else [],
        "commands": list(commands or []),
        "kept": list(before.get("keep") or []),
        "per_user_left": list(before.get("per_user_left") or []),
        "reboot_required": boolean(reboot_required),
        "server_deactivation": server_deactivation if isinstance(server_deactivation, dict)
        else {"enabled": boolean(deactivate_on_server), "done": False},
    }


def _server_sentence(sd, check_mode):
    if not isinstance(sd, dict) or "guid" not in sd:
        return ""
    guid = _text(sd.get("guid"))
    if sd.get("reason"):
        text = _text(sd["reason"])
    elif sd.get("error"):
        text = "device %s NOT deactivated: %s" % (guid, sd["error"])
    elif sd.get("changed"):
        text = "device %s %s" % (guid, "would be deactivated" if check_mode else "deactivated")
    else:
        text = "device %s already %s" % (guid, _text(sd.get("status")).lower())
    return "CrashPlan server: %s." % text


# Seed 000, FAQ "Puis-je transférer automatiquement mon historique de sauvegarde de Code42 CrashPlan à Comet Backup?":
# "Non. Le passage à Comet Backup implique que la sauvegarde recommence à zéro" - said whenever CrashPlan is there.
HISTORY_NOT_TRANSFERRED = ("CrashPlan's backup history is not transferred to Comet Backup (its backup starts from "
                           "zero): restore from CrashPlan what is still needed while its server still serves it.")


def report(result, host, fail_when_gate_closed=False, fail_when_deactivation_fails=True):
    """The people-facing report of crashplan_removal_result and whether the host fails: {failed, problems, msg}."""
    r = result if isinstance(result, dict) else {}
    gate = r.get("gate") or {}
    stage = r.get("stage") or stage_of(r.get("present_before"), gate.get("open"), r.get("check_mode"))
    would = ", ".join(str(p) for p in r.get("would_remove") or [])
    reason = _text(gate.get("reason"))
    if stage == "no_crashplan":
        parts = ["CrashPlan is not installed on %s: nothing to remove." % host]
    else:
        what = "CrashPlan %s(%s) in %s:" % (("%s " % r["version"]) if r.get("version") else "", _text(r.get("era")),
                                            r.get("install_dir") or "-")
        if stage == "kept_gate_closed":
            outcome = "NOT removed, health gate closed: %s. Would remove: %s." % (reason, would)
        elif stage == "would_remove":
            outcome = "would be removed (%s): %s." % (reason, would)
        else:
            outcome = "removed (%s): %s." % (reason, ", ".join(str(p) for p in r.get("removed_paths") or []))
        parts = [what, outcome]
        if stage in ("removed", "would_remove"):
            done = "removed" if stage == "removed" else "would be removed"
            parts.append("CrashPlan %s in this run from %s." % (done, device_label(r, host)))
        parts.append(HISTORY_NOT_TRANSFERRED)
    parts.append("Kept: %s." % "; ".join(str(k) for k in r.get("kept") or []))
    if r.get("per_user_left"):
        left = []
        for item in r["per_user_left"]:
            if isinstance(item, dict):
                left.append("%s for %s%s" % (item.get("name") or "CrashPlan", item.get("user") or item.get("sid") or "a user",
                                             (" (%s)" % " ".join(str(a) for a in item["argv"])) if item.get("argv") else ""))
            else:
                left.append(str(item))
        parts.append("Left for their users: %s." % "; ".join(left))
    if r.get("reboot_required"):
        parts.append("A reboot is needed to finish.")
    server = _server_sentence(r.get("server_deactivation"), boolean(r.get("check_mode")))
    if server:
        parts.append(server)
    problems = []
    if boolean(fail_when_gate_closed) and stage == "kept_gate_closed":
        problems.append("CrashPlan not removed from %s: %s." % (host, reason))
    sd = r.get("server_deactivation") or {}
    if boolean(fail_when_deactivation_fails) and _text(sd.get("error")):
        problems.append("the CrashPlan device %s of %s was not deactivated: %s" % (sd.get("guid") or "-", host, sd["error"]))
    text = " ".join(parts)
    if problems:
        text = "unil.backup.crashplan_removal: %s %s" % (" ".join(problems), text)
    return {"failed": bool(problems), "problems": problems, "msg": text}


def device_label(result, host):
    """The device a result is about, as people know it: the host, with the CrashPlan device's name on the server (when
    the deactivation read it) and its GUID (when found) - ``pc1 (CrashPlan device PC1, GUID 42)``."""
    r = result if isinstance(result, dict) else {}
    sd = r.get("server_deactivation") if isinstance(r.get("server_deactivation"), dict) else {}
    name, guid = _text(sd.get("name")), _text(r.get("guid") or sd.get("guid"))
    details = (["CrashPlan device %s" % name] if name and name != host else []) + (["GUID %s" % guid] if guid else [])
    return "%s (%s)" % (host or "-", ", ".join(details)) if details else (host or "-")


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def run_summary(results):
    """The CrashPlan removal summary of a run (seed 000 FAQ, "Puis-je transférer automatiquement mon historique de
    sauvegarde de Code42 CrashPlan à Comet Backup?": "Non"): the devices CrashPlan was removed from in this run (or
    would be, in check mode), those where the health gate kept it, and that CrashPlan's history is not transferred.
    ``results``: {host: crashplan_removal_result}. Returns {removed, would_remove, kept, msg}: lists of {host, name,
    guid, label} (``kept`` with the gate's ``code``), by host name."""
    out = {"removed": [], "would_remove": [], "kept": []}
    for host in sorted(results or {}, key=str):
        r = results[host] if isinstance(results[host], dict) else {}
        stage = r.get("stage") or ""
        key = {"removed": "removed", "would_remove": "would_remove", "kept_gate_closed": "kept"}.get(stage)
        if not key:
            continue
        sd = r.get("server_deactivation") if isinstance(r.get("server_deactivation"), dict) else {}
        entry = {"host": str(host), "name": _text(sd.get("name")), "guid": _text(r.get("guid") or sd.get("guid")),
                 "label": device_label(r, str(host))}
        if key == "kept":
            entry["code"] = _text((r.get("gate") or {}).get("code"))
        out[key].append(entry)
    parts = []
    for key, what in (("removed", "CrashPlan removed in this run from %s: %s."),
                      ("would_remove", "CrashPlan would be removed in this run from %s: %s."),
                      ("kept", "CrashPlan kept by the health gate on %s: %s.")):
        if out[key]:
            parts.append(what % (_plural(len(out[key]), "device"), ", ".join(
                e["label"] + ((" [%s]" % e["code"]) if e.get("code") else "") for e in out[key])))
    if not parts:
        parts.append("CrashPlan removed from no device in this run.")
    if out["removed"] or out["would_remove"] or out["kept"]:
        parts.append(HISTORY_NOT_TRANSFERRED)
    out["msg"] = " ".join(parts)
    return out
