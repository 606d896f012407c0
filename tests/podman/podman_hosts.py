# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The podman systemd test hosts: the one wait for a booting host, and the names that keep two runs apart.

Test code, never shipped. Used by scripts/demo.sh, the Molecule scenarios (molecule/shared/wait_hosts.yml), their
testinfra helpers (a reboot is ``podman restart`` + this wait) and the integration tests.

    python tests/podman/podman_hosts.py wait-booted [--timeout S] NAME...   exit 0 once every NAME's systemd answers
                                                                             running/degraded; else exit 1 with the
                                                                             last answer of each host not booted
    python tests/podman/podman_hosts.py run-id PATH                          the short id of a checkout or a run dir

Why a loop and not one ``systemctl is-system-running --wait``: right after ``podman run`` systemd inside the container
is not reachable yet (no D-Bus, no private socket), and systemctl then answers at once with an error instead of
waiting. Only a bounded retry that treats that error as "not yet" waits for the boot.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONTAINERS_CONF = os.path.join(HERE, "containers.conf")
BOOTED = ("running", "degraded")
DEFAULT_TIMEOUT = 180.0


def podman_env():
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", CONTAINERS_CONF)
    return env


def run_id(path):
    """Six hex digits that name everything one checkout (or one run directory) creates on this machine."""
    return hashlib.sha256(os.path.abspath(path).encode("utf-8")).hexdigest()[:6]


def _probe(name, timeout, runner):
    """One look at NAME's systemd: (state or None, what it said). Never raises for a host that is still booting."""
    argv = ["podman", "exec", name, "systemctl", "is-system-running", "--wait"]
    try:
        proc = runner(argv, timeout)
    except subprocess.TimeoutExpired:
        return None, "no answer within %.0f s" % timeout
    state = (proc.stdout or "").strip().splitlines()[-1:] or [""]
    state = state[0].strip()
    if state in BOOTED:
        return state, state
    said = " ".join(part for part in ((proc.stdout or "").strip(), (proc.stderr or "").strip()) if part)
    return None, "rc %d: %s" % (proc.returncode, said or "(nothing)")


def _run(argv, timeout):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=podman_env(), check=False)


def wait_booted(names, timeout=DEFAULT_TIMEOUT, interval=1.0, runner=_run, clock=time.monotonic, sleep=time.sleep):
    """Wait until systemd in every container of ``names`` answers running or degraded.

    Returns {name: state}. Raises TimeoutError naming each host that did not boot with its last answer.
    ``runner``, ``clock`` and ``sleep`` are there for the unit tests.
    """
    deadline = clock() + timeout
    pending = list(names)
    booted = {}
    last = {}
    attempts = dict((name, 0) for name in names)
    while pending:
        for name in list(pending):
            remaining = deadline - clock()
            attempts[name] += 1
            state, said = _probe(name, max(1.0, min(30.0, remaining)), runner)
            if state:
                booted[name] = state
                pending.remove(name)
            else:
                last[name] = said
        if not pending:
            break
        if clock() >= deadline:
            raise TimeoutError("; ".join("%s did not boot within %.0f s (%d tries), last answer: %s"
                                         % (name, timeout, attempts[name], last[name]) for name in pending))
        sleep(interval)
    return booted


def poll(predicate, timeout=60, step=1.0):
    """Call ``predicate`` until it returns a true value or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def restart(name, timeout=DEFAULT_TIMEOUT):
    """A real reboot of a container (systemd starts again as PID 1), then the same wait for its boot."""
    subprocess.run(["podman", "restart", "--time", "5", name], check=True, capture_output=True, env=podman_env())
    return wait_booted([name], timeout=timeout)[name]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    wait = sub.add_parser("wait-booted", help="wait until systemd in each container answers running/degraded")
    wait.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds for all hosts (default 180)")
    wait.add_argument("names", nargs="+")
    ident = sub.add_parser("run-id", help="the short id of a checkout or run directory")
    ident.add_argument("path")
    args = parser.parse_args(argv)
    if args.command == "run-id":
        print(run_id(args.path))
        return 0
    started = time.monotonic()
    try:
        states = wait_booted(args.names, timeout=args.timeout)
    except TimeoutError as exc:
        print("wait-booted: %s" % exc, file=sys.stderr)
        return 1
    print("wait-booted: %s (%.1f s)" % (", ".join("%s %s" % kv for kv in sorted(states.items())),
                                        time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
