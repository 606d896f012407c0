"""unil.backup.comet_client state=absent: client, unit and device gone; user data intact."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "comet_client_default", "shared"))
import cc_testlib as lib  # noqa: E402


def test_unit_gone(host):
    assert not host.file("/etc/systemd/system/%s.service" % lib.SERVICE).exists
    out = host.run("systemctl list-unit-files %s.service" % lib.SERVICE).stdout
    assert "%s.service" % lib.SERVICE not in out


def test_client_gone(host):
    assert not host.file(lib.INSTALL_DIR).exists
    assert lib.client_processes(host) == []
    assert not host.file("/root/.config/backup-tool").exists


def test_user_data_intact(host):
    thesis = host.file("/home/alice/Documents/thesis.txt")
    assert thesis.exists
    assert thesis.content_string == "Chapter 1: why backups matter\n"


def test_device_revoked_on_server(host):
    with open(lib.eph("device-%s" % lib.instance_name(host)), encoding="utf-8") as handle:
        device_id = handle.read().strip()
    assert device_id
    assert device_id not in lib.devices()
