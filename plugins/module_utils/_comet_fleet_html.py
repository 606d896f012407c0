# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The fleet report (the result of comet_fleet_report: summary, findings, accounts, devices) as ONE self-contained HTML
# page a person reads, in a browser or opened from a mail attachment: no network (a Content-Security-Policy allows
# nothing but the page's own style and script, by hash), charts drawn as inline SVG, a small vanilla script that only
# sorts and filters the table of the devices that need action; without the script everything is readable. Every
# value from the server or the inventory (device and account names are user data) is escaped.
#
# Each device has one state (the first that applies), from the findings of _comet_fleet:
#   obsolete   finding obsolete (no working backup for more than the threshold)
#   never      finding never_backed_up
#   failing    finding last_job_failed or only_abandoned_or_error_this_week
#   no_jobs    finding no_jobs_this_week
#   warning    the last backup job ended Warning: a WORKING backup (the service says so), shown apart
#   working    everything else: a working backup, recent
# "Working" in the summary counts working + warning.

from __future__ import annotations

import base64
import datetime
import hashlib
from html import escape

from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import int_or_zero
from ansible_collections.unil.backup.plugins.module_utils._comet_known_problems import job_logs_text
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_migration as migration_rules

DAY = 86400

STATES = (
    ("obsolete", "Obsolete", "#7b1fa2",
     "no working backup (Success or Warning) for longer than the obsolete threshold"),
    ("never", "Never backed up", "#c62828", "no working backup in the device's history"),
    ("failing", "Failing", "#e65100",
     "the last backup job failed, or every backup job of the recent window ended Abandoned or Error"),
    ("no_jobs", "No jobs this week", "#546e7a", "no backup job at all in the recent window"),
    ("warning", "Warning", "#f9a825", "working backup; its last job ended Warning (the job ran to the end)"),
    ("working", "Working", "#2e7d32", "working backup, recent"),
)
STATE_LABEL = dict((key, label) for key, label, dummy, dummy2 in STATES)
STATE_COLOR = dict((key, color) for key, dummy, color, dummy2 in STATES)
STATE_RANK = dict((key, i) for i, (key, dummy, dummy2, dummy3) in enumerate(STATES))

SEVERITY_RANK = {"ok": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

# Job status labels (_comet_fleet.status_label) -> colour; an unknown label is grey-blue.
STATUS_COLOR = {
    "Success": "#2e7d32",
    "Warning": "#f9a825",
    "Running": "#1e88e5",
    "Running (revived)": "#42a5f5",
    "Running (retrying)": "#64b5f6",
    "Not yet started": "#90caf9",
    "Timeout": "#ef6c00",
    "Error": "#c62828",
    "Quota exceeded": "#ad1457",
    "Missed": "#757575",
    "Cancelled": "#9e9e9e",
    "Skipped": "#bdbdbd",
    "Abandoned": "#6a1b9a",
}
OTHER_COLOR = "#607d8b"

TITLES = {
    "obsolete": "Backup obsolete",
    "never_backed_up": "Never backed up",
    "only_abandoned_or_error_this_week": "Only Abandoned or Error jobs",
    "no_jobs_this_week": "No backup job",
    "last_job_failed": "Last backup job failed",
    "account_closing": "Account closing",
    "no_device": "Account without a computer",
    "outdated_client": "Outdated client",
    "devices_over_limit": "More devices than the licence limit",
    "stale_device": "Stale device",
    "policy_mismatch": "Not on the site's policy",
    "mails_not_received": "No one receives the mails",
}

# What to do, when the finding carries no "fix" of its own.
FIXES = {
    "obsolete": "Check that the computer is on, connected and its Comet Backup client logged in; run a backup and "
                "check it ends Success or Warning. The service deletes the backup of a computer not backed up for "
                "more than 5 months.",
    "never_backed_up": "Check that the client is logged in and the device has a protected item and a schedule "
                       "(role unil.backup.comet_config), then run a first backup.",
    "never_backed_up_running": "Nothing yet: its first backup is running. Check again once it has ended.",
    "only_abandoned_or_error_this_week": "Read the week's job logs in the Comet web console, fix the cause (disk, "
                                         "network, permissions, quota, computer asleep) and run a backup.",
    "no_jobs_this_week": "Switch the computer on and connect it; check that the client runs and the device has a "
                         "schedule (role unil.backup.comet_config).",
    "last_job_failed": "Read the last job's log in the Comet web console and fix its cause; a Missed, Cancelled or "
                       "Skipped job is usually made up by the next scheduled run.",
    "account_closing": "Tell the user: the backups are deleted on the date shown unless the account is re-activated.",
    "no_device": "Install the client on the user's computer (role unil.backup.comet_client), or close the unused "
                 "account.",
    "outdated_client": "Upgrade the client (playbook unil.backup.install, role unil.backup.comet_client).",
}

COLUMNS = (
    # header, numeric sort
    ("Severity", True),
    ("State", True),
    ("Department", False),
    ("Account", False),
    ("Device", False),
    ("Platform", False),
    ("Last working backup", True),
    ("Last backup job", True),
    ("Reason", False),
    ("Fix", False),
)

CHART_MAX_ROWS = 30

STYLE = """
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;color:#1b1f23;
background:#f6f7f9}
header{background:#123a5e;color:#fff;padding:16px 24px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#dbe6f0}
main{padding:8px 24px 32px;max-width:1600px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0;list-style:none}
.card{border:1px solid #dde1e6;border-left:6px solid #90a4ae;border-radius:4px;padding:6px 12px;min-width:120px}
.card b{display:block;font-size:24px}
.card span{color:#4a5560}
.c-obsolete{border-left-color:#7b1fa2}.c-never{border-left-color:#c62828}.c-failing{border-left-color:#e65100}
.c-no_jobs{border-left-color:#546e7a}.c-warning{border-left-color:#f9a825}.c-working{border-left-color:#2e7d32}
.c-action{border-left-color:#123a5e}
.note{color:#4a5560;font-size:13px}
.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}
.legend svg{vertical-align:-1px;margin-right:4px}
svg.chart{width:100%;height:auto;max-width:1100px;display:block}
svg.chart text{font:11px system-ui,"DejaVu Sans",Arial,sans-serif;fill:#333}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 6px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}
#action-table td:nth-child(9),#action-table td:nth-child(10){min-width:16em}
th{background:#eef1f4;position:sticky;top:0}
th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;cursor:pointer;color:inherit;text-align:left}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
td.num,th.num{text-align:right}
td ul{margin:0;padding-left:16px}
.sev{font-weight:bold;text-transform:uppercase;font-size:11px;padding:1px 5px;border-radius:3px;color:#fff;
background:#78909c}
.sev-critical{background:#7b1fa2}.sev-error{background:#c62828}.sev-warning{background:#b26a00}
.sev-info{background:#1565c0}
code{font-size:12px;background:#f1f3f5;padding:0 3px;word-break:break-all}
#filter{font:inherit;padding:4px 8px;width:320px;max-width:100%;margin:0 8px 8px 0}
tr[hidden]{display:none}
#migration-stuck td:last-child{min-width:20em}
.dept-runs{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:8px 16px}
.dept-runs h3{font-size:14px;margin:6px 0 2px}
@media print{#filter,#shown{display:none}th{position:static}body{background:#fff}}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var body = document.body;
  var errors = [];
  function fail(text) {
    errors.push(String(text));
    body.setAttribute("data-js-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (ev) { fail(ev.message || "error"); });
  document.addEventListener("securitypolicyviolation", function (ev) {
    fail("CSP " + ev.violatedDirective + " " + (ev.blockedURI || ""));
  });
  var table = document.getElementById("action-table");
  if (!table) { body.setAttribute("data-ready", "1"); return; }
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  Array.prototype.forEach.call(tbody.rows, function (row, i) { row.setAttribute("data-order", String(i)); });

  function key(row, index) {
    var cell = row.cells[index];
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim() : value;
  }
  function sortBy(index, direction) {
    var numeric = heads[index].getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = key(a, index), y = key(b, index), c;
      c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : collator.compare(x, y);
      if (c === 0) { c = parseInt(a.getAttribute("data-order"), 10) - parseInt(b.getAttribute("data-order"), 10); }
      else { c = c * direction; }
      return c;
    });
    rows.forEach(function (row) { tbody.appendChild(row); });
    Array.prototype.forEach.call(heads, function (th, i) {
      if (i === index) { th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending"); }
      else { th.removeAttribute("aria-sort"); }
    });
  }
  function applyFilter(text) {
    var words = text.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var hay = row.textContent.toLowerCase();
      var hit = words.every(function (w) { return hay.indexOf(w) >= 0; });
      row.hidden = !hit;
      if (hit) { count += 1; }
    });
    shown.textContent = count + " of " + tbody.rows.length + " shown";
    return count;
  }
  Array.prototype.forEach.call(heads, function (th, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    button.title = "Sort by " + th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      sortBy(index, th.getAttribute("aria-sort") === "ascending" ? -1 : 1);
    });
  });
  input.hidden = false;
  shown.hidden = false;
  input.addEventListener("input", function () { applyFilter(input.value); });
  applyFilter("");

  if (location.hash === "#selftest") {
    // For the tests: sort and filter as a person would, write what the page shows into the DOM.
    var result = {};
    var column = function (index) {
      return Array.prototype.map.call(tbody.rows, function (row) { return key(row, index); });
    };
    var deviceIndex = 4, ageIndex = 6;
    heads[deviceIndex].querySelector("button").click();
    result.device_asc = column(deviceIndex);
    heads[deviceIndex].querySelector("button").click();
    result.device_desc = column(deviceIndex);
    heads[ageIndex].querySelector("button").click();
    result.age_asc = column(ageIndex).map(Number);
    result.rows = tbody.rows.length;
    result.filtered = applyFilter("selftest-filter-needle");
    result.shown_text = shown.textContent;
    result.unfiltered = applyFilter("");
    var out = document.createElement("pre");
    out.id = "selftest";
    out.textContent = JSON.stringify(result);
    body.appendChild(out);
  }
  body.setAttribute("data-ready", "1");
})();
"""


def _csp_hash(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; style-src %s; script-src %s; img-src data:; base-uri 'none'; form-action 'none'"
       % (_csp_hash(STYLE), _csp_hash(SCRIPT)))


def e(value):
    """Text escaped for HTML content and attribute values (and inline SVG); None is empty."""
    return escape("" if value is None else str(value), quote=True)


def _short(text, size):
    text = "" if text is None else str(text)
    return text if len(text) <= size else text[:size - 1] + "\u2026"


def _date(epoch):
    if not epoch:
        return ""
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%d")


def _when(epoch):
    if not epoch:
        return ""
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def device_state(device):
    """One of STATES' keys for a device view of _comet_fleet.device_report."""
    codes = set(device.get("findings") or ())
    if "obsolete" in codes:
        return "obsolete"
    if "never_backed_up" in codes:
        return "never"
    if "last_job_failed" in codes or "only_abandoned_or_error_this_week" in codes:
        return "failing"
    if "no_jobs_this_week" in codes:
        return "no_jobs"
    if ((device.get("last_job") or {}).get("label") or "") == "Warning":
        return "warning"
    return "working"


def department_of(account, departments):
    """The department of an account (the inventory's dept_* group), the account itself when unknown."""
    return (departments or {}).get(account) or account or ""


def reason_text(finding):
    """One sentence for a person, from the finding's details; its message when the details say too little."""
    code = finding.get("code")
    d = finding.get("details") or {}
    try:
        if code == "obsolete" and d.get("last_working_time"):
            return "No working backup for %d days (last one on %s; obsolete before %s)." % (
                int_or_zero(d.get("age_days")), _date(d["last_working_time"]), _date(d.get("obsolete_before")))
        if code == "never_backed_up":
            if d.get("first_backup_running"):
                return "No working backup yet: its first backup is running."
            return "No working backup (Success or Warning) in its history."
        if code == "only_abandoned_or_error_this_week" and d.get("week_days"):
            week = d.get("week") or {}
            return "Every backup job of the last %d days ended Abandoned or Error (%s)." % (
                int_or_zero(d["week_days"]), ", ".join("%s %s" % (k, v) for k, v in week.items()) or "none")
        if code == "no_jobs_this_week" and d.get("week_days"):
            last = d.get("last_job_time")
            return "No backup job in the last %d days%s." % (
                int_or_zero(d["week_days"]), (" (last one on %s)" % _date(last)) if last else " (none known)")
        if code == "last_job_failed" and d.get("label"):
            return "The last backup job ended %s on %s." % (d["label"], _when(d.get("time")))
        if code == "account_closing":
            if d.get("source") == "announcement" and d.get("data_deletion_date"):
                left = d.get("days_left")
                return "Closing announced on %s: its backups are deleted on %s (%s)." % (
                    _date(d.get("announced_time")), d["data_deletion_date"],
                    ("in %d day(s)" % left) if left is not None and left > 0 else "date reached")
            if d.get("data_deletion_date"):
                left = d.get("days_left")
                return "Account suspended since %s: its backups are deleted on %s (%s)." % (
                    _date(d.get("suspended_since")), d["data_deletion_date"],
                    ("in %d day(s)" % left) if left is not None and left > 0 else "date reached")
            return "Account suspended (since when is unknown): its backups are deleted 14 days after the suspension."
        if code == "no_device":
            return "The account has no computer."
        if code == "outdated_client" and d.get("minimum"):
            if d.get("version"):
                return "Client %s is older than %s." % (d["version"], d["minimum"])
            return "Client version unknown (minimum %s)." % d["minimum"]
    except (TypeError, ValueError, KeyError, OverflowError):
        pass
    return finding.get("message") or code or ""


def fix_text(finding):
    if finding.get("fix"):
        return str(finding["fix"])
    code = finding.get("code")
    if code == "never_backed_up" and (finding.get("details") or {}).get("first_backup_running"):
        return FIXES["never_backed_up_running"]
    return FIXES.get(code, "")


def known_problems(device, findings):
    """The known problems of a device (its own list and its findings', the same problem once), in order."""
    out, seen = [], set()
    lists = [(device or {}).get("known_problems")] + [f.get("known_problems") for f in findings]
    for problems in lists:
        for problem in problems or []:
            if not isinstance(problem, dict):
                continue
            key = problem.get("id") or problem.get("title") or repr(sorted(problem.items()))
            if key not in seen:
                seen.add(key)
                out.append(problem)
    return out


def _reason_cell(findings, problems):
    items = ["<li><b>%s</b>: %s</li>" % (e(TITLES.get(f.get("code"), f.get("code"))), e(reason_text(f)))
             for f in findings]
    for p in problems:
        items.append("<li><b>Known problem</b>: %s%s%s</li>" % (
            e(p.get("title") or p.get("id") or "?"),
            (" - " + e(p.get("reason"))) if p.get("reason") else "",
            ("<br>log: <code>%s</code>" % e(_short(p.get("line"), 300))) if p.get("line") else ""))
    return "<ul>%s</ul>" % "".join(items) if items else ""


def _fix_cell(findings, problems):
    fixes = []
    for text in [str(p["fix"]) for p in problems if p.get("fix")] + [fix_text(f) for f in findings]:
        if text and text not in fixes:
            fixes.append(text)
    if not fixes:
        return ""
    return "<ul>%s</ul>" % "".join("<li>%s</li>" % e(text) for text in fixes)


def _worst(findings):
    rank = 0
    name = "ok"
    for f in findings:
        r = SEVERITY_RANK.get(f.get("severity"), 0)
        if r > rank:
            rank, name = r, f.get("severity")
    return name, rank


def action_rows(report, departments=None):
    """The rows of the table of what needs action, most severe first: each device with a finding or not working,
    and each account finding (no device, closing). Dicts of plain values (the tests read them)."""
    by_device = {}
    by_account = {}
    for f in report.get("findings") or []:
        if f.get("device_id"):
            by_device.setdefault((f.get("account"), f.get("device_id")), []).append(f)
        else:
            by_account.setdefault(f.get("account"), []).append(f)
    rows = []
    for d in report.get("devices") or []:
        state = device_state(d)
        findings = by_device.get((d.get("account"), d.get("device_id")), [])
        problems = known_problems(d, findings)
        if not findings and not problems and state in ("working", "warning"):
            continue
        severity, rank = _worst(findings)
        last = d.get("last_job") or {}
        rows.append({
            "severity": severity, "severity_rank": rank, "state": state,
            "department": department_of(d.get("account"), departments), "account": d.get("account") or "",
            "device": d.get("name") or d.get("device_id") or "", "device_id": d.get("device_id") or "",
            "platform": d.get("platform") or "", "online": bool(d.get("online")),
            "last_working_time": d.get("last_working_time"), "last_working_age_days": d.get("last_working_age_days"),
            "last_job_label": last.get("label") or "", "last_job_time": int_or_zero(last.get("time")),
            "findings": findings, "known_problems": problems,
        })
    for account in sorted(by_account, key=lambda a: a or ""):
        findings = by_account[account]
        severity, rank = _worst(findings)
        rows.append({
            "severity": severity, "severity_rank": rank, "state": None,
            "department": department_of(account, departments), "account": account or "", "device": "",
            "device_id": "", "platform": "", "online": False, "last_working_time": None,
            "last_working_age_days": None, "last_job_label": "", "last_job_time": 0, "findings": findings,
            "known_problems": known_problems(None, findings),
        })
    rows.sort(key=lambda r: (-r["severity_rank"], STATE_RANK.get(r["state"], len(STATES)), r["department"],
                             r["account"], r["device"].casefold(), r["device_id"]))
    return rows


def _row_html(r):
    if r["state"] is None:
        state_cell = '<td data-sort="%d">account</td>' % len(STATES)
    else:
        state_cell = '<td data-sort="%d">%s</td>' % (STATE_RANK[r["state"]], e(STATE_LABEL[r["state"]]))
    if r["state"] is None:
        working = '<td data-sort="-1"></td>'
    elif r["last_working_time"]:
        age = r["last_working_age_days"] if r["last_working_age_days"] is not None else 0
        working = '<td class="num" data-sort="%d">%s<br>%d day(s) ago</td>' % (
            int_or_zero(age), e(_date(r["last_working_time"])), int_or_zero(age))
    else:
        working = '<td class="num" data-sort="999999">never</td>'
    if r["last_job_label"]:
        last = '<td data-sort="%d">%s<br>%s</td>' % (r["last_job_time"], e(r["last_job_label"]),
                                                     e(_when(r["last_job_time"])))
    elif r["state"] is None:
        last = '<td data-sort="0"></td>'
    else:
        last = '<td data-sort="0">none</td>'
    device = ""
    if r["device"]:
        device = "%s%s" % (e(r["device"]), ('<br><span class="note">%s%s</span>' % (
            e(r["device_id"]), ", online" if r["online"] else "")) if r["device_id"] != r["device"] else "")
    return "".join((
        '<tr><td data-sort="%d"><span class="sev sev-%s">%s</span></td>' % (r["severity_rank"], e(r["severity"]),
                                                                            e(r["severity"])),
        state_cell,
        "<td>%s</td>" % e(r["department"]),
        "<td>%s</td>" % e(r["account"]),
        '<td data-sort="%s">%s</td>' % (e(r["device"]), device),
        "<td>%s</td>" % e(r["platform"]),
        working, last,
        "<td>%s</td>" % _reason_cell(r["findings"], r["known_problems"]),
        "<td>%s</td></tr>\n" % _fix_cell(r["findings"], r["known_problems"]),
    ))


def _nice_max(value):
    """A round axis maximum >= value (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _swatch(color):
    return '<svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="%s"/></svg>' % e(color)


def _legend(items):
    return '<ul class="legend">%s</ul>' % "".join(
        "<li>%s%s</li>" % (_swatch(color), e(label)) for label, color in items)


def _status_order(labels):
    known = list(STATUS_COLOR)
    return sorted(labels, key=lambda label: (known.index(label) if label in known else len(known), label))


def day_chart(per_day):
    """Stacked bars of backup jobs per day by status label, as inline SVG (and its legend)."""
    days = list(per_day)
    labels = _status_order(set(label for counts in per_day.values() for label in counts))
    totals = [sum((per_day[day] or {}).values()) for day in days]
    if not days or not any(totals):
        return '<p class="note">No backup job in this period.</p>'
    width, height = 1000, 280
    left, right, top, bottom = 48, 10, 12, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = 4 * _nice_max(max(totals) / 4.0)  # 4 grid steps of 1, 2 or 5 x 10^n
    slot = plot_w / float(len(days))
    bar_w = max(1.0, slot * 0.72)
    out = ['<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="day-chart-title">' % (width, height),
           '<title id="day-chart-title">Backup jobs per day by outcome</title>']
    for i in range(5):
        value = top_value * i / 4.0
        y = top + plot_h - plot_h * i / 4.0
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dde1e6"/>' % (left, width - right, y, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 6, y + 4, e("%g" % value)))
    every = max(1, int(len(days) / 16.0 + 0.999))
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2.0
        y = top + plot_h
        counts = per_day[day] or {}
        for label in labels:
            n = counts.get(label, 0)
            if not n:
                continue
            h = plot_h * n / float(top_value)
            y -= h
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>' % (
                x, y, bar_w, h, e(STATUS_COLOR.get(label, OTHER_COLOR)), e("%s: %s %d" % (day, label, n))))
        if totals[i] and len(days) <= 35:
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>' % (x + bar_w / 2.0, y - 3, totals[i]))
        if i % every == 0 or i == len(days) - 1:
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (
                x + bar_w / 2.0, height - bottom + 16, e(day[5:] if len(day) >= 10 else day)))
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#555"/>'
               % (left, width - right, top + plot_h, top + plot_h))
    out.append('<text x="%d" y="%d" text-anchor="middle">UTC day (%s to %s)</text>' % (
        left + plot_w // 2, height - 6, e(days[0]), e(days[-1])))
    out.append("</svg>")
    legend = _legend([(label, STATUS_COLOR.get(label, OTHER_COLOR)) for label in labels])
    return "".join(out) + legend


def bar_chart(chart_id, title, rows, keys, colors, labels, unit):
    """Horizontal stacked bars: ``rows`` [(name, {key: count})], ``keys`` in stacking order."""
    rows = list(rows)
    if not rows or not any(sum(c.get(k, 0) for k in keys) for dummy, c in rows):
        return '<p class="note">Nothing to draw.</p>'
    width = 1000
    left, right, row_h, top = 210, 60, 22, 8
    height = top + row_h * len(rows) + 8
    plot_w = width - left - right
    top_value = max(sum(c.get(k, 0) for k in keys) for dummy, c in rows)
    out = ['<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title">'
           % (width, height, e(chart_id)),
           '<title id="%s-title">%s</title>' % (e(chart_id), e(title))]
    for i, (name, counts) in enumerate(rows):
        y = top + i * row_h
        out.append('<text x="%d" y="%d" text-anchor="end"><title>%s</title>%s</text>' % (
            left - 6, y + 15, e(name), e(_short(name, 32))))
        x = float(left)
        total = 0
        for key in keys:
            n = counts.get(key, 0)
            if not n:
                continue
            w = plot_w * n / float(top_value)
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>' % (
                x, y + 3, w, row_h - 6, e(colors.get(key, OTHER_COLOR)),
                e("%s: %s %d %s" % (name, labels.get(key, key), n, unit))))
            x += w
            total += n
        out.append('<text x="%.1f" y="%d">%d</text>' % (x + 4, y + 15, total))
    out.append("</svg>")
    return "".join(out) + _legend([(labels.get(k, k), colors.get(k, OTHER_COLOR)) for k in keys])


def column_chart(chart_id, title, columns, keys, colors, labels, unit, axis, size=(1000, 260), legend=True):
    """Vertical stacked columns: ``columns`` [(name, {key: count})] left to right, ``keys`` in stacking order, as
    inline SVG (and its legend, unless ``legend`` is false); ``axis``: the text under the columns; ``size``: the
    drawing's (width, height)."""
    width, height = size
    columns = list(columns)
    sums = [sum(counts.get(k, 0) for k in keys) for dummy, counts in columns]
    if not columns or not any(sums):
        return '<p class="note">Nothing to draw.</p>'
    left, right, top, bottom = 48, 10, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = 4 * _nice_max(max(sums) / 4.0)
    slot = plot_w / float(len(columns))
    bar_w = max(1.0, min(slot * 0.72, 90.0))
    out = ['<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title">' % (width, height, e(chart_id)),
           '<title id="%s-title">%s</title>' % (e(chart_id), e(title))]
    for i in range(5):
        y = top + plot_h - plot_h * i / 4.0
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dde1e6"/>' % (left, width - right, y, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 6, y + 4, e("%g" % (top_value * i / 4.0))))
    every = max(1, int(len(columns) / 12.0 + 0.999))
    for i, (name, counts) in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2.0
        y = top + plot_h
        for key in keys:
            n = counts.get(key, 0)
            if not n:
                continue
            h = plot_h * n / float(top_value)
            y -= h
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>' % (
                x, y, bar_w, h, e(colors.get(key, OTHER_COLOR)), e("%s: %s %d %s" % (name, labels.get(key, key), n, unit))))
        if len(columns) <= 35:
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>' % (x + bar_w / 2.0, y - 3, sums[i]))
        if i % every == 0 or i == len(columns) - 1:
            out.append('<text x="%.1f" y="%d" text-anchor="middle"><title>%s</title>%s</text>' % (
                x + bar_w / 2.0, height - bottom + 16, e(name), e(_short(name, 16))))
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#555"/>' % (left, width - right, top + plot_h, top + plot_h))
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % (left + plot_w // 2, height - 6, e(axis)))
    out.append("</svg>")
    return "".join(out) + (_legend([(labels.get(k, k), colors.get(k, OTHER_COLOR)) for k in keys]) if legend else "")


def _run_name(run):
    """A run's column name: its day and time (UTC), and the playbook when it is not site."""
    when = str(run.get("time") or "")[:16].replace("T", " ")
    return when + ("" if run.get("playbook") in (None, "", "site") else " " + str(run["playbook"]))


def migration_html(section):
    """The migration section of the page (a <section>), from the fleet report's ``migration``."""
    stages = list(section.get("stages") or migration_rules.STAGES)
    labels = dict(migration_rules.STAGE_LABEL, **(section.get("stage_labels") or {}))
    colors = migration_rules.STAGE_COLOR
    runs = section.get("per_run") or []
    by_dept = section.get("by_department") or {}
    out = ['<section id="migration"><h2>Migration from CrashPlan to Comet Backup</h2>\n']
    out.append('<p class="note">From the migration history%s: %d run(s), %d machine(s), the stage of each from its '
               "latest record%s. Stages: %s.</p>\n" % (
                   (" " + "<code>%s</code>" % e(section["history_path"])) if section.get("history_path") else "",
                   int_or_zero(section.get("runs")), int_or_zero(section.get("hosts")),
                   ("; %d line(s) of the history were not records and were skipped" % int_or_zero(section["skipped_lines"]))
                   if int_or_zero(section.get("skipped_lines")) else "",
                   e("; ".join(labels.get(k, k) for k in stages))))
    if not section.get("hosts"):
        out.append('<p id="migration-empty">No machine in the migration history yet%s.</p>\n' % (
            "" if section.get("history_found", True) else " (the file does not exist: no run has written it)"))
        out.append("</section>\n")
        return "".join(out)
    total = section.get("totals") or {}
    out.append('<ul class="cards">%s</ul>\n' % "".join(
        '<li class="card" id="migration-count-%s"><b>%d</b><span>%s</span></li>' % (
            e(k), int_or_zero(total.get(k)), e(labels.get(k, k))) for k in stages))
    out.append("<h3>Machines per stage now, per department</h3>\n")
    out.append('<table id="migration-departments"><thead><tr><th scope="col">Department</th>%s'
               '<th scope="col" class="num">Machines</th></tr></thead><tbody>\n' % "".join(
                   '<th scope="col" class="num">%s</th>' % e(labels.get(k, k)) for k in stages))
    for name in sorted(by_dept):
        row = by_dept[name]
        out.append("<tr><td>%s</td>%s<td class=\"num\">%d</td></tr>\n" % (e(name), "".join(
            '<td class="num">%d</td>' % int_or_zero(row.get(k)) for k in stages), sum(int_or_zero(v) for v in row.values())))
    out.append("</tbody></table>\n")
    out.append("<h3>Machines per stage over the runs, whole fleet</h3>\n")
    out.append('<p class="note">Each column is one run (its UTC start); it counts the machines that run recorded, by '
               "the stage it left them in.</p>")
    out.append(column_chart("migration-runs", "Machines per stage over the runs", [
        (_run_name(r), r.get("totals") or {}) for r in runs], stages, colors, labels, "machine(s)", "run (UTC)"))
    shown = sorted(by_dept, key=lambda d: (-sum(by_dept[d].values()), d))[:CHART_MAX_ROWS]
    out.append('<h3>Per department over the runs</h3><div class="dept-runs">')
    for i, name in enumerate(shown):
        out.append("<div><h3>%s</h3>%s</div>" % (e(name), column_chart(
            "migration-runs-%d" % i, "Machines of %s per stage over the runs" % name,
            [(_run_name(r), (r.get("by_department") or {}).get(name) or {}) for r in runs], stages, colors, labels,
            "machine(s)", "run", size=(500, 200), legend=False)))
    out.append("</div>")
    if len(by_dept) > len(shown):
        out.append('<p class="note">%d more department(s) in the table above.</p>' % (len(by_dept) - len(shown)))
    stuck = section.get("stuck") or []
    out.append("<h3>Machines stuck longest (%d not done, the %d longest in their stage)</h3>\n" % (
        int_or_zero(section.get("stuck_total")), len(stuck)))
    if stuck:
        heads = ("Machine", "Department", "Account", "Stage", "Reason", "Since", "Days", "Runs", "Device on the server",
                 "Fix")
        out.append('<table id="migration-stuck"><thead><tr>%s</tr></thead><tbody>\n' % "".join(
            '<th scope="col">%s</th>' % e(h) for h in heads))
        for m in stuck:
            dev = m.get("device") or {}
            device_cell = ("%s (%s)%s" % (e(dev.get("name")), e(dev.get("status")),
                                          (": " + e(", ".join(dev.get("findings") or []))) if dev.get("findings") else "")
                           if dev else "not found")
            out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s%s</td><td class=\"num\">%s</td>"
                       "<td class=\"num\">%d</td><td>%s</td><td>%s</td></tr>\n" % (
                           e(m.get("host")), e(m.get("department")), e(m.get("account")),
                           e(labels.get(m.get("stage"), m.get("stage"))), e(m.get("reason_text") or ""),
                           e(str(m.get("since") or "")[:10]), " (since the oldest run)" if m.get("since_first_run") else "",
                           e("" if m.get("days_in_stage") is None else m["days_in_stage"]),
                           int_or_zero(m.get("runs_in_stage")), device_cell, e(m.get("fix"))))
        out.append("</tbody></table>\n")
    else:
        out.append('<p id="migration-done">Every machine is done: CrashPlan removed (or none to remove).</p>\n')
    out.append("</section>\n")
    return "".join(out)


def department_stats(report, departments=None):
    """{department: {"accounts", "devices", "states": {state: n}, "jobs": {label: n}, "action": n}}."""
    stats = {}

    def entry(name):
        if name not in stats:
            stats[name] = {"accounts": set(), "devices": 0, "states": dict((k, 0) for k in STATE_LABEL), "jobs": {},
                           "action": 0}
        return stats[name]

    for a in report.get("accounts") or []:
        entry(department_of(a.get("account"), departments))["accounts"].add(a.get("account"))
    for d in report.get("devices") or []:
        s = entry(department_of(d.get("account"), departments))
        s["accounts"].add(d.get("account"))
        s["devices"] += 1
        state = device_state(d)
        s["states"][state] += 1
        if state not in ("working", "warning") or d.get("findings") or d.get("known_problems"):
            s["action"] += 1
        for label, n in (d.get("week") or {}).items():
            s["jobs"][label] = s["jobs"].get(label, 0) + int_or_zero(n)
    for f in report.get("findings") or []:
        if not f.get("device_id"):
            entry(department_of(f.get("account"), departments))["action"] += 1
    for s in stats.values():
        s["accounts"] = len(s["accounts"])
    return stats


def render_html(report, departments=None, title="Comet Backup fleet report"):
    """The whole page (str). ``report``: the result of comet_fleet_report (summary, findings, accounts, devices; other
    keys are ignored); ``departments``: {account: department}, an account not in it is its own department."""
    report = report or {}
    departments = dict(departments or {})
    summary = report.get("summary") or {}
    devices = report.get("devices") or []
    accounts = report.get("accounts") or []
    findings = report.get("findings") or []
    states = dict((key, 0) for key, dummy, dummy2, dummy3 in STATES)
    for d in devices:
        states[device_state(d)] += 1
    rows = action_rows(report, departments)
    dept = department_stats(report, departments)
    week_days = int_or_zero(summary.get("week_days")) or 7
    if summary.get("obsolete_after_months"):
        threshold = "%s calendar month(s)" % summary["obsolete_after_months"]
    elif summary.get("obsolete_after_days"):
        threshold = "%s day(s)" % summary["obsolete_after_days"]
    else:
        threshold = "the threshold"

    out = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
           '<meta http-equiv="Content-Security-Policy" content="%s">\n' % e(CSP),
           '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
           '<meta name="referrer" content="no-referrer">\n',
           "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n" % (e(title), STYLE)]
    out.append("<header><h1>%s</h1>" % e(title))
    out.append("<p>Report time %s. Obsolete: no working backup (Success or Warning) for more than %s (before %s). "
               "Recent window: the last %d days. Minimum client version: %s.</p></header>\n<main>\n" % (
                   e(summary.get("now_iso") or "unknown"), e(threshold), e(summary.get("obsolete_before_iso") or "?"),
                   week_days, e(summary.get("min_client_version") or "not checked")))

    # Summary
    working = states["working"] + states["warning"]
    cards = [
        ("devices", "c-action", len(devices), "devices"),
        ("accounts", "c-action", len(accounts), "accounts"),
        ("departments", "c-action", len(dept), "departments"),
        ("working", "c-working", working, "working (Success or Warning)"),
        ("warning", "c-warning", states["warning"], "of which last job Warning"),
        ("failing", "c-failing", states["failing"], "failing"),
        ("obsolete", "c-obsolete", states["obsolete"], "obsolete"),
        ("no_jobs", "c-no_jobs", states["no_jobs"], "no jobs this week"),
        ("never", "c-never", states["never"], "never backed up"),
        ("action", "c-action", len(rows), "need action (devices and accounts)"),
    ]
    out.append('<section id="summary"><h2>Summary</h2><ul class="cards">')
    out.extend('<li class="card %s" id="count-%s"><b>%d</b><span>%s</span></li>' % (cls, key, n, e(label))
               for key, cls, n, label in cards)
    out.append("</ul>\n")
    out.append('<p class="note">Each device is counted once, in the first state that applies: %s. A Warning job is a '
               "working backup: the job ran to the end.</p>\n" % e("; ".join(
                   "%s - %s" % (label, text) for dummy, label, dummy2, text in STATES)))
    by_finding = summary.get("by_finding") or {}
    if by_finding:
        out.append('<p class="note">Findings (a device may have several): %s. Online now: %s device(s). Suspended '
                   "accounts: %s; accounts without a computer: %s.</p>\n" % (
                       e(", ".join("%s %s" % (k, v) for k, v in by_finding.items())),
                       e(summary.get("devices_online", "?")), e(summary.get("accounts_suspended", "?")),
                       e(summary.get("accounts_without_device", "?"))))
    logs_line = job_logs_text(summary.get("job_logs"))
    if logs_line:
        out.append('<p class="note" id="job-logs">%s</p>\n' % e(logs_line))
    out.append("</section>\n")

    # Charts
    per_day = summary.get("jobs_per_day")
    out.append('<section id="charts"><h2>Backup jobs per day</h2>')
    if isinstance(per_day, dict):
        out.append('<p class="note">Every backup job of the last %s days by the UTC day it ended (or started, while '
                   "it runs), stacked by outcome. Success and Warning are working backups.</p>" % e(
                       summary.get("history_days") or week_days))
        out.append(day_chart(per_day))
    else:
        out.append('<p class="note">This report has no per-day job counts (summary.jobs_per_day).</p>')
    order = sorted(dept, key=lambda name: (-dept[name]["action"], -dept[name]["devices"], name))
    shown = order[:CHART_MAX_ROWS]
    more = ('<p class="note">%d more department(s) in the table below.</p>' % (len(order) - len(shown))
            if len(order) > len(shown) else "")
    job_labels = _status_order(set(label for s in dept.values() for label in s["jobs"]))
    out.append("<h2>Backup jobs of the last %d days per department</h2>" % week_days)
    out.append(bar_chart("dept-jobs", "Backup jobs of the recent window per department, by outcome",
                         [(name, dept[name]["jobs"]) for name in shown], job_labels, STATUS_COLOR,
                         dict((k, k) for k in job_labels), "job(s)"))
    out.append(more)
    out.append("<h2>Devices per department, by state</h2>")
    state_keys = [k for k, dummy, dummy2, dummy3 in STATES]
    out.append(bar_chart("dept-states", "Devices per department by state",
                         [(name, dept[name]["states"]) for name in shown], state_keys, STATE_COLOR, STATE_LABEL,
                         "device(s)"))
    out.append(more)
    out.append("</section>\n")

    if isinstance(report.get("migration"), dict):
        out.append(migration_html(report["migration"]))

    # Table of what needs action
    out.append('<section id="action"><h2>Devices and accounts that need action (%d)</h2>\n' % len(rows))
    out.append('<p><input id="filter" type="search" placeholder="Filter: name, account, department, reason..." '
               'aria-label="Filter the table" hidden> <span id="shown" class="note" hidden></span></p>\n')
    if rows:
        out.append('<table id="action-table"><thead><tr>%s</tr></thead><tbody>\n' % "".join(
            '<th scope="col"%s%s>%s</th>' % (' data-type="number"' if numeric else "",
                                             ' aria-sort="descending"' if i == 0 else "", e(name))
            for i, (name, numeric) in enumerate(COLUMNS)))
        out.extend(_row_html(r) for r in rows)
        out.append("</tbody></table>\n")
    else:
        out.append('<p id="no-action">Nothing needs action: every device has a recent working backup.</p>\n')
    out.append("</section>\n")

    # Departments
    out.append('<section id="departments"><h2>Departments</h2>\n<table id="department-table"><thead><tr>'
               '<th scope="col">Department</th><th scope="col" class="num">Accounts</th>'
               '<th scope="col" class="num">Devices</th>%s<th scope="col" class="num">Need action</th>'
               "</tr></thead><tbody>\n" % "".join(
                   '<th scope="col" class="num">%s</th>' % e(label) for dummy, label, dummy2, dummy3 in STATES))
    for name in sorted(dept):
        s = dept[name]
        out.append("<tr><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td>%s<td class=\"num\">%d</td>"
                   "</tr>\n" % (e(name), s["accounts"], s["devices"], "".join(
                       '<td class="num">%d</td>' % s["states"][k] for k in state_keys), s["action"]))
    out.append("</tbody></table>\n")
    if not departments:
        out.append('<p class="note">No inventory department (dept_* group) was given: each account is its own '
                   "department.</p>\n")
    out.append("</section>\n")
    out.append('<p class="note">%d finding(s). Generated by the unil.backup collection (role unil.backup.fleet_report)'
               " from one read of the Comet Server; the same data as the Markdown, JSON and CSV reports.</p>\n"
               % len(findings))
    out.append("</main>\n<script>%s</script>\n</body>\n</html>\n" % SCRIPT)
    return "".join(out)
