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
    identities = {"a": {"device_id": "x", "machine_id": "m"}, "b": {"device_id": "y", "machine_id": "m"}}
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
