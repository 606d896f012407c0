# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts that would share one Comet device, found in one pass (_comet_identity)."""

from __future__ import annotations

import time

from ansible_collections.unil.backup.plugins.module_utils import _comet_identity as ci


def test_device_ids_shared_by_two_hosts_form_one_group():
    groups = ci.shared_groups({"a": "dev-1", "b": "dev-2", "c": "dev-1", "d": ""})
    assert groups == [{"hosts": ["a", "c"], "shared": {"device_id": ["dev-1"]}}]


def test_no_identity_and_placeholders_never_collide():
    groups = ci.shared_groups({
        "a": {"product_uuid": "00000000-0000-0000-0000-000000000000", "machine_id": ""},
        "b": {"product_uuid": "00000000-0000-0000-0000-000000000000", "machine_id": None},
        "c": None, "d": None,
    })
    assert groups == []


def test_hosts_linked_through_different_values_are_one_group():
    # a and b share a machine ID, b and c an SSH host key: one image, three hosts
    groups = ci.shared_groups({
        "a": {"machine_id": "m1", "ssh_host_key": ["SHA256:k1"]},
        "b": {"machine_id": "m1", "ssh_host_key": ["SHA256:k2"]},
        "c": {"machine_id": "m3", "ssh_host_key": ["SHA256:k2", "SHA256:k9"]},
        "d": {"machine_id": "m4", "ssh_host_key": ["SHA256:k4"]},
    })
    assert groups == [{"hosts": ["a", "b", "c"], "shared": {"machine_id": ["m1"], "ssh_host_key": ["SHA256:k2"]}}]


def test_keys_limit_what_counts():
    identities = {"a": {"device_id": "", "machine_id": "m"}, "b": {"device_id": "", "machine_id": "m"}}
    assert ci.shared_groups(identities, keys=("device_id",)) == []
    assert len(ci.shared_groups(identities)) == 1


def test_refusals_name_the_others_the_shared_value_and_the_way_out():
    refusals, groups = ci.refusals({"lab-01": "D1", "lab-02": "D1", "lab-03": "D1", "lab-04": "D4"})
    assert sorted(refusals) == ["lab-01", "lab-02", "lab-03"]
    text = refusals["lab-02"]
    assert text.startswith("lab-02 shares the Comet device ID D1 with lab-01, lab-03 (3 hosts")
    assert "DeviceIdentificationEntropy" in text and "comet_client_allow_shared_device_id" in text
    assert len(groups) == 1


def test_allowed_hosts_are_not_refused_but_still_name_the_group():
    refusals, dummy = ci.refusals({"a": "D", "b": "D"}, allowed=["a"])
    assert list(refusals) == ["b"]
    assert "with a (2 hosts" in refusals["b"]


def test_a_big_group_names_ten_hosts_and_counts_the_rest():
    identities = dict(("h%03d" % i, "same") for i in range(50))
    refusals, dummy = ci.refusals(identities)
    assert "h001, h002" in refusals["h000"] and "and 39 more (50 hosts" in refusals["h000"]


def test_ten_thousand_hosts_in_one_pass():
    # 10,000 hosts: 9,000 distinct, then 100 rooms of 10 clones; printed, not asserted against a clock
    identities = {}
    for i in range(9000):
        identities["pc%05d" % i] = {"machine_id": "m%d" % i, "ssh_host_key": ["k%d" % i], "device_id": "d%d" % i}
    for room in range(100):
        for seat in range(10):
            identities["room%03d-%d" % (room, seat)] = {"machine_id": "img%d" % room, "ssh_host_key": ["ik%d" % room]}
    start = time.perf_counter()
    refusals, groups = ci.refusals(identities)
    elapsed = time.perf_counter() - start
    print("\n_comet_identity.refusals: 10,000 hosts, %d groups, %d refusals in %.3f s" % (len(groups), len(refusals), elapsed))
    assert len(groups) == 100 and len(refusals) == 1000
    assert all(len(group["hosts"]) == 10 for group in groups)


def test_installed_clients_with_their_own_devices_are_not_grouped_by_their_inputs():
    groups = ci.shared_groups({"a": {"device_id": "D1", "machine_id": "m"}, "b": {"device_id": "D2", "machine_id": "m"}})
    assert groups == []


def test_a_new_host_from_the_image_of_an_installed_one_is_grouped_with_it():
    groups = ci.shared_groups({"demo": {"device_id": "D1", "machine_id": "m"}, "new-1": {"machine_id": "m"},
                               "new-2": {"machine_id": "m"}, "other": {"device_id": "D9", "machine_id": "x"}})
    assert groups == [{"hosts": ["demo", "new-1", "new-2"], "shared": {"machine_id": ["m"]}}]


def test_ssh_key_fingerprint_is_ssh_keygen_s():
    # ssh-keygen -l -f of this ed25519 public key prints SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU
    line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl comment"
    assert ci.ssh_key_fingerprint(line) == "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"
    assert ci.ssh_key_fingerprint("not a key") == "" and ci.ssh_key_fingerprint("ssh-rsa !!!") == ""


def test_linux_identity_from_files(tmp_path):
    files = {"/etc/machine-id": "3D1219C7C4C5404AAA1F6D2A48ADFDA4\n", "/var/lib/dbus/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n",
             "/sys/class/dmi/id/product_uuid": "4C4C4544-0042-3510-8051-B4C04F4A4E32\n",
             "/etc/ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl r\n",
             "/etc/ssh/ssh_host_rsa_key": "PRIVATE, never read\n"}
    identity = ci.linux_identity(read=lambda path: files.get(path, ""),
                                 listdir=lambda d: [p.rsplit("/", 1)[1] for p in files if p.startswith(d + "/")])
    assert identity["machine_id"] == "3d1219c7c4c5404aaa1f6d2a48adfda4" and identity["dbus_machine_id"] == ""
    assert identity["product_uuid"] == "4c4c4544-0042-3510-8051-b4c04f4a4e32"
    assert len(identity["ssh_host_key"]) == 1
    empty = ci.linux_identity(read=lambda path: "uninitialized\n" if path == "/etc/machine-id" else "", listdir=lambda d: [])
    assert empty == {"machine_id": "", "dbus_machine_id": "", "product_uuid": "", "ssh_host_key": []}


def test_macos_and_windows_identity():
    ioreg = '+-o J314sAP  <class IOPlatformExpertDevice>\n    "IOPlatformUUID" = "1a2b3c4d-0000-1111-2222-333344445555"\n'
    assert ci.macos_identity(ioreg, read=lambda p: "", listdir=lambda d: [])["platform_uuid"] == "1A2B3C4D-0000-1111-2222-333344445555"
    assert ci.parse_ioreg_platform_uuid("nothing") == ""
    win = ci.windows_identity({"MachineGuid": "ABC-1", "DeviceIdentificationEntropy": " e1 ", "Other": "x"})
    assert win == {"machine_guid": "abc-1", "entropy": "e1", "hardware_id_override": ""}
    # MachineGuid is reported, never compared: sysprep-less clones on other hardware are distinct devices
    groups = ci.shared_groups({"w1": win, "w2": dict(win, entropy="e2")})
    assert groups == []


def test_reidentify_keeps_the_installed_host_and_renames_the_new_ones():
    identities = {"demo": {"device_id": "D1", "machine_id": "m"}, "new-1": {"machine_id": "m"},
                  "new-2": {"machine_id": "m"}, "solo": {"machine_id": "s"}}
    refusals, groups = ci.refusals(identities)
    assert ci.reidentify_hosts(groups, identities) == ["new-1", "new-2"]
    # no client anywhere: the first host keeps the image's identity
    fresh = {"c": {"machine_id": "m"}, "a": {"machine_id": "m"}, "b": {"machine_id": "m"}}
    dummy, groups = ci.refusals(fresh)
    assert ci.reidentify_hosts(groups, fresh) == ["b", "c"]
    # two installed clients on one device: neither is re-identified here (remove the client first)
    shared = {"x": {"device_id": "D"}, "y": {"device_id": "D"}}
    dummy, groups = ci.refusals(shared)
    assert ci.reidentify_hosts(groups, shared) == []
    # the installed host alone on its device keeps it; the newcomers are refused, naming it
    assert sorted(refusals) == ["new-1", "new-2"]
    assert "new-1 shares the machine ID (/etc/machine-id) m with demo, new-2 (3 hosts" in refusals["new-1"]


def test_check_mode_compares_as_if_the_new_identities_were_given():
    identities = {"a": {"machine_id": "m"}, "b": {"machine_id": "m"}, "c": {"machine_id": "m"}}
    refusals, dummy = ci.refusals(ci.assume_new_identity(identities, ["b", "c"]))
    assert refusals == {}


def test_windows_entropy_and_probe_identity():
    from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw
    value = cw.new_entropy(bytes(range(16)))
    assert value == {"path": "HKLM:\\SOFTWARE\\backup-tool", "name": "DeviceIdentificationEntropy",
                     "data": "000102030405060708090a0b0c0d0e0f", "type": "string"}
    assert cw.new_entropy()["data"] != cw.new_entropy()["data"]
    params = cw.probe_parameters()
    assert params["identity_value_names"] == ["DeviceIdentificationEntropy", "DeviceIdentificationHardwareIDOverride"]
    assert params["cryptography_key"] == "SOFTWARE\\Microsoft\\Cryptography"
    facts = cw.probe_facts({"settings_key": {"DeviceIdentificationEntropy": "e1", "DeviceIdentificationID": "D"},
                            "identity": {"MachineGuid": "ABC", "ProductUuid": "4C4C4544-0000"}})
    assert facts["identity"] == {"machine_guid": "abc", "entropy": "e1", "hardware_id_override": "",
                                 "product_uuid": "4c4c4544-0000"}
