# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Obsolete systems by their cause, with real TLS (seed 000, "Problèmes connus", 'Erreur: "x509: certificate has
expired or is not yet valid"': an obsolete system, "Une mise à jour du système vers une version plus récente est alors
requise"): module host_info, run by ansible-playbook on the local connection, opens a TLS handshake to the stand-in
(HTTPS, its own CA) and tells whether the host's trust store verifies it - an empty store cannot, the stand-in's CA
can; the plan of role comet_client then refuses the installation with the guide's advice, naming the OS."""
from __future__ import annotations

import json

ADMIN, ADMIN_PASSWORD = "tls-admin", "Tls-admin-pw"

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
    _url: {url}
  hosts:
    empty-ca-file: {{_ca_file: {empty}}}
    standin-ca-file: {{_ca_file: {ca}}}
    empty-system-store: {{_env: {{SSL_CERT_FILE: {empty}, SSL_CERT_DIR: {empty_dir}}}}}
    current-system-store: {{_env: {{SSL_CERT_FILE: {ca}, SSL_CERT_DIR: {empty_dir}}}}}
    http-server: {{_url: "{http_url}"}}
    tls-off: {{_url: "", _vpn: true}}
"""

PLAY = """
- name: The host probe's TLS check, then role comet_client's plan and refusals
  hosts: all
  gather_facts: false
  tasks:
    - name: Read the host (no client installed)
      unil.backup.host_info:
        backup_tool: {missing}/backup-tool
        tls_server: "{{{{ _url }}}}"
        tls_ca_file: "{{{{ _ca_file | default(omit) }}}}"
        tls_timeout: 5
        vpn: "{{{{ _vpn | default(false) }}}}"
      environment: "{{{{ _env | default({{}}) }}}}"
      register: probe
    - name: Keep what was read and decided
      ansible.builtin.copy:
        dest: "{out}/{{{{ inventory_hostname }}}}.json"
        content: "{{{{ {{'tls': probe.tls | default(none), 'refusals': refusals, 'vpn': probe.vpn | default(none)}} | to_json }}}}"
        mode: "0600"
      vars:
        plan: "{{{{ probe | unil.backup.comet_client_plan('24.6.0', can_install=true) }}}}"
        refusals: "{{{{ plan | unil.backup.comet_client_refusals(inventory_hostname) }}}}"
"""


def run(tmp_path, run_playbook, srv):
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "hosts.yml").write_text(INVENTORY.format(
        url=srv.url, ca=srv.ca_cert_path, empty=empty, empty_dir=tmp_path / "empty-dir",
        http_url=srv.url.replace("https://", "http://")))
    (tmp_path / "play.yml").write_text(PLAY.format(missing=tmp_path / "none", out=tmp_path / "out"))
    rc, out = run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), timeout=300)
    assert rc == 0, out
    return dict((path.stem, json.loads(path.read_text())) for path in (tmp_path / "out").iterdir())


def test_the_hosts_trust_store_decides(tmp_path, run_playbook, comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True, cert_dir=str(tmp_path / "certs"))
    got = run(tmp_path, run_playbook, srv)
    assert sorted(got) == ["current-system-store", "empty-ca-file", "empty-system-store", "http-server",
                           "standin-ca-file", "tls-off"]
    server = srv.url.split("//", 1)[1].rstrip("/")
    for host in ("empty-ca-file", "empty-system-store"):
        tls = got[host]["tls"]
        assert tls["checked"] and not tls["verified"] and tls["code"] == "untrusted", (host, tls)
        assert tls["server"] == server and tls["os"]
        [refusal] = got[host]["refusals"]
        assert refusal.startswith("%s cannot verify the Comet Server's TLS certificate (%s) with its own trust store (%s)"
                                  % (host, server, tls["os"])), refusal
        assert "Windows Vista or XP, macOS 10.11 or older, Ubuntu 16.04 or older" in refusal
        assert "Update %s (at least its CA certificates)" % tls["os"] in refusal
    assert got["empty-system-store"]["tls"]["trust_store"] == "system"
    for host in ("standin-ca-file", "current-system-store"):
        tls = got[host]["tls"]
        assert tls["checked"] and tls["verified"] and tls["code"] == "verified", (host, tls)
        assert got[host]["refusals"] == []
    # a plain-HTTP server has no certificate to verify; without tls_server the probe is as before
    assert got["http-server"]["tls"]["code"] == "not_https" and got["http-server"]["refusals"] == []
    assert got["tls-off"]["tls"] is None and got["tls-off"]["refusals"] == []
    assert got["standin-ca-file"]["vpn"] is None


def test_the_vpn_read_on_a_linux_host_without_pulse_secure(tmp_path, run_playbook, comet_standin):
    """Seed 000, "Machine ventile lors du premier backup": not through Pulse Secure - this host has none running."""
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True, cert_dir=str(tmp_path / "certs"))
    vpn = run(tmp_path, run_playbook, srv)["tls-off"]["vpn"]
    assert vpn == {"checked": True, "connected": False, "client": "Pulse Secure / Ivanti Secure Access",
                   "processes": [], "interfaces": vpn["interfaces"]}
