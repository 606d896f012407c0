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

# crashplan_removal_default's deb13 host: CrashPlan in /opt/crashplan with its archive inside that folder
# (molecule.yml host_vars cpr_install_dir, cpr_archive_dir)
IN_OPT = {"app_dir": "/opt/crashplan", "archives": ["/opt/crashplan/backupArchives", "/usr/local/var/crashplan"]}


def layout(host):
    """Where prepare.yml put CrashPlan on this host: app_dir, archives (configured, default), app_files (what goes),
    survivors (the command listing the sha256 of what must stay)."""
    if "-deb13-" in host.backend.get_hostname() and "crashplan_removal_default" in host.backend.get_hostname():
        app_dir, archives = IN_OPT["app_dir"], IN_OPT["archives"]
        app_files = [app_dir + "/" + entry for entry in ("install.vars", "bin", "conf", "log", "cache", "electron")]
    else:
        app_dir, archives, app_files = APP_DIR, ARCHIVES, [APP_DIR]
    survivors_cmd = SURVIVORS.replace("/srv/crashplan-archives", archives[0])
    return {"app_dir": app_dir, "archives": archives, "survivors": survivors_cmd,
            "app_files": app_files + [f for f in APP_FILES if f != APP_DIR]}


def results(host):
    """The crashplan_removal_result of each run (check, converge, idempotence) for this host, in order."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "results.jsonl")
    name = host.backend.get_hostname()
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [r for r in rows if r["host"] == name]


def survivors(host):
    before = host.check_output("cat /root/cpr-before.sha256").splitlines()
    after = host.check_output("bash -o pipefail -c %s" % _quote(layout(host)["survivors"])).splitlines()
    return before, after


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def crashplan_processes(host):
    # "[x]" around the last letter keeps pgrep from matching the shell that runs it.
    app_dir = layout(host)["app_dir"]
    out = host.run("pgrep -af -- '%s[%s]/'" % (app_dir[:-1], app_dir[-1]))
    return [line for line in out.stdout.splitlines() if line.strip()]


def restart_instance(host):
    """A real reboot of the container: systemd starts again as PID 1 (podman restart, then the one boot wait)."""
    podman_hosts.restart(host.backend.get_hostname())
