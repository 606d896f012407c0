# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Three podman Debian 12 hosts whose trust stores differ for the stand-in's TLS certificate (seed 000, x509 on
obsolete systems): ``empty`` (no authority at all), ``outdated`` (Debian's store, without the stand-in's authority) and
``current`` (the authority added with update-ca-certificates, as a system update would).

Test code, never shipped. Used by tests/integration/test_host_tls_trust_podman.py (module host_info and the plan) and
tests/integration/test_obsolete_system_role_podman.py (the role, end to end).
"""
from __future__ import annotations

import json
import shutil
import subprocess

import podman_hosts

IMAGE = "localhost/unil-debian-systemd:12"
STORES = ("empty", "outdated", "current")

_INVENTORY = """
all:
  vars:
    ansible_connection: containers.podman.podman
    ansible_python_interpreter: /usr/bin/python3
  hosts:
{hosts}
"""


def podman(*args, check=True):
    """``podman ARGS`` with the project's containers.conf; its output (stdout and stderr)."""
    return subprocess.run(["podman"] + list(args), env=podman_hosts.podman_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=check, timeout=300).stdout


def missing():
    """Why the hosts cannot be started here ('' when they can): no podman, or no image (scripts/setup.sh builds it)."""
    if not shutil.which("podman") or IMAGE not in podman("images", "--format", "{{.Repository}}:{{.Tag}}", check=False):
        return "podman or the image %s is missing (scripts/setup.sh builds it)" % IMAGE
    return ""


def start_hosts(prefix, systemd=False):
    """Start one container per store, named PREFIX-STORE, on the host's network: {store: name}. With ``systemd``,
    /sbin/init as PID 1 and wait for the boot (a role that starts units); else ``sleep infinity``."""
    names = dict((store, "%s-%s" % (prefix, store)) for store in STORES)
    remove_hosts(names)
    for name in names.values():
        if systemd:
            podman("run", "-d", "--name", name, "--hostname", name, "--network", "host", "--systemd=always", IMAGE,
                   "/sbin/init")
        else:
            podman("run", "-d", "--name", name, "--network", "host", IMAGE, "sleep", "infinity")
    if systemd:
        podman_hosts.wait_booted(list(names.values()))
        # one image, one machine ID: each host its own, as machines installed apart have (not clones)
        for name in names.values():
            podman("exec", name, "sh", "-c", "tr -d - < /proc/sys/kernel/random/uuid > /etc/machine-id")
    return names


def remove_hosts(names):
    for name in names.values():
        podman("rm", "-f", "-t", "0", name, check=False)


def prepare_stores(names, ca_cert_path):
    """Empty the ``empty`` host's store; add the server's authority (``ca_cert_path``) to the ``current`` one's."""
    podman("exec", names["empty"], "sh", "-c", "rm -rf /etc/ssl/certs/* /usr/lib/ssl/cert.pem")
    podman("cp", ca_cert_path, "%s:/usr/local/share/ca-certificates/unil-standin.crt" % names["current"])
    podman("exec", names["current"], "update-ca-certificates")


def inventory(names, host_vars=None):
    """A YAML inventory of the hosts, each named by its store, over the podman connection; ``host_vars``:
    {store: {variable: value}} (JSON-written, so YAML reads it)."""
    lines = []
    for store, name in names.items():
        variables = dict((host_vars or {}).get(store) or {}, ansible_host=name)
        lines.append("    %s: %s\n" % (store, json.dumps(variables)))
    return _INVENTORY.format(hosts="".join(lines))
