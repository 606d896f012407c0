"""The end user's password (and a wrong one tried first) and the admin password appear nowhere: -vvv log, ps, files on the host."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "comet_client"))
import cc_testlib as lib  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(name="h")
def fast_host(host):
    return lib.fast(host)


# Walks the host's file system (not /proc, /sys) and prints the files holding any of the secrets read on stdin.
FINDER = r"""
import os, sys
secrets = [s.encode() for s in sys.stdin.read().split()]
hits, scanned = [], 0
for top in sorted(os.listdir("/")):
    if top in ("proc", "sys"):
        continue
    for root, dirs, files in os.walk("/" + top):
        for name in files:
            path = os.path.join(root, name)
            try:
                if not os.path.isfile(path) or os.path.islink(path):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            scanned += 1
            if any(s in data for s in secrets):
                hits.append(path)
print("scanned %d" % scanned)
for h in hits:
    print("HIT " + h)
"""


def secrets():
    out = []
    for name in ("user.pw", "wrong.pw", "admin.pw"):
        with open(lib.eph(name), encoding="utf-8") as handle:
            out.append(handle.read().strip())
    assert all(len(s) >= 16 for s in out)
    return out


def test_client_installed_and_logged_in(h):
    assert lib.tool(h, "login", "status").startswith("Logged in")


def test_wrong_password_failed_cleanly():
    with open(lib.eph("wrong-password-failure.txt"), encoding="utf-8") as handle:
        message = handle.read()
    assert "unil.backup.comet_client" in message
    for secret in secrets():
        assert secret not in message


def test_password_not_in_vvv_log():
    with open(lib.eph("ansible.log"), encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    # the log really is a -vvv log of a converge that ran the installer
    assert "Run the installer" in log
    assert "EXEC" in log or "ESTABLISH" in log  # -vvv connection details
    for secret in secrets():
        assert secret not in log


def test_password_not_in_ps_during_install(h):
    pid = h.file("/var/tmp/ps-sampler.pid").content_string.strip()
    h.run("kill %s" % pid)
    samples = h.file("/var/tmp/ps-samples.txt").content_string
    print("ps samples: %d lines" % len(samples.splitlines()))
    # the sampler did see the installer and the client's commands run
    assert "Comet_Backup_UNIL-" in samples
    for secret in secrets():
        assert secret not in samples


def test_password_in_no_file_on_host(h):
    res = subprocess.run(["podman", "exec", "-i", lib.instance_name(h), "python3", "-c", FINDER],
                         input="\n".join(secrets()), capture_output=True, text=True, check=True)
    print(res.stdout.splitlines()[0])
    assert int(res.stdout.splitlines()[0].split()[1]) > 1000
    assert [line for line in res.stdout.splitlines() if line.startswith("HIT ")] == []
