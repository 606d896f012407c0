"""Helpers shared by the crashplan_removal_* Molecule scenarios' testinfra tests (test code, never shipped)."""

import json
import os
import subprocess
import time

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


def wait_for(predicate, timeout=60, step=1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def restart_instance(host):
    """A real reboot of the container: systemd starts again as PID 1."""
    subprocess.run(["podman", "restart", "--time", "5", host.backend.get_hostname()], check=True, capture_output=True)

    def booted():
        res = host.run("systemctl is-system-running")
        return res.stdout.strip() in ("running", "degraded")

    assert wait_for(booted, timeout=90), "systemd did not finish booting after podman restart"
