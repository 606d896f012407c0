# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Comet Server admin API client used by every comet_* module.

PRIVATE to the unil.backup collection: not a public API, it may change without notice.

- comet_argument_spec(): the shared connection options (documented in the unil.backup.comet doc fragment).
- CometAdminClient: POSTs form-encoded admin calls through ansible.module_utils.urls, retries transient failures
  with a bounded exponential backoff, maps failures to CometApiError (never a password, never a traceback), and
  offers a read-modify-write helper (update_profile) serialised per account by a lock file.

Faults (issue 22):
- A write whose answer is lost after it was sent (timeout, connection closed mid-answer, truncated JSON, HTTP 5xx
  other than 503, a JSON Status >= 500) is never sent again by _send: CometOutcomeUnknown. A hash-checked write then
  reads the hash (unchanged: not stored, sent again; moved: update_profile/update_policy read the object and compare
  it with what was written through normalised(), zero values and key order ignored as Comet stores them); revoke-device
  reads the profile; run-backup and create-install-token have no read and fail, saying the call may have been
  carried out. dispatcher/refetch-profile (harmless twice) is retried as a read is.
- HTTP 429, and 503, are retried after their Retry-After (seconds or an HTTP date; at most MAX_RETRY_AFTER per wait
  and, in all, the time the call could spend timing out), else after the backoff.
- A circuit breaker per run and server: after BREAKER_TIMEOUTS requests in a row that timed out, further calls to
  that server fail at once naming server_url, for BREAKER_TTL seconds. Its state is a small file in lock_dir keyed by
  the server URL and the run (run_identity(): the ansible-playbook process the forks and modules descend from), so
  every fork and module process of one run shares it and another run does not.
"""

from __future__ import annotations

import collections
import copy
import email.utils
import hashlib
import http.client
import json
import os
import socket
import ssl
import tempfile
import threading
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - the controller is POSIX; keep the import test happy elsewhere
    fcntl = None

from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.urls import Request, SSLValidationError, make_context

# ``description``: what the change function said about its last run (the device, item, rule it found or created...)
ProfileUpdate = collections.namedtuple("ProfileUpdate", "before after changed attempts profile_hash description",
                                       defaults=(None,))

# Calls that change something on the server (counted as writes; everything else is a read).
WRITE_ENDPOINTS = frozenset([
    "set-user-profile", "set-user-profile-hash", "policies/set", "policies/new", "policies/delete", "revoke-device",
    "create-install-token", "dispatcher/refetch-profile", "dispatcher/run-backup", "reset-user-password", "add-user",
    "delete-user",
])

# Writes with no harm in sending twice: retried after a lost answer as reads are (every other write is sent once).
RESENDABLE = frozenset(["dispatcher/refetch-profile"])

# How an answer is judged (Go SDK cometsdk.go, CometAPIClient.Request): an answer is an error when it decodes as a
# CometAPIResponseMessage {Status, Message} whose Status is 400 or more AND whose Message is not empty - on every
# endpoint. The endpoints below (those the collection calls) answer a type whose own Status and Message are the
# call's (SDK answer types CometAPIResponseMessage, DispatchWithJobIDResponse, GetProfileAndHashResponseMessage,
# GetProfileHashResponseMessage, GetGroupPolicyResponse, CreateGroupPolicyResponse, InstallTokenResponse): a Status
# of 400 or more fails the call even without a Message.
STATUS_ANSWERS = frozenset([
    "set-user-profile", "set-user-profile-hash", "get-user-profile-and-hash", "get-user-profile-hash", "policies/get",
    "policies/set", "policies/new", "policies/delete", "revoke-device", "create-install-token",
    "dispatcher/refetch-profile", "dispatcher/run-backup", "reset-user-password", "add-user", "delete-user",
])
# Endpoints answering a record whose own Status is not the call's (SDK answer type BackupJobDetail or a list of them:
# Status is a JOB_STATUS_ value, 5000 to 7999): such an answer is an error only when it is nothing but a
# {Status, Message} (a job carries GUID, Username, StartTime...).
RECORD_ANSWERS = frozenset([
    "get-job-properties", "get-jobs-for-user", "get-jobs-for-date-range", "get-jobs-recent", "get-jobs-all",
    "get-jobs-for-custom-search",
])
_MESSAGE_KEYS = frozenset(["Status", "Message"])

REDACTED = "********"
MAX_BACKOFF = 10.0
MAX_MESSAGE = 500
MAX_RETRY_AFTER = 60.0  # seconds, at most, of one wait asked by Retry-After
BREAKER_TIMEOUTS = 3    # requests in a row that timed out before the breaker opens
BREAKER_TTL = 300       # seconds the breaker stays open (and a count of timeouts is remembered)
_RUN_PROGRAMS = ("ansible-playbook", "ansible", "ansible-console", "ansible-pull")


def answer_error(endpoint, answer, status_answer=None):
    """(Status, Message) when the decoded ``answer`` of ``endpoint`` is an API error, else None - as the Go SDK
    judges it (CometAPIClient.Request): a JSON object whose integer Status is 400 or more and whose Message is a
    non-empty string. ``status_answer`` (default: the endpoint is in STATUS_ANSWERS) says the endpoint answers a
    {Status, Message} envelope, so that Status >= 400 fails even without a Message; for the RECORD_ANSWERS endpoints
    (a job's Status is its JOB_STATUS_, e.g. 7000 FAILED_TIMEOUT) only a bare {Status, Message} is an error."""
    if not isinstance(answer, dict):
        return None
    status = answer.get("Status")
    if not isinstance(status, int) or isinstance(status, bool) or status < 400:
        return None
    message = answer.get("Message")
    has_message = isinstance(message, str) and message != ""
    endpoint = str(endpoint or "").strip("/")
    if status_answer is None:
        status_answer = endpoint in STATUS_ANSWERS
    if status_answer:
        return status, message if has_message else ""
    if not has_message:
        return None
    if endpoint in RECORD_ANSWERS and not set(answer) <= _MESSAGE_KEYS:
        return None
    return status, message


def comet_argument_spec():
    """The connection options every comet_* module merges into its argument_spec."""
    return dict(
        server_url=dict(type="str", required=True, fallback=(env_fallback, ["COMET_SERVER_URL"])),
        admin_username=dict(type="str", required=True, fallback=(env_fallback, ["COMET_ADMIN_USERNAME"])),
        admin_password=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["COMET_ADMIN_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["COMET_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["COMET_CA_PATH"])),
        timeout=dict(type="int", default=30),
        lock_dir=dict(type="path"),
    )


# The device a module works on: its account, and its ID or its name (doc fragment unil.backup.comet.device).
DEVICE_SPEC = dict(
    account=dict(type="str", required=True),
    device_id=dict(type="str"),
    device_name=dict(type="str"),
)
DEVICE_CHOICE = dict(mutually_exclusive=[("device_id", "device_name")], required_one_of=[("device_id", "device_name")])


def comet_device_argument_spec(**options):
    """comet_argument_spec() plus the device options (DEVICE_SPEC) and the module's own ``options``."""
    spec = comet_argument_spec()
    spec.update((key, dict(value)) for key, value in DEVICE_SPEC.items())
    spec.update(options)
    return spec


class CometApiError(Exception):
    """A failed admin API call. ``endpoint`` (e.g. "set-user-profile-hash"), ``status`` (Comet's Status or the HTTP
    status, None for a transport failure) and ``message`` (Comet's Message or the transport error). It never carries
    a password, a request body nor a chained exception."""

    def __init__(self, endpoint, status=None, message=""):
        self.endpoint = endpoint
        self.status = status
        self.message = message
        super().__init__(endpoint, status, message)

    def __str__(self):
        if self.status is None:
            return "Comet Server API %s failed: %s" % (self.endpoint, self.message)
        return "Comet Server API %s failed: %s %s" % (self.endpoint, self.status, self.message)

    def __repr__(self):
        return "%s(%r, %r, %r)" % (type(self).__name__, self.endpoint, self.status, self.message)


class CometAuthError(CometApiError):
    """The server refused the admin credentials (HTTP/Status 401 or 403)."""

    def __str__(self):
        return "%s (authentication refused: check admin_username and admin_password)" % super().__str__()


class CometOutcomeUnknown(CometApiError):
    """A write was sent but its answer was lost (timeout, connection closed, truncated answer, server error): it may
    have been carried out. Never followed by a second send of the same write; the caller reads to find out."""

    maybe_applied = True

    def __str__(self):
        return "%s (the answer was lost: the call may have been carried out)" % super().__str__()


class CometConflictError(CometApiError):
    """A hash-checked write was refused because the object changed since it was read. ``maybe_applied`` is True when
    an earlier attempt of the same write lost its answer (it may have been stored)."""

    maybe_applied = False


def _lock_name(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest() + ".lock"


def default_lock_dir():
    return os.path.join(tempfile.gettempdir(), "unil_backup_locks_%d" % os.getuid())


class FileLock(object):
    """An exclusive fcntl.flock on ``path`` (one open file per holder, so threads of one process exclude each other as
    forks do), waited for up to ``timeout`` seconds; ``timeout_error()`` is raised when it is not had by then. The one
    lock of the collection: the account's read-modify-write (below), the installer cache (_comet_installer)."""

    max_pause = 0.02  # a waiting fork gets the lock soon after it is released

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.fd = None

    def unavailable_error(self):  # pragma: no cover - fcntl exists on every POSIX controller
        return OSError("fcntl is not available: the controller must be a POSIX system")

    def timeout_error(self):
        return OSError("timed out after %ss waiting for the lock %s" % (self.timeout, self.path))

    def __enter__(self):
        if fcntl is None:  # pragma: no cover
            raise self.unavailable_error()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self.timeout_error()
                time.sleep(pause)
                pause = min(pause * 2, self.max_pause)
        self.fd = fd
        return self

    def __exit__(self, *exc_info):
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
            self.fd = None
        return False


class _AccountLock(FileLock):
    """The lock held for a whole read-modify-write of one account: <lock_dir>/<sha256(key)>.lock."""

    def __init__(self, lock_dir, key, timeout):
        super(_AccountLock, self).__init__(os.path.join(lock_dir, _lock_name(key)), timeout)

    def unavailable_error(self):  # pragma: no cover
        return CometApiError("(lock)", None, "fcntl is not available: the controller must be a POSIX system")

    def timeout_error(self):
        return CometApiError("(lock)", None, "timed out after %ds waiting for the lock %s held by another process "
                                             "writing to the same account" % (self.timeout, self.path))


def _redact(text, secrets):
    text = str(text)
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "..."
    return text


def _encode_value(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    # dict, list, bool, int, float, None: JSON text in the form field (bool -> true/false)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _is_zero(value):
    if value is None:
        return True
    if isinstance(value, (bool, int, float)):
        return value == 0
    if isinstance(value, (str, bytes, dict, list, tuple)):
        return not value
    return False


def normalised(value):
    """``value`` (a profile, a policy, any JSON) as it compares once Comet has stored it: in every mapping, the keys
    whose value is zero (None, false, 0, "", an empty mapping or list, a mapping left empty by this rule) are dropped,
    because the server drops omitempty zero values and adds the other fields a request lacked at their zero value;
    key order does not matter; list items keep their order and are normalised in turn (zero items are kept)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = normalised(item)
            if not _is_zero(item):
                out[str(key)] = item
        return out
    if isinstance(value, (list, tuple)):
        return [normalised(item) for item in value]
    return value


def same_when_stored(one, other):
    """True when ``one`` and ``other`` are the same object once stored by Comet (normalised())."""
    return normalised(one) == normalised(other)


def retry_after_seconds(value, now=None):
    """Seconds to wait from a Retry-After header value: a number of seconds or an HTTP date (RFC 9110 10.2.3); None
    when absent or unreadable; 0 for a date in the past. Not bounded here (the caller bounds it)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons return None instead of raising
        return None
    if when.tzinfo is None:
        return None  # an HTTP date is always GMT; a date without a zone is not one
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _proc_stat(pid):
    """(parent pid, start time) of ``pid`` from /proc, or None."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[-1].split()
        return int(fields[1]), fields[19]
    except (OSError, IndexError, ValueError):
        return None


def _runs_ansible(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            args = handle.read().split(b"\0")[:3]
    except OSError:
        return False
    return any(os.path.basename(arg.decode("utf-8", "replace")) in _RUN_PROGRAMS for arg in args)


def run_identity():
    """The run this process belongs to, as "pid:start time": the topmost ancestor that runs ansible-playbook (or
    ansible, ansible-console, ansible-pull) - the process whose forks run the tasks, also above a module process -
    else this process itself. Without /proc: the parent process (each module process may then be its own run)."""
    pid = os.getpid()
    own = _proc_stat(pid)
    if own is None:
        return "%d:" % os.getppid()
    chosen = "%d:%s" % (pid, own[1])
    current, stat = pid, own
    for dummy in range(16):
        if _runs_ansible(current):
            chosen = "%d:%s" % (current, stat[1])
        parent = stat[0]
        if parent <= 1:
            break
        stat = _proc_stat(parent)
        if stat is None:
            break
        current = parent
    return chosen


class _Breaker:
    """The circuit breaker of one server in one run: a JSON file {"timeouts", "updated", "open_until"} in the lock
    directory, changed under an flock. Best effort: a directory or file that cannot be used disables it."""

    def __init__(self, directory, server_url, run, threshold, ttl):
        digest = hashlib.sha256(("%s\0%s" % (server_url, run)).encode("utf-8")).hexdigest()
        self.path = os.path.join(directory, "breaker-%s.json" % digest[:40])
        self.threshold = threshold
        self.ttl = ttl

    def _read(self, handle):
        handle.seek(0)
        try:
            data = json.loads(handle.read().decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            data = {}
        if not isinstance(data, dict) or time.time() - float(data.get("updated") or 0) > self.ttl:
            data = {}
        return data

    def _change(self, function):
        if fcntl is None:  # pragma: no cover
            return None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            data = self._read(handle)
            data = function(data)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(data).encode("utf-8"))
        return data

    def open_state(self):
        """{"timeouts", "updated", "open_until"} while the breaker is open, else None (no file: closed)."""
        try:
            with open(self.path, "rb") as handle:
                data = self._read(handle)
        except OSError:
            return None
        if float(data.get("open_until") or 0) > time.time():
            return data
        return None

    def timed_out(self):
        def count(data):
            now = time.time()
            data["timeouts"] = int(data.get("timeouts") or 0) + 1
            data["updated"] = now
            if data["timeouts"] >= self.threshold and float(data.get("open_until") or 0) <= now:
                data["open_until"] = now + self.ttl
            return data
        return self._change(count)

    def answered(self):
        try:
            with open(self.path, "rb") as handle:
                data = self._read(handle)
        except OSError:
            return
        if data.get("timeouts"):
            self._change(lambda data: {} if float(data.get("open_until") or 0) <= time.time() else data)


class _Transient(Exception):
    """Internal: a failure worth retrying (5xx, timeout, dropped connection, truncated or non-JSON answer)."""

    def __init__(self, status, message, sent=False, retry_after=None, timed_out=False):
        Exception.__init__(self, status, message)
        self.status = status
        self.message = message
        self.sent = sent                # the request may have reached the server (its outcome is unknown)
        self.retry_after = retry_after  # seconds the server asked to wait (Retry-After), or None
        self.timed_out = timed_out      # the server did not answer in time (counted by the circuit breaker)


class CometAdminClient:
    """Client of the Comet Server admin API (/api/v1/admin/...).

    ``stats``: reads, writes (HTTP requests sent, by kind), calls (all requests sent), retries (transport retries and
    conflict retries), conflicts (refused hash-checked writes), endpoints ({endpoint: requests sent})."""

    def __init__(self, server_url, admin_username, admin_password, validate_certs=True, ca_path=None, timeout=30,
                 lock_dir=None, retries=4, backoff=0.5, sleep=time.sleep, lock_timeout=None,
                 breaker_timeouts=BREAKER_TIMEOUTS):
        # the one URL rule (_comet_url), as the roles and the inventory check apply it; never shows the URL
        from ansible_collections.unil.backup.plugins.module_utils._comet_url import server_url as checked_url
        from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError
        try:
            self.server_url = checked_url(server_url, "server_url")
        except CometInputError as exc:
            raise ValueError("%s %s" % (exc.option, exc.message))
        self.admin_username = admin_username
        self._password = admin_password
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path
        self.timeout = int(timeout)
        self.lock_dir = lock_dir
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.sleep = sleep
        self.lock_timeout = lock_timeout if lock_timeout is not None else max(300, 10 * self.timeout)
        self.stats = {"reads": 0, "writes": 0, "retries": 0, "conflicts": 0, "calls": 0, "endpoints": {}}
        self._stats_lock = threading.Lock()  # job_log_entries_many calls from several threads
        self.last_attempts = 0
        # circuit breaker (0: none); the run's identity is read once, the file is found at the first call
        self.breaker_timeouts = max(0, int(breaker_timeouts))
        self._breaker_state = None
        self._context = None
        self._request = Request(
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            timeout=self.timeout, validate_certs=self.validate_certs, ca_path=ca_path, follow_redirects="none",
            http_agent="unil.backup-comet-api", use_netrc=False, force_basic_auth=False)

    def __repr__(self):
        return "CometAdminClient(%r, %r, <password hidden>)" % (self.server_url, self.admin_username)

    @classmethod
    def from_module(cls, module, **kwargs):
        p = module.params
        # imported here: _comet_model's checks are the options' rules, for every module that builds a client
        from ansible_collections.unil.backup.plugins.module_utils._comet_model import connection_problem
        problem = connection_problem(p)
        if problem:
            module.fail_json(msg=problem)
        try:
            return cls(p["server_url"], p["admin_username"], p["admin_password"], validate_certs=p["validate_certs"],
                       ca_path=p.get("ca_path"), timeout=p.get("timeout") or 30, lock_dir=p.get("lock_dir"), **kwargs)
        except ValueError as exc:
            module.fail_json(msg=str(exc))

    # ------------------------------------------------------------------ transport

    def _secrets(self, params):
        secrets = [self._password]
        for key in ("TargetPassword", "Password", "NewPassword"):
            if params and isinstance(params.get(key), str):
                secrets.append(params[key])
        return secrets

    def _url(self, endpoint):
        return self.server_url + "api/v1/admin/" + endpoint.strip("/")

    def _count(self, endpoint):
        with self._stats_lock:
            self.stats["calls"] += 1
            self.stats["writes" if endpoint in WRITE_ENDPOINTS else "reads"] += 1
            self.stats["endpoints"][endpoint] = self.stats["endpoints"].get(endpoint, 0) + 1

    def backoff_delay(self, attempt):
        """Seconds to wait before retry number ``attempt`` (1-based): backoff * 2^(attempt-1), at most MAX_BACKOFF."""
        return min(self.backoff * (2 ** (attempt - 1)), MAX_BACKOFF)

    def _attempt(self, endpoint, body, secrets):
        """One HTTP request. Returns (http_status, payload) or raises _Transient / CometApiError."""
        context = self._tls_context(endpoint)
        failure = None
        try:
            response = self._request.open("POST", self._url(endpoint), data=body, context=context)
            try:
                status = response.getcode()
                data = response.read()
            finally:
                response.close()
        except HTTPError as exc:
            status = exc.code
            try:
                data = exc.read()
            except (OSError, http.client.HTTPException, ValueError):
                data = b""
            finally:
                exc.close()
            reason = exc.reason
            if 300 <= status < 400:
                failure = CometApiError(endpoint, status, _redact("unexpected redirect (%s) to %s" % (
                    reason, exc.headers.get("Location", "?")), secrets))
            else:
                message = self._message_from(data) or str(reason or "HTTP error")
                message = _redact(message, secrets)
                if status in (429, 503):
                    # the server did not take the request; it may say when to come back
                    failure = _Transient(status, message, retry_after=retry_after_seconds(exc.headers.get("Retry-After")))
                elif status >= 500:
                    failure = _Transient(status, message, sent=True)
                elif status in (401, 403):
                    failure = CometAuthError(endpoint, status, message)
                else:
                    failure = CometApiError(endpoint, status, message)
        except SSLValidationError as exc:
            failure = CometApiError(endpoint, None, _redact("TLS certificate verification failed: %s" % exc, secrets))
        except URLError as exc:
            # urllib wraps what fails while connecting and sending: the request was not (entirely) received
            failure = self._url_error(endpoint, exc.reason, secrets)
        except (socket.timeout, TimeoutError):
            failure = _Transient(None, "timed out after %ss" % self.timeout, sent=True, timed_out=True)
        except ssl.SSLError as exc:
            failure = self._url_error(endpoint, exc, secrets)
            if isinstance(failure, _Transient):
                failure.sent = True
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            # while waiting for or reading the answer: the request was sent
            failure = _Transient(None, _redact("connection failed (%s: %s)" % (type(exc).__name__, exc), secrets),
                                 sent=True)
        if failure is not None:
            raise failure
        return status, data

    def _tls_context(self, endpoint):
        """Ansible's TLS context, built once per client (loading the CA store costs tens of ms per request); none for
        a server reached over plain HTTP, which has no use for it."""
        if self._context is None and self._url(endpoint).lower().startswith("https:"):
            failure = None
            try:
                self._context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
            except (OSError, ssl.SSLError, ValueError) as exc:
                failure = CometApiError(endpoint, None, "ca_path %s cannot be used as a PEM CA bundle (%s)" % (
                    self.ca_path, getattr(exc, "strerror", None) or exc))
            if failure is not None:
                raise failure
        return self._context

    def _url_error(self, endpoint, reason, secrets):
        if isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(reason):
            detail = getattr(reason, "verify_message", None) or str(reason)
            return CometApiError(endpoint, None, _redact(
                "TLS certificate verification failed (%s): set ca_path to the CA that signed the server certificate "
                "(or validate_certs=false on a test server only)" % detail, secrets))
        if isinstance(reason, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            return _Transient(None, _redact("TLS connection closed (%s)" % reason, secrets))
        if isinstance(reason, ssl.SSLError):
            return CometApiError(endpoint, None, _redact("TLS error: %s" % reason, secrets))
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return _Transient(None, "timed out after %ss" % self.timeout, timed_out=True)
        if isinstance(reason, socket.gaierror):
            return CometApiError(endpoint, None, _redact("cannot resolve the server name (%s)" % reason, secrets))
        return _Transient(None, _redact("connection failed (%s)" % reason, secrets))

    @staticmethod
    def _message_from(data):
        try:
            decoded = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, AttributeError):
            text = data.decode("utf-8", "replace").strip() if isinstance(data, bytes) else ""
            return text[:200]
        if isinstance(decoded, dict) and decoded.get("Message") is not None:
            return str(decoded["Message"])
        return ""

    def _send(self, endpoint, params, raw, status_answer=None):
        """POST with retries. Returns the decoded JSON (or bytes when raw); an error answer (answer_error) raises."""
        endpoint = str(endpoint).strip("/")
        params = dict(params or {})
        form = [("Username", self.admin_username), ("AuthType", "Password"), ("Password", self._password)]
        for key in sorted(params):
            if params[key] is not None:
                form.append((key, _encode_value(params[key])))
        body = urlencode(form)
        secrets = self._secrets(params)
        del form
        # a write is sent once: an answer lost after sending is reported, never followed by a second send
        once = endpoint in WRITE_ENDPOINTS and endpoint not in RESENDABLE
        attempt = 0
        waited = 0.0
        while True:
            attempt += 1
            self.last_attempts = attempt
            self._breaker_check(endpoint)
            self._count(endpoint)
            error = None
            try:
                status, data = self._attempt(endpoint, body, secrets)
            except _Transient as exc:
                error = exc
            self._breaker_note(error)
            if error is None:
                if raw:
                    return data
                try:
                    decoded = json.loads(data.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    decoded = error = _Transient(None, "the answer is not JSON (truncated or not a Comet Server?)",
                                                 sent=True)
            if error is None:
                problem = answer_error(endpoint, decoded, status_answer)
                if problem is not None:
                    status = problem[0]
                    message = _redact(problem[1] or "error", secrets)
                    if status in (401, 403):
                        raise CometAuthError(endpoint, status, message)
                    if once and status >= 500:
                        raise CometOutcomeUnknown(endpoint, status, message)
                    raise CometApiError(endpoint, status, message)
                return decoded
            if once and error.sent:
                raise CometOutcomeUnknown(endpoint, error.status, error.message)
            if attempt > self.retries:
                message = error.message
                if attempt > 1:
                    message = "%s (after %d attempts)" % (message, attempt)
                # raised outside any except block: no chained exception can carry the request
                raise CometApiError(endpoint, error.status, message)
            delay = self.backoff_delay(attempt)
            if error.retry_after is not None:
                delay = min(error.retry_after, MAX_RETRY_AFTER)
                budget = max(MAX_RETRY_AFTER, float(self.timeout) * (self.retries + 1))
                if waited + delay > budget:
                    message = "%s (the server asks to wait %ds more after %ds of waiting, after %d attempts: " \
                              "giving up)" % (error.message, delay, waited, attempt)
                    raise CometApiError(endpoint, error.status, message)
            waited += delay
            with self._stats_lock:
                self.stats["retries"] += 1
            self.sleep(delay)

    # ------------------------------------------------------------------ circuit breaker

    def _breaker(self):
        """This run's breaker for this server, or False (disabled, or no usable lock directory)."""
        if self._breaker_state is None:
            self._breaker_state = False
            if self.breaker_timeouts:
                try:
                    self._breaker_state = _Breaker(self._lock_dir(), self.server_url, run_identity(),
                                                   self.breaker_timeouts, BREAKER_TTL)
                except (CometApiError, OSError):
                    pass
        return self._breaker_state

    def _breaker_check(self, endpoint):
        breaker = self._breaker()
        state = breaker and breaker.open_state()
        if not state:
            return
        from ansible_collections.unil.backup.plugins.module_utils._comet_url import mask_url
        left = max(1, int(float(state["open_until"]) - time.time()))
        raise CometApiError(endpoint, None, "not sent: the Comet Server %s (server_url) stopped answering - %d "
                            "requests in a row timed out in this run (timeout %ss) - and is not asked again in this "
                            "run for %ds (circuit breaker; check the server, then run again)" % (
                                mask_url(self.server_url), int(state.get("timeouts") or 0), self.timeout, left))

    def _breaker_note(self, error):
        breaker = self._breaker()
        if not breaker:
            return
        try:
            if error is not None and error.timed_out:
                breaker.timed_out()
            elif error is None or error.status is not None:
                breaker.answered()
        except OSError:
            pass

    def call(self, endpoint, params=None, status_answer=None):
        """POST to /api/v1/admin/<endpoint>; the decoded JSON answer. Raises CometApiError when the answer is an error
        as the Go SDK judges it (answer_error: a Status >= 400 with a Message; a job's Status, 5000 and up, is not);
        ``status_answer=True`` says the endpoint answers a {Status, Message} envelope (STATUS_ANSWERS by default)."""
        return self._send(endpoint, params, raw=False, status_answer=status_answer)

    def call_raw(self, endpoint, params=None):
        """POST to /api/v1/admin/<endpoint>; the answer's bytes (downloads). Raises CometApiError."""
        return self._send(endpoint, params, raw=True)

    # ------------------------------------------------------------------ locking

    def _lock_dir(self):
        path = self.lock_dir
        default = not path
        if default:
            path = default_lock_dir()
        try:
            os.makedirs(path, mode=0o700)
        except OSError:
            if not os.path.isdir(path):
                raise CometApiError("(lock)", None, "lock_dir %s cannot be created" % path)
        if default:
            info = os.stat(path)
            if info.st_uid != os.getuid():
                raise CometApiError("(lock)", None, "lock_dir %s belongs to another user: set lock_dir" % path)
            if info.st_mode & 0o077:
                os.chmod(path, 0o700)
        return path

    def lock(self, key):
        """Context manager: the exclusive per-account lock for ``key`` (the account name)."""
        return _AccountLock(self._lock_dir(), self.server_url + key, self.lock_timeout)

    # ------------------------------------------------------------------ profiles

    def get_profile_and_hash(self, user):
        answer = self.call("get-user-profile-and-hash", {"TargetUser": user})
        if not isinstance(answer, dict) or not isinstance(answer.get("Profile"), dict) or "ProfileHash" not in answer:
            raise CometApiError("get-user-profile-and-hash", None, "unexpected answer (no Profile/ProfileHash)")
        return answer["Profile"], answer["ProfileHash"]

    def get_profile_hash(self, user):
        answer = self.call("get-user-profile-hash", {"TargetUser": user})
        if not isinstance(answer, dict) or "ProfileHash" not in answer:
            raise CometApiError("get-user-profile-hash", None, "unexpected answer (no ProfileHash)")
        return answer["ProfileHash"]

    def _conditional_write(self, endpoint, params, fresh_hash, required_hash):
        """A hash-checked write. On failure, a fresh hash different from ``required_hash`` means a conflict.

        When the answer was lost (CometOutcomeUnknown), the hash is read, never the write sent again blindly: still
        ``required_hash``, nothing was stored and the write is sent again (at most ``retries`` times); moved, a
        CometConflictError with ``maybe_applied`` tells the caller to read the object and compare."""
        resent = 0
        while True:
            failure = None
            try:
                answer = self.call(endpoint, params)
            except CometAuthError:
                raise
            except CometOutcomeUnknown as exc:
                failure = exc
            except CometApiError as exc:
                if exc.status is not None and exc.status < 400:
                    raise
                failure = exc
            if failure is None:
                return answer
            unknown = isinstance(failure, CometOutcomeUnknown)
            try:
                current = fresh_hash()
            except CometApiError:
                current = None if unknown else required_hash
            if current is None:
                raise failure  # the outcome stays unknown: said so, never guessed
            if current == required_hash:
                if unknown and resent < self.retries:
                    resent += 1
                    with self._stats_lock:
                        self.stats["retries"] += 1
                    self.sleep(self.backoff_delay(resent))
                    continue
                raise failure
            if not unknown:
                self.stats["conflicts"] += 1
            conflict = CometConflictError(endpoint, failure.status, failure.message)
            conflict.maybe_applied = unknown or self.last_attempts > 1
            raise conflict

    def set_profile_hash(self, user, profile, required_hash):
        """Write ``profile`` if the stored hash is still ``required_hash``; the new hash. Raises CometConflictError."""
        answer = self._conditional_write("set-user-profile-hash",
                                         {"TargetUser": user, "ProfileData": profile, "RequireHash": required_hash},
                                         lambda: self.get_profile_hash(user), required_hash)
        if isinstance(answer, dict) and answer.get("ProfileHash"):
            return answer["ProfileHash"]
        return self.get_profile_hash(user)

    def _update(self, read, write, key, change, check_mode, max_attempts, what):
        max_attempts = max(1, int(max_attempts))
        first_before = None
        pending = None  # (what an earlier write whose answer was lost tried to store, its description)
        with self.lock(key):
            for attempt in range(1, max_attempts + 1):
                before, current_hash = read()
                if first_before is None:
                    first_before = copy.deepcopy(before)
                if pending is not None and same_when_stored(before, pending[0]):
                    # our earlier write was stored although its answer was lost (compared as Comet stores it)
                    return ProfileUpdate(first_before, before, True, attempt, current_hash, pending[1])
                work = copy.deepcopy(before)
                result = change(work)
                description = None
                if isinstance(result, tuple):
                    result, description = result
                after = work if result is None else result
                if after == before:
                    # after a lost answer, what we wanted is there: our write may be part of it
                    changed = pending is not None
                    return ProfileUpdate(first_before if changed else before, after, changed, attempt, current_hash,
                                         description)
                if check_mode:
                    return ProfileUpdate(before, after, True, attempt, current_hash, description)
                try:
                    new_hash = write(after, current_hash)
                except CometConflictError as exc:
                    if exc.maybe_applied:
                        pending = (copy.deepcopy(after), description)
                    if attempt < max_attempts:
                        self.stats["retries"] += 1
                    continue
                return ProfileUpdate(before, after, True, attempt, new_hash, description)
            if pending is not None:
                before, current_hash = read()
                if same_when_stored(before, pending[0]):
                    return ProfileUpdate(first_before, before, True, max_attempts, current_hash, pending[1])
        raise CometConflictError(what[0], None, "%s %r changed under us on each of %d attempts (someone else keeps "
                                 "writing it); giving up" % (what[1], key, max_attempts))

    def update_profile(self, user, change, check_mode=False, max_attempts=10):
        """Read-modify-write of ``user``'s profile, serialised by the account lock, retried on conflict.

        ``change(profile_copy)`` edits the copy in place and/or returns the new profile, or a tuple (new profile,
        description) whose description is returned in ``ProfileUpdate.description`` (that of the run that counted);
        it must be deterministic and idempotent (it runs again on a fresh copy after a conflict). Writes only when the
        result differs."""
        return self._update(lambda: self.get_profile_and_hash(user),
                            lambda after, current: self.set_profile_hash(user, after, current),
                            user, change, check_mode, max_attempts, ("set-user-profile-hash", "the profile of"))

    # ------------------------------------------------------------------ policies

    def list_policies(self):
        """{PolicyID: Description} of every policy (``policies/list``)."""
        answer = self.call("policies/list")
        if not isinstance(answer, dict):
            raise CometApiError("policies/list", None, "unexpected answer (not a mapping of policy IDs)")
        return answer

    def get_policy(self, policy_id):
        answer = self.call("policies/get", {"PolicyID": policy_id})
        if not isinstance(answer, dict) or not isinstance(answer.get("Policy"), dict):
            raise CometApiError("policies/get", None, "unexpected answer (no Policy)")
        return answer["Policy"], answer.get("PolicyHash")

    def set_policy_hash(self, policy_id, policy, required_hash):
        self._conditional_write("policies/set", {"PolicyID": policy_id, "Policy": policy, "CheckPolicyHash": required_hash},
                                lambda: self.get_policy(policy_id)[1], required_hash)
        return self.get_policy(policy_id)[1]

    def update_policy(self, policy_id, change, check_mode=False, max_attempts=10):
        """Read-modify-write of a policy with CheckPolicyHash; same rules as update_profile."""
        return self._update(lambda: self.get_policy(policy_id),
                            lambda after, current: self.set_policy_hash(policy_id, after, current),
                            "policy:" + policy_id, change, check_mode, max_attempts, ("policies/set", "the policy"))

    # ------------------------------------------------------------------ helpers

    def server_version(self):
        return self.call("meta/version")

    def version(self):
        """The server's version (meta/version's Version, e.g. 24.6.0), which is the version of the clients it
        generates. Raises CometApiError, also when the answer has no Version."""
        answer = self.server_version()
        version = str(answer.get("Version") or "") if isinstance(answer, dict) else ""
        if not version:
            raise CometApiError("meta/version", None, "answered without a Version")
        return version

    def list_users(self):
        return self.call("list-users")

    def list_active(self, user=None):
        return self.call("dispatcher/list-active", {"UserNameFilter": user} if user else None)

    def refetch_profile(self, target_id):
        return self.call("dispatcher/refetch-profile", {"TargetID": target_id})

    def run_backup(self, target_id, rule_id):
        """Start a backup rule now on an online device (its live connection ``target_id``)."""
        return self.call("dispatcher/run-backup", {"TargetID": target_id, "BackupRule": rule_id})

    def revoke_device(self, user, device_id):
        """Revoke ``device_id`` of ``user``. Sent once: when its answer is lost, the profile is read; the device gone
        means it was revoked, else the CometOutcomeUnknown is raised."""
        lost = None
        try:
            return self.call("revoke-device", {"TargetUser": user, "TargetDevice": device_id})
        except CometOutcomeUnknown as exc:
            lost = exc
        profile, dummy = self.get_profile_and_hash(user)
        if device_id not in (profile.get("Devices") or {}):
            return {"Status": 200, "Message": "OK (the answer was lost; the device is no longer registered)"}
        raise lost

    def job_properties(self, job_id):
        """get-job-properties (Go SDK AdminGetJobProperties, JobID): the BackupJobDetail. Raises CometApiError."""
        return self.call("get-job-properties", {"JobID": job_id})

    def jobs_for_user(self, user):
        return self.call("get-jobs-for-user", {"TargetUser": user})

    def jobs_for_date_range(self, start, end):
        return self.call("get-jobs-for-date-range", {"Start": int(start), "End": int(end)})

    def job_log_entries(self, job_id, min_severity=None, message_contains=None):
        """get-job-log-entries: the log of one job, a list of JobEntry {Time (Unix seconds), Severity ("D", "I", "W",
        "E"), Message}; ``min_severity`` keeps that severity and higher, ``message_contains`` the entries holding that
        exact text. Raises CometApiError."""
        answer = self.call("get-job-log-entries", {"JobID": job_id, "MinSeverity": min_severity,
                                                   "MessageContains": message_contains})
        if not isinstance(answer, list):
            raise CometApiError("get-job-log-entries", None, "unexpected answer (not a list of log entries)")
        return answer

    def job_log_entries_many(self, job_ids, workers=4, min_severity=None):
        """The logs of several jobs, at most ``workers`` calls at once: {job_id: entries, or the CometApiError of that
        call} (one failed log does not stop the others)."""
        job_ids = list(dict.fromkeys(job_ids))

        def one(job_id):
            try:
                return job_id, self.job_log_entries(job_id, min_severity=min_severity)
            except CometApiError as exc:
                return job_id, exc

        if not job_ids:
            return {}
        with ThreadPoolExecutor(max_workers=max(1, min(int(workers), len(job_ids)))) as pool:
            return dict(pool.map(one, job_ids))

    def create_install_token(self, user, password, server=None):
        params = {"TargetUser": user, "TargetPassword": password}
        if server:
            params["Server"] = server
        answer = self.call("create-install-token", params)
        return answer.get("InstallToken") if isinstance(answer, dict) else answer

    def generate_client(self, variant, self_address=None):
        """The installer the server generates for ``variant`` (``branding/generate-client/<variant>``), configured
        with ``self_address`` (default: server_url). A Comet error sent as the download, or an empty answer, raises
        CometApiError as a failed call does."""
        endpoint = "branding/generate-client/%s" % variant
        data = self.call_raw(endpoint, {"SelfAddress": self_address or self.server_url})
        problem = error_in_answer(data) if data else "an empty answer"
        if problem:
            raise CometApiError(endpoint, None, problem)
        return data


def error_in_answer(data):
    """A Comet error sent as the body of a download: {"Status": >= 400, "Message": ...}; None for an installer."""
    if not data[:1] == b"{" or len(data) > 65536:
        return None
    try:
        decoded = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    # a download answers bytes, never a {Status, Message}: such a JSON object with Status >= 400 is the error
    problem = answer_error("branding/generate-client", decoded, status_answer=True)
    if problem is not None:
        return "HTTP %s %s" % (problem[0], problem[1] or "error")
    return None
