# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: python tests/comet_server [options] (or python -m comet_server with tests/ on the path).

Prints the URL on stdout when it is ready, writes the port to --port-file, stops cleanly (state saved) on SIGTERM
or SIGINT."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

if __package__ in (None, ""):
    # run as "python tests/comet_server": make "comet_server" importable as a package, and do not let this
    # directory shadow anything on sys.path
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    sys.path.insert(0, os.path.dirname(_here))
    from comet_server.server import CometServerStandIn  # noqa: E402
else:
    from .server import CometServerStandIn


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python tests/comet_server", description="Comet Server stand-in (test code)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the port number here once listening")
    p.add_argument("--state-file", help="JSON state, loaded at start if present, written atomically on each change")
    p.add_argument("--fixture", action="append", default=[], help="JSON fixture merged into the state (repeatable)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a CA and certificate generated at start")
    p.add_argument("--cert-dir", help="where the CA (ca.pem) and server certificate go; reused if complete")
    p.add_argument("--admin-user", default=None, help="admin username (default: admin, with --admin-password-file)")
    p.add_argument("--admin-password-file", help="file holding the admin password (first line)")
    p.add_argument("--installer", action="append", default=[], metavar="VARIANT=PATH",
                   help="file served by branding/generate-client/VARIANT (repeatable)")
    p.add_argument("--online-ttl", type=float, default=30.0, help="seconds a device counts as online after a heartbeat")
    p.add_argument("--verbose", action="store_true", help="request log entries on stderr (never a password)")
    args = p.parse_args(argv)
    installers = {}
    for item in args.installer:
        variant, sep, path = item.partition("=")
        if not sep or not variant or not path:
            p.error("--installer takes VARIANT=PATH")
        installers[variant] = os.path.abspath(path)
    args.installers = installers
    if args.admin_user and not args.admin_password_file:
        p.error("--admin-user needs --admin-password-file")
    return args


def read_password(path):
    with open(path) as f:
        line = f.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise SystemExit("comet_server: the admin password file %s is empty" % path)
    return password


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    admin_users = {}
    if args.admin_password_file:
        admin_users[args.admin_user or "admin"] = read_password(args.admin_password_file)
    srv = CometServerStandIn(admin_users=admin_users, tls=args.tls, port=args.port, host=args.host,
                             state_file=args.state_file, cert_dir=args.cert_dir, online_ttl=args.online_ttl,
                             installers=args.installers, verbose=args.verbose, fixture=args.fixture)
    if not srv.state.admins:
        sys.stderr.write("comet_server: no admin user (give --admin-password-file, a fixture with \"admins\", "
                         "or a state file that has one)\n")
        return 2

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    srv.start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.port)
        os.replace(tmp, args.port_file)
    if srv.ca_cert_path:
        sys.stderr.write("comet_server: CA certificate %s\n" % srv.ca_cert_path)
    sys.stdout.write(srv.url + "\n")
    sys.stdout.flush()
    try:
        while not stop.is_set():
            stop.wait(0.5)
    finally:
        srv.stop()
        sys.stderr.write("comet_server: stopped%s\n" % (", state saved to %s" % args.state_file if args.state_file else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
