# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The comet_* modules' main(), in-process, against the Comet Server stand-in. Table-driven cases live in
test_comet_modules.yaml; the tests below check what a table cannot (untouched fields, diffs, policies, info)."""
from __future__ import annotations

import os
import re
import unicodedata

import pytest
import yaml

from ansible_collections.unil.backup.tests.unit.plugins.modules.module_testlib import subset

ACCOUNT = "lab"  # the account conftest.py creates

WRITE = "set-user-profile-hash"
READ = "get-user-profile-and-hash"

with open(os.path.join(os.path.dirname(__file__), "test_comet_modules.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)


def warning_texts(result):
    """Warnings as strings (ansible-core 2.19 returns them as structured summaries in-process)."""
    out = []
    for warning in result.get("warnings", []):
        out.append(warning if isinstance(warning, str) else warning.get("event", {}).get("msg", str(warning)))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, run, server):
    for number, step in enumerate(case["steps"]):
        writes_before = server.log_count(endpoint=WRITE)
        reads_before = server.log_count(endpoint=READ)
        result = run(step["module"], step["args"], check_mode=step.get("check_mode", False))
        expect = step["expect"]
        where = "step %d (%s)" % (number, step["module"])
        if expect.get("failed"):
            assert result.get("failed"), "%s should fail: %r" % (where, result)
            assert expect["msg"] in result["msg"], "%s: %r not in %r" % (where, expect["msg"], result["msg"])
        else:
            assert not result.get("failed"), "%s failed: %s" % (where, result.get("msg"))
        if "changed" in expect:
            assert result["changed"] is expect["changed"], "%s changed=%r" % (where, result["changed"])
        if "writes" in expect:
            assert server.log_count(endpoint=WRITE) - writes_before == expect["writes"], where
        if "reads" in expect:
            assert server.log_count(endpoint=READ) - reads_before == expect["reads"], where
        if "warnings" in expect:
            assert len(warning_texts(result)) == expect["warnings"], warning_texts(result)
        subset(expect.get("result", {}), result, where)


def test_profile_touches_only_its_device_and_fields(run, server):
    profile = server.state.get_profile(ACCOUNT)
    profile["Sources"]["other-item"] = {"Engine": "engine1/file", "OwnerDevice": "dev-win", "Description": "Windows UNIL",
                                        "EngineProps": {"INCLUDE1": "C:/Data"}, "Custom": {"keep": 1}}
    profile["BackupRules"] = {"other-rule": {"Source": "other-item", "Destination": next(iter(profile["Destinations"])),
                                             "Schedules": [{"FrequencyType": 8011, "SecondsPast": 3600}]}}
    profile["SomethingNew"] = {"a": [1, 2]}
    server.state.set_profile(ACCOUNT, profile)
    before = server.state.get_profile(ACCOUNT)

    assert run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin", "folders": ["/home", "/srv"]})["changed"]
    assert run("comet_exclusions", {"account": ACCOUNT, "device_id": "dev-lin", "globs": ["/home/*/tmp"]})["changed"]
    assert run("comet_schedule", {"account": ACCOUNT, "device_id": "dev-lin", "schedules": [{"frequency": "hourly"}]})["changed"]
    assert run("comet_device", {"account": ACCOUNT, "device_id": "dev-lin", "name": "renamed"})["changed"]
    after = server.state.get_profile(ACCOUNT)

    new_items = set(after["Sources"]) - set(before["Sources"])
    assert len(new_items) == 1
    item = after["Sources"][new_items.pop()]
    assert item["OwnerDevice"] == "dev-lin" and item["Engine"] == "engine1/file" and item["Description"] == "Linux UNIL"
    assert sorted(v for k, v in item["EngineProps"].items() if k.startswith("INCLUDE")) == ["/home", "/srv"]
    assert [v for k, v in item["EngineProps"].items() if k.startswith("EXCLUDE")] == ["/home/*/tmp"]
    # everything else is as it was
    for key in ("Sources", "BackupRules", "Devices"):
        for sub in before[key]:
            if not (key == "Devices" and sub == "dev-lin"):
                assert after[key][sub] == before[key][sub], (key, sub)
    assert after["Devices"]["dev-lin"] == dict(before["Devices"]["dev-lin"], FriendlyName="renamed")
    for key in before:
        if key not in ("Sources", "BackupRules", "Devices"):
            assert after[key] == before[key], key


def test_keys_are_deterministic(run, server):
    first = run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin"})
    profile_a = server.state.get_profile(ACCOUNT)
    profile = server.state.get_profile(ACCOUNT)
    del profile["Sources"][first["item_id"]]
    del profile["BackupRules"][first["rule_id"]]
    server.state.set_profile(ACCOUNT, profile)
    second = run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin"})
    assert (second["item_id"], second["rule_id"]) == (first["item_id"], first["rule_id"])
    profile_b = server.state.get_profile(ACCOUNT)
    assert profile_b["Sources"][first["item_id"]]["EngineProps"] == profile_a["Sources"][first["item_id"]]["EngineProps"]


def test_diff_shows_only_managed_fields(run):
    run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin"})
    result = run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin", "folders": ["/srv"]}, check_mode=True)
    assert result["diff"]["before"]["folders"] == ["/home"]
    assert result["diff"]["after"]["folders"] == ["/srv"]
    assert set(result["diff"]["after"]) == {"device_id", "item_id", "item_name", "folders", "vault_id", "rule_id"}
    result = run("comet_device", {"account": ACCOUNT, "device_id": "dev-lin", "name": "n2"}, check_mode=True)
    assert result["diff"] == {"before": {"device_id": "dev-lin", "name": "lts22"}, "after": {"device_id": "dev-lin", "name": "n2"}}
    result = run("comet_schedule", {"account": ACCOUNT, "device_id": "dev-lin", "schedules": [{"frequency": "daily", "at": "01:00"}]})
    assert result["diff"]["before"]["schedules"] == [] and result["diff"]["after"]["schedules"] == [{"frequency": "daily", "at": "01:00"}]


def test_write_retries_when_someone_else_changed_the_profile(run, server):
    run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin"})
    server.faults.change_profile_between_read_and_write(ACCOUNT, mutate=lambda p: p.update(AccountName="changed by someone"), count=1)
    result = run("comet_device", {"account": ACCOUNT, "device_id": "dev-lin", "name": "after-conflict"})
    assert result["changed"]
    profile = server.state.get_profile(ACCOUNT)
    assert profile["Devices"]["dev-lin"]["FriendlyName"] == "after-conflict"
    assert profile["AccountName"] == "changed by someone"


def test_accent_workaround_regex_matches_both_forms(run):
    run("comet_profile", {"account": ACCOUNT, "device_id": "dev-mac"})
    result = run("comet_exclusions", {"account": ACCOUNT, "device_id": "dev-mac", "defaults": True})
    assert any("accented" in w for w in warning_texts(result))
    [regex] = result["regexes"]
    name = "/Users/jdoe/OneDrive - Universit\u00e9 de Lausanne/Documents/cv.pdf"
    assert re.search(regex, unicodedata.normalize("NFC", name))
    assert re.search(regex, unicodedata.normalize("NFD", name))
    assert not re.search(regex, name.replace("\u00e9", "e"))
    assert result["workarounds"] == {"/Users/*/OneDrive - Universit\u00e9 de Lausanne": regex}


def test_system_level_policy(run, server):
    server.state.add_policy("pol-unil", {"Description": "UNIL", "Policy": {"PreventDeleteProtectedItem": True}})
    result = run("comet_exclusions", {"level": "system", "policy_id": "pol-unil", "defaults": True, "state": "exact"})
    assert result["changed"], result
    assert len(result["exclusions"]["any"]) == 6 and len(result["exclusions"]["windows"]) == 40
    assert len(result["exclusions"]["macos"]) == 28 and result["exclusions"]["linux"] == ["/tmp/.*"]
    assert "/Users/.*/\\.DS_Store" in result["exclusions"]["macos"]
    assert result["exclusions"]["macos"][-1] == ".*/Library/Metadata/CoreSpotlight/.*"
    assert result["policy_id"] == "pol-unil" and result["policy_name"] == "UNIL"
    again = run("comet_exclusions", {"level": "system", "policy_id": "pol-unil", "defaults": True, "state": "exact"})
    assert not again["changed"]
    added = run("comet_exclusions", {"level": "system", "policy_id": "pol-unil", "system": {"linux": [".*/\\.cache/.*"]}},
                check_mode=True)
    assert added["changed"] and added["diff"]["after"]["linux"] == ["/tmp/.*", ".*/\\.cache/.*"]
    assert run("comet_exclusions", {"level": "system", "policy_id": "pol-unil", "system": {"linux": [".*/\\.cache/.*"]}})["changed"]
    removed = run("comet_exclusions", {"level": "system", "policy_id": "pol-unil", "system": {"linux": ["/tmp/.*"]}, "state": "absent"})
    assert removed["exclusions"]["linux"] == [".*/\\.cache/.*"]


def test_system_level_policy_by_name_and_optional_set(run, server):
    server.state.add_policy("pol-unil", {"Description": "UNIL", "Policy": {}})
    server.state.add_policy("pol-lab-1", {"Description": "Labs", "Policy": {}})
    server.state.add_policy("pol-lab-2", {"Description": "Labs", "Policy": {}})
    datavaults = ".*/Library/Containers/com.apple.mail/Data/DataVaults(/.*)?"
    result = run("comet_exclusions", {"level": "system", "policy_name": "UNIL", "defaults": True,
                                      "optional_defaults": ["datavaults"], "state": "exact"})
    assert result["changed"] and result["policy_id"] == "pol-unil" and result["policy_name"] == "UNIL"
    assert len(result["exclusions"]["macos"]) == 29 and result["exclusions"]["macos"][-1] == datavaults
    stored = server.state.get_policy("pol-unil")["Policy"]["FileAndFolderMandatoryExclusions"]
    assert {"Exclude": datavaults, "Regex": True, "RestrictOS": 4} in stored
    assert server.log_count(endpoint="policies/list") == 1
    # without the optional set, exact removes it
    result = run("comet_exclusions", {"level": "system", "policy_name": "UNIL", "defaults": True, "state": "exact"}, check_mode=True)
    assert result["changed"] and datavaults in result["diff"]["before"]["macos"] and datavaults not in result["diff"]["after"]["macos"]
    # the optional set alone, without the UNIL set
    result = run("comet_exclusions", {"level": "system", "policy_id": "pol-lab-1", "optional_defaults": ["datavaults"]})
    assert result["exclusions"] == {"macos": [datavaults]}
    writes = server.log_count(endpoint="policies/set")
    for args, fragment in (({"policy_name": "Labs"}, "policy_name: 2 policies are named 'Labs' (IDs pol-lab-1, pol-lab-2)"),
                           ({"policy_name": "Nope"}, "policy_name: no policy is named 'Nope'"),
                           ({"policy_name": " "}, "policy_name: must not be empty"),
                           ({"policy_id": ""}, "policy_id: must not be empty"),
                           ({"policy_id": "pol-unil", "policy_name": "UNIL"}, "mutually exclusive"),
                           ({}, "policy_id, policy_name"),
                           ({"policy_id": "pol-unil", "optional_defaults": ["datavault"]}, "optional_defaults")):
        result = run("comet_exclusions", dict(args, level="system", defaults=True))
        assert result.get("failed") and fragment in result["msg"], (args, result["msg"])
    assert server.log_count(endpoint="policies/set") == writes
    result = run("comet_exclusions", {"account": ACCOUNT, "device_id": "dev-mac", "policy_name": "UNIL"})
    assert result.get("failed") and "are for level=system" in result["msg"]


def test_info(run, server):
    run("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin"})
    run("comet_schedule", {"account": ACCOUNT, "device_id": "dev-lin", "schedules": [{"frequency": "hourly", "minute": 15}]})
    server.state.add_job(ACCOUNT, "dev-lin", status=5000, start_time=1700000000, end_time=1700000600, classification=4001)
    server.state.add_job(ACCOUNT, "dev-lin", status=7004, start_time=1700086400, end_time=1700086400, classification=4001)
    writes = server.log_count(endpoint=WRITE)
    result = run("comet_info", {"account": ACCOUNT}, check_mode=True)
    assert not result["changed"] and server.log_count(endpoint=WRITE) == writes
    devices = dict((d["device_id"], d) for d in result["devices"])
    assert set(devices) == {"dev-lin", "dev-win", "dev-mac"}
    lin = devices["dev-lin"]
    assert lin["online"] is True and lin["platform"] == "linux" and lin["client_version"] == "24.6.0"
    assert lin["protected_items"][0]["folders"] == ["/home"]
    assert lin["protected_items"][0]["backup_rules"][0]["schedules"] == [{"frequency": "hourly", "minute": 15}]
    assert lin["last_job"]["status"] == 7004 and lin["last_job"]["status_name"] == "missed"
    assert devices["dev-win"]["online"] is False and devices["dev-win"]["last_job"] is None
    assert lin["last_job"]["working"] is False and lin["last_backup"]["status"] == 7004
    one = run("comet_info", {"account": ACCOUNT, "device_name": "mac-1", "jobs": False})
    assert [d["device_id"] for d in one["devices"]] == ["dev-mac"] and one["devices"][0]["platform"] == "macos"
    assert "PasswordHash" not in str(result) and "EncryptedEncryptionKey" not in str(result)
    failed = run("comet_info", {"account": "nobody"})
    assert failed["failed"] and failed["msg"].startswith("account:")


# --- comet_device_settings: the four settings in one read-modify-write ----------------------------------------------

SETTINGS = {
    "name": "lab-pc-01",
    "item_defaults": True,
    "folders": ["/home", "/srv/data/"],
    "schedules": [{"frequency": "daily", "at": "12:30"}, {"frequency": "weekly", "days": ["mon", "thu"], "at": "22:00"}],
    "random_delay": 900,
    "run_missed_on_boot": True,
    "retry_failed": True,
    "retry_count": 3,
    "retry_delay": "30m",
    "exclude_globs": ["/home/*/.cache"],
    "exclude_regexes": ["(?i).*\\.iso"],
    "exclusions_defaults": True,
    "exclusions_state": "exact",
}


def test_info_last_backup_counts_only_backup_jobs_and_warning_is_working(run, server):
    """A retention pass after the last backup is the device's last job, not its last backup; a backup that ended
    with a warning backed the data up (the service's guide: Warning is a working backup)."""
    server.state.add_job(ACCOUNT, "dev-lin", status=7001, start_time=1700000000, end_time=1700000600, classification=4001)
    server.state.add_job(ACCOUNT, "dev-lin", status=7002, start_time=1700086400, end_time=1700086500, classification=4002)
    server.state.add_job(ACCOUNT, "dev-win", status=5000, start_time=1700000000, end_time=1700000600, classification=4001)
    server.state.add_job(ACCOUNT, "dev-win", status=7002, start_time=1700090000, end_time=1700090100, classification=4001)
    devices = dict((d["device_id"], d) for d in run("comet_info", {"account": ACCOUNT})["devices"])
    lin, win = devices["dev-lin"], devices["dev-win"]
    assert lin["last_job"]["classification"] == 4002 and lin["last_job"]["working"] is False
    assert lin["last_backup"]["status_name"] == "warning" and lin["last_backup"]["working"] is True
    assert win["last_backup"]["status_name"] == "error" and win["last_backup"]["working"] is False
    assert devices["dev-mac"]["last_backup"] is None


def _device_entries(profile, device_id):
    """What the settings put in the profile for one device, without the keys and times that depend on the device."""
    [(item_id, item)] = [(k, v) for k, v in profile["Sources"].items() if v.get("OwnerDevice") == device_id]
    [rule] = [v for v in profile["BackupRules"].values() if v.get("Source") == item_id]
    strip = ("CreateTime", "ModifyTime", "OwnerDevice", "Source")
    return (profile["Devices"][device_id]["FriendlyName"],
            dict((k, v) for k, v in item.items() if k not in strip),
            dict((k, v) for k, v in rule.items() if k not in strip))


def test_settings_write_what_the_four_modules_write(run, server):
    """The same settings, through the four single-purpose modules on one device and through comet_device_settings on
    a twin device, give the same profile entries (the same shared functions)."""
    server.state.add_device(ACCOUNT, "dev-twin", "twin", platform={"os": "linux", "distribution": "Debian 12", "arch": "amd64",
                                                                   "version": "", "build": ""}, client_version="24.6.0")
    common = {"account": ACCOUNT, "device_id": "dev-lin"}
    assert run("comet_device", dict(common, name=SETTINGS["name"]))["changed"]
    assert run("comet_profile", dict(common, folders=SETTINGS["folders"]))["changed"]
    assert run("comet_schedule", dict(common, **dict((k, SETTINGS[k]) for k in (
        "schedules", "random_delay", "run_missed_on_boot", "retry_failed", "retry_count", "retry_delay"))))["changed"]
    assert run("comet_exclusions", dict(common, globs=SETTINGS["exclude_globs"], regexes=SETTINGS["exclude_regexes"],
                                        defaults=True, state="exact"))["changed"]
    reads, writes = server.log_count(endpoint=READ), server.log_count(endpoint=WRITE)
    # the twin takes the same name, which comet_device_settings refuses unless asked
    refused = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-twin"))
    assert refused.get("failed") and "allow_duplicate_name" in refused["msg"] and server.log_count(endpoint=WRITE) == writes
    result = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-twin", allow_duplicate_name=True))
    assert result["changed"] and result["changes"] == ["name", "item", "schedule", "exclusions"]
    assert (server.log_count(endpoint=READ) - reads, server.log_count(endpoint=WRITE) - writes) == (2, 1)
    profile = server.state.get_profile(ACCOUNT)
    name, item, rule = _device_entries(profile, "dev-twin")
    assert (name, item, rule) == _device_entries(profile, "dev-lin")
    assert rule["EventTriggers"] == {"OnPCBootIfLastJobMissed": True, "OnLastJobFailDoRetry": True,
                                     "LastJobFailDoRetryCount": 3, "LastJobFailDoRetryTime": 30}
    # and the single-purpose modules find nothing to change on the twin
    twin = {"account": ACCOUNT, "device_id": "dev-twin"}
    assert not run("comet_profile", dict(twin, folders=SETTINGS["folders"]))["changed"]
    assert not run("comet_exclusions", dict(twin, globs=SETTINGS["exclude_globs"], regexes=SETTINGS["exclude_regexes"],
                                            defaults=True, state="exact"))["changed"]
    assert not run("comet_schedule", dict(twin, schedules=SETTINGS["schedules"], random_delay=900))["changed"]


def test_settings_touch_only_this_device_and_keep_unknown_fields(run, server):
    profile = server.state.get_profile(ACCOUNT)
    vault = next(iter(profile["Destinations"]))
    profile["Sources"]["other-item"] = {"Engine": "engine1/file", "OwnerDevice": "dev-win", "Description": "Windows UNIL",
                                        "EngineProps": {"INCLUDE1": "C:/Data"}, "Custom": {"keep": 1}}
    profile["BackupRules"] = {"other-rule": {"Source": "other-item", "Destination": vault,
                                             "Schedules": [{"FrequencyType": 8011, "SecondsPast": 3600}]}}
    profile["Devices"]["dev-lin"]["ZZFutureDeviceField"] = {"x": 1}
    profile["SomethingNew"] = {"a": [1, 2]}
    server.state.set_profile(ACCOUNT, profile)
    assert run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin"))["changed"]
    # unknown fields of the item and the rule we manage stay too
    profile = server.state.get_profile(ACCOUNT)
    [item_id] = [k for k, v in profile["Sources"].items() if v.get("OwnerDevice") == "dev-lin"]
    [rule_id] = [k for k, v in profile["BackupRules"].items() if v.get("Source") == item_id]
    profile["Sources"][item_id]["ZZFutureSourceField"] = "kept"
    profile["Sources"][item_id]["EngineProps"]["USE_WIN_VSS"] = "1"
    profile["BackupRules"][rule_id]["ZZFutureRuleField"] = [1]
    server.state.set_profile(ACCOUNT, profile)
    before = server.state.get_profile(ACCOUNT)

    changed = dict(SETTINGS, name="renamed", folders=["/home", "/opt/lab"], schedules=[{"frequency": "hourly"}],
                   exclude_globs=["/home/*/tmp"])
    result = run("comet_device_settings", dict(changed, account=ACCOUNT, device_id="dev-lin"))
    assert result["changed"] and result["changes"] == ["name", "item", "schedule", "exclusions"]
    after = server.state.get_profile(ACCOUNT)
    for key in before:
        if key not in ("Sources", "BackupRules", "Devices"):
            assert after[key] == before[key], key
    assert after["Sources"]["other-item"] == before["Sources"]["other-item"]
    assert after["BackupRules"]["other-rule"] == before["BackupRules"]["other-rule"]
    assert after["Devices"]["dev-win"] == before["Devices"]["dev-win"]
    assert after["Devices"]["dev-lin"] == dict(before["Devices"]["dev-lin"], FriendlyName="renamed")
    item, rule = after["Sources"][item_id], after["BackupRules"][rule_id]
    assert item["ZZFutureSourceField"] == "kept" and item["EngineProps"]["USE_WIN_VSS"] == "1"
    assert rule["ZZFutureRuleField"] == [1] and rule["EventTriggers"]["LastJobFailDoRetryCount"] == 3
    assert sorted(v for k, v in item["EngineProps"].items() if k.startswith("INCLUDE")) == ["/home", "/opt/lab"]
    assert set(after["Sources"]) == set(before["Sources"]) and set(after["BackupRules"]) == set(before["BackupRules"])


def test_settings_diff_is_normalised_and_check_mode_writes_nothing(run, server):
    run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin"))
    stored, stored_hash = server.state.get_profile(ACCOUNT), server.state.profile_hash(ACCOUNT)
    result = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin", folders=["/srv/data"],
                                               schedules=[{"frequency": "daily", "at": "01:00"}]), check_mode=True)
    assert result["changed"] and result["changes"] == ["item", "schedule"]
    assert server.state.get_profile(ACCOUNT) == stored and server.state.profile_hash(ACCOUNT) == stored_hash
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert set(before) == set(after) == {"device_id", "device_name", "item_id", "item_name", "folders", "vault_id", "rule_id",
                                         "schedules", "event_triggers", "globs", "regexes"}
    assert (before["folders"], after["folders"]) == (["/home", "/srv/data"], ["/srv/data"])
    assert after["schedules"] == [{"frequency": "daily", "at": "01:00", "random_delay": 900}]
    assert [k for k in before if before[k] != after[k]] == ["folders", "schedules"]
    assert "PasswordHash" not in str(result) and "EncryptedEncryptionKey" not in str(result)


def test_settings_conflict_rereads_and_applies_every_setting_again(run, server):
    server.faults.change_profile_between_read_and_write(
        ACCOUNT, mutate=lambda p: p["Devices"]["dev-win"].update(FriendlyName="renamed by someone"), count=1)
    start = len(server.log)
    result = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin"))
    assert result["changed"] and result["changes"] == ["name", "item", "schedule", "exclusions"]
    assert result["api"]["conflicts"] == 1
    log = server.log[start:]
    assert sum(1 for e in log if e["endpoint"] == READ) == 2
    assert [e["status"] for e in log if e["endpoint"] == WRITE] == [409, 200]
    profile = server.state.get_profile(ACCOUNT)
    assert profile["Devices"]["dev-win"]["FriendlyName"] == "renamed by someone"
    name, item, rule = _device_entries(profile, "dev-lin")
    assert name == "lab-pc-01" and len(rule["Schedules"]) == 3
    assert "/home/*/.cache" in item["EngineProps"].values()
    again = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin"))
    assert not again["changed"]


def test_settings_api_calls(run, server):
    """First apply: one profile read, one profile write, then the online device's live connection is looked up and
    asked to reload. No-op: the profile read only."""
    start = len(server.log)
    first = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin"))
    assert [e["endpoint"] for e in server.log[start:]] == [READ, WRITE, "dispatcher/list-active", "dispatcher/refetch-profile"]
    assert first["api"]["reads"] == 2 and first["refetched"] is True
    start = len(server.log)
    noop = run("comet_device_settings", dict(SETTINGS, account=ACCOUNT, device_id="dev-lin"))
    assert [e["endpoint"] for e in server.log[start:]] == [READ]
    assert (noop["api"]["reads"], noop["api"]["writes"], noop["refetched"]) == (1, 0, False)


# --- comet_device_settings start_backup: the first backup after the item is created ----------------------------------

def backups_started(server):
    """(device, rule) of the backups started: the mock records run-backup calls, the stand-in records the job the
    client ran (its Protected Item and the rule's)."""
    if hasattr(server, "backups_started"):
        return [(target.replace("target-", ""), rule) for target, rule in server.backups_started]
    profile = server.state.get_profile(ACCOUNT)
    rules = dict((v.get("Source"), k) for k, v in (profile.get("BackupRules") or {}).items())
    return [(job["DeviceID"], rules.get(job.get("SourceGUID"))) for job in server.state.jobs_for_user(ACCOUNT)]


def test_first_backup_started_once_when_the_item_is_created_and_the_device_online(run, server):
    first = run("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "item_defaults": True,
                                          "start_backup": True})
    assert first["changed"] and first["backup_started"] is True and first["created"]
    assert backups_started(server) == [("dev-lin", first["rule_id"])]
    again = run("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "item_defaults": True,
                                          "start_backup": True, "name": "lts22-renamed"})
    assert again["changed"] and again["backup_started"] is False, "the item existed: its schedule runs the backups"
    assert len(backups_started(server)) == 1


@pytest.mark.parametrize("case", ["offline", "check_mode", "not_asked"])
def test_first_backup_not_started(run, server, case):
    device = "dev-win" if case == "offline" else "dev-lin"
    result = run("comet_device_settings", {"account": ACCOUNT, "device_id": device, "item_defaults": True,
                                           "start_backup": case != "not_asked"}, check_mode=case == "check_mode")
    assert result["changed"] and result["backup_started"] is False
    assert backups_started(server) == []
