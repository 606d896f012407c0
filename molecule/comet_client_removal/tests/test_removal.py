"""unil.backup.comet_client state=absent: client, unit and device gone; user data intact."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "comet_client"))
import cc_testlib as lib  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(name="h")
def fast_host(host):
    return lib.fast(host)


def test_unit_gone(h):
    assert not h.file("/etc/systemd/system/%s.service" % lib.SERVICE).exists
    out = h.run("systemctl list-unit-files %s.service" % lib.SERVICE).stdout
    assert "%s.service" % lib.SERVICE not in out


def test_client_gone(h):
    assert not h.file(lib.INSTALL_DIR).exists
    assert lib.client_processes(h) == []
    assert not h.file("/root/.config/backup-tool").exists


def test_user_data_intact(h):
    thesis = h.file("/home/alice/Documents/thesis.txt")
    assert thesis.exists
    assert thesis.content_string == "Chapter 1: why backups matter\n"


def test_device_revoked_on_server(h):
    with open(lib.eph("device-%s" % lib.instance_name(h)), encoding="utf-8") as handle:
        device_id = handle.read().strip()
    assert device_id
    assert device_id not in lib.devices()
