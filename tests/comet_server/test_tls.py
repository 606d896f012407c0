# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS with a CA generated at start: verification works with the CA file and fails without it."""
from __future__ import annotations

import ssl
import urllib.error

import pytest

from comet_server import CometServerStandIn

from .conftest import ADMIN, ADMIN_PASSWORD, Client, post


@pytest.fixture(scope="module")
def tls_srv(tmp_path_factory):
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True,
                            cert_dir=str(tmp_path_factory.mktemp("certs"))) as srv:
        yield srv


def test_tls_with_ca_file(tls_srv):
    assert tls_srv.url.startswith("https://127.0.0.1:") and tls_srv.url.endswith("/")
    context = ssl.create_default_context(cafile=tls_srv.ca_cert_path)
    answer = Client(tls_srv, context=context).admin("meta/version")
    assert answer.http_status == 200 and answer.body["Version"]
    # the certificate also names localhost
    local = post(tls_srv.url.replace("127.0.0.1", "localhost") + "api/v1/admin/list-users",
                 {"Username": ADMIN, "AuthType": "Password", "Password": ADMIN_PASSWORD}, context=context)
    assert local.http_status == 200


def test_tls_fails_verification_without_ca(tls_srv):
    with pytest.raises(urllib.error.URLError) as info:
        Client(tls_srv, context=ssl.create_default_context()).admin("meta/version")
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
    # and a plain-HTTP client gets nothing useful
    with pytest.raises(Exception):
        post(tls_srv.url.replace("https://", "http://") + "api/v1/admin/meta/version", {}, timeout=3)
    # the server survives the failed handshakes
    context = ssl.create_default_context(cafile=tls_srv.ca_cert_path)
    assert Client(tls_srv, context=context).admin("list-users").http_status == 200


def test_cert_dir_is_reused(tmp_path):
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True, cert_dir=str(tmp_path)) as first:
        ca = open(first.ca_cert_path).read()
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=True, cert_dir=str(tmp_path)) as second:
        assert open(second.ca_cert_path).read() == ca
        context = ssl.create_default_context(cafile=first.ca_cert_path)
        assert Client(second, context=context).admin("list-users").http_status == 200
    assert oct((tmp_path / "server-key.pem").stat().st_mode & 0o777) == "0o600"
