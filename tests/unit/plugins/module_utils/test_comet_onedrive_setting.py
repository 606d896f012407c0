# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OneDrive exclusion and its accent workaround are ONE user-level setting (issue 24, point 1).

Seed 000, "Fichiers exclus par défaut": "Attention: les dossiers OneDrive sont exclus par défaut, mais les personnes
utilisant le service peuvent réactiver la sauvegarde de ces dossiers." and "Exclusion au niveau user (modifiable)".
Seed 000, "Problèmes connus": "Un bug dans le logiciel CometBackup rend l'exclusion des fichiers et dossiers contenant
un caractère accentué impossible. L'exclusion ne s'applique pas." - hence one workaround regex, matching the composed
(NFC) and decomposed (NFD) forms of "Université", the same in the defaults and in the known-problem fix text."""
from __future__ import annotations

import copy
import re
import unicodedata

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_settings as st
from ansible_collections.unil.backup.plugins.module_utils._comet_defaults import USER_EXCLUSION_WORKAROUNDS, USER_EXCLUSIONS
from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import (
    default_user_globs,
    glob_to_regex,
    user_exclusions_plan,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_known_problems import KNOWN_PROBLEMS
from ansible_collections.unil.backup.plugins.module_utils._comet_regex import re2_problem

NOW = 1770000000
MAC_GLOB = "/Users/*/OneDrive - Universit\u00e9 de Lausanne"
WIN_GLOB = "C:\\Users\\*\\OneDrive - Universit\u00e9 de Lausanne"
MAC_REGEX = USER_EXCLUSION_WORKAROUNDS["macos"][MAC_GLOB]
EVERYTHING = ["folders", "schedule", "exclusions"]


def forms(text):
    return [unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)]


def test_one_workaround_per_accented_default_glob():
    """Seed 000 "Exclusion au niveau user (modifiable)": each accented default glob has exactly one workaround, the
    one glob_to_regex() builds, valid for the client's RE2."""
    for os_name, globs in USER_EXCLUSIONS.items():
        accented = [g for g in globs if unicodedata.normalize("NFD", g) != g]
        assert sorted(USER_EXCLUSION_WORKAROUNDS[os_name]) == sorted(accented)
        for glob, regex in USER_EXCLUSION_WORKAROUNDS[os_name].items():
            assert regex == glob_to_regex(glob, os_name)
            assert not re2_problem(regex)
        plan = user_exclusions_plan(default_user_globs(os_name), [], os_name)
        assert plan[1] == list(USER_EXCLUSION_WORKAROUNDS[os_name].values())


def test_the_fix_text_names_the_same_pattern():
    """Seed 000 "Un bug dans le logiciel CometBackup rend l'exclusion ... contenant un caractère accentué impossible":
    the fix suggests the regex the defaults write, not a third pattern nothing writes."""
    fix = [p for p in KNOWN_PROBLEMS if p["id"] == "accented_exclusion"][0]["fix"]
    for table in USER_EXCLUSION_WORKAROUNDS.values():
        for regex in table.values():
            assert regex in fix
    assert "Universit* de Lausanne" not in fix


@pytest.mark.parametrize("path", forms("/Users/mia/OneDrive - Universit\u00e9 de Lausanne/Documents/rapport.docx")
                         + forms("/Users/mia/OneDrive - Universit\u00e9 de Lausanne"))
def test_the_mac_workaround_matches_both_unicode_forms(path):
    """Seed 000 "Cas de OneDrive sur macOS 11 et plus anciens": macOS 11 stores the name decomposed (NFD)."""
    assert re.search(MAC_REGEX, path)
    assert not re.search(MAC_REGEX, path.replace("OneDrive", "OneDrive2"))


@pytest.mark.parametrize("path", forms("C:\\Users\\mia\\OneDrive - Universit\u00e9 de Lausanne\\notes.txt")
                         + forms("c:/users/mia/onedrive - universit\u00e9 de lausanne"))
def test_the_windows_workaround_matches_both_unicode_forms(path):
    """Seed 000 "Exclusion au niveau user (modifiable)": "C:\\Users\\*\\OneDrive - Université de Lausanne"."""
    regex = USER_EXCLUSION_WORKAROUNDS["windows"][WIN_GLOB]
    assert re.search(regex, path)
    assert not re.search(regex, path.replace("mia", "mia\\sub"))


def mac_profile():
    return {
        "Username": "lab",
        "Destinations": {"vault-a": {"Description": "Vault A"}},
        "Devices": {"dev-mac": {"FriendlyName": "mac-1", "PlatformVersion": {"os": "darwin"}}},
        "Sources": {}, "BackupRules": {},
    }


def apply(profile, set_once):
    request = st.settings_request({"account": "lab", "device_id": "dev-mac", "item_defaults": True,
                                   "exclusions_defaults": True, "set_once": set_once})
    return st.apply_settings(copy.deepcopy(profile), request, NOW)


def onedrive_patterns(profile, found):
    """Every exclusion of the item that would exclude OneDrive: a glob or a regex naming it, in either form."""
    props = profile["Sources"][found["item_id"]]["EngineProps"]
    return sorted(v for k, v in props.items() if k.startswith(("EXCLUDE", "REXCLUDE"))
                  and "onedrive" in unicodedata.normalize("NFC", v).lower())


def remove(profile, found, predicate):
    out = copy.deepcopy(profile)
    props = out["Sources"][found["item_id"]]["EngineProps"]
    for key in [k for k, v in props.items() if predicate(k, v)]:
        del props[key]
    return out


@pytest.fixture(name="configured")
def configured_fixture():
    """Seed 000 "les dossiers OneDrive sont exclus par défaut": the first run writes the glob and its workaround."""
    after, found = apply(mac_profile(), EVERYTHING)
    assert onedrive_patterns(after, found) == sorted([MAC_GLOB, MAC_REGEX])
    return after, found


@pytest.mark.parametrize("half", ["glob", "regex"])
def test_a_removed_half_takes_the_other_with_it(configured, half):
    """Seed 000 "les personnes utilisant le service peuvent réactiver la sauvegarde de ces dossiers": once the person
    removed the glob or the regex, nothing of the setting stays, nor comes back on later runs."""
    after, found = configured
    prefix = "EXCLUDE" if half == "glob" else "REXCLUDE"
    edited = remove(after, found, lambda k, v: k.startswith(prefix) and "OneDrive" in v)
    again, found_again = apply(edited, EVERYTHING)
    assert onedrive_patterns(again, found_again) == []
    removed = [c for c in found_again["changes"] if c.get("reason") == "pair_removed_by_person"]
    assert [c["removed"] for c in removed] == [[MAC_REGEX] if half == "glob" else [MAC_GLOB]]
    assert "/Users/Guest" in again["Sources"][found["item_id"]]["EngineProps"].values()
    third, found_third = apply(again, EVERYTHING)
    assert third == again and onedrive_patterns(third, found_third) == []
    assert not any(c["changed"] for c in found_third["changes"])


def test_a_decomposed_glob_left_alone_is_the_same_half(configured):
    """The client may store the name decomposed (seed 000, "caractère accentué"): the half left is found in NFD."""
    after, found = configured
    edited = remove(after, found, lambda k, v: "OneDrive" in v and k.startswith("REXCLUDE"))
    props = edited["Sources"][found["item_id"]]["EngineProps"]
    key = [k for k, v in props.items() if v == MAC_GLOB][0]
    props[key] = unicodedata.normalize("NFD", MAC_GLOB)
    again, found_again = apply(edited, EVERYTHING)
    assert onedrive_patterns(again, found_again) == []


def test_enforcement_brings_both_back_and_says_so(configured):
    """comet_config_enforce: [exclusions] - the site's choice overrides seed 000's "peuvent réactiver"."""
    after, found = configured
    edited = remove(after, found, lambda k, v: "OneDrive" in v)
    again, found_again = apply(edited, ["folders", "schedule"])
    assert onedrive_patterns(again, found_again) == sorted([MAC_GLOB, MAC_REGEX])
    change = [c for c in found_again["changes"] if c["setting"] == "exclusions"][0]
    assert change["restored"] == [MAC_GLOB, MAC_REGEX]
    assert [w for w in found_again["warnings"] if w.startswith("exclusions enforced")]
    # nothing missing: nothing said
    dummy, found_third = apply(again, ["folders", "schedule"])
    assert not [w for w in found_third["warnings"] if w.startswith("exclusions enforced")]
