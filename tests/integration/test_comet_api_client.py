# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Comet admin API client (plugins/module_utils/_comet_api.py) against the real Comet Server stand-in:
50 concurrent writers on one account (processes and threads), a profile changed between read and write, injected
503s, a wrong admin password (never printed anywhere), and TLS with and without the stand-in's CA."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    CometAuthError,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(ROOT, "build", "collections")
ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Pw-4-client-itest"
ACCOUNT = "pnom"
WRITE = "set-user-profile-hash"
READ = "get-user-profile-and-hash"
WRITERS = 50
UNKNOWN = {"FutureField": {"nested": [1, {"keep": True}], "text": "ünïcode"}, "X-Vendor-Flag": True}

# One writer (a separate Python process, like a fork of ansible-playbook): adds its own Protected Item.
WRITER = r"""
import json, sys, time
from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometAdminClient
cfg = json.loads(sys.stdin.read())
client = CometAdminClient(cfg["url"], cfg["user"], cfg["password"], lock_dir=cfg["lock_dir"], backoff=0.05)
while time.time() < cfg["start_at"]:
    time.sleep(0.005)
def change(profile):
    profile["Sources"]["itest-%02d" % cfg["index"]] = {"Engine": "engine1/file", "Description": "writer %d" % cfg["index"],
                                                       "OwnerDevice": "dev-1", "EngineProps": {"INCLUDE0": "/w%d" % cfg["index"]}}
    return profile
update = client.update_profile(cfg["account"], change, max_attempts=cfg["max_attempts"])
print(json.dumps({"changed": update.changed, "attempts": update.attempts, "stats": client.stats}))
"""


@pytest.fixture
def server(tmp_path, comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, state_file=str(tmp_path / "standin-state.json"))
    srv.state.add_user(ACCOUNT, "user-Secret-1")
    srv.state.add_device(ACCOUNT, "dev-1", "lts22", platform={"os": "linux"}, client_version="24.6.0")
    profile = srv.state.get_profile(ACCOUNT)
    profile.update(UNKNOWN)
    srv.state.set_profile(ACCOUNT, profile)
    srv.reset_log()
    return srv


def client_for(srv, tmp_path, **kwargs):
    kwargs.setdefault("lock_dir", str(tmp_path / "locks"))
    return CometAdminClient(srv.url, ADMIN, ADMIN_PASSWORD, **kwargs)


def check_all_writers_present(srv):
    profile = srv.state.get_profile(ACCOUNT)
    wanted = set("itest-%02d" % i for i in range(WRITERS))
    assert wanted <= set(profile["Sources"]), "lost writes: %s" % sorted(wanted - set(profile["Sources"]))
    for i in range(WRITERS):
        assert profile["Sources"]["itest-%02d" % i]["Description"] == "writer %d" % i
    for key, value in UNKNOWN.items():
        assert profile[key] == value, "unknown field %s was not preserved" % key
    assert profile["Devices"]["dev-1"]["FriendlyName"] == "lts22"
    assert list(profile["Destinations"].values())[0]["Description"] == "UNIL Storage Vault"


def figures(label, srv, results, elapsed):
    retries = sum(r["stats"]["retries"] for r in results)
    conflicts = sum(r["stats"]["conflicts"] for r in results)
    print("\n%s: %d writers in %.2f s; client retries %d, conflicts %d, max attempts of one writer %d; stand-in %s %d, "
          "%s %d (refused as stale: %d)" % (
              label, len(results), elapsed, retries, conflicts, max(r["attempts"] for r in results),
              READ, srv.log_count(endpoint=READ), WRITE, srv.log_count(endpoint=WRITE),
              srv.log_count(endpoint=WRITE, status=409)))


def run_processes(srv, lock_dirs, max_attempts):
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    start_at = time.time() + 3.0   # every child is up and waiting before the first one reads
    procs = []
    for i in range(WRITERS):
        proc = subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
        cfg = dict(url=srv.url, user=ADMIN, password=ADMIN_PASSWORD, account=ACCOUNT, index=i, start_at=start_at,
                   lock_dir=lock_dirs(i), max_attempts=max_attempts)
        proc.stdin.write(json.dumps(cfg))   # the password travels on stdin, never on a command line
        proc.stdin.close()
        procs.append(proc)
    results, errors = [], []
    for proc in procs:
        out = proc.stdout.read()
        err = proc.stderr.read()
        proc.wait(timeout=300)
        assert ADMIN_PASSWORD not in out + err
        if proc.returncode:
            errors.append(err[-2000:])
        else:
            results.append(json.loads(out.strip().splitlines()[-1]))
    assert not errors, errors[0]
    return results, time.time() - start_at


@pytest.mark.slow
def test_50_writer_processes_sharing_the_lock(server, tmp_path):
    lock_dir = str(tmp_path / "locks")
    results, elapsed = run_processes(server, lambda i: lock_dir, max_attempts=10)
    figures("processes, shared lock", server, results, elapsed)
    check_all_writers_present(server)
    assert all(r["changed"] for r in results)
    assert server.log_count(endpoint=WRITE, status=200) == WRITERS, "one accepted write per writer"


@pytest.mark.slow
@pytest.mark.parametrize("shared_lock", [True, False], ids=["shared-lock", "no-shared-lock"])
def test_50_writer_threads(server, tmp_path, shared_lock):
    """Threads of one process, with one lock dir (the lock serialises them) or one each (as if 50 controllers: only
    the hash check protects the profile; an attempt only loses to another writer's accepted write, so 50 suffice)."""
    results, errors = [], []
    barrier = threading.Barrier(WRITERS)

    def writer(i):
        lock_dir = str(tmp_path / ("locks" if shared_lock else "locks-%d" % i))
        client = client_for(server, tmp_path, lock_dir=lock_dir, backoff=0.05)

        def change(profile):
            profile["Sources"]["itest-%02d" % i] = {"Engine": "engine1/file", "Description": "writer %d" % i,
                                                    "OwnerDevice": "dev-1", "EngineProps": {"INCLUDE0": "/w%d" % i}}
        try:
            barrier.wait(30)
            update = client.update_profile(ACCOUNT, change, max_attempts=WRITERS)
            results.append({"changed": update.changed, "attempts": update.attempts, "stats": client.stats})
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(repr(exc))

    started = time.time()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors[:3]
    figures("threads, %s" % ("shared lock" if shared_lock else "no shared lock"), server, results, time.time() - started)
    check_all_writers_present(server)
    assert server.log_count(endpoint=WRITE, status=200) == WRITERS


def test_conflict_between_read_and_write_is_retried(server, tmp_path):
    def someone_else(profile):
        profile["Devices"]["dev-1"]["FriendlyName"] = "renamed-by-someone-else"
        profile["Emails"] = ["other@unil.ch"]

    server.faults.change_profile_between_read_and_write(ACCOUNT, mutate=someone_else, count=1)
    client = client_for(server, tmp_path)

    def ours(profile):
        # as the modules do: create the item when it is missing, else leave the stored one (the server fills in the
        # fields of its type at their zero value)
        profile["Sources"].setdefault("ours", {"Engine": "engine1/file", "Description": "ours", "OwnerDevice": "dev-1"})

    update = client.update_profile(ACCOUNT, ours)
    print("\nconflict injected: attempts %d, client stats %s" % (update.attempts, dict((k, v) for k, v in client.stats.items() if k != "endpoints")))
    assert update.changed and update.attempts == 2
    assert client.stats["conflicts"] == 1 and client.stats["retries"] == 1
    assert server.log_count(endpoint=WRITE, status=409) == 1 and server.log_count(endpoint=WRITE, status=200) == 1
    profile = server.state.get_profile(ACCOUNT)
    assert profile["Devices"]["dev-1"]["FriendlyName"] == "renamed-by-someone-else"
    assert profile["Emails"] == ["other@unil.ch"]
    assert profile["Sources"]["ours"]["Description"] == "ours"
    assert profile["FutureField"] == UNKNOWN["FutureField"]
    assert update.profile_hash == server.state.profile_hash(ACCOUNT)
    # the same change again: nothing to do, no write
    again = client.update_profile(ACCOUNT, ours)
    assert not again.changed and server.log_count(endpoint=WRITE) == 2


def test_dropped_write_answer_is_still_reported_changed(server, tmp_path):
    server.faults.drop_next(1, endpoint=WRITE)   # stored, then the connection is cut mid-answer
    client = client_for(server, tmp_path, backoff=0.01)
    update = client.update_profile(ACCOUNT, lambda p: dict(p, AccountName="Renamed"))
    assert update.changed, "the write was stored although its answer was lost"
    assert server.state.get_profile(ACCOUNT)["AccountName"] == "Renamed"
    print("\ndropped answer: attempts %d, stand-in %s calls %d" % (update.attempts, WRITE, server.log_count(endpoint=WRITE)))


def test_two_503_then_success(server, tmp_path):
    server.faults.fail_next(2, status=503, endpoint="meta/version")
    sleeps = []
    client = client_for(server, tmp_path, sleep=sleeps.append)
    version = client.server_version()
    assert version["Version"]
    assert server.log_count(endpoint="meta/version") == 3
    assert client.stats["retries"] == 2 and sleeps == [0.5, 1.0]


def test_ten_503_in_a_row_is_a_clean_error(server, tmp_path, capfd):
    server.faults.fail_next(10, status=503, endpoint=READ, message="Service Unavailable")
    client = client_for(server, tmp_path, backoff=0.01)
    with pytest.raises(CometApiError) as err:
        client.get_profile_and_hash(ACCOUNT)
    exc = err.value
    print("\n10 x 503: %s (stand-in calls: %d)" % (exc, server.log_count(endpoint=READ)))
    assert exc.endpoint == READ and exc.status == 503 and "Service Unavailable" in exc.message
    assert str(exc).startswith("Comet Server API %s failed: 503 Service Unavailable" % READ)
    assert server.log_count(endpoint=READ) == 5, "retries are bounded (1 + 4)"
    assert "Traceback" not in str(exc) and exc.__context__ is None and exc.__cause__ is None
    out, errout = capfd.readouterr()
    assert ADMIN_PASSWORD not in out + errout


def test_wrong_admin_password(server, tmp_path, capfd):
    wrong = "Wr0ng-Adm1n-Pw-" + ADMIN_PASSWORD[::-1]
    client = CometAdminClient(server.url, ADMIN, wrong, lock_dir=str(tmp_path / "locks"), sleep=lambda s: None)
    with pytest.raises(CometAuthError) as err:
        client.update_profile(ACCOUNT, lambda p: dict(p, AccountName="x"))
    exc = err.value
    print("\nwrong password: %s" % exc)
    assert exc.status == 403 and exc.endpoint == READ
    assert "Authentication failed" in str(exc) and "admin_password" in str(exc)
    assert server.log_count() == 1, "authentication errors are not retried"
    server.stop()   # saves the state file
    out, errout = capfd.readouterr()
    for secret in (wrong, ADMIN_PASSWORD):
        for text in (str(exc), repr(exc), repr(exc.args), out, errout, json.dumps(server.log),
                     (tmp_path / "standin-state.json").read_text()):
            assert secret not in text
    assert server.state.get_profile(ACCOUNT).get("AccountName") != "x"


@pytest.mark.slow
def test_wrong_admin_password_through_a_playbook(server, tmp_path, run_playbook):
    """The module path end to end at -vvv, credentials from the environment fallbacks."""
    wrong = "Wr0ng-Adm1n-Pw-in-env"
    play = tmp_path / "play.yml"
    play.write_text("""
- name: Read an account with a wrong admin password
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the account
      unil.backup.comet_info:
        account: %s
""" % ACCOUNT)
    rc, out = run_playbook("-vvv", "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                           str(play), cwd=tmp_path, timeout=300, COMET_SERVER_URL=server.url, COMET_ADMIN_USERNAME=ADMIN,
                           COMET_ADMIN_PASSWORD=wrong, ANSIBLE_LOCALHOST_WARNING="0")
    assert rc == 2, out[-3000:]
    assert "Comet Server API %s failed: 403 Authentication failed" % READ in out
    assert wrong not in out and ADMIN_PASSWORD not in out
    assert "Traceback" not in out
    assert wrong not in json.dumps(server.log)


@pytest.fixture
def tls_server(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True)
    srv.state.add_user(ACCOUNT, "user-Secret-1")
    return srv


def test_tls_with_the_standin_ca(tls_server, tmp_path):
    assert tls_server.url.startswith("https://127.0.0.1:")
    client = client_for(tls_server, tmp_path, validate_certs=True, ca_path=tls_server.ca_cert_path)
    assert client.server_version()["Version"]
    update = client.update_profile(ACCOUNT, lambda p: dict(p, AccountName="over TLS"))
    assert update.changed and tls_server.state.get_profile(ACCOUNT)["AccountName"] == "over TLS"


def test_tls_without_the_ca_fails_clearly(tls_server, tmp_path):
    client = client_for(tls_server, tmp_path, validate_certs=True, sleep=lambda s: None)
    with pytest.raises(CometApiError) as err:
        client.server_version()
    print("\nTLS without the CA: %s" % err.value)
    assert "certificate" in str(err.value).lower() and "ca_path" in str(err.value)
    assert client.stats["calls"] == 1, "a certificate error is not retried"
    assert tls_server.log_count() == 0
    assert ADMIN_PASSWORD not in repr(err.value)


def test_tls_without_validation(tls_server, tmp_path):
    client = client_for(tls_server, tmp_path, validate_certs=False)
    assert client.server_version()["Version"]
    assert client.list_users() == [ACCOUNT]
