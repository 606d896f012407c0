# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows exit codes judged in one place: the table of _windows_exit_codes, read by _comet_windows (role
comet_client's installer and uninstaller), _crashplan (CrashPlan's uninstallers) and the roles' tasks through filters;
3010 and 1641 both set comet_client_reboot_required through one filter."""
from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.comet_client_steps import FilterModule as StepsFilters
from ansible_collections.unil.backup.plugins.filter.comet_windows import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_client_steps as steps
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw
from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _windows_exit_codes as ec

F = FilterModule().filters()
S = StepsFilters().filters()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

# (rc, expected, ok, reboot_required, already_absent, retry, name)
MEANINGS = [
    (0, ec.INSTALLER_SUCCESS, True, False, False, False, "success"),
    (3010, ec.INSTALLER_SUCCESS, True, True, False, False, "reboot_required"),
    (1641, ec.INSTALLER_SUCCESS, True, True, False, False, "reboot_initiated"),
    ("3010", ec.INSTALLER_SUCCESS, True, True, False, False, "reboot_required"),
    (1605, ec.INSTALLER_SUCCESS, False, False, False, False, "unknown_product"),
    (1605, ec.UNINSTALL_SUCCESS, True, False, True, False, "unknown_product"),
    (1614, ec.UNINSTALL_SUCCESS, True, False, False, False, "product_uninstalled"),
    (1641, ec.UNINSTALL_SUCCESS, True, True, False, False, "reboot_initiated"),
    (1618, ec.UNINSTALL_SUCCESS, False, False, False, True, "install_already_running"),
    (1603, ec.INSTALLER_SUCCESS, False, False, False, False, "install_failure"),
    (1641, (0, 3010), False, False, False, False, "reboot_initiated"),  # a site that does not accept 1641
    (2, ec.INSTALLER_SUCCESS, False, False, False, False, "failed"),
    (-1073741819, ec.INSTALLER_SUCCESS, False, False, False, False, "failed"),
    (None, ec.INSTALLER_SUCCESS, False, False, False, False, "no_code"),
    (True, ec.INSTALLER_SUCCESS, False, False, False, False, "no_code"),
    ("x", ec.INSTALLER_SUCCESS, False, False, False, False, "no_code"),
]


@pytest.mark.parametrize("rc, expected, ok, reboot, absent, retry, name", MEANINGS,
                         ids=["%r in %s" % (m[0], list(m[1])) for m in MEANINGS])
def test_meaning(rc, expected, ok, reboot, absent, retry, name):
    found = ec.meaning(rc, expected)
    assert (found["ok"], found["reboot_required"], found["already_absent"], found["retry"], found["name"]) == (
        ok, reboot, absent, retry, name)
    assert F["windows_exit_code"](rc, list(expected)) == found


def test_the_table_holds_each_code_once_with_its_windows_name():
    assert ec.REBOOT_CODES == (3010, 1641)
    assert ec.INSTALLER_SUCCESS == (0, 3010, 1641)
    assert sorted(ec.UNINSTALL_SUCCESS) == [0, 1605, 1614, 1641, 3010]
    for code in ec.INSTALLER_SUCCESS + ec.UNINSTALL_SUCCESS + ec.RETRY_CODES:
        assert code in ec.TABLE
    assert len(set(name for name, dummy in ec.TABLE.values())) == len(ec.TABLE)


def test_comet_windows_and_crashplan_read_the_table():
    assert cw.REBOOT_RCS is ec.REBOOT_CODES and cw.DEFAULT_EXPECTED_RCS is ec.INSTALLER_SUCCESS
    assert cp.MSI_EXPECTED_RETURN_CODES == sorted(ec.UNINSTALL_SUCCESS)
    assert cp.MSI_REBOOT_CODES == sorted(ec.REBOOT_CODES) and cp.MSI_RETRY_CODES == list(ec.RETRY_CODES)
    assert set(cp.MSI_RETURN_CODES) == set(ec.UNINSTALL_SUCCESS)
    for rc in (0, 1605, 1614, 1618, 1641, 3010, 1603, 5):
        mine, theirs = cp.interpret_msi_return_code(rc), ec.meaning(rc, ec.UNINSTALL_SUCCESS)
        assert [mine[k] for k in ("ok", "reboot_required", "already_absent", "retry")] == \
            [theirs[k] for k in ("ok", "reboot_required", "already_absent", "retry")]


@pytest.mark.parametrize("values, expected", [
    (None, [0, 3010, 1641]),
    ([], [0, 3010, 1641]),
    ("", [0, 3010, 1641]),
    ([0, 3010], [0, 3010]),
    (["0", "3010", "1641", 3010], [0, 3010, 1641]),
    ((0,), [0]),
])
def test_expected_return_codes(values, expected):
    assert cw.expected_return_codes(values) == expected
    assert F["comet_client_windows_expected_rcs"](values) == expected


@pytest.mark.parametrize("values, message", [
    ("0,3010", "expected a list of exit codes"),
    ([0, "x"], "'x' is not an exit code"),
    ([True], "True is not an exit code"),
    ({"a": 1}, "expected a list"),
])
def test_expected_return_codes_refused(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cw.expected_return_codes(values)
    with pytest.raises(AnsibleFilterError, match="comet_client_windows_expected_return_codes"):
        F["comet_client_windows_expected_rcs"](values)


# win_package's verdict (failed or not) with its rc; the default codes of the role -> comet_client_reboot_required
@pytest.mark.parametrize("result, reboot", [
    ({"rc": 0, "changed": True}, False),
    ({"rc": 3010, "changed": True}, True),
    ({"rc": 1641, "changed": True}, True),
    ({"rc": 3010, "changed": True, "reboot_required": True}, True),
    ({"rc": 1641, "failed": True}, False),
    ({"skipped": True}, False),
    ({"changed": False}, False),
])
def test_3010_and_1641_set_the_reboot_in_one_place(result, reboot):
    codes = F["comet_client_windows_expected_rcs"]([])
    assert steps.reboot_required(result, codes) is reboot
    assert S["comet_client_windows_reboot_required"](result, codes) is reboot


def test_1641_is_a_default_success_of_the_install():
    assert steps.install_failure({"rc": 1641, "changed": True}, "pc1", "install.exe", "install", "windows",
                                 expected_rcs=cw.expected_return_codes([])) == ""
    assert cw.return_code_meaning(1641)["text"] == \
        "done; the installer started a restart of Windows to finish (exit code 1641)"


def _defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_role_default_is_the_table_through_the_filter():
    default = _defaults("comet_client")["comet_client_windows_expected_return_codes"]
    assert F["comet_client_windows_expected_rcs"](default) == list(ec.INSTALLER_SUCCESS)
    with open(os.path.join(ROOT, "roles", "comet_client", "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]["comet_client_windows_expected_return_codes"]
    assert spec["default"] == default


@pytest.mark.parametrize("path", [
    "roles/comet_client/tasks/windows_present.yml",
    "roles/comet_client/tasks/windows_absent.yml",
    "roles/crashplan_removal/tasks/remove_windows.yml",
])
def test_no_task_types_an_exit_code(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        code = "".join(line for line in handle if not line.lstrip().startswith("#"))
    for number in ("3010", "1641", "1605", "1614", "1618"):
        assert number not in code, (path, number)
    assert "failed_when: false" not in code
