# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Full Disk Access (PPPC) profile names the app bundle found on the Macs (issue 23 point 6): Comet documents
/Applications/Comet Backup.app, the seed's package is "Comet Backup UNIL.pkg"; host_info finds the bundle from the
package receipt (find_app) and the profile's paths go into it, not into an assumed one."""
from __future__ import annotations

import plistlib

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm

ORG = "Université de Lausanne"
IDENT = "ch.unil.backup.comet.pppc"
FOUND = "/Applications/Comet Backup UNIL.app"
DOCUMENTED = "/Applications/Comet Backup.app"
REQ = 'identifier "backup-tool" and anchor apple generic'
BUNDLE_ID = {"identifier": "com.cometbackup.unil", "identifier_type": "bundleID",
             "code_requirement": 'identifier "com.cometbackup.unil" and anchor apple generic'}


def path_app(identifier):
    return {"identifier": identifier, "identifier_type": "path", "code_requirement": REQ}


def entries(data):
    profile = plistlib.loads(data)
    return [(e["IdentifierType"], e["Identifier"]) for e in profile["PayloadContent"][0]["Services"]["SystemPolicyAllFiles"]]


@pytest.mark.parametrize("path, bundle", [
    ("/Applications/Comet Backup UNIL.app/Contents/MacOS/backup-tool", "/Applications/Comet Backup UNIL.app"),
    ("/Applications/Comet Backup.app", "/Applications/Comet Backup.app"),
    ("/usr/local/bin/backup-tool", ""),
    ("/Applications/.app/x", ""),
    ("", ""),
])
def test_app_bundle(path, bundle):
    assert cm.app_bundle(path) == bundle


def test_a_relative_path_goes_into_the_bundle_found_under_another_name():
    apps = cm.apps_in_bundles([BUNDLE_ID, path_app("Contents/MacOS/backup-tool"), path_app(".")], [FOUND])
    data = cm.render_pppc(apps, ORG, IDENT)
    assert entries(data) == [("bundleID", "com.cometbackup.unil"),
                             ("path", FOUND + "/Contents/MacOS/backup-tool"),
                             ("path", FOUND)]
    assert cm.validate_pppc(data) == []
    assert b"Comet Backup.app" not in data


def test_an_assumed_bundle_is_replaced_by_the_one_found():
    apps = cm.apps_in_bundles([path_app(DOCUMENTED + "/Contents/MacOS/backup-tool")], [FOUND])
    assert [a["identifier"] for a in apps] == [FOUND + "/Contents/MacOS/backup-tool"]
    assert apps[0]["code_requirement"] == REQ


def test_every_bundle_found_gets_its_entry_once():
    apps = cm.apps_in_bundles([path_app("Contents/MacOS/backup-tool"),
                               path_app(FOUND + "/Contents/MacOS/backup-tool")], [FOUND, DOCUMENTED, FOUND + "/"])
    # the bundles in sorted order, the second line already there
    assert [a["identifier"] for a in apps] == [FOUND + "/Contents/MacOS/backup-tool",
                                               DOCUMENTED + "/Contents/MacOS/backup-tool"]
    assert entries(cm.render_pppc(apps, ORG, IDENT)) == [("path", a["identifier"]) for a in apps]


def test_without_a_bundle_found():
    written = [BUNDLE_ID, path_app(DOCUMENTED + "/Contents/MacOS/backup-tool"), path_app("/usr/local/bin/helper")]
    assert cm.apps_in_bundles(written, []) == written
    with pytest.raises(cm.PPPCInputError, match=r"apps\[0\] \(Contents/MacOS/backup-tool\).*none was found"):
        cm.apps_in_bundles([path_app("Contents/MacOS/backup-tool")], [])


def test_an_entry_listed_twice_is_still_refused():
    apps = cm.apps_in_bundles([path_app("/usr/local/bin/helper"), path_app("/usr/local/bin/helper")], [FOUND])
    with pytest.raises(cm.PPPCInputError, match="listed twice"):
        cm.render_pppc(apps, ORG, IDENT)


@pytest.mark.parametrize("app_paths, default, expected", [
    ([FOUND], DOCUMENTED, ([FOUND], "found")),
    (["", None], DOCUMENTED, ([DOCUMENTED], "default")),
    (None, None, ([], "")),
])
def test_pppc_bundles(app_paths, default, expected):
    assert cm.pppc_bundles(app_paths, default) == expected


@pytest.mark.parametrize("app_paths, default, option", [
    (["Applications/Comet Backup.app"], None, "app_paths"),
    (["/Applications/Comet Backup.app/Contents"], None, "app_paths"),
    (["/Applications/Comet\nBackup.app"], None, "app_paths"),
    ([], "/opt/backup", "default_app_path"),
])
def test_bad_bundles_are_refused(app_paths, default, option):
    with pytest.raises(cm.PPPCInputError, match="^%s: " % option):
        cm.pppc_bundles(app_paths, default)
