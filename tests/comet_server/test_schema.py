# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stand-in is as strict as the real server: typed ProfileData (schema from the Go SDK), chunked bodies."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.parse

import pytest

from comet_server import schema
from comet_server.schema import generate_schema

from .conftest import ADMIN, ADMIN_PASSWORD, USER

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(HERE, "schema")
GENERATOR = os.path.join(SCHEMA_DIR, "generate_schema.py")
SNIPPET = os.path.join(SCHEMA_DIR, "fixtures", "snippet.go")
SNIPPET_SCHEMA = os.path.join(SCHEMA_DIR, "fixtures", "snippet_schema.json")


# ---------------------------------------------------------------------- helpers
def read(api):
    return api.admin("get-user-profile-and-hash", TargetUser=USER).body


def write(api, profile, require=None):
    return api.admin("set-user-profile-hash", TargetUser=USER, ProfileData=json.dumps(profile),
                     RequireHash=require or read(api)["ProfileHash"])


def with_rule(profile, rule):
    """A copy of ``profile`` with one backup rule."""
    profile = json.loads(json.dumps(profile))
    profile["BackupRules"] = {"rule-1": rule}
    return profile


# ---------------------------------------------------------------------- the generated schema
def test_schema_covers_the_profile_and_everything_reachable():
    s = schema.load()
    assert s.data["format"] == "comet-schema/1"
    assert s.data["stats"]["structs"] == len(s.structs) >= 200
    seen, todo = set(), ["UserProfileConfig"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for field in s.structs[name]["fields"]:
            for ref in generate_schema._type_names(s.resolve(field["type"])):
                ref = s.resolve(ref)
                if ref in s.structs:
                    todo.append(ref)
                else:
                    assert ref in s.named or ref in generate_schema.BASIC, ref
    for name in ("SourceConfig", "BackupRuleConfig", "ScheduleConfig", "BackupRuleEventTriggers",
                 "DestinationConfig", "DeviceConfig", "OSInfo", "UserPolicy", "RetentionPolicy"):
        assert name in seen, name
        assert s.structs[name]["unknown_fields"], name
    triggers = dict((f["json"], f) for f in s.structs["BackupRuleEventTriggers"]["fields"])
    assert triggers["OnPCBoot"] == {"go": "OnPCBoot", "json": "OnPCBoot", "type": "bool", "omitempty": True}
    assert triggers["LastJobFailDoRetryTime"]["type"] == "uint64"
    osinfo = [f["json"] for f in s.structs["OSInfo"]["fields"]]
    assert osinfo == ["version", "distribution", "build", "os", "arch"]
    live = dict((f["json"], f) for f in s.structs["LiveUserConnection"]["fields"])
    assert live["ReportedPlatform"]["type"] == "string" and live["ReportedPlatformVersion"]["type"] == "OSInfo"


def test_generator_reproduces_the_committed_snippet_schema(tmp_path):
    out = tmp_path / "snippet.json"
    subprocess.run([sys.executable, GENERATOR, SNIPPET, "--out", str(out)], check=True, capture_output=True)
    with open(SNIPPET_SCHEMA, encoding="utf-8") as f:
        committed = f.read()
    assert out.read_text(encoding="utf-8") == committed
    data = json.loads(committed)
    rule = dict((f["json"], f) for f in data["structs"]["Rule"]["fields"])
    # embedded Base promoted (its Shadow hidden by the outer one), unexported and json:"-" fields left out
    assert list(rule)[:4] == ["ID", "Shadow", "Name", "Note"] and rule["Shadow"]["type"] == "string"
    assert "private" not in rule and "Ignored" not in rule
    assert rule["tags"] == {"go": "Tags", "json": "tags", "type": "[]string", "omitempty": True}
    assert rule["Next"]["type"] == "*Rule" and rule["ByDay"]["type"] == "map[int64]Triggers"
    assert rule["url"]["type"] == "string" and rule["Count"]["string"] is True
    assert data["structs"]["Rule"]["unknown_fields"] and not data["structs"]["Base"]["unknown_fields"]
    assert data["structs"]["Plain"]["fields"][0] == {"go": "Base", "json": "Base", "type": "*Base", "omitempty": True,
                                                     "embedded": True}
    assert data["named"] == {"Alias": "string", "RetryCount": "uint64", "TriggerMap": "map[string]Triggers"}
    assert "NotAType" not in data["structs"] and "Fake" not in data["structs"]
    assert data["stats"] == {"structs": 5, "fields": 21, "named": 3}
    # --check: up to date, and a stale file is reported
    assert subprocess.run([sys.executable, GENERATOR, SNIPPET, "--out", str(out), "--check"], check=False).returncode == 0
    out.write_text("{}\n")
    assert subprocess.run([sys.executable, GENERATOR, SNIPPET, "--out", str(out), "--check"],
                          capture_output=True, check=False).returncode == 1


def test_generator_refuses_what_it_cannot_read():
    with pytest.raises(generate_schema.GoParseError):
        generate_schema.build_schema("type A struct {\n\tB Missing\n}\n")
    with pytest.raises(generate_schema.GoParseError):
        generate_schema.build_schema("type A struct {\n\tB struct {\n\t\tC int\n\t}\n}\n")


def _sdk_source():
    path = os.environ.get("COMET_GO_SDK")
    if path and os.path.isfile(path):
        return path
    return None


@pytest.mark.skipif(_sdk_source() is None, reason="set COMET_GO_SDK=/path/to/comet-go-sdk/cometsdk.go to check")
def test_committed_schema_is_what_the_sdk_gives(tmp_path):
    out = tmp_path / "schema.json"
    ref = schema.load().data["source"].get("ref")
    args = [sys.executable, GENERATOR, _sdk_source(), "--out", str(out)] + (["--source-ref", ref] if ref else [])
    subprocess.run(args, check=True, capture_output=True)
    with open(schema.SCHEMA_PATH, encoding="utf-8") as f:
        assert out.read_text(encoding="utf-8") == f.read()


# ---------------------------------------------------------------------- the codec
def test_codec_rules():
    s = schema.load()
    assert s.normalize("BackupRuleEventTriggers", {"OnPCBoot": False, "LastJobFailDoRetryCount": 0}) == {}
    assert s.normalize("BackupRuleEventTriggers", None) == {}
    assert s.normalize("OSInfo", {"os": "linux", "version": "", "Extra": ""}) == {"os": "linux", "Extra": ""}
    assert s.normalize("ScheduleConfig", {"FrequencyType": 8001, "Offset": 0})["FrequencyType"] == 8001
    assert "Offset" not in s.normalize("ScheduleConfig", {"FrequencyType": 8001, "Offset": 0})
    rule = s.normalize("BackupRuleConfig", {"Source": "s", "Schedules": None, "PreExec": []})
    assert rule["Schedules"] is None and rule["PreExec"] == [] and rule["EventTriggers"] == {}
    source = s.normalize("SourceConfig", {"Engine": "engine1/file", "OverrideDestinationRetention": {}})
    assert "OverrideDestinationRetention" not in source  # omitempty drops an empty map
    assert source["Statistics"]["LastBackupJob"]["Status"] == 0  # a struct is never omitted
    assert s.normalize("float64", 2.0) == 2 and s.normalize("[]byte", "aGk=") == "aGk="
    bad = [("bool", 1), ("bool", "true"), ("string", 5), ("int", "5"), ("int", 1.5), ("int", True), ("uint64", -1),
           ("int64", 2 ** 63), ("uint8", 256), ("int", None), ("[]string", "a"), ("[]string", [1]),
           ("map[string]string", []), ("OSInfo", "linux"), ("OSInfo", []), ("BackupRuleConfig", 3),
           ("[]byte", "not base64!"), ("map[int64]B2TransactionTotals", {"x": {}})]
    for gtype, value in bad:
        with pytest.raises(schema.SchemaError):
            s.normalize(gtype, value)
    with pytest.raises(schema.SchemaError) as info:
        s.normalize("UserProfileConfig", {"BackupRules": {"r1": {"EventTriggers": {"LastJobFailDoRetryTime": "30"}}}})
    assert info.value.path == "BackupRules.r1.EventTriggers.LastJobFailDoRetryTime"


# ---------------------------------------------------------------------- over HTTP
@pytest.mark.parametrize("path, value, where", [
    ("EventTriggers", {"LastJobFailDoRetryCount": "3"}, "LastJobFailDoRetryCount"),   # a string for an int
    ("EventTriggers", {"OnPCBoot": 1}, "OnPCBoot"),                                   # a number for a bool
    ("EventTriggers", ["OnPCBoot"], "EventTriggers"),                                 # a list for a struct
    ("EventTriggers", {"LastJobFailDoRetryTime": 1.5}, "LastJobFailDoRetryTime"),     # not a whole number
    ("EventTriggers", {"LastJobFailDoRetryTime": -30}, "LastJobFailDoRetryTime"),     # negative for a uint64
    ("Schedules", {"FrequencyType": 8001}, "Schedules"),                              # an object for a list
    ("Schedules", [{"SecondsPast": "3600"}], "SecondsPast"),
    ("Source", 12, "Source"),                                                         # a number for a string
])
def test_wrong_type_is_refused_and_nothing_is_written(srv, api, path, value, where):
    before = read(api)
    profile = with_rule(before["Profile"], {"Source": "src-1", "Destination": "vault"})
    profile["BackupRules"]["rule-1"][path] = value
    assert before == read(api)
    answer = write(api, profile, before["ProfileHash"])
    # the real API answers it as a JSON error under HTTP 200
    assert answer.http_status == 200 and answer.body["Status"] == 400, answer
    assert "ProfileData" in answer.body["Message"] and where in answer.body["Message"]
    assert read(api) == before  # profile and hash unchanged
    assert srv.log[-2]["endpoint"] == "set-user-profile-hash" and srv.log[-2]["status"] == 400
    answer = api.admin("set-user-profile", TargetUser=USER, ProfileData=json.dumps(profile))
    assert answer.http_status == 200 and answer.body["Status"] == 400, answer
    assert read(api) == before


def test_wrong_type_at_the_top_and_in_devices(srv, api):
    before = read(api)
    for key, value in (("SendEmailReports", "false"), ("MaximumDevices", "5"), ("Emails", "a@b.c"),
                       ("Destinations", []), ("Devices", {"d": {"PlatformVersion": "linux"}}), ("Policy", 0)):
        profile = dict(before["Profile"], **{key: value})
        answer = write(api, profile, before["ProfileHash"])
        assert answer.http_status == 200 and answer.body["Status"] == 400 and key in answer.body["Message"], answer
    assert read(api) == before


def test_omitempty_zero_values_are_dropped_on_read_back(srv, api):
    before = read(api)
    profile = with_rule(before["Profile"], {
        "Source": "src-1", "Destination": "vault",
        "EventTriggers": {"OnPCBoot": False, "OnLastJobFailDoRetry": False, "LastJobFailDoRetryCount": 0,
                          "LastJobFailDoRetryTime": 0},
        "Schedules": [{"FrequencyType": 8003, "SecondsPast": 7200, "Offset": 0, "RandomDelaySecs": 0}],
    })
    profile["Sources"] = {"src-1": {"Engine": "engine1/file", "OwnerDevice": "dev-1",
                                    "OverrideDestinationRetention": {}, "EngineProps": {"INCLUDE0": "/home"}}}
    profile["OrganizationID"] = ""
    answer = write(api, profile, before["ProfileHash"])
    assert answer.http_status == 200 and answer.body["Status"] == 200, answer
    stored = read(api)["Profile"]
    rule = stored["BackupRules"]["rule-1"]
    assert rule["EventTriggers"] == {}
    assert rule["Schedules"][0]["FrequencyType"] == 8003 and rule["Schedules"][0]["SecondsPast"] == 7200
    assert rule["Schedules"][0]["DaysSelect"]["Monday"] is False  # a struct field absent: its zero struct
    assert "Offset" not in rule["Schedules"][0] and "RandomDelaySecs" not in rule["Schedules"][0]
    assert "OverrideDestinationRetention" not in stored["Sources"]["src-1"]
    assert "OrganizationID" not in stored
    # fields without omitempty are always there, at their zero value when not written
    assert rule["SkipAlreadyRunning"] is False and rule["StopAfter"] == 0 and rule["Description"] == ""

    # true and non-zero values are kept; null leaves a field at its zero value
    rule = dict(rule, EventTriggers={"OnPCBoot": True, "OnLastJobFailDoRetry": True, "LastJobFailDoRetryCount": 3,
                                     "LastJobFailDoRetryTime": 30}, Description=None)
    answer = write(api, with_rule(stored, rule))
    assert answer.body["Status"] == 200, answer
    again = read(api)["Profile"]["BackupRules"]["rule-1"]
    assert again["EventTriggers"] == rule["EventTriggers"] and again["Description"] == ""


def test_unknown_fields_are_kept_at_every_level(srv, api):
    before = read(api)
    profile = with_rule(before["Profile"], {"Source": "src-1", "ZZFutureRuleField": {"a": [1, None]},
                                            "EventTriggers": {"OnPCBoot": True, "ZZFutureTrigger": False},
                                            "Schedules": [{"FrequencyType": 8001, "ZZFutureSched": ""}]})
    profile["ZZFutureTop"] = 0
    profile["onPCBoot"] = True  # field names match case-sensitively: this one is unknown, kept as is
    answer = write(api, profile, before["ProfileHash"])
    assert answer.body["Status"] == 200, answer
    stored = read(api)["Profile"]
    rule = stored["BackupRules"]["rule-1"]
    assert rule["ZZFutureRuleField"] == {"a": [1, None]}
    assert rule["EventTriggers"] == {"OnPCBoot": True, "ZZFutureTrigger": False}  # unknown zeros are not dropped
    assert rule["Schedules"][0]["ZZFutureSched"] == ""
    assert stored["ZZFutureTop"] == 0 and stored["onPCBoot"] is True
    # a write of what was read changes nothing but the hash
    again = read(api)
    assert write(api, again["Profile"], again["ProfileHash"]).body["Profile"] == again["Profile"]


def test_stand_in_profiles_are_stored_as_comet_would(srv, api):
    profile = read(api)["Profile"]
    assert profile == schema.normalize("UserProfileConfig", profile)
    assert "OrganizationID" not in profile and profile["GroupID"] == ""
    srv.state.add_device(USER, "dev-1", "lts22", platform={"os": "linux", "arch": "amd64"})
    device = read(api)["Profile"]["Devices"]["dev-1"]
    assert device["PlatformVersion"] == {"os": "linux", "arch": "amd64"}
    with pytest.raises(ValueError):
        srv.state.set_profile(USER, dict(profile, MaximumDevices="3"))


def test_register_device_platform_is_typed(srv, api):
    key = api.user("web/session/start", Username=USER, AuthType="Password", Password="Us3r-S3cret-kw").body["SessionKey"]
    answer = api.user("register-device", Username=USER, AuthType="SessionKey", SessionKey=key, DeviceID="d1",
                      FriendlyName="h", ReportedPlatform=json.dumps({"os": 3}), ReportedVersion="24.6.0")
    assert answer.http_status == 400 and "ReportedPlatform" in answer.body["Message"]


# ---------------------------------------------------------------------- HTTP/1.1 chunked request bodies
def _raw(srv, request, read_two=False):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            if not read_two and _complete(data):
                break
            if read_two and data.count(b"HTTP/1.1 ") >= 2 and _complete(data.rsplit(b"HTTP/1.1 ", 1)[1]):
                break
    return data


def _complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def _answers(data):
    out = []
    while data:
        head, dummy, rest = data.partition(b"\r\n\r\n")
        length = [int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
        out.append((int(head.split(b" ")[1]), json.loads(rest[:length].decode("utf-8"))))
        data = rest[length:]
    return out


def _chunked(body, sizes=(7, 1, 50)):
    out, i = b"", 0
    for size in sizes:
        piece = body[i:i + size]
        if not piece:
            break
        out += b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n"
        i += size
    if body[i:]:
        out += b"%X\r\n" % len(body[i:]) + body[i:] + b"\r\n"
    return out + b"0\r\nX-Trailer: t\r\n\r\n"


def _form(**params):
    return urllib.parse.urlencode(dict(dict(Username=ADMIN, AuthType="Password", Password=ADMIN_PASSWORD),
                                       **params)).encode("utf-8")


def test_chunked_request_body_is_accepted(srv, api):
    body = _form(TargetUser=USER)
    head = (b"POST /api/v1/admin/get-user-profile-hash HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Go-http-client/1.1\r\n"
            b"Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n")
    # two requests on one keep-alive connection: the chunked body is read exactly, nothing is left behind
    data = _raw(srv, head + _chunked(body) + head + _chunked(body, sizes=(len(body),)), read_two=True)
    answers = _answers(data)
    assert [a[0] for a in answers] == [200, 200]
    assert answers[0][1]["ProfileHash"] == srv.state.profile_hash(USER) == answers[1][1]["ProfileHash"]

    # a write in a chunked body, as the Go SDK sends it
    read_back = read(api)
    profile = with_rule(read_back["Profile"], {"Source": "s", "EventTriggers": {"OnPCBoot": False}})
    body = _form(TargetUser=USER, ProfileData=json.dumps(profile), RequireHash=read_back["ProfileHash"])
    head = (b"POST /api/v1/admin/set-user-profile-hash HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n")
    (status, answer), = _answers(_raw(srv, head + _chunked(body, sizes=(100, 1000, 3))))
    assert status == 200 and answer["Status"] == 200, answer
    assert srv.state.get_profile(USER)["BackupRules"]["rule-1"]["EventTriggers"] == {}


@pytest.mark.parametrize("headers, body, status", [
    (b"Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n", 400),             # not a hex size
    (b"Transfer-Encoding: chunked\r\n", b"5\r\nab", 400),                             # truncated
    (b"Transfer-Encoding: chunked\r\n", b"3\r\nabcXX0\r\n\r\n", 400),                 # no CRLF after the data
    (b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n", 501),                     # not supported
    (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n", 400),      # both: refused
])
def test_malformed_chunked_bodies_are_refused(srv, headers, body, status):
    request = (b"POST /api/v1/admin/meta/version HTTP/1.1\r\nHost: x\r\n" + headers
               + b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + body)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request)
        if body.endswith(b"ab"):
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while not _complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    (got, answer), = _answers(data)
    assert got == status and answer["Status"] == status
