# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How an answer is judged (issue 23): as the Go SDK does (cometsdk.go, CometAPIClient.Request) - an error is a
{Status, Message} with Status >= 400 and a Message; a job (BackupJobDetail) whose Status is a JOB_STATUS_ (7000
FAILED_TIMEOUT, 7002 FAILED_ERROR, 5000 STOP_SUCCESS) is read fine; an endpoint answering a {Status, Message}
envelope fails on Status >= 400 even without a Message."""
from __future__ import annotations

import json

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_api as api


class _Answer:
    def __init__(self, body):
        self.body = body

    @staticmethod
    def getcode():
        return 200

    def read(self):
        return self.body

    def close(self):
        pass


class _Transport:
    """Stands in for ansible.module_utils.urls.Request: every request answered HTTP 200 with ``answer``."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []

    def open(self, method, url, data=None, **kwargs):
        self.requests.append((method, url.split("/api/v1/admin/", 1)[1], data))
        return _Answer(json.dumps(self.answer).encode("utf-8"))


def make_client(answer):
    client = api.CometAdminClient("https://comet.example.test/", "admin", "Adm1n-Pw", sleep=lambda s: None,
                                  breaker_timeouts=0)
    client._request = _Transport(answer)  # pylint: disable=protected-access
    return client


JOB = {"GUID": "job-1", "Username": "pnom", "Classification": 4001, "Status": 7000, "StartTime": 1700000000,
       "EndTime": 1700000100, "SourceGUID": "src", "DestinationGUID": "dst", "DeviceID": "dev-1"}


@pytest.mark.parametrize("endpoint, answer, status_answer, expected", [
    # a job's Status is its JOB_STATUS_, never an API error
    ("get-job-properties", JOB, None, None),
    ("get-job-properties", dict(JOB, Status=7002), None, None),
    ("get-job-properties", dict(JOB, Status=5000), None, None),
    # a future field called Message on a job does not make it an error
    ("get-job-properties", dict(JOB, Message="Timed out"), None, None),
    ("get-job-properties", {"Status": 400, "Message": "Job not found"}, None, (400, "Job not found")),
    ("get-jobs-for-user", [JOB, dict(JOB, GUID="job-2", Status=7005)], None, None),
    # the SDK's rule on any endpoint: Status >= 400 and a Message
    ("get-user-profile", {"Status": 403, "Message": "Authentication failed"}, None, (403, "Authentication failed")),
    ("meta/version", {"Status": 500, "Message": ""}, None, None),
    ("meta/version", {"Status": 200, "Message": "OK"}, None, None),
    ("meta/version", {"Status": "500", "Message": "x"}, None, None),     # not an int: not a response message
    ("meta/version", {"Status": True, "Message": "x"}, None, None),
    ("meta/version", {"Status": 399, "Message": "x"}, None, None),
    # endpoints answering the envelope itself: Status >= 400 fails without a Message too
    ("dispatcher/run-backup", {"Status": 500, "Message": "", "JobID": ""}, None, (500, "")),
    ("set-user-profile-hash", {"Status": 409}, None, (409, "")),
    ("revoke-device", {"Status": 400, "Message": "Device not found"}, None, (400, "Device not found")),
    # the caller says the endpoint answers a {Status, Message}
    ("some/new-endpoint", {"Status": 404}, True, (404, "")),
    ("some/new-endpoint", {"Status": 404}, None, None),
])
def test_answer_error(endpoint, answer, status_answer, expected):
    assert api.answer_error(endpoint, answer, status_answer) == expected


def test_a_job_with_status_7000_is_read_fine():
    client = make_client(JOB)
    assert client.call("get-job-properties", {"JobID": "job-1"}) == JOB
    assert client.job_properties("job-1")["Status"] == 7000
    sent = client._request.requests  # pylint: disable=protected-access
    assert [(endpoint, "JobID=job-1" in data) for dummy, endpoint, data in sent] == [("get-job-properties", True)] * 2


@pytest.mark.parametrize("endpoint", ["get-job-properties", "get-user-profile", "meta/version"])
def test_a_status_403_message_is_refused(endpoint):
    client = make_client({"Status": 403, "Message": "Permission denied for this admin"})
    with pytest.raises(api.CometAuthError) as err:
        client.call(endpoint)
    assert err.value.status == 403 and err.value.message == "Permission denied for this admin"


def test_a_status_400_message_is_an_api_error_once():
    client = make_client({"Status": 400, "Message": "Job not found"})
    with pytest.raises(api.CometApiError) as err:
        client.job_properties("nope")
    assert err.value.status == 400 and "Job not found" in str(err.value)
    assert len(client._request.requests) == 1  # pylint: disable=protected-access


def test_the_caller_says_the_endpoint_answers_a_response_message():
    client = make_client({"Status": 404})
    assert client.call("some/new-endpoint") == {"Status": 404}
    with pytest.raises(api.CometApiError) as err:
        client.call("some/new-endpoint", status_answer=True)
    assert err.value.status == 404


def test_a_lost_run_backup_without_message_is_an_unknown_outcome():
    """dispatcher/run-backup answers DispatchWithJobIDResponse: Status 500 is its own failure, even without a
    Message, and a write is sent once."""
    client = make_client({"Status": 500, "JobID": ""})
    with pytest.raises(api.CometOutcomeUnknown):
        client.run_backup("target-1", "rule-1")
    assert len(client._request.requests) == 1  # pylint: disable=protected-access


@pytest.mark.parametrize("body, expected", [
    (b'{"Status": 403, "Message": "Forbidden"}', "HTTP 403 Forbidden"),
    (b'{"Status": 500}', "HTTP 500 error"),
    (b'{"Status": 200, "Message": "OK"}', None),
    (b"\x7fELF...", None),
])
def test_error_in_a_download(body, expected):
    assert api.error_in_answer(body) == expected
