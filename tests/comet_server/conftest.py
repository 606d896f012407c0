# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the stand-in's own tests: a running stand-in and a tiny form-encoded client."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from comet_server import CometServerStandIn

ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-S3cret-zq"
USER = "pnom"
USER_PASSWORD = "Us3r-S3cret-kw"
LINUX = {"os": "linux", "distribution": "Ubuntu 22.04", "arch": "amd64", "version": "", "build": ""}


class Answer(object):
    def __init__(self, http_status, body, raw, headers):
        self.http_status = http_status
        self.body = body
        self.raw = raw
        self.headers = headers

    @property
    def status(self):
        """Comet's Status in the JSON body (or the HTTP status when the body has none)."""
        if isinstance(self.body, dict) and "Status" in self.body:
            return self.body["Status"]
        return self.http_status

    def __repr__(self):
        return "Answer(%d, %r)" % (self.http_status, self.body)


def post(url, params=None, method="POST", context=None, timeout=10, raw_body=None, content_type=None):
    data = raw_body if raw_body is not None else urllib.parse.urlencode(params or {}).encode("utf-8")
    req = urllib.request.Request(url, data=data if method != "GET" else None, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout, context=context)
        status, headers = resp.status, resp.headers
        raw = resp.read()
    except urllib.error.HTTPError as exc:
        status, headers = exc.code, exc.headers
        raw = exc.read()
    body = None
    if (headers.get("Content-Type") or "").startswith("application/json"):
        body = json.loads(raw.decode("utf-8"))
    return Answer(status, body, raw, headers)


class Client(object):
    def __init__(self, srv, username=ADMIN, password=ADMIN_PASSWORD, context=None):
        self.srv = srv
        self.username = username
        self.password = password
        self.context = context

    def admin(self, endpoint, auth=True, **params):
        if auth:
            params = dict(dict(Username=self.username, AuthType="Password", Password=self.password), **params)
        return post(self.srv.url + "api/v1/admin/" + endpoint, params, context=self.context)

    def user(self, endpoint, **params):
        return post(self.srv.url + "api/v1/user/" + endpoint, params, context=self.context)

    def control(self, name, payload=None, method=None):
        method = method or ("GET" if payload is None else "POST")
        raw = json.dumps(payload).encode("utf-8") if payload is not None else b""
        return post(self.srv.url + "_standin/" + name, method=method, raw_body=raw, content_type="application/json")


@pytest.fixture
def srv():
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, online_ttl=30) as server:
        server.state.add_user(USER, USER_PASSWORD)
        yield server


@pytest.fixture
def api(srv):
    return Client(srv)
