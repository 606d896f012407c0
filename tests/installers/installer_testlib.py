# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Constants and helpers shared by the stand-in .run installer tests (imported by name; conftest holds the fixtures).

A test module must not `import conftest`: with several test folders collected in one run, that name
resolves to whichever conftest.py was imported first.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request

ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Run-S3cret-q9"
USER = "pnom"
# distinctive, so that a search for it in files, argv and environments cannot match by chance
PASSWORD = "Pw-Zx9Qk7Lm2Vb8Nc4Rt6-unique"
BRAND = "CometBackupUNIL"
OLD, NEW = "24.6.0", "24.9.1"


def short_hostname():
    return subprocess.run(["hostname", "-s"], check=True, capture_output=True, text=True).stdout.strip()


def admin(srv, endpoint, **params):
    params.update({"Username": ADMIN, "AuthType": "Password", "Password": ADMIN_PASSWORD})
    data = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(srv.url + "api/v1/admin/" + endpoint, data=data, timeout=10) as resp:
        return json.load(resp)


def devices(srv, account=USER):
    return srv.state.get_profile(account).get("Devices") or {}


def pids_matching(text):
    """PIDs of processes whose command line holds `text` (e.g. one test's install root)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline and int(entry) != os.getpid():
            found.append(int(entry))
    return found


def wait_for(predicate, timeout=20.0, step=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
