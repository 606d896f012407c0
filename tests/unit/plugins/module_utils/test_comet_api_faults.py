# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 22's faults in the Comet admin API client, with a fake transport: a write whose answer is lost is followed
by a read, never by a second send ("did it land" compared as Comet stores profiles: normalised()); 429/503 and
Retry-After; the circuit breaker of a run for a server that stopped answering; the run's identity."""
from __future__ import annotations

import copy
import email.message
import email.utils
import io
import json
import os
import socket
import subprocess
import sys
import time
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_api as api

from ansible_collections.unil.backup.tests.unit.plugins.module_utils.test_comet_api import (
    PASSWORD, PROFILE, URL, FakeRequest, ProfileServer, make_client, ok, rename,
)


# ---------------------------------------------------------------------------- the normaliser

def test_normalised_drops_zero_values_at_every_level():
    sent = {"Username": "pnom", "Sources": {"s1": {"Engine": "engine1/file", "EngineProps": {"INCLUDE0": "/home"}}},
            "Devices": {"d": {"FriendlyName": "lts22"}}}
    # what a server stores: the fields the request lacked at their zero value, omitempty zeros dropped, other order
    stored = {"Devices": {"d": {"PlatformVersion": {}, "FriendlyName": "lts22", "RegistrationTime": 0}},
              "Sources": {"s1": {"Statistics": {"LastStartTime": 0, "LastBackupJob": {"GUID": "", "Status": 0}},
                                 "OwnerDevice": "", "EngineProps": {"INCLUDE0": "/home"}, "Engine": "engine1/file",
                                 "ExistingKeys": None, "PreExec": [], "OverrideDestinationRetention": None}},
              "Username": "pnom", "PolicyID": "", "MaximumDevices": 0, "SendNotificationsOnSuccess": False,
              "Emails": []}
    assert api.normalised(stored) == api.normalised(sent)
    assert api.same_when_stored(sent, stored)
    assert not api.same_when_stored(sent, dict(stored, Username="other"))
    assert not api.same_when_stored(sent, dict(stored, MaximumDevices=1))
    assert not api.same_when_stored({"Flag": True}, {"Flag": False})


def test_normalised_keeps_list_items_and_their_order():
    assert api.normalised({"L": ["", 0, {"a": 0, "b": 1}]}) == {"L": ["", 0, {"b": 1}]}
    assert not api.same_when_stored({"L": [1, 2]}, {"L": [2, 1]})
    assert api.same_when_stored({"L": []}, {"L": None}) and api.same_when_stored({"L": []}, {})
    assert api.same_when_stored({"N": 1}, {"N": 1.0})
    assert api.normalised("text") == "text" and api.normalised([{}]) == [{}]


# ---------------------------------------------------------------------------- Retry-After

def test_retry_after_seconds():
    now = 1_800_000_000.0
    assert api.retry_after_seconds("7") == 7.0
    assert api.retry_after_seconds(" 0 ") == 0.0
    assert api.retry_after_seconds(email.utils.formatdate(now + 42, usegmt=True), now=now) == pytest.approx(42.0)
    assert api.retry_after_seconds(email.utils.formatdate(now - 42, usegmt=True), now=now) == 0.0
    for bad in (None, "", "-3", "1.5", "soon", "Mon, 99 Foo 2026 99:99:99 GMT"):
        assert api.retry_after_seconds(bad) is None, bad


def http_error(status, body, retry_after=None):
    headers = email.message.Message()
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return HTTPError(URL + "api/v1/admin/x", status, "HTTP %d" % status, headers,
                     io.BytesIO(json.dumps(body).encode("utf-8")))


def scripted(*answers):
    answers = list(answers)

    def handler(endpoint, form):
        return answers.pop(0) if len(answers) > 1 else answers[0]
    return handler


def test_429_is_retried_after_retry_after():
    busy = {"Status": 429, "Message": "Too Many Requests"}
    client = make_client(scripted(http_error(429, busy, 3), http_error(429, busy, 1), ok({"Version": "24.6.0"})))
    assert client.call("meta/version") == {"Version": "24.6.0"}
    assert client.sleeps == [3.0, 1.0] and client.stats["retries"] == 2
    print("\n429 twice: waits %s" % client.sleeps)


def test_429_without_retry_after_uses_the_backoff_and_503_with_one_waits_as_asked():
    client = make_client(scripted(http_error(429, {"Status": 429, "Message": "slow down"}),
                                  http_error(503, {"Status": 503, "Message": "busy"}, 2), ok()))
    client.call("list-users")
    assert client.sleeps == [0.5, 2.0]


def test_retry_after_is_bounded_per_wait_and_in_all():
    client = make_client(scripted(http_error(429, {"Status": 429, "Message": "later"}, 3600), ok()))
    client.call("list-users")
    assert client.sleeps == [api.MAX_RETRY_AFTER]
    date = email.utils.formatdate(time.time() + 3600, usegmt=True)
    client = make_client(lambda e, f: http_error(429, {"Status": 429, "Message": "later"}, date), timeout=5, retries=4)
    with pytest.raises(api.CometApiError) as err:
        client.call("list-users")
    # at most max(60, timeout * attempts) seconds of waiting in one call
    assert sum(client.sleeps) <= max(api.MAX_RETRY_AFTER, 5 * 5) and client.sleeps == [60.0]
    assert err.value.status == 429 and "giving up" in str(err.value) and "later" in str(err.value)


def test_429_on_a_write_is_retried_it_was_not_taken():
    client = make_client(scripted(http_error(429, {"Status": 429, "Message": "busy"}, 1), ok()))
    client.call("dispatcher/run-backup", {"TargetID": "t", "BackupRule": "r"})
    assert [r["endpoint"] for r in client._request.requests] == ["dispatcher/run-backup"] * 2  # pylint: disable=protected-access


# ---------------------------------------------------------------------------- lost answers

class StoringServer(ProfileServer):
    """Stores profiles as Comet does: the fields the request lacked at their zero value (here a Statistics struct and
    PolicyID), so what is read back never equals what was sent; counts the write requests it received."""

    def __init__(self, profile):
        ProfileServer.__init__(self, profile)
        self.write_requests = 0
        self.lose = None  # "reset", "truncate", "status500", "timeout": after the next write is stored

    def store(self, profile):
        profile = copy.deepcopy(profile)
        profile.setdefault("PolicyID", "")
        for source in profile.get("Sources", {}).values():
            source.setdefault("Statistics", {"LastStartTime": 0, "LastBackupJob": {"GUID": ""}})
        ProfileServer.store(self, profile)

    def __call__(self, endpoint, form):
        if endpoint == "set-user-profile-hash":
            self.write_requests += 1
        answer = ProfileServer.__call__(self, endpoint, form)
        lose, self.lose = (self.lose, None) if endpoint == "set-user-profile-hash" and answer[0] == 200 else (None, self.lose)
        if lose == "reset":
            return ConnectionResetError(104, "reset after the write")
        if lose == "timeout":
            return socket.timeout("timed out")
        if lose == "truncate":
            return 200, b'{"Status": 200, "Message": "OK", "Prof'
        if lose == "status500":
            return 200, {"Status": 500, "Message": "Internal Server Error"}
        return answer


def add_source(profile):
    """Adds our Protected Item unless it is there (as the modules do: what the server added to it is kept)."""
    profile["Sources"].setdefault("src-ours", {"Engine": "engine1/file", "OwnerDevice": "dev-1",
                                               "EngineProps": {"INCLUDE0": "/home"}})
    return profile, {"device_id": "dev-1", "item": "src-ours"}


@pytest.mark.parametrize("lose", ["reset", "truncate", "status500", "timeout"])
def test_a_write_that_landed_but_lost_its_answer_is_read_not_sent_again(tmp_path, lose):
    server = StoringServer(PROFILE)
    server.lose = lose
    client = make_client(server, tmp_path)
    update = client.update_profile("pnom", add_source)
    assert update.changed, "the write was stored although its answer was lost"
    assert server.write_requests == 1 and server.writes == 1, "a lost answer must be followed by a read, not a write"
    assert update.before == PROFILE and update.description == {"device_id": "dev-1", "item": "src-ours"}
    assert update.after == server.profile and update.profile_hash == server.hash()
    assert client.stats["conflicts"] == 0
    endpoints = [r["endpoint"] for r in client._request.requests]  # pylint: disable=protected-access
    print("\nlost answer (%s): %s" % (lose, endpoints))
    assert endpoints.count("set-user-profile-hash") == 1
    # the next run finds nothing to do
    assert not client.update_profile("pnom", add_source).changed and server.write_requests == 1


def test_a_write_that_did_not_land_is_sent_again_after_the_read(tmp_path):
    server = StoringServer(PROFILE)
    real = server.__call__
    dropped = []

    def handler(endpoint, form):
        if endpoint == "set-user-profile-hash" and not dropped:
            dropped.append(1)
            return socket.timeout("timed out")  # sent, nothing stored: the hash does not move
        return real(endpoint, form)
    client = make_client(handler, tmp_path)
    update = client.update_profile("pnom", add_source)
    assert update.changed and server.writes == 1
    endpoints = [r["endpoint"] for r in client._request.requests]  # pylint: disable=protected-access
    assert endpoints == ["get-user-profile-and-hash", "set-user-profile-hash", "get-user-profile-hash",
                         "set-user-profile-hash"]


def test_lost_answer_and_someone_else_wrote_is_a_conflict_retried(tmp_path):
    server = StoringServer(PROFILE)
    real = server.__call__
    state = {"n": 0}

    def handler(endpoint, form):
        if endpoint == "set-user-profile-hash" and state["n"] == 0:
            state["n"] = 1
            server.store(dict(server.profile, Emails=["x@example.org"]))  # someone else, not us
            return ConnectionResetError(104, "reset")
        return real(endpoint, form)
    client = make_client(handler, tmp_path)
    update = client.update_profile("pnom", add_source)
    assert update.changed and "src-ours" in server.profile["Sources"] and server.profile["Emails"] == ["x@example.org"]


def test_the_outcome_stays_unknown_when_the_read_fails_too(tmp_path):
    server = StoringServer(PROFILE)
    real = server.__call__

    def handler(endpoint, form):
        if endpoint == "get-user-profile-hash":
            return http_error(404, {"Status": 404, "Message": "gone"})
        answer = real(endpoint, form)
        return ConnectionResetError(104, "reset") if endpoint == "set-user-profile-hash" else answer
    client = make_client(handler, tmp_path)
    with pytest.raises(api.CometOutcomeUnknown) as err:
        client.update_profile("pnom", add_source)
    assert "may have been carried out" in str(err.value) and PASSWORD not in str(err.value)
    assert server.write_requests == 1


@pytest.mark.parametrize("method, args, endpoint", [
    ("run_backup", ("target-1", "rule-1"), "dispatcher/run-backup"),
    ("create_install_token", ("pnom", "user-pw"), "create-install-token"),
])
@pytest.mark.parametrize("failure", [ConnectionResetError(104, "reset"), socket.timeout("timed out"),
                                     (200, b'{"Status": 200, "Mess'), (502, {"Status": 502, "Message": "Bad Gateway"})])
def test_non_idempotent_writes_are_sent_once(method, args, endpoint, failure):
    if isinstance(failure, tuple) and failure[0] >= 400:
        failure = http_error(*failure)
    client = make_client(lambda e, f: failure)
    with pytest.raises(api.CometOutcomeUnknown) as err:
        getattr(client, method)(*args)
    assert len(client._request.requests) == 1 and client.sleeps == []  # pylint: disable=protected-access
    assert err.value.endpoint == endpoint and "may have been carried out" in str(err.value)
    assert "user-pw" not in str(err.value) and PASSWORD not in str(err.value)


def test_a_write_refused_before_sending_is_retried():
    client = make_client(scripted(URLError(ConnectionRefusedError(111, "Connection refused")), ok()))
    client.run_backup("target-1", "rule-1")
    assert len(client._request.requests) == 2  # pylint: disable=protected-access


def test_refetch_profile_is_retried_after_a_lost_answer():
    client = make_client(scripted(ConnectionResetError(104, "reset"), ok()))
    client.refetch_profile("target-1")
    assert len(client._request.requests) == 2  # pylint: disable=protected-access


@pytest.mark.parametrize("gone", [True, False])
def test_revoke_with_a_lost_answer_reads_the_profile(gone):
    devices = {} if gone else {"dev-1": {"FriendlyName": "lts22"}}

    def handler(endpoint, form):
        if endpoint == "revoke-device":
            return ConnectionResetError(104, "reset")
        return ok({"Status": 200, "Message": "OK", "Profile": {"Username": "pnom", "Devices": devices},
                   "ProfileHash": "h"})
    client = make_client(handler)
    if gone:
        assert client.revoke_device("pnom", "dev-1")["Status"] == 200
    else:
        with pytest.raises(api.CometOutcomeUnknown):
            client.revoke_device("pnom", "dev-1")
    endpoints = [r["endpoint"] for r in client._request.requests]  # pylint: disable=protected-access
    assert endpoints == ["revoke-device", "get-user-profile-and-hash"]


def test_reads_are_still_retried_after_a_lost_answer():
    client = make_client(scripted(ConnectionResetError(104, "reset"), (200, b'{"Sta'), ok({"Version": "1"})))
    assert client.call("meta/version") == {"Version": "1"} and len(client._request.requests) == 3  # pylint: disable=protected-access


# ---------------------------------------------------------------------------- circuit breaker

def timeouts(endpoint, form):
    return socket.timeout("timed out")


def test_breaker_opens_after_consecutive_timeouts_and_others_fail_fast(tmp_path):
    first = make_client(timeouts, tmp_path, timeout=7)
    with pytest.raises(api.CometApiError) as err:
        first.call("meta/version")
    assert len(first._request.requests) == api.BREAKER_TIMEOUTS  # pylint: disable=protected-access
    message = str(err.value)
    assert "server_url" in message and "comet.example.test" in message and "circuit breaker" in message
    assert "timeout 7s" in message and PASSWORD not in message
    # another client of the same run (another fork, another host): not one request
    for dummy in range(3):
        other = make_client(timeouts, tmp_path)
        with pytest.raises(api.CometApiError, match="stopped answering"):
            other.update_profile("pnom", rename("x"))
        assert other._request.requests == []  # pylint: disable=protected-access
    # another server is not concerned
    client = api.CometAdminClient("https://other.example.test/", "admin", PASSWORD, lock_dir=str(tmp_path / "locks"))
    client._request = FakeRequest(lambda e, f: ok())  # pylint: disable=protected-access
    client.call("list-users")


def test_breaker_counts_timeouts_in_a_row_only(tmp_path):
    client = make_client(scripted(socket.timeout("t"), socket.timeout("t"), ok(), socket.timeout("t"),
                                  socket.timeout("t"), ok()), tmp_path)
    client.call("list-users")
    client.call("list-users")  # 2 + 2 timeouts, an answer in between: still closed
    assert len(client._request.requests) == 6  # pylint: disable=protected-access
    # an HTTP error is an answer too (it resets the count); a refused connection is no timeout
    client = make_client(scripted(socket.timeout("t"), socket.timeout("t"), http_error(500, {"Status": 500, "Message": "x"}),
                                  ok(), socket.timeout("t"), URLError(ConnectionRefusedError(111, "refused")), ok()),
                         tmp_path)
    client.call("list-users")
    client.call("list-users")
    with open(client._breaker().path, encoding="utf-8") as handle:  # pylint: disable=protected-access
        assert json.load(handle) == {}  # the answer after them reset the count


def test_breaker_expires_and_can_be_disabled(tmp_path):
    client = make_client(timeouts, tmp_path)
    with pytest.raises(api.CometApiError, match="circuit breaker"):
        client.call("list-users")
    path = client._breaker().path  # pylint: disable=protected-access
    assert os.path.isfile(path) and (os.stat(path).st_mode & 0o777) == 0o600
    disabled = make_client(scripted(ok()), tmp_path, breaker_timeouts=0)
    disabled.call("list-users")
    # minutes later (the state's times moved back): asked again
    with open(path, encoding="utf-8") as handle:
        state = json.load(handle)
    state = dict(state, updated=state["updated"] - api.BREAKER_TTL - 1, open_until=state["open_until"] - api.BREAKER_TTL - 1)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    later = make_client(scripted(ok()), tmp_path)
    later.call("list-users")
    assert len(later._request.requests) == 1  # pylint: disable=protected-access


RUN_IDENTITY = r"""
import os, subprocess, sys
child = subprocess.run([sys.executable, "-c", "from ansible_collections.unil.backup.plugins.module_utils._comet_api "
                        "import run_identity; print(run_identity())"], stdout=subprocess.PIPE, text=True, check=True)
print(os.getpid(), child.stdout.strip())
"""


def test_run_identity_is_the_ansible_playbook_ancestor(tmp_path):
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc")
    script = tmp_path / "ansible-playbook"
    script.write_text(RUN_IDENTITY)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, check=True, env=env)
    pid, identity = out.stdout.split()
    assert identity.startswith(pid + ":") and len(identity) > len(pid) + 1
    own = api.run_identity()
    assert own.startswith("%d:" % os.getpid())
