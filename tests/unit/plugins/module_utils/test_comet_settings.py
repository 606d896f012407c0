# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-setting functions shared by comet_device, comet_profile, comet_schedule, comet_exclusions and
comet_device_settings, without a server. Table-driven cases of the combined plan live in test_comet_settings.yaml."""
from __future__ import annotations

import copy
import os

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _comet_settings as st
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

NOW = 1770000000
LINUX = {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""}

with open(os.path.join(os.path.dirname(__file__), "test_comet_settings.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)


def profile():
    return {
        "Username": "lab",
        "ZZFutureProfileField": {"kept": [1, 2]},
        "Destinations": {"vault-a": {"Description": "Vault A"}, "vault-b": {"Description": "Vault B"}},
        "Devices": {
            "dev-lin": {"FriendlyName": "lts22", "PlatformVersion": LINUX, "ZZFutureDeviceField": 1},
            "dev-win": {"FriendlyName": "pc-win", "PlatformVersion": {"os": "windows"}},
            "dev-bsd": {"FriendlyName": "bsd", "PlatformVersion": {"os": "freebsd"}},
        },
        "Sources": {
            "src-win": {"Engine": "engine1/file", "OwnerDevice": "dev-win", "Description": "Windows UNIL",
                        "CreateTime": 1, "ModifyTime": 1, "ZZFutureSourceField": "kept",
                        "EngineProps": {"INCLUDE1": "C:/Users", "EXCLUDE1": "C:/Users/*/keep", "USE_WIN_VSS": ""}},
            "src-db": {"Engine": "engine1/mysql", "OwnerDevice": "dev-lin", "Description": "db"},
        },
        "BackupRules": {
            "rule-win": {"Source": "src-win", "Destination": "vault-a", "ModifyTime": 1, "ZZFutureRuleField": True,
                         "Schedules": [{"FrequencyType": 8012, "SecondsPast": 0}], "EventTriggers": {"OnPCBoot": True}},
        },
    }


def apply(params, stored=None):
    stored = copy.deepcopy(stored if stored is not None else profile())
    request = st.settings_request(dict({"account": "lab"}, **params))
    return st.apply_settings(stored, request, NOW)


def props(item, prefix):
    return sorted(v for k, v in (item.get("EngineProps") or {}).items() if k.startswith(prefix))


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_apply_settings(case):
    before = profile()
    after, found = apply(case["params"], before)
    assert [[c["setting"], c["changed"]] for c in found["changes"]] == case["changes"]
    for key, value in case.get("found", {}).items():
        assert found[key] == value, key
    device_id = case["params"]["device_id"]
    if "device_name" in case:
        assert after["Devices"][device_id]["FriendlyName"] == case["device_name"]
    if "item" in case:
        item = after["Sources"][found["item_id"]]
        assert item["OwnerDevice"] == device_id
        assert {"name": item["Description"], "folders": props(item, "INCLUDE"), "globs": props(item, "EXCLUDE"),
                "regexes": props(item, "REXCLUDE")} == case["item"]
    if "rule" in case:
        rule = after["BackupRules"][found["rule_id"]]
        assert rule["Source"] == found["item_id"] and rule["Destination"] == found["vault_id"]
        for key, value in case["rule"].items():
            assert rule[key] == value, key
    # what is not managed is kept: other devices, other items, unknown fields
    original = profile()
    assert after["ZZFutureProfileField"] == original["ZZFutureProfileField"]
    assert after["Sources"]["src-db"] == original["Sources"]["src-db"]
    for other in set(original["Devices"]) - {device_id}:
        assert after["Devices"][other] == original["Devices"][other]
    if "src-win" in after["Sources"]:
        assert after["Sources"]["src-win"]["ZZFutureSourceField"] == "kept"
        assert after["BackupRules"]["rule-win"]["ZZFutureRuleField"] is True
    changed = any(c["changed"] for c in found["changes"])
    assert (after != original) == changed
    # a second application of the same settings changes nothing
    again, found_again = apply(case["params"], after)
    assert not any(c["changed"] for c in found_again["changes"]) and again == after


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_apply_settings_invalid_names_the_option(case):
    with pytest.raises(CometInputError) as err:
        apply(case["params"])
    assert err.value.option == case["error"]
    assert str(err.value).startswith(case["error"] + ":")


def test_request_is_validated_without_the_profile():
    """Input that does not depend on the device fails in settings_request(), before any API call."""
    for params, option in (({"device_id": "d", "schedules": [{"frequency": "daily", "at": "24:00"}]}, "schedules[0].at"),
                           ({"device_id": "d", "exclude_regexes": ["("]}, "exclude_regexes"),
                           ({"device_id": "d", "retry_count": 101}, "retry_count")):
        with pytest.raises(CometInputError) as err:
            st.settings_request(dict({"account": "lab"}, **params))
        assert err.value.option == option
    request = st.settings_request({"account": "lab", "device_id": "d", "exclusions_state": "exact"})
    assert request["exclusions"] and not request["item"] and request["schedules"] is None and request["triggers"] == {}


def test_each_setting_returns_the_profile_and_a_change_description():
    p = profile()
    out, change = st.set_device_name(p, "dev-lin", name="new")
    assert out is p and change == {"setting": "name", "changed": True, "device_id": "dev-lin"}
    assert p["Devices"]["dev-lin"] == {"FriendlyName": "new", "PlatformVersion": LINUX, "ZZFutureDeviceField": 1}
    assert st.set_device_name(p, device_name="new", name=None)[1]["changed"] is False

    out, change = st.set_protected_item(p, "lab", "dev-lin", vault="vault-b", now=NOW)
    assert change["setting"] == "item" and change["changed"] and change["created"] == ["item", "rule"]
    item = p["Sources"][change["item_id"]]
    assert item["Description"] == "Linux UNIL" and props(item, "INCLUDE") == ["/home"]
    assert item["CreateTime"] == item["ModifyTime"] == NOW
    assert p["BackupRules"][change["rule_id"]]["Destination"] == "vault-b"
    # the keys are derived from the account, the device and the name: the same on every controller
    assert change["item_id"] == st.deterministic_guid("source", "lab", "dev-lin", "Linux UNIL")
    assert st.set_protected_item(p, "lab", "dev-lin", vault="vault-b", now=NOW + 1)[1]["changed"] is False

    out, sched = st.set_schedule(p, "dev-lin", schedules=[{"FrequencyType": 8011, "SecondsPast": 60, "Offset": 0,
                                                           "RandomDelaySecs": 0}], triggers={"OnPCBoot": True}, now=NOW + 2)
    assert sched == {"setting": "schedule", "changed": True, "device_id": "dev-lin", "item_id": change["item_id"],
                     "rule_id": change["rule_id"]}
    assert p["BackupRules"][change["rule_id"]]["ModifyTime"] == NOW + 2

    out, excl = st.set_user_exclusions(p, "dev-lin", globs=["/home/*/x"], now=NOW + 3)
    assert excl["setting"] == "exclusions" and excl["changed"] and excl["item_id"] == change["item_id"]
    assert excl["warnings"] == [] and excl["workarounds"] == {}
    assert props(p["Sources"][change["item_id"]], "EXCLUDE") == ["/home/*/x"]
    assert p["Sources"][change["item_id"]]["ModifyTime"] == NOW + 3


def test_protected_item_defaults_false_keeps_what_is_not_given():
    p = profile()
    dummy, change = st.set_protected_item(p, "lab", "dev-win", vault="vault-a", defaults=False)
    assert not change["changed"] and p == profile()
    dummy, change = st.set_protected_item(p, "lab", "dev-win", folders=["D:/x"], folders_mode="merge", vault="vault-a",
                                          now=NOW, defaults=False)
    assert change["changed"] and p["Sources"]["src-win"]["Description"] == "Windows UNIL"
    assert props(p["Sources"]["src-win"], "INCLUDE") == ["C:/Users", "D:/x"]
    assert p["Sources"]["src-win"]["EngineProps"]["USE_WIN_VSS"] == ""
    # a new item still gets the UNIL name and folder
    dummy, change = st.set_protected_item(p, "lab", "dev-lin", vault="vault-a", defaults=False)
    assert change["created"] == ["item", "rule"]
    assert props(p["Sources"][change["item_id"]], "INCLUDE") == ["/home"]


def test_missing_item_hint_names_the_way_to_create_it():
    with pytest.raises(CometInputError) as err:
        st.set_schedule(profile(), "dev-lin", schedules=[])
    assert "unil.backup.comet_profile" in str(err.value)
    with pytest.raises(CometInputError) as err:
        apply({"device_id": "dev-lin", "exclude_globs": ["/x"]})
    assert err.value.option == "item_name" and "item_defaults or folders" in str(err.value)


def test_check_mode_plan_puts_schedule_and_exclusions_on_the_item_it_creates():
    """The single write (or, in check mode, the single plan) holds the new item, its rule, its schedule and its
    exclusions together."""
    after, found = apply({"device_id": "dev-lin", "item_defaults": True, "vault": "vault-a",
                          "schedules": [{"frequency": "hourly"}], "exclude_globs": ["/home/*/tmp"]})
    item = after["Sources"][found["item_id"]]
    rule = after["BackupRules"][found["rule_id"]]
    assert rule["Source"] == found["item_id"] and rule["Schedules"][0]["FrequencyType"] == 8012
    assert props(item, "EXCLUDE") == ["/home/*/tmp"]
    views = st.settings_views(after, found)
    assert views["item"]["folders"] == ["/home"] and views["schedule"]["schedules"] == [{"frequency": "hourly", "minute": 0}]
    before_view = st.settings_diff_view(profile(), found)
    assert before_view == {"device_id": "dev-lin", "device_name": "lts22"}
    assert set(st.settings_diff_view(after, found)) == {"device_id", "device_name", "item_id", "item_name", "folders",
                                                        "vault_id", "rule_id", "schedules", "event_triggers", "globs", "regexes"}


def test_renamed_error_keeps_the_message():
    err = CometInputError("globs", "bad")
    assert str(err.renamed({"globs": "exclude_globs"})) == "exclude_globs: bad"
    assert err.renamed({}).option == "globs"
