# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stand-in .run and `backup-tool login prompt` take the answers of the seed's documented Linux activation (seed
000: Username, Password, Server URL (default), Device name (default)) in that order, and refuse any other answer
sequence (exit 2, a message naming the question and the documented order, never an answer) before a device is
registered - so the role's four lines on stdin are tested against the documented sequence (issue 23)."""
from __future__ import annotations

import os

import pytest

from installer_testlib import OLD, PASSWORD, USER, devices, short_hostname

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the .run installs as root (run these tests as root)")

ORDER = ("the answers, one per line on stdin, are in this order: Username, Password, Server URL (blank for the "
         "default), Device name (blank for the default)")


def role_stdin(server_url, device_name=""):
    """The role's stdin: vars/main.yml _comet_client_prompt_answers (four answers joined by newlines) plus the newline
    ansible.builtin.command adds (stdin_add_newline)."""
    return "\n".join([USER, PASSWORD, server_url, device_name]) + "\n"


def test_the_roles_four_lines_follow_the_documented_sequence(runs, server, host):
    res = host.install(runs[OLD], role_stdin(server.url, "lab-pc-7").splitlines())
    assert res.returncode == 0, res.stdout + res.stderr
    (dev,) = devices(server).values()
    assert dev["FriendlyName"] == "lab-pc-7"
    # login prompt, the same four lines: the same device, logged in
    res = host.tool("login", "prompt", stdin=role_stdin(server.url))
    assert res.returncode == 0, res.stdout + res.stderr
    for prompt in ("Username: ", "Password: ", "Server URL (%s): " % server.url, "Device name (lab-pc-7): "):
        assert prompt in res.stdout
    assert list(devices(server)) == [host.out("info", "device-id")]
    assert host.out("login", "status") == "Logged in, unlocked (2)"


@pytest.mark.parametrize("answers, why", [
    # the device name where the server URL is asked, and the URL where the name is
    (lambda url: [USER, PASSWORD, "lab-pc-42", url], "Server URL: the answer is not an http:// or https:// URL"),
    (lambda url: [USER, PASSWORD, "", url], "Device name: the answer is a URL"),
    (lambda url: [url, USER, PASSWORD, ""], "Username: the answer is a URL"),
    (lambda url: [USER, PASSWORD, url, "", "lab-pc-42"], "1 more answer(s) after the last question (Device name)"),
    (lambda url: ["", PASSWORD, url, ""], "Username: no answer"),
    (lambda url: [USER], "Password: no answer"),
    (lambda url: [USER, ""], "Password: no answer"),
], ids=["name-as-server", "url-as-name", "url-as-user", "five-answers", "no-user", "eof-before-password", "no-password"])
def test_the_run_refuses_another_sequence(runs, server, host, answers, why):
    # the stand-in as the default server: a blank Server URL answer reaches it
    res = host.install(runs[OLD], answers(server.url), OVERRIDE_INSTALL_SERVER=server.url)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "ERROR: Unexpected answers: %s" % why in res.stderr and ORDER in res.stderr
    assert PASSWORD not in res.stdout + res.stderr and "lab-pc-42" not in res.stderr
    assert devices(server) == {}, "a device was registered from answers out of order"
    assert not os.path.exists(host.config)
    assert "Registering this device..." not in res.stdout and "Complete!" not in res.stdout


@pytest.mark.parametrize("stdin, why", [
    (lambda url: "%s\n%s\nlab-pc-42\n%s\n" % (USER, PASSWORD, url), "Server URL: the answer is not"),
    (lambda url: "%s\n%s\n%s\nlab-pc-42\nextra\n" % (USER, PASSWORD, url), "1 more answer(s)"),
    (lambda url: "%s\n\n%s\n" % (USER, url), "Password: no answer"),
])
def test_login_prompt_refuses_another_sequence_and_keeps_the_login(runs, server, host, first_answers, stdin, why):
    assert host.install(runs[OLD], first_answers).returncode == 0
    with open(host.config) as handle:
        before = handle.read()
    calls = len(server.log)
    res = host.tool("login", "prompt", stdin=stdin(server.url))
    assert res.returncode == 2 and why in res.stderr and ORDER in res.stderr, res.stdout + res.stderr
    assert PASSWORD not in res.stdout + res.stderr
    with open(host.config) as handle:
        assert handle.read() == before
    assert [e["endpoint"] for e in server.log[calls:] if e["endpoint"] in ("web/session/start", "register-device")] == []


def test_trailing_empty_lines_and_the_documented_two_lines_are_fine(runs, server, host):
    res = host.install(runs[OLD], [USER, PASSWORD, server.url, "", "", ""])
    assert res.returncode == 0, res.stderr
    (dev,) = devices(server).values()
    assert dev["FriendlyName"] == short_hostname()
    res = host.tool("login", "prompt", stdin="%s\n%s\n" % (USER, PASSWORD), OVERRIDE_INSTALL_SERVER=server.url)
    assert res.returncode == 0, res.stdout + res.stderr
