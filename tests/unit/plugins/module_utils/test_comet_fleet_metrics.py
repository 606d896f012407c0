# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report as a Prometheus textfile: read back with the real parser of prometheus_client, HELP and TYPE once
per metric, label values escaped, the figures those of the report."""
from __future__ import annotations

import os
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.fleet_report_prometheus import FilterModule
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import fleet_report
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet_metrics import (
    METRICS,
    PREFIX,
    escape_label,
    render_textfile,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_known_problems import add_fixes

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "fixtures", "fleet_report.json")
NOW = 1795435200
NASTY = 'pc "quoted" \\ back\nslash'


@pytest.fixture(scope="module")
def report():
    """The fixture fleet's report, computed from the stand-in's state as the server would answer it (no HTTP)."""
    from comet_server.state import State
    state = State()
    state.load_fixture(FIXTURE)
    state.add_user("zed", "zed-pw-Xy12")
    state.add_device("zed", "dev-zed", NASTY, platform={"os": "linux"})
    profiles = dict((name, state.get_profile(name)) for name in state.list_users())
    result = fleet_report(profiles, state.list_active(), state.jobs_for_range(NOW - 7 * 86400, NOW), NOW,
                          min_client_version="24.6.0")
    return add_fixes(result)


def families(text):
    return dict((f.name, f) for f in text_string_to_metric_families(text))


def samples(fams, name, **labels):
    return [s for s in fams[PREFIX + name].samples if all(s.labels.get(k) == v for k, v in labels.items())]


def test_parses_help_and_type_once(report):
    text = render_textfile(report)
    fams = families(text)
    assert set(fams) == set(PREFIX + name for name, dummy in METRICS if name != "known_problems")
    assert all(f.type == "gauge" and f.documentation for f in fams.values())
    for name in fams:
        assert len(re.findall(r"^# HELP %s " % name, text, re.M)) == 1, name
        assert len(re.findall(r"^# TYPE %s gauge$" % name, text, re.M)) == 1, name
    assert text.endswith("\n") and "\n\n" not in text
    # every line is a comment or a sample of the metric named by the last TYPE line
    current = None
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            current = line.split()[2]
        elif not line.startswith("# HELP "):
            assert line.startswith(current + "{") or line.startswith(current + " "), line


def test_figures_are_the_reports(report):
    fams = families(render_textfile(report))
    devices = dict((d["device_id"], d) for d in report["devices"])
    assert len(samples(fams, "device_online")) == len(devices) == samples(fams, "devices")[0].value
    for s in samples(fams, "device_last_working_backup_timestamp_seconds"):
        assert s.value == (devices[s.labels["device_id"]]["last_working_time"] or 0)
    dave = samples(fams, "device_last_job_status", device_id="lin-dave")
    assert [(s.value, s.labels["status"], s.labels["department"], s.labels["platform"]) for s in dave] == [
        (7002, "Error", "dave", "linux")]
    assert samples(fams, "device_last_job_status", device_id="dev-zed")[0].labels["status"] == "No jobs"
    assert samples(fams, "device_online", device_id="win-alice")[0].value == 1
    assert samples(fams, "device_jobs_this_week", device_id="win-alice")[0].value == 2
    assert samples(fams, "device_status", device_id="mac-old")[0].value == 4           # critical: obsolete
    by_code = dict((s.labels["code"], s.value) for s in samples(fams, "findings"))
    assert by_code == report["summary"]["by_finding"]
    assert samples(fams, "report_timestamp_seconds")[0].value == NOW


def test_departments_and_escaping(report):
    text = render_textfile(report, {"bob": "biologie", "dave": "biologie", "zed": 'dept "z"\\\n'})
    fams = families(text)
    bio = dict((s.name, s.value) for fam in fams.values() for s in fam.samples
               if s.labels == {"department": "biologie"})
    assert bio[PREFIX + "department_accounts"] == 2 and bio[PREFIX + "department_devices"] == 3
    assert bio[PREFIX + "department_jobs_this_week"] == 3      # mac-new 1, lin-dave 2 (bob's restore is no backup)
    assert bio[PREFIX + "department_oldest_last_working_backup_timestamp_seconds"] == 1778155200  # mac-old's Success
    statuses = dict((s.labels["status"], s.value) for s in samples(fams, "department_last_job_status", department="biologie"))
    assert statuses == {"Success": 1, "Abandoned": 1, "Error": 1}
    assert samples(fams, "department_findings", department="biologie", code="obsolete")[0].value == 1
    # an account with no device still has its department; one the mapping does not name is its own
    assert samples(fams, "department_devices", department="carol")[0].value == 0
    assert samples(fams, "department_findings", department="carol", code="no_device")[0].value == 1
    # label values come back exactly, whatever they hold
    zed = samples(fams, "device_online", device_id="dev-zed")[0]
    assert zed.labels["device"] == NASTY and zed.labels["department"] == 'dept "z"\\\n'
    assert escape_label(NASTY) == 'pc \\"quoted\\" \\\\ back\\nslash'
    assert "\n" not in [line for line in text.splitlines() if "dev-zed" in line][0]


def test_known_problems_and_an_empty_fleet(report):
    with_problems = dict(report, summary=dict(report["summary"], known_problems={"macos_full_disk_access": 2,
                                                                                 "storage_vault_corrupted": 0}))
    fams = families(render_textfile(with_problems))
    assert dict((s.labels["problem"], s.value) for s in samples(fams, "known_problems")) == {
        "macos_full_disk_access": 2, "storage_vault_corrupted": 0}
    fams = families(render_textfile({"devices": [], "findings": [], "accounts": [], "summary": {}}))
    assert samples(fams, "devices")[0].value == 0 and len(samples(fams, "findings")) == 8


@pytest.mark.parametrize("bad,departments", [
    (None, None), ([], None), ({"devices": []}, None), ({"devices": [], "findings": []}, ["dept"]),
    ({"devices": [], "findings": []}, {"acct": 3}),
])
def test_bad_input(bad, departments):
    with pytest.raises(ValueError):
        render_textfile(bad, departments)
    with pytest.raises(AnsibleFilterError, match="fleet_report_prometheus"):
        FilterModule().filters()["fleet_report_prometheus"](bad, departments)
