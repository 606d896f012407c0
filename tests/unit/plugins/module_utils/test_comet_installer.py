# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_comet_installer: the installer a host needs, fetched once per distinct installer on the controller. The file
source, the url source against a local http.server (right and wrong sha256), the server source against the Comet
Server stand-in, the per-installer lock (5 threads, 1 download) and the cache (a hit, no download)."""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
import time

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_installer as ci
from comet_server import CometServerStandIn

CONTENT = b"#!/bin/sh\necho stand-in Comet installer\n" + bytes(range(256)) * 64
SHA = hashlib.sha256(CONTENT).hexdigest()
OTHER_SHA = hashlib.sha256(b"something else").hexdigest()
ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Inst4ller-Secret"


# ------------------------------------------------------------------------------------------------------ names

@pytest.mark.parametrize("args, expected", [
    (("server", "linuxgeneric", "24.6.0", "Comet Backup UNIL"), "Comet_Backup_UNIL-24.6.0.run"),
    (("server", "linux-deb", "24.6.0", "Comet Backup UNIL"), "Comet_Backup_UNIL-24.6.0.deb"),
    (("server", "macos-arm64", "24.6.0", "Comet Backup UNIL"), "Comet_Backup_UNIL-24.6.0.pkg"),
    (("server", "macos-x86_64", "24.6.0", "Comet Backup UNIL"), "Comet_Backup_UNIL-24.6.0.pkg"),
    (("server", "windows-x86_64-zip", "24.6.0", "Comet Backup UNIL"), "Comet_Backup_UNIL-24.6.0.zip"),
    (("server", "linuxgeneric", "24.6.0", " Comet/Backup  (UNIL) "), "Comet_Backup_UNIL_-24.6.0.run"),
    (("server", "linuxgeneric", "", ""), "Comet_Backup.run"),
])
def test_the_name_of_a_server_installer(args, expected):
    assert ci.installer_name(*args) == expected


def test_the_name_of_a_file_or_url_installer():
    assert ci.installer_name("file", "linuxgeneric", file="/srv/inst/Comet_Backup_UNIL-24.6.0.run") == "Comet_Backup_UNIL-24.6.0.run"
    assert ci.installer_name("url", "", url="https://u:pw@h.example/d/Comet_Backup_UNIL-24.6.0.run?sig=1") == \
        "Comet_Backup_UNIL-24.6.0.run"


@pytest.mark.parametrize("url, shown", [
    ("https://user:Pa55@h.example:8443/d/x.run?sig=abc#f", "https://h.example:8443/d/x.run?..."),
    ("http://h.example/x.run", "http://h.example/x.run"),
    ("https://[::1]:9/x", "https://[::1]:9/x"),
])
def test_a_url_is_shown_without_user_information_or_query(url, shown):
    assert ci.shown_url(url) == shown


def test_the_key_names_source_location_variant_version_and_sha256():
    base = dict(source="server", server_url="https://c.example", admin_username="a", variant="linuxgeneric",
                version="24.6.0", sha256="")
    keys = {ci.installer_key(base), ci.installer_key(dict(base, variant="macos-arm64")),
            ci.installer_key(dict(base, version="24.9.0")), ci.installer_key(dict(base, sha256=SHA)),
            ci.installer_key(dict(base, admin_username="b")), ci.installer_key(dict(base, server_url="https://d.example"))}
    assert len(keys) == 6
    assert ci.installer_key(base) == ci.installer_key(dict(base, server_url="https://c.example/", admin_password="x"))
    assert ADMIN_PASSWORD not in ci.installer_key(dict(base, admin_password=ADMIN_PASSWORD))


@pytest.mark.parametrize("request_, option, variable", [
    ({"source": "floppy"}, "source", "source"),
    ({"source": "file"}, "file", "comet_client_installer_file"),
    ({"source": "url", "url": "gopher://x/y.run", "sha256": SHA}, "url", "comet_client_installer_url"),
    ({"source": "url", "url": "https://x/y.run"}, "sha256", "comet_client_installer_sha256"),
    ({"source": "url", "url": "https://x/y.run", "sha256": "abc"}, "sha256", "comet_client_installer_sha256"),
    ({"source": "server", "variant": "../etc", "server_url": "https://x/", "admin_username": "a", "admin_password": "p"},
     "variant", "comet_client_installer_variant"),
    ({"source": "server", "variant": "linuxgeneric", "server_url": "https://x/", "admin_username": "a"},
     "admin_password", "admin_password"),
])
def test_bad_input_names_the_option_and_the_variable(tmp_path, request_, option, variable):
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(dict(request_, cache_dir=str(tmp_path / "cache")))
    assert info.value.reason == "bad_input" and info.value.details["option"] == option
    assert info.value.message.startswith("%s (%s): " % (option, variable)), info.value.message
    assert not (tmp_path / "cache").exists()


# ------------------------------------------------------------------------------------------------------ file

def test_the_file_source_is_used_in_place_and_its_hash_remembered(tmp_path):
    installer = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    installer.write_bytes(CONTENT)
    request = dict(source="file", file=str(installer), sha256=SHA.upper(), variant="linuxgeneric", version="24.6.0",
                   cache_dir=str(tmp_path / "cache"))
    first = ci.fetch(request)
    assert first == dict(changed=False, cached=False, sha256=SHA, path=str(installer), name=installer.name, source="file")
    second = ci.fetch(request)
    assert second["cached"] is True and second["sha256"] == SHA and second["path"] == str(installer)
    # changed content (size and mtime): hashed again, and checked
    installer.write_bytes(CONTENT + b"tampered")
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(request)
    assert info.value.reason == "checksum"
    assert info.value.message == (
        "installer Comet_Backup_UNIL-24.6.0.run (file %s) has sha256 %s, expected comet_client_installer_sha256 %s."
        % (installer, hashlib.sha256(CONTENT + b"tampered").hexdigest(), SHA))


def test_an_empty_or_missing_file_is_refused(tmp_path):
    empty = tmp_path / "Comet_Backup_UNIL-24.6.0.run"
    empty.write_bytes(b"")
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(dict(source="file", file=str(empty), cache_dir=str(tmp_path / "c")))
    assert info.value.reason == "empty" and "comet_client_installer_file" in info.value.message
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(dict(source="file", file=str(tmp_path / "nope.run"), cache_dir=str(tmp_path / "c")))
    assert info.value.reason == "missing"
    assert info.value.message == ("installer nope.run: comet_client_installer_file %s is not a readable file on the "
                                  "controller (no such file)." % (tmp_path / "nope.run"))
    assert info.value.as_result() == dict(failed=True, stage="fetch", reason="missing", name="nope.run",
                                          msg="unil.backup.comet_installer: " + info.value.message)


# ------------------------------------------------------------------------------------------------------ url

class _Files(http.server.BaseHTTPRequestHandler):
    files = {}
    gets = []
    delay = 0.0

    def do_GET(self):
        type(self).gets.append(self.path)
        body = self.files.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404, "Not Found")
            return
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(name="web")
def web_fixture():
    handler = type("Handler", (_Files,), {"files": {"/d/Comet_Backup_UNIL-24.6.0.run": CONTENT,
                                                    "/d/empty-24.6.0.run": b""}, "gets": [], "delay": 0.0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield handler, "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def url_request(base, tmp_path, sha=SHA, path="/d/Comet_Backup_UNIL-24.6.0.run", **extra):
    return dict(dict(source="url", url=base + path, sha256=sha, variant="linuxgeneric", version="24.6.0",
                     cache_dir=str(tmp_path / "cache"), timeout=10), **extra)


def test_a_url_is_downloaded_once_then_found_in_the_cache(web, tmp_path):
    handler, base = web
    first = ci.fetch(url_request(base, tmp_path))
    entry = tmp_path / "cache" / SHA / "Comet_Backup_UNIL-24.6.0.run"
    assert first == dict(changed=True, cached=False, sha256=SHA, path=str(entry), name=entry.name, source="url")
    assert entry.read_bytes() == CONTENT and entry.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cache" / SHA).stat().st_mode & 0o777 == 0o700
    assert os.listdir(tmp_path / "cache" / "incoming") == []
    # a later run, or another host: a cache hit, no download
    again = ci.fetch(url_request(base, tmp_path), run_id="another run")
    assert again == dict(first, changed=False, cached=True)
    print("downloads: %d" % len(handler.gets))
    assert len(handler.gets) == 1


def test_a_wrong_sha256_fails_naming_the_variable_and_leaves_nothing(web, tmp_path):
    handler, base = web
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(url_request(base, tmp_path, sha=OTHER_SHA))
    assert info.value.reason == "checksum"
    assert info.value.message == (
        "installer Comet_Backup_UNIL-24.6.0.run (downloaded %s/d/Comet_Backup_UNIL-24.6.0.run) has sha256 %s, "
        "expected comet_client_installer_sha256 %s." % (base, SHA, OTHER_SHA))
    assert os.listdir(tmp_path / "cache" / "incoming") == [] and not (tmp_path / "cache" / OTHER_SHA).exists()
    assert not (tmp_path / "cache" / SHA).exists()


def test_an_empty_download_is_refused(web, tmp_path):
    handler, base = web
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(url_request(base, tmp_path, path="/d/empty-24.6.0.run"))
    assert info.value.reason == "empty" and "comet_client_installer_url" in info.value.message


def test_a_failed_download_never_shows_the_password_of_the_url(web, tmp_path):
    handler, base = web
    url = base.replace("http://", "http://pnom:Url-Secret-55@") + "/d/missing-24.6.0.run?token=Tok-Secret-66"
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(dict(url_request(base, tmp_path), url=url))
    assert info.value.reason == "download"
    text = info.value.message
    assert "Url-Secret-55" not in text and "Tok-Secret-66" not in text and "pnom" not in text, text
    assert "404" in text and "comet_client_installer_url" in text and base + "/d/missing-24.6.0.run?..." in text


def test_five_threads_asking_for_one_installer_download_it_once(web, tmp_path):
    handler, base = web
    handler.delay = 0.3  # the first download is still running when the others ask
    results = []
    errors = []

    def ask():
        try:
            results.append(ci.fetch(url_request(base, tmp_path)))
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)

    threads = [threading.Thread(target=ask) for dummy in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    print("downloads for 5 threads: %d" % len(handler.gets))
    assert not errors and len(results) == 5
    assert len(handler.gets) == 1
    assert sorted(r["changed"] for r in results) == [False, False, False, False, True]
    assert {r["path"] for r in results} == {str(tmp_path / "cache" / SHA / "Comet_Backup_UNIL-24.6.0.run")}


def test_a_corrupt_cache_entry_is_downloaded_again(web, tmp_path):
    handler, base = web
    entry = tmp_path / "cache" / SHA / "Comet_Backup_UNIL-24.6.0.run"
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"half an installer")
    result = ci.fetch(url_request(base, tmp_path))
    assert result["changed"] is True and entry.read_bytes() == CONTENT and len(handler.gets) == 1


# ------------------------------------------------------------------------------------------------------ server

@pytest.fixture(name="comet")
def comet_fixture(tmp_path):
    linux = tmp_path / "standin-linux.run"
    linux.write_bytes(CONTENT)
    mac = tmp_path / "standin-mac.pkg"
    mac.write_bytes(b"xar! a stand-in package")
    fixture = {"users": {}, "installers": {"linuxgeneric": str(linux), "macos-arm64": str(mac)}}
    with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0, fixture=fixture) as srv:
        srv.reset_log()
        yield srv


def server_request(srv, tmp_path, **extra):
    return dict(dict(source="server", server_url=srv.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD,
                     variant="linuxgeneric", version="24.6.0", product_name="Comet Backup UNIL",
                     cache_dir=str(tmp_path / "cache"), timeout=10), **extra)


def downloads(srv, variant="linuxgeneric"):
    return srv.log_count(endpoint="branding/generate-client/" + variant)


def test_the_server_installer_is_downloaded_once_per_run(comet, tmp_path):
    first = ci.fetch(server_request(comet, tmp_path), run_id="run-1")
    entry = tmp_path / "cache" / SHA / "Comet_Backup_UNIL-24.6.0.run"
    assert first == dict(changed=True, cached=False, sha256=SHA, path=str(entry), name=entry.name, source="server")
    assert entry.read_bytes() == CONTENT
    same_run = ci.fetch(server_request(comet, tmp_path), run_id="run-1")
    assert same_run == dict(first, changed=False, cached=True)
    assert downloads(comet) == 1
    # another run asks the server again (what it generates may have changed), another variant is another installer
    assert ci.fetch(server_request(comet, tmp_path), run_id="run-2")["changed"] is True
    mac = ci.fetch(server_request(comet, tmp_path, variant="macos-arm64"), run_id="run-2")
    assert mac["name"] == "Comet_Backup_UNIL-24.6.0.pkg" and mac["changed"] is True
    print("generate-client calls: %d linuxgeneric, %d macos-arm64" % (downloads(comet), downloads(comet, "macos-arm64")))
    assert downloads(comet) == 2 and downloads(comet, "macos-arm64") == 1


def test_a_server_installer_with_a_known_sha256_is_found_in_the_cache(comet, tmp_path):
    assert ci.fetch(server_request(comet, tmp_path, sha256=SHA), run_id="run-1")["changed"] is True
    assert ci.fetch(server_request(comet, tmp_path, sha256=SHA), run_id="run-2")["cached"] is True
    assert downloads(comet) == 1
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(server_request(comet, tmp_path, sha256=OTHER_SHA), run_id="run-2")
    assert info.value.reason == "checksum" and "expected comet_client_installer_sha256 %s" % OTHER_SHA in info.value.message


def test_five_threads_asking_the_server_download_once(comet, tmp_path):
    comet.faults.delay_next(1, seconds=0.5, endpoint="branding/generate-client/linuxgeneric")
    results = []
    threads = [threading.Thread(target=lambda: results.append(ci.fetch(server_request(comet, tmp_path), run_id="r")))
               for dummy in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 5 and downloads(comet) == 1
    assert [r["changed"] for r in results].count(True) == 1


def test_a_server_failure_names_the_installer_and_never_the_password(comet, tmp_path):
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(server_request(comet, tmp_path, admin_password="Wr0ng-Pw-Secret"), run_id="r")
    text = info.value.message
    assert info.value.reason == "download" and "Wr0ng-Pw-Secret" not in text and ADMIN_PASSWORD not in text
    assert text.startswith("installer Comet_Backup_UNIL-24.6.0.run could not be downloaded from %s (" % comet.url), text
    assert "403" in text and "comet_client_admin_password" in text
    # a variant the server has no installer for: its error answer is not stored as an installer
    with pytest.raises(ci.InstallerError) as info:
        ci.fetch(server_request(comet, tmp_path, variant="windows-x86_64-zip"), run_id="r")
    assert info.value.reason == "download" and "branding/generate-client/windows-x86_64-zip" in info.value.message
    assert os.listdir(tmp_path / "cache" / "incoming") == []
    assert json.dumps(info.value.details).find(ADMIN_PASSWORD) == -1
