# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The fleet report's account rules (issue 24, point 6), pure logic, no I/O - each one cites the seed line it comes from:
#   devices_over_limit  seed 000, FAQ "Est-il possible d'installer Comet Backup sur 2 ordinateurs distincts avec le
#                       même compte": "Oui ... L'UNIL paie des licences Comet Backup par machine" - an account with more
#                       devices than the site's limit (default 2, the guide's)
#   stale_device        seed 001, "Sauvegarde obsolète": "Un ancien ordinateur remplacé par un nouveau ... Il s'agit ici
#                       de supprimer le plus ancien" - a device with no backup job for the site's number of months,
#                       with the unil.backup.comet_device state=absent step that removes it
#   policy_mismatch     seed 000, "Exclusion au niveau système" (held by the policy the accounts follow) - an account
#                       whose PolicyID is not the site's policy
#   mails_not_received  seed 000, "Gestion des alertes": the Error/Cancelled mails, and "un rapport de sauvegarde est
#                       envoyé tous les vendredi à 12h à chaque personne utilisant le service" - an account where no
#                       one receives them (UserProfileConfig SendEmailReports, Emails, OverrideEmailSettings[address]
#                       .Reports[].ReportType, per the SDK schema)
# and the closing announcement (seed 001, "[Comet Backup] Accès au service de sauvegarde UNIL désactivé dans X jours":
# "Elle est effectuée 14 jours après l'annonce de suppression"): the date the service sent it, from the site's source.

from __future__ import annotations

import datetime
import re

from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

DAY = 86400

# The guide's licence rule (seed 000): two computers per personal account.
MAX_DEVICES_PER_ACCOUNT = 2

# EmailReportType of the Comet SDK: what each report type sends. Immediate reports are the mails sent after each job
# (the Error/Cancelled mails of seed 000); summary reports are the periodic report (the Friday report).
EMAIL_REPORT_IMMEDIATE = (0, 3)   # EMAILREPORTTYPE_IMMEDIATE, EMAILREPORTTYPE_IMMEDIATE_FILTERED
EMAIL_REPORT_SUMMARY = (1, 4)     # EMAILREPORTTYPE_SUMMARY, EMAILREPORTTYPE_SUMMARY_FILTERED
MAIL_KINDS = ("job_mails", "weekly_report")

CLOSING_SOURCES = ("announcement", "suspension", "both")

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?$")


def check_account_rules(max_devices_per_account=MAX_DEVICES_PER_ACCOUNT, stale_after_months=None, policy_id=None,
                        check_mails=False, closing_announcements=None, closing_source="both"):
    """The validated account rules as a dict (limits 0/None mean the check is off). Raises CometInputError naming the
    option."""
    for option, value in (("max_devices_per_account", max_devices_per_account), ("stale_after_months", stale_after_months)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1200:
            raise CometInputError(option, "must be a whole number, 0 (no check) to 1200 (got %r)" % (value,))
    if policy_id is not None and not isinstance(policy_id, str):
        raise CometInputError("policy_id", "must be a policy ID, text (got %r)" % (policy_id,))
    if closing_source not in CLOSING_SOURCES:
        raise CometInputError("closing_source", "must be one of %s (got %r)" % (", ".join(CLOSING_SOURCES), closing_source))
    return {
        "max_devices_per_account": max_devices_per_account or None,
        "stale_after_months": stale_after_months or None,
        "policy_id": policy_id or None,
        "check_mails": bool(check_mails),
        "closing_announcements": parse_announcements(closing_announcements),
        "closing_source": closing_source,
    }


def parse_when(value):
    """Unix seconds of an announcement date: Unix seconds, or UTC text 2026-11-20, 2026-11-20T08:00[:00][Z]; None when
    it is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return int(text) or None
    match = _DATE.match(text)
    if not match:
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        moment = datetime.datetime(*parts, tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return int(moment.timestamp())


def parse_announcements(announcements):
    """{account: Unix seconds} of the closing announcements the site gives ({account: date}). Raises CometInputError
    naming the option and the account whose date is not one."""
    if announcements in (None, ""):
        return {}
    if not isinstance(announcements, dict):
        raise CometInputError("closing_announcements", "must be a mapping of account to the date the closing was "
                                                       "announced (got %s)" % type(announcements).__name__)
    out = {}
    for account, value in sorted(announcements.items(), key=lambda kv: str(kv[0])):
        when = parse_when(value)
        if when is None:
            raise CometInputError("closing_announcements", "account %r: %r is not a date like 2026-11-20 or Unix "
                                                           "seconds" % (account, value))
        out[str(account)] = when
    return out


def device_activity(view):
    """(Unix seconds, source) of a device's last sign of life for the stale rule: its last backup job, else its
    registration; (None, None) when neither is known."""
    last = view.get("last_job") or {}
    if last.get("time"):
        return last["time"], "last_job"
    if view.get("registration_time"):
        return view["registration_time"], "registration"
    return None, None


def removal_step(account, device_id):
    """The task that removes a device no longer used (module unil.backup.comet_device)."""
    return {"module": "unil.backup.comet_device", "account": account, "device_id": device_id, "state": "absent"}


def stale_device(view, cutoff, months):
    """The stale_device details of a device view whose last sign of life is before ``cutoff`` (None otherwise)."""
    when, source = device_activity(view)
    if when is None or when >= cutoff:
        return None
    return {"last_activity_time": when, "last_activity_source": source, "threshold_months": months,
            "stale_before": cutoff, "remove": removal_step(view["account"], view["device_id"])}


def devices_over_limit(views, limit):
    """The devices_over_limit details of an account's device views (None when within ``limit``): its devices, the
    least recently active first (the ones to remove first, seed 001: "supprimer le plus ancien")."""
    if not limit or len(views) <= limit:
        return None
    ranked = sorted(views, key=lambda v: (device_activity(v)[0] or 0, v["name"], v["device_id"]))
    return {"device_count": len(views), "limit": limit,
            "devices": [{"device_id": v["device_id"], "name": v["name"], "last_activity_time": device_activity(v)[0]}
                        for v in ranked],
            "remove_first": [removal_step(v["account"], v["device_id"]) for v in ranked[:len(views) - limit]]}


def policy_mismatch(profile, policy_id):
    """The policy_mismatch details of a profile not following ``policy_id`` (None when it does or no policy is set)."""
    if not policy_id:
        return None
    actual = (profile or {}).get("PolicyID") or ""
    if actual == policy_id:
        return None
    return {"policy_id": actual, "expected_policy_id": policy_id}


def mail_recipients(profile):
    """{kind: [addresses]} of who receives the job mails and the weekly report of an account (UserProfileConfig):
    nobody when SendEmailReports is off; an address listed in OverrideEmailSettings receives only the report types
    its Reports list; another address receives the server's default reports (assumed to include both - the server's
    DefaultEmailReports are not read)."""
    profile = profile or {}
    out = dict((kind, []) for kind in MAIL_KINDS)
    if not profile.get("SendEmailReports"):
        return out
    overrides = profile.get("OverrideEmailSettings") or {}
    for address in profile.get("Emails") or []:
        if not isinstance(address, str) or not address.strip():
            continue
        if address in overrides:
            types = set()
            for report in (overrides.get(address) or {}).get("Reports") or []:
                try:
                    types.add(int((report or {}).get("ReportType")))
                except (TypeError, ValueError):
                    continue
            if types & set(EMAIL_REPORT_IMMEDIATE):
                out["job_mails"].append(address)
            if types & set(EMAIL_REPORT_SUMMARY):
                out["weekly_report"].append(address)
        else:
            out["job_mails"].append(address)
            out["weekly_report"].append(address)
    return out


def mails_not_received(profile):
    """The mails_not_received details of an account (None when someone receives both kinds): {missing: kinds no one
    receives, send_email_reports, addresses: how many addresses the account has}."""
    recipients = mail_recipients(profile)
    missing = [kind for kind in MAIL_KINDS if not recipients[kind]]
    if not missing:
        return None
    addresses = [a for a in (profile or {}).get("Emails") or [] if isinstance(a, str) and a.strip()]
    return {"missing": missing, "send_email_reports": bool((profile or {}).get("SendEmailReports")),
            "addresses": len(addresses)}


def announced_closing(announced, now, after_days):
    """The account_closing details counted from the announcement (Unix seconds): deletion ``after_days`` days later."""
    deletion = announced + after_days * DAY
    left = deletion - now
    days_left = -(-left // DAY) if left > 0 else -int(-left // DAY)
    return {"source": "announcement", "announced_time": announced, "data_deletion_time": deletion,
            "days_left": days_left}
