# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the person owns stays theirs (comet_device_settings' set_once, the role comet_config's default): the UNIL
folders, schedule and user-level exclusions are written when the device's item is created; a folder the person added,
the OneDrive exclusion they removed and the schedule they changed survive the next run, which reports them in
``kept``; a setting the site enforces is restored and reported as a change."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_settings as st
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

NOW = 1770000000
ONEDRIVE = "C:\\Users\\*\\OneDrive - Université de Lausanne"
PARAMS = {
    "account": "lab", "device_id": "dev-new", "name": "pc-new", "item_defaults": True,
    "schedules": [{"frequency": "daily", "at": "12:00"}], "random_delay": 1800, "run_missed_on_boot": True,
    "exclusions_defaults": True,
}
EVERYTHING = ["folders", "schedule", "exclusions"]


def fresh_profile():
    return {
        "Username": "lab",
        "Destinations": {"vault-a": {"Description": "Vault A"}},
        "Devices": {"dev-new": {"FriendlyName": "DESKTOP-1", "PlatformVersion": {"os": "windows"}}},
        "Sources": {}, "BackupRules": {},
    }


def apply(profile, set_once, **more):
    request = st.settings_request(dict(PARAMS, set_once=set_once, **more))
    return st.apply_settings(copy.deepcopy(profile), request, NOW)


def item_of(profile, found):
    return profile["Sources"][found["item_id"]]


def values(item, prefix):
    return sorted(v for k, v in item["EngineProps"].items() if k.startswith(prefix))


def person_edits(profile, found):
    """What the person does in their client: adds D:/Data, removes the OneDrive exclusion, backs up at 20:00."""
    edited = copy.deepcopy(profile)
    props = item_of(edited, found)["EngineProps"]
    props["INCLUDE99"] = "D:/Data"
    for key in [k for k, v in props.items() if v == ONEDRIVE]:
        del props[key]
    edited["BackupRules"][found["rule_id"]]["Schedules"][0]["SecondsPast"] = 20 * 3600
    return edited


@pytest.fixture(name="configured")
def configured_fixture():
    """A new device configured by a first run that owns nothing: the UNIL defaults are all written."""
    after, found = apply(fresh_profile(), EVERYTHING)
    assert found["created"] == ["item", "rule"] and found["kept"] == {}
    assert [c["setting"] for c in found["changes"] if c["changed"]] == ["name", "item", "schedule", "exclusions"]
    item = item_of(after, found)
    assert values(item, "INCLUDE") == ["C:/Users"] and ONEDRIVE in values(item, "EXCLUDE")
    assert after["BackupRules"][found["rule_id"]]["Schedules"][0]["SecondsPast"] == 12 * 3600
    return after, found


def without_onedrive_workaround(profile, found):
    """``profile`` without the accent workaround regex of the OneDrive glob (the other half of that one setting)."""
    out = copy.deepcopy(profile)
    props = item_of(out, found)["EngineProps"]
    for key in [k for k, v in props.items() if k.startswith("REXCLUDE") and "OneDrive" in v]:
        del props[key]
    item_of(out, found)["ModifyTime"] = NOW
    return out


def test_the_persons_edits_survive_a_rerun(configured):
    """The person removed the OneDrive glob: its accent workaround goes with it, the rest stays theirs."""
    after, found = configured
    edited = person_edits(after, found)
    again, found_again = apply(edited, EVERYTHING)
    assert again == without_onedrive_workaround(edited, found)
    assert [(c["setting"], c.get("reason")) for c in found_again["changes"] if c["changed"]] == [
        ("exclusions", "pair_removed_by_person")]
    third, found_third = apply(again, EVERYTHING)
    assert third == again and not any(c["changed"] for c in found_third["changes"])
    kept = found_again["kept"]
    assert sorted(kept) == sorted(EVERYTHING)
    assert kept["folders"] == {"stored": ["C:/Users", "D:/Data"], "wanted": ["C:/Users"]}
    assert kept["schedule"]["stored"]["schedules"][0]["at"] == "20:00"
    assert kept["schedule"]["wanted"]["schedules"][0]["at"] == "12:00"
    assert ONEDRIVE not in kept["exclusions"]["stored"]["globs"]
    assert ONEDRIVE in kept["exclusions"]["wanted"]["globs"]


def test_enforcing_one_setting_restores_only_that_one(configured):
    after, found = configured
    edited = person_edits(after, found)
    again, found_again = apply(edited, ["folders", "exclusions"])  # the site enforces the schedule
    assert [c["setting"] for c in found_again["changes"] if c["changed"]] == ["schedule", "exclusions"]
    assert again["BackupRules"][found["rule_id"]]["Schedules"][0]["SecondsPast"] == 12 * 3600
    item = item_of(again, found)
    assert "D:/Data" in values(item, "INCLUDE") and ONEDRIVE not in values(item, "EXCLUDE")
    assert not [v for v in values(item, "REXCLUDE") if "OneDrive" in v]
    assert sorted(found_again["kept"]) == ["exclusions", "folders"]


def test_enforcing_everything_restores_the_unil_defaults(configured):
    after, found = configured
    again, found_again = apply(person_edits(after, found), [])
    assert again == after
    assert [c["setting"] for c in found_again["changes"] if c["changed"]] == ["item", "schedule", "exclusions"]
    assert found_again["kept"] == {}


def test_enforced_merge_only_ensures_the_sites_folders(configured):
    after, found = configured
    edited = person_edits(after, found)
    again, found_again = apply(edited, ["schedule", "exclusions"], folders=["E:/Lab"], folders_mode="merge")
    assert values(item_of(again, found), "INCLUDE") == ["C:/Users", "D:/Data", "E:/Lab"]
    assert [c["setting"] for c in found_again["changes"] if c["changed"]] == ["item", "exclusions"]


def test_a_rule_created_later_gets_the_schedule(configured):
    """The person deleted the backup rule: the next run creates it, with the UNIL schedule."""
    after, found = configured
    edited = copy.deepcopy(after)
    del edited["BackupRules"][found["rule_id"]]
    again, found_again = apply(edited, EVERYTHING)
    assert found_again["created"] == ["rule"]
    assert again["BackupRules"][found_again["rule_id"]]["Schedules"][0]["SecondsPast"] == 12 * 3600
    assert sorted(found_again["kept"]) == []


def test_an_unchanged_device_keeps_nothing(configured):
    after, dummy = configured
    again, found_again = apply(after, EVERYTHING)
    assert again == after and found_again["kept"] == {}


def test_set_once_names_only_the_persons_settings():
    with pytest.raises(CometInputError) as err:
        st.settings_request(dict(PARAMS, set_once=["name"]))
    assert err.value.option == "set_once"
