# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every Comet API module run in the controller's worker (its action plugin, plugins/plugin_utils/_controller_module)
answers as the module does: the table cases of test_comet_modules.yaml through the controller path, the same result
as the module for the same request (module by module), the same refusal of bad options before any request, no secret
in any result; the action plugins' choice between the worker and a module; the no_log walker."""
from __future__ import annotations

import copy
import importlib
import json
import os
from unittest import mock

import pytest

from ansible.module_utils.common.parameters import _list_no_log_values

from comet_server import CometServerStandIn

from ansible_collections.unil.backup.plugins.plugin_utils import _controller_module
from ansible_collections.unil.backup.plugins.plugin_utils._controller_module import (
    ControllerModuleAction,
    no_log_values,
    run_module_code,
)
from ansible_collections.unil.backup.tests.unit.plugins.modules import test_comet_modules as module_tests
from ansible_collections.unil.backup.tests.unit.plugins.modules.conftest import ADMIN, ADMIN_PASSWORD, Runner
from ansible_collections.unil.backup.tests.unit.plugins.modules.module_testlib import run_in_process

ACCOUNT = "lab"
MODULES = ["comet_device", "comet_profile", "comet_schedule", "comet_exclusions", "comet_info", "comet_fleet_report",
           "comet_server_info", "comet_client_download", "comet_install_token", "comet_device_settings"]
FLEET_NOW = 1795435200
FLEET_FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "fixtures", "fleet_report.json")


def code_of(name):
    return importlib.import_module("ansible_collections.unil.backup.plugins.modules." + name)


def in_controller(name, args, check_mode=False, diff=True):
    return run_module_code(code_of(name), args, check_mode=check_mode, diff=diff, name="unil.backup." + name)


class ControllerRunner(Runner):
    """Runner of the module tests' conftest.py, every module run as its action plugin runs it on the controller."""

    def __call__(self, module_name, args, check_mode=False, diff=True):
        full = dict(server_url=self.server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD,
                    lock_dir=str(self.lock_dir))
        full.update(args)
        result = in_controller(module_name, full, check_mode=check_mode, diff=diff)
        assert ADMIN_PASSWORD not in json.dumps(result), "the admin password leaked into the result"
        return result


@pytest.fixture
def controller_run(server, tmp_path, capsys):
    return ControllerRunner(server, tmp_path / "locks", capsys)


@pytest.fixture
def module_run(server, tmp_path, capsys):
    return Runner(server, tmp_path / "locks", capsys)


def comparable(result):
    """A result without what differs by nature between the two ways (warnings' in-process form: structured from the
    module, text from the action plugin; the controller shows both as text)."""
    out = copy.deepcopy(result)
    if "warnings" in out:
        out["warnings"] = module_tests.warning_texts(out)
    return out


# ---------------------------------------------------------------- the plugins and the modules' shape

@pytest.mark.parametrize("name", MODULES)
def test_each_action_plugin_names_its_module(name):
    plugin = importlib.import_module("ansible_collections.unil.backup.plugins.action." + name)
    assert issubclass(plugin.ActionModule, ControllerModuleAction)
    assert plugin.ActionModule.MODULE == "unil.backup." + name and plugin.ActionModule.MODULE_CODE is code_of(name)


@pytest.mark.parametrize("name", MODULES)
def test_main_is_run_of_ansible_module_with_the_same_spec(name, monkeypatch):
    """main() gives AnsibleModule exactly argument_spec() and constraints(), what the controller validates with."""
    code = code_of(name)
    seen = {}

    class Stop(Exception):
        pass

    def fake_module(**kwargs):
        seen.update(kwargs)
        raise Stop()

    monkeypatch.setattr(code, "AnsibleModule", fake_module)
    with pytest.raises(Stop):
        code.main()
    expected = dict(code.constraints(), argument_spec=code.argument_spec(), supports_check_mode=True)
    assert seen == expected
    assert set(code.constraints()) <= set(_controller_module.CONSTRAINTS)


# ---------------------------------------------------------------- the device modules: the table, same results

def test_the_table_covers_the_device_modules():
    used = set(step["module"] for case in module_tests.CASES for step in case["steps"])
    assert {"comet_device", "comet_profile", "comet_schedule", "comet_exclusions", "comet_device_settings"} <= used


@pytest.mark.parametrize("case", module_tests.CASES, ids=[c["id"] for c in module_tests.CASES])
def test_table_case_in_controller(case, controller_run, server):
    module_tests.test_case(case, controller_run, server)


# requests that leave the server as it was (reads, check mode, refusals): the module and the controller must agree
SAME_REQUESTS = [
    ("comet_device", {"account": ACCOUNT, "device_id": "dev-lin", "name": "renamed"}, True),
    ("comet_device", {"account": ACCOUNT, "device_name": "pc-win", "state": "absent"}, True),
    ("comet_device", {"account": ACCOUNT, "device_id": "no-such-device", "name": "x"}, False),
    ("comet_device", {"account": "no-such-account", "device_id": "dev-lin", "name": "x"}, False),
    ("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin", "folders": ["/home", "/srv"]}, True),
    ("comet_profile", {"account": ACCOUNT, "device_id": "dev-lin", "folders": ["C:/Users"]}, False),
    ("comet_schedule", {"account": ACCOUNT, "device_id": "dev-mac",
                        "schedules": [{"frequency": "daily", "at": "12:30"}], "random_delay": 600}, True),
    ("comet_schedule", {"account": ACCOUNT, "device_id": "dev-mac"}, False),
    ("comet_exclusions", {"account": ACCOUNT, "device_id": "dev-lin", "globs": ["/home/*/.cache"],
                          "regexes": ["\\.tmp$"]}, True),
    ("comet_exclusions", {"account": ACCOUNT, "device_id": "dev-lin", "regexes": ["("]}, False),
    ("comet_info", {"account": ACCOUNT}, False),
    ("comet_info", {"account": ACCOUNT, "device_name": "mac-1", "jobs": False}, False),
    ("comet_info", {"account": ACCOUNT, "device_id": "no-such-device"}, False),
    ("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "name": "lab-pc-01",
                               "folders": ["/home"], "schedules": [{"frequency": "hourly"}]}, True),
]


@pytest.mark.parametrize("name,args,check_mode", SAME_REQUESTS,
                         ids=["%s-%d" % (r[0], n) for n, r in enumerate(SAME_REQUESTS)])
def test_same_result_as_the_module(name, args, check_mode, module_run, controller_run, server):
    """Result, diff, API counters, warnings and invocation alike; nothing written by either."""
    before = json.dumps(server.state.get_profile(ACCOUNT), sort_keys=True)
    via_module = module_run(name, args, check_mode=check_mode)
    via_controller = controller_run(name, args, check_mode=check_mode)
    assert comparable(via_controller) == comparable(via_module)
    assert json.dumps(server.state.get_profile(ACCOUNT), sort_keys=True) == before


def test_same_changes_as_the_module_on_twin_devices(module_run, controller_run, server):
    """A write through each way on two twin devices: the same result keys, then both converged."""
    for name, args in (("comet_profile", {"folders": ["/srv"]}), ("comet_schedule", {"schedules": [{"frequency": "hourly"}]}),
                       ("comet_exclusions", {"globs": ["/tmp/*"]}), ("comet_device", {"name": "twin"})):
        if name == "comet_device":
            via_controller = controller_run(name, dict(args, account=ACCOUNT, device_id="dev-lin"))
            via_module = module_run(name, dict(args, account=ACCOUNT, device_id="dev-mac", allow_duplicate_name=True))
        else:
            via_controller = controller_run(name, dict(args, account=ACCOUNT, device_id="dev-lin"))
            via_module = module_run(name, dict(args, account=ACCOUNT, device_id="dev-mac"))
        assert via_controller["changed"] is True and via_module["changed"] is True, (via_controller, via_module)
        assert sorted(via_controller) == sorted(via_module)
        assert via_controller["api"] == via_module["api"]
        again = controller_run(name, dict(args, account=ACCOUNT, device_id="dev-mac", allow_duplicate_name=True)
                               if name == "comet_device" else dict(args, account=ACCOUNT, device_id="dev-mac"))
        assert again["changed"] is False, again


# ---------------------------------------------------------------- bad options: the module's refusal, before any request

BAD_OPTIONS = [
    ("comet_info", {"account": ACCOUNT, "device_id": "dev-lin", "device_name": "lts22"}),
    ("comet_device", {"account": ACCOUNT}),
    ("comet_device", {"account": ACCOUNT, "device_id": "dev-lin", "state": "gone"}),
    ("comet_profile", {"device_id": "dev-lin"}),
    ("comet_schedule", {"account": ACCOUNT, "device_id": "dev-lin", "schedules": [{"at": "10:00"}]}),
    ("comet_exclusions", {"level": "system"}),
    ("comet_exclusions", {"level": "user", "device_id": "dev-lin"}),
    ("comet_exclusions", {"account": ACCOUNT, "policy_id": "a", "policy_name": "b", "level": "system"}),
    ("comet_fleet_report", {"week_days": "a week"}),
    ("comet_server_info", {"timeout": "soon"}),
    ("comet_client_download", {"variant": "linuxgeneric"}),
    ("comet_install_token", {"account": "pnom"}),
    ("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "folders_mode": "sometimes"}),
]


@pytest.mark.parametrize("name,args", BAD_OPTIONS, ids=["%s-%d" % (r[0], n) for n, r in enumerate(BAD_OPTIONS)])
def test_bad_options_the_module_message_and_no_request(name, args, module_run, controller_run, server):
    via_module = module_run(name, args)
    start = server.log_count()
    via_controller = controller_run(name, args)
    assert via_controller["failed"] is True and "changed" not in via_controller and "changed" not in via_module
    assert via_controller["msg"] == via_module["msg"]
    assert server.log_count() == start, "a request was made despite bad options"


REQUIRED = {"comet_client_download": {"variant": "linuxgeneric", "dest": "/tmp/x"},
            "comet_install_token": {"account": "pnom", "password": "x"},
            "comet_fleet_report": {}, "comet_server_info": {}}


@pytest.mark.parametrize("name", MODULES)
def test_unknown_option_named_with_the_module(name, server):
    args = dict(REQUIRED.get(name, {"account": ACCOUNT, "device_id": "dev-lin"}), server_url=server.url,
                admin_username=ADMIN, admin_password=ADMIN_PASSWORD, colour="red")
    result = in_controller(name, args)
    assert result["failed"] is True
    assert result["msg"].startswith("Unsupported parameters for (unil.backup.%s) module: colour." % name), result["msg"]


# ---------------------------------------------------------------- the server-wide modules

@pytest.fixture(name="installer_server")
def installer_server_fixture(tmp_path):
    installer = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    installer.write_bytes(b"#!/bin/sh\necho stand-in installer\n" + os.urandom(64))
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps({"users": {}, "installers": {"linuxgeneric": str(installer)}}))
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=str(fixture)) as srv:
        srv.state.add_user("pnom", "user-Secret-77")
        yield srv, installer.read_bytes()


def _both(capsys, name, args, check_mode=False):
    """(module's result, controller's result) for the same request."""
    via_module = json.loads(run_in_process(capsys, name, dict(args, _ansible_check_mode=check_mode)))
    via_controller = in_controller(name, args, check_mode=check_mode)
    for result in (via_module, via_controller):
        assert ADMIN_PASSWORD not in json.dumps(result)
    return via_module, via_controller


def test_server_info_and_client_download_as_the_module(installer_server, tmp_path, capsys):
    srv, installer = installer_server
    conn = dict(server_url=srv.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD)
    via_module, via_controller = _both(capsys, "comet_server_info", conn)
    assert comparable(via_controller) == comparable(via_module) and via_controller["version"]
    wrong = dict(conn, admin_password="wrong-Admin-9")
    via_module, via_controller = _both(capsys, "comet_server_info", wrong)
    assert via_controller["failed"] and comparable(via_controller) == comparable(via_module)
    assert "wrong-Admin-9" not in json.dumps(via_controller)
    # a download: the same installer, written whole; in check mode nothing
    for check_mode in (True, False):
        dests = [str(tmp_path / ("%s-%s.run" % (way, check_mode))) for way in ("module", "controller")]
        via_module = json.loads(run_in_process(capsys, "comet_client_download", dict(
            conn, variant="linuxgeneric", dest=dests[0], _ansible_check_mode=check_mode)))
        via_controller = in_controller("comet_client_download", dict(conn, variant="linuxgeneric", dest=dests[1]),
                                       check_mode=check_mode)
        for result in (via_module, via_controller):
            result.pop("dest")
            result["invocation"]["module_args"].pop("dest")
        assert comparable(via_controller) == comparable(via_module)
        assert os.path.exists(dests[1]) is not check_mode
    with open(dests[1], "rb") as handle:
        assert handle.read() == installer
    via_module, via_controller = _both(capsys, "comet_client_download", dict(conn, variant="../x", dest=dests[1]))
    assert via_controller["failed"] and comparable(via_controller) == comparable(via_module)


def test_install_token_as_the_module_without_any_password(installer_server, capsys):
    srv, dummy = installer_server
    args = dict(server_url=srv.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD, account="pnom",
                password="user-Secret-77")
    via_module, via_controller = _both(capsys, "comet_install_token", args, check_mode=True)
    assert comparable(via_controller) == comparable(via_module) and via_controller["token"] == ""
    via_module, via_controller = _both(capsys, "comet_install_token", dict(args, password="wrong-Pw-31"))
    assert via_controller["failed"] and comparable(via_controller) == comparable(via_module)
    assert "wrong-Pw-31" not in json.dumps(via_controller)
    assert via_controller["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    via_controller = in_controller("comet_install_token", args)
    assert via_controller["changed"] is True and via_controller["token"] and via_controller["expires"] > 0
    assert "user-Secret-77" not in json.dumps(via_controller)


def test_fleet_report_as_the_module(capsys):
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=FLEET_FIXTURE) as srv:
        args = dict(server_url=srv.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD, now=FLEET_NOW,
                    min_client_version="24.6.0")
        for check_mode in (False, True):
            via_module, via_controller = _both(capsys, "comet_fleet_report", args, check_mode=check_mode)
            assert not via_controller.get("failed"), via_controller.get("msg")
            assert comparable(via_controller) == comparable(via_module)
            assert via_controller["summary"]["devices"] > 0
        via_module, via_controller = _both(capsys, "comet_fleet_report", dict(args, week_days=0))
        assert via_controller["failed"] and via_controller["msg"] == via_module["msg"]


# ---------------------------------------------------------------- secrets

def test_no_log_values_masked_in_invocation_and_scrubbed_everywhere(server):
    def echo(module):
        module.warn("told %s" % module.params["admin_password"])
        module.fail_json(msg="server said: bad password %s" % module.params["admin_password"],
                         nested={"list": [module.params["admin_password"] + "!"]})

    secret = "Very-Secret-Pw-42"
    result = _controller_module.run_in_controller(
        code_of("comet_info").argument_spec(), echo,
        dict(server_url=server.url, admin_username=ADMIN, admin_password=secret, account=ACCOUNT))
    assert result["failed"] is True and secret not in json.dumps(result), result
    assert result["invocation"]["module_args"]["admin_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "********" in result["msg"] and "********" in result["warnings"][0]


def test_a_secret_from_the_environment_fallback_is_scrubbed(monkeypatch, server):
    """COMET_ADMIN_PASSWORD (env fallback) is a no_log value too, as for the module."""
    secret = "From-Env-Secret-5"
    monkeypatch.setenv("COMET_ADMIN_PASSWORD", secret)
    result = _controller_module.run_in_controller(
        code_of("comet_server_info").argument_spec(), lambda module: module.fail_json(msg=module.params["admin_password"]),
        dict(server_url=server.url, admin_username=ADMIN))
    assert secret not in json.dumps(result) and result["failed"] is True


# ---------------------------------------------------------------- the no_log walker

WALKER_SPEC = dict(
    plain=dict(type="str"),
    password=dict(type="str", no_log=True, aliases=["pw"]),
    pin=dict(type="int", no_log=True),
    flag=dict(type="bool", no_log=True),
    tokens=dict(type="list", elements="str", no_log=True),
    keys=dict(type="dict", no_log=True),
    nested=dict(type="dict", options=dict(
        secret=dict(type="str", no_log=True),
        deeper=dict(type="list", elements="dict", options=dict(key=dict(type="str", no_log=True), name=dict())),
    )),
    items=dict(type="list", elements="dict", options=dict(secret=dict(type="str", no_log=True), name=dict())),
)


@pytest.mark.parametrize("params", [
    {},
    {"plain": "visible", "password": "p4ss", "pin": 1234, "flag": True},
    {"pw": "by-alias"},
    {"password": "", "pin": None, "tokens": ["t1", "", "t2"], "keys": {"a": "k1", "b": {"c": "k2"}}},
    {"nested": {"secret": "n1", "deeper": [{"key": "d1", "name": "visible"}, {"name": "x"}]}},
    {"items": [{"secret": "i1", "name": "a"}, {"secret": None, "name": "b"}], "nested": None},
    {"pin": 0, "keys": {"n": 3.5}, "tokens": []},
])
def test_no_log_walker_finds_what_ansible_module_hides(params):
    found = no_log_values(WALKER_SPEC, params)
    # ansible-core's own walker (private: the reference here, never called by the collection), aliases resolved
    canonical = dict(params)
    if "pw" in canonical:
        canonical["password"] = canonical.pop("pw")
    assert found == _list_no_log_values(WALKER_SPEC, canonical)
    assert "visible" not in found


def test_no_log_walker_values():
    assert no_log_values(WALKER_SPEC, {"password": "p", "pw": "q", "pin": 7, "flag": False}) == {"p", "q", "7"}
    assert no_log_values(WALKER_SPEC, {"password": "", "pin": 0, "flag": True, "keys": {}}) == set()
    assert no_log_values(WALKER_SPEC, {"items": [{"secret": "s"}, "not a dict"], "nested": {"deeper": None}}) == {"s"}
    assert no_log_values(WALKER_SPEC, "not a mapping") == set()
    assert no_log_values(WALKER_SPEC, {"keys": {"a": ["x", b"y"]}}) == {"x", "y"}


# ---------------------------------------------------------------- the action plugin: worker or module

def _action(name, transport="local", become=False, environment=None, args=None, check_mode=False):
    plugin = importlib.import_module("ansible_collections.unil.backup.plugins.action." + name)
    task = mock.MagicMock()
    task.args = args or {}
    task.check_mode, task.diff = check_mode, False
    task.environment = environment
    task.async_val = 0
    connection = mock.MagicMock()
    connection.transport = transport
    play_context = mock.MagicMock()
    play_context.become = become
    templar = mock.MagicMock()
    templar.template.side_effect = lambda value, *a, **k: value
    action = plugin.ActionModule(task, connection, play_context, loader=mock.MagicMock(), templar=templar,
                                 shared_loader_obj=mock.MagicMock())
    action._execute_module = mock.MagicMock(return_value={"changed": False, "as_module": True})  # pylint: disable=protected-access
    return action


@pytest.mark.parametrize("transport,become,environment,in_worker", [
    ("local", False, None, True),
    ("local", False, [{}], True),
    ("local", False, [{"https_proxy": "http://proxy:3128"}], False),
    ("local", False, {"COMET_ADMIN_PASSWORD": "from-env"}, False),
    ("local", True, None, False),
    ("ssh", False, None, False),
    ("podman", False, None, False),
])
def test_worker_or_module(transport, become, environment, in_worker, server):
    args = dict(server_url=server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD, account=ACCOUNT,
                device_id="dev-lin", jobs=False)
    action = _action("comet_info", transport, become, environment, args=args)
    result = action.run(task_vars={})
    execute = action._execute_module  # pylint: disable=protected-access
    if in_worker:
        assert execute.call_count == 0 and result["devices"][0]["device_id"] == "dev-lin", result
        assert result["invocation"]["module_args"]["admin_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    else:
        assert result.get("as_module") is True
        execute.assert_called_once_with(module_name="unil.backup.comet_info", task_vars={})


def test_check_mode_reaches_the_module_code_in_the_worker(server):
    args = dict(server_url=server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD, account=ACCOUNT,
                device_id="dev-lin", name="renamed-in-check")
    before = json.dumps(server.state.get_profile(ACCOUNT), sort_keys=True)
    result = _action("comet_device", args=args, check_mode=True).run(task_vars={})
    assert result["changed"] is True and not result.get("failed"), result
    assert json.dumps(server.state.get_profile(ACCOUNT), sort_keys=True) == before
