# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one Comet Server URL rule (_comet_url): what it accepts and how it normalises, what it refuses and why, and
that no message shows a credential."""
from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_api as api
from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError
from ansible_collections.unil.backup.plugins.module_utils._comet_url import mask_url, server_url, url_problem

GOOD = [
    ("https://comet.example.org", "https://comet.example.org/"),
    ("https://comet.example.org/", "https://comet.example.org/"),
    ("https://comet.example.org//", "https://comet.example.org/"),
    ("HTTP://comet.example.org", "http://comet.example.org/"),
    ("HTTPS://Comet.Example.org:8443/", "https://Comet.Example.org:8443/"),
    ("  https://comet.example.org/  ", "https://comet.example.org/"),
    ("http://127.0.0.1:8060", "http://127.0.0.1:8060/"),
    ("http://localhost:1/", "http://localhost:1/"),
    ("https://[::1]:8443/", "https://[::1]:8443/"),
    ("https://[2001:db8::1]/", "https://[2001:db8::1]/"),
    ("https://proxy.example.org/comet", "https://proxy.example.org/comet/"),   # behind a reverse proxy's prefix
    ("https://proxy.example.org/comet/", "https://proxy.example.org/comet/"),
    ("https://proxy.example.org:65535/a/b/", "https://proxy.example.org:65535/a/b/"),
    ("https://sauvegarde.unil.ch/", "https://sauvegarde.unil.ch/"),
]

# (value, words the message holds)
BAD = [
    (None, "as text"),
    (42, "as text"),
    ("", "is empty"),
    ("   ", "is empty"),
    ("comet.example.org", "a scheme is missing"),
    ("localhost:8060", "http:// or https://"),
    ("ftp://comet.example.org/", "http:// or https://"),
    ("file:///etc/passwd", "http:// or https://"),
    ("https:///", "no host name"),
    ("https://", "no host name"),
    ("https://:8443/", "no host name"),
    ("https://comet.example.org:abc/", "invalid port"),
    ("https://comet.example.org:99999/", "invalid port"),
    ("https://comet.example.org:0/", "invalid port"),
    ("https://comet.example.org:/", "invalid port"),
    ("https://comet.example.org:-1/", "invalid port"),
    ("https://comet.example.org:8443x/", "invalid port"),
    ("https://comet.example.org/?a=1", "query"),
    ("https://comet.example.org/?", "query"),
    ("https://comet.example.org/#top", "fragment"),
    ("https://comet.example.org/api/v1/admin", "server's root"),
    ("https://comet.example.org/api/v1/admin/", "server's root"),
    ("https://comet.example.org/comet/api/v1/admin/meta/version", "server's root"),
    ("https://comet example.org/", "spaces"),
    ("https://comet.example.org/a\nb", "control characters"),
    ("https://[::1/", "closing ]"),
    ("https://[zz::1]/", "invalid IPv6"),
    ("https://[::1]x/", "invalid IPv6"),
    ("https://comet..example.org/", "invalid host name"),
    ("https://comet.exa<mple.org/", "invalid host name"),
]

CREDENTIALS = [
    ("https://admin:S3cr3t-pw@comet.example.org/", "https://***@comet.example.org/"),
    ("HTTPS://admin:S3cr3t-pw@comet.example.org:8443/x", "https://***@comet.example.org:8443/"),
    ("https://admin@comet.example.org/", "https://***@comet.example.org/"),
    ("https://admin:S3cr3t?pw@comet.example.org/", "https://***@comet.example.org/"),
    ("https://admin:S3cr3t/pw@comet.example.org/", "https://***@comet.example.org/"),
    ("https://admin:S3cr3t#pw@comet.example.org/", "https://***@comet.example.org/"),
    ("ftp://admin:S3cr3t-pw@comet.example.org/", "https://***@host/"),
    ("admin:S3cr3t-pw@comet.example.org", "https://***@host/"),
]


@pytest.mark.parametrize("value,expected", GOOD)
def test_accepted_and_normalised(value, expected):
    assert server_url(value, "comet_config_server_url") == expected
    assert url_problem(value) == ""


@pytest.mark.parametrize("value,words", BAD)
def test_refused_naming_the_option(value, words):
    with pytest.raises(CometInputError) as err:
        server_url(value, "comet_config_server_url")
    assert err.value.option == "comet_config_server_url"
    assert str(err.value).startswith("comet_config_server_url: ")
    assert words in err.value.message, err.value.message
    assert url_problem(value) == err.value.message


@pytest.mark.parametrize("value,masked", CREDENTIALS)
def test_credentials_are_refused_without_showing_them(value, masked):
    with pytest.raises(CometInputError) as err:
        server_url(value, "fleet_report_server_url")
    assert "must not contain credentials" in err.value.message
    assert masked in err.value.message, err.value.message
    assert "S3cr3t" not in str(err.value) and "admin:" not in str(err.value) and "admin@" not in str(err.value)


def test_the_api_client_uses_the_same_rule():
    for value, expected in GOOD:
        assert api.CometAdminClient(value, "a", "b").server_url == expected
    for value, dummy in BAD[2:] + CREDENTIALS:
        with pytest.raises(ValueError) as err:
            api.CometAdminClient(value, "a", "b")
        assert str(err.value).startswith("server_url ")
        assert "S3cr3t" not in str(err.value)


def test_the_client_role_uses_the_same_rule():
    base = {"state": "absent", "system": "Linux", "service_mgr": "systemd", "brand": "CometBackupUNIL",
            "linux_install_dir": "/opt/CometBackupUNIL", "linux_service_name": "comet-backup.service"}
    for value, expected in GOOD:
        out = cc.role_settings(dict(base, server_url=value))
        assert out["errors"] == [] and out["server"] == expected, (value, out)
    for value, dummy in BAD[2:] + CREDENTIALS:
        out = cc.role_settings(dict(base, server_url=value))
        assert any("comet_client_server_url" in e for e in out["errors"]), (value, out)
        assert not any("S3cr3t" in e for e in out["errors"])


@pytest.mark.parametrize("text,expected", [
    ("GET https://admin:S3cr3t@comet.example.org/api failed", "GET https://***@comet.example.org/api failed"),
    ("a https://u:p@x/ and http://v:S3cr3t@y:80/z", "a https://***@x/ and http://***@y:80/z"),
    ("see https://comet.example.org/ (no credentials)", "see https://comet.example.org/ (no credentials)"),
    ("mail admin@example.org", "mail admin@example.org"),
    ("next=https%3A%2F%2Fadmin%3AS3cr3t%40comet.example.org%2F", "next=https%3A%2F%2F***%40comet.example.org%2F"),
    ("HTTPS%3a%2f%2fadmin%3aS3cr3t%40host", "HTTPS%3a%2f%2f***%40host"),
    ("'https://a:S3cr3t@h/'", "'https://***@h/'"),
])
def test_mask_url(text, expected):
    assert mask_url(text) == expected
    assert mask_url(None) is None
