# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The known problems of the university's guide (seed 000, "Problèmes connus" and "Gestion des alertes") recognised in
job log entries, on the log lines the guide quotes; the fix of each finding code."""
from __future__ import annotations

import glob
import os
import re

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_known_problems as kp
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import FINDINGS

SEEDS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "shared", "seeds")

# Log lines exactly as the guide (seed 000) prints them.
GUIDE = {
    "fda_desktop": "YYYY-MM-DD 11:01:00 WARNING Reading subdirectories of <Users/username/Desktop>: Open: open "
                   "/Users/username/Desktop: operation not permitted",
    "fda_documents": "YYYY-MM-DD 11:01:00 WARNING Reading subdirectories of <Users/username/Documents>: Open: open "
                     "/Users/username/Documents: operation not permitted",
    "vault_first": "YYYY-MM-DD HH:MM:SS ERROR Couldn't record that the Storage Vault has been initialized (Post "
                   "https://cometbackup.unil.ch/api/v1/user/get-profile-and-hash: unexpected EOF)",
    "vault_next": "YYYY-MM-DD HH:MM:SS WARNING Failed to initialize Storage Vault: config file already exists",
    "vault_exit": "YYYY-MM-DD HH:MM:SS ERROR The destination initializer encountered a problem: exit status 1",
    "spotlight": "YYYY-MM-DD HH:MM:SS Warning for Users/username/Library/Metadata/CoreSpotlight/"
                 "NSFileProtectionCompleteUnlessOpen/index.spotlightV3/.store.db: Open: open /Users/username/Library/"
                 "Metadata/CoreSpotlight/NSFileProtectionCompleteUnlessOpen/index.spotlightV3/.store.db: operation not "
                 "permitted",
    "datavaults": "YYYY-MM-DD HH:MM:SS WARNING Lstat: lstat /Users/jmasdona/Library/Containers/com.apple.mail/Data/"
                  "DataVaults: operation not permitted",
}
# The guide names these errors without a whole log line: its quoted text inside a line of the same form.
X509 = "x509: certificate has expired or is not yet valid"          # guide: Erreur: "x509: certificate has expired ..."
ONEDRIVE = "/Users/*/OneDrive - Université de Lausanne"              # guide: the macOS user-level exclusion
X509_LINE = ("YYYY-MM-DD HH:MM:SS ERROR Post https://cometbackup.unil.ch/api/v1/user/get-profile-and-hash: " + X509)
ONEDRIVE_LINE = ("YYYY-MM-DD HH:MM:SS WARNING Lstat: lstat %s/Documents/rapport.docx: resource deadlock avoided"
                 % ONEDRIVE.replace("*", "username"))

LINE = re.compile(r"^YYYY-MM-DD (?:HH:MM:SS|\d\d:\d\d:\d\d) (?:(WARNING|ERROR|INFO|DEBUG) )?(.*)$")


def entry(line, time=1795348800):
    """A JobEntry from a guide line: its severity word (WARNING when the guide left it out), its message."""
    match = LINE.match(line)
    assert match, line
    return {"Time": time, "Severity": (match.group(1) or "WARNING")[0], "Message": match.group(2)}


def ids(found):
    return [p["id"] for p in found]


def test_the_lines_are_the_guides():
    seeds = glob.glob(os.path.join(SEEDS, "000_*.txt"))
    if not seeds:
        pytest.skip("the seeds (../shared/seeds) are not next to this checkout")
    with open(seeds[0], encoding="utf-8") as handle:
        guide = handle.read()
    for name, line in GUIDE.items():
        assert line in guide, name
    for quoted in (X509, ONEDRIVE):
        assert quoted in guide


def test_the_data():
    seen = set()
    for problem in kp.KNOWN_PROBLEMS:
        assert set(problem) - {"os", "max_os_version"} == {"id", "title", "reason", "fix", "patterns"}, problem["id"]
        assert problem["id"] not in seen and re.match(r"^[a-z0-9_]+$", problem["id"])
        seen.add(problem["id"])
        assert problem["title"] and problem["reason"] and problem["fix"] and problem["patterns"]
        assert problem.get("os") in (None, "macos", "windows", "linux")
        for pattern in problem["patterns"]:
            re.compile(pattern)
    for code, dummy in FINDINGS:
        assert kp.FINDING_FIXES[code]["reason"] and kp.FINDING_FIXES[code]["fix"], code
    assert set(kp.FINDING_FIXES) == set(code for code, dummy in FINDINGS)


@pytest.mark.parametrize("lines,platform,version,expected", [
    # macOS, Full Disk Access: the three lines are one problem, counted three times
    ([GUIDE["fda_desktop"], GUIDE["fda_documents"]], "macos", "14.5", ["macos_full_disk_access"]),
    ([GUIDE["fda_desktop"]], "unknown", "", ["macos_full_disk_access"]),
    ([GUIDE["fda_desktop"]], "windows", "10.0", []),                 # a macOS problem only
    # the corrupted Storage Vault: the first backup's error, the later ones' warning; the generic exit line is no sign
    ([GUIDE["vault_first"]], "windows", "10.0", ["storage_vault_corrupted"]),
    ([GUIDE["vault_next"], GUIDE["vault_exit"]], "linux", "", ["storage_vault_corrupted"]),
    ([GUIDE["vault_exit"]], "linux", "", []),
    ([X509_LINE], "windows", "6.0", ["x509_system_too_old"]),
    # CoreSpotlight and DataVaults say "operation not permitted" too: they are theirs, not Full Disk Access
    ([GUIDE["spotlight"]], "macos", "13.1", ["macos_corespotlight"]),
    ([GUIDE["datavaults"]], "macos", "10.15.7", ["macos_datavaults"]),
    ([GUIDE["spotlight"], GUIDE["fda_desktop"], GUIDE["datavaults"]], "macos", "10.15.7",
     ["macos_corespotlight", "macos_datavaults", "macos_full_disk_access"]),
    # OneDrive: on macOS 11 and older, update macOS; later (or elsewhere) the accented exclusion itself
    ([ONEDRIVE_LINE], "macos", "11.7.10", ["macos_onedrive_old"]),
    ([ONEDRIVE_LINE], "macos", "10.14", ["macos_onedrive_old"]),
    ([ONEDRIVE_LINE], "macos", "12.0.1", ["accented_exclusion"]),
    ([ONEDRIVE_LINE], "windows", "10.0", ["accented_exclusion"]),
    ([ONEDRIVE_LINE.replace("\u00e9", "e\u0301")], "linux", "", ["accented_exclusion"]),   # NFD, as macOS writes names
    (["YYYY-MM-DD HH:MM:SS WARNING Something else happened"], "macos", "14.5", []),
])
def test_guide_lines(lines, platform, version, expected):
    found = kp.match_problems([entry(line) for line in lines], platform, version)
    assert ids(found) == expected
    for problem in found:
        assert problem["line"].startswith("2026-11-22 12:00:00 "), problem["line"]
        assert problem["title"] and problem["reason"] and problem["fix"]
    if expected == ["macos_full_disk_access"] and len(lines) == 2:
        assert found[0]["count"] == 2 and "Desktop" in found[0]["line"]


def test_every_problem_is_recognised_on_a_guide_line():
    lines = list(GUIDE.values()) + [X509_LINE]
    seen = set(ids(kp.match_problems([entry(line) for line in lines], "macos", "10.15")))
    seen |= set(ids(kp.match_problems([entry(ONEDRIVE_LINE)], "macos", "11.0")))
    seen |= set(ids(kp.match_problems([entry(ONEDRIVE_LINE)], "macos", "13.0")))
    # seed 001 names the error without a log line: its quoted text in a line of the same form
    seen |= set(ids(kp.match_problems([entry("YYYY-MM-DD HH:MM:SS ERROR Lost connection to local service")], "macos",
                                      "14.2")))
    assert seen == set(p["id"] for p in kp.KNOWN_PROBLEMS)


def test_lines_and_entries():
    # plain strings work too; the line of an entry is Comet's text log form, cut at MAX_LINE characters
    assert ids(kp.match_problems([GUIDE["vault_next"]])) == ["storage_vault_corrupted"]
    long = {"Time": 0, "Severity": "E", "Message": "Failed to initialize Storage Vault: config file already exists " + "x" * 900}
    line = kp.match_problems([long])[0]["line"]
    assert line.startswith("1970-01-01 00:00:00 ERROR Failed") and len(line) == kp.MAX_LINE + 3
    assert kp.entry_line({"Time": "soon", "Severity": "Z", "Message": "m"}) == "????-??-?? ??:??:?? Z m"
    assert kp.match_problems([None, {"Message": None}, {"Severity": "W"}, 42]) == []


def test_applies():
    onedrive = [p for p in kp.KNOWN_PROBLEMS if p["id"] == "macos_onedrive_old"][0]
    assert kp.applies(onedrive, "macos", "11") and kp.applies(onedrive, "macos", "11.7.10")
    assert kp.applies(onedrive, "macos", "") and kp.applies(onedrive, None, None)   # unknown: it may be
    assert not kp.applies(onedrive, "macos", "12") and not kp.applies(onedrive, "linux", "11")


def test_finding_fix():
    assert kp.finding_fix({"code": "no_device"}) == kp.FINDING_FIXES["no_device"]["fix"]
    assert kp.finding_fix({"code": "last_job_failed", "details": {"label": "Abandoned"}}) == kp.LAST_JOB_FIXES["abandoned"]
    assert kp.finding_fix({"code": "last_job_failed", "details": {"label": "Quota exceeded"}}) == kp.LAST_JOB_FIXES["quota exceeded"]
    assert kp.finding_fix({"code": "last_job_failed", "details": {}}) == kp.FINDING_FIXES["last_job_failed"]["fix"]
    assert kp.finding_fix({"code": "something new"}) == ""


def _report():
    def device(account, device_id, label, guid, platform="macos"):
        return {"account": account, "device_id": device_id, "platform": platform,
                "last_job": {"label": label, "guid": guid} if label else None}
    devices = [device("a", "a1", "Warning", "g-a1"), device("a", "a2", "Error", "g-a2", "windows"),
               device("b", "b1", "Success", "g-b1"), device("b", "b2", "Error", ""), device("c", "c1", None, None),
               device("c", "c2", "Warning", "g-c2")]
    findings = [{"code": "last_job_failed", "account": "a", "device_id": "a2", "details": {"label": "Error"}},
                {"code": "no_device", "account": "d", "device_id": None, "details": {}},
                {"code": "outdated_client", "account": "c", "device_id": "c2", "details": {}}]
    return {"devices": devices, "findings": findings, "summary": {}}


def test_logs_to_read_and_add_known_problems():
    report = _report()
    profiles = {"a": {"Devices": {"a1": {"PlatformVersion": {"os": "darwin", "version": "11.6"}}}}}
    wanted, candidates = kp.logs_to_read(report, profiles, 10)
    # Error first, then Warning, each in report order; no GUID, no read
    assert [(w["device_id"], w["job_id"], w["status"]) for w in wanted] == [
        ("a2", "g-a2", "error"), ("a1", "g-a1", "warning"), ("c2", "g-c2", "warning")]
    assert candidates == 3 and wanted[1]["os_version"] == "11.6" and wanted[1]["platform"] == "macos"
    wanted, candidates = kp.logs_to_read(report, profiles, 2)
    assert [w["device_id"] for w in wanted] == ["a2", "a1"] and candidates == 3
    wanted, candidates = kp.logs_to_read(report, profiles, None)   # no count bound: every one (the time bounds it)
    assert [w["device_id"] for w in wanted] == ["a2", "a1", "c2"] and candidates == 3

    kp.add_fixes(report)
    assert all(f["fix"] for f in report["findings"])
    spotlight = kp.match_problems([entry(GUIDE["spotlight"])], "macos", "11.6")
    kp.add_known_problems(report, {("a", "a1"): spotlight, ("c", "c2"): []})
    devices = dict((d["device_id"], d) for d in report["devices"])
    assert ids(devices["a1"]["known_problems"]) == ["macos_corespotlight"]
    assert devices["c2"]["known_problems"] == [] and "known_problems" not in devices["a2"]
    by_device = dict((f["device_id"], f) for f in report["findings"])
    assert by_device["c2"]["known_problems"] == []                    # read, nothing recognised
    assert "known_problems" not in by_device["a2"] and "known_problems" not in by_device[None]
    assert report["summary"]["known_problems"]["macos_corespotlight"] == 1
    assert set(report["summary"]["known_problems"]) == set(p["id"] for p in kp.KNOWN_PROBLEMS)


@pytest.mark.parametrize("logs,expected", [
    (None, ""),
    ({"candidates": 0, "read": 0}, ""),
    ({"candidates": 6, "read": 6, "failed": 0, "skipped": 0, "out_of_time": 0, "max": None, "seconds": 3.0},
     "Job logs read: 6 of 6 (the devices whose last backup job ended Error or Warning, the Error ones first)."),
    ({"candidates": 1621, "read": 1282, "failed": 2, "skipped": 337, "out_of_time": 337, "max": None, "seconds": 3.0},
     "Job logs read: 1282 of 1621 (the devices whose last backup job ended Error or Warning, the Error ones first); "
     "337 not read, the 3.0 s budget (job_log_seconds) spent, 2 could not be read."),
    ({"candidates": 6, "read": 2, "failed": 0, "skipped": 4, "out_of_time": 0, "max": 2, "seconds": 3.0},
     "Job logs read: 2 of 6 (the devices whose last backup job ended Error or Warning, the Error ones first); "
     "4 over max_job_logs 2."),
])
def test_job_logs_text(logs, expected):
    assert kp.job_logs_text(logs) == expected
