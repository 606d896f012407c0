# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults a test switches on: N error answers (with a Retry-After header if asked), delays (a server that accepts
and does not answer in time), connections dropped mid-response, answers lost after the call was carried out (a
truncated JSON body, or a JSON Status 500 under HTTP 200), and a profile changed by someone else between a read and the
next write. Each rule is used up by the requests it matches, in order."""
from __future__ import annotations

import threading

KINDS = ("fail", "delay", "drop", "truncate", "fail_after", "change_profile")


class Faults(object):
    def __init__(self, lock=None):
        self.lock = lock or threading.RLock()
        self._rules = []

    def _add(self, kind, count, endpoint=None, account=None, **details):
        count = int(count)
        if count < 1:
            raise ValueError("count must be >= 1")
        if endpoint is not None:
            endpoint = str(endpoint).strip("/")
        rule = dict(kind=kind, remaining=count, endpoint=endpoint, account=account, **details)
        with self.lock:
            self._rules.append(rule)
        return rule

    def fail_next(self, count=1, status=503, endpoint=None, message="Service Unavailable", account=None,
                  retry_after=None):
        """The next ``count`` matching API calls answer HTTP ``status`` with {Status, Message}, and do nothing.
        ``retry_after`` (seconds, or an HTTP date as text) is sent as the Retry-After header (e.g. with 429 or 503)."""
        status = int(status)
        if not 400 <= status <= 599:
            raise ValueError("an injected failure needs a status 400-599")
        if retry_after is not None:
            retry_after = str(retry_after)
        return self._add("fail", count, endpoint, account, status=status, message=str(message),
                         retry_after=retry_after)

    def truncate_next(self, count=1, endpoint=None, account=None):
        """The next ``count`` matching API calls that succeed are carried out (a write IS stored), then answered with
        a complete HTTP 200 whose JSON body is cut in half (Content-Length of the cut body: no transport error, the
        JSON cannot be read). A call that fails is answered as usual and does not use the rule."""
        return self._add("truncate", count, endpoint, account)

    def fail_after_next(self, count=1, endpoint=None, account=None, status=500, message="Internal Server Error",
                        http_status=200):
        """The next ``count`` matching API calls that succeed are carried out (a write IS stored), then answered HTTP
        ``http_status`` (200 by default, as Comet sends its errors) with {"Status": ``status``, "Message": ...}."""
        status, http_status = int(status), int(http_status)
        if not 400 <= status <= 599 or not 200 <= http_status <= 599:
            raise ValueError("fail_after needs a status 400-599 and an HTTP status 200-599")
        return self._add("fail_after", count, endpoint, account, status=status, message=str(message),
                         http_status=http_status)

    def delay_next(self, count=1, seconds=2.0, endpoint=None, account=None):
        """The next ``count`` matching API calls wait ``seconds`` before they are handled."""
        return self._add("delay", count, endpoint, account, seconds=float(seconds))

    def drop_next(self, count=1, endpoint=None, account=None, process=True):
        """The next ``count`` matching API calls get the status line, the headers and part of the body, then the
        connection is closed. With process=True (the default, the nastier case) the call WAS carried out first: a
        write is stored even though the client never sees the answer."""
        return self._add("drop", count, endpoint, account, process=bool(process))

    def change_profile_between_read_and_write(self, account, mutate=None, count=1, set=None):  # noqa: A002 (README name)
        """After each of the next ``count`` profile reads of ``account`` (get-user-profile, get-user-profile-hash,
        get-user-profile-and-hash, user-side get-profile-and-hash) has been answered, the stored profile is changed
        "by someone else": ``mutate(profile)`` (edits in place or returns a new dict) and/or ``set`` {"dotted.path":
        value}; with neither, the profile is rewritten unchanged. Either way its hash changes, so the caller's next
        set-user-profile-hash is refused."""
        if not account:
            raise ValueError("change_profile needs an account")
        return self._add("change_profile", count, None, account, mutate=mutate, set=dict(set or {}))

    def clear(self):
        with self.lock:
            del self._rules[:]

    def take(self, kind, endpoint, account):
        """The first matching rule of that kind (one use consumed), or None."""
        with self.lock:
            for rule in self._rules:
                if rule["kind"] != kind:
                    continue
                if rule["endpoint"] is not None and rule["endpoint"] != endpoint:
                    continue
                if rule["account"] is not None and rule["account"] != account:
                    continue
                rule["remaining"] -= 1
                if rule["remaining"] <= 0:
                    self._rules.remove(rule)
                return dict(rule)
            return None

    def pending(self):
        """The rules still armed, as JSON (without the mutate functions)."""
        with self.lock:
            return [dict((k, v) for k, v in rule.items() if k != "mutate") for rule in self._rules]

    def add_from_json(self, spec):
        """A /_standin/faults body: {"kind", "count", "status", "seconds", "message", "endpoint", "account", "set",
        "process", "retry_after", "http_status"}."""
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        kind = spec.get("kind")
        count = spec.get("count", 1)
        endpoint = spec.get("endpoint")
        account = spec.get("account")
        if kind == "fail":
            return self.fail_next(count, status=spec.get("status", 503), endpoint=endpoint,
                                  message=spec.get("message", "Service Unavailable"), account=account,
                                  retry_after=spec.get("retry_after"))
        if kind == "delay":
            return self.delay_next(count, seconds=spec.get("seconds", 1.0), endpoint=endpoint, account=account)
        if kind == "drop":
            return self.drop_next(count, endpoint=endpoint, account=account, process=spec.get("process", True))
        if kind == "truncate":
            return self.truncate_next(count, endpoint=endpoint, account=account)
        if kind == "fail_after":
            return self.fail_after_next(count, endpoint=endpoint, account=account, status=spec.get("status", 500),
                                        message=spec.get("message", "Internal Server Error"),
                                        http_status=spec.get("http_status", 200))
        if kind == "change_profile":
            if spec.get("set") is not None and not isinstance(spec.get("set"), dict):
                raise ValueError("set must be an object {\"dotted.path\": value}")
            return self.change_profile_between_read_and_write(account, count=count, set=spec.get("set"))
        raise ValueError("kind must be one of %s" % ", ".join(KINDS))
