# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_comet_macos: parsing of launchctl / profiles / sw_vers output (samples in the .yaml beside) and the Full Disk
Access (PPPC) profile, parsed back with plistlib and checked key by key (no Mac and no plutil needed)."""
from __future__ import annotations

import copy
import os
import plistlib
import shutil
import subprocess
import uuid

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm

with open(os.path.join(os.path.dirname(__file__), "test_comet_macos.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)

ORG = "Université de Lausanne"
IDENT = "ch.unil.backup.comet.pppc"
APP_REQ = 'identifier "com.cometbackup.unil" and anchor apple generic and certificate leaf[subject.OU] = "ABCDE12345"'
TOOL = "/Applications/Comet Backup.app/Contents/MacOS/backup-tool"
TOOL_REQ = 'identifier "backup-tool" and anchor apple generic and certificate leaf[subject.OU] = "ABCDE12345"'
APPS = [
    {"identifier": "com.cometbackup.unil", "identifier_type": "bundleID", "code_requirement": APP_REQ},
    {"identifier": TOOL, "identifier_type": "path", "code_requirement": TOOL_REQ, "comment": "the daemon's binary"},
]


# --- parsing ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES["launchctl_print"], ids=[c["id"] for c in CASES["launchctl_print"]])
def test_launchctl_print(case):
    assert cm.service_state(case["rc"], case["out"]) == case["expected"]


def test_launchctl_print_top_level_properties():
    props = cm.parse_launchctl_print(CASES["launchctl_print"][0]["out"])
    assert props["path"] == "/Library/LaunchDaemons/backup.delegate.plist"
    assert props["program"] == TOOL
    assert props["last exit code"] == "(never exited)"
    # lines of nested blocks (arguments, environment) are not top-level properties
    assert "PATH => /usr/bin:/bin:/usr/sbin:/sbin" not in props.values() and "cmd" not in props


@pytest.mark.parametrize("case", CASES["print_disabled"], ids=[c["id"] for c in CASES["print_disabled"]])
def test_print_disabled(case):
    assert cm.parse_print_disabled(case["out"]) == case["expected"]


def test_services_state_combines_print_and_print_disabled():
    running, stopped, missing = (CASES["launchctl_print"][i] for i in (0, 1, 2))
    disabled = CASES["print_disabled"][0]["out"]  # backup.elevator => disabled, backup.delegate => enabled
    prints = {"backup.delegate": (running["rc"], running["out"]), "backup.elevator": (stopped["rc"], stopped["out"]),
              "backup.gone": (missing["rc"], missing["out"])}
    assert cm.services_state(["backup.delegate", "backup.elevator", "backup.gone"], prints, disabled) == {
        "backup.delegate": {"exists": True, "enabled": True, "active": True},
        "backup.elevator": {"exists": True, "enabled": False, "active": False},
        "backup.gone": {"exists": False, "enabled": False, "active": False},
    }
    # a label never printed counts as not loaded; an empty print-disabled disables nothing
    assert cm.services_state(["backup.delegate"], {}, "") == {"backup.delegate": {"exists": False, "enabled": False, "active": False}}
    assert cm.services_state(["backup.delegate"], prints, "")["backup.delegate"]["enabled"] is True


@pytest.mark.parametrize("case", CASES["profiles"], ids=[c["id"] for c in CASES["profiles"]])
def test_profiles(case):
    assert cm.profile_installed(case["out"], case["identifier"]) is case["installed"]
    found = cm.parse_profiles(case["out"])
    assert len(found) == case["count"]
    if "first" in case:
        first = case["first"]
        assert (found[0]["scope"], found[0]["index"]) == (first["scope"], first["index"])
        assert found[0]["attributes"]["profileIdentifier"] == first["identifier"]
        if "name" in first:
            assert found[0]["attributes"]["name"] == first["name"]


def test_profile_attributes_of_the_pppc_profile():
    attrs = cm.parse_profiles(CASES["profiles"][0]["out"])[0]["attributes"]
    assert attrs["organization"] == ORG
    assert attrs["profileUUID"] == cm.payload_uuid(ORG, IDENT)
    assert attrs["installationDate"] == "2024-05-02 09:12:44 +0000"
    assert not cm.profile_installed(CASES["profiles"][0]["out"], "")


@pytest.mark.parametrize("case", CASES["sw_vers"], ids=[repr(c["out"]) for c in CASES["sw_vers"]])
def test_sw_vers(case):
    assert cm.parse_sw_vers(case["out"]) == case["expected"]


def test_daemon_plist():
    assert [cm.daemon_plist(label) for label in cm.LAUNCHD_LABELS] == [
        "/Library/LaunchDaemons/backup.delegate.plist", "/Library/LaunchDaemons/backup.elevator.plist"]


# --- the PPPC profile ------------------------------------------------------------------------------------------
def test_profile_parsed_back_key_by_key():
    data = cm.render_pppc(APPS, ORG, IDENT)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC')
    profile = plistlib.loads(data)
    assert sorted(profile) == ["PayloadContent", "PayloadDescription", "PayloadDisplayName", "PayloadIdentifier",
                               "PayloadOrganization", "PayloadRemovalDisallowed", "PayloadScope", "PayloadType",
                               "PayloadUUID", "PayloadVersion"]
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadIdentifier"] == IDENT
    assert profile["PayloadDisplayName"] == "Comet Backup Full Disk Access"
    assert profile["PayloadOrganization"] == ORG
    assert profile["PayloadScope"] == "System"
    assert profile["PayloadVersion"] == 1
    assert profile["PayloadRemovalDisallowed"] is True
    # uuid5 in the module's namespace of organization and identifier: fixed values
    assert profile["PayloadUUID"] == "FF6B42D1-1765-523C-9941-1268D58A0ED4"
    assert uuid.UUID(profile["PayloadUUID"]).version == 5
    assert len(profile["PayloadContent"]) == 1
    tcc = profile["PayloadContent"][0]
    assert tcc["PayloadType"] == "com.apple.TCC.configuration-profile-policy"
    assert tcc["PayloadIdentifier"] == IDENT + ".tcc"
    assert tcc["PayloadUUID"] == "9C05004C-CFDE-5EE7-AE53-4B47478D33CC"
    assert tcc["PayloadVersion"] == 1
    assert tcc["PayloadOrganization"] == ORG
    assert "Comet Backup Full Disk Access" in tcc["PayloadDisplayName"]
    assert list(tcc["Services"]) == ["SystemPolicyAllFiles"]
    assert tcc["Services"]["SystemPolicyAllFiles"] == [
        {"Identifier": "com.cometbackup.unil", "IdentifierType": "bundleID", "CodeRequirement": APP_REQ,
         "Authorization": "Allow", "StaticCode": False,
         "Comment": "Comet Backup reads every file it backs up (Full Disk Access)"},
        {"Identifier": TOOL, "IdentifierType": "path", "CodeRequirement": TOOL_REQ,
         "Authorization": "Allow", "StaticCode": False, "Comment": "the daemon's binary"},
    ]
    assert cm.validate_pppc(data) == []


def test_legacy_allowed_replaces_authorization():
    data = cm.render_pppc(APPS[:1], ORG, IDENT, legacy_allowed=True)
    entry = plistlib.loads(data)["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"][0]
    assert entry["Allowed"] is True and "Authorization" not in entry
    assert cm.validate_pppc(data) == []


def test_rendering_is_stable():
    first = cm.render_pppc(APPS, ORG, IDENT)
    again = cm.render_pppc(copy.deepcopy(APPS), ORG, IDENT)
    assert first == again, "two renders of the same input differ"
    # the UUIDs depend on organisation and identifier only
    changed_apps = cm.render_pppc(APPS[:1], ORG, IDENT)
    assert plistlib.loads(changed_apps)["PayloadUUID"] == plistlib.loads(first)["PayloadUUID"]
    other_org = plistlib.loads(cm.render_pppc(APPS, "EPFL", IDENT))
    other_id = plistlib.loads(cm.render_pppc(APPS, ORG, IDENT + ".test"))
    base = plistlib.loads(first)
    for other in (other_org, other_id):
        assert other["PayloadUUID"] != base["PayloadUUID"]
        assert other["PayloadContent"][0]["PayloadUUID"] != base["PayloadContent"][0]["PayloadUUID"]
    assert base["PayloadUUID"] != base["PayloadContent"][0]["PayloadUUID"]


@pytest.mark.skipif(not shutil.which("plutil"), reason="plutil is macOS only; the plistlib round trip is the check here")
def test_plutil_accepts_the_profile(tmp_path):
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(cm.render_pppc(APPS, ORG, IDENT))
    subprocess.run(["plutil", "-lint", str(path)], check=True)


@pytest.mark.parametrize("case", CASES["bad_apps"], ids=[c["id"] for c in CASES["bad_apps"]])
def test_bad_apps_are_refused_naming_the_entry(case):
    with pytest.raises(cm.PPPCInputError) as err:
        cm.render_pppc(case["apps"], ORG, IDENT)
    assert str(err.value) == case["message"]


@pytest.mark.parametrize("org, ident, message", [
    ("", IDENT, "organization: must be non-empty single-line text"),
    ("UNIL\nCi", IDENT, "organization: must be non-empty single-line text"),
    (ORG, "ch/unil", "identifier: 'ch/unil' must be a reverse-DNS profile identifier (letters, digits, . _ -), like "
                     "ch.unil.backup.comet.pppc"),
    (ORG, "ch..unil", "identifier: 'ch..unil' must be a reverse-DNS profile identifier (letters, digits, . _ -), like "
                      "ch.unil.backup.comet.pppc"),
])
def test_bad_names_are_refused(org, ident, message):
    with pytest.raises(cm.PPPCInputError) as err:
        cm.render_pppc(APPS, org, ident)
    assert str(err.value) == message


def _tampered(change):
    profile = cm.pppc_profile(APPS, ORG, IDENT)
    change(profile)
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


def _fda(profile):
    return profile["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"]


E0 = "PayloadContent[0].Services.SystemPolicyAllFiles[0] (com.cometbackup.unil)"
E1 = "PayloadContent[0].Services.SystemPolicyAllFiles[1] (%s)" % TOOL


@pytest.mark.parametrize("change, problems", [
    (lambda p: _fda(p)[0].pop("CodeRequirement"), [E0 + ": CodeRequirement is missing or empty"]),
    (lambda p: _fda(p)[1].update(CodeRequirement=" "), [E1 + ": CodeRequirement is missing or empty"]),
    (lambda p: _fda(p)[0].update(IdentifierType="bundle"), [E0 + ": IdentifierType 'bundle' must be bundleID or path"]),
    (lambda p: _fda(p)[1].update(Identifier="backup-tool"),
     ["PayloadContent[0].Services.SystemPolicyAllFiles[1] (backup-tool): IdentifierType path needs an absolute path"]),
    (lambda p: _fda(p)[0].update(Allowed=True),
     [E0 + ": needs exactly one of Allowed and Authorization (Apple ignores an entry with both or neither)"]),
    (lambda p: _fda(p)[0].pop("Authorization"),
     [E0 + ": needs exactly one of Allowed and Authorization (Apple ignores an entry with both or neither)"]),
    (lambda p: _fda(p)[0].update(Authorization="Deny"), [E0 + ": Authorization is 'Deny'; Full Disk Access needs Allow"]),
    (lambda p: _fda(p)[0].update(StaticCode="no"), [E0 + ": StaticCode must be a boolean"]),
    (lambda p: _fda(p).clear(), ["PayloadContent[0]: Services.SystemPolicyAllFiles must list at least one app"]),
    (lambda p: p["PayloadContent"][0].update(Services={}),
     ["PayloadContent[0]: Services.SystemPolicyAllFiles must list at least one app"]),
    (lambda p: p["PayloadContent"][0].update(PayloadType="com.apple.wifi.managed"),
     ["profile: no com.apple.TCC.configuration-profile-policy payload in PayloadContent"]),
    (lambda p: p.update(PayloadContent=[]), ["profile: PayloadContent must be a non-empty list of payloads"]),
    (lambda p: p.update(PayloadScope="User"), ["profile: PayloadScope is 'User'; a PPPC profile is System-wide"]),
    (lambda p: p.update(PayloadType="com.apple.TCC.configuration-profile-policy"),
     ["profile: PayloadType is 'com.apple.TCC.configuration-profile-policy', expected 'Configuration'"]),
    (lambda p: p.update(PayloadUUID="not-a-uuid"), ["profile: PayloadUUID 'not-a-uuid' is not a UUID"]),
    (lambda p: p.update(PayloadVersion="1"), ["profile: PayloadVersion must be an integer"]),
    (lambda p: p.pop("PayloadDisplayName"), ["profile: PayloadDisplayName is missing or empty"]),
    (lambda p: p["PayloadContent"][0].update(PayloadUUID=p["PayloadUUID"]),
     ["profile: the PayloadUUIDs are not all different"]),
], ids=lambda v: "" if callable(v) else v[0][:60])
def test_validation_problems(change, problems):
    assert cm.validate_pppc(_tampered(change)) == problems


@pytest.mark.parametrize("data, problem", [
    (b"<plist><dict><key>a</key>", "not a property list: "),
    (b"", "not a property list: "),
    (plistlib.dumps(["a"]), "the top level is a list, expected a dictionary"),
])
def test_validation_of_what_is_not_a_profile(data, problem):
    problems = cm.validate_pppc(data)
    assert len(problems) == 1 and problems[0].startswith(problem)
