"""Helpers shared by the comet_client_* Molecule scenarios' testinfra tests (test code, never shipped)."""

import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "podman"))
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position

# polling a condition on a host, the same way every test waits
wait_for = podman_hosts.poll

INSTALL_DIR = "/opt/CometBackupUNIL"
SERVICE = "comet-backup"
ACCOUNT = "pnom"


def eph(name):
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name)


def standin_url(path):
    with open(eph("server.port"), encoding="utf-8") as handle:
        port = handle.read().strip()
    return "http://127.0.0.1:%s/%s" % (port, path.lstrip("/"))


def standin_state():
    with urllib.request.urlopen(standin_url("_standin/state"), timeout=10) as resp:
        return json.load(resp)


def user_profile(state, account=ACCOUNT):
    """The stored profile of `account`, wherever the stand-in's state dump keeps it."""
    users = state.get("users", state)
    entry = users[account]
    if isinstance(entry, dict) and "profile" in entry and "Devices" not in entry:
        return entry["profile"]
    return entry


def devices(account=ACCOUNT):
    return user_profile(standin_state(), account).get("Devices") or {}


def instance_name(host):
    return host.backend.get_hostname()


def fast(host):
    """The same instance through testinfra's podman backend (podman exec: much faster than one ansible run per
    command, which molecule's testinfra verifier uses)."""
    import testinfra  # pylint: disable=import-outside-toplevel

    return testinfra.get_host("podman://%s" % instance_name(host))


def tool(host, *args):
    cmd = host.run("HOME=/root %s/backup-tool %s" % (INSTALL_DIR, " ".join(args)))
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.strip()


def main_pid(host):
    return int(host.check_output("systemctl show -p MainPID --value %s" % SERVICE).strip() or 0)


def client_processes(host):
    # "[/]opt/..." does not match the shell that runs pgrep itself
    out = host.run("pgrep -af -- '[%s]%s/'" % (INSTALL_DIR[0], INSTALL_DIR[1:]))
    return [line for line in out.stdout.splitlines() if line.strip()]


def restart_instance(host):
    """A real reboot of the container: systemd starts again as PID 1 (podman restart, then the one boot wait)."""
    podman_hosts.restart(instance_name(host))
