# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the Comet admin API client with a fake transport (no server): form encoding, error mapping,
bounded retries and backoff, secrets kept out of errors, conflict detection and the read-modify-write helper."""
from __future__ import annotations

import copy
import email.message
import hashlib
import io
import json
import os
import socket
import ssl
import stat
import threading
import time
import traceback
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl

import pytest
import yaml

from ansible_collections.unil.backup.plugins.doc_fragments.comet import ModuleDocFragment
from ansible_collections.unil.backup.plugins.module_utils import _comet_api as api

PASSWORD = "Adm1n-P@ss w0rd&=%"  # characters that urlencode must escape
URL = "https://comet.example.test/"


class FakeResponse:
    def __init__(self, status, body):
        self.status = status
        self.body = body

    def getcode(self):
        return self.status

    def read(self):
        if isinstance(self.body, BaseException):
            raise self.body
        return self.body

    def close(self):
        pass


class FakeRequest:
    """Stands in for ansible.module_utils.urls.Request: handler(endpoint, form) -> (status, body) or an exception."""

    def __init__(self, handler):
        self.handler = handler
        self.requests = []

    def open(self, method, url, data=None, **kwargs):
        form = dict(parse_qsl(data, keep_blank_values=True))
        endpoint = url.split("/api/v1/admin/", 1)[1]
        self.requests.append(dict(method=method, url=url, form=form, endpoint=endpoint, data=data))
        result = self.handler(endpoint, form)
        if isinstance(result, BaseException):
            raise result
        status, body = result
        if not isinstance(body, (bytes, BaseException)):
            body = json.dumps(body).encode("utf-8")
        if status >= 400:
            headers = email.message.Message()
            raise HTTPError(url, status, "HTTP %d" % status, headers, io.BytesIO(body))
        return FakeResponse(status, body)


def make_client(handler, tmp_path=None, **kwargs):
    sleeps = []
    kwargs.setdefault("sleep", sleeps.append)
    client = api.CometAdminClient(URL, "admin", PASSWORD, lock_dir=str(tmp_path / "locks") if tmp_path else None, **kwargs)
    client._request = FakeRequest(handler)  # pylint: disable=protected-access
    client.sleeps = sleeps
    return client


def ok(body=None):
    return 200, body if body is not None else {"Status": 200, "Message": "OK"}


def scripted(*answers):
    """A handler answering each request with the next scripted answer (the last one repeats)."""
    answers = list(answers)

    def handler(endpoint, form):
        return answers.pop(0) if len(answers) > 1 else answers[0]
    return handler


def assert_no_secret(exc, secret=PASSWORD):
    texts = [str(exc), repr(exc), repr(exc.args), str(exc.message), "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    for text in texts:
        assert secret not in text
    assert exc.__cause__ is None and exc.__context__ is None, "no chained exception may carry the request"


# ---------------------------------------------------------------------------- options and docs

def test_argument_spec():
    spec = api.comet_argument_spec()
    assert set(spec) == {"server_url", "admin_username", "admin_password", "validate_certs", "ca_path", "timeout", "lock_dir"}
    assert spec["admin_password"]["no_log"] is True
    for name in ("server_url", "admin_username", "admin_password"):
        assert spec[name]["required"] is True
    assert spec["validate_certs"] == dict(type="bool", default=True, fallback=spec["validate_certs"]["fallback"])
    assert spec["timeout"]["default"] == 30
    envs = dict((k, v["fallback"][1][0]) for k, v in spec.items() if "fallback" in v)
    assert envs == {"server_url": "COMET_SERVER_URL", "admin_username": "COMET_ADMIN_USERNAME", "admin_password": "COMET_ADMIN_PASSWORD",
                    "validate_certs": "COMET_VALIDATE_CERTS", "ca_path": "COMET_CA_PATH"}
    assert spec is not api.comet_argument_spec(), "each module gets its own copy to merge into"


def test_doc_fragment_matches_argument_spec():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    spec = api.comet_argument_spec()
    assert set(doc["options"]) == set(spec)
    for name, option in spec.items():
        assert doc["options"][name]["type"] == option["type"], name
        assert doc["options"][name].get("required", False) == option.get("required", False), name
        assert doc["options"][name].get("default") == option.get("default"), name
        if "fallback" in option:
            assert "E(%s)" % option["fallback"][1][0] in " ".join(doc["options"][name]["description"]), name


def test_server_url_checked_and_normalised():
    for bad in ("comet.example.test", "ftp://x/", "https://admin:pw@x/", "https:///", "https://x/?a=1"):
        with pytest.raises(ValueError) as err:
            api.CometAdminClient(bad, "admin", PASSWORD)
        assert PASSWORD not in str(err.value)
    seen = []
    for base in ("https://comet.example.test", "https://comet.example.test/", "https://comet.example.test//"):
        client = make_client(lambda e, f: ok())
        client.server_url = api.CometAdminClient(base, "a", "b").server_url
        client.call("meta/version")
        seen.append(client._request.requests[0]["url"])  # pylint: disable=protected-access
    assert seen == ["https://comet.example.test/api/v1/admin/meta/version"] * 3
    assert PASSWORD not in repr(api.CometAdminClient(URL, "admin", PASSWORD))


def test_from_module():
    class Module:
        params = dict(server_url=URL, admin_username="admin", admin_password=PASSWORD, validate_certs=False,
                      ca_path="/x/ca.pem", timeout=7, lock_dir="/tmp/l")
    client = api.CometAdminClient.from_module(Module())
    assert (client.server_url, client.validate_certs, client.ca_path, client.timeout, client.lock_dir) == (URL, False, "/x/ca.pem", 7, "/tmp/l")

    class Failed(Exception):
        pass

    class BadModule:
        params = dict(Module.params, server_url="comet.example.test")

        def fail_json(self, msg):
            raise Failed(msg)
    with pytest.raises(Failed, match="server_url"):
        api.CometAdminClient.from_module(BadModule())


# ---------------------------------------------------------------------------- encoding

def test_form_encoding_and_json_params():
    client = make_client(lambda e, f: ok({"Status": 200, "Message": "OK", "x": [1]}))
    answer = client.call("set-user-profile-hash", {"TargetUser": "pnom", "ProfileData": {"b": 1, "a": [True, None]},
                                                   "List": ["x", 2], "Flag": True, "Count": 3, "Skip": None, "Text": "a&b=c"})
    assert answer == {"Status": 200, "Message": "OK", "x": [1]}
    sent = client._request.requests[0]  # pylint: disable=protected-access
    assert sent["method"] == "POST"
    assert sent["url"] == URL + "api/v1/admin/set-user-profile-hash"
    assert sent["form"] == {"Username": "admin", "AuthType": "Password", "Password": PASSWORD, "TargetUser": "pnom",
                            "ProfileData": '{"a":[true,null],"b":1}', "List": '["x",2]', "Flag": "true", "Count": "3",
                            "Text": "a&b=c"}
    assert json.loads(sent["form"]["ProfileData"]) == {"b": 1, "a": [True, None]}
    assert PASSWORD not in sent["data"], "the password is form-encoded, not sent raw"
    assert "Password=" + "Adm1n-P%40ss+w0rd%26%3D%25" in sent["data"]


def test_call_raw_returns_bytes():
    client = make_client(lambda e, f: (200, b"\x7fELF binary"))
    assert client.call_raw("branding/generate-client/linuxgeneric", {"SelfAddress": URL}) == b"\x7fELF binary"


def test_unicode_profile_round_trip():
    client = make_client(lambda e, f: ok({"Status": 200, "Message": "OK", "Profile": json.loads(f["ProfileData"]), "ProfileHash": "h"}))
    profile = {"Username": "pnom", "AccountName": "Zoë Müller", "Emails": ["zoë@unil.ch"]}
    assert client.call("x", {"ProfileData": profile})["Profile"] == profile


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("status, body, http", [
    (400, {"Status": 400, "Message": "User not found"}, 400),
    (409, {"Status": 409, "Message": "hash mismatch"}, 200),     # error under HTTP 200: Status wins
    (404, {"Status": 404, "Message": "Unknown endpoint"}, 404),
    (400, {"Status": 400, "Message": "Missing parameter TargetUser"}, 400),
])
def test_client_errors_are_not_retried(status, body, http):
    client = make_client(lambda e, f: (http, body))
    with pytest.raises(api.CometApiError) as err:
        client.call("get-user-profile", {"TargetUser": "nobody"})
    exc = err.value
    assert not isinstance(exc, api.CometAuthError)
    assert (exc.endpoint, exc.status, exc.message) == ("get-user-profile", status, body["Message"])
    assert str(exc) == "Comet Server API get-user-profile failed: %d %s" % (status, body["Message"])
    assert len(client._request.requests) == 1 and client.sleeps == []  # pylint: disable=protected-access
    assert client.stats["retries"] == 0
    assert_no_secret(exc)


@pytest.mark.parametrize("http, body", [(403, {"Status": 403, "Message": "Authentication failed"}),
                                        (401, {"Status": 401, "Message": "Unauthorized"}),
                                        (200, {"Status": 403, "Message": "Authentication failed"})])
def test_auth_errors(http, body):
    client = make_client(lambda e, f: (http, body))
    with pytest.raises(api.CometAuthError) as err:
        client.call("meta/version")
    assert err.value.status == body["Status"] and err.value.message == body["Message"]
    assert "meta/version" in str(err.value) and "admin_password" in str(err.value)
    assert len(client._request.requests) == 1  # pylint: disable=protected-access
    assert_no_secret(err.value)


def test_password_echoed_by_server_is_redacted():
    echo = {"Status": 403, "Message": "bad password %s for admin" % PASSWORD}
    client = make_client(lambda e, f: (403, echo))
    with pytest.raises(api.CometAuthError) as err:
        client.call("meta/version")
    assert_no_secret(err.value)
    assert api.REDACTED in err.value.message
    client = make_client(lambda e, f: (500, ("<html>%s</html>" % PASSWORD).encode()), retries=1)
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert_no_secret(err.value)


def test_install_token_password_is_redacted():
    user_password = "user-Secret-42"
    client = make_client(lambda e, f: (400, {"Status": 400, "Message": "weak password %s" % f["TargetPassword"]}))
    with pytest.raises(api.CometApiError) as err:
        client.create_install_token("pnom", user_password)
    assert_no_secret(err.value, user_password)
    assert_no_secret(err.value)


@pytest.mark.parametrize("failure", [
    (503, {"Status": 503, "Message": "Service Unavailable"}),
    (500, b"<html>Internal error</html>"),
    (502, b""),
    (200, b'{"Status": 200, "Prof'),                          # truncated JSON
    (200, b"<html>captive portal</html>"),                    # not JSON
    URLError(ConnectionRefusedError(111, "Connection refused")),
    URLError(socket.timeout("timed out")),
    socket.timeout("timed out"),
    ConnectionResetError(104, "Connection reset by peer"),
    (200, ConnectionResetError(104, "reset while reading")),
    (200, __import__("http.client").client.IncompleteRead(b'{"Sta', 30)),
    (200, __import__("http.client").client.RemoteDisconnected("Remote end closed connection without response")),
    URLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol")),
])
def test_transient_failures_are_retried_then_succeed(failure):
    client = make_client(scripted(failure, failure, ok({"Version": "24.6.0"})))
    assert client.call("meta/version") == {"Version": "24.6.0"}
    assert len(client._request.requests) == 3  # pylint: disable=protected-access
    assert client.stats["retries"] == 2 and client.stats["calls"] == 3
    assert client.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("failure, status", [((503, {"Status": 503, "Message": "Service Unavailable"}), 503),
                                             (URLError(ConnectionRefusedError(111, "Connection refused")), None)])
def test_retries_are_bounded(failure, status):
    client = make_client(lambda e, f: failure, retries=4)
    with pytest.raises(api.CometApiError) as err:
        client.call("get-user-profile-and-hash", {"TargetUser": "pnom"})
    exc = err.value
    assert len(client._request.requests) == 5  # pylint: disable=protected-access
    assert exc.status == status and exc.endpoint == "get-user-profile-and-hash"
    assert "get-user-profile-and-hash" in str(exc) and "after 5 attempts" in str(exc)
    if status:
        assert "Service Unavailable" in str(exc)
    else:
        assert "Connection refused" in str(exc)
    assert client.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert_no_secret(exc)


def test_backoff_is_exponential_and_capped():
    client = make_client(lambda e, f: (503, {"Status": 503, "Message": "busy"}), retries=8, backoff=1.0)
    with pytest.raises(api.CometApiError):
        client.call("meta/version")
    assert client.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    assert max(client.sleeps) <= api.MAX_BACKOFF
    assert sum(client.sleeps) < 60
    client = make_client(lambda e, f: (503, {"Status": 503, "Message": "busy"}), retries=0)
    with pytest.raises(api.CometApiError):
        client.call("meta/version")
    assert client.sleeps == [] and len(client._request.requests) == 1  # pylint: disable=protected-access


@pytest.mark.parametrize("reason, text", [
    (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"), "ca_path"),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS error"),
    (socket.gaierror(-2, "Name or service not known"), "resolve"),
])
def test_permanent_transport_errors_are_not_retried(reason, text):
    client = make_client(lambda e, f: URLError(reason))
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert text in str(err.value) and err.value.status is None
    assert len(client._request.requests) == 1  # pylint: disable=protected-access
    assert_no_secret(err.value)


def test_unreadable_ca_path_is_a_clean_error(tmp_path):
    client = api.CometAdminClient(URL, "admin", PASSWORD, ca_path=str(tmp_path / "missing.pem"))
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert "ca_path" in str(err.value) and "missing.pem" in str(err.value) and client.stats["retries"] == 0
    assert_no_secret(err.value)


def test_tls_context_is_built_once(monkeypatch):
    built = []
    monkeypatch.setattr(api, "make_context", lambda **kw: built.append(kw) or "ctx")
    client = make_client(lambda e, f: ok(), ca_path="/x/ca.pem", validate_certs=True)
    client.call("list-users")
    client.call("list-users")
    assert built == [{"cafile": "/x/ca.pem", "validate_certs": True}]


def test_redirect_is_an_error():
    def handler(endpoint, form):
        headers = email.message.Message()
        headers["Location"] = "https://elsewhere/"
        return HTTPError(URL, 302, "Found", headers, io.BytesIO(b""))
    client = make_client(handler)
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert err.value.status == 302 and "elsewhere" in err.value.message


def test_long_messages_are_cut():
    client = make_client(lambda e, f: (400, {"Status": 400, "Message": "x" * 5000}))
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert len(str(err.value)) < 700


def test_stats_count_reads_writes_and_endpoints():
    client = make_client(scripted((503, {"Status": 503, "Message": "x"}), ok()))
    client.call("list-users")
    client.call("revoke-device", {"TargetUser": "u", "TargetDevice": "d"})
    client.call("list-users")
    assert client.stats["calls"] == 4 and client.stats["reads"] == 3 and client.stats["writes"] == 1
    assert client.stats["retries"] == 1
    assert client.stats["endpoints"] == {"list-users": 3, "revoke-device": 1}


# ---------------------------------------------------------------------------- profiles: a fake server

class ProfileServer:
    """A tiny in-memory Comet: profiles with hashes; set-user-profile-hash answers HTTP 200 + Status 409 when stale."""

    def __init__(self, profile):
        self.profile = copy.deepcopy(profile)
        self.version = 1
        self.writes = 0
        self.between = []        # callables run after a read (someone else's change)
        self.drop_write = 0      # writes stored but whose answer is lost
        self.fail_write = None   # (http, body) answered to writes

    def hash(self):
        return "h%d" % self.version

    def store(self, profile):
        self.profile = copy.deepcopy(profile)
        self.version += 1

    def __call__(self, endpoint, form):
        if form.get("Password") != PASSWORD:
            return 403, {"Status": 403, "Message": "Authentication failed"}
        if endpoint == "get-user-profile-and-hash":
            answer = ok({"Status": 200, "Message": "OK", "Profile": copy.deepcopy(self.profile), "ProfileHash": self.hash()})
            if self.between:
                self.between.pop(0)(self)
            return answer
        if endpoint == "get-user-profile-hash":
            return ok({"Status": 200, "Message": "OK", "ProfileHash": self.hash()})
        if endpoint == "set-user-profile-hash":
            if self.fail_write:
                return self.fail_write
            if form["RequireHash"] != self.hash():
                return 200, {"Status": 409, "Message": "The profile has changed since it was read (hash mismatch)"}
            self.store(json.loads(form["ProfileData"]))
            self.writes += 1
            if self.drop_write:
                self.drop_write -= 1
                return ConnectionResetError(104, "reset after the write")
            return ok({"Status": 200, "Message": "OK", "ProfileHash": self.hash(), "Profile": self.profile})
        return 404, {"Status": 404, "Message": "Unknown endpoint"}


PROFILE = {"Username": "pnom", "Sources": {}, "Devices": {"dev-1": {"FriendlyName": "old"}},
           "FutureField": {"nested": [1, {"keep": True}]}, "Unicode": "é"}


def rename(name):
    def change(profile):
        profile["Devices"]["dev-1"]["FriendlyName"] = name
        return profile
    return change


def test_update_profile_writes_and_preserves_unknown_fields(tmp_path):
    server = ProfileServer(PROFILE)
    client = make_client(server, tmp_path)
    update = client.update_profile("pnom", rename("new"))
    assert update.changed and update.attempts == 1 and update.profile_hash == "h2"
    assert update.before == PROFILE and update.after["Devices"]["dev-1"]["FriendlyName"] == "new"
    expected = copy.deepcopy(PROFILE)
    expected["Devices"]["dev-1"]["FriendlyName"] = "new"
    assert server.profile == expected and server.writes == 1


def test_update_profile_no_change_no_write(tmp_path):
    server = ProfileServer(PROFILE)
    client = make_client(server, tmp_path)
    update = client.update_profile("pnom", rename("old"))
    assert not update.changed and server.writes == 0 and update.profile_hash == "h1"
    assert client.stats["writes"] == 0


def test_update_profile_change_may_return_none_and_sees_a_copy(tmp_path):
    server = ProfileServer(PROFILE)
    client = make_client(server, tmp_path)
    seen = []

    def change(profile):
        seen.append(profile)
        profile["Devices"]["dev-1"]["FriendlyName"] = "mutated"
    update = client.update_profile("pnom", change)
    assert update.changed and update.after["Devices"]["dev-1"]["FriendlyName"] == "mutated"
    assert update.before["Devices"]["dev-1"]["FriendlyName"] == "old", "before is not the object change() edited"
    assert seen[0] is not update.before


def test_update_profile_check_mode(tmp_path):
    server = ProfileServer(PROFILE)
    client = make_client(server, tmp_path)
    update = client.update_profile("pnom", rename("new"), check_mode=True)
    assert update.changed and update.after["Devices"]["dev-1"]["FriendlyName"] == "new"
    assert server.writes == 0 and server.profile == PROFILE
    assert "set-user-profile-hash" not in client.stats["endpoints"]


def test_update_profile_retries_on_conflict_and_keeps_both_changes(tmp_path):
    server = ProfileServer(PROFILE)

    def someone_else(srv):
        profile = copy.deepcopy(srv.profile)
        profile["Devices"]["dev-2"] = {"FriendlyName": "theirs"}
        srv.store(profile)
    server.between = [someone_else, someone_else]
    client = make_client(server, tmp_path)
    update = client.update_profile("pnom", rename("ours"))
    assert update.changed and update.attempts == 3
    assert server.profile["Devices"] == {"dev-1": {"FriendlyName": "ours"}, "dev-2": {"FriendlyName": "theirs"}}
    assert client.stats["conflicts"] == 2 and client.stats["retries"] == 2
    assert client.sleeps == [], "a conflict is retried at once (a fresh read), not after a backoff"


def test_update_profile_returns_the_description_of_the_run_that_counted(tmp_path):
    """A change function may return (profile, description): the description comes back with the update, the one of
    the last run (after a conflict the first run's description is stale: it saw another profile)."""
    server = ProfileServer(PROFILE)

    def someone_else(srv):
        profile = copy.deepcopy(srv.profile)
        profile["Devices"]["dev-2"] = {"FriendlyName": "theirs"}
        srv.store(profile)
    server.between = [someone_else]
    client = make_client(server, tmp_path)

    def change(profile):
        profile["Devices"]["dev-1"]["FriendlyName"] = "ours"
        return profile, {"device_id": "dev-1", "devices_seen": sorted(profile["Devices"])}
    update = client.update_profile("pnom", change)
    assert update.changed and update.attempts == 2
    assert update.description == {"device_id": "dev-1", "devices_seen": ["dev-1", "dev-2"]}
    assert client.update_profile("pnom", rename("ours")).description is None


def test_update_profile_gives_up_after_max_attempts(tmp_path):
    server = ProfileServer(PROFILE)
    server.between = [lambda srv: srv.store(srv.profile)] * 100
    client = make_client(server, tmp_path)
    with pytest.raises(api.CometConflictError) as err:
        client.update_profile("pnom", rename("ours"), max_attempts=4)
    assert "4 attempts" in str(err.value) and "pnom" in str(err.value)
    assert client.stats["conflicts"] == 4 and server.writes == 0
    assert_no_secret(err.value)


def test_lost_write_answer_is_reported_as_changed(tmp_path):
    server = ProfileServer(PROFILE)
    server.drop_write = 1   # stored, then the connection resets: the retry finds the hash stale
    client = make_client(server, tmp_path)
    update = client.update_profile("pnom", rename("ours"))
    assert update.changed, "our write was stored even though its answer was lost"
    assert update.before == PROFILE
    assert server.writes == 1 and server.profile["Devices"]["dev-1"]["FriendlyName"] == "ours"


def test_set_profile_hash_error_without_conflict_is_reraised(tmp_path):
    server = ProfileServer(PROFILE)
    server.fail_write = (400, {"Status": 400, "Message": "ProfileData.Username must equal TargetUser"})
    client = make_client(server, tmp_path)
    with pytest.raises(api.CometApiError) as err:
        client.update_profile("pnom", rename("ours"))
    assert not isinstance(err.value, api.CometConflictError)
    assert err.value.status == 400 and "Username" in err.value.message
    assert client.stats["conflicts"] == 0


def test_set_profile_hash_detects_conflict_without_relying_on_409(tmp_path):
    server = ProfileServer(PROFILE)
    client = make_client(server, tmp_path)
    server.store(PROFILE)  # someone else wrote: h2
    server.fail_write = (200, {"Status": 500, "Message": "some other refusal"})
    with pytest.raises(api.CometConflictError) as err:
        client.set_profile_hash("pnom", PROFILE, "h1")
    assert err.value.message == "some other refusal"


def test_auth_error_in_update_is_not_a_conflict(tmp_path):
    server = ProfileServer(PROFILE)
    client = api.CometAdminClient(URL, "admin", "wrong-" + PASSWORD, lock_dir=str(tmp_path))
    client._request = FakeRequest(server)  # pylint: disable=protected-access
    with pytest.raises(api.CometAuthError) as err:
        client.update_profile("pnom", rename("x"))
    assert_no_secret(err.value, "wrong-" + PASSWORD)


def test_exception_from_change_releases_the_lock(tmp_path):
    server = ProfileServer(PROFILE)
    client = make_client(server, tmp_path)

    def bad(profile):
        raise KeyError("no such device")
    with pytest.raises(KeyError):
        client.update_profile("pnom", bad)
    assert client.update_profile("pnom", rename("after")).changed


# ---------------------------------------------------------------------------- locks

def test_lock_file_name_and_modes(tmp_path):
    lock_dir = tmp_path / "a" / "locks"
    server = ProfileServer(PROFILE)
    client = make_client(server, None)
    client.lock_dir = str(lock_dir)
    client.update_profile("pnom", rename("x"))
    assert stat.S_IMODE(os.stat(str(lock_dir)).st_mode) == 0o700
    expected = hashlib.sha256((URL + "pnom").encode("utf-8")).hexdigest() + ".lock"
    assert os.listdir(str(lock_dir)) == [expected]
    assert stat.S_IMODE(os.stat(str(lock_dir / expected)).st_mode) == 0o600


def test_default_lock_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(api.tempfile, "gettempdir", lambda: str(tmp_path))
    path = tmp_path / ("unil_backup_locks_%d" % os.getuid())
    path.mkdir(mode=0o777)
    os.chmod(str(path), 0o777)
    client = make_client(ProfileServer(PROFILE), None)
    client.update_profile("pnom", rename("x"))
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o700, "a loose default lock dir is tightened"
    assert len(os.listdir(str(path))) == 1


def test_lock_serialises_and_is_per_account(tmp_path):
    client_a = make_client(lambda e, f: ok(), tmp_path)
    client_b = make_client(lambda e, f: ok(), tmp_path)
    events = []
    with client_a.lock("pnom"):
        thread = threading.Thread(target=lambda: (client_b.lock("pnom").__enter__() and events.append("b got it")))
        thread.start()
        with client_b.lock("other"):
            events.append("other account not blocked")
        time.sleep(0.3)
        events.append("a releases")
    thread.join(5)
    assert events == ["other account not blocked", "a releases", "b got it"]


def test_lock_timeout_is_a_clean_error(tmp_path):
    client_a = make_client(lambda e, f: ok(), tmp_path)
    client_b = make_client(lambda e, f: ok(), tmp_path, lock_timeout=0.2)
    with client_a.lock("pnom"):
        with pytest.raises(api.CometApiError, match="waiting for the lock"):
            client_b.update_profile("pnom", rename("x"))


# ---------------------------------------------------------------------------- policies and helpers

def test_update_policy_uses_check_policy_hash(tmp_path):
    state = {"policy": {"Description": "UNIL", "Unknown": [1]}, "hash": "p1", "sets": []}

    def handler(endpoint, form):
        if endpoint == "policies/get":
            return ok({"Status": 200, "Message": "OK", "Policy": state["policy"], "PolicyHash": state["hash"]})
        if endpoint == "policies/set":
            state["sets"].append(form)
            if form["CheckPolicyHash"] != state["hash"]:
                return 200, {"Status": 409, "Message": "stale"}
            state["policy"] = json.loads(form["Policy"])
            state["hash"] = "p%d" % (len(state["sets"]) + 1)
            return ok()
        return 404, {"Status": 404, "Message": "?"}
    client = make_client(handler, tmp_path)
    update = client.update_policy("pol", lambda p: dict(p, Description="UNIL 2"))
    assert update.changed and state["policy"] == {"Description": "UNIL 2", "Unknown": [1]}
    assert state["sets"][0]["CheckPolicyHash"] == "p1" and state["sets"][0]["PolicyID"] == "pol"
    assert not client.update_policy("pol", lambda p: dict(p, Description="UNIL 2")).changed
    assert len(state["sets"]) == 1


def test_helpers_send_the_documented_parameters():
    client = make_client(lambda e, f: ok({"Status": 200, "Message": "OK", "InstallToken": {"Token": "t"}}))
    client.list_users()
    client.list_active()
    client.list_active("pnom")
    client.refetch_profile("target-1")
    client.revoke_device("pnom", "dev-1")
    client.jobs_for_user("pnom")
    client.jobs_for_date_range(1700000000, 1700086400)
    client.server_version()
    assert client.create_install_token("pnom", "pw", server="https://x/") == {"Token": "t"}
    sent = [(r["endpoint"], dict((k, v) for k, v in r["form"].items() if k not in ("Username", "AuthType", "Password")))
            for r in client._request.requests]  # pylint: disable=protected-access
    assert sent == [
        ("list-users", {}), ("dispatcher/list-active", {}), ("dispatcher/list-active", {"UserNameFilter": "pnom"}),
        ("dispatcher/refetch-profile", {"TargetID": "target-1"}), ("revoke-device", {"TargetUser": "pnom", "TargetDevice": "dev-1"}),
        ("get-jobs-for-user", {"TargetUser": "pnom"}), ("get-jobs-for-date-range", {"Start": "1700000000", "End": "1700086400"}),
        ("meta/version", {}), ("create-install-token", {"TargetUser": "pnom", "TargetPassword": "pw", "Server": "https://x/"}),
    ]


def test_tls_context_only_for_https(monkeypatch):
    """Loading the CA store costs tens of milliseconds per client: a plain-HTTP server never asks for it, an HTTPS one
    gets it once per client."""
    built = []
    monkeypatch.setattr(api, "make_context", lambda **kwargs: built.append(kwargs) or "context")
    plain = api.CometAdminClient("http://comet.example.test/", "admin", PASSWORD)
    assert plain._tls_context("meta/version") is None  # pylint: disable=protected-access
    secure = api.CometAdminClient(URL, "admin", PASSWORD)
    assert secure._tls_context("meta/version") == "context"  # pylint: disable=protected-access
    assert secure._tls_context("meta/version") == "context"  # pylint: disable=protected-access
    assert len(built) == 1
