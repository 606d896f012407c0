# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive the stand-in's typed schema of Comet's JSON from the official Go SDK (test code, never shipped).

    python tests/comet_server/schema/generate_schema.py /path/to/cometsdk.go \
        [--out tests/comet_server/schema/comet_schema.json] [--source-ref <commit>] [--check]

``cometsdk.go`` comes from github.com/CometBackup/comet-go-sdk (``git show HEAD:cometsdk.go``). The script reads
facts only: the Go ``type X struct { ... }`` declarations (field names, Go types, ``json:"Name,omitempty"`` tags,
embedded fields, ``easyjson.UnknownFieldsProxy``) and the named non-struct types (``type JobClassification int``,
``type BucketUsageMap map[string]BucketUsageInfo``). Comments, functions and constants are ignored.

Output (JSON, keys sorted, stable):
  {"format": "comet-schema/1", "source": {"file", "sha256", "ref"},
   "named": {"JobClassification": "int", ...},
   "structs": {"UserProfileConfig": {"unknown_fields": true,
                                     "fields": [{"json": "Username", "go": "Username", "type": "string",
                                                 "omitempty": false}, ...]}, ...},
   "stats": {"structs": N, "fields": N, "named": N}}

Field rules follow Go's encoding/json (and easyjson, which the SDK and server use): an unexported field or a tag
``json:"-"`` is not serialised; the JSON name is the tag name or the Go name; an embedded struct without a tag name
has its fields promoted (in place, outer fields winning on a name clash); ``,string`` is recorded as "string": true.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys

FORMAT = "comet-schema/1"
UNKNOWN_PROXY = "easyjson.UnknownFieldsProxy"
BASIC = {"bool", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
         "uintptr", "byte", "rune", "float32", "float64", "interface{}", "any", "json.RawMessage", "json.Number"}

_STRUCT_START = re.compile(r"^type\s+([A-Za-z_]\w*)\s+struct\s*\{\s*(//.*)?$")
_STRUCT_ONE_LINE = re.compile(r"^type\s+([A-Za-z_]\w*)\s+struct\s*\{\s*\}\s*(//.*)?$")
_NAMED = re.compile(r"^type\s+([A-Za-z_]\w*)\s*(=\s*)?(?!struct\b)(?!interface\s*\{\s*[^}\s])(\S.*?)\s*(//.*)?$")
_FIELD = re.compile(r"^(?P<names>[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+(?P<type>[^`]+?)\s*(?:`(?P<tag>[^`]*)`)?$")
_EMBEDDED = re.compile(r"^(?P<type>\*?[A-Za-z_][\w.]*)\s*(?:`(?P<tag>[^`]*)`)?$")
_TAG_KEY = re.compile(r'(\w+):"((?:[^"\\]|\\.)*)"')


class GoParseError(ValueError):
    pass


def _strip_comment(line):
    """The line without a trailing // comment (not inside a `tag` or a "string")."""
    out, quote = [], None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                out.append(line[i:i + 2])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "`\"":
            quote = ch
        elif line.startswith("//", i):
            break
        out.append(ch)
        i += 1
    return "".join(out).strip()


def _strip_block_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def normalise_type(text):
    """A Go type expression without spaces that do not matter: ``map[string] Foo`` -> ``map[string]Foo``."""
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"\s*([\[\]*])\s*", r"\1", text)
    text = text.replace("interface {}", "interface{}").replace("interface{ }", "interface{}")
    return text


def parse_tag(tag):
    """(json name or None, omitempty, string_opt, skip) from a struct tag."""
    for key, value in _TAG_KEY.findall(tag or ""):
        if key != "json":
            continue
        if value == "-":
            return None, False, False, True
        parts = value.split(",")
        return (parts[0] or None), "omitempty" in parts[1:], "string" in parts[1:], False
    return None, False, False, False


def parse_go(text):
    """{"structs": {name: {"fields": [...raw...], "embedded": [...], "unknown_fields": bool}}, "named": {...}}."""
    text = _strip_block_comments(text)
    lines = text.splitlines()
    structs, named = {}, {}
    i = 0
    while i < len(lines):
        line = _strip_comment(lines[i])
        i += 1
        if not line.startswith("type "):
            continue
        m = _STRUCT_ONE_LINE.match(line)
        if m:
            structs[m.group(1)] = {"items": [], "unknown_fields": False}
            continue
        m = _STRUCT_START.match(line)
        if m:
            name = m.group(1)
            items, unknown = [], False
            while True:
                if i >= len(lines):
                    raise GoParseError("unterminated struct %s" % name)
                body = _strip_comment(lines[i])
                i += 1
                if body == "}":
                    break
                if not body:
                    continue
                if "struct {" in body or "struct{" in body:
                    raise GoParseError("anonymous struct types are not supported (in %s: %r)" % (name, body))
                fm = _FIELD.match(body)
                em = _EMBEDDED.match(body)
                if em:
                    etype = em.group("type")
                    if etype.lstrip("*") == UNKNOWN_PROXY:
                        unknown = True
                        continue
                    items.append({"embedded": etype, "tag": em.group("tag") or ""})
                    continue
                if not fm:
                    raise GoParseError("cannot read a field of %s: %r" % (name, body))
                gtype = normalise_type(fm.group("type"))
                for fname in re.split(r"\s*,\s*", fm.group("names")):
                    items.append({"go": fname, "type": gtype, "tag": fm.group("tag") or ""})
            structs[name] = {"items": items, "unknown_fields": unknown}
            continue
        m = _NAMED.match(line)
        if m and not m.group(3).startswith(("struct", "interface {", "func")) and not m.group(3).startswith("("):
            if m.group(3).startswith("interface") and normalise_type(m.group(3)) != "interface{}":
                continue  # an interface with methods: not data
            named[m.group(1)] = normalise_type(m.group(3))
    return {"structs": structs, "named": named}


def _resolve_fields(name, raw, seen=()):
    """The serialised fields of struct ``name``, embedded structs promoted, in declaration order."""
    if name in seen:
        raise GoParseError("recursive embedding through %s" % name)
    spec = raw["structs"][name]
    fields, unknown = [], spec["unknown_fields"]
    for item in spec["items"]:
        json_name, omitempty, string_opt, skip = parse_tag(item["tag"])
        if skip:
            continue
        if "embedded" in item:
            etype = item["embedded"]
            base = etype.lstrip("*")
            short = base.split(".")[-1]
            if json_name is None and base in raw["structs"]:
                inner, inner_unknown = _resolve_fields(base, raw, seen + (name,))
                unknown = unknown or inner_unknown
                fields.extend(dict(f, promoted_from=base) for f in inner)
                continue
            if not short[:1].isupper():
                continue  # unexported embedded non-struct: not serialised
            fields.append({"go": short, "json": json_name or short, "type": normalise_type(etype),
                           "omitempty": omitempty, "embedded": True})
            if string_opt:
                fields[-1]["string"] = True
            continue
        if not item["go"][:1].isupper():
            continue  # unexported
        field = {"go": item["go"], "json": json_name or item["go"], "type": item["type"], "omitempty": omitempty}
        if string_opt:
            field["string"] = True
        fields.append(field)
    # encoding/json: among fields of one JSON name, the least nested wins (an outer field hides a promoted one,
    # which is dropped; the outer one keeps its own place)
    outer = set(f["json"] for f in fields if "promoted_from" not in f)
    out, names = [], set()
    for field in fields:
        if field["json"] in names or ("promoted_from" in field and field["json"] in outer):
            continue
        names.add(field["json"])
        out.append(field)
    return out, unknown


def _type_names(gtype):
    """The named types a Go type expression refers to."""
    return [t for t in re.findall(r"[A-Za-z_][\w.]*", gtype.replace("interface{}", ""))
            if t not in BASIC and t != "map" and "." not in t]


def build_schema(text, source_file="cometsdk.go", source_ref=None):
    raw = parse_go(text)
    structs = {}
    for name in sorted(raw["structs"]):
        fields, unknown = _resolve_fields(name, raw)
        for field in fields:
            field.pop("promoted_from", None)
        structs[name] = {"unknown_fields": unknown, "fields": fields}
    named = dict(sorted(raw["named"].items()))
    missing = set()
    for spec in structs.values():
        for field in spec["fields"]:
            for ref in _type_names(field["type"]):
                if ref not in structs and ref not in named:
                    missing.add(ref)
    for target in named.values():
        for ref in _type_names(target):
            if ref not in structs and ref not in named:
                missing.add(ref)
    if missing:
        raise GoParseError("types used but not declared: %s" % ", ".join(sorted(missing)))
    source = {"file": os.path.basename(source_file), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    if source_ref:
        source["ref"] = source_ref
    return {
        "format": FORMAT,
        "generator": "tests/comet_server/schema/generate_schema.py",
        "source": source,
        "named": named,
        "structs": structs,
        "stats": {"structs": len(structs), "fields": sum(len(s["fields"]) for s in structs.values()),
                  "named": len(named)},
    }


def dumps(schema):
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("cometsdk", help="path of cometsdk.go (github.com/CometBackup/comet-go-sdk)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "comet_schema.json"))
    parser.add_argument("--source-ref", default=None, help="the SDK commit the file comes from (recorded)")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out differs from what would be written")
    args = parser.parse_args(argv)
    with open(args.cometsdk, encoding="utf-8") as f:
        text = f.read()
    out = dumps(build_schema(text, args.cometsdk, args.source_ref))
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                same = f.read() == out
        except OSError:
            same = False
        print("up to date" if same else "%s is out of date" % args.out)
        return 0 if same else 1
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(out)
    os.replace(tmp, args.out)
    stats = json.loads(out)["stats"]
    print("%s: %d structs, %d fields, %d named types" % (args.out, stats["structs"], stats["fields"], stats["named"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
