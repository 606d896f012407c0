# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import re
import unicodedata

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_defaults as d
from ansible_collections.unil.backup.plugins.module_utils import _comet_exclusions as x
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

NFC_U = "Universit\u00e9"
NFD_U = "Universite\u0301"


def matches(regex, path):
    """Comet matches exclusions on the whole path; our regexes are anchored, so search() == fullmatch()."""
    return re.search(regex, path) is not None


def test_seed_data_shape_and_accent():
    assert d.PROTECTED_ITEM_NAMES == {"windows": "Windows UNIL", "macos": "macOS UNIL", "linux": "Linux UNIL"}
    assert d.DEFAULT_FOLDERS == {"windows": ["C:/Users"], "macos": ["/Users"], "linux": ["/home"]}
    assert "C:\\Users\\*\\OneDrive - Universit\u00e9 de Lausanne" in d.USER_EXCLUSIONS["windows"]
    assert "C:\\Users\\*\\AppData\\\\Local" in d.USER_EXCLUSIONS["windows"]
    # The seed is stored composed (NFC), byte for byte.
    for values in list(d.USER_EXCLUSIONS.values()) + list(d.SYSTEM_EXCLUSIONS.values()):
        for value in values:
            assert unicodedata.normalize("NFC", value) == value
    assert [len(d.SYSTEM_EXCLUSIONS[k]) for k in ("any", "windows", "macos", "linux")] == [6, 40, 28, 1]
    # the two entries that look mistyped are kept as the seed writes them (README: for the site to confirm)
    assert r".*/(cookies|permissions).sqllite(-.{3})?" in d.SYSTEM_EXCLUSIONS["any"]
    assert r".*/lost\ found/.*" in d.SYSTEM_EXCLUSIONS["windows"] and r".*/lost\ found/.*" in d.SYSTEM_EXCLUSIONS["macos"]
    # what the seed announces is not mixed into its lists
    assert not any("CoreSpotlight" in p or "DataVaults" in p for v in d.SYSTEM_EXCLUSIONS.values() for p in v)


def test_default_system_exclusions_all_compile_and_fix_applied():
    defaults = x.default_system_exclusions()
    for level, patterns in defaults.items():
        for pattern in patterns:
            re.compile(pattern)
        assert len(patterns) == len(set(patterns))
    assert "/Users/**/.DS_Store" not in defaults["macos"]
    assert matches("/Users/.*/\\.DS_Store", "/Users/jdoe/Documents/.DS_Store")
    # the duplicated ".*/Library/Saved Application State/.*" is written once; CoreSpotlight, announced by the seed, is
    # added last
    assert len(defaults["macos"]) == 28
    assert defaults["macos"][-2:] == ["/Users/.*/\\.DS_Store", ".*/Library/Metadata/CoreSpotlight/.*"]
    assert [len(defaults[k]) for k in ("any", "windows", "linux")] == [6, 40, 1]
    entries, warnings = x.system_exclusions_plan(defaults)
    assert warnings == []
    assert {e["RestrictOS"] for e in entries} == {0, 1, 4, 5}
    assert all(e["Regex"] is True for e in entries)


CORESPOTLIGHT = "/Users/admin/Library/Metadata/CoreSpotlight"
DATAVAULTS = "/Users/jmasdona/Library/Containers/com.apple.mail/Data/DataVaults"


@pytest.mark.parametrize("path,excluded", [
    # the paths of the seed's warnings ("Users/username/...", "Users/admin/...")
    (CORESPOTLIGHT + "/NSFileProtectionCompleteUnlessOpen/index.spotlightV3/.store.db", True),
    (CORESPOTLIGHT + "/NSFileProtectionCompleteUnlessOpen/index.spotlightV3/0.directoryStoreFile", True),
    ("/Users/username/Library/Metadata/CoreSpotlight/", True),
    ("/Users/admin/Library/Metadata/CoreSpotlightX/a", False),
    ("/Users/admin/Library/Metadata/com.apple.IntelligentSuggestions/a", False),
    ("/Users/admin/Documents/Library/Metadata/Notes.txt", False),
])
def test_corespotlight_in_the_macos_set(path, excluded):
    macos = x.default_system_exclusions()["macos"]
    assert any(matches(regex, path) for regex in macos) is excluded, path
    assert not any(matches(regex, path) for regex in x.default_system_exclusions()["any"])


@pytest.mark.parametrize("path,excluded", [
    (DATAVAULTS, True),  # lstat of the folder itself fails: the folder must match, not only what is below
    (DATAVAULTS + "/x/y", True),
    (DATAVAULTS + "2", False),
    ("/Users/jdoe/Library/Containers/com.apple.Safari/Data/Library", False),
])
def test_datavaults_is_an_optional_macos_set(path, excluded):
    plain = x.default_system_exclusions()
    with_datavaults = x.default_system_exclusions(["datavaults"])
    assert not any(matches(regex, DATAVAULTS) for regex in plain["macos"])
    assert with_datavaults["macos"][:-1] == plain["macos"]
    assert dict((k, v) for k, v in with_datavaults.items() if k != "macos") == dict((k, v) for k, v in plain.items() if k != "macos")
    assert any(re.fullmatch(regex, path) for regex in with_datavaults["macos"][-1:]) is excluded, path
    assert x.default_system_exclusions(["datavaults"], unil_set=False) == {
        "any": [], "windows": [], "macos": [r".*/Library/Containers/com.apple.mail/Data/DataVaults(/.*)?"], "linux": []}
    assert x.OPTIONAL_SYSTEM_SETS == ("datavaults",)


def test_unknown_optional_set_is_refused():
    with pytest.raises(CometInputError) as err:
        x.default_system_exclusions(["datavault"])
    assert err.value.option == "optional_defaults" and "'datavault'" in err.value.message and "datavaults" in err.value.message


POLICIES = {"pol-unil": "UNIL", "pol-a": "Labs", "pol-b": "Labs", "pol-c": "Unil ", "pol-d": ""}


@pytest.mark.parametrize("name,expected", [
    ("UNIL", "pol-unil"),
    ("Unil ", "pol-c"),  # exact, outer spaces included
    ("Labs", "2 policies are named 'Labs' (IDs pol-a, pol-b): give policy_id instead"),
    ("unil", "no policy is named 'unil'; differing only in case, outer spaces or Unicode form: 'Unil ' (ID pol-c), "
             "'UNIL' (ID pol-unil)"),
    ("Other", "no policy is named 'Other'; the server's policies are named '', 'Labs', 'UNIL', 'Unil '"),
    ("", "empty policy name"),
    ("  ", "empty policy name"),
])
def test_policy_id_by_name(name, expected):
    if expected.startswith("pol-"):
        assert x.policy_id_by_name(POLICIES, name) == expected
        return
    with pytest.raises(CometInputError) as err:
        x.policy_id_by_name(POLICIES, name)
    assert err.value.option == "policy_name" and err.value.message == expected


def test_policy_id_by_name_lists_at_most_ten_names():
    policies = dict(("pol-%02d" % i, "Policy %02d" % i) for i in range(12))
    with pytest.raises(CometInputError) as err:
        x.policy_id_by_name(policies, "UNIL")
    assert err.value.message.endswith("'Policy 09' and 2 more")
    with pytest.raises(CometInputError) as err:
        x.policy_id_by_name({}, "UNIL")
    assert err.value.message == "no policy is named 'UNIL'; the server's policies are named (none)"
    with pytest.raises(CometInputError):
        x.policy_id_by_name(["pol-unil"], "UNIL")


@pytest.mark.parametrize("os_name,glob,inside,outside", [
    ("macos", "/Users/*/OneDrive - " + NFC_U + " de Lausanne",
     ["/Users/jdoe/OneDrive - {u} de Lausanne", "/Users/jdoe/OneDrive - {u} de Lausanne/Documents/a.txt"],
     ["/Users/jdoe/OneDrive - Universite de Lausanne", "/Users/jdoe/OneDrive - Universit\u00e8 de Lausanne",
      "/Users/jdoe/x/OneDrive - {u} de Lausanne", "/Users/jdoe/OneDrive - {u} de Lausanne2",
      "/Users/jdoe/OneDrive - Universit\u00c9 de Lausanne"]),
    ("windows", "C:\\Users\\*\\OneDrive - " + NFC_U + " de Lausanne",
     ["C:\\Users\\jdoe\\OneDrive - {u} de Lausanne", "C:/Users/jdoe/OneDrive - {u} de Lausanne/f.docx",
      "c:\\users\\JDOE\\onedrive - {u} de lausanne"],
     ["C:\\Users\\jdoe\\OneDrive - Universite de Lausanne", "C:\\Users\\a\\b\\OneDrive - {u} de Lausanne",
      "D:\\Users\\jdoe\\OneDrive - {u} de Lausanne"]),
])
def test_accent_workaround_matches_nfc_and_nfd(os_name, glob, inside, outside):
    regex = x.glob_to_regex(glob, os_name)
    re.compile(regex)
    for form in (NFC_U, NFD_U):
        for path in inside:
            assert matches(regex, path.format(u=form)), (regex, path.format(u=form))
        for path in outside:
            assert not matches(regex, path.format(u=form)), (regex, path.format(u=form))


def test_accent_workaround_exact_text():
    """What is written is documented in the module: keep this in sync with comet_exclusions' docs."""
    regex = x.glob_to_regex("/Users/*/OneDrive - " + NFC_U + " de Lausanne", "macos")
    assert regex == "^/Users/[^/]*/OneDrive - Universit(?:\u00e9|e\u0301) de Lausanne(?:/.*)?$"
    # an NFD input gives the same regex
    assert x.glob_to_regex("/Users/*/OneDrive - " + NFD_U + " de Lausanne", "macos") == regex


def test_user_plan_adds_workaround_and_warns():
    globs, regexes, warnings, workarounds = x.user_exclusions_plan(d.USER_EXCLUSIONS["macos"], [], "macos")
    assert globs == d.USER_EXCLUSIONS["macos"]
    assert len(regexes) == 1 and len(warnings) == 1
    assert "OneDrive" in warnings[0] and regexes[0] in warnings[0]
    dummy, regexes2, warnings2, workarounds2 = x.user_exclusions_plan(d.USER_EXCLUSIONS["macos"], [], "macos", accent_workaround=False)
    assert regexes2 == [] and len(warnings2) == 1 and list(workarounds2.values()) == [None]


def test_user_plan_windows_defaults_validate():
    globs, regexes, warnings, dummy = x.user_exclusions_plan(d.USER_EXCLUSIONS["windows"], [], "windows")
    assert len(globs) == 7 and len(regexes) == 1


@pytest.mark.parametrize("glob,os_name", [
    ("Users/*/tmp", "linux"), ("C:/Users/x", "linux"), ("/home/x", "windows"), ("", "linux"), ("a\nb", "linux"),
])
def test_bad_globs_name_the_option(glob, os_name):
    with pytest.raises(CometInputError) as err:
        x.user_exclusions_plan([glob], [], os_name)
    assert err.value.option == "globs"


def test_wildcard_globs_accepted():
    x.user_exclusions_plan(["*.iso", "**/node_modules"], [], "linux")


def test_bad_regex_names_pattern():
    with pytest.raises(CometInputError) as err:
        x.user_exclusions_plan([], [".*/ok/.*", "/Users/**/x"], "macos")
    assert err.value.option == "regexes"
    assert "/Users/**/x" in str(err.value)
    with pytest.raises(CometInputError) as err:
        x.system_exclusions_plan({"linux": ["(unclosed"]})
    assert err.value.option == "system.linux" and "(unclosed" in str(err.value)


def test_regex_accent_variant():
    variant, skipped = x.regex_accent_variant(".*/R\u00e9sum\u00e9s/.*")
    assert skipped == []
    for form in ("R\u00e9sum\u00e9s", "Re\u0301sume\u0301s"):
        assert re.fullmatch(variant, "/home/a/%s/b" % form)
    assert not re.fullmatch(variant, "/home/a/Resumes/b")
    variant, skipped = x.regex_accent_variant("[\u00e9\u00e8]t\u00e9")
    assert skipped == ["\u00e9", "\u00e8"] and variant == "[\u00e9\u00e8]t(?:\u00e9|e\u0301)"
    assert x.regex_accent_variant(".*/plain/.*") == (None, [])


def test_system_accented_regex_gets_variant_entry():
    entries, warnings = x.system_exclusions_plan({"macos": [".*/Caf\u00e9/.*"]})
    assert [e["Exclude"] for e in entries] == [".*/Caf\u00e9/.*", ".*/Caf(?:\u00e9|e\u0301)/.*"]
    assert len(warnings) == 1


def test_apply_user_exclusions_states():
    props = {"INCLUDE1": "/home", "EXCLUDEa": "/home/*/old", "REXCLUDEz": ".*\\.iso", "USE_WIN_VSS": ""}
    present = x.apply_user_exclusions(props, ["/home/*/cache"], [], "present")
    assert x.props_values(present, "EXCLUDE") == ["/home/*/old", "/home/*/cache"] or \
        sorted(x.props_values(present, "EXCLUDE")) == ["/home/*/cache", "/home/*/old"]
    assert present["EXCLUDEa"] == "/home/*/old" and present["INCLUDE1"] == "/home" and present["USE_WIN_VSS"] == ""
    assert present[x.prop_key("EXCLUDE", "/home/*/cache")] == "/home/*/cache"
    # idempotent
    assert x.apply_user_exclusions(present, ["/home/*/cache"], [], "present") == present
    absent = x.apply_user_exclusions(present, ["/home/*/cache"], [".*\\.iso"], "absent")
    assert x.props_values(absent, "EXCLUDE") == ["/home/*/old"] and x.props_values(absent, "REXCLUDE") == []
    exact = x.apply_user_exclusions(present, ["/tmp/x"], [".*\\.iso"], "exact")
    assert x.props_values(exact, "EXCLUDE") == ["/tmp/x"]
    assert exact["REXCLUDEz"] == ".*\\.iso"  # kept under its key
    assert exact["INCLUDE1"] == "/home"


def test_apply_system_exclusions_states():
    keep = {"Exclude": ".*/keep", "Regex": True, "RestrictOS": 0, "Unknown": 1}
    new = {"Exclude": ".*/new", "Regex": True, "RestrictOS": 5}
    assert x.apply_system_exclusions([keep], [new], "present") == [keep, new]
    assert x.apply_system_exclusions([keep, new], [new], "present") == [keep, new]
    assert x.apply_system_exclusions([keep, new], [new], "absent") == [keep]
    assert x.apply_system_exclusions([keep, new], [dict(keep, Unknown=None), ], "exact") == [keep]
    # same pattern, other OS: a different entry
    other = dict(new, RestrictOS=4)
    assert x.apply_system_exclusions([new], [other], "present") == [new, other]
