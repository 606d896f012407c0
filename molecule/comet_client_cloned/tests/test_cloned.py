"""Imaged hosts given an identity of their own (comet_client_reidentify_clones): four machine IDs, four devices,
each named after its host; the device registered before the fix kept its ID."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "comet_client"))
import cc_testlib as lib  # noqa: E402
import pytest  # noqa: E402

IMAGE_MACHINE_ID = "5eed0c10ed0c10ed0c10ed0c10ed0c10"


@pytest.fixture(name="h")
def fast_host(host):
    return lib.fast(host)


def test_machine_id_is_its_own_except_on_the_first_host(h):
    machine_id = h.file("/etc/machine-id").content_string.strip()
    name = lib.instance_name(h)
    assert len(machine_id) == 32 and all(c in "0123456789abcdef" for c in machine_id)
    assert (machine_id == IMAGE_MACHINE_ID) == ("-demo-" in name), (name, machine_id)


def test_client_logged_in_on_a_device_of_its_own(h):
    status = lib.tool(h, "login", "status")
    assert status.startswith("Logged in"), status
    device = lib.tool(h, "info", "device-id").strip()
    devices = lib.devices()
    assert device in devices, devices
    # four hosts, four devices, each named after its host
    assert len(devices) == 4, devices
    assert devices[device]["FriendlyName"] == h.check_output("hostname").strip(), devices[device]


def test_the_registered_device_kept_its_id(h):
    name = lib.instance_name(h)
    if "-demo-" not in name:
        pytest.skip("only the host installed before the fix had a device")
    recorded = open(lib.eph("device-" + name), encoding="utf-8").read().strip()
    assert lib.tool(h, "info", "device-id").strip() == recorded
