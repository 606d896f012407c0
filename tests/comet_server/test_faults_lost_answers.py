# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stand-in's faults of issue 22: answers lost after the call was carried out (a truncated JSON body, a JSON
Status 500 under HTTP 200) and failures carrying a Retry-After header (429, 503); also through /_standin/faults."""
from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from .conftest import ADMIN, ADMIN_PASSWORD, USER

AUTH = {"Username": ADMIN, "AuthType": "Password", "Password": ADMIN_PASSWORD}


def raw_post(srv, endpoint, **params):
    """(HTTP status, headers, body bytes) of one admin call on its own connection."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request("POST", "/api/v1/admin/" + endpoint, body=urllib.parse.urlencode(dict(AUTH, **params)),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def write(srv, name):
    read = json.loads(raw_post(srv, "get-user-profile-and-hash", TargetUser=USER)[2])
    profile = dict(read["Profile"], AccountName=name)
    return raw_post(srv, "set-user-profile-hash", TargetUser=USER, RequireHash=read["ProfileHash"],
                    ProfileData=json.dumps(profile)), read["ProfileHash"]


def test_truncate_carries_the_call_out_then_cuts_the_json(srv):
    srv.faults.truncate_next(1, endpoint="set-user-profile-hash")
    (status, headers, body), old_hash = write(srv, "stored, answer cut")
    assert status == 200 and int(headers["Content-Length"]) == len(body)  # a complete HTTP answer...
    with pytest.raises(ValueError):
        json.loads(body.decode("utf-8"))                                  # ...whose JSON is cut
    assert srv.state.get_profile(USER)["AccountName"] == "stored, answer cut"
    assert srv.state.profile_hash(USER) != old_hash
    entry = srv.log[-1]
    assert entry["fault"] == "truncate" and entry["status"] == 200 and entry["endpoint"] == "set-user-profile-hash"
    assert not srv.faults.pending()
    (status, dummy, body), dummy = write(srv, "next one")
    assert json.loads(body)["Status"] == 200


def test_fail_after_carries_the_call_out_then_answers_status_500(srv):
    srv.faults.fail_after_next(1, endpoint="set-user-profile-hash")
    (status, dummy, body), dummy = write(srv, "stored, answered 500")
    assert status == 200 and json.loads(body) == {"Status": 500, "Message": "Internal Server Error"}
    assert srv.state.get_profile(USER)["AccountName"] == "stored, answered 500"
    assert srv.log[-1]["fault"] == "fail_after"
    srv.faults.fail_after_next(1, status=502, http_status=502, message="Bad Gateway", endpoint="list-users")
    status, dummy, body = raw_post(srv, "list-users")
    assert status == 502 and json.loads(body) == {"Status": 502, "Message": "Bad Gateway"}


def test_lost_answer_faults_skip_calls_that_fail(srv):
    srv.faults.truncate_next(1, endpoint="set-user-profile-hash")
    status, dummy, body = raw_post(srv, "set-user-profile-hash", TargetUser=USER, RequireHash="stale",
                                   ProfileData=json.dumps(srv.state.get_profile(USER)))
    assert json.loads(body)["Status"] == 409  # refused: answered as usual, the rule stays armed
    assert [rule["kind"] for rule in srv.faults.pending()] == ["truncate"]


@pytest.mark.parametrize("status, retry_after", [(429, "3"), (503, "Wed, 21 Oct 2037 07:28:00 GMT"), (503, None)])
def test_fail_with_retry_after(srv, status, retry_after):
    srv.faults.fail_next(1, status=status, message="Too Many Requests", retry_after=retry_after)
    code, headers, body = raw_post(srv, "list-users")
    assert code == status and json.loads(body) == {"Status": status, "Message": "Too Many Requests"}
    assert headers.get("Retry-After") == retry_after
    assert raw_post(srv, "list-users")[0] == 200


def test_new_faults_through_the_control_endpoint(srv, api):
    assert api.control("faults", {"kind": "fail", "status": 429, "retry_after": 2, "endpoint": "list-users"}).http_status == 200
    assert api.control("faults", {"kind": "truncate", "endpoint": "set-user-profile-hash"}).http_status == 200
    assert api.control("faults", {"kind": "fail_after", "status": 500, "endpoint": "revoke-device"}).http_status == 200
    kinds = [(rule["kind"], rule.get("retry_after")) for rule in api.control("faults").body]
    assert kinds == [("fail", "2"), ("truncate", None), ("fail_after", None)]
    code, headers, dummy = raw_post(srv, "list-users")
    assert code == 429 and headers["Retry-After"] == "2"
    with pytest.raises(ValueError):
        srv.faults.fail_after_next(1, status=200)
