# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 23: the client's install and uninstall steps as Comet documents them (docs.cometbackup.com "Comet Backup
installation", "Appendix"; comet-go-sdk cometsdk.go), with the vendor-documented command lines and samples."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.comet_client_steps import FilterModule as StepFilters
from ansible_collections.unil.backup.plugins.module_utils import _comet_client_steps as steps
from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm

STEP_FILTERS = StepFilters().filters()
PKG = "/var/tmp/unil-comet-client-0123/Comet Backup UNIL.pkg"


# 1. macOS: `sudo launchctl setenv BACKUP_APP_TOKEN "<token>" && sudo installer -allowUntrusted -pkg "<pkg>" -target /`
def test_macos_installer_argv_is_the_documented_one():
    assert cm.installer_argv(PKG) == ["/usr/sbin/installer", "-allowUntrusted", "-pkg", PKG, "-target", "/"]


def test_macos_install_steps_with_a_token_keep_the_token_out():
    found = steps.macos_install_steps(PKG, True)
    assert found == {"setenv": ["/bin/launchctl", "setenv", "BACKUP_APP_TOKEN"],
                     "installer": ["/usr/sbin/installer", "-allowUntrusted", "-pkg", PKG, "-target", "/"],
                     "unsetenv": ["/bin/launchctl", "unsetenv", "BACKUP_APP_TOKEN"]}
    assert STEP_FILTERS["comet_client_macos_install_steps"](PKG, True) == found


def test_macos_install_steps_without_a_token_only_run_the_installer():
    assert steps.macos_install_steps(PKG, False) == {
        "setenv": [], "installer": ["/usr/sbin/installer", "-allowUntrusted", "-pkg", PKG, "-target", "/"], "unsetenv": []}


@pytest.mark.parametrize("bad", ["", None, "a\nb.pkg"])
def test_macos_installer_refuses_no_package(bad):
    with pytest.raises(ValueError):
        cm.installer_argv(bad)
    with pytest.raises(AnsibleFilterError):
        STEP_FILTERS["comet_client_macos_install_steps"](bad)


def test_macos_install_failure_names_the_documented_command():
    msg = steps.install_failure({"rc": 1, "stdout": "installer: The package is untrusted."}, "mac1", "C.pkg",
                                "install", "macos")
    assert "/usr/sbin/installer -allowUntrusted -pkg C.pkg -target / (install) failed on mac1" in msg
