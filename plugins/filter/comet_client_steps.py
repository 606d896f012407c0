# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_client's steps on the host: what a step runs, whether it failed and its message, computed on the
controller from the step's registered result.

Thin wrappers: the rules are in plugins/module_utils/_comet_client_steps.py, unit-tested there.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

steps = lazy_module("_comet_client_steps")
_comet_client_role = lazy_module("_comet_client_role")
_comet_url = lazy_module("_comet_url")
_host_facts = lazy_module("_host_facts")


def _text(value):
    return "" if value is None else str(value)


def _list(value, name):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    raise AnsibleFilterError("%s: expected_rcs must be a list of exit codes" % name)


def comet_client_next_steps(plan, shared=None, host="", os="", state="present"):
    return _comet_client_role.next_steps(plan, shared, _text(host), _text(os), _text(state))


def comet_server_origin(url):
    return _comet_url.origin(url)


def comet_client_facts_missing(facts):
    return _host_facts.facts_missing(facts)


def comet_client_two_factor(account_result, account="", plan=None, os=""):
    return steps.two_factor(account_result, _text(account), plan, _text(os))


def comet_client_install_failure(result, host="", installer="", action="", os="linux", account="", secrets=None,
                                 expected_rcs=None):
    if secrets is not None and not isinstance(secrets, (list, tuple)):
        raise AnsibleFilterError("comet_client_install_failure: secrets must be a list")
    return steps.install_failure(result, _text(host), _text(installer), _text(action), _text(os), _text(account),
                                 list(secrets or []), _list(expected_rcs, "comet_client_install_failure"))


def comet_client_windows_reboot_required(result, expected_rcs=None):
    return steps.reboot_required(result, _list(expected_rcs, "comet_client_windows_reboot_required"))


def comet_client_windows_installer(probe, action="install", shortcuts=False, tray_icon=False, local_system=False):
    return steps.windows_installer(probe, _text(action), shortcuts, tray_icon, local_system)


def comet_client_windows_services(probe, plan=None, check_mode=False):
    return steps.windows_services_to_start(probe, plan, check_mode)


def comet_client_macos_install_steps(package, use_token=False):
    try:
        return steps.macos_install_steps(_text(package), use_token)
    except ValueError as err:
        raise AnsibleFilterError("comet_client_macos_install_steps: %s" % err)


def comet_client_macos_loaded(probe):
    return steps.macos_loaded(probe)


def comet_client_macos_app_path(probe, configured=""):
    return steps.macos_app_path(probe, _text(configured))


def comet_client_macos_daemons(probe):
    return steps.macos_daemons(probe)


def comet_client_login_needed(probe, can_login=False, action="none", install_token=True, check_mode=False):
    return steps.login_needed(probe, can_login, _text(action), install_token, check_mode)


def comet_client_login_step(os, probe=None, linux_install_dir="", macos_app_path=""):
    return steps.login_step(_text(os), probe, _text(linux_install_dir), _text(macos_app_path))


def comet_client_login_failure(results, host="", tool="backup-tool", account="", password=""):
    return steps.login_failure(results, _text(host), _text(tool), _text(account), _text(password))


def comet_client_final_check(probe, plan=None, host="", require_login=False, check_services=False):
    return steps.final_check(probe, plan, _text(host), require_login, check_services)


def comet_client_removal_check(probe, host=""):
    return steps.removal_check(probe, _text(host))


def comet_client_macos_uninstaller(stat_results, app_path="", remove_credentials=True):
    return steps.macos_uninstaller(stat_results, _text(app_path), remove_credentials)


def comet_client_linux_disconnect(install_dir):
    return steps.linux_disconnect_argv(_text(install_dir))


def comet_client_disconnect_result(result, host=""):
    return steps.disconnect_result(result, _text(host))


def comet_client_uninstall_left(result, host="", app_path=""):
    return steps.uninstall_left(result, _text(host), _text(app_path))


def comet_client_full_disk_access(installed, host="", identifier="", profile_path="", required=False):
    return steps.full_disk_access(installed, _text(host), _text(identifier), _text(profile_path), required)


class FilterModule(object):
    def filters(self):
        return {
            "comet_client_next_steps": comet_client_next_steps,
            "comet_server_origin": comet_server_origin,
            "comet_client_facts_missing": comet_client_facts_missing,
            "comet_client_disconnect_result": comet_client_disconnect_result,
            "comet_client_final_check": comet_client_final_check,
            "comet_client_full_disk_access": comet_client_full_disk_access,
            "comet_client_install_failure": comet_client_install_failure,
            "comet_client_linux_disconnect": comet_client_linux_disconnect,
            "comet_client_login_failure": comet_client_login_failure,
            "comet_client_login_needed": comet_client_login_needed,
            "comet_client_login_step": comet_client_login_step,
            "comet_client_macos_app_path": comet_client_macos_app_path,
            "comet_client_macos_daemons": comet_client_macos_daemons,
            "comet_client_macos_loaded": comet_client_macos_loaded,
            "comet_client_macos_install_steps": comet_client_macos_install_steps,
            "comet_client_macos_uninstaller": comet_client_macos_uninstaller,
            "comet_client_removal_check": comet_client_removal_check,
            "comet_client_two_factor": comet_client_two_factor,
            "comet_client_uninstall_left": comet_client_uninstall_left,
            "comet_client_windows_installer": comet_client_windows_installer,
            "comet_client_windows_reboot_required": comet_client_windows_reboot_required,
            "comet_client_windows_services": comet_client_windows_services,
        }
