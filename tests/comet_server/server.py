# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP(S) side of the Comet Server stand-in (see README.md in this directory for the contract)."""
from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .faults import Faults
from .state import ApiError, SchemaError, State, jsoncopy, normalize_policy, normalize_profile, target_id
from . import tls as tlsmod

ADMIN_PREFIX = "/api/v1/admin/"
USER_PREFIX = "/api/v1/user/"
CONTROL_PREFIX = "/_standin/"
SERVER_VERSION = "24.6.0"
MAX_BODY = 64 * 1024 * 1024
PROFILE_READS = ("get-user-profile", "get-user-profile-hash", "get-user-profile-and-hash", "get-profile-and-hash")
OK = {"Status": 200, "Message": "OK"}


# ---------------------------------------------------------------------- parameters
def _param(params, name, required=True):
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, "Missing required parameter: %s" % name)
        return None
    return value


def _json_param(params, name, kind=dict, required=True):
    text = _param(params, name, required)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise ApiError(400, "Parameter %s is not valid JSON" % name)
    if kind is not None and not isinstance(value, kind):
        raise ApiError(400, "Parameter %s must be a JSON %s" % (name, "object" if kind is dict else kind.__name__))
    return value


def _int_param(params, name, required=True):
    text = _param(params, name, required)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, "Parameter %s must be an integer" % name)
    return value


# ---------------------------------------------------------------------- the API
class Api(object):
    """Endpoint implementations. Each returns (body, content_type) or a JSON-able value."""

    def __init__(self, standin):
        self.standin = standin
        self.state = standin.state

    # --- admin ---------------------------------------------------------
    def admin_meta_version(self, params, ctx):
        now = int(time.time())
        return {
            "Version": self.standin.version,
            "VersionCodename": "stand-in",
            "ServerStartTime": self.standin.start_time,
            "ServerStartHash": self.standin.start_hash,
            "CurrentTime": now,
            "ServerLicenseHash": "stand-in",
            "ServerLicenseFeaturesAll": True,
            "ServerLicenseFeatureSet": 0,
            "LicenseValidUntil": now + 365 * 86400,
            "EmailsSentSuccessfully": 0,
            "EmailsSentErrors": 0,
            "EmailsWaitingInQueue": 0,
            "ScheduledEmailThreadWaitingUntil": 0,
            "ScheduledEmailThreadLastCalculateDurationNanos": 0,
            "ExperimentalOptions": [],
            "StorageRole": False,
            "AuthenticationRole": True,
            "SoftwareBuildRole": True,
            "OverseerRole": False,
            "SelfBackup": [],
        }

    def admin_list_users(self, params, ctx):
        return self.state.list_users()

    def admin_list_users_full(self, params, ctx):
        with self.state.lock:
            return dict((name, self.state.api_profile_and_hash(name)[0]) for name in self.state.list_users())

    def _target(self, params, ctx):
        account = _param(params, "TargetUser")
        ctx["account"] = account
        return account

    def admin_get_user_profile(self, params, ctx):
        return self.state.api_profile_and_hash(self._target(params, ctx))[0]

    def admin_get_user_profile_hash(self, params, ctx):
        profile_hash = self.state.api_profile_and_hash(self._target(params, ctx))[1]
        return dict(OK, ProfileHash=profile_hash)

    def admin_get_user_profile_and_hash(self, params, ctx):
        profile, profile_hash = self.state.api_profile_and_hash(self._target(params, ctx))
        return dict(OK, ProfileHash=profile_hash, Profile=profile)

    def _profile_data(self, params, account):
        profile = _json_param(params, "ProfileData")
        try:
            profile = normalize_profile(profile)
        except SchemaError as exc:
            # Comet's decoder refuses it; the real API answers such errors as JSON under HTTP 200
            raise ApiError(400, "Invalid ProfileData: %s" % exc, http_status=200)
        if profile.get("Username") != account:
            raise ApiError(400, "ProfileData.Username must equal TargetUser")
        return profile

    def admin_set_user_profile(self, params, ctx):
        account = self._target(params, ctx)
        profile = self._profile_data(params, account)
        self.state.api_profile_and_hash(account)  # 400 for an unknown user before anything else
        self.state.api_write_profile(account, profile)
        ctx["mutated"] = True
        return dict(OK)

    def admin_set_user_profile_hash(self, params, ctx):
        account = self._target(params, ctx)
        profile = self._profile_data(params, account)
        require = _param(params, "RequireHash")
        _json_param(params, "AdminOptions", required=False)
        stored, new_hash = self.state.api_write_profile(account, profile, require_hash=require)
        ctx["mutated"] = True
        return dict(OK, ProfileHash=new_hash, Profile=stored)

    def admin_policies_list(self, params, ctx):
        return self.state.api_list_policies()

    def admin_policies_get(self, params, ctx):
        policy, policy_hash = self.state.api_get_policy(_param(params, "PolicyID"))
        return dict(OK, Policy=policy, PolicyHash=policy_hash)

    def admin_policies_set(self, params, ctx):
        policy_id = _param(params, "PolicyID")
        policy = _json_param(params, "Policy")
        try:
            policy = normalize_policy(policy)
        except SchemaError as exc:
            # Comet's decoder refuses it; answered as JSON under HTTP 200, as for ProfileData
            raise ApiError(400, "Invalid Policy: %s" % exc, http_status=200)
        check = _param(params, "CheckPolicyHash", required=False)
        self.state.api_set_policy(policy_id, policy, check_hash=check)
        ctx["mutated"] = True
        return dict(OK)

    def admin_create_install_token(self, params, ctx):
        account = self._target(params, ctx)
        password = _param(params, "TargetPassword")
        server = _param(params, "Server", required=False) or ""
        with self.state.lock:
            self.state.api_profile_and_hash(account)
        token = self.state.create_install_token(account, password, server)
        ctx["mutated"] = True
        return dict(OK, InstallToken=token)

    def admin_revoke_device(self, params, ctx):
        account = self._target(params, ctx)
        device_id = _param(params, "TargetDevice")
        self.state.revoke_device(account, device_id)
        ctx["mutated"] = True
        return dict(OK)

    def admin_dispatcher_list_active(self, params, ctx):
        name_filter = _param(params, "UserNameFilter", required=False)
        if name_filter:
            ctx["account"] = name_filter
        return self.state.list_active(name_filter)

    def admin_dispatcher_refetch_profile(self, params, ctx):
        live = self.state.live_target(_param(params, "TargetID"))
        if live is None:
            raise ApiError(400, "No live connection with this TargetID")
        ctx["account"], ctx["device"] = live
        self.state.refetch(live[0], live[1])
        return dict(OK)

    def admin_dispatcher_run_backup(self, params, ctx):
        """Start a backup rule on an online device: DispatchWithJobIDResponse {Status, Message, JobID}. The stand-in
        plays the client too: the job is recorded at once, ended with success, for the rule's Protected Item and
        Storage Vault (a real client reports it when it ends). With the delayed-apply model (State.apply_delay), a
        rule the device has not applied yet is refused, and one older than the stored rule runs (State.stale_runs)."""
        live = self.state.live_target(_param(params, "TargetID"))
        if live is None:
            raise ApiError(400, "No live connection with this TargetID")
        ctx["account"], ctx["device"] = live
        rule_id = _param(params, "BackupRule")
        rule = (self.state.get_profile(live[0]).get("BackupRules") or {}).get(rule_id)
        if not isinstance(rule, dict):
            raise ApiError(400, "Unknown BackupRule")
        applied = self.state.applied_rules(live[0], live[1])
        if rule_id not in applied:
            raise ApiError(400, "The device has no such backup rule")
        if applied[rule_id] != rule.get("ModifyTime"):
            self.state.stale_runs.append((live[0], live[1], rule_id))
        now = int(time.time())
        job_id = self.state.add_job(live[0], live[1], status=5000, start_time=now, end_time=now + 1,
                                    source=rule.get("Source") or None, destination=rule.get("Destination") or None,
                                    BackupRuleGUID=rule_id)
        ctx["mutated"] = True
        return dict(OK, JobID=job_id)

    def admin_get_job_properties(self, params, ctx):
        """BackupJobDetail of one job (AdminGetJobProperties: JobID); unknown job -> 400."""
        job = self.state.job(_param(params, "JobID"))
        if job is None:
            raise ApiError(400, "Job not found")
        ctx["account"] = job["Username"]
        return job

    def admin_get_jobs_for_user(self, params, ctx):
        return self.state.jobs_for_user(self._target(params, ctx))

    def admin_get_jobs_for_date_range(self, params, ctx):
        start = _int_param(params, "Start")
        end = _int_param(params, "End")
        return self.state.jobs_for_range(start, end)

    def admin_get_job_log_entries(self, params, ctx):
        """[JobEntry] of one job (AdminGetJobLogEntries: JobID, optional MinSeverity and MessageContains)."""
        account, entries = self.state.api_job_log_entries(_param(params, "JobID"),
                                                          _param(params, "MinSeverity", required=False),
                                                          _param(params, "MessageContains", required=False))
        ctx["account"] = account
        return entries

    def admin_generate_client(self, params, ctx, variant):
        _param(params, "SelfAddress", required=False)
        path = self.state.installers.get(variant)
        if not path:
            raise ApiError(404, "No client build is available for variant %r" % variant)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            raise ApiError(500, "The client build for variant %r could not be read" % variant)
        ctx["filename"] = os.path.basename(path)
        return data, "application/octet-stream"

    # --- user side -----------------------------------------------------
    def user_web_session_start(self, params, ctx):
        if ctx["auth_type"] == "InstallToken":
            return dict(OK, SessionKey=ctx["session_key_issued"])
        if ctx["auth_type"] != "Password":
            raise ApiError(403, "Authentication failed")
        ctx["mutated"] = True
        return dict(OK, SessionKey=self.state.start_session(ctx["account"]))

    def user_get_profile_and_hash(self, params, ctx):
        profile, profile_hash = self.state.api_profile_and_hash(ctx["account"])
        return dict(OK, ProfileHash=profile_hash, Profile=profile)

    def user_register_device(self, params, ctx):
        device_id = _param(params, "DeviceID")
        name = _param(params, "FriendlyName")
        platform = _json_param(params, "ReportedPlatform")
        version = _param(params, "ReportedVersion")
        ctx["device"] = device_id
        self.state.register_device(ctx["account"], device_id, name, platform, version, session_key=ctx.get("session_key"))
        ctx["mutated"] = True
        return dict(OK, DeviceID=device_id)

    def user_device_heartbeat(self, params, ctx):
        device_id = _param(params, "DeviceID")
        version = _param(params, "ReportedVersion")
        platform = _json_param(params, "ReportedPlatform")
        ctx["device"] = device_id
        self.state.heartbeat(ctx["account"], device_id, version=version, platform=platform, ip=ctx["client_ip"],
                             session_key=ctx.get("session_key"))
        ctx["mutated"] = True
        return dict(OK, TargetID=target_id(ctx["account"], device_id))

    ADMIN = {
        "meta/version": "admin_meta_version",
        "list-users": "admin_list_users",
        "list-users-full": "admin_list_users_full",
        "get-user-profile": "admin_get_user_profile",
        "get-user-profile-hash": "admin_get_user_profile_hash",
        "get-user-profile-and-hash": "admin_get_user_profile_and_hash",
        "set-user-profile": "admin_set_user_profile",
        "set-user-profile-hash": "admin_set_user_profile_hash",
        "policies/list": "admin_policies_list",
        "policies/get": "admin_policies_get",
        "policies/set": "admin_policies_set",
        "create-install-token": "admin_create_install_token",
        "revoke-device": "admin_revoke_device",
        "dispatcher/list-active": "admin_dispatcher_list_active",
        "dispatcher/refetch-profile": "admin_dispatcher_refetch_profile",
        "dispatcher/run-backup": "admin_dispatcher_run_backup",
        "get-jobs-for-user": "admin_get_jobs_for_user",
        "get-jobs-for-date-range": "admin_get_jobs_for_date_range",
        "get-job-log-entries": "admin_get_job_log_entries",
        "get-job-properties": "admin_get_job_properties",
    }
    USER = {
        "web/session/start": "user_web_session_start",
        "get-profile-and-hash": "user_get_profile_and_hash",
        "register-device": "user_register_device",
        "device-heartbeat": "user_device_heartbeat",
    }
    GENERATE_CLIENT = "branding/generate-client/"

    def route(self, side, endpoint):
        """A callable(params, ctx) for the endpoint, or None."""
        if side == "admin":
            if endpoint.startswith(self.GENERATE_CLIENT) and len(endpoint) > len(self.GENERATE_CLIENT) \
                    and "/" not in endpoint[len(self.GENERATE_CLIENT):]:
                variant = endpoint[len(self.GENERATE_CLIENT):]
                return lambda params, ctx: self.admin_generate_client(params, ctx, variant)
            name = self.ADMIN.get(endpoint)
        else:
            name = self.USER.get(endpoint)
        return getattr(self, name) if name else None

    # --- auth ----------------------------------------------------------
    def admin_auth(self, params, ctx):
        username = params.get("Username")
        ctx["admin"] = username or None
        if params.get("AuthType") != "Password" or not username or not params.get("Password"):
            raise ApiError(403, "Authentication failed")
        if not self.state.check_admin(username, params["Password"]):
            raise ApiError(403, "Authentication failed")

    def user_auth(self, params, ctx):
        username = params.get("Username")
        ctx["account"] = username or None
        auth_type = params.get("AuthType")
        ctx["auth_type"] = auth_type
        if not username:
            raise ApiError(403, "Authentication failed")
        if auth_type == "Password":
            if self.state.check_user(username, params.get("Password")):
                return
        elif auth_type == "SessionKey":
            if self.state.check_session(username, params.get("SessionKey")):
                ctx["session_key"] = params.get("SessionKey")
                return
        elif auth_type == "InstallToken" and ctx["endpoint"] == "web/session/start":
            key = self.state.use_install_token(username, params.get("InstallToken"))
            if key:
                ctx["session_key_issued"] = key
                ctx["mutated"] = True
                return
        raise ApiError(403, "Authentication failed")


# ---------------------------------------------------------------------- HTTP
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CometServerStandIn/" + SERVER_VERSION
    sys_version = ""
    timeout = 60

    def setup(self):
        super(_Handler, self).setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # the stand-in keeps its own request log (never a password); the default one is not wanted

    # every method goes through one place
    def do_POST(self):
        self._handle("POST")

    def do_GET(self):
        self._handle("GET")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_OPTIONS(self):
        self._handle("OPTIONS")

    @property
    def standin(self):
        return self.server.standin

    def _read_body(self):
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
            if codings != ["chunked"]:
                raise ApiError(501, "Transfer-Encoding %r is not supported (only chunked)" % encoding)
            if self.headers.get("Content-Length") is not None:
                # RFC 9112 6.1: a message with both is a smuggling vector; servers may reject it
                raise ApiError(400, "Both Transfer-Encoding and Content-Length are given")
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            length = int(length)
        except ValueError:
            raise ApiError(400, "Invalid Content-Length")
        if length < 0 or length > MAX_BODY:
            raise ApiError(413, "Request body too large")
        return self.rfile.read(length)

    def _read_chunked(self):
        """An HTTP/1.1 chunked body (RFC 9112 7.1), chunk extensions ignored, trailers read and dropped."""
        body = bytearray()
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise ApiError(400, "Malformed chunked body (chunk size line)")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ApiError(400, "Malformed chunked body (chunk size %r)" % size_text[:20].decode("latin-1"))
            if size < 0 or not size_text or size_text.startswith((b"-", b"+", b"0x", b"0X")):
                raise ApiError(400, "Malformed chunked body (chunk size)")
            if size == 0:
                break
            if len(body) + size > MAX_BODY:
                raise ApiError(413, "Request body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise ApiError(400, "Malformed chunked body (truncated chunk)")
            body.extend(chunk)
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise ApiError(400, "Malformed chunked body (no CRLF after a chunk)")
        for dummy in range(100):  # trailer section, up to the empty line
            line = self.rfile.readline(8192)
            if line in (b"\r\n", b"\n", b""):
                break
        return bytes(body)

    def _send(self, http_status, body, content_type="application/json; charset=utf-8", drop=False, extra_headers=None):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode("utf-8")
        self.send_response(http_status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        if drop:
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command == "HEAD":
            return
        if drop:
            self.wfile.write(body[:max(1, len(body) // 2)] if len(body) > 1 else b"")
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    def _handle(self, method):
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path[len(CONTROL_PREFIX):])
        if path.startswith(ADMIN_PREFIX):
            side, endpoint = "admin", path[len(ADMIN_PREFIX):]
        elif path.startswith(USER_PREFIX):
            side, endpoint = "user", path[len(USER_PREFIX):]
        else:
            side, endpoint = None, path
        ctx = {"side": side, "endpoint": endpoint, "account": None, "admin": None, "client_ip": self.client_address[0]}
        entry_extra = {}
        drop = None
        try:
            try:
                body = self._read_body()
            except ApiError:
                self.close_connection = True
                raise
            if side is None:
                raise ApiError(404, "Not found")
            if method != "POST":
                raise ApiError(405, "Method not allowed: the Comet API takes POST only")
            params = self._parse_form(body)
            ctx["account"] = params.get("TargetUser") or (params.get("Username") if side == "user" else None)
            ctx["admin"] = params.get("Username") if side == "admin" else None
            faults = self.standin.faults
            delay = faults.take("delay", endpoint, ctx["account"])
            if delay:
                entry_extra["fault"] = "delay"
                time.sleep(delay["seconds"])
            fail = faults.take("fail", endpoint, ctx["account"])
            if fail:
                entry_extra["fault"] = "fail"
                ctx["retry_after"] = fail.get("retry_after")
                raise ApiError(fail["status"], fail["message"])
            drop = faults.take("drop", endpoint, ctx["account"])
            if drop:
                entry_extra["fault"] = "drop"
                if not drop["process"]:
                    raise ApiError(200, "dropped before processing", http_status=200)
            handler = self.standin.api.route(side, endpoint)
            if handler is None:
                raise ApiError(404, "Unknown API endpoint: %s" % endpoint)
            if side == "admin":
                self.standin.api.admin_auth(params, ctx)
            else:
                self.standin.api.user_auth(params, ctx)
            with self.standin.lock:
                result = handler(params, ctx)
                if endpoint in PROFILE_READS and ctx.get("account"):
                    change = faults.take("change_profile", None, ctx["account"])
                    if change:
                        entry_extra["fault"] = "change_profile"
                        self.standin.state.change_profile(ctx["account"], mutate=change.get("mutate"),
                                                          set_paths=change.get("set"))
            if isinstance(result, tuple):
                data, content_type = result
                status = 200
                headers = {"Content-Disposition": 'attachment; filename="%s"' % ctx.get("filename", "client")}
                self._finish(ctx, status, status, entry_extra)
                return self._send(200, data, content_type, drop=bool(drop), extra_headers=headers)
            status = result.get("Status", 200) if isinstance(result, dict) else 200
            lost = None if status >= 400 else (faults.take("truncate", endpoint, ctx["account"])
                                               or faults.take("fail_after", endpoint, ctx["account"]))
            if lost:  # carried out, then the answer is lost (faults.py truncate_next, fail_after_next)
                entry_extra["fault"] = lost["kind"]
                self._finish(ctx, status, 200, entry_extra)
                if lost["kind"] == "truncate":
                    text = json.dumps(result).encode("utf-8")
                    return self._send(200, text[:max(1, len(text) // 2)])
                return self._send(lost["http_status"], {"Status": lost["status"], "Message": lost["message"]})
            self._finish(ctx, status, 200, entry_extra)
            return self._send(200, result, drop=bool(drop))
        except ApiError as exc:
            body = {"Status": exc.status, "Message": exc.message}
            headers = {"Allow": "POST"} if exc.status == 405 else None
            if ctx.get("retry_after") is not None:
                headers = {"Retry-After": ctx["retry_after"]}
            self._finish(ctx, exc.status, exc.http_status, entry_extra)
            return self._send(exc.http_status, body, drop=bool(drop), extra_headers=headers)
        except Exception as exc:  # pylint: disable=broad-except
            self._finish(ctx, 500, 500, entry_extra)
            self.standin.debug("internal error on %s: %s: %s" % (endpoint, type(exc).__name__, exc))
            return self._send(500, {"Status": 500, "Message": "Internal error in the stand-in (%s)" % type(exc).__name__})

    def _parse_form(self, body):
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and content_type not in ("", "application/x-www-form-urlencoded"):
            raise ApiError(400, "Content-Type must be application/x-www-form-urlencoded")
        try:
            text = body.decode("utf-8")
            parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "The request body is not valid form-urlencoded UTF-8")
        params = {}
        for name, values in parsed.items():
            if len(values) > 1:
                raise ApiError(400, "Parameter %s is given more than once" % name)
            params[name] = values[0]
        return params

    def _finish(self, ctx, status, http_status, extra):
        entry = {
            "time": time.time(),
            "endpoint": ctx["endpoint"],
            "side": ctx["side"],
            "account": ctx.get("account"),
            "admin": ctx.get("admin"),
            "status": status,
            "http_status": http_status,
        }
        if ctx.get("device"):
            entry["device"] = ctx["device"]
        entry.update(extra)
        self.standin._record(entry)

    # ------------------------------------------------------------------ control endpoints
    def _control(self, method, name):
        ip = self.client_address[0]
        try:
            body = self._read_body()
            if not (ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1")):
                raise ApiError(403, "Control endpoints answer on loopback only")
            routes = {
                ("GET", "log"): self._c_log, ("POST", "log/reset"): self._c_log_reset,
                ("GET", "state"): self._c_state, ("POST", "faults"): self._c_faults,
                ("POST", "faults/clear"): self._c_faults_clear, ("POST", "fixture"): self._c_fixture,
                ("POST", "online"): self._c_online, ("POST", "sessions/revoke"): self._c_sessions_revoke,
                ("POST", "reset"): self._c_reset, ("GET", "faults"): self._c_faults_list,
                ("POST", "job-log"): self._c_job_log,
            }
            handler = routes.get((method, name))
            if handler is None:
                if any(n == name for (_m, n) in routes):
                    raise ApiError(405, "Method not allowed")
                raise ApiError(404, "Unknown control endpoint: %s" % name)
            data = None
            if method == "POST":
                try:
                    data = json.loads(body.decode("utf-8")) if body.strip() else {}
                except ValueError:
                    raise ApiError(400, "The body must be JSON")
            result = handler(data)
            return self._send(200, result if result is not None else dict(OK))
        except ApiError as exc:
            return self._send(exc.http_status, {"Status": exc.status, "Message": exc.message})
        except (ValueError, KeyError, TypeError) as exc:
            return self._send(400, {"Status": 400, "Message": "%s: %s" % (type(exc).__name__, exc)})

    def _c_log(self, data):
        return self.standin.log

    def _c_log_reset(self, data):
        self.standin.reset_log()

    def _c_state(self, data):
        out = self.standin.state.to_dict(public=True)
        out["faults"] = self.standin.faults.pending()
        return out

    def _c_faults(self, data):
        self.standin.faults.add_from_json(data)

    def _c_faults_list(self, data):
        return self.standin.faults.pending()

    def _c_faults_clear(self, data):
        self.standin.faults.clear()

    def _c_fixture(self, data):
        self.standin.state.load_fixture(data)

    def _c_online(self, data):
        self.standin.state.set_online(data["account"], data["device"], bool(data.get("online", True)))

    def _c_job_log(self, data):
        self.standin.state.set_job_log(data["job"], data["entries"])

    def _c_sessions_revoke(self, data):
        self.standin.state.revoke_sessions((data or {}).get("account"))

    def _c_reset(self, data):
        self.standin.state.reset()
        self.standin.faults.clear()
        self.standin.reset_log()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return  # clients that hang up or fail the TLS handshake
        self.standin.debug("error serving %s: %s: %s" % (client_address, type(exc).__name__, exc))


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


# ---------------------------------------------------------------------- the stand-in
class CometServerStandIn(object):
    """A Comet Server stand-in on 127.0.0.1. Use as a context manager, or start()/stop()."""

    def __init__(self, admin_users=None, tls=False, port=0, state_file=None, host="127.0.0.1", cert_dir=None,
                 online_ttl=30.0, fixture=None, installers=None, version=SERVER_VERSION, verbose=False):
        self.lock = threading.RLock()
        self.host = host
        self.port = int(port)
        self.tls = bool(tls)
        self.cert_dir = cert_dir
        self.version = version
        self.verbose = verbose
        self.state = State(lock=self.lock, online_ttl=online_ttl)
        self.faults = Faults(lock=self.lock)
        self.api = Api(self)
        self.state_file = state_file
        if state_file and os.path.exists(state_file):
            self.state.load(state_file)
        fixtures = fixture if isinstance(fixture, (list, tuple)) else ([] if fixture is None else [fixture])
        for item in fixtures:
            self.state.load_fixture(item)
        for name, password in (admin_users or {}).items():  # explicit admins win over a fixture's "admins"
            self.state.add_admin(name, password)
        for variant, path in (installers or {}).items():
            self.state.installers[variant] = path
        self.state.state_file = state_file
        self.state._changed()
        self._log = []
        self._httpd = None
        self._thread = None
        self._tmpdir = None
        self.ca_cert_path = None
        self.start_time = int(time.time())
        self.start_hash = uuid.uuid4().hex

    # --- lifecycle -----------------------------------------------------
    def start(self):
        if self._httpd is not None:
            return self
        cls = _HTTPServer6 if ":" in self.host else _HTTPServer
        httpd = cls((self.host, self.port), _Handler)
        httpd.standin = self
        if self.tls:
            cert_dir = self.cert_dir
            if not cert_dir:
                self._tmpdir = tempfile.mkdtemp(prefix="comet-standin-tls-")
                cert_dir = self._tmpdir
            paths = tlsmod.ensure_certificates(cert_dir)
            self.ca_cert_path = paths["ca"]
            httpd.socket = tlsmod.server_context(paths).wrap_socket(httpd.socket, server_side=True,
                                                                    do_handshake_on_connect=False)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="comet-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            self._thread.join(5)
        if self.state_file:
            self.state.save(self.state_file)
        if self._tmpdir:
            import shutil
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d/" % ("https" if self.tls else "http", host, self.port)

    @property
    def installer_files(self):
        return self.state.installers

    # --- request log ---------------------------------------------------
    def _record(self, entry):
        with self.lock:
            self._log.append(entry)
        if self.verbose:
            sys.stderr.write(json.dumps(entry, sort_keys=True) + "\n")
            sys.stderr.flush()

    @property
    def log(self):
        """A copy of the request log: [{"time", "endpoint", "side", "account", "admin", "status", "http_status",
        ...}]. ``status`` is Comet's Status (409 for a stale hash, although HTTP said 200)."""
        with self.lock:
            return jsoncopy(self._log)

    def reset_log(self):
        with self.lock:
            del self._log[:]

    def log_count(self, endpoint=None, account=None, status=None):
        with self.lock:
            return sum(1 for e in self._log
                       if (endpoint is None or e["endpoint"] == endpoint)
                       and (account is None or e["account"] == account)
                       and (status is None or e["status"] == status))

    def debug(self, message):
        if self.verbose:
            sys.stderr.write("comet-standin: %s\n" % message)
            sys.stderr.flush()
