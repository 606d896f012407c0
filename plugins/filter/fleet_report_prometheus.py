# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report as a Prometheus textfile-collector file (thin wrapper: the rules are in
plugins/module_utils/_comet_fleet_metrics.py, unit-tested there)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

_comet_fleet_metrics = lazy_module("_comet_fleet_metrics")


def fleet_report_prometheus(report, departments=None):
    try:
        return _comet_fleet_metrics.render_textfile(report, departments)
    except ValueError as exc:
        raise AnsibleFilterError("fleet_report_prometheus: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {
            "fleet_report_prometheus": fleet_report_prometheus,
        }
