# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Whether a host can verify the Comet Server's TLS certificate with its own trust store (issue 24, point 4). Seed 000,
# "Problèmes connus", 'Erreur: "x509: certificate has expired or is not yet valid"': "Dans la plupart des cas, cette
# erreur apparaît lorsque le système installé sur l'ordinateur que l'on souhaite sauvegarder est obsolète (Windows
# Vista ou XP, macOS 10.11 ou plus vieux, Ubuntu 16.04 ou plus vieux, etc). Une mise à jour du système vers une version
# plus récente est alors requise." The cause is the host's trust store (and clock): a TLS handshake from the host with
# Python's default context (the system's CA certificates, as OpenSSL finds them) tells it, whatever the OS's name.
# Run on the host by module host_info (no secret involved: a handshake, no request); classified here, pure.

from __future__ import annotations

import socket
import ssl

from urllib.parse import urlsplit

# The outcome codes of check(). The first four say the host's trust store or clock cannot verify the certificate:
# the Comet client would fail there with x509 errors, so the role refuses the host (module_utils/_comet_client.py).
UNTRUSTED = "untrusted"            # no CA of the host's store signs the server's chain (outdated or empty store)
EXPIRED = "expired"                # a certificate of the chain has expired - as the host's clock reads it
NOT_YET_VALID = "not_yet_valid"    # a certificate is not valid yet - as the host's clock reads it (a clock behind)
VERIFY_FAILED = "verify_failed"    # another verification failure (revoked, bad signature, unsupported algorithm)
TRUST_FAILURES = (UNTRUSTED, EXPIRED, NOT_YET_VALID, VERIFY_FAILED)
# Not the host's trust store: said, never refused on (the installation or the API check says what is wrong).
VERIFIED = "verified"
HOSTNAME_MISMATCH = "hostname_mismatch"  # the server's certificate does not name it: the server's configuration
HANDSHAKE_FAILED = "handshake_failed"    # no common TLS version or cipher (Python's OpenSSL, not the Go client's)
UNREACHABLE = "unreachable"              # no TCP connection (DNS, firewall, server down, timeout)
NOT_HTTPS = "not_https"                  # an http:// server: nothing to verify
CODES = TRUST_FAILURES + (VERIFIED, HOSTNAME_MISMATCH, HANDSHAKE_FAILED, UNREACHABLE, NOT_HTTPS)
# macOS: the client (Go) trusts the system roots of the Keychain; Apple ships the same roots as a PEM bundle, updated
# with the system (an outdated macOS has outdated roots), which Python's ssl reads when told to.
MACOS_ROOTS = "/etc/ssl/cert.pem"

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) -> the outcome.
_VERIFY_CODES = {
    2: UNTRUSTED,    # unable to get issuer certificate
    9: NOT_YET_VALID,
    10: EXPIRED,
    18: UNTRUSTED,   # self-signed certificate
    19: UNTRUSTED,   # self-signed certificate in certificate chain
    20: UNTRUSTED,   # unable to get local issuer certificate
    21: UNTRUSTED,   # unable to verify the first certificate
    62: HOSTNAME_MISMATCH,
    64: HOSTNAME_MISMATCH,  # IP address mismatch
}
_VERIFY_WORDS = (("not yet valid", NOT_YET_VALID), ("expired", EXPIRED), ("hostname mismatch", HOSTNAME_MISMATCH),
                 ("ip address mismatch", HOSTNAME_MISMATCH), ("local issuer", UNTRUSTED), ("self-signed", UNTRUSTED),
                 ("self signed", UNTRUSTED), ("issuer certificate", UNTRUSTED))


def server_address(url):
    """(host, port, https) of a server URL: the port the client connects to (443 by default for https)."""
    parts = urlsplit(str(url or "").strip())
    https = parts.scheme.lower() == "https"
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname or "", port or (443 if https else 80), https


def classify(error):
    """(code, detail) of a handshake's exception (None: verified)."""
    if error is None:
        return VERIFIED, ""
    verify_code = getattr(error, "verify_code", None)
    message = str(getattr(error, "verify_message", "") or "") or str(error)
    if isinstance(error, getattr(ssl, "SSLCertVerificationError", ())) or verify_code is not None \
            or "CERTIFICATE_VERIFY_FAILED" in str(error):
        if verify_code in _VERIFY_CODES:
            return _VERIFY_CODES[verify_code], message
        lowered = message.lower()
        for words, code in _VERIFY_WORDS:
            if words in lowered:
                return code, message
        return VERIFY_FAILED, message
    if isinstance(error, getattr(ssl, "CertificateError", ())):  # Python < 3.7: match_hostname's error
        return HOSTNAME_MISMATCH, message
    if isinstance(error, ssl.SSLError):
        return HANDSHAKE_FAILED, message
    return UNREACHABLE, message or type(error).__name__


def check(url, ca_file=None, timeout=10.0, connect=socket.create_connection):
    """Whether this host verifies the TLS certificate of the server at ``url`` with its trust store (Python's default
    context: the system's CA certificates, SSL_CERT_FILE / SSL_CERT_DIR when set) or, with ``ca_file``, that file's.
    Returns {checked, server, verified, code, detail, trust_store}; ``code`` is one of CODES."""
    host, port, https = server_address(url)
    out = {"checked": False, "server": "%s:%d" % (host, port) if host else "", "verified": False, "code": NOT_HTTPS,
           "detail": "", "trust_store": ca_file or "system"}
    if not https or not host:
        out["detail"] = "not an https:// URL: nothing to verify" if host else "no server host in the URL"
        return out
    out["checked"] = True
    error = None
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (IOError, OSError, ssl.SSLError) as exc:
        # an unreadable or empty CA file: a store that verifies nothing
        out.update(code=UNTRUSTED, detail="the trust store %s cannot be loaded: %s" % (ca_file, exc))
        return out
    try:
        sock = connect((host, port), timeout)
        try:
            with context.wrap_socket(sock, server_hostname=host):
                pass
        finally:
            sock.close()
    except (IOError, OSError, ssl.SSLError, ssl.CertificateError) as exc:  # SSLError and socket errors are OSErrors
        error = exc
    out["code"], out["detail"] = classify(error)
    out["verified"] = out["code"] == VERIFIED
    return out


def os_name_of(os_release="", system="", macos_version=""):
    """The OS as people call it, for the message: PRETTY_NAME of /etc/os-release (Linux), ``macOS <version>``."""
    if system == "Darwin":
        return ("macOS %s" % macos_version).strip()
    fields = {}
    for line in (os_release or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            fields[key.strip()] = value.strip().strip('"').strip("'")
    return fields.get("PRETTY_NAME") or " ".join(v for v in (fields.get("NAME"), fields.get("VERSION_ID")) if v) or system
