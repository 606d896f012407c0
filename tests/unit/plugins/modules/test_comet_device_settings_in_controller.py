# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""comet_device_settings run in the controller's worker (its action plugin, plugins/plugin_utils/_controller_module)
must answer as the module does: every table case of test_comet_modules.yaml that uses it, run through the controller
path, plus the same result for the same request, no secret in any result, bad options refused before any request."""
from __future__ import annotations

import copy
import json

import pytest

from ansible.module_utils import _internal as module_internal
from ansible_collections.unil.backup.plugins.modules import comet_device_settings
from ansible_collections.unil.backup.plugins.plugin_utils._controller_module import run_in_controller
from ansible_collections.unil.backup.tests.unit.plugins.modules import test_comet_modules as module_tests
from ansible_collections.unil.backup.tests.unit.plugins.modules.conftest import ADMIN, ADMIN_PASSWORD, Runner

ACCOUNT = "lab"
SETTINGS_CASES = [case for case in module_tests.CASES
                  if any(step["module"] == "comet_device_settings" for step in case["steps"])]


class ControllerRunner(Runner):
    """Runner of conftest.py, with comet_device_settings run as its action plugin runs it on the controller."""

    def __call__(self, module_name, args, check_mode=False, diff=True):
        if module_name != "comet_device_settings":
            return super().__call__(module_name, args, check_mode=check_mode, diff=diff)
        full = dict(server_url=self.server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD,
                    lock_dir=str(self.lock_dir))
        full.update(args)
        result = run_in_controller(comet_device_settings.argument_spec(), comet_device_settings.run, full,
                                   check_mode=check_mode, diff=diff)
        assert ADMIN_PASSWORD not in json.dumps(result), "the admin password leaked into the result"
        return result


@pytest.fixture
def controller_run(server, tmp_path, capsys):
    return ControllerRunner(server, tmp_path / "locks", capsys)


def test_the_table_has_settings_cases():
    assert len(SETTINGS_CASES) >= 4


@pytest.mark.parametrize("case", SETTINGS_CASES, ids=[c["id"] for c in SETTINGS_CASES])
def test_case_in_controller(case, controller_run, server):
    module_tests.test_case(case, controller_run, server)


def _comparable(result):
    """A result without what differs by nature between two runs (the module's invocation form)."""
    out = copy.deepcopy(result)
    out.pop("invocation", None)
    # the module returns warnings in ansible-core's structured form in-process, the action plugin as text: the
    # controller shows both as text
    if "warnings" in out:
        out["warnings"] = module_tests.warning_texts(out)
    return out


def test_same_result_as_the_module(server, tmp_path, capsys):
    """The same requests on two twin devices give the same results, keys, diffs and API counters either way."""
    module_run = Runner(server, tmp_path / "locks", capsys)
    controller = ControllerRunner(server, tmp_path / "locks", capsys)
    for device_id in ("dev-lin", "dev-mac"):
        settings = dict(module_tests.SETTINGS, account=ACCOUNT, device_id=device_id, allow_duplicate_name=True)
        for step in ({}, {"random_delay": 600}):
            args = dict(settings, **step)
            # from the same profile (check mode writes nothing): the same plan, diff and counters
            via_module = module_run("comet_device_settings", args, check_mode=True)
            via_controller = controller("comet_device_settings", args, check_mode=True)
            assert via_module["changed"] is True and _comparable(via_controller) == _comparable(via_module)
            applied = controller("comet_device_settings", args)
            assert not applied.get("failed"), applied.get("msg")
            again_module = module_run("comet_device_settings", args)
            again_controller = controller("comet_device_settings", args)
            assert again_module["changed"] is False and again_controller["changed"] is False
            assert _comparable(again_controller) == _comparable(again_module)


def test_no_secret_anywhere_in_a_failure(server, tmp_path, capsys):
    """A wrong admin password echoed nowhere; a no_log value scrubbed even from the module's own message."""
    controller = ControllerRunner(server, tmp_path / "locks", capsys)
    wrong = "wrong-admin-Pw-77"
    if type(server).__name__ != "FakeServer":  # the in-memory mock checks no password
        result = run_in_controller(comet_device_settings.argument_spec(), comet_device_settings.run,
                                   dict(server_url=server.url, admin_username=ADMIN, admin_password=wrong,
                                        lock_dir=str(tmp_path / "locks"), account=ACCOUNT, device_id="dev-lin"))
        assert result["failed"] and wrong not in json.dumps(result)
        assert result["invocation"]["module_args"]["admin_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    def echo(module):
        module.fail_json(msg="server said: bad password %s" % module.params["admin_password"])

    result = run_in_controller(comet_device_settings.argument_spec(), echo,
                               dict(server_url=server.url, admin_username=ADMIN, admin_password=wrong,
                                    account=ACCOUNT, device_id="dev-lin"))
    assert result["failed"] and wrong not in json.dumps(result) and "********" in result["msg"]
    # a successful run too
    ok = controller("comet_device_settings", dict(account=ACCOUNT, device_id="dev-lin", name="lab-pc-09"))
    assert ok["changed"] is True and ADMIN_PASSWORD not in json.dumps(ok)


@pytest.mark.parametrize("args,message", [
    ({"account": ACCOUNT, "device_id": "dev-lin", "colour": "red"}, "colour"),
    ({"account": ACCOUNT}, "device_id"),
    ({"account": ACCOUNT, "device_id": "dev-lin", "folders_mode": "sometimes"}, "folders_mode"),
    ({"account": ACCOUNT, "device_id": "dev-lin", "schedules": [{"at": "10:00"}]}, "frequency"),
])
def test_bad_options_fail_before_any_request(server, args, message):
    called = []
    result = run_in_controller(comet_device_settings.argument_spec(), called.append,
                               dict(args, server_url=server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD))
    assert result["failed"] and message in result["msg"], result["msg"]
    assert called == [] and not result.get("changed")
    assert ADMIN_PASSWORD not in json.dumps(result)


def test_warnings_and_check_mode(server, tmp_path, capsys):
    def warn_and_report(module):
        module.warn("first warning")
        module.exit_json(changed=module.check_mode, diff_mode=module._diff)

    result = run_in_controller(comet_device_settings.argument_spec(), warn_and_report,
                               dict(server_url=server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD,
                                    account=ACCOUNT, device_id="dev-lin"), check_mode=True, diff=True)
    assert result["warnings"] == ["first warning"] and result["changed"] is True and result["diff_mode"] is True
    # a check-mode run of the real module writes nothing
    controller = ControllerRunner(server, tmp_path / "locks", capsys)
    before = json.dumps(server.state.get_profile(ACCOUNT), sort_keys=True)
    result = controller("comet_device_settings", dict(account=ACCOUNT, device_id="dev-lin", name="other-name"),
                        check_mode=True)
    assert result["changed"] is True and "diff" in result
    assert json.dumps(server.state.get_profile(ACCOUNT), sort_keys=True) == before


@pytest.mark.parametrize("controller", [False, True], ids=["module process", "controller"])
def test_validation_warnings_are_reported(controller, monkeypatch, capsys):
    """What AnsibleModule's validation warns about (an option given with its alias, a deprecated option) goes through
    ansible.module_utils.common.warnings as from the module: in a module process into the result's warnings (only
    those of this call), in the controller (its action plugin) displayed at once, never lost."""
    monkeypatch.setattr(module_internal, "is_controller", controller)
    spec = dict(name=dict(type="str", aliases=["label"]),
                old=dict(type="str", removed_in_version="9.0.0", removed_from_collection="unil.backup"))
    capsys.readouterr()
    result = run_in_controller(spec, lambda module: module.exit_json(name=module.params["name"]),
                               dict(name="a", label="b", old="x"))
    assert not result.get("failed"), result
    if controller:
        assert "warnings" not in result, result
        shown = capsys.readouterr().err.replace("\n", " ")
    else:
        shown = " | ".join(result["warnings"])
        assert "Both option name and its alias label are set." in result["warnings"], result
    assert "Both option name and its alias label are set." in shown and "Param 'old' is deprecated" in shown, shown
    quiet = run_in_controller(spec, lambda module: module.exit_json(), dict(name="a"))
    assert "warnings" not in quiet, quiet
