# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Comet API modules' action plugins in real ansible-playbook runs: delegated to localhost they run in the
controller's worker (same results), with a task environment (a proxy) as modules, and no secret at -vvv either way."""
from __future__ import annotations

import http.server
import json
import threading

import pytest
import yaml

pytestmark = pytest.mark.slow

ADMIN = "ctl-admin"
ADMIN_PASSWORD = "Ctl-adm1n-never-printed"
USER_PASSWORD = "Ctl-user-never-printed"


class _RefusingProxy(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that records the requests it is sent and refuses them (403: no retry)."""
    seen = []

    def do_POST(self):  # pylint: disable=invalid-name
        self.seen.append(self.path)
        body = json.dumps({"Status": 403, "Message": "refused by the test proxy"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


PLAY = """---
- name: Comet API modules on the controller
  hosts: lab
  gather_facts: false
  module_defaults:
    group/unil.backup.comet:
      server_url: "{url}"
      admin_username: "{admin}"
      admin_password: "{{{{ test_admin_password }}}}"
  tasks:
    - name: Read the account
      unil.backup.comet_info:
        account: lab
        device_id: dev-1
      environment: "{{{{ comet_environment | default({{}}) }}}}"
      delegate_to: localhost
      register: info
    - name: Read the server version
      unil.backup.comet_server_info:
      delegate_to: localhost
      register: version
    - name: An install token in check mode
      unil.backup.comet_install_token:
        account: lab
        password: "{{{{ test_user_password }}}}"
      check_mode: true
      delegate_to: localhost
      register: token
    - name: Show the results
      ansible.builtin.debug:
        msg: "RESULT {{{{ inventory_hostname }}}} {{{{ info.devices[0].device_id }}}} {{{{ version.version }}}} {{{{ token.changed }}}}"
"""


def _write(tmp_path, srv):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"lab": {"hosts": dict(
        ("h%d" % i, {"ansible_connection": "local"}) for i in range(3))}}}}))
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(url=srv.url, admin=ADMIN))
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(yaml.safe_dump({"test_admin_password": ADMIN_PASSWORD, "test_user_password": USER_PASSWORD}))
    secrets.chmod(0o600)
    return inventory, play, secrets


def test_in_the_worker_and_as_a_module_with_an_environment(comet_standin, run_playbook, tmp_path):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user("lab", USER_PASSWORD)
    linux = {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""}
    srv.state.add_device("lab", "dev-1", "pc-1", platform=linux, client_version="24.6.0", online=True)
    inventory, play, secrets = _write(tmp_path, srv)
    rc, out = run_playbook("-i", inventory, "-e", "@%s" % secrets, play, "-vvv")
    assert rc == 0, out
    assert out.count("RESULT h") == 3 and "dev-1" in out, out
    for secret in (ADMIN_PASSWORD, USER_PASSWORD):
        assert secret not in out
    # in the worker: no module payload sent for these tasks
    assert "AnsiballZ_comet_info" not in out and "AnsiballZ_comet_server_info" not in out, out

    proxy = http.server.HTTPServer(("127.0.0.1", 0), _RefusingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        extra = tmp_path / "extra.yml"
        extra.write_text(yaml.safe_dump({"comet_environment": {
            "http_proxy": "http://127.0.0.1:%d" % proxy.server_address[1], "no_proxy": "", "NO_PROXY": ""}}))
        start = len(srv.log)
        rc, out = run_playbook("-i", inventory, "-e", "@%s" % secrets, play, "-e", "@%s" % extra, "-vvv")
        assert rc != 0 and "refused by the test proxy" in out, out
        assert "AnsiballZ_comet_info" in out, "with an environment the module runs as a module"
        assert _RefusingProxy.seen and len(srv.log) == start, "the request went around the proxy"
        for secret in (ADMIN_PASSWORD, USER_PASSWORD):
            assert secret not in out
    finally:
        proxy.shutdown()
        proxy.server_close()
