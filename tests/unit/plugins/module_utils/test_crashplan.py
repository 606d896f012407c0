# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp

with open(os.path.join(os.path.dirname(__file__), "test_crashplan.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)


def _ids(cases):
    return [c.get("id") or str(c.get("name", c.get("rc", c.get("line")))) for c in cases]


@pytest.mark.parametrize("case", CASES["names"], ids=_ids(CASES["names"]))
def test_names(case):
    assert cp.is_crashplan_name(case["name"]) is case["expected"]


@pytest.mark.parametrize("case", CASES["eras"], ids=_ids(CASES["eras"]))
def test_eras(case):
    assert cp.era_of(case["name"], case["version"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["command_lines"], ids=_ids(CASES["command_lines"]))
def test_split_windows_command_line(case):
    assert cp.split_windows_command_line(case["line"]) == case["argv"]


@pytest.mark.parametrize("case", CASES["return_codes"], ids=_ids(CASES["return_codes"]))
def test_msi_return_codes(case):
    got = cp.interpret_msi_return_code(case["rc"])
    assert dict((k, got[k]) for k in ("ok", "reboot_required", "already_absent", "retry")) == dict(
        (k, case[k]) for k in ("ok", "reboot_required", "already_absent", "retry"))


def test_expected_return_codes_match_the_notes():
    assert cp.MSI_EXPECTED_RETURN_CODES == [0, 1605, 1614, 1641, 3010]


@pytest.mark.parametrize("case", CASES["windows"], ids=_ids(CASES["windows"]))
def test_windows(case):
    facts = cp.windows_facts(case["probe"], case["log_dir"])
    for key, value in case["expected"].items():
        assert facts[key] == value, key


def test_windows_per_user_reported_not_planned_as_machine():
    facts = cp.windows_facts(CASES["windows"][0]["probe"])
    assert [a["kind"] for a in facts["actions"]] == ["command", "win_package", "per_user"]
    assert facts["per_user_left"] == [facts["actions"][2]]
    # Archives are kept and listed; the archive's own cache child is not an app cache.
    assert "D:\\CrashPlanArchives" in facts["keep"]
    assert "D:\\CrashPlanArchives\\cache" not in facts["remove"]


def test_windows_bad_entry_names_the_option():
    with pytest.raises(cp.CrashPlanInputError) as err:
        cp.windows_facts({"uninstall_entries": [{"Hive": "HKCR", "DisplayName": "CrashPlan"}]})
    assert err.value.option == "windows_probe.uninstall_entries"


def test_msi_argv_refuses_a_non_guid():
    with pytest.raises(cp.CrashPlanInputError):
        cp.msi_uninstall_argv("CrashPlan; del C:\\", "x.log")


def test_install_vars():
    assert cp.parse_install_vars(CASES["install_vars"]["text"]) == CASES["install_vars"]["expected"]


@pytest.mark.parametrize("case", CASES["archive_locations"], ids=[c["text"][:30] for c in CASES["archive_locations"]])
def test_archive_locations(case):
    assert cp.parse_archive_locations(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["linux"], ids=_ids(CASES["linux"]))
def test_linux(case):
    facts = cp.linux_facts(case["probe"], case["uninstaller"])
    expected = dict(case["expected"])
    keep_paths = expected.pop("keep_paths")
    for key, value in expected.items():
        assert facts[key] == value, key
    for path in keep_paths:
        assert path in facts["keep"]
        assert not any(cp._inside(path, removed) for removed in facts["remove"]), path


def test_linux_4x_uninstaller_answers_yes_on_stdin():
    step = cp.linux_uninstaller_step("/tmp/x/crashplan-install/uninstall.sh", "/usr/local/crashplan", "4.x", "/var/tmp/l.log")
    assert step == {
        "name": "vendor uninstaller (4.x)",
        "argv": ["/bin/sh", "/tmp/x/crashplan-install/uninstall.sh", "-q", "-i", "/usr/local/crashplan"],
        "stdin": "yes\n",
        "chdir": "/tmp/x/crashplan-install",
        "rc_ok": [0],
    }


def test_safe_removals_never_touch_kept_paths():
    remove, left = cp.safe_removals(
        ["/usr/local/crashplan", "/home/alice/.config/CrashPlan", "/", "/home", "/srv/a/cache"],
        ["/srv/a", "/usr/local/crashplan/x/archive"],
        {"/usr/local/crashplan": ["/usr/local/crashplan/bin", "/usr/local/crashplan/x"]})
    assert remove == ["/home/alice/.config/CrashPlan", "/usr/local/crashplan/bin"]
    reasons = dict((entry["path"], entry["reason"]) for entry in left)
    assert reasons["/usr/local/crashplan/x"].startswith("holds /usr/local/crashplan/x/archive; its other content is unknown")
    assert reasons["/srv/a/cache"].startswith("kept")
    assert reasons["/"] == reasons["/home"] == "system or home root, never removed"


@pytest.mark.parametrize("case", CASES["macos"], ids=_ids(CASES["macos"]))
def test_macos(case):
    facts = cp.macos_facts(case["probe"])
    expected = dict(case["expected"])
    keep_paths = expected.pop("keep_paths")
    for key, value in expected.items():
        assert facts[key] == value, key
    for path in keep_paths:
        assert path in facts["keep"]
        assert not any(cp._inside(path, removed) for removed in facts["remove"]), path


def test_macos_user_uninstaller_needs_install_vars():
    """The user's Uninstall.app has no install.vars beside it: the script would exit 1 (HBC #16038), so it is not run."""
    facts = cp.macos_facts(CASES["macos"][0]["probe"])
    assert not [s for s in facts["steps"] if "/Users/alice/Library/Application Support" in " ".join(s["argv"])]


def test_pkgutil_info():
    assert cp.parse_pkgutil_info("package-id: com.code42.app.pkg\nversion: 8.2.1\nlocation: Applications\n") == {
        "package_id": "com.code42.app.pkg", "version": "8.2.1", "location": "Applications"}


@pytest.mark.parametrize("text,code", [("Logged in, unlocked (2)", 2), ("Logged in (1)", 1), ("Not logged in", -1),
                                       ("Registration required (4)", 4)])
def test_login_status(text, code):
    assert cp.parse_login_status(text) == code


@pytest.mark.parametrize("case", CASES["gate"], ids=_ids(CASES["gate"]))
def test_gate(case):
    got = cp.decide_gate(case["present"], case.get("enabled", True), case.get("comet"), case.get("server"))
    assert {"open": got["open"], "reason": got["reason"]} == case["expected"]
    assert all(c["ok"] for c in got["checks"]) or not got["open"]
