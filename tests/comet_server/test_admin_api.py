# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API of the stand-in: auth, validation, profile round trip and hash checks, devices, jobs, policies."""
from __future__ import annotations

import json

import pytest

from comet_server.state import normalize_profile
from comet_server.server import Api

from .conftest import ADMIN, ADMIN_PASSWORD, LINUX, USER, USER_PASSWORD, post

ENDPOINT_PARAMS = {
    "get-user-profile": {"TargetUser": USER},
    "get-user-profile-hash": {"TargetUser": USER},
    "get-user-profile-and-hash": {"TargetUser": USER},
    "get-jobs-for-user": {"TargetUser": USER},
    "get-jobs-for-date-range": {"Start": "0", "End": "0"},
    "policies/get": {"PolicyID": "pol"},
    "get-job-log-entries": {"JobID": "no-such-job"},
}
ALL_ADMIN = sorted(Api.ADMIN) + ["branding/generate-client/linuxgeneric"]


@pytest.mark.parametrize("endpoint", ALL_ADMIN)
def test_every_admin_endpoint_requires_auth(srv, api, endpoint):
    params = ENDPOINT_PARAMS.get(endpoint, {})
    wrong = "Wr0ng-pa55word-" + endpoint.replace("/", "_")
    cases = [
        {},                                                                   # no credentials at all
        {"Username": ADMIN, "AuthType": "Password"},                          # no password
        {"Username": ADMIN, "AuthType": "Password", "Password": wrong},       # wrong password
        {"Username": "nobody", "AuthType": "Password", "Password": ADMIN_PASSWORD},
        {"Username": ADMIN, "Password": ADMIN_PASSWORD},                      # no AuthType
        {"Username": ADMIN, "AuthType": "SessionKey", "SessionKey": "x"},     # not implemented: an auth failure
        {"Username": USER, "AuthType": "Password", "Password": USER_PASSWORD},  # a user is not an admin
    ]
    for creds in cases:
        answer = api.admin(endpoint, auth=False, **dict(params, **creds))
        assert answer.http_status == 403, (creds, answer)
        assert answer.body == {"Status": 403, "Message": "Authentication failed"}
        assert wrong.encode() not in answer.raw
    assert all(entry["status"] == 403 for entry in srv.log)
    assert wrong not in json.dumps(srv.log)
    assert ADMIN_PASSWORD not in json.dumps(srv.log)


def test_wrong_password_never_stored_or_logged(tmp_path):
    from comet_server import CometServerStandIn
    state_file = tmp_path / "state.json"
    wrong = "this-is-the-wrong-one-93Kq"
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, state_file=str(state_file)) as server:
        server.state.add_user(USER, USER_PASSWORD)
        from .conftest import Client
        client = Client(server, password=wrong)
        answer = client.admin("get-user-profile", TargetUser=USER)
        assert answer.http_status == 403 and wrong.encode() not in answer.raw
        answer = Client(server).admin("get-user-profile", TargetUser=USER)
        assert answer.http_status == 200
        text = json.dumps(server.log) + json.dumps(client.control("state").body) + json.dumps(client.control("log").body)
    saved = state_file.read_text()
    for secret in (wrong, ADMIN_PASSWORD, USER_PASSWORD):
        assert secret not in saved
        assert secret not in text
    assert oct(state_file.stat().st_mode & 0o777) == "0o600"
    assert server.log[0]["admin"] == ADMIN and server.log[0]["account"] == USER and server.log[0]["status"] == 403
    assert set(server.log[0]) >= {"time", "endpoint", "account", "admin", "status"}


def test_method_unknown_endpoint_and_missing_params(srv, api):
    answer = post(srv.url + "api/v1/admin/list-users", method="GET")
    assert answer.http_status == 405 and answer.body["Status"] == 405
    assert answer.headers["Allow"] == "POST"
    answer = post(srv.url + "api/v1/admin/list-users", {"Username": ADMIN}, method="PUT")
    assert answer.http_status == 405 and answer.body["Status"] == 405

    answer = api.admin("no-such-endpoint")
    assert answer.http_status == 404 and answer.body["Status"] == 404 and "Message" in answer.body

    answer = api.admin("get-user-profile")
    assert answer.http_status == 400 and answer.body["Status"] == 400 and "TargetUser" in answer.body["Message"]
    answer = api.admin("get-user-profile", TargetUser="nobody")
    assert answer.http_status == 400 and answer.body == {"Status": 400, "Message": "User not found"}
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(srv.state.get_profile(USER)))
    assert answer.http_status == 400 and "RequireHash" in answer.body["Message"]
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData="{}", RequireHash="x")
    assert answer.http_status == 400 and "Username" in answer.body["Message"]
    answer = api.admin("set-user-profile", TargetUser=USER, ProfileData="{not json")
    assert answer.http_status == 400 and "ProfileData" in answer.body["Message"]
    answer = api.admin("set-user-profile", TargetUser=USER, ProfileData=json.dumps({"Username": "other"}))
    assert answer.http_status == 400 and "Username" in answer.body["Message"]
    answer = api.admin("get-jobs-for-date-range", Start="yesterday", End="0")
    assert answer.http_status == 400 and "Start" in answer.body["Message"]
    answer = api.admin("get-jobs-for-date-range", Start="0")
    assert answer.http_status == 400 and "End" in answer.body["Message"]
    answer = post(srv.url + "api/v1/admin/list-users", raw_body=json.dumps({"Username": ADMIN}).encode(),
                  content_type="application/json")
    assert answer.http_status == 400 and "Content-Type" in answer.body["Message"]
    answer = api.admin("get-user-profile", TargetUser=USER, **{"Username": ADMIN})  # fine: Username given once
    assert answer.http_status == 200
    answer = post(srv.url + "api/v1/admin/list-users", raw_body=b"Username=admin&Username=admin&AuthType=Password")
    assert answer.http_status == 400 and "Username" in answer.body["Message"]


def test_meta_version_and_lists(srv, api):
    answer = api.admin("meta/version")
    assert answer.http_status == 200
    for key in ("Version", "ServerStartTime", "ServerStartHash", "CurrentTime", "ServerLicenseFeaturesAll"):
        assert key in answer.body
    assert answer.body["Version"] == "24.6.0"
    srv.state.add_user("dept-lab", "lab-password")
    assert api.admin("list-users").body == ["dept-lab", USER]
    full = api.admin("list-users-full").body
    assert sorted(full) == ["dept-lab", USER] and full[USER]["Username"] == USER


def test_default_profile_shape(srv):
    profile = srv.state.get_profile(USER)
    assert profile["Username"] == USER and profile["LocalTimezone"] == "Europe/Zurich"
    (vault_id, vault), = profile["Destinations"].items()
    assert vault["Description"] == "UNIL Storage Vault" and vault["EncryptedEncryptionKey"]
    assert profile["Sources"] == {} and profile["BackupRules"] == {} and profile["Devices"] == {}
    assert profile["SupportsDeviceAssociations"] is True and profile["PolicyID"] == "" and profile["MaximumDevices"] == 0
    assert profile["PasswordHash"] and USER_PASSWORD not in json.dumps(profile)


def test_round_trip_keeps_unknown_fields(srv, api):
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    profile = read["Profile"]
    profile["FutureTopLevelField"] = {"nested": [1, 2.5, None, True, "é"], "empty": {}}
    vault = next(iter(profile["Destinations"].values()))
    vault["SomeUnknownVaultField"] = "keep me"
    profile["Sources"]["src-1"] = {"Engine": "engine1/file", "OwnerDevice": "dev-1", "EngineProps": {"INCLUDE0": "/home"},
                                   "UnknownSourceField": 42}
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(profile),
                       RequireHash=read["ProfileHash"])
    assert answer.http_status == 200 and answer.status == 200, answer
    assert answer.body["ProfileHash"] != read["ProfileHash"]
    # what Comet stores: the typed profile re-encoded (absent fields at their zero value), unknown fields kept
    stored = answer.body["Profile"]
    assert stored == normalize_profile(profile)
    assert stored["FutureTopLevelField"] == profile["FutureTopLevelField"]
    assert next(iter(stored["Destinations"].values()))["SomeUnknownVaultField"] == "keep me"
    src = stored["Sources"]["src-1"]
    assert src["UnknownSourceField"] == 42 and src["EngineProps"] == {"INCLUDE0": "/home"}
    assert src["Description"] == "" and src["Statistics"]["LastBackupJob"]["Status"] == 0  # zero values filled in
    again = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    assert again["Profile"] == stored
    assert again["ProfileHash"] == answer.body["ProfileHash"]
    assert api.admin("get-user-profile", TargetUser=USER).body == stored
    profile = stored
    assert api.admin("get-user-profile-hash", TargetUser=USER).body["ProfileHash"] == again["ProfileHash"]

    # a write that changes nothing is still a write: new hash
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(profile),
                       RequireHash=again["ProfileHash"])
    assert answer.status == 200 and answer.body["ProfileHash"] != again["ProfileHash"]
    # unconditional write
    profile["AccountName"] = "Pierre Nom"
    answer = api.admin("set-user-profile", TargetUser=USER, ProfileData=json.dumps(profile))
    assert answer.body == {"Status": 200, "Message": "OK"}
    assert srv.state.get_profile(USER)["AccountName"] == "Pierre Nom"


def test_stale_hash_is_refused_and_profile_untouched(srv, api):
    read = api.admin("get-user-profile-and-hash", TargetUser=USER).body
    srv.state.set_profile(USER, dict(read["Profile"], AccountName="changed by someone else"))
    stored_before = srv.state.get_profile(USER)
    hash_before = srv.state.profile_hash(USER)
    mine = dict(read["Profile"], AccountName="my change")
    answer = api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(mine), RequireHash=read["ProfileHash"])
    assert answer.http_status == 200
    assert answer.body == {"Status": 409, "Message": "The profile has changed since it was read (hash mismatch)"}
    assert srv.state.get_profile(USER) == stored_before
    assert srv.state.profile_hash(USER) == hash_before
    assert srv.log[-1]["status"] == 409 and srv.log[-1]["http_status"] == 200
    assert srv.log_count(endpoint="set-user-profile-hash", status=409) == 1


def test_revoke_device_removes_device_sources_and_rules(srv, api):
    srv.state.add_device(USER, "dev-1", "lts22", platform=LINUX, online=True)
    srv.state.add_device(USER, "dev-2", "other", platform=LINUX, online=True)
    profile = srv.state.get_profile(USER)
    vault = next(iter(profile["Destinations"]))
    profile["Sources"] = {"s1": {"OwnerDevice": "dev-1", "Engine": "engine1/file"},
                          "s2": {"OwnerDevice": "dev-2", "Engine": "engine1/file"}}
    profile["BackupRules"] = {"r1": {"Source": "s1", "Destination": vault}, "r2": {"Source": "s2", "Destination": vault}}
    srv.state.set_profile(USER, profile)
    hash_before = srv.state.profile_hash(USER)
    assert len(api.admin("dispatcher/list-active").body) == 2

    answer = api.admin("revoke-device", TargetUser=USER, TargetDevice="dev-1")
    assert answer.body == {"Status": 200, "Message": "OK"}
    after = srv.state.get_profile(USER)
    assert list(after["Devices"]) == ["dev-2"]
    assert list(after["Sources"]) == ["s2"] and list(after["BackupRules"]) == ["r2"]
    assert srv.state.profile_hash(USER) != hash_before
    active = api.admin("dispatcher/list-active").body
    assert [c["DeviceID"] for c in active.values()] == ["dev-2"]

    answer = api.admin("revoke-device", TargetUser=USER, TargetDevice="dev-1")
    assert answer.http_status == 400 and answer.body["Status"] == 400
    answer = api.admin("revoke-device", TargetUser=USER)
    assert answer.http_status == 400 and "TargetDevice" in answer.body["Message"]


def test_list_active_and_refetch(srv, api):
    srv.state.add_user("dept-lab", "lab-password")
    srv.state.add_device(USER, "dev-1", "lts22", platform=LINUX, online=True)
    srv.state.add_device(USER, "dev-off", "sleeping", platform=LINUX, online=False)
    srv.state.add_device("dept-lab", "dev-lab", "lab-pc", platform={"os": "windows"}, online=False)
    active = api.admin("dispatcher/list-active").body
    assert len(active) == 1
    (tid, conn), = active.items()
    assert conn["Username"] == USER and conn["DeviceID"] == "dev-1" and conn["ReportedVersion"] == "24.6.0"
    assert set(conn) == {"Username", "DeviceID", "ReportedVersion", "ReportedPlatform", "ReportedPlatformVersion",
                         "DeviceTimeZone", "IPAddress", "ConnectionTime", "AllowsFilenames"}
    # as Comet answers it: GOOS/GOARCH, the details in ReportedPlatformVersion (OSInfo, omitempty fields)
    assert conn["ReportedPlatform"] == "linux/amd64"
    assert conn["ReportedPlatformVersion"] == {"os": "linux", "distribution": "Ubuntu 22.04", "arch": "amd64"}

    srv.state.set_online("dept-lab", "dev-lab", True)
    active = api.admin("dispatcher/list-active").body
    assert len(active) == 2 and tid in active  # TargetIDs are stable
    only_lab = api.admin("dispatcher/list-active", UserNameFilter="dept-lab").body
    assert [c["DeviceID"] for c in only_lab.values()] == ["dev-lab"]

    assert api.admin("dispatcher/refetch-profile", TargetID=tid).body == {"Status": 200, "Message": "OK"}
    assert srv.log_count(endpoint="dispatcher/refetch-profile", account=USER) == 1
    srv.state.set_online(USER, "dev-1", False)
    answer = api.admin("dispatcher/refetch-profile", TargetID=tid)
    assert answer.http_status == 400 and answer.body["Status"] == 400
    answer = api.admin("dispatcher/refetch-profile")
    assert answer.http_status == 400 and "TargetID" in answer.body["Message"]
    srv.state.set_online(USER, "dev-1", True)
    assert tid in api.admin("dispatcher/list-active").body


def test_jobs_by_user_and_date_range(srv, api):
    srv.state.add_user("dept-lab", "lab-password")
    srv.state.add_device(USER, "dev-1", "lts22", platform=LINUX)
    srv.state.add_device("dept-lab", "dev-lab", "lab-pc", platform=LINUX)
    a = srv.state.add_job(USER, "dev-1", status=5000, start_time=1000, end_time=1600)
    b = srv.state.add_job(USER, "dev-1", status=7001, start_time=5000, end_time=5600)
    c = srv.state.add_job("dept-lab", "dev-lab", status=7004, start_time=1500, end_time=1500)
    d = srv.state.add_job("dept-lab", "dev-lab", status=6001, start_time=9000, end_time=0)

    def guids(answer):
        assert answer.http_status == 200, answer
        return sorted(j["GUID"] for j in answer.body)

    assert guids(api.admin("get-jobs-for-user", TargetUser=USER)) == sorted([a, b])
    assert guids(api.admin("get-jobs-for-date-range", Start="1200", End="1600")) == sorted([a, c])  # started or ended
    assert guids(api.admin("get-jobs-for-date-range", Start="1550", End="1700")) == [a]               # ended in range
    assert guids(api.admin("get-jobs-for-date-range", Start="0", End="0")) == [d]                     # unfinished
    assert guids(api.admin("get-jobs-for-date-range", Start="8000", End="10000")) == [d]
    job = api.admin("get-jobs-for-user", TargetUser="dept-lab").body
    job = [j for j in job if j["GUID"] == c][0]
    for key in ("GUID", "Username", "Classification", "Status", "StartTime", "EndTime", "SourceGUID", "DestinationGUID",
                "DeviceID", "TotalFiles", "TotalSize", "UploadSize", "DownloadSize"):
        assert key in job
    assert job["Status"] == 7004 and job["Classification"] == 4001 and job["DeviceID"] == "dev-lab"


def test_job_log_entries(srv, api, tmp_path):
    """get-job-log-entries (the Go SDK's AdminGetJobLogEntries): [JobEntry {Time, Severity, Message}], MinSeverity keeps
    that severity and the higher ones (D < I < W < E), MessageContains an exact substring; seeded through the state, a
    fixture's job "log" or POST /_standin/job-log; kept in the state file."""
    srv.state.add_device(USER, "dev-1", "mac", platform={"os": "darwin", "version": "11.7"})
    quiet = srv.state.add_job(USER, "dev-1", status=5000, start_time=1000, end_time=1600)
    job = srv.state.add_job(USER, "dev-1", status=7001, start_time=5000, end_time=5600, log=[
        {"Time": 5000, "Severity": "I", "Message": "Starting backup", "Extra": 1},
        {"Severity": "W", "Message": "Reading subdirectories of <Users/pnom/Desktop>: Open: open /Users/pnom/Desktop: "
                                     "operation not permitted"},
        {"Time": 5590, "Severity": "E", "Message": "Failed to initialize Storage Vault: config file already exists"},
        {"Time": 5599, "Severity": "D", "Message": "debug"},
    ])
    answer = api.admin("get-job-log-entries", JobID=job)
    assert answer.http_status == 200, answer
    assert [(e["Time"], e["Severity"]) for e in answer.body] == [(5000, "I"), (5600, "W"), (5590, "E"), (5599, "D")]
    assert answer.body[0] == {"Time": 5000, "Severity": "I", "Message": "Starting backup", "Extra": 1}  # unknown fields kept
    assert [e["Severity"] for e in api.admin("get-job-log-entries", JobID=job, MinSeverity="W").body] == ["W", "E"]
    assert [e["Severity"] for e in api.admin("get-job-log-entries", JobID=job, MinSeverity="I").body] == ["I", "W", "E"]
    assert [e["Time"] for e in api.admin("get-job-log-entries", JobID=job, MessageContains="Storage Vault").body] == [5590]
    assert api.admin("get-job-log-entries", JobID=job, MessageContains="storage vault").body == []  # exact text
    assert api.admin("get-job-log-entries", JobID=quiet).body == []
    assert srv.log[-1]["account"] == USER and srv.log[-1]["endpoint"] == "get-job-log-entries"
    for params, word in (({"JobID": "no-such-job"}, "Job not found"), ({}, "JobID"),
                         ({"JobID": job, "MinSeverity": "WARNING"}, "MinSeverity")):
        answer = api.admin("get-job-log-entries", **params)
        assert answer.http_status == 400 and word in answer.body["Message"], (params, answer)

    # the control endpoint replaces a job's log; a bad entry is refused (400) and changes nothing
    assert api.control("job-log", {"job": quiet, "entries": [{"Time": 1600, "Severity": "E", "Message": "x509: "
                                                              "certificate has expired or is not yet valid"}]}).http_status == 200
    assert [e["Message"][:5] for e in api.admin("get-job-log-entries", JobID=quiet).body] == ["x509:"]
    for bad in ([{"Severity": "X", "Message": "m"}], [{"Time": "yesterday", "Severity": "E", "Message": "m"}], ["text"]):
        assert api.control("job-log", {"job": quiet, "entries": bad}).http_status == 400, bad
    assert api.control("job-log", {"job": "no-such-job", "entries": []}).http_status == 400
    assert len(api.admin("get-job-log-entries", JobID=quiet).body) == 1

    # a fixture job's "log" (Time relative like the fixture's times), and the state file round trip
    srv.state.load_fixture({"jobs": [{"account": USER, "device": "dev-1", "status": 7002, "start": 7000, "end": 7600,
                                      "guid": "job-fixture", "log": [{"Severity": "E", "Message": "boom"}]}]})
    assert api.admin("get-job-log-entries", JobID="job-fixture").body == [{"Time": 7600, "Severity": "E", "Message": "boom"}]
    path = str(tmp_path / "state.json")
    srv.state.save(path)
    from comet_server.state import State
    again = State()
    again.load(path)
    assert again.api_job_log_entries(job, "E") == (USER, [answer.body[0] for answer in [api.admin(
        "get-job-log-entries", JobID=job, MinSeverity="E")]])
    assert again.api_job_log_entries("job-fixture")[1][0]["Message"] == "boom"


def test_policies(srv, api):
    srv.state.add_policy("pol-unil", {"Description": "UNIL", "Policy": {"PreventDeleteProtectedItem": True},
                                      "UnknownPolicyField": 1})
    assert api.admin("policies/list").body == {"pol-unil": "UNIL"}
    got = api.admin("policies/get", PolicyID="pol-unil").body
    assert got["Status"] == 200 and got["Policy"]["UnknownPolicyField"] == 1 and got["PolicyHash"]
    new = dict(got["Policy"], Description="UNIL v2")
    answer = api.admin("policies/set", PolicyID="pol-unil", Policy=json.dumps(new), CheckPolicyHash=got["PolicyHash"])
    assert answer.body == {"Status": 200, "Message": "OK"}
    assert srv.state.get_policy("pol-unil") == new
    answer = api.admin("policies/set", PolicyID="pol-unil", Policy=json.dumps(got["Policy"]), CheckPolicyHash=got["PolicyHash"])
    assert answer.http_status == 200 and answer.body["Status"] == 409
    assert srv.state.get_policy("pol-unil") == new
    answer = api.admin("policies/get", PolicyID="missing")
    assert answer.http_status == 400
    answer = api.admin("policies/set", PolicyID="pol-unil", Policy="[1]")
    assert answer.http_status == 400 and "Policy" in answer.body["Message"]


def test_policies_stored_typed_as_comet_does(srv, api):
    """A GroupPolicy is decoded into Comet's typed struct and encoded again: zero values of omitempty fields dropped,
    absent ones at their zero value, unknown fields kept; a wrong type refused (JSON Status under HTTP 200)."""
    srv.state.add_policy("pol", {"Description": "UNIL", "Policy": {}})
    got = api.admin("policies/get", PolicyID="pol").body
    policy = got["Policy"]
    assert policy["DefaultUserPolicy"] is False and policy["CreatedDate"] == 0  # not omitempty: present at zero
    exclusion = {"Exclude": ".*/Library/Caches/.*", "Regex": True, "RestrictOS": 4, "ZZFuture": "kept"}
    new = dict(policy, Policy=dict(policy["Policy"], FileAndFolderMandatoryExclusions=[exclusion]))
    answer = api.admin("policies/set", PolicyID="pol", Policy=json.dumps(new), CheckPolicyHash=got["PolicyHash"])
    assert answer.body["Status"] == 200, answer.body
    stored = srv.state.get_policy("pol")["Policy"]["FileAndFolderMandatoryExclusions"]
    assert stored == [exclusion]
    before = srv.state.get_policy("pol")
    wrong = dict(new, Policy=dict(new["Policy"], FileAndFolderMandatoryExclusions=[dict(exclusion, RestrictOS="macos")]))
    answer = api.admin("policies/set", PolicyID="pol", Policy=json.dumps(wrong))
    assert answer.http_status == 200 and answer.body["Status"] == 400 and "RestrictOS" in answer.body["Message"]
    assert srv.state.get_policy("pol") == before


def test_generate_client_serves_registered_file(srv, api, tmp_path):
    data = bytes(range(256)) * 1000 + b"#!/bin/sh\n"
    path = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    path.write_bytes(data)
    srv.installer_files["linuxgeneric"] = str(path)
    answer = api.admin("branding/generate-client/linuxgeneric", SelfAddress=srv.url)
    assert answer.http_status == 200 and answer.raw == data
    assert answer.headers["Content-Type"] == "application/octet-stream"
    answer = api.admin("branding/generate-client/macos-arm64")
    assert answer.http_status == 404 and answer.body["Status"] == 404 and answer.body["Message"]
    answer = api.admin("branding/generate-client/linuxgeneric", auth=False)
    assert answer.http_status == 403 and answer.raw != data


def test_create_install_token(srv, api):
    answer = api.admin("create-install-token", TargetUser=USER, TargetPassword=USER_PASSWORD, Server=srv.url)
    assert answer.body["Status"] == 200
    token = answer.body["InstallToken"]
    assert token["Username"] == USER and token["Server"] == srv.url and token["Token"] and token["Used"] is False
    assert token["ExpireTime"] > token["CreateTime"]
    answer = api.admin("create-install-token", TargetUser=USER, TargetPassword="wrong-Pw-1")
    assert answer.http_status == 400 and b"wrong-Pw-1" not in answer.raw
    # the token logs a client in once
    first = api.user("web/session/start", Username=USER, AuthType="InstallToken", InstallToken=token["Token"])
    assert first.body["Status"] == 200 and first.body["SessionKey"]
    second = api.user("web/session/start", Username=USER, AuthType="InstallToken", InstallToken=token["Token"])
    assert second.http_status == 403
    assert token["Token"] not in json.dumps(srv.state.to_dict())
