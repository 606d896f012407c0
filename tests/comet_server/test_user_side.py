# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""User-side endpoints (what the stand-in client calls): session, register-device, heartbeat -> online."""
from __future__ import annotations

import json
import time

from comet_server import CometServerStandIn

from .conftest import ADMIN, ADMIN_PASSWORD, LINUX, USER, USER_PASSWORD, Client

PLATFORM = json.dumps(LINUX)


def session(api, username=USER, password=USER_PASSWORD):
    answer = api.user("web/session/start", Username=username, AuthType="Password", Password=password)
    assert answer.http_status == 200, answer
    return answer.body["SessionKey"]


def test_session_start_and_auth(srv, api):
    wrong = "not-the-user-pw-55"
    answer = api.user("web/session/start", Username=USER, AuthType="Password", Password=wrong)
    assert answer.http_status == 403 and answer.body == {"Status": 403, "Message": "Authentication failed"}
    assert wrong.encode() not in answer.raw and wrong not in json.dumps(srv.log)
    answer = api.user("web/session/start", Username="nobody", AuthType="Password", Password=USER_PASSWORD)
    assert answer.http_status == 403
    answer = api.user("web/session/start", Username=ADMIN, AuthType="Password", Password=ADMIN_PASSWORD)
    assert answer.http_status == 403  # an admin is not a user
    key = session(api)
    assert key and key not in json.dumps(srv.state.to_dict()) and key not in json.dumps(srv.log)
    # the session key replaces the password
    answer = api.user("get-profile-and-hash", Username=USER, AuthType="SessionKey", SessionKey=key)
    assert answer.body["Status"] == 200 and answer.body["Profile"]["Username"] == USER
    assert answer.body["ProfileHash"] == srv.state.profile_hash(USER)
    answer = api.user("get-profile-and-hash", Username=USER, AuthType="SessionKey", SessionKey=key + "x")
    assert answer.http_status == 403
    srv.state.add_user("dept-lab", "lab-password")
    answer = api.user("get-profile-and-hash", Username="dept-lab", AuthType="SessionKey", SessionKey=key)
    assert answer.http_status == 403  # a key belongs to one account
    answer = api.user("web/session/start", Username=USER, AuthType="SessionKey", SessionKey=key)
    assert answer.http_status == 403  # session/start takes the password
    assert api.user("no-such-thing", Username=USER, AuthType="SessionKey", SessionKey=key).http_status == 404
    assert [e["account"] for e in srv.log if e["endpoint"] == "get-profile-and-hash"][0] == USER
    # revoked through the control endpoint
    assert api.control("sessions/revoke", {"account": USER}).http_status == 200
    answer = api.user("get-profile-and-hash", Username=USER, AuthType="SessionKey", SessionKey=key)
    assert answer.http_status == 403


def test_register_device_once(srv, api):
    key = session(api)
    auth = dict(Username=USER, AuthType="SessionKey", SessionKey=key)
    hash0 = srv.state.profile_hash(USER)
    answer = api.user("register-device", DeviceID="dev-abc", FriendlyName="lts22", ReportedPlatform=PLATFORM,
                      ReportedVersion="24.6.0", **auth)
    assert answer.body == {"Status": 200, "Message": "OK", "DeviceID": "dev-abc"}
    profile = srv.state.get_profile(USER)
    device = profile["Devices"]["dev-abc"]
    assert device["FriendlyName"] == "lts22" and device["ClientVersion"] == "24.6.0" and device["RegistrationTime"] > 0
    # OSInfo fields are all omitempty: the empty ones are not stored
    assert device["PlatformVersion"] == dict((k, v) for k, v in LINUX.items() if v)
    hash1 = srv.state.profile_hash(USER)
    assert hash1 != hash0

    # repeat: same device, not added twice; the hash does not move when nothing changed
    answer = api.user("register-device", DeviceID="dev-abc", FriendlyName="renamed-host", ReportedPlatform=PLATFORM,
                      ReportedVersion="24.6.0", **auth)
    assert answer.body["Status"] == 200
    assert list(srv.state.get_profile(USER)["Devices"]) == ["dev-abc"]
    assert srv.state.profile_hash(USER) == hash1
    assert srv.state.get_profile(USER)["Devices"]["dev-abc"]["FriendlyName"] == "lts22"  # an admin's name is kept

    # an upgrade updates the version
    answer = api.user("register-device", DeviceID="dev-abc", FriendlyName="lts22", ReportedPlatform=PLATFORM,
                      ReportedVersion="24.9.1", Username=USER, AuthType="Password", Password=USER_PASSWORD)
    assert answer.body["Status"] == 200
    assert srv.state.get_profile(USER)["Devices"]["dev-abc"]["ClientVersion"] == "24.9.1"
    assert len(srv.state.get_profile(USER)["Devices"]) == 1

    answer = api.user("register-device", DeviceID="dev-x", FriendlyName="x", ReportedVersion="24.6.0", **auth)
    assert answer.http_status == 400 and "ReportedPlatform" in answer.body["Message"]
    answer = api.user("register-device", DeviceID="dev-x", FriendlyName="x", ReportedPlatform="linux",
                      ReportedVersion="24.6.0", **auth)
    assert answer.http_status == 400 and "ReportedPlatform" in answer.body["Message"]


def test_heartbeat_makes_device_online_and_revoke_ends_session(srv, api):
    key = session(api)
    auth = dict(Username=USER, AuthType="SessionKey", SessionKey=key)
    answer = api.user("device-heartbeat", DeviceID="dev-abc", ReportedVersion="24.6.0", ReportedPlatform=PLATFORM, **auth)
    assert answer.http_status == 400  # not registered yet
    api.user("register-device", DeviceID="dev-abc", FriendlyName="lts22", ReportedPlatform=PLATFORM,
             ReportedVersion="24.6.0", **auth)
    assert api.admin("dispatcher/list-active").body == {}
    answer = api.user("device-heartbeat", DeviceID="dev-abc", ReportedVersion="24.6.1", ReportedPlatform=PLATFORM, **auth)
    assert answer.body["Status"] == 200 and answer.body["TargetID"]
    active = api.admin("dispatcher/list-active").body
    assert list(active) == [answer.body["TargetID"]]
    conn = active[answer.body["TargetID"]]
    assert conn["DeviceID"] == "dev-abc" and conn["Username"] == USER and conn["ReportedVersion"] == "24.6.1"
    assert conn["IPAddress"] == "127.0.0.1"
    since = conn["ConnectionTime"]
    api.user("device-heartbeat", DeviceID="dev-abc", ReportedVersion="24.6.1", ReportedPlatform=PLATFORM, **auth)
    again = api.admin("dispatcher/list-active").body
    assert list(again) == list(active) and again[answer.body["TargetID"]]["ConnectionTime"] == since
    assert srv.state.is_online(USER, "dev-abc")
    assert api.admin("dispatcher/refetch-profile", TargetID=answer.body["TargetID"]).body["Status"] == 200

    # revoking the device drops it from the live list and ends its session
    assert api.admin("revoke-device", TargetUser=USER, TargetDevice="dev-abc").body["Status"] == 200
    assert api.admin("dispatcher/list-active").body == {}
    answer = api.user("get-profile-and-hash", **auth)
    assert answer.http_status == 403


def test_heartbeat_expires_after_online_ttl():
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, online_ttl=0.4) as srv:
        srv.state.add_user(USER, USER_PASSWORD)
        api = Client(srv)
        auth = dict(Username=USER, AuthType="Password", Password=USER_PASSWORD)
        api.user("register-device", DeviceID="d1", FriendlyName="h1", ReportedPlatform=PLATFORM, ReportedVersion="24.6.0", **auth)
        api.user("device-heartbeat", DeviceID="d1", ReportedVersion="24.6.0", ReportedPlatform=PLATFORM, **auth)
        assert len(api.admin("dispatcher/list-active").body) == 1
        time.sleep(0.6)
        assert api.admin("dispatcher/list-active").body == {}
        # set_online keeps a device online whatever its heartbeats
        srv.state.set_online(USER, "d1", True)
        time.sleep(0.5)
        assert len(api.admin("dispatcher/list-active").body) == 1


def test_maximum_devices(srv, api):
    profile = srv.state.get_profile(USER)
    profile["MaximumDevices"] = 1
    srv.state.set_profile(USER, profile)
    auth = dict(Username=USER, AuthType="Password", Password=USER_PASSWORD)
    assert api.user("register-device", DeviceID="d1", FriendlyName="h1", ReportedPlatform=PLATFORM,
                    ReportedVersion="24.6.0", **auth).body["Status"] == 200
    answer = api.user("register-device", DeviceID="d2", FriendlyName="h2", ReportedPlatform=PLATFORM,
                      ReportedVersion="24.6.0", **auth)
    assert answer.http_status == 400 and "MaximumDevices" in answer.body["Message"]
