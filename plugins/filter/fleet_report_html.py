# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report (result of unil.backup.comet_fleet_report) as one self-contained HTML page.

Thin wrapper: the page is rendered by plugins/module_utils/_comet_fleet_html.py, unit-tested there.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.unil.backup.plugins.plugin_utils._lazy_import import lazy_module

_comet_fleet_html = lazy_module("_comet_fleet_html")


def fleet_report_html(report, departments=None, title="Comet Backup fleet report"):
    if not isinstance(report, dict) or not isinstance(report.get("summary"), dict):
        raise AnsibleFilterError("fleet_report_html: the input must be the result of unil.backup.comet_fleet_report "
                                 "(a dict with summary, findings, accounts, devices)")
    if departments is not None and not isinstance(departments, dict):
        raise AnsibleFilterError("fleet_report_html: departments must be a dict {account: department}, got %s"
                                 % type(departments).__name__)
    clean = dict((to_text(k), to_text(v)) for k, v in (departments or {}).items() if v not in (None, ""))
    return _comet_fleet_html.render_html(report, clean, to_text(title))


class FilterModule(object):
    def filters(self):
        return {"fleet_report_html": fleet_report_html}
