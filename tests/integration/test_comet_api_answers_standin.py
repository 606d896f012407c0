# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""get-job-properties over real HTTP against the Comet Server stand-in (issue 23): a job whose Status is a failed
job's (7000 FAILED_TIMEOUT, 7002 FAILED_ERROR) is read as a job, as the Go SDK reads a BackupJobDetail; an unknown
job (the stand-in's {"Status": 400, "Message": "Job not found"}) and a wrong admin password are errors."""
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils._comet_api import (
    CometAdminClient,
    CometApiError,
    CometAuthError,
)

ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Pw-answers-itest"
ACCOUNT = "pnom"


@pytest.fixture
def server(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "user-Secret-1")
    srv.state.add_device(ACCOUNT, "dev-1", "lts22", platform={"os": "linux"}, client_version="24.6.0")
    srv.reset_log()
    return srv


def _client(srv, password=ADMIN_PASSWORD, tmp_path=None):
    return CometAdminClient(srv.url, ADMIN, password, lock_dir=str(tmp_path), retries=0, breaker_timeouts=0)


@pytest.mark.parametrize("status", [7000, 7002, 5000, 6001])
def test_job_properties_of_a_job_whatever_its_status(server, tmp_path, status):
    guid = server.state.add_job(ACCOUNT, "dev-1", status, 1700000000, end_time=1700000100 if status != 6001 else 0)
    job = _client(server, tmp_path=tmp_path).job_properties(guid)
    assert job["GUID"] == guid and job["Status"] == status and job["DeviceID"] == "dev-1"
    assert server.log_count("get-job-properties") == 1


def test_job_properties_of_an_unknown_job(server, tmp_path):
    with pytest.raises(CometApiError) as err:
        _client(server, tmp_path=tmp_path).job_properties("no-such-job")
    assert err.value.status == 400 and "Job not found" in str(err.value)
    assert server.log_count("get-job-properties") == 1


def test_jobs_for_user_with_failed_jobs(server, tmp_path):
    guids = {server.state.add_job(ACCOUNT, "dev-1", status, 1700000000 + status, end_time=1700009999)
             for status in (7000, 7005, 5000)}
    jobs = _client(server, tmp_path=tmp_path).jobs_for_user(ACCOUNT)
    assert {job["GUID"] for job in jobs} == guids


def test_a_wrong_admin_password_is_refused(server, tmp_path):
    with pytest.raises(CometAuthError):
        _client(server, password="wrong-Password-1", tmp_path=tmp_path).job_properties("no-such-job")
