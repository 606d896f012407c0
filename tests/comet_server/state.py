# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-memory state of the Comet Server stand-in: accounts and their profiles, devices online, jobs, policies,
installer files, sessions. Every access goes through one lock; passwords are kept only as salted hashes."""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid

from .schema import SchemaError, normalize as schema_normalize

STATE_FORMAT = "comet-standin-state/1"
_NS = uuid.UUID("6f0c2f57-6a44-4d8e-9d0e-7c3b1f2a9c11")
PBKDF2_ITERATIONS = 5000
OSINFO_KEYS = ("os", "distribution", "version", "build", "arch")
INSTALL_TOKEN_LIFETIME = 86400
# JobEntry.Severity (Go SDK SEVERITY_ constants), lowest first: MinSeverity keeps that one and the ones after it.
JOB_LOG_SEVERITIES = ("D", "I", "W", "E")


class ApiError(Exception):
    """An answer {Status, Message}; http_status differs from status only for the hash conflict (HTTP 200, Status 409)."""

    def __init__(self, status, message, http_status=None):
        super(ApiError, self).__init__(message)
        self.status = status
        self.message = message
        self.http_status = status if http_status is None else http_status


def hash_password(password):
    if not isinstance(password, str) or password == "":
        raise ValueError("a password must be a non-empty string")
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return "pbkdf2-sha256$%d$%s$%s" % (PBKDF2_ITERATIONS, salt.hex(), digest.hex())


def check_password(password, stored):
    if not isinstance(password, str) or not password or not stored:
        return False
    try:
        scheme, iterations, salt, digest = stored.split("$")
        iterations = int(iterations)
        salt = bytes.fromhex(salt)
    except ValueError:
        return False
    if scheme != "pbkdf2-sha256":
        return False
    got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations).hex()
    return hmac.compare_digest(got, digest)


def _token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_hash():
    """An opaque profile / policy hash."""
    return secrets.token_hex(16)


def jsoncopy(value):
    """A deep copy that is also proof the value is plain JSON (what the real server would store)."""
    return json.loads(json.dumps(value))


def target_id(account, device_id):
    """Stable TargetID (live connection GUID) of a device."""
    return str(uuid.uuid5(_NS, "%s/%s" % (account, device_id)))


def vault_id(account):
    return str(uuid.uuid5(_NS, "vault/%s" % account))


def osinfo(platform):
    platform = dict(platform or {})
    for key in OSINFO_KEYS:
        platform.setdefault(key, "")
    return platform


def normalize_profile(profile):
    """The profile as the real server stores it: decoded into Comet's typed UserProfileConfig and encoded again
    (omitempty zeros dropped, absent fields at their zero value, unknown fields kept). SchemaError (a ValueError)
    where Comet's decoder would refuse it."""
    return schema_normalize("UserProfileConfig", profile)


def normalize_policy(policy):
    """A GroupPolicy as the real server stores it (decoded into Comet's typed GroupPolicy, UserPolicy inside, and
    encoded again, unknown fields kept). SchemaError where Comet's decoder would refuse it."""
    return schema_normalize("GroupPolicy", policy)


def reported_platform(info):
    """``dispatcher/list-active`` ``ReportedPlatform``: GOOS/GOARCH, as the real server answers it."""
    info = info or {}
    return "%s/%s" % (info.get("os") or "", info.get("arch") or "")


def set_path(obj, dotted, value):
    """Set obj["a"]["b"]["c"] = value for "a.b.c" (missing objects are created)."""
    keys = dotted.split(".")
    for key in keys[:-1]:
        if isinstance(obj, list):
            obj = obj[int(key)]
            continue
        if not isinstance(obj.get(key), (dict, list)):
            obj[key] = {}
        obj = obj[key]
    if isinstance(obj, list):
        obj[int(keys[-1])] = value
    else:
        obj[keys[-1]] = value


def deep_merge(base, extra):
    """base with extra merged in, objects recursively (what is in base only is kept)."""
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = jsoncopy(value)
    return base


def job_category(status):
    status = int(status)
    if 5000 <= status <= 5999:
        return "success"
    if 6000 <= status <= 6999:
        return "running"
    return "error"


class State(object):
    """Thread-safe: every public method takes ``lock`` (an RLock shared with the fault and log machinery)."""

    def __init__(self, lock=None, online_ttl=30.0, state_file=None):
        self.lock = lock or threading.RLock()
        self.online_ttl = float(online_ttl)
        self.state_file = state_file
        self._hold_save = 0
        # The delayed-apply model (off by default): with apply_delay > 0 seconds, a device runs the backup rules it
        # applied, and a refetched profile is applied only apply_delay seconds after dispatcher/refetch-profile.
        self.apply_delay = 0.0
        self._reset()

    def _reset(self):
        self.admins = {}          # admin username -> salted hash
        self.users = {}           # account -> {"password_hash", "profile", "hash"}
        self.online = {}          # (account, device) -> since (set_online / fixture "online")
        self.heartbeats = {}      # (account, device) -> {"time", "since", "version", "platform", "ip"}
        self.jobs = []            # BackupJobDetail dicts
        self.job_by_guid = {}     # GUID -> the same dict as in jobs
        self.job_logs = {}        # job GUID -> [JobEntry {Time, Severity, Message}]
        self.policies = {}        # PolicyID -> {"policy": GroupPolicy, "hash"}
        self.installers = getattr(self, "installers", {})  # variant -> file path (one dict object, kept)
        self.installers.clear()
        self.sessions = {}        # sha256(SessionKey) -> {"account", "device", "created"}
        self.install_tokens = {}  # sha256(Token) -> InstallToken without the token
        self.applied = {}         # (account, device) -> {rule ID: ModifyTime} the device applied (apply_delay > 0)
        self.pending_apply = {}   # (account, device) -> when the refetched profile is applied (apply_delay > 0)
        self.stale_runs = []      # (account, device, rule ID) of backups run with a rule older than the stored one

    # ------------------------------------------------------------------ persistence
    def _changed(self):
        if self.state_file and not self._hold_save:
            self.save()

    def save(self, path=None):
        path = path or self.state_file
        if not path:
            return
        with self.lock:
            data = json.dumps(self.to_dict(), indent=1, sort_keys=True)
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)

    def to_dict(self, public=False):
        """Everything as JSON; public=True (the /_standin/state view) leaves out hashes of secrets."""
        with self.lock:
            out = {
                "format": STATE_FORMAT,
                "users": dict((name, {"profile": jsoncopy(u["profile"]), "profile_hash": u["hash"]})
                              for name, u in self.users.items()),
                "online": [{"account": a, "device": d, "since": s, "target_id": target_id(a, d)}
                           for (a, d), s in sorted(self.online.items())],
                "heartbeats": [dict(v, account=a, device=d, target_id=target_id(a, d))
                               for (a, d), v in sorted(self.heartbeats.items())],
                "jobs": jsoncopy(self.jobs),
                "job_logs": jsoncopy(self.job_logs),
                "policies": dict((pid, {"Policy": jsoncopy(p["policy"]), "PolicyHash": p["hash"]})
                                 for pid, p in self.policies.items()),
                "installers": dict(self.installers),
            }
            if public:
                out["active"] = self.list_active()
                out["sessions"] = [dict(v) for v in self.sessions.values()]
                out["install_tokens"] = [dict(v) for v in self.install_tokens.values()]
            else:
                out["admins"] = dict(self.admins)
                for name, u in self.users.items():
                    out["users"][name]["password_hash"] = u["password_hash"]
                out["sessions"] = dict(self.sessions)
                out["install_tokens"] = dict(self.install_tokens)
            return out

    def load(self, path):
        with open(path) as f:
            data = json.load(f)
        self.from_dict(data)

    def from_dict(self, data):
        if data.get("format") != STATE_FORMAT:
            raise ValueError("not a stand-in state file (format %r)" % data.get("format"))
        with self.lock:
            self._reset()
            self.admins = dict(data.get("admins") or {})
            for name, u in (data.get("users") or {}).items():
                self.users[name] = {"password_hash": u.get("password_hash"), "profile": u["profile"],
                                    "hash": u.get("profile_hash") or new_hash()}
            for item in data.get("online") or []:
                self.online[(item["account"], item["device"])] = item.get("since", time.time())
            for item in data.get("heartbeats") or []:
                key = (item["account"], item["device"])
                self.heartbeats[key] = dict((k, item.get(k)) for k in ("time", "since", "version", "platform", "ip"))
            self.jobs = list(data.get("jobs") or [])
            self.job_by_guid = dict((job["GUID"], job) for job in self.jobs)
            self.job_logs = dict(data.get("job_logs") or {})
            for pid, p in (data.get("policies") or {}).items():
                self.policies[pid] = {"policy": p["Policy"], "hash": p.get("PolicyHash") or new_hash()}
            self.installers.update(data.get("installers") or {})
            self.sessions = dict(data.get("sessions") or {})
            self.install_tokens = dict(data.get("install_tokens") or {})

    def reset(self, keep_admins=True):
        with self.lock:
            admins = self.admins
            installers = dict(self.installers)
            self._reset()
            if keep_admins:
                self.admins = admins
            self.installers.update(installers)
            self._changed()

    # ------------------------------------------------------------------ admins
    def add_admin(self, username, password):
        with self.lock:
            self.admins[username] = hash_password(password)
            self._changed()

    def check_admin(self, username, password):
        with self.lock:
            stored = self.admins.get(username)
        return check_password(password, stored)

    # ------------------------------------------------------------------ users and profiles
    def default_profile(self, username, password_hash):
        now = int(time.time())
        vault = vault_id(username)
        key = base64.b64encode(hashlib.sha256(("key/" + username).encode("utf-8")).digest()).decode("ascii")
        return {
            "Username": username,
            "AccountName": username,
            "LocalTimezone": "Europe/Zurich",
            "LanguageCode": "fr_FR",
            "OrganizationID": "",
            "Emails": [],
            "SendEmailReports": False,
            "Destinations": {
                vault: {
                    "Description": "UNIL Storage Vault",
                    "DestinationType": 1003,
                    "CreateTime": now,
                    "ModifyTime": now,
                    "EncryptedEncryptionKey": key,
                    "EncryptionKeyEncryptionMethod": 2,
                    "RepoInitTimestamp": now,
                    "Statistics": {"ClientProvidedSize": {"Size": 0, "MeasureStarted": 0, "MeasureCompleted": 0}},
                },
            },
            "Sources": {},
            "BackupRules": {},
            "Devices": {},
            "SupportsDeviceAssociations": True,
            "IsSuspended": False,
            "AllProtectedItemsQuotaEnabled": False,
            "AllProtectedItemsQuotaBytes": 0,
            "MaximumDevices": 0,
            "PolicyID": "",
            "Policy": {},
            "PasswordFormat": 0,
            "PasswordHash": password_hash,
            "AllowPasswordLogin": True,
            "AllowPasswordAndTOTPLogin": False,
            "CreateTime": now,
            "CreationGUID": str(uuid.uuid5(_NS, "creation/" + username)),
        }

    def add_user(self, username, password, profile=None):
        """A new account with the default profile (one Storage Vault, no devices); ``profile`` fields are merged over it."""
        if not username or not isinstance(username, str):
            raise ValueError("a username must be a non-empty string")
        password_hash = hash_password(password)
        with self.lock:
            if username in self.users:
                raise ValueError("user %r exists already" % username)
            merged = self.default_profile(username, password_hash)
            merged.update(jsoncopy(profile or {}))
            merged["Username"] = username
            merged = normalize_profile(merged)
            self.users[username] = {"password_hash": password_hash, "profile": merged, "hash": new_hash()}
            self._changed()

    def set_password(self, username, password):
        with self.lock:
            user = self._user(username, exc=KeyError)
            user["password_hash"] = hash_password(password)
            user["profile"]["PasswordHash"] = user["password_hash"]
            user["hash"] = new_hash()
            self._changed()

    def check_user(self, username, password):
        with self.lock:
            user = self.users.get(username)
            stored = user["password_hash"] if user else None
        return check_password(password, stored)

    def _user(self, username, exc=None):
        user = self.users.get(username)
        if user is None:
            if exc is not None:
                raise exc("user not found: %r" % (username,))
            raise ApiError(400, "User not found")
        return user

    def list_users(self):
        with self.lock:
            return sorted(self.users)

    def get_profile(self, username):
        """A deep copy of the stored profile."""
        with self.lock:
            return jsoncopy(self._user(username, exc=KeyError)["profile"])

    def profile_hash(self, username):
        with self.lock:
            return self._user(username, exc=KeyError)["hash"]

    def set_profile(self, username, profile):
        """A change "by someone else": stores the profile as given, new hash."""
        with self.lock:
            user = self._user(username, exc=KeyError)
            user["profile"] = normalize_profile(profile)
            user["hash"] = new_hash()
            self._changed()
            return user["hash"]

    def change_profile(self, username, mutate=None, set_paths=None):
        """Apply a function and/or {"dotted.path": value} to the stored profile; always a new hash."""
        with self.lock:
            user = self._user(username, exc=KeyError)
            profile = jsoncopy(user["profile"])
            if mutate is not None:
                result = mutate(profile)
                if isinstance(result, dict):
                    profile = result
            for path, value in (set_paths or {}).items():
                set_path(profile, path, value)
            user["profile"] = normalize_profile(profile)
            user["hash"] = new_hash()
            self._changed()
            return user["hash"]

    # used by the API
    def api_profile_and_hash(self, username):
        with self.lock:
            user = self._user(username)
            return jsoncopy(user["profile"]), user["hash"]

    def api_write_profile(self, username, profile, require_hash=None):
        """Store ``profile`` (already normalized by the caller: see normalize_profile)."""
        with self.lock:
            user = self._user(username)
            if require_hash is not None and not hmac.compare_digest(require_hash, user["hash"]):
                raise ApiError(409, "The profile has changed since it was read (hash mismatch)", http_status=200)
            user["profile"] = jsoncopy(profile)
            user["hash"] = new_hash()
            self._changed()
            return jsoncopy(user["profile"]), user["hash"]

    # ------------------------------------------------------------------ devices
    def add_device(self, username, device_id, name, platform=None, client_version="24.6.0", online=False,
                   timezone="Europe/Zurich", registration_time=None, **extra):
        with self.lock:
            user = self._user(username, exc=KeyError)
            device = {
                "FriendlyName": name,
                "RegistrationTime": int(registration_time if registration_time is not None else time.time()),
                "PlatformVersion": osinfo(platform),
                "DeviceTimezone": timezone,
                "ClientVersion": client_version,
            }
            device.update(jsoncopy(extra))
            device = schema_normalize("DeviceConfig", device, "Devices.%s" % device_id)
            if user["profile"].get("Devices") is None:
                user["profile"]["Devices"] = {}
            user["profile"]["Devices"][device_id] = device
            user["hash"] = new_hash()
            if online:
                self.online[(username, device_id)] = time.time()
            else:
                self.online.pop((username, device_id), None)
            self._changed()

    def set_online(self, username, device_id, online=True):
        with self.lock:
            user = self._user(username, exc=KeyError)
            if online:
                if device_id not in (user["profile"].get("Devices") or {}):
                    raise KeyError("device %r is not registered to %r" % (device_id, username))
                self.online.setdefault((username, device_id), time.time())
            else:
                self.online.pop((username, device_id), None)
                self.heartbeats.pop((username, device_id), None)
            self._changed()

    def _live(self, now=None):
        """{(account, device): since} of the connections alive now (device still registered)."""
        now = time.time() if now is None else now
        live = dict(self.online)
        for key, beat in self.heartbeats.items():
            if now - beat["time"] <= self.online_ttl and key not in live:
                live[key] = beat["since"]
        out = {}
        for (account, device_id), since in live.items():
            user = self.users.get(account)
            if user and device_id in (user["profile"].get("Devices") or {}):
                out[(account, device_id)] = since
        return out

    def is_online(self, username, device_id):
        with self.lock:
            return (username, device_id) in self._live()

    def list_active(self, username_filter=None):
        with self.lock:
            out = {}
            for (account, device_id), since in sorted(self._live().items()):
                if username_filter and account != username_filter:
                    continue
                profile = self.users[account]["profile"]
                device = profile["Devices"][device_id]
                beat = self.heartbeats.get((account, device_id)) or {}
                info = beat.get("platform") or device.get("PlatformVersion") or {}
                out[target_id(account, device_id)] = schema_normalize("LiveUserConnection", {
                    "Username": account,
                    "DeviceID": device_id,
                    "ReportedVersion": beat.get("version") or device.get("ClientVersion") or "",
                    "ReportedPlatform": reported_platform(info),
                    "ReportedPlatformVersion": jsoncopy(info),
                    "DeviceTimeZone": device.get("DeviceTimezone") or profile.get("LocalTimezone") or "",
                    "IPAddress": beat.get("ip") or "127.0.0.1",
                    "ConnectionTime": int(since),
                    "AllowsFilenames": True,
                })
            return out

    def live_target(self, tid):
        """(account, device) of a live TargetID, or None."""
        with self.lock:
            for (account, device_id) in self._live():
                if target_id(account, device_id) == tid:
                    return account, device_id
            return None

    # ------------------------------------------------------------------ delayed apply (apply_delay > 0)
    def _rules_now(self, username):
        rules = self._user(username, exc=KeyError)["profile"].get("BackupRules") or {}
        return dict((k, (v or {}).get("ModifyTime")) for k, v in rules.items())

    def refetch(self, username, device_id, now=None):
        """dispatcher/refetch-profile: the device applies the stored profile now, or apply_delay seconds later."""
        with self.lock:
            now = time.time() if now is None else now
            if self.apply_delay > 0:
                self.pending_apply[(username, device_id)] = now + self.apply_delay

    def applied_rules(self, username, device_id, now=None):
        """{rule ID: ModifyTime} the device runs: the stored profile's (apply_delay 0), else the profile it applied
        at its last refetch whose delay has passed (none before: a device that never refetched knows no rule)."""
        with self.lock:
            now = time.time() if now is None else now
            if self.apply_delay <= 0:
                return self._rules_now(username)
            key = (username, device_id)
            due = self.pending_apply.get(key)
            if due is not None and now >= due:
                self.applied[key] = self._rules_now(username)
                del self.pending_apply[key]
            return dict(self.applied.get(key) or {})

    def job(self, guid):
        """get-job-properties: a copy of the job, or None."""
        with self.lock:
            job = self.job_by_guid.get(guid)
            return jsoncopy(job) if job is not None else None

    def revoke_device(self, username, device_id):
        with self.lock:
            user = self._user(username)
            profile = user["profile"]
            devices = profile.get("Devices") or {}
            if device_id not in devices:
                raise ApiError(400, "Device not found")
            del devices[device_id]
            sources = profile.get("Sources") or {}
            gone = [sid for sid, src in sources.items() if isinstance(src, dict) and src.get("OwnerDevice") == device_id]
            for sid in gone:
                del sources[sid]
            rules = profile.get("BackupRules") or {}
            for rid in [rid for rid, rule in rules.items() if isinstance(rule, dict) and rule.get("Source") in gone]:
                del rules[rid]
            user["hash"] = new_hash()
            self.online.pop((username, device_id), None)
            self.heartbeats.pop((username, device_id), None)
            for key in [k for k, s in self.sessions.items() if s["account"] == username and s.get("device") == device_id]:
                del self.sessions[key]
            self._changed()

    # ------------------------------------------------------------------ user side
    def start_session(self, username):
        key = secrets.token_urlsafe(32)
        with self.lock:
            self._user(username)
            self.sessions[_token_hash(key)] = {"account": username, "device": None, "created": int(time.time())}
            self._changed()
        return key

    def check_session(self, username, key):
        if not key:
            return False
        with self.lock:
            session = self.sessions.get(_token_hash(key))
            return bool(session) and session["account"] == username and username in self.users

    def _bind_session(self, username, key, device_id):
        if key:
            session = self.sessions.get(_token_hash(key))
            if session and session["account"] == username:
                session["device"] = device_id

    def revoke_sessions(self, username=None):
        with self.lock:
            for key in [k for k, s in self.sessions.items() if username is None or s["account"] == username]:
                del self.sessions[key]
            self._changed()

    def register_device(self, username, device_id, name, platform, version, session_key=None):
        """Adds Devices[device_id] (or updates the version/platform of an existing one). True if the profile changed."""
        with self.lock:
            user = self._user(username)
            profile = user["profile"]
            try:
                platform = schema_normalize("OSInfo", platform, "ReportedPlatform")
            except SchemaError as exc:
                raise ApiError(400, "Invalid ReportedPlatform: %s" % exc)
            if profile.get("Devices") is None:
                profile["Devices"] = {}
            devices = profile["Devices"]
            existing = devices.get(device_id)
            changed = False
            if existing is None:
                limit = int(profile.get("MaximumDevices") or 0)
                if limit and len(devices) >= limit:
                    raise ApiError(400, "This account has reached its device limit (MaximumDevices)")
                devices[device_id] = schema_normalize("DeviceConfig", {
                    "FriendlyName": name,
                    "RegistrationTime": int(time.time()),
                    "PlatformVersion": platform,
                    "DeviceTimezone": profile.get("LocalTimezone") or "",
                    "ClientVersion": version,
                })
                changed = True
            else:
                if existing.get("ClientVersion") != version:
                    existing["ClientVersion"] = version
                    changed = True
                if existing.get("PlatformVersion") != platform:
                    existing["PlatformVersion"] = platform
                    changed = True
            if changed:
                user["hash"] = new_hash()
            self._bind_session(username, session_key, device_id)
            self._changed()
            return changed

    def heartbeat(self, username, device_id, version=None, platform=None, ip="127.0.0.1", session_key=None):
        with self.lock:
            user = self._user(username)
            if device_id not in (user["profile"].get("Devices") or {}):
                raise ApiError(400, "Device not registered: register-device first")
            now = time.time()
            key = (username, device_id)
            previous = self.heartbeats.get(key)
            since = previous["since"] if previous and now - previous["time"] <= self.online_ttl else now
            if platform:
                try:
                    platform = schema_normalize("OSInfo", platform, "ReportedPlatform")
                except SchemaError as exc:
                    raise ApiError(400, "Invalid ReportedPlatform: %s" % exc)
            self.heartbeats[key] = {"time": now, "since": since, "version": version, "platform": platform or None,
                                    "ip": ip}
            self._bind_session(username, session_key, device_id)
            self._changed()

    def create_install_token(self, username, password, server=""):
        if not self.check_user(username, password):
            raise ApiError(400, "TargetPassword is not the password of TargetUser")
        token = str(uuid.uuid4())
        now = int(time.time())
        info = {"Username": username, "Server": server or "", "CreateTime": now,
                "ExpireTime": now + INSTALL_TOKEN_LIFETIME, "Used": False}
        with self.lock:
            self.install_tokens[_token_hash(token)] = info
            self._changed()
        return dict(info, Token=token)

    def use_install_token(self, username, token):
        """A session key for a valid unused install token of that user, else None (the token is then used)."""
        if not token:
            return None
        with self.lock:
            info = self.install_tokens.get(_token_hash(token))
            if not info or info["Username"] != username or info["Used"] or info["ExpireTime"] < time.time():
                return None
            info["Used"] = True
            return self.start_session(username)

    # ------------------------------------------------------------------ jobs
    def add_job(self, username, device_id, status, start_time, end_time=0, classification=4001, source=None,
                destination=None, guid=None, log=None, **extra):
        """Append a BackupJobDetail; returns its GUID. With ``source`` naming an existing Protected Item, its
        Statistics (LastStartTime, LastBackupJob, LastSuccessfulBackupJob) are updated too (a profile change).
        ``log``: the job's log entries (see set_job_log)."""
        with self.lock:
            user = self._user(username, exc=KeyError)
            profile = user["profile"]
            if destination is None:
                destination = next(iter(sorted(profile.get("Destinations") or {})), "")
            job = {
                "GUID": guid or str(uuid.uuid4()),
                "Username": username,
                "Classification": int(classification),
                "Status": int(status),
                "StartTime": int(start_time),
                "EndTime": int(end_time or 0),
                "SourceGUID": source or "",
                "DestinationGUID": destination,
                "DeviceID": device_id,
                "BackupRuleGUID": "",
                "TotalDirectories": 0,
                "TotalFiles": 0,
                "TotalSize": 0,
                "TotalChunks": 0,
                "UploadSize": 0,
                "DownloadSize": 0,
                "ClientVersion": ((profile.get("Devices") or {}).get(device_id) or {}).get("ClientVersion", ""),
                "CancellationID": "",
            }
            job.update(jsoncopy(extra))
            job = schema_normalize("BackupJobDetail", job, "BackupJobDetail")
            self.jobs.append(job)
            self.job_by_guid[job["GUID"]] = job
            if log is not None:
                self.set_job_log(job["GUID"], log)
            src = (profile.get("Sources") or {}).get(source) if source else None
            if isinstance(src, dict):
                if not isinstance(src.get("Statistics"), dict):
                    src["Statistics"] = {}
                stats = src["Statistics"]
                stats["LastStartTime"] = job["StartTime"]
                stats["LastBackupJob"] = jsoncopy(job)
                if job_category(job["Status"]) == "success":
                    stats["LastSuccessfulBackupJob"] = jsoncopy(job)
                profile["Sources"][source] = schema_normalize("SourceConfig", src, "Sources.%s" % source)
                user["hash"] = new_hash()
            self._changed()
            return job["GUID"]

    def set_job_log(self, guid, entries):
        """Store the log of the job ``guid`` (replacing any): JobEntry {Time (Unix seconds, default the job's end or
        start), Severity (D, I, W or E), Message}, typed like the Go SDK's JobEntry. ValueError/KeyError on bad input."""
        with self.lock:
            job = self.job_by_guid.get(guid)
            if job is None:
                raise KeyError("no job %r" % (guid,))
            if not isinstance(entries, list):
                raise ValueError("a job log is a list of JobEntry objects")
            out = []
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    raise ValueError("job log entry %d is not an object" % index)
                entry = dict(entry)
                entry.setdefault("Time", job["EndTime"] or job["StartTime"])
                entry = schema_normalize("JobEntry", entry, "JobEntry[%d]" % index)
                if entry["Severity"] not in JOB_LOG_SEVERITIES:
                    raise ValueError("job log entry %d: Severity must be one of %s" % (index, ", ".join(JOB_LOG_SEVERITIES)))
                out.append(entry)
            self.job_logs[guid] = out
            self._changed()

    def api_job_log_entries(self, guid, min_severity=None, message_contains=None):
        """get-job-log-entries: (account, entries) of a job; ApiError 400 for an unknown job or severity."""
        with self.lock:
            job = self.job_by_guid.get(guid)
            if job is None:
                raise ApiError(400, "Job not found")
            if min_severity is not None and min_severity not in JOB_LOG_SEVERITIES:
                raise ApiError(400, "Parameter MinSeverity must be one of %s" % ", ".join(JOB_LOG_SEVERITIES))
            floor = JOB_LOG_SEVERITIES.index(min_severity) if min_severity else 0
            entries = [jsoncopy(e) for e in self.job_logs.get(guid) or []
                       if e["Severity"] in JOB_LOG_SEVERITIES[floor:]
                       and (not message_contains or message_contains in e["Message"])]
            return job["Username"], entries

    def jobs_for_user(self, username):
        with self.lock:
            self._user(username)
            return [jsoncopy(j) for j in self.jobs if j["Username"] == username]

    def jobs_for_range(self, start, end):
        with self.lock:
            if start == 0 and end == 0:
                return [jsoncopy(j) for j in self.jobs if not j["EndTime"]]
            out = []
            for job in self.jobs:
                started = start <= job["StartTime"] <= end
                ended = bool(job["EndTime"]) and start <= job["EndTime"] <= end
                if started or ended:
                    out.append(jsoncopy(job))
            return out

    # ------------------------------------------------------------------ policies
    def add_policy(self, policy_id, policy):
        """``policy`` is a GroupPolicy: {"Description": ..., "Policy": {UserPolicy}, ...}; stored typed."""
        policy = normalize_policy(policy)
        with self.lock:
            self.policies[policy_id] = {"policy": jsoncopy(policy), "hash": new_hash()}
            self._changed()

    def get_policy(self, policy_id):
        with self.lock:
            entry = self.policies.get(policy_id)
            if entry is None:
                raise KeyError(policy_id)
            return jsoncopy(entry["policy"])

    def policy_hash(self, policy_id):
        with self.lock:
            return self.policies[policy_id]["hash"]

    def api_list_policies(self):
        with self.lock:
            return dict((pid, (p["policy"] or {}).get("Description", "")) for pid, p in sorted(self.policies.items()))

    def api_get_policy(self, policy_id):
        with self.lock:
            entry = self.policies.get(policy_id)
            if entry is None:
                raise ApiError(400, "Policy not found")
            return jsoncopy(entry["policy"]), entry["hash"]

    def api_set_policy(self, policy_id, policy, check_hash=None):
        """Store ``policy`` (already normalized by the caller: see normalize_policy)."""
        with self.lock:
            entry = self.policies.get(policy_id)
            if check_hash is not None:
                if entry is None:
                    raise ApiError(400, "Policy not found")
                if not hmac.compare_digest(check_hash, entry["hash"]):
                    raise ApiError(409, "The policy has changed since it was read (hash mismatch)", http_status=200)
            self.policies[policy_id] = {"policy": jsoncopy(policy), "hash": new_hash()}
            self._changed()
            return self.policies[policy_id]["hash"]

    # ------------------------------------------------------------------ fixtures
    def load_fixture(self, fixture, base_dir=None):
        """Merge a fixture (a dict, or the path of a JSON file) into the state."""
        if isinstance(fixture, (str, bytes, os.PathLike)):
            path = os.fspath(fixture)
            base_dir = base_dir or os.path.dirname(os.path.abspath(path))
            with open(path) as f:
                fixture = json.load(f)
        if not isinstance(fixture, dict):
            raise ValueError("a fixture is a JSON object")
        unknown = set(fixture) - {"users", "jobs", "policies", "installers", "admins", "_comment"}
        if unknown:
            raise ValueError("unknown fixture keys: %s" % ", ".join(sorted(unknown)))
        now = int(time.time())

        def when(value):
            """Fixture times: unix seconds, or a negative number = that many seconds before the fixture is loaded."""
            if value is None:
                return None
            value = int(value)
            return now + value if value < 0 else value

        with self.lock:
            self._hold_save += 1
            try:
                for name, password in (fixture.get("admins") or {}).items():
                    self.add_admin(name, password)
                for name, spec in (fixture.get("users") or {}).items():
                    spec = spec or {}
                    if name not in self.users:
                        if not spec.get("password"):
                            raise ValueError("fixture user %r needs a password" % name)
                        self.add_user(name, spec["password"], profile=spec.get("profile"))
                    else:  # loading the same fixture again (e.g. at each restart on a state file) changes nothing
                        if spec.get("password") and not self.check_user(name, spec["password"]):
                            self.set_password(name, spec["password"])
                        if spec.get("profile"):
                            merged = normalize_profile(deep_merge(jsoncopy(self.users[name]["profile"]),
                                                                  spec["profile"]))
                            if merged != self.users[name]["profile"]:
                                self.change_profile(name, mutate=lambda p, m=merged: m)
                    for device_id, dev in (spec.get("devices") or {}).items():
                        if device_id in (self.users[name]["profile"].get("Devices") or {}):
                            continue  # already there (a state file reloaded with its fixture): the stored one wins
                        dev = dict(dev or {})
                        known = ("name", "platform", "version", "online", "timezone", "registration_time")
                        self.add_device(name, device_id, dev.get("name", device_id), platform=dev.get("platform"),
                                        client_version=dev.get("version", "24.6.0"), online=bool(dev.get("online")),
                                        timezone=dev.get("timezone", "Europe/Zurich"),
                                        registration_time=when(dev.get("registration_time")),
                                        **dict((k, v) for k, v in dev.items() if k not in known))
                known_jobs = set(j["GUID"] for j in self.jobs)
                for index, job in enumerate(fixture.get("jobs") or []):
                    job = dict(job)
                    # a stable GUID per fixture entry, so loading the same fixture again adds no duplicate
                    job.setdefault("guid", str(uuid.uuid5(_NS, "job/%d/%s" % (index, json.dumps(job, sort_keys=True)))))
                    if job["guid"] in known_jobs:
                        continue
                    log = job.pop("log", None)
                    if log is not None:
                        log = [dict(e, Time=when(e["Time"])) if isinstance(e, dict) and e.get("Time") is not None else e
                               for e in log]
                    args = dict(username=job.pop("account"), device_id=job.pop("device"), status=job.pop("status"),
                                start_time=when(job.pop("start")), end_time=when(job.pop("end", 0)),
                                classification=job.pop("classification", 4001), source=job.pop("source", None),
                                destination=job.pop("destination", None), guid=job.pop("guid", None), log=log)
                    args.update(job)
                    self.add_job(**args)
                for pid, policy in (fixture.get("policies") or {}).items():
                    if pid not in self.policies or self.policies[pid]["policy"] != normalize_policy(policy):
                        self.add_policy(pid, policy)
                for variant, path in (fixture.get("installers") or {}).items():
                    if base_dir and not os.path.isabs(path):
                        path = os.path.join(base_dir, path)
                    self.installers[variant] = path
            finally:
                self._hold_save -= 1
            self._changed()

    def snapshot_profile(self, username):
        """(profile, hash) copy, for tests."""
        with self.lock:
            user = self._user(username, exc=KeyError)
            return copy.deepcopy(user["profile"]), user["hash"]
