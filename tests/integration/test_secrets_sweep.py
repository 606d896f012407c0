# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets sweep: sentinel passwords and tokens through every controller-side module and role at -vvv, the failing
paths included (tests/integration/playbooks/secrets_sweep.yml). None may appear in the playbook's output, its log file,
the stand-in's request log or state, or any file the run left. The host side (the .run installer answered on stdin,
ps during the install, the files on the host) is the Molecule scenario comet_client_secrets."""
from __future__ import annotations

import json
import os
import sys
import uuid

from urllib.parse import quote, quote_plus

import pytest
import yaml

PLAYBOOK = os.path.join(os.path.dirname(__file__), "playbooks", "secrets_sweep.yml")
ACCOUNT = "lab-sweep"
ECHO_ACCOUNT = "lab-echo"
DEVICE = "dev-sweep-01"
LINUX = {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""}

pytestmark = pytest.mark.slow


def sentinel(kind):
    return "S3ntinel-%s-%s" % (kind, uuid.uuid4().hex[:12])


def test_no_secret_anywhere_at_vvv(tmp_path, comet_standin, run_playbook):
    secrets = {name: sentinel(name) for name in ("admin", "user", "wrong-admin", "wrong-user", "in-url", "in-url-module",
                                                 "in-url-env", "in-url-scheme", "in-url-token", "in-url-fleet")}
    # special characters: its URL-encoded form differs from it (and a 400 page echoes that form, below)
    secrets["special"] = sentinel("special") + "/+&=% @:?"
    installer = tmp_path / "standin-installer.run"
    installer.write_text("#!/bin/sh\necho a stand-in client build\n")
    server = comet_standin(admin_users={"sweep-admin": secrets["admin"]}, state_file=str(tmp_path / "standin-state.json"),
                           installers={"linuxgeneric": str(installer)})
    server.state.add_user(ACCOUNT, secrets["user"])
    server.state.add_device(ACCOUNT, DEVICE, "sweep", platform=LINUX, client_version="24.6.0", online=True)
    server.state.add_policy("policy-unil", {"Description": "UNIL", "Policy": {}})
    # a 400 page that echoes the form-encoded request, the password in it URL-encoded (the stand-in's log holds no
    # message: the fault is known to the test only)
    server.faults.fail_next(status=400, endpoint="get-user-profile-and-hash", account=ECHO_ACCOUNT, message=(
        "Bad request: Username=sweep-admin&AuthType=Password&Password=%s&TargetUser=%s"
        % (quote_plus(secrets["special"]), ECHO_ACCOUNT)))
    server.state.add_job(ACCOUNT, DEVICE, 7002, 1700000000, 1700000600, log=[
        {"Time": 1700000500, "Severity": "E", "Message": "Failed to initialize Storage Vault: config file already exists"}])
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    extra = tmp_path / "connection.yml"
    fd = os.open(str(extra), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump({
            "comet_server_url": server.url, "comet_admin_username": "sweep-admin",
            "comet_admin_password": secrets["admin"], "comet_user_password": secrets["user"],
            "sweep_wrong_admin_password": secrets["wrong-admin"], "sweep_wrong_user_password": secrets["wrong-user"],
            "sweep_url_password": secrets["in-url"], "sweep_url_module_password": secrets["in-url-module"],
            "sweep_url_env_password": secrets["in-url-env"], "sweep_url_scheme_password": secrets["in-url-scheme"],
            "sweep_url_token_password": secrets["in-url-token"], "sweep_url_fleet_password": secrets["in-url-fleet"],
            "sweep_special_password": secrets["special"], "sweep_echo_account": ECHO_ACCOUNT, "comet_account": ACCOUNT, "comet_device_id": DEVICE,
            "comet_policy_id": "policy-unil", "sweep_dir": str(sweep_dir)}, f)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"sweep": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    log = tmp_path / "ansible.log"
    rc, output = run_playbook("-vvv", "-i", str(inventory), "-e", "@" + str(extra), PLAYBOOK, cwd=tmp_path, timeout=900,
                              clear_comet=True, ANSIBLE_LOG_PATH=str(log), ANSIBLE_LOCALHOST_WARNING="0")
    request_log = json.dumps(server.log)
    token_calls = server.log_count(endpoint="create-install-token")
    server.stop()   # writes its state file, searched below
    # the run really went through every play, at -vvv, and the failures really failed
    assert rc == 0, "\n".join(l for l in output.splitlines()[-60:] if not any(s in l for s in secrets.values()))
    assert "ESTABLISH LOCAL CONNECTION" in output
    for task in ("The fleet", "Every setting at once", "Show the host's settings", "Print the summary",
                 "Write the HTML report", "Write the Prometheus metrics", "comet_system_exclusions : ",
                 "A wrong admin password", "A wrong user password for an install token",
                 "The role with credentials inside its server URL", "The preflight refused it",
                 "Credentials inside server_url on a direct module call", "Credentials inside COMET_SERVER_URL",
                 "Credentials inside a server_url with a mistyped scheme", "Credentials inside comet_install_token's server",
                 "A password with special characters, echoed URL-encoded by a 400 page",
                 "The fleet report with credentials inside its server URL", "The fleet report's preflight refused it",
                 "Every URL with credentials was refused"):
        assert "TASK [" in output and task in output, task
    assert "403 Authentication failed" in output
    assert token_calls == 2
    # and no secret is anywhere
    texts = {"playbook output": output, "ansible log": log.read_text(encoding="utf-8"), "stand-in request log": request_log}
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.name != "connection.yml"):
        texts[str(path.relative_to(tmp_path))] = path.read_bytes().decode("utf-8", "replace")
    # the search itself finds a secret where one is: the extra-vars file the test wrote holds them all
    held = (tmp_path / "connection.yml").read_text(encoding="utf-8")
    assert all(secret in held for secret in secrets.values())
    # each secret as written, and URL-encoded (a form-encoded request, a URL, an echoing error page)
    forms = dict((name, set([secret, quote(secret, safe=""), quote_plus(secret), quote(secret)]))
                 for name, secret in secrets.items())
    found = sorted("%s in %s" % (name, where) for where, text in texts.items()
                   for name, spellings in forms.items() if any(s in text for s in spellings))
    print("secrets sweep: %d sentinels, %d texts and files searched, %d bytes of -vvv output: %d occurrences"
          % (len(secrets), len(texts), len(output), len(found)))
    for where, text in texts.items():  # where each one is, the secret itself blanked out
        for name, spellings in forms.items():
            for line in text.splitlines():
                if any(s in line for s in spellings):
                    for spelling in spellings:
                        line = line.replace(spelling, "<%s>" % name)
                    print("%s: %s" % (where, line[:300]))
    assert not found, found
