# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one wait for a booting podman host: its loop (scripted answers) and real hosts booting on a loaded machine."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import podman_hosts  # noqa: E402  pylint: disable=wrong-import-position

NOT_REACHABLE = (1, "offline", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                               "Failed to connect to bus: Host is down")


class Scripted:
    """A runner that answers each probe of a host from a script, and a clock that each probe advances."""

    def __init__(self, answers, seconds_per_probe=1.0):
        self.answers = dict((name, list(items)) for name, items in answers.items())
        self.calls = []
        self.now = 0.0
        self.step = seconds_per_probe

    def run(self, argv, timeout):
        name = argv[2]
        self.calls.append((name, timeout))
        self.now += self.step
        items = self.answers[name]
        answer = items.pop(0) if len(items) > 1 else items[0]
        if answer == "hang":
            raise subprocess.TimeoutExpired(argv, timeout)
        rc, out, err = answer
        return subprocess.CompletedProcess(argv, rc, out + "\n", err)

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def wait(script, names, timeout=60):
    return podman_hosts.wait_booted(names, timeout=timeout, runner=script.run, clock=script.clock, sleep=script.sleep)


def test_a_host_whose_systemd_is_not_reachable_yet_is_waited_for():
    script = Scripted({"a": [NOT_REACHABLE, NOT_REACHABLE, "hang", (0, "running", "")]})
    assert wait(script, ["a"]) == {"a": "running"}
    assert [c[0] for c in script.calls] == ["a"] * 4


def test_degraded_is_booted_and_each_host_is_probed_until_it_answers():
    script = Scripted({"a": [(0, "running", "")], "b": [NOT_REACHABLE, (1, "degraded", "")]})
    assert wait(script, ["a", "b"]) == {"a": "running", "b": "degraded"}
    assert [c[0] for c in script.calls] == ["a", "b", "b"]


def test_giving_up_names_each_host_and_its_last_answer():
    script = Scripted({"a": [(0, "running", "")], "b": [NOT_REACHABLE], "c": [(1, "maintenance", "")]})
    with pytest.raises(TimeoutError) as err:
        wait(script, ["a", "b", "c"], timeout=20)
    text = str(err.value)
    assert "a did not boot" not in text
    assert "b did not boot within 20 s" in text and "Failed to connect to bus: Host is down" in text
    assert "c did not boot within 20 s" in text and "rc 1: maintenance" in text
    # bounded: it stops at the deadline, one probe per host and round
    assert script.now < 25 and 5 <= len(script.calls) <= 25


def test_a_probe_never_waits_past_the_deadline_nor_below_a_second():
    script = Scripted({"a": ["hang"]}, seconds_per_probe=7.0)
    with pytest.raises(TimeoutError) as err:
        wait(script, ["a"], timeout=100)
    assert "no answer within" in str(err.value)
    timeouts = [c[1] for c in script.calls]
    assert max(timeouts) <= 30 and min(timeouts) >= 1


def test_run_id_is_stable_per_path_and_differs_between_checkouts(tmp_path):
    assert podman_hosts.run_id(str(tmp_path / "a")) == podman_hosts.run_id(str(tmp_path / "a" / ".." / "a"))
    assert podman_hosts.run_id(str(tmp_path / "a")) != podman_hosts.run_id(str(tmp_path / "b"))
    out = subprocess.run([sys.executable, podman_hosts.__file__, "run-id", str(tmp_path / "a")], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == podman_hosts.run_id(str(tmp_path / "a")) and len(out) == 6


def _podman(*args, check=True):
    return subprocess.run(["podman"] + list(args), env=podman_hosts.podman_env(), capture_output=True, text=True,
                          check=check)


@pytest.mark.slow
def test_hosts_started_together_on_a_loaded_machine_are_all_waited_for():
    """Three rounds: five systemd hosts started at once (the three demo images and two more beside them), each round
    waited for by the helper right after `podman run`, when their systemd is not reachable yet."""
    prefix = "unil-test-boot-" + podman_hosts.run_id(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    names = ["%s-%d" % (prefix, i) for i in range(5)]
    images = ["11", "12", "13", "12", "13"]
    try:
        for round_no in range(3):
            for name in names:
                _podman("rm", "-f", "-t", "0", name, check=False)
            started = time.monotonic()
            for name, release in zip(names, images):
                _podman("run", "-d", "--name", name, "--systemd", "always",
                        "localhost/unil-debian-systemd:%s" % release, "/sbin/init")
            states = podman_hosts.wait_booted(names, timeout=240)
            print("round %d: %d hosts booted in %.1f s: %s" % (round_no + 1, len(names), time.monotonic() - started,
                                                               sorted(states.values())))
            assert sorted(states) == sorted(names)
            for name in names:
                # really booted: systemd answers at once, without --wait
                out = _podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
                assert out in podman_hosts.BOOTED, (name, out)
        # a reboot is podman restart + the same wait
        assert podman_hosts.restart(names[0]) in podman_hosts.BOOTED
    finally:
        for name in names:
            _podman("rm", "-f", "-t", "0", name, check=False)
