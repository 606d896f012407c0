# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comet's typed JSON, as the real server decodes and re-encodes it (test code, never shipped).

``comet_schema.json`` is generated from the official Go SDK by ``generate_schema.py`` (see README.md one level up).
The server and the SDK decode and encode with easyjson (``cometsdk_easyjson.go``), whose rules this module follows:

- decode: field names match case-sensitively; a JSON ``null`` for a field leaves it at its zero value; a value of
  the wrong JSON type (a string for an int, a number for a bool, a non-object for a struct, a float or an
  out-of-range number for an integer type, bad base64 for ``[]byte``) is an error; fields the struct does not know
  are kept as they are when the struct embeds ``easyjson.UnknownFieldsProxy`` (all Comet types do), else dropped.
- encode: every field in declaration order, then the unknown fields; a field tagged ``omitempty`` is left out at
  its zero value (false, 0, "", a nil pointer, an empty or nil map or slice; never a struct); a field without
  ``omitempty`` is always written, at its zero value when it was absent (a nil map or slice as ``null``, a struct
  as its zero struct).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import threading

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "comet_schema.json")

_INT_RANGES = {
    "int": (-2 ** 63, 2 ** 63 - 1), "int64": (-2 ** 63, 2 ** 63 - 1), "int32": (-2 ** 31, 2 ** 31 - 1),
    "rune": (-2 ** 31, 2 ** 31 - 1), "int16": (-2 ** 15, 2 ** 15 - 1), "int8": (-2 ** 7, 2 ** 7 - 1),
    "uint": (0, 2 ** 64 - 1), "uint64": (0, 2 ** 64 - 1), "uintptr": (0, 2 ** 64 - 1), "uint32": (0, 2 ** 32 - 1),
    "uint16": (0, 2 ** 16 - 1), "uint8": (0, 2 ** 8 - 1), "byte": (0, 2 ** 8 - 1),
}
_FLOATS = ("float32", "float64")
_ANY = ("interface{}", "any", "json.RawMessage")
_QUOTABLE = ("bool", "string", "float32", "float64") + tuple(_INT_RANGES)
_MAP = re.compile(r"^map\[([^\]]+)\](.+)$")
_ARRAY = re.compile(r"^\[(\d+)\](.+)$")


class SchemaError(ValueError):
    """A value Comet's decoder would refuse. ``path`` is where (``BackupRules.<id>.EventTriggers.OnPCBoot``)."""

    def __init__(self, path, message):
        super(SchemaError, self).__init__("%s: %s" % (path or "(top level)", message))
        self.path = path
        self.detail = message


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


class Schema(object):
    def __init__(self, data):
        if data.get("format") != "comet-schema/1":
            raise ValueError("not a comet schema (format %r)" % data.get("format"))
        self.data = data
        self.structs = data["structs"]
        self.named = data["named"]
        self._zero_cache = {}

    # --- type helpers --------------------------------------------------
    def resolve(self, gtype):
        """Follow named non-struct types: ``JobClassification`` -> ``uint64``."""
        seen = set()
        while gtype in self.named and gtype not in seen:
            seen.add(gtype)
            gtype = self.named[gtype]
        return gtype

    def is_empty(self, gtype, value):
        """Go's omitempty test on an encoded value (structs are never empty)."""
        t = self.resolve(gtype)
        if t in self.structs or _ARRAY.match(t):
            return False
        if value is None:
            return True
        if t == "bool":
            return value is False
        if t in _INT_RANGES or t in _FLOATS:
            return value == 0
        if t == "string":
            return value == ""
        if t.startswith("[]") or t.startswith("map["):
            return len(value) == 0
        return False  # a non-nil pointer or interface

    def zero(self, gtype):
        """The encoded zero value of a type."""
        t = self.resolve(gtype)
        if t in self.structs:
            if t not in self._zero_cache:
                self._zero_cache[t] = None  # (a struct cannot contain itself by value)
                out = {}
                for field in self.structs[t]["fields"]:
                    if field["omitempty"] and self.is_empty(field["type"], self.zero(field["type"])):
                        continue
                    out[field["json"]] = self.zero(field["type"])
                self._zero_cache[t] = out
            return json.loads(json.dumps(self._zero_cache[t]))
        if t == "bool":
            return False
        if t in _INT_RANGES or t in _FLOATS:
            return 0
        if t == "string":
            return ""
        m = _ARRAY.match(t)
        if m:
            return [self.zero(m.group(2)) for dummy in range(int(m.group(1)))]
        return None  # pointer, slice, map, interface

    # --- decode + re-encode ------------------------------------------------
    def normalize(self, gtype, value, path=""):
        """``value`` decoded as Comet's ``gtype`` and encoded again: what the real server would store and answer.
        Raises SchemaError where Comet's decoder would refuse it."""
        t = self.resolve(gtype)
        if t in self.structs:
            return self._struct(t, value, path)
        if value is None:
            if t.startswith("*") or t.startswith("[]") or t.startswith("map[") or t in _ANY:
                return None
            raise SchemaError(path, "null where Comet has %s" % gtype)
        if t in _ANY:
            return json.loads(json.dumps(value))
        if t == "bool":
            if not isinstance(value, bool):
                raise SchemaError(path, "Comet has a bool (%s), got a %s" % (gtype, _kind(value)))
            return value
        if t == "string":
            if not isinstance(value, str):
                raise SchemaError(path, "Comet has a string (%s), got a %s" % (gtype, _kind(value)))
            return value
        if t in _INT_RANGES:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float):
                    raise SchemaError(path, "Comet has an integer (%s), got the non-integer number %r" % (gtype, value))
                raise SchemaError(path, "Comet has an integer (%s), got a %s" % (gtype, _kind(value)))
            low, high = _INT_RANGES[t]
            if not low <= value <= high:
                raise SchemaError(path, "%d is out of range for %s" % (value, gtype))
            return value
        if t in _FLOATS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SchemaError(path, "Comet has a number (%s), got a %s" % (gtype, _kind(value)))
            return int(value) if float(value).is_integer() and abs(value) < 1e21 else value
        if t.startswith("*"):
            return self.normalize(t[1:], value, path)
        if t in ("[]byte", "[]uint8"):
            if not isinstance(value, str):
                raise SchemaError(path, "Comet has bytes (base64 text), got a %s" % _kind(value))
            try:
                raw = base64.b64decode(value.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raise SchemaError(path, "not valid base64")
            return base64.b64encode(raw).decode("ascii")
        if t.startswith("[]"):
            if not isinstance(value, list):
                raise SchemaError(path, "Comet has a list (%s), got a %s" % (gtype, _kind(value)))
            return [self.normalize(t[2:], item, _join(path, i)) for i, item in enumerate(value)]
        m = _ARRAY.match(t)
        if m:
            if not isinstance(value, list):
                raise SchemaError(path, "Comet has a list (%s), got a %s" % (gtype, _kind(value)))
            if len(value) > int(m.group(1)):
                raise SchemaError(path, "more than %s items" % m.group(1))
            out = [self.normalize(m.group(2), item, _join(path, i)) for i, item in enumerate(value)]
            return out + [self.zero(m.group(2)) for dummy in range(int(m.group(1)) - len(out))]
        m = _MAP.match(t)
        if m:
            if not isinstance(value, dict):
                raise SchemaError(path, "Comet has an object (%s), got a %s" % (gtype, _kind(value)))
            key_type = self.resolve(m.group(1))
            out = {}
            for key, item in value.items():
                if key_type in _INT_RANGES:
                    try:
                        number = int(key, 10)
                    except ValueError:
                        raise SchemaError(_join(path, key), "a key of %s must be an integer" % gtype)
                    self.normalize(key_type, number, _join(path, key))
                elif key_type != "string":
                    raise SchemaError(path, "unsupported map key type %s" % key_type)
                out[key] = self.normalize(m.group(2), item, _join(path, key))
            return out
        raise SchemaError(path, "unsupported Go type %s" % gtype)

    def _struct(self, name, value, path):
        if value is None:
            return self.zero(name)
        if not isinstance(value, dict):
            raise SchemaError(path, "Comet has an object (%s), got a %s" % (name, _kind(value)))
        spec = self.structs[name]
        known = {}
        for field in spec["fields"]:
            known[field["json"]] = field
        out = {}
        for field in spec["fields"]:
            key = field["json"]
            item = value.get(key)
            if item is None:  # absent, or null: the field keeps its zero value
                encoded = self.zero(field["type"])
            elif field.get("string"):
                if not isinstance(item, str):
                    raise SchemaError(_join(path, key), "Comet has a quoted %s (,string), got a %s"
                                      % (field["type"], _kind(item)))
                try:
                    inner = json.loads(item)
                except ValueError:
                    raise SchemaError(_join(path, key), "not a quoted %s" % field["type"])
                encoded = self.normalize(field["type"], inner, _join(path, key))
            else:
                encoded = self.normalize(field["type"], item, _join(path, key))
            if field["omitempty"] and self.is_empty(field["type"], encoded):
                continue
            if field.get("string") and self.resolve(field["type"]) in _QUOTABLE:
                encoded = json.dumps(encoded)
            out[key] = encoded
        if spec["unknown_fields"]:
            for key, item in value.items():
                if key not in known:
                    out[key] = json.loads(json.dumps(item))
        return out


_LOCK = threading.Lock()
_SCHEMA = None


def load(path=None):
    """The committed schema (cached)."""
    global _SCHEMA
    if path is not None:
        with open(path, encoding="utf-8") as f:
            return Schema(json.load(f))
    with _LOCK:
        if _SCHEMA is None:
            with open(SCHEMA_PATH, encoding="utf-8") as f:
                _SCHEMA = Schema(json.load(f))
        return _SCHEMA


def normalize(gtype, value, path=""):
    """``load().normalize(...)``: decode ``value`` as Comet's ``gtype`` and encode it again."""
    return load().normalize(gtype, value, path)
