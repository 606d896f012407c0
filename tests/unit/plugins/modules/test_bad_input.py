# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input corpus (test_bad_input.yaml): each case is refused before any write, naming the option, or writes
exactly what it says. Run in-process against the Comet Server stand-in and the in-memory mock (conftest.py)."""
from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from ansible_collections.unil.backup.tests.unit.plugins.modules.module_testlib import run_in_process, subset

ACCOUNT = "lab"
# every endpoint that changes something on the server
WRITES = ("set-user-profile-hash", "set-user-profile", "revoke-device", "policies/set", "create-install-token",
          "dispatcher/run-backup")
CRASHPLAN_PROBE = {"uninstall_entries": [{
    "Hive": "HKLM64", "KeyName": "{294ECD94-8EB3-44BA-8F01-09083141E37A}", "DisplayName": "CrashPlan",
    "DisplayVersion": "12.0.0.735", "Publisher": "CrashPlan Group LLC", "WindowsInstaller": 1,
    "UninstallString": "MsiExec.exe /X{294ECD94-8EB3-44BA-8F01-09083141E37A}"}]}

with open(os.path.join(os.path.dirname(__file__), "test_bad_input.yaml"), encoding="utf-8") as f:
    CASES = yaml.safe_load(f)

SEEN = {"cases": 0, "writes": 0, "refused": 0}


def expand(value):
    """"<<N*c>>" -> c * N, "<<int:E>>" -> the integer E, recursively."""
    if isinstance(value, dict):
        return dict((k, expand(v)) for k, v in value.items())
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, str):
        match = re.match(r"^<<int:([0-9*+ -]+)>>$", value)
        if match:
            return int(eval(match.group(1), {"__builtins__": {}}))  # pylint: disable=eval-used
        return re.sub(r"<<(\d+)\*(.)>>", lambda m: m.group(2) * int(m.group(1)), value)
    return value


def writes(server):
    return sum(server.log_count(endpoint=e) for e in WRITES)


def run_plain(capsys, module_name, args):
    """A module without the Comet connection options (crashplan_facts), in-process."""
    return json.loads(run_in_process(capsys, module_name, args))


def inject(server, spec):
    """Store what no module would write: schedules on the device's rules, EngineProps on its item, fields of the
    account's profile ({profile: {IsSuspended: true, ...}})."""
    profile = server.state.get_profile(ACCOUNT)
    if "profile" in spec:
        profile.update(expand(spec["profile"]))
        server.state.set_profile(ACCOUNT, profile)
        return
    items = [k for k, v in profile.get("Sources", {}).items() if v.get("OwnerDevice") == spec["device"]]
    assert items, "inject: the device has no item (add a comet_profile setup step first)"
    if "schedules" in spec:
        for rule in profile.get("BackupRules", {}).values():
            if rule.get("Source") in items:
                rule["Schedules"] = expand(spec["schedules"])
    if "props" in spec:
        profile["Sources"][items[0]].setdefault("EngineProps", {}).update(expand(spec["props"]))
    try:
        server.state.set_profile(ACCOUNT, profile)
    except Exception as exc:  # pylint: disable=broad-except
        if type(exc).__name__ != "SchemaError":
            raise
        pytest.skip("the stand-in refuses to store this, as Comet's decoder would (%s): the mock holds it" % exc)


def test_corpus_size():
    modules = sorted(set(c["module"] for c in CASES))
    print("bad-input corpus: %d cases over %d modules (%s)" % (len(CASES), len(modules), ", ".join(modules)))
    assert len(CASES) >= 130
    assert len(set(c["id"] for c in CASES)) == len(CASES), "a case id is used twice"
    assert set(modules) >= {"comet_device", "comet_profile", "comet_schedule", "comet_exclusions",
                            "comet_device_settings", "comet_info", "comet_install_token", "crashplan_facts"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case, run, server, capsys):
    if case.get("only") == "standin" and type(server).__name__ == "FakeServer":
        pytest.skip("checked by the real client only")
    for step in case.get("setup") or []:
        if "inject" in step:
            inject(server, step["inject"])
            continue
        done = run(step["module"], expand(step["args"]))
        assert not done.get("failed"), "setup %s failed: %s" % (step["module"], done.get("msg"))
    before = writes(server)
    args = expand(case["args"])
    if case["module"] == "crashplan_facts":
        result = run_plain(capsys, "crashplan_facts", dict({"windows_probe": CRASHPLAN_PROBE}, **args))
    else:
        result = run(case["module"], args, check_mode=case.get("check_mode", False))
    seen = writes(server) - before
    SEEN["cases"] += 1
    SEEN["writes"] += seen
    expect = case["expect"]
    if expect.get("failed"):
        SEEN["refused"] += 1
        assert result.get("failed"), "%s should fail: %r" % (case["id"], result)
        assert expect["msg"] in result["msg"], "%r not in %r" % (expect["msg"], result["msg"])
        assert "Traceback" not in result["msg"] and "exception" not in result
        assert seen == 0, "%s: refused after %d write(s)" % (case["id"], seen)
        if "not_msg" in expect:
            assert expect["not_msg"] not in result["msg"], "%r in %r" % (expect["not_msg"], result["msg"])
    else:
        assert not result.get("failed"), "%s failed: %s" % (case["id"], result.get("msg"))
        assert seen == expect.get("writes", 0), "%s: %d write(s)" % (case["id"], seen)
        if "changed" in expect:
            assert result["changed"] is expect["changed"]
        subset(expect.get("result", {}), result)
        # a warning is its text, or (ansible-core 2.19, in-process) a summary holding it
        warnings = [json.dumps(w) if not isinstance(w, str) else w for w in result.get("warnings") or []]
        if "warning" in expect:
            assert any(expect["warning"] in w for w in warnings), warnings
        else:
            assert not any("suspended" in w for w in warnings), warnings
    for hidden in expect.get("hidden") or []:
        assert hidden not in json.dumps(result), "%s: %r is shown in %r" % (case["id"], hidden, result)
    if "schedules" in case:
        [device] = result["devices"]
        assert device["protected_items"][0]["backup_rules"][0]["schedules"] == case["schedules"]


def test_zz_report():
    """Printed last (run with -s to see it): how many cases ran and how many writes they made."""
    print("bad-input corpus: %d case runs, %d refused before any write, %d writes seen"
          % (SEEN["cases"], SEEN["refused"], SEEN["writes"]))
