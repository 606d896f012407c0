# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client through Ansible's real URL stack against a scripted local http.server on 127.0.0.1: truncated answers,
closed connections, refused connections and timeouts, and what is actually sent on the wire."""
from __future__ import annotations

import http.server
import json
import socket
import threading
from urllib.parse import parse_qsl

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_api as api

PASSWORD = "wire-S3cret!"


class Scripted(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode("ascii")
        self.server.seen.append(dict(path=self.path, headers=dict(self.headers), form=dict(parse_qsl(body))))
        action = self.server.script.pop(0) if len(self.server.script) > 1 else self.server.script[0]
        kind = action[0]
        if kind == "json":
            payload = json.dumps(action[2]).encode()
            self.send_response(action[1])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(b'{"Status": 200, "Mess')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif kind == "close":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif kind == "sleep":
            threading.Event().wait(action[1])
            self.close_connection = True


@pytest.fixture
def scripted_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    server.seen = []
    server.script = [("json", 200, {"Status": 200, "Message": "OK"})]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def client_for(server, **kwargs):
    sleeps = []
    client = api.CometAdminClient("http://127.0.0.1:%d" % server.server_address[1], "admin", PASSWORD, sleep=sleeps.append, **kwargs)
    client.sleeps = sleeps
    return client


def test_wire_format(scripted_server):
    client = client_for(scripted_server)
    client.call("get-user-profile", {"TargetUser": "pnom", "Flag": False})
    seen = scripted_server.seen[0]
    assert seen["path"] == "/api/v1/admin/get-user-profile"
    assert seen["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen["form"] == {"Username": "admin", "AuthType": "Password", "Password": PASSWORD, "TargetUser": "pnom", "Flag": "false"}
    assert "Authorization" not in seen["headers"]


@pytest.mark.parametrize("fault", [("truncate",), ("close",), ("json", 503, {"Status": 503, "Message": "Busy"})])
def test_transient_faults_over_real_http(scripted_server, fault):
    scripted_server.script = [fault, fault, ("json", 200, {"Version": "24.6.0"})]
    client = client_for(scripted_server)
    assert client.call("meta/version") == {"Version": "24.6.0"}
    assert len(scripted_server.seen) == 3 and client.stats["retries"] == 2


def test_truncated_forever_is_a_clean_error(scripted_server):
    scripted_server.script = [("truncate",)]
    client = client_for(scripted_server, retries=2)
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert "meta/version" in str(err.value) and "after 3 attempts" in str(err.value)
    assert err.value.__context__ is None and PASSWORD not in repr(err.value)


def test_timeout_is_retried_and_reported(scripted_server):
    scripted_server.script = [("sleep", 3)]
    client = client_for(scripted_server, timeout=1, retries=1)
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert "timed out" in str(err.value) and len(scripted_server.seen) == 2


def test_connection_refused_is_retried():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    sleeps = []
    client = api.CometAdminClient("http://127.0.0.1:%d/" % port, "admin", PASSWORD, retries=2, sleep=sleeps.append)
    with pytest.raises(api.CometApiError) as err:
        client.call("meta/version")
    assert "refused" in str(err.value).lower() and sleeps == [0.5, 1.0]
    assert PASSWORD not in str(err.value) and err.value.__context__ is None


def test_job_log_entries_wire_and_answer(scripted_server):
    entries = [{"Time": 1700000000, "Severity": "W", "Message": "operation not permitted"}]
    scripted_server.script = [("json", 200, entries)]
    client = client_for(scripted_server)
    assert client.job_log_entries("job-1", min_severity="W") == entries
    form = scripted_server.seen[0]["form"]
    assert scripted_server.seen[0]["path"] == "/api/v1/admin/get-job-log-entries"
    assert form["JobID"] == "job-1" and form["MinSeverity"] == "W" and "MessageContains" not in form
    scripted_server.script = [("json", 200, {"Status": 200, "Message": "OK"})]
    with pytest.raises(api.CometApiError, match="not a list of log entries"):
        client.job_log_entries("job-1")


def test_job_log_entries_many_at_once(scripted_server):
    """Several logs at once, each answer to its job; a failed one is returned as its error; the counters add up."""
    scripted_server.script = [("json", 200, [{"Time": 1, "Severity": "E", "Message": "m"}])]
    client = client_for(scripted_server, retries=0)
    ids = ["job-%d" % i for i in range(12)] + ["job-0"]     # a repeated id is read once
    logs = client.job_log_entries_many(ids, workers=4, min_severity="W")
    assert sorted(logs) == sorted(set(ids)) and all(v == [{"Time": 1, "Severity": "E", "Message": "m"}] for v in logs.values())
    assert sorted(s["form"]["JobID"] for s in scripted_server.seen) == sorted(set(ids))
    assert client.stats["calls"] == 12 and client.stats["reads"] == 12
    assert client.stats["endpoints"] == {"get-job-log-entries": 12}
    scripted_server.script = [("json", 400, {"Status": 400, "Message": "Job not found"})]
    logs = client.job_log_entries_many(["gone"])
    assert isinstance(logs["gone"], api.CometApiError) and logs["gone"].status == 400
    assert client.job_log_entries_many([]) == {}
