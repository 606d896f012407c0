# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What roles fleet_report and comet_system_exclusions and playbooks/configure.yml record and show: the report's file
names and summary lines, the fail_on message, the record of the system-level exclusions and its sentence, why
configure.yml stops for a host.

Thin wrappers: the rules are in plugins/module_utils/_role_summaries.py, unit-tested there.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

_role_summaries = lazy_module("_role_summaries")


def _require(value, kind, name, what):
    if not isinstance(value, kind):
        raise AnsibleFilterError("%s: %s, got %s" % (name, what, type(value).__name__))
    return value


def _files(files, name):
    return dict(_require(files, Mapping, name, "files must be the role's {format: path} (fleet_report_paths)"))


def fleet_report_paths(formats, directory, basename, now, timestamp=True, prometheus_path=""):
    _require(formats, (list, tuple), "fleet_report_paths", "the input must be the list of formats")
    try:
        return _role_summaries.report_files([str(f) for f in formats], str(directory), str(basename), int(now),
                                            boolean(timestamp, strict=False), str(prometheus_path or ""))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("fleet_report_paths: %s" % exc)


def fleet_report_lines(report, files, print_findings=20):
    _require(report, Mapping, "fleet_report_lines", "the input must be the result of unil.backup.comet_fleet_report")
    _require(report.get("summary"), Mapping, "fleet_report_lines", "the input has no summary (unil.backup.comet_fleet_report)")
    try:
        return _role_summaries.report_lines(report, _files(files, "fleet_report_lines"), int(print_findings))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("fleet_report_lines: the summary misses %s" % exc)


def fleet_report_fail_message(failing, fail_on, files):
    _require(failing, list, "fleet_report_fail_message", "the input must be a list of findings (fleet_report_failing)")
    return _role_summaries.failing_message(failing, str(fail_on), _files(files, "fleet_report_fail_message"))


def comet_system_exclusions_result(applied, datavaults=False):
    _require(applied, Mapping, "comet_system_exclusions_result", "the input must be the result of unil.backup.comet_exclusions")
    return _role_summaries.system_exclusions_result(applied, boolean(datavaults, strict=False))


def comet_system_exclusions_line(result, state, check_mode=False):
    _require(result, Mapping, "comet_system_exclusions_line", "the input must be comet_system_exclusions_result")
    return _role_summaries.system_exclusions_line(result, str(state), boolean(check_mode, strict=False))


def comet_configure_refusal(host, probe=None, device_id_given=False):
    comet = probe.get("comet") if isinstance(probe, Mapping) else None
    comet = comet if isinstance(comet, Mapping) else {}
    login = comet.get("login")
    refusal = _role_summaries.configure_refusal(boolean(comet.get("installed") or False, strict=False),
                                                str(comet.get("device_id") or ""),
                                                login if isinstance(login, Mapping) else None,
                                                boolean(device_id_given, strict=False))
    return _role_summaries.configure_refusal_text(refusal, str(host))


class FilterModule(object):
    def filters(self):
        return {
            "comet_configure_refusal": comet_configure_refusal,
            "comet_system_exclusions_line": comet_system_exclusions_line,
            "comet_system_exclusions_result": comet_system_exclusions_result,
            "fleet_report_fail_message": fleet_report_fail_message,
            "fleet_report_lines": fleet_report_lines,
            "fleet_report_paths": fleet_report_paths,
        }
