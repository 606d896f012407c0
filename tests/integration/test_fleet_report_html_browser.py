# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML fleet report (filter unil.backup.fleet_report_html) opened in a real headless browser, Debian's chromium
(scripts/setup.sh installs it), from a file:// URL as a mail attachment would be, without network:
  - no console message at all (no JS error, no Content-Security-Policy violation), the page's script ran
    (body data-ready="1") and recorded no error;
  - the table and the three SVG charts are there, the device named <script>... is text;
  - the page's self-test (URL #selftest: what a click on a column header and a word in the filter box do, written into
    the DOM) sorts text columns in natural order both ways and numbers as numbers, and filters;
  - a screenshot, build/fleet-report.png, is a non-empty PNG (look at it).
Skipped when chromium is missing, except under CI=true where that is a failure."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import time

import pytest

from ansible_collections.unil.backup.plugins.filter.fleet_report_html import fleet_report_html
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet as fleet

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCREENSHOT = os.path.join(ROOT, "build", "fleet-report.png")
NOW = 1795435200  # 2026-11-23T12:00:00Z
DAY = 86400
EVIL = "<script>document.body.dataset.pwned='1'</script>"
NEEDLE = "selftest-filter-needle"   # the page's self-test filters on it: one row has it


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing under CI=true: scripts/setup.sh installs it (Debian package chromium)")
    pytest.skip("chromium is not installed (Debian package chromium, installed by scripts/setup.sh): the HTML report "
                "is not checked in a browser")
    return None


def run_browser(browser, profile, *args, timeout=60):
    cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
           "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + str(profile), "--enable-logging=stderr",
           "--v=0"] + list(args)
    started = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)
    return proc, time.time() - started


def console_lines(stderr):
    """Whatever the page wrote to the console (errors, CSP violations, logs): chromium logs them as ...:CONSOLE..."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def fleet_spec():
    """{account: {device_id: (name, [(days ago, status)])}}: every state, natural-order names, an evil one."""
    ok = [(k + 0.5, 5000) for k in range(30)]
    return {
        "alice": {"a1": ("pc-alpha", ok[:2] + [(0.1, 7002)]), "a2": ("PC-beta", [(40, 5000)]),
                  "a3": ("pc-gamma-10", [(200, 5000)]), "a4": ("pc-gamma-2", [(9, 5000)])},
        "bob": {"dev-" + NEEDLE: ("delta", [(12, 5000)])},
        "carol": {},
        "dave": {"d1": (EVIL, []), "d2": ("zeta-mac", ok[:5] + [(0.2, 7007)]), "d3": ("working-one", ok)},
        "erin": {"e1": ("warning-one", ok[1:] + [(0.1, 7001)])},
    }


def build_report():
    profiles, jobs = {}, []
    for account, devices in fleet_spec().items():
        profile = profiles[account] = {"Username": account, "Devices": {}, "Sources": {}}
        for device_id, (name, runs) in devices.items():
            profile["Devices"][device_id] = {"FriendlyName": name, "PlatformVersion": {"os": "linux"},
                                             "ClientVersion": "24.6.0"}
            source = profile["Sources"]["src-" + device_id] = {"OwnerDevice": device_id}
            for i, (ago, status) in enumerate(sorted(runs, key=lambda r: -r[0])):
                end = NOW - int(ago * DAY)
                job = {"GUID": "%s-%d" % (device_id, i), "Username": account, "DeviceID": device_id,
                       "Classification": 4001, "Status": status, "StartTime": end - 600, "EndTime": end,
                       "SourceGUID": "src-" + device_id}
                source.setdefault("Statistics", {})["LastBackupJob"] = dict(job)
                if status == 5000:
                    source["Statistics"]["LastSuccessfulBackupJob"] = dict(job)
                if end >= NOW - 28 * DAY:
                    jobs.append(job)
    return fleet.fleet_report(profiles, {}, jobs, NOW, history_days=28)


def natural(text):
    return [int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", text)]


def test_the_page_in_a_headless_browser(tmp_path):
    browser = chromium()
    report = build_report()
    page = tmp_path / "fleet-report.html"
    page.write_text(fleet_report_html(report, {"alice": "dept_chimie", "bob": "dept_chimie", "dave": "dept_lettres"}),
                    encoding="utf-8")
    url = "file://%s" % page

    proc, seconds = run_browser(browser, tmp_path / "profile", "--dump-dom", url + "#selftest")
    assert proc.returncode == 0, proc.stderr[-3000:]
    dom = proc.stdout
    print("chromium --dump-dom: %.1f s, %d bytes of DOM" % (seconds, len(dom)))
    assert console_lines(proc.stderr) == [], "the page wrote to the console (JS error, CSP violation...)"
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-ready="1"' in body, "the page's script did not run to its end: %s" % body
    assert "data-js-errors" not in body and "data-pwned" not in body, body
    # the device named <script>... is text, never an element; the page's own script is the only one
    assert dom.count("<script") == 1
    assert "&lt;script&gt;document.body.dataset.pwned='1'&lt;/script&gt;" in dom
    assert dom.count('<svg class="chart"') == 3
    assert 'id="action-table"' in dom and 'id="filter"' in dom and 'id="filter" hidden' not in dom

    result = json.loads(html.unescape(re.search(r'<pre id="selftest">(.*?)</pre>', dom, re.S).group(1)))
    expected_devices = sorted(result["device_asc"], key=natural)
    assert result["device_asc"] == expected_devices, result["device_asc"]
    assert result["device_desc"] == list(reversed(result["device_asc"]))
    # the rows: the account rows (no device) first, then by natural order, "pc-gamma-2" before "pc-gamma-10"
    assert [n for n in result["device_asc"] if n] == [EVIL, "delta", "pc-alpha", "PC-beta", "pc-gamma-2",
                                                      "pc-gamma-10", "zeta-mac"]
    assert result["age_asc"] == sorted(result["age_asc"]) and result["age_asc"][-1] == 999999
    # 7 devices and carol's account (no device); working-one and warning-one (a Warning is a working backup) are not
    assert result["rows"] == len(result["device_asc"]) == 8
    assert result["filtered"] == 1 and result["shown_text"] == "1 of %d shown" % result["rows"]
    assert result["unfiltered"] == result["rows"]

    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    if os.path.exists(SCREENSHOT):
        os.unlink(SCREENSHOT)
    proc, seconds = run_browser(browser, tmp_path / "profile", "--screenshot=" + SCREENSHOT, "--window-size=1400,2000",
                                "--hide-scrollbars", url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert console_lines(proc.stderr) == []
    with open(SCREENSHOT, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1400, 2000)
    print("chromium --screenshot: %.1f s, %s (%d KiB)" % (seconds, SCREENSHOT, os.path.getsize(SCREENSHOT) // 1024))
