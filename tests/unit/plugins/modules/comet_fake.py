# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory mock of the API client (the contract of CometAdminClient that the modules use) and of the part of the
stand-in's control API the tests use, so that the module tests also run with the client mocked."""
from __future__ import annotations

import collections
import copy
import itertools

ProfileUpdate = collections.namedtuple("ProfileUpdate", "before after changed attempts profile_hash description",
                                       defaults=(None,))


def _split(result):
    """A change function returns the profile, or (profile, description), like the real client accepts."""
    return result if isinstance(result, tuple) else (result, None)


class FakeState:
    def __init__(self, server):
        self.server = server

    def add_user(self, user, password):
        self.server.profiles[user] = {
            "Username": user, "AccountName": user, "LocalTimezone": "Europe/Zurich", "Emails": [],
            "Destinations": {"vault-0001": {"Description": "UNIL Storage Vault", "EncryptedEncryptionKey": "c2VjcmV0"}},
            "Sources": {}, "BackupRules": {}, "Devices": {}, "SupportsDeviceAssociations": True, "PolicyID": "",
            "MaximumDevices": 0, "PasswordHash": "hash-of-" + "x" * len(password)}
        self.server.rehash(user)

    def add_device(self, user, device_id, name, platform=None, client_version="", online=False):
        self.server.profiles[user]["Devices"][device_id] = {"FriendlyName": name, "PlatformVersion": platform or {},
                                                            "ClientVersion": client_version, "RegistrationTime": 1700000000}
        self.server.rehash(user)
        if online:
            self.server.online[(user, device_id)] = "target-%s" % device_id

    def add_job(self, user, device_id, status, start_time, end_time, classification=4001):
        self.server.jobs.append({"Username": user, "DeviceID": device_id, "Status": status, "StartTime": start_time,
                                 "EndTime": end_time, "Classification": classification, "GUID": "job-%d" % len(self.server.jobs)})

    def add_policy(self, policy_id, policy):
        self.server.policies[policy_id] = copy.deepcopy(policy)

    def get_policy(self, policy_id):
        return copy.deepcopy(self.server.policies[policy_id])

    def get_profile(self, user):
        return copy.deepcopy(self.server.profiles[user])

    def set_profile(self, user, profile):
        self.server.profiles[user] = copy.deepcopy(profile)
        self.server.rehash(user)

    def profile_hash(self, user):
        return self.server.hashes[user]


class FakeFaults:
    def __init__(self):
        self.between = []

    def change_profile_between_read_and_write(self, user, mutate, count=1):
        self.between.append([user, mutate, count])


class FakeServer:
    url = "http://127.0.0.1:1/"

    def __init__(self):
        self.profiles = {}
        self.hashes = {}
        self.policies = {}
        self.online = {}
        self.jobs = []
        self.backups_started = []  # (TargetID, BackupRule) of dispatcher/run-backup
        self.log = []
        self.counter = itertools.count(1)
        self.state = FakeState(self)
        self.faults = FakeFaults()

    def rehash(self, user):
        self.hashes[user] = "h%d" % next(self.counter)

    def log_count(self, endpoint=None, account=None):
        return sum(1 for e in self.log if (endpoint is None or e["endpoint"] == endpoint) and (account is None or e["account"] == account))

    def record(self, endpoint, account=None, status=200):
        self.log.append({"endpoint": endpoint, "account": account, "status": status})


class FakeClient:
    """Implements the CometAdminClient methods the modules call, on a FakeServer."""

    server = None        # set by the test
    error_class = None   # the real CometApiError

    def __init__(self):
        self.stats = {"reads": 0, "writes": 0, "retries": 0, "conflicts": 0, "calls": 0}

    @classmethod
    def from_module(cls, module):
        return cls()

    def _user(self, endpoint, user):
        self.stats["calls"] += 1
        if user not in self.server.profiles:
            self.server.record(endpoint, user, 400)
            raise self.error_class(endpoint, 400, "User not found")

    def get_profile_and_hash(self, user):
        self._user("get-user-profile-and-hash", user)
        self.stats["reads"] += 1
        self.server.record("get-user-profile-and-hash", user)
        return copy.deepcopy(self.server.profiles[user]), self.server.hashes[user]

    def update_profile(self, user, change, check_mode=False, max_attempts=10):
        for attempt in range(1, max_attempts + 1):
            before, required = self.get_profile_and_hash(user)
            after, description = _split(change(copy.deepcopy(before)))
            if after == before or check_mode:
                return ProfileUpdate(before, after, after != before, attempt, required, description)
            for fault in self.server.faults.between:
                if fault[0] == user and fault[2] > 0:
                    fault[2] -= 1
                    profile = self.server.profiles[user]
                    fault[1](profile)
                    self.server.rehash(user)
            self.stats["calls"] += 1
            if self.server.hashes[user] != required:
                self.server.record("set-user-profile-hash", user, 409)
                self.stats["conflicts"] += 1
                self.stats["retries"] += 1
                continue
            self.server.record("set-user-profile-hash", user)
            self.stats["writes"] += 1
            self.server.profiles[user] = copy.deepcopy(after)
            self.server.rehash(user)
            return ProfileUpdate(before, after, True, attempt, self.server.hashes[user], description)
        raise self.error_class("set-user-profile-hash", 409, "too many conflicts")

    def list_policies(self):
        self.stats["reads"] += 1
        self.server.record("policies/list")
        return dict((policy_id, (policy or {}).get("Description", "")) for policy_id, policy in sorted(self.server.policies.items()))

    def get_policy(self, policy_id):
        self.stats["reads"] += 1
        self.server.record("policies/get")
        if policy_id not in self.server.policies:
            raise self.error_class("policies/get", 400, "Policy not found")
        return copy.deepcopy(self.server.policies[policy_id]), "p"

    def update_policy(self, policy_id, change, check_mode=False):
        before, dummy = self.get_policy(policy_id)
        after = change(copy.deepcopy(before))
        if after != before and not check_mode:
            self.server.record("policies/set")
            self.stats["writes"] += 1
            self.server.policies[policy_id] = copy.deepcopy(after)
        return ProfileUpdate(before, after, after != before, 1, "p")

    def list_active(self, user=None):
        self.stats["reads"] += 1
        self.server.record("dispatcher/list-active", user)
        return dict((target, {"Username": u, "DeviceID": d, "ReportedVersion": "24.6.0"})
                    for (u, d), target in self.server.online.items() if user is None or u == user)

    def refetch_profile(self, target_id):
        self.server.record("dispatcher/refetch-profile")

    def run_backup(self, target_id, rule_id):
        self.server.record("dispatcher/run-backup")
        self.server.backups_started.append((target_id, rule_id))

    def revoke_device(self, user, device_id):
        self._user("revoke-device", user)
        self.server.record("revoke-device", user)
        profile = self.server.profiles[user]
        profile["Devices"].pop(device_id, None)
        for key in [k for k, v in profile["Sources"].items() if v.get("OwnerDevice") == device_id]:
            del profile["Sources"][key]
        self.server.rehash(user)
        self.server.online.pop((user, device_id), None)

    def jobs_for_user(self, user):
        self._user("get-jobs-for-user", user)
        self.stats["reads"] += 1
        self.server.record("get-jobs-for-user", user)
        return [j for j in self.server.jobs if j["Username"] == user]
