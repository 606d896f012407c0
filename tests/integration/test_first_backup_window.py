# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The first backup, at the time the guide says and confirmed (seed 000, "Machine ventile lors du premier backup": a
first backup makes the machine busy and loud, run it in a quiet period or at night; issue 23 point 4, issue 24
point 3). Real ansible-playbook of role comet_config, then the run's summary (site.yml's filter), against the
stand-in: outside comet_config_first_backup_window no dispatcher/run-backup reaches the server and the summary says
"deferred to the schedule"; inside it one request, its JobID read back (get-job-properties); a device that applies
its refetched profile late never runs a rule it does not have, and the run says whether the backup started."""
from __future__ import annotations

import datetime
import json

from zoneinfo import ZoneInfo

import pytest

from playbook_runner import controller_inventory

ADMIN, ADMIN_PASSWORD = "first-admin", "F1rst-admin-pw"
ACCOUNT, DEVICE, TIMEZONE = "dept-lab", "dev-new", "Europe/Zurich"

HOSTS = """
  hosts:
    lab-01: {comet_client_device_id: %s}
""" % DEVICE

PLAY = """
- name: Role comet_config, then the run's summary
  hosts: all
  gather_facts: false
  tasks:
    - name: Role comet_config
      ansible.builtin.include_role:
        name: unil.backup.comet_config
    - name: Write the result
      ansible.builtin.copy:
        content: "{{ comet_config_result | to_json }}"
        dest: "{{ result_path }}"
        mode: "0600"
      delegate_to: localhost
    - name: The summary
      ansible.builtin.debug:
        msg: "{{ (ansible_play_hosts_all | unil.backup.migration_summary(hostvars, ansible_play_hosts)).lines }}"
"""


def standin(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "dept-lab-user-pw")
    srv.state.add_device(ACCOUNT, DEVICE, DEVICE, platform={"os": "linux"}, online=True, timezone=TIMEZONE)
    return srv


def window(start_offset, end_offset):
    """A daily window HH:MM-HH:MM from minutes relative to now in the device's time zone."""
    now = datetime.datetime.now(ZoneInfo(TIMEZONE))
    minute = now.hour * 60 + now.minute

    def hhmm(offset):
        value = (minute + offset) % 1440
        return "%02d:%02d" % (value // 60, value % 60)

    return "%s-%s" % (hhmm(start_offset), hhmm(end_offset))


INSIDE = (-120, 120)
OUTSIDE = (180, 300)


def run(tmp_path, run_playbook, srv, *extra):
    (tmp_path / "hosts.yml").write_text(controller_inventory(srv.url, ADMIN, ADMIN_PASSWORD, ACCOUNT, HOSTS))
    (tmp_path / "play.yml").write_text(PLAY)
    result_path = tmp_path / "result.json"
    rc, out = run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"),
                           "-e", "result_path=%s" % result_path, *extra, timeout=300)
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    return rc, out, result


def jobs(srv):
    return srv.state.jobs_for_user(ACCOUNT)


def test_outside_the_window_no_run_backup_and_the_summary_says_deferred(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=%s" % window(*OUTSIDE))
    assert rc == 0, out
    assert srv.log_count("dispatcher/run-backup") == 0, srv.log
    assert jobs(srv) == []
    assert result["backup_started"] is False and result["backup_reason"] == "deferred:outside_window", result
    assert "first backup deferred to the schedule: outside the first-backup window" in out, out


def test_never_leaves_it_to_the_schedule(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=never")
    assert rc == 0, out
    assert srv.log_count("dispatcher/run-backup") == 0
    assert result["backup_reason"] == "deferred:never", result
    assert "first backup deferred to the schedule" in out, out


def test_inside_the_window_one_request_and_the_job_confirmed(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=%s" % window(*INSIDE))
    assert rc == 0, out
    assert srv.log_count("dispatcher/run-backup") == 1, srv.log
    assert srv.log_count("get-job-properties") == 1, srv.log
    assert result["backup_started"] is True and result["backup_reason"] == "started", result
    rule_id = next(iter(srv.state.get_profile(ACCOUNT)["BackupRules"]))
    assert [(j["DeviceID"], j["BackupRuleGUID"]) for j in jobs(srv)] == [(DEVICE, rule_id)]
    assert "first backup started" in out, out
    # a rerun: the item exists, its schedule runs the backups
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=now")
    assert rc == 0, out
    assert srv.log_count("dispatcher/run-backup") == 1 and result["backup_reason"] == "not_started:item_existed"


def test_a_device_that_never_applies_its_profile_in_time_runs_no_old_rule(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    srv.state.apply_delay = 3600  # the device applies the refetched profile long after the run
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=now",
                          "-e", "comet_config_first_backup_wait=3")
    assert rc == 0, out
    assert jobs(srv) == [] and srv.state.stale_runs == []
    assert result["backup_started"] is False and result["backup_reason"] == "not_started:profile_not_applied", result
    assert "first backup not started: the device has not applied its profile yet" in out, out


def test_a_device_that_applies_its_profile_late_runs_the_new_rule(tmp_path, run_playbook, comet_standin):
    srv = standin(comet_standin)
    srv.state.apply_delay = 3  # a few seconds after dispatcher/refetch-profile
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=now",
                          "-e", "comet_config_first_backup_wait=60")
    assert rc == 0, out
    assert result["backup_started"] is True and result["backup_reason"] == "started", result
    rule_id = next(iter(srv.state.get_profile(ACCOUNT)["BackupRules"]))
    assert [(j["DeviceID"], j["BackupRuleGUID"]) for j in jobs(srv)] == [(DEVICE, rule_id)]
    assert srv.state.stale_runs == []
    # every request before the device applied its profile was refused: one job, never a second one
    statuses = [e["status"] for e in srv.log if e["endpoint"] == "dispatcher/run-backup"]
    assert statuses[-1] == 200 and all(s == 400 for s in statuses[:-1]), statuses


def test_a_host_on_the_pulse_secure_vpn_is_deferred(tmp_path, run_playbook, comet_standin):
    """Seed 000: the first backup is advised against while Pulse Secure is connected: deferred, said so."""
    srv = standin(comet_standin)
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=now",
                          "-e", "comet_client_vpn_connected=true")
    assert rc == 0, out
    assert srv.log_count("dispatcher/run-backup") == 0
    assert result["backup_started"] is False and result["backup_reason"] == "deferred:vpn", result
    assert "first backup deferred to the schedule: the host's Pulse Secure VPN is connected" in out, out


@pytest.mark.parametrize("carried_out", [True, False])
def test_a_lost_answer_is_not_sent_twice_and_the_run_says_whether_the_job_started(tmp_path, run_playbook, comet_standin,
                                                                                  carried_out):
    """Issue 23 point 3/4: run-backup's answer lost (after the job started, or before) - one request, then a read of
    the account's jobs says whether it started."""
    srv = standin(comet_standin)
    srv.faults.drop_next(1, endpoint="dispatcher/run-backup", process=carried_out)
    rc, out, result = run(tmp_path, run_playbook, srv, "-e", "comet_config_first_backup_window=now")
    assert rc == 0, out
    assert srv.log_count("dispatcher/run-backup") == 1, srv.log
    assert srv.log_count("get-jobs-for-user") >= 1
    assert len(jobs(srv)) == (1 if carried_out else 0)
    assert result["backup_started"] is carried_out, result
    assert result["backup_reason"] == ("started" if carried_out else "not_started:answer_lost"), result
