# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection: error answers, delays, dropped connections, a profile changed between a read and a write;
and thread safety of the read-modify-write cycle under concurrent writers."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.parse

import pytest

from .conftest import ADMIN, ADMIN_PASSWORD, USER, post

AUTH = {"Username": ADMIN, "AuthType": "Password", "Password": ADMIN_PASSWORD}


def test_two_503_then_ok(srv, api):
    srv.faults.fail_next(2, status=503)
    first, second, third = (api.admin("list-users") for _attempt in range(3))
    for answer in (first, second):
        assert answer.http_status == 503
        assert answer.body == {"Status": 503, "Message": "Service Unavailable"}
    assert third.http_status == 200 and third.body == [USER]
    assert [e["status"] for e in srv.log] == [503, 503, 200]
    assert [e.get("fault") for e in srv.log] == ["fail", "fail", None]


def test_fail_only_matching_endpoint_and_account(srv, api):
    srv.state.add_user("dept-lab", "lab-password")
    srv.faults.fail_next(1, status=502, endpoint="get-user-profile", account="dept-lab", message="Bad Gateway")
    assert api.admin("list-users").http_status == 200
    assert api.admin("get-user-profile", TargetUser=USER).http_status == 200
    answer = api.admin("get-user-profile", TargetUser="dept-lab")
    assert answer.http_status == 502 and answer.body == {"Status": 502, "Message": "Bad Gateway"}
    assert api.admin("get-user-profile", TargetUser="dept-lab").http_status == 200
    srv.faults.fail_next(5)
    srv.faults.clear()
    assert api.admin("list-users").http_status == 200


def test_failed_write_changes_nothing(srv, api):
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    srv.faults.fail_next(1, status=500, endpoint="set-user-profile-hash")
    answer = api.admin("set-user-profile-hash", TargetUser=USER, RequireHash=read["ProfileHash"],
                       ProfileData=json.dumps(dict(read["Profile"], AccountName="x")))
    assert answer.http_status == 500 and answer.body["Status"] == 500
    assert srv.state.profile_hash(USER) == read["ProfileHash"]


def _raw_post(srv, endpoint, params, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    conn.request("POST", "/api/v1/admin/" + endpoint, body=urllib.parse.urlencode(dict(AUTH, **params)),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    return conn, conn.getresponse()


def test_drop_mid_response_after_processing(srv, api):
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    srv.faults.drop_next(1, endpoint="set-user-profile-hash")
    profile = dict(read["Profile"], AccountName="written, answer lost")
    conn, resp = _raw_post(srv, "set-user-profile-hash", {"TargetUser": USER, "RequireHash": read["ProfileHash"],
                                                          "ProfileData": json.dumps(profile)})
    assert resp.status == 200  # status line and headers arrive...
    with pytest.raises(http.client.IncompleteRead):
        resp.read()            # ...the body does not
    conn.close()
    # the write was carried out: a retry with the old hash is refused, a re-read shows the change
    assert srv.state.get_profile(USER)["AccountName"] == "written, answer lost"
    retry = api.admin("set-user-profile-hash", TargetUser=USER, RequireHash=read["ProfileHash"], ProfileData=json.dumps(profile))
    assert retry.body["Status"] == 409
    assert srv.log[1]["fault"] == "drop"
    # the server keeps serving
    assert api.admin("list-users").body == [USER]


def test_drop_before_processing(srv, api):
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    srv.faults.drop_next(1, endpoint="set-user-profile-hash", process=False)
    conn, resp = _raw_post(srv, "set-user-profile-hash", {"TargetUser": USER, "RequireHash": read["ProfileHash"],
                                                          "ProfileData": json.dumps(dict(read["Profile"], AccountName="lost"))})
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()
    assert srv.state.profile_hash(USER) == read["ProfileHash"]
    assert srv.state.get_profile(USER)["AccountName"] == USER


def test_drop_with_urllib_client(srv, api):
    srv.faults.drop_next(1)
    with pytest.raises(http.client.IncompleteRead):
        api.admin("list-users-full")
    assert api.admin("list-users").http_status == 200


def test_delay(srv, api):
    srv.faults.delay_next(1, seconds=0.6, endpoint="meta/version")
    started = time.time()
    assert api.admin("list-users").http_status == 200  # other endpoint: not delayed
    fast = time.time() - started
    started = time.time()
    assert api.admin("meta/version").http_status == 200
    slow = time.time() - started
    print("undelayed call %.3f s, delayed call %.3f s" % (fast, slow))
    assert slow >= 0.6
    assert srv.log[-1]["fault"] == "delay"
    # a client with a shorter timeout gives up
    srv.faults.delay_next(1, seconds=1.0)
    with pytest.raises((socket.timeout, TimeoutError)):
        conn, resp = _raw_post(srv, "list-users", {}, timeout=0.3)
    time.sleep(0.8)  # let the delayed handler finish before the server stops


def test_profile_changed_between_read_and_write(srv, api):
    def someone_else(profile):
        profile["Emails"] = ["helpdesk@example.unil.ch"]
    srv.faults.change_profile_between_read_and_write(USER, mutate=someone_else, count=1)
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    assert read["Profile"]["Emails"] == []  # the read itself saw the old profile
    mine = dict(read["Profile"], AccountName="mine")
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(mine), RequireHash=read["ProfileHash"])
    assert answer.http_status == 200 and answer.body["Status"] == 409
    stored = srv.state.get_profile(USER)
    assert stored["Emails"] == ["helpdesk@example.unil.ch"] and stored["AccountName"] == USER
    # the fault is used up: read again, write again, accepted, the other change kept
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    mine = dict(read["Profile"], AccountName="mine")
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(mine), RequireHash=read["ProfileHash"])
    assert answer.body["Status"] == 200
    stored = srv.state.get_profile(USER)
    assert stored["Emails"] == ["helpdesk@example.unil.ch"] and stored["AccountName"] == "mine"


def test_concurrent_read_modify_write(srv):
    """Many writers, each adding its own Protected Item with read / write-with-hash / retry on conflict: all land."""
    writers = 20
    retries = []
    errors = []

    def writer(n):
        tries = 0
        while tries < 200:
            tries += 1
            read = post(srv.url + "api/v1/admin/get-user-profile-and-hash", dict(AUTH, TargetUser=USER)).body
            profile = read["Profile"]
            profile["Sources"]["src-%02d" % n] = {"Engine": "engine1/file", "OwnerDevice": "dev-%02d" % n}
            answer = post(srv.url + "api/v1/admin/set-user-profile-hash",
                          dict(AUTH, TargetUser=USER, ProfileData=json.dumps(profile), RequireHash=read["ProfileHash"]))
            if answer.body["Status"] == 200:
                retries.append(tries - 1)
                return
            if answer.body["Status"] != 409:
                errors.append(answer)
                return
        errors.append("gave up")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    print("%d writers, %d retries in all, %.2f s" % (writers, sum(retries), time.time() - started))
    assert not errors
    assert sorted(srv.state.get_profile(USER)["Sources"]) == ["src-%02d" % n for n in range(writers)]
    accepted = srv.log_count(endpoint="set-user-profile-hash", status=200)
    refused = srv.log_count(endpoint="set-user-profile-hash", status=409)
    assert accepted == writers and refused == sum(retries)
