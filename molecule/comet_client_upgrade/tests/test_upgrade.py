"""unil.backup.comet_client upgrade 24.6.0 -> 24.7.0: new version, same device, one device; no downgrade."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "comet_client"))
import cc_testlib as lib  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(name="h")
def fast_host(host):
    return lib.fast(host)


def test_version_2_installed(h):
    assert lib.tool(h, "version").split()[-1] == "24.7.0"


def test_same_device_and_only_one(h):
    with open(lib.eph("device-%s" % lib.instance_name(h)), encoding="utf-8") as handle:
        before = handle.read().strip()
    assert before
    assert lib.tool(h, "info", "device-id") == before
    short_name = h.check_output("hostname -s").strip()
    devs = lib.devices()
    assert [k for k, v in devs.items() if v.get("FriendlyName") == short_name] == [before], devs
    assert len(devs) == 1, devs


def test_running_and_logged_in(h):
    assert h.run("systemctl is-active %s" % lib.SERVICE).stdout.strip() == "active"
    assert any("backup-daemon" in p for p in lib.client_processes(h))
    assert lib.tool(h, "login", "status").startswith("Logged in")


def test_downgrade_is_refused(h):
    env = dict(os.environ)
    project = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    res = subprocess.run(
        ["ansible-playbook", "-i", lib.eph("inventory"), os.path.join(project, "playbooks", "install.yml"),
         "--limit", lib.instance_name(h),
         "-e", "comet_client_installer_file=%s" % lib.eph("installers/Comet_Backup_UNIL-24.6.0.run")],
        env=env, capture_output=True, text=True, check=False)
    output = res.stdout + res.stderr
    assert res.returncode != 0
    assert "refusing to downgrade" in output, output[-3000:]
    assert lib.tool(h, "version").split()[-1] == "24.7.0"
