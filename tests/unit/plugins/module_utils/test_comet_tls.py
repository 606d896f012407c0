# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Obsolete systems by their cause (seed 000, "Problèmes connus", 'Erreur: "x509: certificate has expired or is not
yet valid"': "le système installé sur l'ordinateur ... est obsolète (Windows Vista ou XP, macOS 10.11 ou plus vieux,
Ubuntu 16.04 ou plus vieux, etc). Une mise à jour du système vers une version plus récente est alors requise."): the
host's TLS handshake classified (_comet_tls), and role comet_client's refusal from it (_comet_client.tls_refusal and
the plan), naming the OS, with the guide's advice."""
from __future__ import annotations

import socket
import ssl

import pytest

from ansible_collections.unil.backup.plugins.filter import backup_decisions as filters
from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_tls as tls


def verify_error(code, message):
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: %s" % message)
    error.verify_code, error.verify_message = code, message
    return error


CLASSIFY_CASES = [
    ("verified", None, tls.VERIFIED),
    ("empty or outdated store", verify_error(20, "unable to get local issuer certificate"), tls.UNTRUSTED),
    ("self-signed in chain", verify_error(19, "self-signed certificate in certificate chain"), tls.UNTRUSTED),
    ("expired (the seed's message)", verify_error(10, "certificate has expired"), tls.EXPIRED),
    ("not yet valid (clock behind)", verify_error(9, "certificate is not yet valid"), tls.NOT_YET_VALID),
    ("hostname mismatch: the server's", verify_error(62, "Hostname mismatch, certificate is not valid for 'x'."),
     tls.HOSTNAME_MISMATCH),
    ("other verification failure", verify_error(23, "certificate revoked"), tls.VERIFY_FAILED),
    ("code unknown, words known", verify_error(None, "certificate has expired"), tls.EXPIRED),
    ("no common protocol", ssl.SSLError(1, "[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol"), tls.HANDSHAKE_FAILED),
    ("refused", ConnectionRefusedError(111, "Connection refused"), tls.UNREACHABLE),
    ("timeout", socket.timeout("timed out"), tls.UNREACHABLE),
    ("name", socket.gaierror(-2, "Name or service not known"), tls.UNREACHABLE),
]


@pytest.mark.parametrize("name,error,code", CLASSIFY_CASES, ids=[c[0] for c in CLASSIFY_CASES])
def test_classify(name, error, code):
    got, detail = tls.classify(error)
    assert got == code, name
    assert got in tls.CODES
    if error is not None and code in tls.TRUST_FAILURES:
        assert detail == error.verify_message


@pytest.mark.parametrize("url,expected", [
    ("https://comet.example.ch/", ("comet.example.ch", 443, True)),
    ("HTTPS://comet.example.ch:8443/prefix/", ("comet.example.ch", 8443, True)),
    ("http://127.0.0.1:8060/", ("127.0.0.1", 8060, False)),
    ("https://[::1]:9443/", ("::1", 9443, True)),
    ("", ("", 80, False)),
])
def test_server_address(url, expected):
    assert tls.server_address(url) == expected


def test_check_without_https_checks_nothing():
    def never(*args):
        raise AssertionError("no connection for an http:// server")
    got = tls.check("http://127.0.0.1:8060/", connect=never)
    assert got == {"checked": False, "server": "127.0.0.1:8060", "verified": False, "code": tls.NOT_HTTPS,
                   "detail": "not an https:// URL: nothing to verify", "trust_store": "system"}


def test_check_unreachable_is_no_trust_failure():
    def refused(address, timeout):
        raise ConnectionRefusedError(111, "Connection refused")
    got = tls.check("https://comet.example.ch/", connect=refused)
    assert got["checked"] and got["code"] == tls.UNREACHABLE and not got["verified"]
    assert got["server"] == "comet.example.ch:443"
    assert cc.tls_refusal(dict(got, os="Debian GNU/Linux 12 (bookworm)")) == ""


def test_an_empty_ca_file_is_a_store_that_verifies_nothing(tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("")

    def never(*args):
        raise AssertionError("the store did not load: no connection needed")
    got = tls.check("https://comet.example.ch/", ca_file=str(empty), connect=never)
    assert got["code"] == tls.UNTRUSTED and got["trust_store"] == str(empty)


@pytest.mark.parametrize("os_release,system,version,name", [
    ('PRETTY_NAME="Debian GNU/Linux 8 (jessie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="8"\n', "Linux", "",
     "Debian GNU/Linux 8 (jessie)"),
    ('NAME="CentOS Linux"\nVERSION_ID="7"\n', "Linux", "", "CentOS Linux 7"),
    ("", "Linux", "", "Linux"),
    ("", "Darwin", "10.11.6", "macOS 10.11.6"),
])
def test_os_name_of(os_release, system, version, name):
    assert tls.os_name_of(os_release, system, version) == name


UNTRUSTED = {"checked": True, "server": "comet.example.ch:443", "verified": False, "code": tls.UNTRUSTED,
             "detail": "unable to get local issuer certificate", "trust_store": "system", "os": "Debian GNU/Linux 8 (jessie)"}


def test_the_refusal_names_the_os_and_gives_the_guides_advice():
    text = cc.tls_refusal(UNTRUSTED)
    assert text.startswith("cannot verify the Comet Server's TLS certificate (comet.example.ch:443) with its own trust "
                           "store (Debian GNU/Linux 8 (jessie)): no certificate authority of its trust store signs")
    assert "(unable to get local issuer certificate)" in text
    assert "x509: certificate has expired or is not yet valid" in text
    assert "Windows Vista or XP, macOS 10.11 or older, Ubuntu 16.04 or older" in text
    assert "an update of the system to a more recent version is required" in text
    assert text.endswith("Update Debian GNU/Linux 8 (jessie) (at least its CA certificates), or set "
                         "comet_client_allow_obsolete_os: true to install anyway")


@pytest.mark.parametrize("code,refused", [(c, c in tls.TRUST_FAILURES) for c in tls.CODES])
def test_only_the_hosts_trust_store_or_clock_refuses(code, refused):
    assert bool(cc.tls_refusal(dict(UNTRUSTED, code=code))) is refused
    assert cc.tls_refusal(dict(UNTRUSTED, code=code, checked=False)) == ""


def test_a_clock_problem_is_said_first():
    assert "Check the host's clock first, then update Debian" in cc.tls_refusal(dict(UNTRUSTED, code=tls.NOT_YET_VALID))
    assert "clock" not in cc.tls_refusal(UNTRUSTED).split(". ")[-1]


def probe(installed=False, version="", tls_answer=None):
    out = {"comet": {"installed": installed, "version": version, "device_id": "",
                     "login": {"code": 2 if installed else -1, "text": "", "logged_in": installed}},
           "unit": {}, "services": {}}
    if tls_answer is not None:
        out["tls"] = tls_answer
    return out


PLAN_CASES = [
    ("install refused", probe(tls_answer=UNTRUSTED), True),
    ("upgrade refused", probe(True, "24.3.0", UNTRUSTED), True),
    ("converged host not refused", probe(True, "24.6.0", UNTRUSTED), False),
    ("verified", probe(tls_answer=dict(UNTRUSTED, code=tls.VERIFIED, verified=True)), False),
    ("not probed (option off): as before", probe(), False),
    ("unreachable: the installer says", probe(tls_answer=dict(UNTRUSTED, code=tls.UNREACHABLE)), False),
]


@pytest.mark.parametrize("name,given,refused", PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_the_plan_refuses_before_the_install(name, given, refused):
    plan = filters.comet_client_plan(given, "24.6.0", can_install=True)
    assert plan["refused"] is refused, name
    got = filters.comet_client_refusals(plan, "lab-deb8")
    if refused:
        assert plan["action"] == "none" and plan["changes"] == []
        assert got == ["lab-deb8 %s." % cc.tls_refusal(UNTRUSTED)]
    else:
        assert got == []


def test_a_downgrade_refusal_comes_first():
    plan = filters.comet_client_plan(probe(True, "25.1.0", UNTRUSTED), "24.6.0")
    assert plan["refused"] and "refusing to downgrade" in plan["reason"]
