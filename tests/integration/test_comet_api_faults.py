# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 22's faults against the Comet Server stand-in over real HTTP: a write that lands but whose answer is lost
(connection closed, truncated JSON, JSON Status 500) is reported changed and the online device told to reload, with
one write in the stand-in's log (ansible-playbook); 429 and 503 with Retry-After; writes that are sent once; a server
that accepts connections and never answers stops being asked after a few timeouts (the circuit breaker of the run)."""
from __future__ import annotations

import json
import os
import time

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    CometOutcomeUnknown,
)

ADMIN = "faults-admin"
ADMIN_PASSWORD = "Adm1n-faults-n3ver-printed"
ACCOUNT = "lab-faults"
WRITE = "set-user-profile-hash"
REFETCH = "dispatcher/refetch-profile"
LINUX = {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""}

PLAYBOOK = """
- name: One Comet call per host
  hosts: comet_devices
  gather_facts: false
  module_defaults:
    group/unil.backup.comet:
      server_url: "{{ comet_server_url }}"
      admin_username: "{{ comet_admin_username }}"
      admin_password: "{{ comet_admin_password }}"
      lock_dir: "{{ comet_lock_dir }}"
      timeout: "{{ comet_timeout }}"
  tasks:
    - name: Configure the device's folders
      when: comet_call == 'settings'
      unil.backup.comet_device_settings:
        account: "{{ comet_account }}"
        device_id: "{{ comet_device_id }}"
        item_defaults: true
        folders: [/home, /srv/data]
      register: comet_result
      ignore_errors: true

    - name: Read the device
      when: comet_call == 'info'
      unil.backup.comet_info:
        account: "{{ comet_account }}"
        device_id: "{{ comet_device_id }}"
        jobs: false
      register: comet_info_result
      ignore_errors: true

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ (comet_result if comet_call == 'settings' else comet_info_result) | to_json }}"
        dest: "{{ comet_results }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""


@pytest.fixture
def server(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "user-Secret-faults")
    for index in range(1, 5):
        srv.state.add_device(ACCOUNT, "dev-%d" % index, "lab-pc-%02d" % index, platform=LINUX, online=index == 1)
    srv.reset_log()
    return srv


def play(srv, tmp_path, run_playbook, call, hosts=1, forks=5, timeout=30):
    """ansible-playbook of PLAYBOOK on ``hosts`` local hosts; {host: registered result}, output."""
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    for old in results.iterdir():
        old.unlink()
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"comet_devices": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "hosts": dict(("pc-%d" % i, {"comet_device_id": "dev-%d" % i}) for i in range(1, hosts + 1))}}))
    secrets = tmp_path / "connection.yml"
    fd = os.open(str(secrets), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump({"comet_server_url": srv.url, "comet_admin_username": ADMIN, "comet_admin_password": ADMIN_PASSWORD,
                        "comet_lock_dir": str(tmp_path / "locks"), "comet_account": ACCOUNT, "comet_call": call,
                        "comet_timeout": timeout, "comet_results": str(results)}, handle)
    playbook = tmp_path / "faults.yml"
    playbook.write_text(PLAYBOOK)
    rc, output = run_playbook("-i", str(inventory), "-e", "@" + str(secrets), "-f", str(forks), str(playbook),
                              label="faults.yml %s, %d hosts, %d forks" % (call, hosts, forks))
    assert rc == 0, output
    assert ADMIN_PASSWORD not in output
    found = dict((path.stem, json.loads(path.read_text())) for path in results.iterdir())
    assert sorted(found) == ["pc-%d" % i for i in range(1, hosts + 1)], output
    return found, output


def folders_of(srv):
    sources = [s for s in srv.state.get_profile(ACCOUNT)["Sources"].values() if s.get("OwnerDevice") == "dev-1"]
    return sorted(v for s in sources for k, v in (s.get("EngineProps") or {}).items() if k.startswith("INCLUDE"))


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["drop", "truncate", "fail_after"])
def test_write_lands_answer_lost_reported_changed_and_device_reloads(server, tmp_path, run_playbook, fault):
    """The write lands, the answer is lost: the run reports changed, the device is told to reload (refetch-profile
    once), the stand-in's log shows one write."""
    {"drop": server.faults.drop_next, "truncate": server.faults.truncate_next,
     "fail_after": server.faults.fail_after_next}[fault](1, endpoint=WRITE, account=ACCOUNT)
    results, dummy = play(server, tmp_path, run_playbook, "settings")
    result = results["pc-1"]
    log = [(e["endpoint"], e["status"], e.get("fault")) for e in server.log]
    print("\nanswer lost (%s): %s\nstand-in log: %s" % (fault, {k: result.get(k) for k in ("changed", "refetched", "api")}, log))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["refetched"] is True
    assert server.log_count(endpoint=WRITE) == 1, "a lost answer must be followed by a read, never a second write"
    assert server.log_count(endpoint=REFETCH) == 1
    assert [e.get("fault") for e in server.log if e["endpoint"] == WRITE] == [fault]
    assert folders_of(server) == ["/home", "/srv/data"]
    # the next run: nothing to do, no write
    server.reset_log()
    results, dummy = play(server, tmp_path, run_playbook, "settings")
    assert results["pc-1"]["changed"] is False and server.log_count(endpoint=WRITE) == 0


def client_for(srv, tmp_path, **kwargs):
    return CometAdminClient(srv.url, ADMIN, ADMIN_PASSWORD, lock_dir=str(tmp_path / "locks"), **kwargs)


@pytest.mark.parametrize("status, retry_after", [(429, "1"), (503, "1"), (429, "date")])
def test_429_and_503_with_retry_after_then_success(server, tmp_path, status, retry_after):
    if retry_after == "date":
        # an HTTP date one second ahead (whole seconds: 0 to 1 s from now)
        retry_after = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 1))
    server.faults.fail_next(2, status=status, endpoint="get-user-profile-and-hash", message="Too Many Requests",
                            retry_after=retry_after)
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)
    client = client_for(server, tmp_path, sleep=sleep)
    started = time.time()
    profile, dummy = client.get_profile_and_hash(ACCOUNT)
    print("\n%d with Retry-After %r: waits %s, %.2f s" % (status, retry_after, waits, time.time() - started))
    assert profile["Username"] == ACCOUNT
    assert [e["status"] for e in server.log] == [status, status, 200]
    assert len(waits) == 2 and all(0 <= wait <= 1.0 for wait in waits)


def test_non_idempotent_writes_are_sent_once(server, tmp_path):
    client = client_for(server, tmp_path)
    target = client.list_active(ACCOUNT)
    target_id = next(iter(target))
    profile = server.state.get_profile(ACCOUNT)
    profile["BackupRules"] = {"rule-1": {"Description": "now"}}
    server.state.set_profile(ACCOUNT, profile)
    jobs = len(server.state.jobs_for_user(ACCOUNT))
    server.faults.drop_next(1, endpoint="dispatcher/run-backup")
    with pytest.raises(CometOutcomeUnknown) as err:
        client.run_backup(target_id, "rule-1")
    assert "may have been carried out" in str(err.value)
    assert server.log_count(endpoint="dispatcher/run-backup") == 1
    assert len(server.state.jobs_for_user(ACCOUNT)) == jobs + 1  # it did start, once
    # revoke: the answer lost, the profile read: the device is gone, so it was revoked
    server.faults.truncate_next(1, endpoint="revoke-device")
    assert client.revoke_device(ACCOUNT, "dev-2")["Status"] == 200
    assert server.log_count(endpoint="revoke-device") == 1
    assert "dev-2" not in server.state.get_profile(ACCOUNT)["Devices"]


@pytest.mark.slow
def test_a_server_that_never_answers_is_not_asked_by_every_host(server, tmp_path, run_playbook):
    """The server accepts connections and does not answer: after a few timeouts the run stops asking it; the other
    hosts fail at once with a message naming server_url."""
    hosts, forks, retries = 6, 2, 5
    armed = 100
    server.faults.delay_next(armed, seconds=4.0)
    started = time.time()
    results, dummy = play(server, tmp_path, run_playbook, "info", hosts=hosts, forks=forks, timeout=1)
    elapsed = time.time() - started
    attempts = armed - sum(rule["remaining"] for rule in server.faults.pending())
    fast = [host for host, result in sorted(results.items()) if "stopped answering" in (result.get("msg") or "")]
    print("\nnever answers: %d hosts, %d forks, timeout 1 s: %d connection attempts (without the breaker up to %d), "
          "%.1f s; refused by the breaker: %s" % (hosts, forks, attempts, hosts * retries, elapsed, fast))
    assert all(result.get("failed") for result in results.values())
    assert attempts <= 3 + forks, "the hosts after the breaker opened must not connect"
    assert len(fast) >= hosts - forks
    for host in fast:
        message = results[host]["msg"]
        assert "server_url" in message and server.url.rstrip("/") in message and "circuit breaker" in message
        assert ADMIN_PASSWORD not in message
    # another run of ansible-playbook is not concerned (its own breaker), and the server answers again
    server.faults.clear()
    time.sleep(4.5)  # let the delayed handlers end
    results, dummy = play(server, tmp_path, run_playbook, "info", hosts=1, forks=1, timeout=5)
    assert not results["pc-1"].get("failed"), results["pc-1"].get("msg")


def test_breaker_shared_by_clients_of_one_run(server, tmp_path):
    """In one process (one run), a client built after the breaker opened makes no connection at all."""
    server.faults.delay_next(50, seconds=3.0)
    first = client_for(server, tmp_path, timeout=1, backoff=0.05)
    with pytest.raises(CometApiError, match="stopped answering"):
        first.call("meta/version")
    second = client_for(server, tmp_path, timeout=1)
    with pytest.raises(CometApiError, match="stopped answering"):
        second.update_profile(ACCOUNT, lambda p: p)
    attempts = 50 - sum(rule["remaining"] for rule in server.faults.pending())
    print("\nattempts before the breaker opened: %d" % attempts)
    assert attempts == 3 and second.stats["calls"] == 0
    server.faults.clear()
    time.sleep(3.2)
