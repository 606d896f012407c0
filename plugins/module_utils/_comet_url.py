# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The one rule for a Comet Server URL, for the API client (CometAdminClient), the roles' checks (_role_checks,
# _comet_client.role_settings) and scripts/validate_inventory.py. A URL may hold a password: no message shows it.

from __future__ import annotations

import ipaddress
import re

from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

SCHEMES = ("http", "https")
# what the API client appends to the server's root: a URL ending so is the API's address, not the server's
API_PATH = "api/v1/admin"
MAX_URL_LENGTH = 2048

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_HOST_CHARS = re.compile(r"^[^\s/\\?#@:\[\]<>\"{}|^`%]+$")
# userinfo in a URL of any text: scheme://user:password@ (raw) and scheme%3A%2F%2Fuser%3Apassword%40 (URL-encoded)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s\"'<>]*@")
_USERINFO_ENCODED = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*%3A%2F%2F)(?:(?!%2F)[^/\s\"'<>&])*%40")


def mask_url(text):
    """``text`` with the userinfo (user:password@) of every URL in it replaced by ``***@``, also in URL-encoded
    URLs (https%3A%2F%2Fuser%3Apw%40host -> https%3A%2F%2F***%40host). For error messages that may quote a URL."""
    if not isinstance(text, str):
        return text
    text = _USERINFO.sub(r"\1***@", text)
    return _USERINFO_ENCODED.sub(r"\1***%40", text)


def _masked(scheme, rest):
    """https://***@host/ from the part after the scheme's "//": the host and port after the last "@" only."""
    host = re.split(r"[/?#]", rest.rsplit("@", 1)[-1], maxsplit=1)[0]
    return "%s://***@%s/" % (scheme, host if re.match(r"^[A-Za-z0-9.:\[\]-]+$", host) else "...")


def _check_host(host, option):
    if host.startswith("["):
        if not host.endswith("]"):
            raise CometInputError(option, "has an IPv6 address without its closing ]")
        try:
            ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            raise CometInputError(option, "has an invalid IPv6 address between [ ]")
        return
    if not host:
        raise CometInputError(option, "has no host name (the form is https://comet.example.org/)")
    if not _HOST_CHARS.match(host) or host.startswith(".") or ".." in host:
        raise CometInputError(option, "has an invalid host name")


def server_url(value, option="server_url"):
    """The Comet Server URL ``value`` normalised (scheme in lower case, one trailing slash), or CometInputError naming
    ``option``: http or https (any case), a host (a name, an IPv4 address or an IPv6 address in brackets), a port 1 to
    65535 in digits, a path (a reverse proxy's prefix) but not the API's own address, no query or fragment, no
    credentials. The message never shows the URL (a credential in it would be a password), a masked form at most."""
    if value is None or isinstance(value, bool) or not isinstance(value, str):
        raise CometInputError(option, "must be the http(s) URL of the Comet Server as text, such as https://comet.example.org/")
    text = value.strip()
    if not text:
        raise CometInputError(option, "is empty: give the http(s) URL of the Comet Server, such as https://comet.example.org/")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    rest = text[match.end():] if match else text
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in rest:  # a password may hold / ? or #: any @ is taken for credentials
        shown = _masked(scheme or "https", rest) if scheme in SCHEMES else "https://***@host/"
        raise CometInputError(option, "must not contain credentials (user:password@, as in %s): give the administrator and "
                                      "the password in their own variables" % shown)
    if scheme not in SCHEMES:
        raise CometInputError(option, "must be an http:// or https:// URL such as https://comet.example.org/%s"
                              % (" (a scheme is missing)" if not match else ""))
    if len(text) > MAX_URL_LENGTH or _SPACE_OR_CONTROL.search(text):
        raise CometInputError(option, "must not contain spaces or control characters (nor be longer than %d characters)"
                              % MAX_URL_LENGTH)
    if "?" in rest or "#" in rest:
        raise CometInputError(option, "must not contain a query (?...) or a fragment (#...)")
    host, port = authority, None
    if authority.startswith("["):
        end = authority.find("]")
        host, tail = (authority[:end + 1], authority[end + 1:]) if end > 0 else (authority, "")
        if tail:
            if not tail.startswith(":"):
                raise CometInputError(option, "has an invalid IPv6 address between [ ]")
            port = tail[1:]
    elif ":" in authority:
        host, port = authority.split(":", 1)
    _check_host(host, option)
    if port is not None and (not re.match(r"^[0-9]{1,5}$", port) or not 1 <= int(port) <= 65535):
        raise CometInputError(option, "has an invalid port: a number from 1 to 65535")
    path = rest[len(authority):].rstrip("/")
    if path.lower().endswith("/" + API_PATH) or ("/%s/" % API_PATH) in path.lower() + "/":
        raise CometInputError(option, "is the address of the server's admin API (it ends in /%s): give the server's root, "
                                      "such as https://comet.example.org/" % API_PATH)
    return "%s://%s%s/" % (scheme, authority, path)


def url_problem(value, option="server_url"):
    """'' when ``value`` is a usable Comet Server URL, else the message of server_url() without the option's name."""
    try:
        server_url(value, option)
    except CometInputError as exc:
        return exc.message
    return ""


def origin(value):
    """scheme://host[:port]/ of a usable Comet Server URL, what a host may be told (no path, never credentials);
    '' when ``value`` is not a usable URL (the role's check then says why, before any change)."""
    try:
        normalised = server_url(value)
    except CometInputError:
        return ""
    scheme, rest = normalised.split("://", 1)
    return "%s://%s/" % (scheme, rest.split("/", 1)[0])
