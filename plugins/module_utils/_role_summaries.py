# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# What roles fleet_report and comet_system_exclusions and playbooks/configure.yml compute from their modules' results
# and the inventory, and the text they show: the report's file names, each account's department (the inventory's
# dept_* groups), the summary lines, the fail_on message; the record of the system-level exclusions and its sentence;
# why configure.yml stops for a host. Reached through the filters of plugins/filter/role_summaries.py and the lookup
# unil.backup.fleet_report_departments; the text is formatted from the records' values, never parsed back.

from __future__ import annotations

import re
import time

# the groups that name a department: dept_<name>
DEPARTMENT_GROUP = re.compile(r"^dept_")
# the variables that name a host's Comet account, the first non-empty one wins
ACCOUNT_VARIABLES = ("comet_client_username", "comet_config_account")
# the report's formats and their file name after the stem
REPORT_SUFFIXES = (("markdown", ".md"), ("json", ".json"), ("csv", "-findings.csv"), ("html", ".html"))
# the OS levels of the system-level exclusions, in the order the sentence names them
EXCLUSION_OS = ("any", "windows", "macos", "linux")


# --- fleet_report -------------------------------------------------------------------------------------------------

def report_files(formats, directory, basename, now, timestamp=True, prometheus_path=""):
    """{format: path} of the report's files, in the order of ``formats``: ``<directory>/<basename>[-<UTC time of
    now>]<suffix>``; the Prometheus file is never timestamped (node_exporter reads one fixed name) and
    ``prometheus_path`` when given."""
    stem = "%s/%s" % (directory, basename)
    if timestamp:
        stem += "-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(now)))
    paths = dict((name, stem + suffix) for name, suffix in REPORT_SUFFIXES)
    paths["prometheus"] = prometheus_path or "%s/%s.prom" % (directory, basename)
    unknown = [name for name in formats if name not in paths]
    if unknown:
        raise ValueError("unknown report format(s): %s (%s)" % (", ".join(map(str, unknown)), ", ".join(sorted(paths))))
    return dict((name, paths[name]) for name in formats)


def department_hosts(groups):
    """The hosts of the dept_* groups, each once, in the order departments_from_groups reads them: the hosts whose
    account is needed."""
    seen, out = set(), []
    for group in sorted(name for name in groups if DEPARTMENT_GROUP.match(name)):
        for host in groups[group] or []:
            if host not in seen:
                seen.add(host)
                out.append(host)
    return out


def host_account(variables):
    """The Comet account of a host from its variables ({name: value}): the first non-empty of ACCOUNT_VARIABLES."""
    for name in ACCOUNT_VARIABLES:
        value = variables.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def departments_from_groups(groups, accounts, overrides=None):
    """{account: department} from the inventory: ``groups`` {group: [host]} (the play's ``groups``), ``accounts``
    {host: account} (host_account of each department host). An account whose hosts are in several dept_* groups gets
    them all, sorted and joined with ", "; a host without an account is left out; ``overrides`` {account: department}
    wins. Linear in the hosts of the dept_* groups."""
    found = {}
    for group in sorted(name for name in groups if DEPARTMENT_GROUP.match(name)):
        for host in groups[group] or []:
            account = accounts.get(host) or ""
            if account and group not in found.setdefault(account, []):
                found[account].append(group)
    out = dict((account, ", ".join(names)) for account, names in found.items())
    out.update(overrides or {})
    return out


def _counts(mapping):
    return ", ".join("%s %s" % (key, value) for key, value in (mapping or {}).items())


def report_lines(report, files, print_findings=20):
    """The lines role fleet_report prints: the summary, the files, then the first ``print_findings`` findings
    ("SEVERITY message")."""
    summary = report["summary"]
    lines = [
        "Fleet report %s: %s accounts (%s without device), %s devices (%s online, %s ok, %s with findings)" % (
            summary["now_iso"], summary["accounts"], summary["accounts_without_device"], summary["devices"],
            summary["devices_online"], summary["devices_ok"], summary["devices_with_findings"]),
        "Findings: %s - %s" % (summary["findings"], _counts(summary.get("by_severity"))),
        "By finding: %s" % _counts(summary.get("by_finding")),
        "Backup jobs in the last %s days: %s; devices without any: %s" % (
            summary["week_days"], _counts(summary.get("by_status")) or "none", summary["devices_without_jobs_this_week"]),
        "Files: %s" % ", ".join(files.values()),
    ]
    top = report.get("findings") or []
    return lines + ["%s %s" % (str(f.get("severity", "")).upper(), f.get("message", "")) for f in top[:max(0, int(print_findings))]]


def failing_message(failing, fail_on, files):
    """Why role fleet_report fails (fleet_report_fail_on): "" when no finding is at or above the severity."""
    if not failing:
        return ""
    codes = []
    for finding in failing:
        if finding.get("code") not in codes:
            codes.append(finding.get("code"))
    return ("unil.backup.fleet_report: %d finding(s) of severity %s or higher (fleet_report_fail_on): %s; report in %s"
            % (len(failing), fail_on, ", ".join(str(c) for c in codes), ", ".join(files.values())))


# --- comet_system_exclusions --------------------------------------------------------------------------------------

def system_exclusions_result(applied, datavaults):
    """The fact comet_system_exclusions_result from unil.backup.comet_exclusions's result (level system)."""
    exclusions = applied.get("exclusions") or {}
    return {
        "policy_id": applied.get("policy_id"),
        "policy_name": applied.get("policy_name"),
        "exclusions": exclusions,
        "counts": dict((name, len(exclusions.get(name) or [])) for name in EXCLUSION_OS),
        "datavaults": bool(datavaults),
        "changed": bool(applied.get("changed")),
    }


def system_exclusions_line(result, state, check_mode=False):
    """The sentence role comet_system_exclusions shows for its record (system_exclusions_result)."""
    counts = result.get("counts") or {}
    if not result.get("changed"):
        outcome = "already as wanted"
    else:
        outcome = "would be changed (check mode)" if check_mode else "changed"
    return 'Policy %s "%s": %d system-level exclusions (%s; DataVaults %s, state %s) - %s.' % (
        result.get("policy_id"), result.get("policy_name"), sum(counts.values()), _counts(counts),
        "included" if result.get("datavaults") else "not included", state, outcome)


# --- playbooks/configure.yml --------------------------------------------------------------------------------------

CONFIGURE_REASONS = {
    "not_installed": "is not installed",
    "not_logged_in": "reports no device ID (not logged in: %s)",
}


def configure_refusal(installed, device_id="", login_status=None, device_id_given=False):
    """Why configure.yml cannot apply a host's settings, as a code ({reason, login}); None when it can: the device ID
    is given (comet_config_device_id) or read from the installed client."""
    if device_id_given or device_id:
        return None
    if not installed:
        return {"reason": "not_installed", "login": ""}
    login = login_status.get("text") if isinstance(login_status, dict) else None
    return {"reason": "not_logged_in", "login": str(login or "").strip() or "no answer"}


def configure_refusal_text(refusal, host):
    """The message of a configure_refusal: "" for None."""
    if not refusal:
        return ""
    reason = CONFIGURE_REASONS[refusal["reason"]]
    if "%s" in reason:
        reason = reason % refusal.get("login", "")
    return ("%s: the Comet Backup client %s: install it first (playbook unil.backup.install or unil.backup.site), or set "
            "comet_config_device_id." % (host, reason))
