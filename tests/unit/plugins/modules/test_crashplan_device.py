# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""crashplan_device: main() in-process (real pycpg, real HTTP) against the CrashPlan server stand-in
(tests/crashplan_server), the module's pure decisions, the stand-in's own contract, and one ansible-playbook -vvv
run proving the password stays out of everything printed."""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.unil.backup.plugins.module_utils import _crashplan_server as logic
from ansible_collections.unil.backup.plugins.modules import crashplan_device

from crashplan_server import CrashPlanServerStandIn


USER = "ansible-cp"
PASSWORD = "Cp-pw-7Hq2-secret"
WRONG = "Wrong-pw-9Zx4-secret"
GUID_A = "941855493659205632"
GUID_B = "941855493659205633"
GUID_HOLD = "941855493659205634"
GUID_OLD = "841855493659200001"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SECRETS = (PASSWORD, WRONG, base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode(),
           base64.b64encode(("%s:%s" % (USER, WRONG)).encode()).decode())


@pytest.fixture
def cp():
    with CrashPlanServerStandIn(users={USER: PASSWORD}) as srv:
        srv.add_device(GUID_A, "lab-pc-1", os_hostname="lab-pc-1.unil.ch")
        srv.add_device(GUID_B, "lab-pc-2")
        srv.add_device(GUID_HOLD, "legal-pc", legal_hold=True)
        srv.add_device(GUID_OLD, "twin", active=False)
        srv.add_device("741855493659200002", "twin")
        yield srv
        assert_no_secret(srv.log_text(), "the stand-in's request log")


def assert_no_secret(text, where):
    for secret in SECRETS:
        assert secret not in text, "a password (or its Basic encoding) is in %s" % where


@pytest.fixture
def run(cp, capsys):
    def _run(args, check_mode=False, diff=True, credentials=True):
        full = dict(_ansible_check_mode=check_mode, _ansible_diff=diff)
        if credentials:
            full.update(server_url=cp.url, username=USER, password=PASSWORD)
        full.update(args)
        capsys.readouterr()
        module_warnings._global_warnings.clear()  # pylint: disable=protected-access
        module_warnings._global_deprecations.clear()  # pylint: disable=protected-access
        with patch_module_args(full):
            with pytest.raises(SystemExit):
                crashplan_device.main()
        captured = capsys.readouterr()
        assert_no_secret(captured.out + captured.err, "the module's output")
        return json.loads(captured.out)
    return _run


# ---------------------------------------------------------------------- the module against the stand-in
def test_deactivate_then_idempotent(run, cp):
    first = run(dict(device_guid=GUID_A))
    assert not first.get("failed"), first
    assert first["changed"] is True and first["action"] == "deactivate"
    assert first["device"] == {"computer_id": 1001, "guid": GUID_A, "name": "lab-pc-1", "os_hostname": "lab-pc-1.unil.ch",
                               "status": "Deactivated", "active": False}
    assert first["diff"] == {"before": {"guid": GUID_A, "status": "Active"}, "after": {"guid": GUID_A, "status": "Deactivated"}}
    assert cp.device(GUID_A)["active"] is False
    assert cp.device(GUID_B)["active"] is True, "another device was touched"
    assert [(w["path"], w["status"]) for w in cp.writes()] == [("/api/v38/computer-deactivation/update", 204)]

    second = run(dict(device_guid=GUID_A))
    assert not second.get("failed"), second
    assert second["changed"] is False and second["action"] == "none"
    assert second["device"]["status"] == "Deactivated"
    assert len(cp.writes()) == 1, "the second run wrote"


def test_check_mode_reports_and_writes_nothing(run, cp):
    result = run(dict(device_guid=GUID_B), check_mode=True)
    assert not result.get("failed"), result
    assert result["changed"] is True and result["action"] == "deactivate"
    assert result["device"]["status"] == "Deactivated"
    assert result["diff"]["before"]["status"] == "Active"
    assert cp.writes() == []
    assert cp.device(GUID_B)["active"] is True
    # and check mode on a deactivated device is ok
    run(dict(device_guid=GUID_B))
    again = run(dict(device_guid=GUID_B), check_mode=True)
    assert again["changed"] is False and len(cp.writes()) == 1


def test_reactivate(run, cp):
    result = run(dict(device_guid=GUID_OLD, state="active"))
    assert result["changed"] is True and result["action"] == "reactivate"
    assert cp.device(GUID_OLD)["active"] is True
    assert cp.writes()[-1]["path"] == "/api/v38/computer-deactivation/remove"
    assert run(dict(device_guid=GUID_OLD, state="active"))["changed"] is False


def test_by_name_and_hostname(run, cp):
    result = run(dict(device_name="LAB-PC-2"))
    assert result["changed"] is True and result["device"]["guid"] == GUID_B
    by_host = run(dict(device_name="lab-pc-1.unil.ch"))
    assert by_host["changed"] is True and by_host["device"]["guid"] == GUID_A
    # the loose server search also returned lab-pc-1 for "lab-pc-"; an inexact name is not a match
    miss = run(dict(device_name="lab-pc-"))
    assert miss["failed"] and "no device named 'lab-pc-'" in miss["msg"]


def test_ambiguous_name_fails_and_lists_guids(run, cp):
    result = run(dict(device_name="twin"))
    assert result["failed"]
    assert "matches 2 devices" in result["msg"] and GUID_OLD in result["msg"] and "device_guid" in result["msg"]
    assert cp.writes() == []


def test_unknown_device_fails_clearly(run, cp):
    result = run(dict(device_guid="123456789"))
    assert result["failed"]
    assert result["msg"] == "no device with GUID 123456789 on the CrashPlan server at %s" % cp.url
    assert cp.writes() == []


def test_wrong_password_fails_without_the_password(run, cp):
    result = run(dict(device_guid=GUID_A, password=WRONG))
    assert result["failed"]
    assert "refused the login of 'ansible-cp' (HTTP 401)" in result["msg"]
    assert WRONG not in json.dumps(result)
    assert cp.writes() == [] and cp.device(GUID_A)["active"] is True
    # the stand-in saw the login attempt and refused it
    assert [e["status"] for e in cp.log if e["path"] == "/api/v3/auth/jwt"] == [401, 401]


def test_unknown_user_fails(run, cp):
    result = run(dict(device_guid=GUID_A, username="nobody"))
    assert result["failed"] and "refused the login of 'nobody'" in result["msg"]


def test_legal_hold_fails_clearly(run, cp):
    result = run(dict(device_guid=GUID_HOLD))
    assert result["failed"] and "legal hold" in result["msg"]
    assert cp.device(GUID_HOLD)["active"] is True


def test_environment_fallbacks(run, cp, monkeypatch):
    monkeypatch.setenv("CRASHPLAN_SERVER_URL", cp.url)
    monkeypatch.setenv("CRASHPLAN_USERNAME", USER)
    monkeypatch.setenv("CRASHPLAN_PASSWORD", PASSWORD)
    result = run(dict(device_guid=GUID_A), credentials=False)
    assert not result.get("failed"), result
    assert result["changed"] is True


def test_missing_credentials_name_the_option(run, monkeypatch):
    for name in ("CRASHPLAN_SERVER_URL", "CRASHPLAN_USERNAME", "CRASHPLAN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    result = run(dict(device_guid=GUID_A), credentials=False)
    assert result["failed"] and "password" in result["msg"] and "server_url" in result["msg"]


@pytest.mark.parametrize("args, needle", [
    (dict(device_guid="../User/my"), "device_guid must be"),
    (dict(device_guid="1 2"), "device_guid must be"),
    (dict(device_name=""), "device_name must be"),
    (dict(device_guid=GUID_A, server_url="https://crashplan.example/console"), "server_url must be"),
    (dict(device_guid=GUID_A, server_url="crashplan.example"), "server_url must be"),
    (dict(device_guid=GUID_A, device_name="x"), "mutually exclusive"),
    (dict(), "one of the following is required"),
])
def test_bad_input_fails_before_any_request(run, cp, args, needle):
    result = run(args)
    assert result["failed"] and needle in result["msg"], result["msg"]
    assert cp.log == []


def test_server_url_with_credentials_is_refused_without_echoing_them(run, cp):
    result = run(dict(device_guid=GUID_A, server_url="https://%s:%s@crashplan.example" % (USER, PASSWORD)))
    assert result["failed"] and "server_url must be" in result["msg"]
    assert "%s@" % USER not in result["msg"]


def test_unreachable_server(run):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    result = run(dict(device_guid=GUID_A, server_url="http://127.0.0.1:%d" % port))
    assert result["failed"] and "cannot reach the CrashPlan server at http://127.0.0.1:%d to log in" % port in result["msg"]


def test_missing_pycpg_is_reported(run, monkeypatch):
    monkeypatch.setattr(crashplan_device, "PYCPG_IMPORT_ERROR", "Traceback: ImportError: No module named 'pycpg'")
    result = run(dict(device_guid=GUID_A))
    assert result["failed"] and "Failed to import the required Python library (pycpg)" in result["msg"]


def test_tls_validation(run, tmp_path):
    from comet_server import tls  # the Comet stand-in's throw-away CA and 127.0.0.1 certificate

    paths = tls.ensure_certificates(str(tmp_path / "certs"))
    with CrashPlanServerStandIn(users={USER: PASSWORD}, ssl_context=tls.server_context(paths)) as srv:
        srv.add_device(GUID_A, "tls-pc")
        base = dict(server_url=srv.url, username=USER, password=PASSWORD, device_guid=GUID_A)
        untrusted = run(dict(base))
        assert untrusted["failed"] and "TLS error talking to the CrashPlan server at %s to log in" % srv.url in untrusted["msg"]
        trusted = run(dict(base, ca_path=paths["ca"]), check_mode=True)
        assert not trusted.get("failed"), trusted
        assert trusted["changed"] is True
        unchecked = run(dict(base, validate_certs=False))
        assert not unchecked.get("failed"), unchecked
        assert srv.device(GUID_A)["active"] is False
        assert_no_secret(srv.log_text(), "the TLS stand-in's request log")


# ---------------------------------------------------------------------- pure decisions
@pytest.mark.parametrize("computer, active", [
    ({"active": True, "status": "Deactivated"}, True),  # the boolean wins
    ({"active": False, "status": "Active"}, False),
    ({"status": "Active"}, True),
    ({"status": "Active, Deauthorized"}, True),
    ({"status": "Deactivated"}, False),
    ({}, False),
])
def test_is_active(computer, active):
    assert logic.is_active(computer) is active


@pytest.mark.parametrize("active, state, action", [
    (True, "deactivated", "deactivate"), (False, "deactivated", None), (False, "active", "reactivate"), (True, "active", None)])
def test_plan(active, state, action):
    assert logic.plan({"active": active}, state) == action


def test_plan_refuses_unknown_state():
    with pytest.raises(logic.CrashPlanInputError, match="state must be one of deactivated, active"):
        logic.plan({"active": True}, "absent")


def test_pick_by_name_prefers_name_over_hostname():
    computers = [{"guid": "1", "name": "a", "osHostname": "b"}, {"guid": "2", "name": "b", "osHostname": "c"}]
    assert logic.pick_by_name(computers, "B")["guid"] == "2"
    assert logic.pick_by_name(computers, "c")["guid"] == "2"
    with pytest.raises(logic.CrashPlanInputError, match="no device named 'd'"):
        logic.pick_by_name(computers, "d")


def test_scrub():
    assert logic.scrub("x pw y pw", ["pw", "", None]) == "x ******** y ********"


# ---------------------------------------------------------------------- the stand-in's contract
def _http(url, method="GET", headers=None, body=None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # nosec - 127.0.0.1 stand-in
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_standin_is_strict_about_auth(cp):
    basic = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    assert _http(cp.url + "/api/v1/Computer/%s?idType=guid" % GUID_A)[0] == 401
    assert _http(cp.url + "/api/v1/Computer/%s?idType=guid" % GUID_A, headers={"Authorization": basic})[0] == 401
    assert _http(cp.url + "/api/v1/Computer/%s?idType=guid" % GUID_A, headers={"Authorization": "Bearer forged"})[0] == 401
    bad = "Basic " + base64.b64encode(("%s:%s" % (USER, WRONG)).encode()).decode()
    assert _http(cp.url + "/api/v3/auth/jwt?useBody=True", headers={"Authorization": bad})[0] == 401
    status, body = _http(cp.url + "/api/v3/auth/jwt?useBody=True", headers={"Authorization": basic})
    assert status == 200
    token = json.loads(body)["data"]["v3_user_token"]
    bearer = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    status, body = _http(cp.url + "/api/v1/Computer/%s?idType=guid" % GUID_A, headers=bearer)
    assert status == 200 and json.loads(body)["data"]["guid"] == GUID_A
    assert _http(cp.url + "/api/v38/computer-deactivation/update", "POST", bearer, b'{"id": "1001"}')[0] == 400
    assert _http(cp.url + "/api/v38/computer-deactivation/update", "POST", bearer, b'{"id": 99}')[0] == 404
    assert _http(cp.url + "/api/v38/computer-deactivation/update", "POST", bearer, b'{"id": 1001}')[0] == 204
    assert cp.device(GUID_A)["status"] == "Deactivated"
    assert token not in cp.log_text()
    assert "Authorization" not in cp.log_text()


def test_standin_search_pages(cp):
    for number in range(7):
        cp.add_device("55500%d" % number, "bulk-%d" % number)
    basic = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    token = json.loads(_http(cp.url + "/api/v3/auth/jwt?useBody=True", headers={"Authorization": basic})[1])["data"]["v3_user_token"]
    bearer = {"Authorization": "Bearer " + token}
    pages = [json.loads(_http(cp.url + "/api/v1/Computer?q=bulk&pgNum=%d&pgSize=3" % n, headers=bearer)[1])["data"] for n in (1, 2, 3)]
    assert [len(p["computers"]) for p in pages] == [3, 3, 1] and pages[0]["totalCount"] == 7
    deactivated = json.loads(_http(cp.url + "/api/v1/Computer?active=false", headers=bearer)[1])["data"]["computers"]
    assert [c["guid"] for c in deactivated] == [GUID_OLD]


# ---------------------------------------------------------------------- a real play, -vvv
@pytest.mark.slow
def test_playbook_vvv_never_prints_the_password(cp, tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Deactivate\n"
        "      unil.backup.crashplan_device:\n"
        "        device_guid: '%s'\n"
        "      register: first\n"
        "    - name: Again\n"
        "      unil.backup.crashplan_device:\n"
        "        device_guid: '%s'\n"
        "      register: second\n"
        "    - name: Wrong password\n"
        "      unil.backup.crashplan_device:\n"
        "        device_guid: '%s'\n"
        "        password: '%s'\n"
        "      register: third\n"
        "      failed_when: false\n"
        "    - name: Check\n"
        "      ansible.builtin.assert:\n"
        "        that:\n"
        "          - first is changed\n"
        "          - second is not changed\n"
        "          - third.msg is search('HTTP 401')\n" % (GUID_A, GUID_A, GUID_B, WRONG))
    env = dict(os.environ)
    env.update(CRASHPLAN_SERVER_URL=cp.url, CRASHPLAN_USERNAME=USER, CRASHPLAN_PASSWORD=PASSWORD,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "collections"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", str(playbook)],
                          env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert_no_secret(output, "ansible-playbook -vvv output")
    assert cp.device(GUID_A)["active"] is False and cp.device(GUID_B)["active"] is True
    print("ansible-playbook -vvv: %d bytes of output, %d requests to the stand-in" % (len(output), len(cp.log)))


@pytest.mark.slow
def test_role_deactivate_tasks(cp, tmp_path):
    """roles/crashplan_removal/tasks/deactivate.yml, as main.yml includes it: deactivated, then ok; a wrong password
    is reported with its reason and the password nowhere in the -vvv output; no GUID -> skipped with a reason."""
    def play(guid, password):
        return (
            "- hosts: localhost\n"
            "  gather_facts: false\n"
            "  vars:\n"
            "    crashplan_removal_server_url: '%s'\n"
            "    crashplan_removal_server_username: '%s'\n"
            "    crashplan_removal_server_password: '%s'\n"
            "    crashplan_removal_server_validate_certs: true\n"
            "  tasks:\n"
            "    - name: Deactivate\n"
            "      ansible.builtin.include_role:\n"
            "        name: unil.backup.crashplan_removal\n"
            "        tasks_from: deactivate.yml\n"
            "      vars:\n"
            "        _crashplan_removal_guid: '%s'\n"
            "    - name: Show\n"
            "      ansible.builtin.debug:\n"
            "        msg: \"RESULT={{ _crashplan_removal_server_deactivation | to_json }}\"\n" % (cp.url, USER, password, guid))

    def run_play(guid, password):
        playbook = tmp_path / "play.yml"
        playbook.write_text(play(guid, password))
        env = dict(os.environ)
        for name in ("CRASHPLAN_SERVER_URL", "CRASHPLAN_USERNAME", "CRASHPLAN_PASSWORD"):
            env.pop(name, None)
        env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "collections"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", str(playbook)],
                              env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output[-3000:]
        assert_no_secret(output, "ansible-playbook -vvv output")
        line = [x for x in output.splitlines() if '"msg": "RESULT=' in x][-1]
        return json.loads(json.loads("{%s}" % line.strip())["msg"][len("RESULT="):])

    first = run_play(GUID_A, PASSWORD)
    # the device's name on the CrashPlan server, as the server gave it (the run's summary names the device with it)
    assert first == {"enabled": True, "guid": GUID_A, "done": True, "changed": True, "status": "Deactivated", "error": "", "reason": "",
                     "name": "lab-pc-1"}
    assert cp.device(GUID_A)["active"] is False
    second = run_play(GUID_A, PASSWORD)
    assert second["done"] is True and second["changed"] is False and second["status"] == "Deactivated"
    wrong = run_play(GUID_B, WRONG)
    assert wrong["done"] is False and "HTTP 401" in wrong["error"], wrong
    assert cp.device(GUID_B)["active"] is True
    none = run_play("", PASSWORD)
    assert none["done"] is False and "no GUID" in none["reason"] and none["error"] == ""
    assert len(cp.writes()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("deactivation, check_mode, expect_rc, expect_text", [
    (None, False, 0, None),
    ({"enabled": True, "guid": GUID_A, "done": True, "changed": True, "status": "Deactivated", "error": "", "reason": ""},
     False, 0, "CrashPlan server: device %s deactivated." % GUID_A),
    ({"enabled": True, "guid": GUID_A, "done": True, "changed": True, "status": "Deactivated", "error": "", "reason": ""},
     True, 0, "CrashPlan server: device %s would be deactivated." % GUID_A),
    ({"enabled": True, "guid": GUID_A, "done": True, "changed": False, "status": "Deactivated", "error": "", "reason": ""},
     False, 0, "CrashPlan server: device %s already deactivated." % GUID_A),
    ({"enabled": True, "guid": GUID_A, "done": False, "changed": False, "status": "", "error": "refused (HTTP 401)", "reason": ""},
     False, 2, "CrashPlan server: device %s NOT deactivated: refused (HTTP 401)." % GUID_A),
    ({"enabled": True, "guid": "", "done": False, "changed": False, "status": "", "error": "", "reason": "no GUID found"},
     False, 0, "CrashPlan server: no GUID found."),
], ids=["disabled", "deactivated", "check-mode", "already", "failed", "no-guid"])
def test_role_report_of_the_deactivation(tmp_path, deactivation, check_mode, expect_rc, expect_text):
    """roles/crashplan_removal/tasks/result.yml (the result, then report.yml) with the facts the role sets: the report
    line and the final failure."""
    before = {"present": True, "version": "11.5.0", "era": "11.x-12.x", "install_dir": "/usr/local/crashplan", "guid": GUID_A,
              "services": [], "archives": [], "keep": ["/usr/local/var/crashplan"], "per_user_left": [], "remove": []}
    facts = {"_crashplan_removal_before": before, "_crashplan_removal_facts": dict(before, present=False),
             "_crashplan_removal_gate": {"open": True, "reason": "Comet healthy", "checks": {}}, "_crashplan_removal_removed_paths": []}
    if deactivation is not None:
        facts["_crashplan_removal_server_deactivation"] = deactivation
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    (tmp_path / "play.yml").write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  vars_files: [facts.json]\n"
        "  vars:\n"
        "    crashplan_removal_deactivate_on_server: %s\n"
        "  tasks:\n"
        "    - name: Set the result and report\n"
        "      ansible.builtin.include_role:\n"
        "        name: unil.backup.crashplan_removal\n"
        "        tasks_from: result.yml\n"
        "    - name: Show\n"
        "      ansible.builtin.debug:\n"
        "        msg: \"SD={{ crashplan_removal_result.server_deactivation | to_json }}\"\n" % ("true" if deactivation else "false"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "collections"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(tmp_path / "play.yml")] + (["--check"] if check_mode else [])
    proc = subprocess.run(argv, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == expect_rc, output[-3000:]
    if expect_text is None:
        assert "CrashPlan server:" not in output
        assert 'SD={\\"enabled\\": false, \\"done\\": false}' in output, output[-2000:]
    else:
        assert expect_text in output, output[-3000:]
    if expect_rc:
        assert "was not deactivated: refused (HTTP 401)" in output
