"""Helpers shared by the crashplan_removal_* Molecule scenarios' testinfra tests (test code, never shipped)."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "podman"))
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position

# polling a condition on a host, the same way every test waits
wait_for = podman_hosts.poll

APP_DIR = "/usr/local/crashplan"
UNIT = "crashplan.service"
ARCHIVES = ["/srv/crashplan-archives", "/usr/local/var/crashplan"]
APP_FILES = [APP_DIR, "/etc/systemd/system/crashplan.service", "/usr/local/bin/CrashPlanDesktop",
             "/usr/share/applications/crashplan.desktop", "/var/lib/crashplan/.ui_info", "/var/lib/crashplan/service.pem",
             "/home/alice/.config/CrashPlan"]
SURVIVORS = "find /home /srv/crashplan-archives /usr/local/var/crashplan /var/lib/crashplan/.identity -type f " \
            "! -path '/home/alice/.config/CrashPlan/*' -print0 | sort -z | xargs -0 sha256sum"


def results(host):
    """The crashplan_removal_result of each run (check, converge, idempotence) for this host, in order."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "results.jsonl")
    name = host.backend.get_hostname()
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [r for r in rows if r["host"] == name]


def survivors(host):
    before = host.check_output("cat /root/cpr-before.sha256").splitlines()
    after = host.check_output("bash -o pipefail -c %s" % _quote(SURVIVORS)).splitlines()
    return before, after


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def crashplan_processes(host):
    # "[c]" keeps pgrep from matching the shell that runs it.
    out = host.run("pgrep -af -- '%s[%s]%s/'" % (APP_DIR[:11], APP_DIR[11], APP_DIR[12:]))
    return [line for line in out.stdout.splitlines() if line.strip()]


def restart_instance(host):
    """A real reboot of the container: systemd starts again as PID 1 (podman restart, then the one boot wait)."""
    podman_hosts.restart(host.backend.get_hostname())
