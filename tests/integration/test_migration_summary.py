# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/site.yml's last play, the summary: the stage each host reached, from the facts the roles left (here
inventory variables; the migration itself is skipped with --start-at-task), and the count per stage; and a host that
failed earlier in the run is reported as failed (the same filter after a play where one host fails)."""
from __future__ import annotations

import os

import yaml

from playbook_runner import ROOT

SITE = os.path.join(ROOT, "playbooks", "site.yml")
SUMMARY_TASK = "Record the stage each host reached in the migration's history (on the controller, README \"History\")"
HOSTS = {
    "lab-removed": {"crashplan_removal_result": {"stage": "removed", "present_before": True, "removed": True,
                                                 "gate": {"code": "open", "open": True}},
                    "comet_config_result": {"device_id": "d1"}, "comet_client_installed": True,
                    "comet_client_installed_version": "24.6.0", "comet_client_device_id": "d1",
                    "comet_client_login_status": {"text": "Logged in, unlocked (2)"}},
    "lab-waiting": {"crashplan_removal_result": {"stage": "kept_gate_closed", "present_before": True, "removed": False,
                                                 "gate": {"code": "waiting_for_backup", "open": False}},
                    "comet_config_result": {"device_id": "d2", "backup_started": True}},
    "lab-kept": {"crashplan_removal_result": {"stage": "kept_gate_closed", "present_before": True, "removed": False,
                                              "gate": {"code": "server_error", "open": False}}},
    "lab-new": {"crashplan_removal_result": {"stage": "no_crashplan", "present_before": False, "removed": False,
                                             "gate": {"code": "absent", "open": False}},
                "comet_config_result": {"device_id": "d4", "backup_started": True}},
    "lab-fresh": {},
}


def inventory(tmp_path):
    hosts = dict((name, dict(facts, ansible_connection="local")) for name, facts in HOSTS.items())
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def test_site_summary_from_codes(tmp_path, run_playbook):
    rc, out = run_playbook("-i", inventory(tmp_path), SITE, "--start-at-task", SUMMARY_TASK,
                           "-e", "unil_backup_history_path=%s" % (tmp_path / "history.jsonl"))
    assert rc == 0, out
    for line in (
            "lab-fresh            not started                      Comet Backup -, device -, -",
            "lab-kept             CrashPlan kept: the Comet Server could not be asked Comet Backup -, device -, -",
            "lab-new              first backup started             Comet Backup -, device -, -",
            "lab-removed          CrashPlan removed                Comet Backup 24.6.0, device d1, Logged in, unlocked (2)",
            "lab-waiting          waiting for a working backup     Comet Backup -, device -, -",
            "   1  CrashPlan kept", "   1  CrashPlan removed", "   1  first backup started", "   1  not started",
            "   1  waiting for a working backup"):
        assert '"%s"' % line in out, line + "\n" + out


def test_a_host_that_failed_earlier_is_reported_failed(tmp_path, run_playbook):
    play = tmp_path / "play.yml"
    play.write_text("""
- name: One host fails
  hosts: all
  gather_facts: false
  tasks:
    - name: Fail lab-removed
      ansible.builtin.fail:
        msg: broken
      when: inventory_hostname == 'lab-removed'
- name: Summary, as site.yml ends
  hosts: all
  gather_facts: false
  tasks:
    - name: Summary
      ansible.builtin.debug:
        msg: "{{ (ansible_play_hosts_all | unil.backup.migration_summary(hostvars, ansible_play_hosts)).lines }}"
      run_once: true
""")
    rc, out = run_playbook("-i", inventory(tmp_path), str(play))
    assert rc != 0, out
    assert '"lab-removed          failed (see above)               Comet Backup 24.6.0, device d1, Logged in, unlocked (2)"' in out, out
    assert '"   1  failed (see above)"' in out and '"   1  CrashPlan kept"' in out, out
