# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role unil.backup.comet_client's installer step (tasks/fetch_installer.yml, action unil.backup.comet_installer) in a
real ansible-playbook: 4 hosts, 3 of them needing the same installer and 1 another, give 2 downloads - counted on the
Comet Server stand-in's request log (server source) or on a local http.server (url source). The hosts are SSH hosts
that refuse connections: the step runs on the controller only, nothing on the hosts."""
from __future__ import annotations

import hashlib
import http.server
import json
import threading

import pytest

from playbook_runner import run_playbook

ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Fetch-0nce-Secret"
LINUX = b"#!/bin/sh\necho stand-in linux installer\n" * 100
MAC = b"xar! stand-in mac package\n" * 100

PLAY = """
- name: The installer step of role comet_client, on its own
  hosts: all
  gather_facts: false
  tasks:
    - name: What the role decided before (settings and plan)
      ansible.builtin.set_fact:
        _comet_client_settings:
          source: "{{ test_source }}"
          variant: "{{ test_variant }}"
          server: "{{ test_server }}"
          installer_name: "{{ test_url | urlsplit('path') | basename if test_source == 'url' else '' }}"
        _comet_client_plan: {action: install, target: 24.6.0, changes: [install]}
        _comet_client_api:
          server: "{{ test_server }}"
          server_url: "{{ test_server }}"
          admin_username: "{{ comet_client_admin_username }}"
          admin_password: "{{ comet_client_admin_password }}"
          validate_certs: false
          ca_path: ""
          timeout: 10
      no_log: true
    - name: The role's installer step
      ansible.builtin.include_role:
        name: unil.backup.comet_client
        tasks_from: fetch_installer
    - name: Show what the host got
      ansible.builtin.debug:
        msg: "FETCHED {{ {'host': inventory_hostname, 'sha256': _comet_client_installer_sha256,
                          'local': _comet_client_installer_local, 'name': _comet_client_fetch.name} | to_json }}"
"""


def inventory(tmp_path, hosts):
    """SSH hosts that refuse connections (port 9 of this machine): nothing may run on them."""
    refused = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9}
    data = {"all": {"hosts": dict((name, dict(refused, **variables)) for name, variables in hosts.items())}}
    (tmp_path / "hosts.yml").write_text(json.dumps(data))
    return str(tmp_path / "hosts.yml")


def playbook(tmp_path, hosts, variables, *extra):
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    rc, out = run_playbook("-i", inventory(tmp_path, hosts), "-e", "@%s" % (tmp_path / "vars.json"),
                           str(tmp_path / "play.yml"), *extra, tmp_path=tmp_path, timeout=300,
                           ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_FORKS="4")
    fetched = {}
    for line in out.splitlines():
        if '"msg": "FETCHED ' in line:
            text = json.loads("{%s}" % line.strip())["msg"][len("FETCHED "):]
            item = json.loads(text)
            fetched[item.pop("host")] = item
    return rc, out, fetched


HOSTS = {"lab-a1": {}, "lab-a2": {}, "lab-a3": {}, "lab-b1": {}}


@pytest.fixture(name="standin")
def standin_fixture(tmp_path, comet_standin):
    (tmp_path / "linux.run").write_bytes(LINUX)
    (tmp_path / "mac.pkg").write_bytes(MAC)
    fixture = {"users": {}, "installers": {"linuxgeneric": str(tmp_path / "linux.run"),
                                           "macos-arm64": str(tmp_path / "mac.pkg")}}
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=fixture)
    srv.reset_log()
    return srv


@pytest.mark.slow
def test_three_hosts_one_server_installer_one_another_two_downloads_per_run(standin, tmp_path):
    hosts = {name: {"test_variant": "macos-arm64" if name == "lab-b1" else "linuxgeneric"} for name in HOSTS}
    variables = {"test_source": "server", "test_server": standin.url, "test_url": "",
                 "comet_client_admin_username": ADMIN, "comet_client_admin_password": ADMIN_PASSWORD,
                 "comet_client_cache_dir": str(tmp_path / "cache"), "comet_client_product_name": "Comet Backup UNIL"}
    calls = []
    for extra in ([], [], ["--check", "-vvv"]):
        rc, out, fetched = playbook(tmp_path, hosts, variables, *extra)
        assert rc == 0, out
        assert ADMIN_PASSWORD not in out  # also at -vvv
        calls.append((standin.log_count(endpoint="branding/generate-client/linuxgeneric"),
                      standin.log_count(endpoint="branding/generate-client/macos-arm64")))
        linux = hashlib.sha256(LINUX).hexdigest()
        mac = hashlib.sha256(MAC).hexdigest()
        assert fetched == {
            name: {"sha256": linux, "name": "Comet_Backup_UNIL-24.6.0.run",
                   "local": str(tmp_path / "cache" / linux / "Comet_Backup_UNIL-24.6.0.run")}
            for name in ("lab-a1", "lab-a2", "lab-a3")} | {
            "lab-b1": {"sha256": mac, "name": "Comet_Backup_UNIL-24.6.0.pkg",
                       "local": str(tmp_path / "cache" / mac / "Comet_Backup_UNIL-24.6.0.pkg")}}, out
    print("generate-client calls (linuxgeneric, macos-arm64) after each run: %s" % calls)
    # once per run and installer: the second run and the check run ask again (the server may generate another build)
    assert calls == [(1, 1), (2, 2), (3, 3)]


class _Files(http.server.BaseHTTPRequestHandler):
    files = {}
    gets = []

    def do_GET(self):
        type(self).gets.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.mark.slow
def test_three_hosts_one_url_installer_one_another_two_downloads_then_the_cache(tmp_path):
    handler = type("Handler", (_Files,), {"gets": [], "files": {"/a/Comet_Backup_UNIL-24.6.0.run": LINUX,
                                                                "/b/Comet_Backup_UNIL-24.6.0.pkg": MAC}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        hosts = {}
        for name in HOSTS:
            mac = name == "lab-b1"
            hosts[name] = {"test_variant": "macos-arm64" if mac else "linuxgeneric",
                           "test_url": base + ("/b/Comet_Backup_UNIL-24.6.0.pkg" if mac else "/a/Comet_Backup_UNIL-24.6.0.run"),
                           "comet_client_installer_url": "{{ test_url }}",
                           "comet_client_installer_sha256": hashlib.sha256(MAC if mac else LINUX).hexdigest()}
        variables = {"test_source": "url", "test_server": "https://comet.example/",
                     "comet_client_admin_username": "", "comet_client_admin_password": "",
                     "comet_client_cache_dir": str(tmp_path / "cache")}
        rc, out, fetched = playbook(tmp_path, hosts, variables)
        assert rc == 0, out
        assert sorted(handler.gets) == ["/a/Comet_Backup_UNIL-24.6.0.run", "/b/Comet_Backup_UNIL-24.6.0.pkg"], out
        assert {v["name"] for v in fetched.values()} == {"Comet_Backup_UNIL-24.6.0.run", "Comet_Backup_UNIL-24.6.0.pkg"}
        # the next run finds both in the cache
        rc, out, again = playbook(tmp_path, hosts, variables)
        assert rc == 0 and again == fetched, out
        print("downloads after two runs: %d" % len(handler.gets))
        assert len(handler.gets) == 2
        # a wrong sha256 fails that host only, naming the variable
        hosts["lab-a3"]["comet_client_installer_sha256"] = "0" * 64
        rc, out, third = playbook(tmp_path, hosts, variables)
        assert rc != 0 and sorted(third) == ["lab-a1", "lab-a2", "lab-b1"], out
        assert "expected comet_client_installer_sha256 %s" % ("0" * 64) in out, out
    finally:
        server.shutdown()
        server.server_close()
