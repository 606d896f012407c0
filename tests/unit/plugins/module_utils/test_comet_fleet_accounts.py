# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's account rules (issue 24, points 5 to 7), each in a table, each citing its seed line."""
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet as fleet
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_accounts as acc
from ansible_collections.unil.backup.plugins.module_utils import _comet_known_problems as kp
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

NOW = 1795435200          # 2026-11-23T12:00:00Z
NOV_20 = 1795132800       # 2026-11-20T00:00:00Z
DAY = 86400


def job(end, status=5000):
    return {"StartTime": end - 600, "EndTime": end, "Status": status, "Classification": 4001, "GUID": "j%d" % end}


def profile(devices, policy="", emails=None, send=False, overrides=None, suspended=None):
    """A UserProfileConfig with ``devices`` {id: last job end or None} (each with a Protected Item whose Statistics
    hold its last job)."""
    p = {"AccountName": "x", "PolicyID": policy, "Emails": emails or [], "SendEmailReports": send,
         "OverrideEmailSettings": overrides or {},
         "Devices": dict((d, {"FriendlyName": d, "PlatformVersion": {"os": "darwin"}}) for d in devices),
         "Sources": dict(("s-" + d, {"OwnerDevice": d, "Statistics": {"LastBackupJob": job(end)}})
                         for d, end in devices.items() if end)}
    if suspended:
        p.update(IsSuspended=True, LastSuspended=suspended)
    return p


def report(profiles, **rules):
    return fleet.fleet_report(profiles, {}, [], NOW, account_rules=acc.check_account_rules(**rules))


def codes(result, code):
    return sorted((f["account"], f["device_id"]) for f in result["findings"] if f["code"] == code)


# ------------------------------------------------------------------ licences: devices per account

LIMIT_CASES = [
    # (name, devices of the account, limit, reported)
    ("two devices, the guide's limit", 2, 2, False),
    ("three devices over the guide's 2", 3, 2, True),
    ("three devices, a site's 3", 3, 3, False),
    ("check off", 5, 0, False),
]


@pytest.mark.parametrize("name,count,limit,reported", LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_devices_over_the_licence_limit(name, count, limit, reported):
    """Seed 000, FAQ "Est-il possible d'installer Comet Backup sur 2 ordinateurs distincts avec le même compte": "Oui
    ... L'UNIL paie des licences Comet Backup par machine"."""
    devices = dict(("d%d" % i, NOW - (i + 1) * DAY) for i in range(count))
    result = report({"pnom": profile(devices)}, max_devices_per_account=limit)
    found = [f for f in result["findings"] if f["code"] == "devices_over_limit"]
    assert bool(found) is reported, name
    if reported:
        d = found[0]["details"]
        assert d["device_count"] == count and d["limit"] == limit
        # the least recently active first: the ones to remove (seed 001: "supprimer le plus ancien")
        assert [s["device_id"] for s in d["remove_first"]] == ["d%d" % i for i in range(count - 1, limit - 1, -1)]
        assert all(s["state"] == "absent" and s["module"] == "unil.backup.comet_device" for s in d["remove_first"])
        assert "devices_over_limit" in result["summary"]["by_finding"]
    if not limit:
        assert "devices_over_limit" not in result["summary"]["by_finding"]


# ------------------------------------------------------------------ stale devices

STALE_CASES = [
    # (name, last job end, months, stale)
    ("job yesterday", NOW - DAY, 6, False),
    ("no job for 7 months", fleet.months_before(NOW, 7), 6, True),
    ("exactly 6 months", fleet.months_before(NOW, 6), 6, False),
    ("check off", NOW - 900 * DAY, 0, False),
]


@pytest.mark.parametrize("name,end,months,stale", STALE_CASES, ids=[c[0] for c in STALE_CASES])
def test_stale_device_with_its_removal_step(name, end, months, stale):
    """Seed 001, "Sauvegarde obsolète": "Un ancien ordinateur remplacé par un nouveau ... Il s'agit ici de supprimer le
    plus ancien" - the finding carries the unil.backup.comet_device state=absent step."""
    result = report({"pnom": profile({"old-mac": end})}, stale_after_months=months, max_devices_per_account=0)
    found = [f for f in result["findings"] if f["code"] == "stale_device"]
    assert bool(found) is stale, name
    if stale:
        step = found[0]["details"]["remove"]
        assert step == {"module": "unil.backup.comet_device", "account": "pnom", "device_id": "old-mac", "state": "absent"}
        fix = kp.finding_fix(found[0])
        assert "unil.backup.comet_device" in fix and "device_id=old-mac" in fix and "state=absent" in fix
        device = result["devices"][0]
        assert "stale_device" in device["findings"] and device["status"] != "ok"


def test_stale_device_without_job_counts_from_its_registration():
    """Seed 001, "Aucun ordinateur" / replaced computer: a device registered long ago that never ran a job is stale."""
    p = profile({"ghost": None})
    p["Devices"]["ghost"]["RegistrationTime"] = fleet.months_before(NOW, 12)
    result = report({"pnom": p}, stale_after_months=6, max_devices_per_account=0)
    found = [f for f in result["findings"] if f["code"] == "stale_device"]
    assert found and found[0]["details"]["last_activity_source"] == "registration"


# ------------------------------------------------------------------ policy

POLICY_CASES = [
    # (name, account's PolicyID, site's policy, reported)
    ("on the site's policy", "pol-unil", "pol-unil", False),
    ("on another policy", "pol-other", "pol-unil", True),
    ("on no policy", "", "pol-unil", True),
    ("no site policy: check off", "pol-other", None, False),
]


@pytest.mark.parametrize("name,actual,site,reported", POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_accounts_not_following_the_site_policy(name, actual, site, reported):
    """Seed 000, "Exclusion au niveau système": the system exclusions are the policy's; PolicyID read, now checked."""
    result = report({"pnom": profile({"d": NOW - DAY}, policy=actual)}, policy_id=site)
    found = [f for f in result["findings"] if f["code"] == "policy_mismatch"]
    assert bool(found) is reported, name
    if reported:
        assert found[0]["details"] == {"policy_id": actual, "expected_policy_id": site}


# ------------------------------------------------------------------ mails

MAIL_CASES = [
    # (name, profile keywords, missing kinds)
    ("reports off", dict(emails=["p@unil.ch"], send=False), ["job_mails", "weekly_report"]),
    ("no address", dict(emails=[], send=True), ["job_mails", "weekly_report"]),
    ("blank address", dict(emails=[" "], send=True), ["job_mails", "weekly_report"]),
    ("server defaults", dict(emails=["p@unil.ch"], send=True), []),
    ("own settings: immediate only", dict(emails=["p@unil.ch"], send=True,
                                          overrides={"p@unil.ch": {"Reports": [{"ReportType": 0}]}}), ["weekly_report"]),
    ("own settings: summary only", dict(emails=["p@unil.ch"], send=True,
                                        overrides={"p@unil.ch": {"Reports": [{"ReportType": 4}]}}), ["job_mails"]),
    ("own settings: nothing, a second address gets both", dict(
        emails=["p@unil.ch", "lab@unil.ch"], send=True, overrides={"p@unil.ch": {"Reports": []}}), []),
]


@pytest.mark.parametrize("name,kw,missing", MAIL_CASES, ids=[c[0] for c in MAIL_CASES])
def test_someone_receives_the_error_mails_and_the_weekly_report(name, kw, missing):
    """Seed 000, "Gestion des alertes": the Error/Cancelled mails, and "un rapport de sauvegarde est envoyé tous les
    vendredi à 12h à chaque personne utilisant le service" (UserProfileConfig SendEmailReports, Emails,
    OverrideEmailSettings[address].Reports[].ReportType of the SDK schema)."""
    result = report({"pnom": profile({"d": NOW - DAY}, **kw)}, check_mails=True)
    found = [f for f in result["findings"] if f["code"] == "mails_not_received"]
    assert (found[0]["details"]["missing"] if found else []) == missing, name
    off = report({"pnom": profile({"d": NOW - DAY}, **kw)}, check_mails=False)
    assert not codes(off, "mails_not_received") and "mails_not_received" not in off["summary"]["by_finding"]


# ------------------------------------------------------------------ account closing

CLOSING_CASES = [
    # (name, announced, suspended since, source, deletion or None)
    ("announced, not suspended yet", NOW - 3 * DAY, None, "both", NOW + 11 * DAY),
    ("announced then suspended later: the announcement dates it", NOW - 10 * DAY, NOW - 2 * DAY, "both", NOW + 4 * DAY),
    ("suspended, no announcement known", None, NOW - 2 * DAY, "both", NOW + 12 * DAY),
    ("announcement only: the suspension is not read", None, NOW - 2 * DAY, "announcement", None),
    ("suspension only: the announcement is not read", NOW - 3 * DAY, None, "suspension", None),
    ("announced as a date text", "2026-11-20", None, "both", NOV_20 + 14 * DAY),
]


@pytest.mark.parametrize("name,announced,suspended,source,deletion", CLOSING_CASES, ids=[c[0] for c in CLOSING_CASES])
def test_account_closing_from_the_announcement(name, announced, suspended, source, deletion):
    """Seed 001, "[Comet Backup] Accès au service de sauvegarde UNIL désactivé dans X jours": "Elle est effectuée 14
    jours après l'annonce de suppression" - counted from the announcement, not the (later) suspension."""
    announcements = {"pnom": announced} if announced is not None else {}
    result = report({"pnom": profile({"d": NOW - DAY}, suspended=suspended)}, closing_announcements=announcements,
                    closing_source=source)
    found = [f for f in result["findings"] if f["code"] == "account_closing"]
    if deletion is None:
        assert not found, name
        return
    assert found and found[0]["details"]["data_deletion_time"] == deletion, name
    assert result["accounts"][0]["data_deletion_time"] == deletion


def test_announcement_date_text_is_utc_midnight():
    assert acc.parse_when("2026-11-20") == NOV_20 and acc.parse_when(str(NOV_20)) == NOV_20
    assert acc.parse_when("2026-11-20T08:00Z") == acc.parse_when("2026-11-20") + 8 * 3600


BAD_RULES = [
    (dict(max_devices_per_account=-1), "max_devices_per_account"),
    (dict(max_devices_per_account=True), "max_devices_per_account"),
    (dict(stale_after_months="six"), "stale_after_months"),
    (dict(closing_source="mail"), "closing_source"),
    (dict(closing_announcements={"pnom": "next week"}), "closing_announcements"),
    (dict(closing_announcements=["pnom"]), "closing_announcements"),
]


@pytest.mark.parametrize("kw,option", BAD_RULES)
def test_bad_rules_name_their_option(kw, option):
    with pytest.raises(CometInputError) as err:
        acc.check_account_rules(**kw)
    assert option in str(err.value)


def test_without_rules_the_report_is_as_before():
    """No account_rules: no new finding code in by_finding, closing from the suspension as before."""
    result = fleet.fleet_report({"pnom": profile(dict(("d%d" % i, NOW - DAY) for i in range(4)))}, {}, [], NOW)
    assert set(result["summary"]["by_finding"]) == set(c for c, dummy in fleet.FINDINGS) - set(fleet.OPTIONAL_FINDINGS)


# ------------------------------------------------------------------ known problems

LOST = "Lost connection to local service"
DATAVAULTS = ("WARNING Lstat: lstat /Users/jmasdona/Library/Containers/com.apple.mail/Data/DataVaults: operation not "
              "permitted")
KNOWN_CASES = [
    # (name, line, platform, version, expected ids)
    ("lost connection on macOS 14", LOST, "macos", "14.2", ["macos_lost_local_service"]),
    ("lost connection on an unknown macOS", "ERROR " + LOST, "macos", "", ["macos_lost_local_service"]),
    ("lost connection on Windows is not the macOS problem", LOST, "windows", "10.0", []),
    ("DataVaults on 10.15", DATAVAULTS, "macos", "10.15.7", ["macos_datavaults"]),
    ("DataVaults on 10.14", DATAVAULTS, "macos", "10.14", ["macos_datavaults"]),
    ("DataVaults never on macOS 14", DATAVAULTS, "macos", "14.2", ["macos_full_disk_access"]),
    ("DataVaults never on macOS 11", DATAVAULTS, "macos", "11.0", ["macos_full_disk_access"]),
]


@pytest.mark.parametrize("name,line,platform,version,expected", KNOWN_CASES, ids=[c[0] for c in KNOWN_CASES])
def test_known_problems_bounded_as_the_guide_says(name, line, platform, version, expected):
    """Seed 000, Warning "DataVaults" sur macOS: "Sur macOS 10.15 et plus ancien"; seed 001, "Sauvegarde obsolète":
    "Un ordinateur ayant perdu sa connexion au serveur de sauvegarde suite à une mise à jour incomplète. Exemple sur
    macOS avec l'erreur "Lost connection to local service"" - with its fix."""
    found = kp.match_problems([{"Time": NOW, "Severity": "E", "Message": line}], platform, version)
    assert [p["id"] for p in found] == expected, name
    for problem in found:
        assert problem["fix"]
        if problem["id"] == "macos_datavaults":
            continue
        assert "update macOS" not in problem["fix"].lower()
