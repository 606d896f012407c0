# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side scale figures: role comet_config over generated inventories of N hosts against the stand-in
(first converge, then the no-op rerun), wall and CPU per host, and the ratio of the largest no-op to the smallest
(linear work gives the ratio of the host counts, 4 for 400/100); and the once-per-play identity comparison
(_comet_identity.refusals) at 10,000 hosts. Figures only, printed; nothing here is asserted against a clock.

    python tests/bench/scale_bench.py [--hosts 100 400] [--forks 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from comet_server import CometServerStandIn  # noqa: E402  pylint: disable=wrong-import-position

ADMIN = "scale-admin"
ADMIN_PASSWORD = "Sc4le-admin-pw"
PER_ACCOUNT = 10

PLAY = """
- name: The settings of every host, on the controller (role comet_config)
  hosts: all
  gather_facts: false
  roles:
    - role: unil.backup.comet_config
"""


def inventory(hosts, url):
    lines = ["all:", "  vars:", "    ansible_connection: local",
             "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"",
             "    comet_config_server_url: %s" % url, "    comet_config_admin_username: %s" % ADMIN,
             "    comet_config_admin_password: %s" % ADMIN_PASSWORD, "    comet_config_validate_certs: false",
             "  hosts:"]
    for number in range(hosts):
        lines.append("    pc%05d: {comet_client_device_id: dev-%05d, comet_config_account: acct%04d}"
                     % (number, number, number // PER_ACCOUNT))
    return "\n".join(lines) + "\n"


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_play(work, forks, label, say, collections=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections or os.path.join(ROOT, "build", "collections"),
               ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOME=os.path.join(work, "home"), ANSIBLE_LOCAL_TEMP=os.path.join(work, "tmp"),
               ANSIBLE_HOST_KEY_CHECKING="False")
    cpu, start = children_cpu(), time.monotonic()
    with open(os.path.join(work, label + ".log"), "w", encoding="utf-8") as log:
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-f", str(forks),
                               "-i", os.path.join(work, "hosts.yml"), os.path.join(work, "play.yml")],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    wall, cpu = time.monotonic() - start, children_cpu() - cpu
    if proc.returncode != 0:
        say("  %s failed (rc %d), see %s" % (label, proc.returncode, log.name))
    return wall, cpu, proc.returncode


def measure(hosts, forks=5, work=None, say=print, collections=None):
    """First converge and no-op of role comet_config over ``hosts`` generated hosts: a dict of figures. ``collections``:
    the ANSIBLE_COLLECTIONS_PATH holding the unil.backup to measure (default this checkout)."""
    work = work or tempfile.mkdtemp(prefix="scale-bench-%d-" % hosts)
    os.makedirs(work, exist_ok=True)
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0) as srv:
        for account in range((hosts + PER_ACCOUNT - 1) // PER_ACCOUNT):
            srv.state.add_user("acct%04d" % account, "scale-user-pw")
        for number in range(hosts):
            srv.state.add_device("acct%04d" % (number // PER_ACCOUNT), "dev-%05d" % number, "pc%05d" % number,
                                 platform={"os": "linux"})
        with open(os.path.join(work, "hosts.yml"), "w", encoding="utf-8") as handle:
            handle.write(inventory(hosts, srv.url))
        with open(os.path.join(work, "play.yml"), "w", encoding="utf-8") as handle:
            handle.write(PLAY)
        figures = {"hosts": hosts, "forks": forks, "work": work}
        for label in ("first", "noop"):
            srv.reset_log()
            wall, cpu, rc = run_play(work, forks, label, say, collections)
            writes = srv.log_count("set-user-profile-hash") + srv.log_count("set-user-profile")
            figures[label] = {"wall": wall, "cpu": cpu, "rc": rc, "requests": len(srv.log), "writes": writes}
    return figures


def identity_figure(hosts=10000):
    sys.path.insert(0, os.path.join(ROOT, "build", "collections"))
    from ansible_collections.unil.backup.plugins.module_utils import _comet_identity  # pylint: disable=import-outside-toplevel
    identities = {}
    for number in range(hosts):
        room = number // 10 if number % 7 == 0 else None
        identities["pc%05d" % number] = {"machine_id": "img%d" % room if room is not None else "m%d" % number,
                                         "ssh_host_key": ["k%d" % number], "device_id": "d%d" % number}
    start = time.perf_counter()
    refusals, groups = _comet_identity.refusals(identities)
    return {"hosts": hosts, "seconds": time.perf_counter() - start, "groups": len(groups), "refusals": len(refusals)}


def report(results, identity, say=print):
    say("== controller-side scale: role comet_config against the stand-in (generated hosts, %d per account)" % PER_ACCOUNT)
    say("   %6s  %-6s  %9s  %9s  %12s  %12s  %9s  %7s" % (
        "hosts", "run", "wall s", "CPU s", "wall ms/host", "CPU ms/host", "requests", "writes"))
    for fig in results:
        for label in ("first", "noop"):
            run = fig[label]
            say("   %6d  %-6s  %9.1f  %9.1f  %12.1f  %12.1f  %9d  %7d%s" % (
                fig["hosts"], label, run["wall"], run["cpu"], 1000 * run["wall"] / fig["hosts"],
                1000 * run["cpu"] / fig["hosts"], run["requests"], run["writes"], "" if run["rc"] == 0 else "  (failed)"))
    if len(results) >= 2:
        small, large = results[0], results[-1]
        say("   no-op %d hosts / no-op %d hosts: wall %.2fx, CPU %.2fx (host ratio %.1fx; goal <= %.1fx, linear)" % (
            large["hosts"], small["hosts"], large["noop"]["wall"] / small["noop"]["wall"],
            large["noop"]["cpu"] / small["noop"]["cpu"], large["hosts"] / small["hosts"],
            1.1 * large["hosts"] / small["hosts"]))
        for fig in results:
            say("   %d hosts: a no-op costs %.2fx the first converge per host (wall)" % (
                fig["hosts"], fig["noop"]["wall"] / fig["first"]["wall"]))
    if identity:
        say("== identity comparison once per play (_comet_identity.refusals): %d hosts, %d groups, %d refusals in %.3f s"
            % (identity["hosts"], identity["groups"], identity["refusals"], identity["seconds"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[100, 400], help="inventory sizes (default 100 400)")
    parser.add_argument("--forks", type=int, default=5)
    parser.add_argument("--identity-hosts", type=int, default=10000)
    args = parser.parse_args(argv)
    results = []
    for hosts in args.hosts:
        print("scale: %d hosts ..." % hosts, flush=True)
        results.append(measure(hosts, args.forks))
    report(results, identity_figure(args.identity_hosts) if args.identity_hosts else None)
    return 0 if all(fig[label]["rc"] == 0 for fig in results for label in ("first", "noop")) else 1


if __name__ == "__main__":
    sys.exit(main())
