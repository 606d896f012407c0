# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""comet_server_info and comet_client_download in-process against the Comet Server stand-in (real HTTP)."""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import re

import pytest

from ansible.module_utils.testing import patch_module_args

from comet_server import CometServerStandIn

ADMIN = "admin"
ADMIN_PASSWORD = "admin-secret-Zq9"


@pytest.fixture(name="server")
def server_fixture(tmp_path):
    installer = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    installer.write_bytes(b"#!/bin/sh\necho stand-in installer\n" + os.urandom(64))
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps({"users": {}, "installers": {"linuxgeneric": str(installer)}}))
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=str(fixture)) as srv:
        yield srv, installer.read_bytes()


def run(capsys, name, args, check_mode=False):
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules." + name)
    with patch_module_args(dict(args, _ansible_check_mode=check_mode)):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    assert ADMIN_PASSWORD not in out
    return json.loads(out)


def conn(srv, password=ADMIN_PASSWORD):
    return {"server_url": srv.url, "admin_username": ADMIN, "admin_password": password}


def test_server_version(server, capsys):
    srv, dummy = server
    out = run(capsys, "comet_server_info", conn(srv))
    assert out["changed"] is False and re.match(r"^[0-9]+(\.[0-9]+)+$", out["version"]), out
    assert out["api"]["endpoints"] == {"meta/version": 1}


def test_wrong_password_is_an_error_without_the_password(server, capsys):
    srv, dummy = server
    out = run(capsys, "comet_server_info", conn(srv, "wrong-Secret-123"))
    assert out["failed"] and "meta/version" in out["msg"] and "wrong-Secret-123" not in json.dumps(out)


def test_download_writes_the_installer_whole(server, tmp_path, capsys):
    srv, content = server
    dest = tmp_path / "dl" / "installer.part"
    dest.parent.mkdir()
    out = run(capsys, "comet_client_download", dict(conn(srv), variant="linuxgeneric", dest=str(dest)))
    assert out["changed"] and out["sha256"] == hashlib.sha256(content).hexdigest() and out["size"] == len(content)
    assert dest.read_bytes() == content and dest.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(dest.parent)) == ["installer.part"], "a temporary file was left"


def test_download_in_check_mode_writes_nothing(server, tmp_path, capsys):
    srv, dummy = server
    out = run(capsys, "comet_client_download", dict(conn(srv), variant="linuxgeneric", dest=str(tmp_path / "x.part")), check_mode=True)
    assert out["changed"] and not (tmp_path / "x.part").exists() and "sha256" not in out


@pytest.mark.parametrize("args, message", [
    ({"variant": "../etc"}, "variant: '../etc' is not an installer variant (like linuxgeneric or macos-arm64)"),
    ({"variant": "linuxgeneric", "dest": "/nonexistent-dir/x.part"}, "dest: the folder /nonexistent-dir does not exist"),
])
def test_download_bad_input(server, tmp_path, capsys, args, message):
    srv, dummy = server
    out = run(capsys, "comet_client_download", dict(conn(srv), **dict({"dest": str(tmp_path / "x.part")}, **args)))
    assert out["failed"] and out["msg"] == message


def test_an_error_sent_as_the_download_is_not_an_installer(server, tmp_path, capsys):
    srv, dummy = server
    out = run(capsys, "comet_client_download", dict(conn(srv), variant="macos-arm64", dest=str(tmp_path / "x.part")))
    assert out["failed"] and "branding/generate-client/macos-arm64" in out["msg"]
    assert not (tmp_path / "x.part").exists()


@pytest.mark.parametrize("body, expected", [
    (b'{"Status": 500, "Message": "No such branding"}', "HTTP 500 No such branding"),
    (b'{"Status": 200, "Message": "OK"}', None),
    (b"#!/bin/sh\n", None),
    (b"{not json", None),
])
def test_error_in_answer(body, expected):
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules.comet_client_download")
    assert module.error_in_answer(body) == expected


USER = "pnom"
USER_PASSWORD = "user-Secret-77"


def token_args(srv, password=USER_PASSWORD, **extra):
    return dict(conn(srv), account=USER, password=password, **extra)


def test_install_token_is_single_use_and_opens_a_session(server, capsys):
    srv, dummy = server
    srv.state.add_user(USER, USER_PASSWORD)
    out = run(capsys, "comet_install_token", token_args(srv, server="https://comet.example.ch/"))
    assert out["changed"] is True and out["token"] and out["expires"] > 0, out
    assert USER_PASSWORD not in json.dumps(out)
    assert out["api"]["endpoints"] == {"create-install-token": 1}
    # what the installer does with it: one session, then the token is spent
    assert srv.state.use_install_token(USER, out["token"]) is not None
    assert srv.state.use_install_token(USER, out["token"]) is None


def test_install_token_with_a_wrong_password_is_refused_without_either_password(server, capsys):
    srv, dummy = server
    srv.state.add_user(USER, USER_PASSWORD)
    out = run(capsys, "comet_install_token", token_args(srv, password="wrong-Pw-31"))
    assert out["failed"] and "create-install-token" in out["msg"], out
    assert "wrong-Pw-31" not in json.dumps(out) and USER_PASSWORD not in json.dumps(out)


def test_install_token_in_check_mode_creates_nothing(server, capsys):
    srv, dummy = server
    srv.state.add_user(USER, USER_PASSWORD)
    out = run(capsys, "comet_install_token", token_args(srv), check_mode=True)
    assert out["changed"] is True and out["token"] == "" and not out["api"].get("endpoints"), out
    assert srv.state.install_tokens == {}


def test_install_token_refuses_a_username_with_spaces_before_any_call(server, capsys):
    srv, dummy = server
    out = run(capsys, "comet_install_token", dict(token_args(srv), account="p nom"))
    assert out["failed"] and "not a Comet username" in out["msg"] and srv.state.install_tokens == {}
