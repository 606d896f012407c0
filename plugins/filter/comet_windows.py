# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_client on Windows: the probe's answer in the shape every OS shares, the installer's arguments and exit
codes, computed on the controller.

Thin wrappers: the rules are in plugins/module_utils/_comet_windows.py, unit-tested there.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

cw = lazy_module("_comet_windows")
ec = lazy_module("_windows_exit_codes")


def comet_client_windows_facts(raw, install_dir_hint=""):
    if raw is None or not isinstance(raw, dict):
        raise AnsibleFilterError("comet_client_windows_facts: the input must be the result of module "
                                 "unil.backup.comet_windows_probe (the registered task)")
    return cw.probe_facts(raw, str(install_dir_hint or ""))


def comet_client_windows_probe_params(install_dir_hint="", wait_login=0, gather_facts=False):
    try:
        return cw.probe_parameters(str(install_dir_hint or ""), int(wait_login or 0), bool(gather_facts))
    except (TypeError, ValueError) as err:
        raise AnsibleFilterError("comet_client_windows_probe_params: %s" % err)


def comet_client_windows_install_args(shortcuts=False, tray_icon=False, local_system=False):
    return cw.install_arguments(bool(shortcuts), bool(tray_icon), bool(local_system))


def comet_client_windows_uninstall_args(remove_credentials=True):
    return cw.uninstall_arguments(bool(remove_credentials))


def comet_client_windows_new_entropy(dummy=None):
    return cw.new_entropy()


def comet_client_windows_return_code(rc, expected=None):
    return cw.return_code_meaning(rc, cw.DEFAULT_EXPECTED_RCS if expected is None else list(expected))


def comet_client_windows_expected_rcs(values=None):
    try:
        return cw.expected_return_codes(values)
    except ValueError as err:
        raise AnsibleFilterError("comet_client_windows_expected_return_codes: %s" % err)


def comet_client_windows_installer_for_host(probe, host="", **kwargs):
    if not isinstance(probe, dict):
        raise AnsibleFilterError("comet_client_windows_installer_for_host: the input must be the role's probe")
    try:
        return cw.installer_for_host(probe, str(host or ""), **kwargs)
    except TypeError as err:
        raise AnsibleFilterError("comet_client_windows_installer_for_host: %s" % err)


def comet_client_windows_documented_commands(probe, shortcuts=True, tray_icon=True, local_system=False,
                                             remove_credentials=True):
    return cw.documented_commands(probe if isinstance(probe, dict) else {}, bool(shortcuts), bool(tray_icon),
                                  bool(local_system), bool(remove_credentials))


def windows_exit_code(rc, expected=None):
    try:
        codes = ec.codes(expected, ec.UNINSTALL_SUCCESS)
    except ValueError as err:
        raise AnsibleFilterError("windows_exit_code: %s" % err)
    return ec.meaning(rc, codes)


class FilterModule(object):
    def filters(self):
        return {
            "comet_client_windows_documented_commands": comet_client_windows_documented_commands,
            "comet_client_windows_expected_rcs": comet_client_windows_expected_rcs,
            "comet_client_windows_facts": comet_client_windows_facts,
            "comet_client_windows_installer_for_host": comet_client_windows_installer_for_host,
            "comet_client_windows_install_args": comet_client_windows_install_args,
            "comet_client_windows_new_entropy": comet_client_windows_new_entropy,
            "comet_client_windows_probe_params": comet_client_windows_probe_params,
            "comet_client_windows_return_code": comet_client_windows_return_code,
            "comet_client_windows_uninstall_args": comet_client_windows_uninstall_args,
            "windows_exit_code": windows_exit_code,
        }
