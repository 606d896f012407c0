# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/report.yml (role unil.backup.fleet_report) run by real ansible-playbook against the Comet Server stand-in
seeded with a generated fleet (issue 24, second acceptance item): an account with 3 devices is reported over the
licence limit, an account on another policy is reported, a device whose last job log has "Lost connection to local
service" gets its fix, macOS 14 never gets the DataVaults advice; stale devices with their removal step, the closing
dated from the announcement, the mails no one receives - and the HTML and Prometheus outputs still written."""
from __future__ import annotations

import json
import os
import sys

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from playbook_runner import run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = os.path.join(ROOT, "playbooks", "report.yml")
ADMIN = "fleet-admin"
ADMIN_PASSWORD = "Acc0unts-never-printed"
NOW = 1795435200           # 2026-11-23T12:00:00Z
DAY = 86400
MAC14 = {"os": "darwin", "version": "14.2"}
MAC1015 = {"os": "darwin", "version": "10.15.7"}
WIN = {"os": "windows", "version": "10.0"}
DATAVAULTS = "Lstat: lstat /Users/pnom/Library/Containers/com.apple.mail/Data/DataVaults: operation not permitted"
LOST = "Lost connection to local service"


def generated_fleet(size=12):
    """``size`` ordinary accounts (one Windows device each, a Success yesterday, the site's policy, mails on) and the
    accounts of the acceptance item."""
    users, jobs = {}, []

    def account(name, devices, **profile):
        users[name] = {"password": name + "-pw-Xy12",
                       "devices": dict((d, {"name": d, "platform": p}) for d, (p, dummy, dummy2) in devices.items()),
                       "profile": dict({"AccountName": name.title(), "PolicyID": "pol-unil", "SendEmailReports": True,
                                        "Emails": [name + "@example.unil.ch"],
                                        "Sources": dict(("src-" + d, {"Engine": "engine1/file", "Description": "Documents",
                                                                      "OwnerDevice": d}) for d in devices)}, **profile)}
        for device, (dummy, (status, end), log) in devices.items():
            entry = {"account": name, "device": device, "status": status, "start": end - 600, "end": end,
                     "source": "src-" + device}
            if log:
                entry["log"] = [{"Severity": "I", "Message": "Starting backup"},
                                {"Severity": "E" if status == 7002 else "W", "Message": log}]
            jobs.append(entry)

    for i in range(size):
        account("user%02d" % i, {"pc-%02d" % i: (WIN, (5000, NOW - DAY), None)})
    # seed 000 FAQ: two computers per account, licences paid per machine
    account("trio", {"trio-a": (WIN, (5000, NOW - DAY), None), "trio-b": (WIN, (5000, NOW - 2 * DAY), None),
                     "trio-c": (WIN, (5000, NOW - 40 * DAY), None)})
    account("offpol", {"offpol-pc": (WIN, (5000, NOW - DAY), None)}, PolicyID="pol-other")
    # seed 001: "Lost connection to local service" on macOS; seed 000: DataVaults on macOS 10.15 and older only
    account("macs", {"mac-lost": (MAC14, (7002, NOW - DAY), LOST), "mac-vaults14": (MAC14, (7001, NOW - DAY), DATAVAULTS)})
    account("oldmac", {"mac-1015": (MAC1015, (7001, NOW - DAY), DATAVAULTS)})
    # seed 001, "Sauvegarde obsolète": a replaced computer, no job for 8 months
    account("replaced", {"new-pc": (WIN, (5000, NOW - DAY), None), "old-pc": (WIN, (5000, NOW - 240 * DAY), None)})
    # seed 001: closing announced 3 days ago, not suspended yet
    account("leaver", {"leaver-pc": (WIN, (5000, NOW - DAY), None)})
    # seed 000, "Gestion des alertes": no one receives the mails
    account("silent", {"silent-pc": (WIN, (5000, NOW - DAY), None)}, SendEmailReports=False)
    return {"users": users, "jobs": jobs,
            "policies": {"pol-unil": {"Description": "UNIL lab machines"}, "pol-other": {"Description": "Other"}}}


pytestmark = pytest.mark.slow


@pytest.fixture
def server(comet_standin):
    return comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=[generated_fleet()])


def run_report(srv, tmp_path, **extra):
    secrets = tmp_path / "comet-connection.yml"
    fd = os.open(str(secrets), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump({"fleet_report_server_url": srv.url, "fleet_report_admin_username": ADMIN,
                        "fleet_report_admin_password": ADMIN_PASSWORD}, handle)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"fleet": {"hosts": {"host-00": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    out = tmp_path / "reports"
    variables = dict({"fleet_report_hosts": "fleet", "fleet_report_now": NOW, "fleet_report_dir": str(out),
                      "fleet_report_timestamp": False, "fleet_report_formats": ["json", "markdown", "html", "prometheus"],
                      "fleet_report_prometheus_path": str(out / "unil_backup_fleet.prom")}, **extra)
    extra_file = tmp_path / "extra.yml"
    extra_file.write_text(yaml.safe_dump(variables))
    rc, output = run_playbook("-i", str(inventory), "-e", "@" + str(secrets), "-e", "@" + str(extra_file), PLAYBOOK,
                              tmp_path=tmp_path, clear_comet=True)
    assert ADMIN_PASSWORD not in output
    assert rc == 0, output
    report = json.loads((out / "fleet-report.json").read_text())
    return report, out, output


def by_code(report, code):
    return dict(((f["account"], f["device_id"]), f) for f in report["findings"] if f["code"] == code)


def test_licences_policies_mails_closing_and_known_problems(server, tmp_path):
    """Issue 24's second acceptance item, through the role as an admin runs it."""
    report, out, output = run_report(server, tmp_path, fleet_report_policy_name="UNIL lab machines",
                                     fleet_report_stale_after_months=6, fleet_report_check_mail_recipients=True,
                                     fleet_report_closing_announcements={"leaver": "2026-11-20"})
    # seed 000 FAQ, "L'UNIL paie des licences Comet Backup par machine": the account with 3 devices, and no other
    over = by_code(report, "devices_over_limit")
    assert list(over) == [("trio", None)]
    assert over[("trio", None)]["details"]["remove_first"] == [
        {"module": "unil.backup.comet_device", "account": "trio", "device_id": "trio-c", "state": "absent"}]
    assert "unil.backup.comet_device" in over[("trio", None)]["fix"]
    # seed 000, system exclusions held by the policy: the account on another policy, and no other
    assert list(by_code(report, "policy_mismatch")) == [("offpol", None)]
    assert by_code(report, "policy_mismatch")[("offpol", None)]["details"]["expected_policy_id"] == "pol-unil"
    # seed 001, "Lost connection to local service" on macOS: recognised, with its fix
    devices = dict((d["device_id"], d) for d in report["devices"])
    lost = devices["mac-lost"]["known_problems"]
    assert [p["id"] for p in lost] == ["macos_lost_local_service"] and "Reinstall" in lost[0]["fix"]
    # seed 000, DataVaults on "macOS 10.15 et plus ancien": never on macOS 14, on 10.15
    assert "macos_datavaults" not in [p["id"] for p in devices["mac-vaults14"]["known_problems"]]
    assert not any("update macos" in p["fix"].lower() for p in devices["mac-vaults14"]["known_problems"])
    assert [p["id"] for p in devices["mac-1015"]["known_problems"]] == ["macos_datavaults"]
    # seed 001, replaced computer: the stale one, with the step that removes it
    stale = by_code(report, "stale_device")
    assert list(stale) == [("replaced", "old-pc")]
    assert stale[("replaced", "old-pc")]["details"]["remove"]["state"] == "absent"
    assert "device_id=old-pc state=absent" in stale[("replaced", "old-pc")]["fix"]
    # seed 001: deleted 14 days after the announcement (2026-11-20), though not suspended
    closing = by_code(report, "account_closing")[("leaver", None)]
    assert closing["details"]["data_deletion_date"] == "2026-12-04" and closing["details"]["source"] == "announcement"
    # seed 000, the Error/Cancelled mails and the Friday report: the account that receives nothing, and no other
    mails = by_code(report, "mails_not_received")
    assert list(mails) == [("silent", None)] and mails[("silent", None)]["details"]["missing"] == ["job_mails", "weekly_report"]
    # one policies/list read for the name, the fleet read once
    assert sum(1 for e in server.log if e["endpoint"] == "policies/list") == 1
    assert sum(1 for e in server.log if e["endpoint"] == "list-users-full") == 1

    # the HTML and Prometheus outputs still written, with the new codes
    html = (out / "fleet-report.html").read_text()
    assert "More devices than the licence limit" in html and "trio" in html
    families = dict((f.name, f) for f in text_string_to_metric_families((out / "unil_backup_fleet.prom").read_text()))
    findings = dict((s.labels["code"], s.value) for s in families["unil_backup_fleet_findings"].samples)
    assert findings == report["summary"]["by_finding"]
    assert findings["devices_over_limit"] == 1 and findings["policy_mismatch"] == 1
    markdown = (out / "fleet-report.md").read_text()
    assert "devices_over_limit" in markdown


def test_defaults_the_guides_limit_only(server, tmp_path):
    """Without site settings: the guide's limit of 2 (seed 000 FAQ) is checked; the policy, stale and mail checks are
    off and absent from the counts; the closing announcement source is empty."""
    report, dummy, dummy2 = run_report(server, tmp_path)
    assert list(by_code(report, "devices_over_limit")) == [("trio", None)]
    for code in ("policy_mismatch", "stale_device", "mails_not_received"):
        assert not by_code(report, code) and code not in report["summary"]["by_finding"], code
    assert not by_code(report, "account_closing")
