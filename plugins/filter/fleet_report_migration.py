# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's migration section as the lines the role prints (thin wrapper: the rules are in
plugins/module_utils/_comet_fleet_migration.py, unit-tested there)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

_comet_fleet_migration = lazy_module("_comet_fleet_migration")


def fleet_report_migration_lines(section, stuck=5):
    if not isinstance(section, dict):
        raise AnsibleFilterError("fleet_report_migration_lines: the input must be the migration section of "
                                 "unil.backup.comet_fleet_report's result (a dict), got %s" % type(section).__name__)
    try:
        return _comet_fleet_migration.summary_lines(section, int(stuck))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("fleet_report_migration_lines: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"fleet_report_migration_lines": fleet_report_migration_lines}
