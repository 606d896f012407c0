# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Obsolete systems by their cause on real Linux hosts (seed 000, "Problèmes connus", x509: "le système ... est
obsolète ... Une mise à jour du système vers une version plus récente est alors requise"): three podman Debian 12
hosts read by module host_info over the podman connection, against the stand-in's HTTPS (its own CA) on the loopback -
an empty CA store and an outdated one (Debian's store, without the stand-in's authority) are refused by comet_client's
plan before any installation, with the guide's advice naming the OS; a current one (the authority added with
update-ca-certificates, as a system update would) verifies and is not refused."""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "podman"))
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position
import tls_hosts  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = "unil-tls-trust-" + podman_hosts.run_id(ROOT)
ADMIN, ADMIN_PASSWORD = "tls-admin", "Tls-admin-pw"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

PLAY = """
- name: The host probe's TLS check on podman hosts, then role comet_client's plan and refusals
  hosts: all
  gather_facts: false
  tasks:
    - name: Read the host (no client installed)
      unil.backup.host_info:
        backup_tool: /opt/CometBackupUNIL/backup-tool
        tls_server: {url}
        tls_timeout: 10
      register: probe
    - name: Keep what was read and decided
      ansible.builtin.copy:
        dest: "{out}/{{{{ inventory_hostname }}}}.json"
        content: "{{{{ {{'tls': probe.tls, 'refusals': refusals}} | to_json }}}}"
        mode: "0600"
      delegate_to: localhost
      vars:
        plan: "{{{{ probe | unil.backup.comet_client_plan('24.6.0', can_install=true) }}}}"
        refusals: "{{{{ plan | unil.backup.comet_client_refusals(inventory_hostname) }}}}"
"""


@pytest.fixture(name="hosts")
def hosts_fixture():
    if tls_hosts.missing():
        pytest.skip(tls_hosts.missing())
    names = tls_hosts.start_hosts(PREFIX)
    try:
        yield names
    finally:
        tls_hosts.remove_hosts(names)


def test_hosts_that_cannot_verify_the_server_are_refused_before_the_install(tmp_path, hosts, run_playbook, comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True, cert_dir=str(tmp_path / "certs"))
    # an empty store (no authority at all); a current one (the server's authority added as the system adds them)
    tls_hosts.prepare_stores(hosts, srv.ca_cert_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "hosts.yml").write_text(tls_hosts.inventory(hosts))
    (tmp_path / "play.yml").write_text(PLAY.format(url=srv.url, out=tmp_path / "out"))
    rc, out = run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), timeout=600)
    assert rc == 0, out
    got = dict((path.stem, json.loads(path.read_text())) for path in (tmp_path / "out").iterdir())
    server = srv.url.split("//", 1)[1].rstrip("/")
    for store in ("empty", "outdated"):
        tls = got[store]["tls"]
        assert tls["checked"] and not tls["verified"] and tls["code"] == "untrusted", (store, tls)
        assert tls["os"] == "Debian GNU/Linux 12 (bookworm)" and tls["server"] == server
        [refusal] = got[store]["refusals"]
        assert refusal.startswith("%s cannot verify the Comet Server's TLS certificate (%s) with its own trust store "
                                  "(Debian GNU/Linux 12 (bookworm))" % (store, server)), refusal
        assert "an update of the system to a more recent version is required" in refusal
    assert got["current"]["tls"]["verified"] and got["current"]["tls"]["code"] == "verified", got["current"]
    assert got["current"]["refusals"] == []
