# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Obsolete systems by their cause, through the role, end to end (issue 24, point 4; seed 000, "Problèmes connus",
x509: "le système ... est obsolète ... Une mise à jour du système vers une version plus récente est alors requise").

Role unil.backup.comet_client (state present, through playbooks/install.yml as molecule/comet_client_default does)
runs in one play on three podman Debian 12 systemd hosts against the stand-in over HTTPS (its own authority), with the
stand-in's .run installer (comet_client_installer_file, tests/installers/build_comet_run.py):
- the empty and the outdated trust store: the play fails for the host before any change, with the guide's advice and
  the OS named; nothing is installed (no install directory, no unit);
- the current store (the authority added with update-ca-certificates): the client installs, its unit is active, and
  the rerun changes nothing;
- comet_client_allow_obsolete_os: true (the rerun, on the outdated host): the TLS check no longer refuses the host;
  what follows is the installer's own business (the stand-in client, like the real one, then meets the host's store).
"""
from __future__ import annotations

import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "podman"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "installers"))
import build_comet_run  # noqa: E402  pylint: disable=wrong-import-position
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position
import tls_hosts  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = "unil-obsolete-" + podman_hosts.run_id(ROOT)
VERSION = "24.6.0"
ADMIN, ADMIN_PASSWORD = "obsolete-admin", "Obsolete-admin-pw"
USER, PASSWORD = "pnom", "Pnom-obsolete-pw"
INSTALL_DIR = "/opt/CometBackupUNIL"
UNIT = "/etc/systemd/system/comet-backup.service"
OS_NAME = "Debian GNU/Linux 12 (bookworm)"
REFUSED = "cannot verify the Comet Server's TLS certificate"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

PLAY = """
- name: Install through the collection's playbook
  ansible.builtin.import_playbook: {root}/playbooks/install.yml
"""


def recap(output):
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            out[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return out


def failure(output, host):
    """The message of HOST's failed task in ansible-playbook's output ('' when the host did not fail)."""
    match = re.search(r"^fatal: \[%s\]: FAILED! => (\{.*\})$" % re.escape(host), output, re.M)
    return json.loads(match.group(1)).get("msg", "") if match else ""


def on_host(name, command):
    return tls_hosts.podman("exec", name, "sh", "-c", command, check=False).strip()


def test_hosts_that_cannot_verify_the_server_are_refused_by_the_role_before_any_change(tmp_path, run_playbook,
                                                                                       comet_standin):
    reason = tls_hosts.missing()
    if reason:
        pytest.skip(reason)
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True, cert_dir=str(tmp_path / "certs"),
                        fixture={"users": {USER: {"password": PASSWORD}}})
    installer, dummy = build_comet_run.build(VERSION, str(tmp_path / "installers"))
    names = {}
    try:
        names = tls_hosts.start_hosts(PREFIX, systemd=True)
        tls_hosts.prepare_stores(names, srv.ca_cert_path)
        (tmp_path / "play.yml").write_text(PLAY.format(root=ROOT))
        common = {"comet_client_server_url": srv.url, "comet_client_username": USER,
                  "comet_client_password": PASSWORD, "comet_client_admin_username": ADMIN,
                  "comet_client_admin_password": ADMIN_PASSWORD, "comet_client_ca_path": srv.ca_cert_path,
                  "comet_client_installer_file": str(installer), "comet_client_cache_dir": str(tmp_path / "cache")}

        def play(label, **host_vars):
            (tmp_path / "hosts.yml").write_text(tls_hosts.inventory(names, dict(
                (store, dict(common, **host_vars.get(store, {}))) for store in names)))
            return run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), timeout=900,
                                label=label)

        rc, out = play("install.yml (empty, outdated, current)")
        assert rc != 0, out
        server = srv.url.split("//", 1)[1].rstrip("/")
        for store in ("empty", "outdated"):
            msg = failure(out, store)
            assert msg.startswith("unil.backup.comet_client: %s %s (%s) with its own trust store (%s)"
                                  % (store, REFUSED, server, OS_NAME)), out
            assert "an update of the system to a more recent version is required" in msg, msg
            assert "Update %s" % OS_NAME in msg and "comet_client_allow_obsolete_os: true" in msg, msg
            assert recap(out)[store]["changed"] == 0, out
            assert on_host(names[store], "ls -d %s %s 2>/dev/null; true" % (INSTALL_DIR, UNIT)) == "", store
        print(failure(out, "outdated"))
        assert recap(out)["current"]["failed"] == 0 and recap(out)["current"]["changed"] > 0, out
        assert on_host(names["current"], "%s/backup-tool version" % INSTALL_DIR) == VERSION
        assert on_host(names["current"], "systemctl is-active comet-backup") == "active"
        assert on_host(names["current"], "%s/backup-tool login status" % INSTALL_DIR).startswith("Logged in"), out

        # the rerun: the current host converged; the outdated one allowed through the TLS check
        rc, out = play("install.yml again (outdated: comet_client_allow_obsolete_os)",
                       outdated={"comet_client_allow_obsolete_os": True})
        counts = recap(out)
        assert counts["current"]["changed"] == 0 and counts["current"]["failed"] == 0, out
        assert failure(out, "empty").startswith("unil.backup.comet_client: empty %s" % REFUSED), out
        assert REFUSED not in failure(out, "outdated") and "outdated %s" % REFUSED not in out, out
        # past the decision: the role went on to change the host (what the installer then does is its own business)
        assert counts["outdated"]["changed"] > 0, out
        print("outdated with comet_client_allow_obsolete_os: rc %d, %r, failed: %r, left on the host: %r" % (
            rc, counts["outdated"], failure(out, "outdated")[:700],
            on_host(names["outdated"], "ls -d %s %s 2>/dev/null; systemctl is-active comet-backup" % (INSTALL_DIR, UNIT))))
    finally:
        tls_hosts.remove_hosts(names)
