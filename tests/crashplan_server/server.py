# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in of the CrashPlan (Code42) server endpoints that pycpg 1.0.5 calls for a local-account login, a device
lookup (by GUID, by search) and a device deactivation / reactivation. Test code, never shipped.

Endpoints (the paths and shapes pycpg 1.0.5 uses; answers wrapped in {"data": ...} as the real server does):
  GET  /api/v3/auth/jwt?useBody=True          Basic auth -> {"data": {"v3_user_token": <token>}}, else 401
  GET  /api/v3/LoginConfiguration?username=u  no auth    -> {"data": {"loginType": "LOCAL"}}
  GET  /api/v1/User/my                        Bearer     -> the logged-in user
  GET  /api/v1/Computer/<guid>?idType=guid    Bearer     -> one computer, 404 when unknown
  GET  /api/v1/Computer/<id>                  Bearer     -> one computer, 404 when unknown
  GET  /api/v1/Computer?q=&active=&pgNum=&pgSize=  Bearer -> {"data": {"computers": [...], "totalCount": n}}
  POST /api/v38/computer-deactivation/update  Bearer, {"id": <computerId>} -> 204; 400 ACTIVE_LEGAL_HOLD on hold
  POST /api/v38/computer-deactivation/remove  Bearer, {"id": <computerId>} -> 204
Authentication is strict: every other call needs a Bearer token this stand-in issued; a wrong or missing password or
token is a 401. The request log holds method, path, query (without secrets), status and user; never a password, a
token or an Authorization header.
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

MAX_BODY = 1024 * 1024


class HttpError(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class CrashPlanServerStandIn(object):
    """Use as a context manager: ``with CrashPlanServerStandIn(users={"admin": "pw"}) as srv: srv.url``."""

    def __init__(self, users=None, host="127.0.0.1", port=0, ssl_context=None):
        self.users = dict(users or {})
        self.ssl_context = ssl_context  # an ssl.SSLContext (server side) to serve HTTPS
        self.host = host
        self.port = port
        self.devices = {}  # computerId -> dict (the server's view of a computer)
        self.tokens = {}  # token -> username
        self.log = []  # dicts: method, path, query, status, user
        self.lock = threading.Lock()
        self._next_id = 1001
        self._httpd = None
        self._thread = None

    # ------------------------------------------------------------------ state
    def add_device(self, guid, name, os_hostname=None, active=True, legal_hold=False, user_uid="u-1"):
        with self.lock:
            computer_id = self._next_id
            self._next_id += 1
            self.devices[computer_id] = {
                "computerId": computer_id,
                "guid": str(guid),
                "name": name,
                "osHostname": os_hostname or name,
                "osName": "linux",
                "type": "COMPUTER",
                "userUid": user_uid,
                "active": bool(active),
                "status": "Active" if active else "Deactivated",
                "blocked": False,
                "alertState": 0,
                "version": 1525200006110,
                "_legal_hold": bool(legal_hold),
            }
            return computer_id

    def device(self, guid):
        """The public view of the device with this GUID (or None)."""
        with self.lock:
            for dev in self.devices.values():
                if dev["guid"] == str(guid):
                    return _public(dev)
        return None

    def writes(self):
        return [e for e in self.log if e["method"] == "POST"]

    def log_text(self):
        return json.dumps(self.log)

    # ------------------------------------------------------------------ server
    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.ssl_context else "http", self.host, self._httpd.server_address[1])

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        standin = self

        class Handler(_Handler):
            server_standin = standin

        self._httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        self._httpd.daemon_threads = True
        if self.ssl_context is not None:
            self._httpd.socket = self.ssl_context.wrap_socket(self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="crashplan-standin", daemon=True)
        self._thread.start()

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # ------------------------------------------------------------------ API
    def handle(self, method, path, query, headers, body):
        """Returns (status, json-able body or None). Raises HttpError."""
        if method == "GET" and path == "/api/v3/auth/jwt":
            user = self._basic_user(headers.get("Authorization", ""))
            token = secrets.token_urlsafe(24)
            with self.lock:
                self.tokens[token] = user
            return 200, {"data": {"v3_user_token": token}}, user
        if method == "GET" and path == "/api/v3/LoginConfiguration":
            return 200, {"data": {"loginType": "LOCAL"}}, None
        user = self._bearer_user(headers.get("Authorization", ""))
        if method == "GET" and path == "/api/v1/User/my":
            return 200, {"data": {"userId": 1, "userUid": "u-admin", "username": user, "active": True}}, user
        if method == "GET" and path == "/api/v1/Computer":
            return 200, {"data": self._search(query)}, user
        if method == "GET" and path.startswith("/api/v1/Computer/"):
            key = unquote(path[len("/api/v1/Computer/"):])
            return 200, {"data": self._get(key, query.get("idType", ""))}, user
        if method == "POST" and path in ("/api/v38/computer-deactivation/update", "/api/v38/computer-deactivation/remove"):
            computer_id = _body_id(body)
            with self.lock:
                dev = self.devices.get(computer_id)
                if dev is None:
                    raise HttpError(404, '[{"name":"NOT_FOUND","description":"Computer not found"}]')
                if path.endswith("/update"):
                    if dev["_legal_hold"]:
                        raise HttpError(400, '[{"name":"ACTIVE_LEGAL_HOLD","description":"Computer is on legal hold"}]')
                    dev["active"], dev["status"] = False, "Deactivated"
                else:
                    dev["active"], dev["status"] = True, "Active"
            return 204, None, user
        raise HttpError(404, '[{"name":"NOT_FOUND","description":"No such endpoint"}]')

    def _basic_user(self, header):
        if not header.startswith("Basic "):
            raise HttpError(401, '[{"name":"UNAUTHORIZED","description":"Authentication required"}]')
        try:
            username, _sep, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise HttpError(401, '[{"name":"UNAUTHORIZED","description":"Bad credentials"}]')
        expected = self.users.get(username)
        if expected is None or not secrets.compare_digest(expected.encode("utf-8"), password.encode("utf-8")):
            raise HttpError(401, '[{"name":"UNAUTHORIZED","description":"Bad credentials"}]')
        return username

    def _bearer_user(self, header):
        if not header.startswith("Bearer "):
            raise HttpError(401, '[{"name":"UNAUTHORIZED","description":"Authentication required"}]')
        with self.lock:
            user = self.tokens.get(header[7:].strip())
        if user is None:
            raise HttpError(401, '[{"name":"UNAUTHORIZED","description":"Invalid token"}]')
        return user

    def _get(self, key, id_type):
        with self.lock:
            for dev in self.devices.values():
                if (id_type == "guid" and dev["guid"] == key) or (id_type != "guid" and str(dev["computerId"]) == key):
                    return _public(dev)
        raise HttpError(404, '[{"name":"NOT_FOUND","description":"Computer not found"}]')

    def _search(self, query):
        q = query.get("q", "").lower()
        active = query.get("active")
        try:
            page = int(query.get("pgNum", "1"))
            size = int(query.get("pgSize", "100"))
        except ValueError:
            raise HttpError(400, '[{"name":"BAD_REQUEST","description":"pgNum and pgSize must be integers"}]')
        if page < 1 or size < 1:
            raise HttpError(400, '[{"name":"BAD_REQUEST","description":"pgNum and pgSize must be positive"}]')
        with self.lock:
            found = []
            for computer_id in sorted(self.devices):
                dev = self.devices[computer_id]
                if q and not any(q in str(dev[k]).lower() for k in ("guid", "name", "osHostname")):
                    continue
                if active is not None and str(dev["active"]).lower() != active.lower():
                    continue
                found.append(_public(dev))
        return {"totalCount": len(found), "computers": found[(page - 1) * size:page * size]}


def _public(dev):
    return {k: v for k, v in dev.items() if not k.startswith("_")}


def _body_id(body):
    try:
        value = json.loads(body.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, '[{"name":"BAD_REQUEST","description":"Body is not JSON"}]')
    if not isinstance(value, dict) or not isinstance(value.get("id"), int) or isinstance(value.get("id"), bool):
        raise HttpError(400, '[{"name":"BAD_REQUEST","description":"Body must be {\\"id\\": <computerId>}"}]')
    return value["id"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_standin = None  # set by CrashPlanServerStandIn.start

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _serve(self, method):
        standin = self.server_standin
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        user = None
        try:
            status, payload, user = standin.handle(method, parts.path, query, self.headers, body)
            data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        except HttpError as err:
            status, data = err.status, err.text.encode("utf-8")
        entry = {"method": method, "path": parts.path, "query": query, "status": status, "user": user}
        with standin.lock:
            standin.log.append(entry)
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server naming)
        self._serve("GET")

    def do_POST(self):  # noqa: N802
        self._serve("POST")

    def do_PUT(self):  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self):  # noqa: N802
        self._serve("DELETE")
