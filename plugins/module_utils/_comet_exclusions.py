# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Pure logic of the comet_exclusions module (no I/O): validation of globs and regexes, the two exclusion levels,
# and the accented-characters workaround.
#
# Accent workaround. Comet does not apply an exclusion whose pattern holds an accented character when the file
# system stores the name in the other Unicode normalisation form (macOS before 12 stores names decomposed, NFD; the
# patterns are typed composed, NFC). For such a glob the module also writes one regex (REXCLUDE*) built as follows:
#   * the glob is first normalised to NFC;
#   * every character whose NFD form differs (an accented letter) becomes "(?:<NFC>|<NFD>)";
#   * "**" becomes ".*", "*" becomes "[^/]*" ("[^/\\]*" on Windows), "?" one such character;
#   * on Windows, each run of "\" or "/" becomes "[/\\]+" and the regex starts with "(?i)" (case-insensitive paths);
#   * the regex metacharacters \ . ^ $ | ? * + ( ) [ ] { } are escaped with "\", every other character is itself;
#   * the regex is anchored: "^" + ... + "(?:/.*)?$" ("(?:[/\\].*)?$" on Windows), so it matches the excluded path
#     itself and everything below it.
# Example (macOS): "/Users/*/OneDrive - Université de Lausanne" ->
#   ^/Users/[^/]*/OneDrive - Universit(?:é|é) de Lausanne(?:/.*)?$
# (the second alternative is "e" followed by U+0301 COMBINING ACUTE ACCENT).
# For an accented regex (system level or user REXCLUDE), every accented character outside a character class gets
# the same alternation; an accented character inside "[...]" cannot be rewritten safely and is only warned about.

from __future__ import annotations

import hashlib
import re
import unicodedata

from ansible_collections.unil.backup.plugins.module_utils._comet_defaults import (
    OPTIONAL_SYSTEM_EXCLUSIONS,
    OS_NAMES,
    RESTRICT_OS,
    SYSTEM_EXCLUSIONS,
    SYSTEM_EXCLUSION_ADDITIONS,
    SYSTEM_EXCLUSION_FIXES,
    USER_EXCLUSION_WORKAROUNDS,
    USER_EXCLUSIONS,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
    check_name,
    fold_path,
    is_absolute_path,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_regex import DIALECT, re2_problem

MAX_PATTERN_LENGTH = 4096
MAX_NAMES_SHOWN = 10
GLOB_PREFIX = "EXCLUDE"
REGEX_PREFIX = "REXCLUDE"
SYSTEM_LEVELS = ("any",) + OS_NAMES


def nfc(text):
    return unicodedata.normalize("NFC", text)


def accented_chars(text):
    """The characters of ``text`` (NFC) that have a different decomposed form, in order of appearance, unique."""
    seen = []
    for char in nfc(text):
        if unicodedata.normalize("NFD", char) != char and char not in seen:
            seen.append(char)
    return seen


def has_accents(text):
    return bool(accented_chars(text))


_SPECIAL = set("\\.^$|?*+()[]{}")


def _escape(char):
    """Escape a regex metacharacter; every other character is written as itself (valid in Python re and Go RE2)."""
    return "\\" + char if char in _SPECIAL else char


def _accent_alternation(char):
    decomposed = unicodedata.normalize("NFD", char)
    if decomposed == char:
        return None
    return "(?:%s|%s)" % (char, decomposed)


def glob_to_regex(glob, os_name):
    """The anchored regex (documented above) matching ``glob`` whatever the normalisation form of the name."""
    windows = os_name == "windows"
    sep = "[/\\\\]" if windows else "/"
    not_sep = "[^/\\\\]" if windows else "[^/]"
    text = nfc(glob)
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "*":
            if text[i + 1:i + 2] == "*":
                out.append(".*")
                i += 2
                continue
            out.append(not_sep + "*")
        elif char == "?":
            out.append(not_sep)
        elif char == "/" or (windows and char == "\\"):
            j = i
            while j < len(text) and (text[j] == "/" or (windows and text[j] == "\\")):
                j += 1
            out.append(sep + "+" if windows else "/")
            i = j
            continue
        elif char == "\\" and not windows and i + 1 < len(text):
            i += 1
            alt = _accent_alternation(text[i])
            out.append(alt if alt else _escape(text[i]))
        else:
            alt = _accent_alternation(char)
            out.append(alt if alt else _escape(char))
        i += 1
    return ("(?i)" if windows else "") + "^" + "".join(out) + "(?:%s.*)?$" % sep


def regex_accent_variant(regex):
    """(new regex or None, list of accented characters that could not be rewritten)."""
    text = nfc(regex)
    out = []
    skipped = []
    in_class = False
    i = 0
    changed = False
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif _accent_alternation(char):
                skipped.append(char)
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if text[i + 1:i + 2] == "]":  # "[]...]": the first ] is literal
                out.append("]")
                i += 1
        else:
            alt = _accent_alternation(char)
            if alt:
                out.append(alt)
                changed = True
            else:
                out.append(char)
        i += 1
    return ("".join(out) if changed else None), skipped


# C0 controls, DEL and the C1 controls: never in a glob (a regex may only say them as escapes, e.g. \t).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_regex(pattern, option):
    """Raise CometInputError naming the option and the pattern unless ``pattern`` is a regular expression the Comet
    client (Go, RE2 syntax: _comet_regex) accepts. Line breaks and other control characters (a NUL...) are refused
    too, the message saying the escape to write."""
    if not isinstance(pattern, str) or not pattern:
        raise CometInputError(option, "empty regular expression")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise CometInputError(option, "regular expression longer than %d characters: %r" % (MAX_PATTERN_LENGTH, pattern[:80]))
    if "\n" in pattern or "\r" in pattern:
        raise CometInputError(option, "regular expression %r contains a line break" % pattern)
    control = _CONTROL.search(pattern)
    if control:
        # a NUL cuts the pattern short in the client's C-string paths; any control is invisible in Comet's web UI
        raise CometInputError(option, "regular expression %r contains the control character U+%04X: write it as the "
                                      "escape \\x%02X" % (pattern, ord(control.group(0)), ord(control.group(0))))
    problem = re2_problem(pattern)
    if problem:
        raise CometInputError(option, "%r is not a valid regular expression for %s: %s" % (pattern, DIALECT, problem))


def regex_problems(patterns, prefix="", option="regexes"):
    """Every problem check_regex() finds in ``patterns`` (a list, or {level: list} for system-level exclusions), as
    messages naming ``prefix`` + the option; [] when all are valid (for a role's preflight)."""
    problems = []
    if isinstance(patterns, dict):
        items = [("%s.%s" % (option, level), values) for level, values in sorted(patterns.items())]
    else:
        items = [(option, patterns)]
    for name, values in items:
        if values is None:
            continue
        if not isinstance(values, list):
            problems.append("%s%s: must be a list of regular expressions" % (prefix, name))
            continue
        for pattern in values:
            try:
                check_regex(pattern, name)
            except CometInputError as exc:
                problems.append("%s%s: %s" % (prefix, exc.option, exc.message))
    return problems


def _unclosed_bracket(pattern):
    """Whether a glob has a "[" without its "]" ("[]...]" and "[!]...]": the first ] is literal)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if pattern[j:j + 1] in ("!", "^"):
                j += 1
            if pattern[j:j + 1] == "]":
                j += 1
            close = pattern.find("]", j)
            if close < 0:
                return True
            i = close + 1
        else:
            i += 1
    return False


def check_glob(pattern, os_name, option):
    """A glob must be an absolute path for the device's OS, or start with a wildcard ("*.iso", "**/node_modules");
    no control character (C0, DEL, C1), no unclosed "["."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise CometInputError(option, "empty pattern")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise CometInputError(option, "pattern longer than %d characters: %r" % (MAX_PATTERN_LENGTH, pattern[:80]))
    if _CONTROL.search(pattern) or any("\ud800" <= c <= "\udfff" for c in pattern):
        raise CometInputError(option, "pattern %r contains a control character" % pattern)
    if _unclosed_bracket(pattern):
        raise CometInputError(option, "pattern %r has a [ without its closing ]" % pattern)
    if pattern.startswith("*"):
        return
    if not is_absolute_path(pattern, os_name):
        raise CometInputError(option, "pattern %r is neither an absolute %s path nor starts with a wildcard" % (pattern, os_name))


def prop_key(prefix, value):
    """Deterministic EngineProps key: prefix + the first 16 hex digits of sha256(value)."""
    return prefix + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def props_values(props, prefix):
    """Values of EngineProps whose key starts with ``prefix`` (EXCLUDE does not match REXCLUDE), sorted."""
    return sorted(props[k] for k in props if k.startswith(prefix))


def _nfc_key(value):
    return nfc(value) if isinstance(value, str) else value


def set_props_values(props, prefix, values, key=None):
    """Return a copy of ``props`` whose ``prefix`` entries hold exactly ``values``; entries already holding a wanted
    value keep their key and their spelling (no churn), new values get prop_key(). Other keys are untouched. Values
    are compared with ``key`` (default: their NFC form), so two spellings of one value are one entry."""
    key = key or _nfc_key
    new = dict(props)
    wanted = []
    wanted_keys = []
    for value in values:
        if key(value) not in wanted_keys:
            wanted.append(value)
            wanted_keys.append(key(value))
    kept = set()
    for name in sorted(props):
        if name.startswith(prefix):
            k = key(props[name])
            if k in wanted_keys and k not in kept:
                kept.add(k)
            else:
                del new[name]
    for value in wanted:
        if key(value) not in kept:
            name = prop_key(prefix, value)
            n = 1
            while name in new:
                name = prop_key(prefix, value + "#%d" % n)
                n += 1
            new[name] = value
    return new


def _merge(existing, desired, state, key=None):
    """Values after ``state`` (exact, present, absent), compared with ``key`` (default NFC): a stored value equal to
    a desired one keeps its stored spelling."""
    key = key or _nfc_key
    if state == "exact":
        stored = dict((key(v), v) for v in reversed(existing))
        out, seen = [], set()
        for value in desired:
            if key(value) not in seen:
                seen.add(key(value))
                out.append(stored.get(key(value), value))
        return out
    if state == "present":
        out = list(existing)
        seen = set(key(v) for v in existing)
        for value in desired:
            if key(value) not in seen:
                seen.add(key(value))
                out.append(value)
        return out
    unwanted = set(key(v) for v in desired)
    return [value for value in existing if key(value) not in unwanted]


def user_exclusions_plan(globs, regexes, os_name, accent_workaround=True):
    """Validate the user-level input; return (globs, regexes including workaround ones, warnings, workarounds)
    where workarounds maps each accented glob/regex to the regex written for it (or None)."""
    warnings = []
    workarounds = {}
    out_globs = []
    out_regexes = []
    for glob in globs:
        check_glob(glob, os_name, "globs")
        glob = nfc(glob)
        out_globs.append(glob)
        chars = accented_chars(glob)
        if chars:
            regex = workaround_regex(glob, os_name) if accent_workaround else None
            workarounds[glob] = regex
            warnings.append(accent_warning(glob, chars, regex))
            if regex:
                check_regex(regex, "globs")
                out_regexes.append(regex)
    for regex in regexes:
        check_regex(regex, "regexes")
        regex = nfc(regex)
        out_regexes.append(regex)
        chars = accented_chars(regex)
        if chars:
            variant, skipped = regex_accent_variant(regex) if accent_workaround else (None, [])
            workarounds[regex] = variant
            warnings.append(accent_warning(regex, chars, variant, skipped))
            if variant:
                check_regex(variant, "regexes")
                out_regexes.append(variant)
    return out_globs, out_regexes, warnings, workarounds


def accent_warning(pattern, chars, workaround, skipped=None):
    msg = ("Exclusion \"%s\" contains accented characters (%s): Comet does not apply such exclusions when the name is stored in "
           "another Unicode normalisation form (known problem)." % (pattern, ", ".join(chars)))
    if workaround:
        msg += " Also writing the regex exclusion \"%s\", which matches both the composed (NFC) and decomposed (NFD) forms." % workaround
    else:
        msg += " No workaround regex written (accent_workaround is false or the characters are inside a character class)."
    if skipped:
        msg += " Not rewritten inside a character class: %s." % ", ".join(skipped)
    return msg


def apply_user_exclusions(props, globs, regexes, state, os_name=None):
    """New EngineProps after applying the user-level plan with ``state`` present|absent|exact. Globs are compared
    folded (fold_path: NFC, and on Windows case and separators), regexes in NFC."""
    def glob_key(value):
        return fold_path(value, os_name)

    new = set_props_values(props, GLOB_PREFIX, _merge(props_values(props, GLOB_PREFIX), globs, state, glob_key), glob_key)
    return set_props_values(new, REGEX_PREFIX, _merge(props_values(props, REGEX_PREFIX), regexes, state))


def workaround_regex(glob, os_name):
    """The accent-workaround regex of ``glob``: the one shipped in USER_EXCLUSION_WORKAROUNDS for a UNIL default
    glob (compared folded), else glob_to_regex()."""
    for default, regex in USER_EXCLUSION_WORKAROUNDS.get(os_name, {}).items():
        if fold_path(default, os_name) == fold_path(glob, os_name):
            return regex
    return glob_to_regex(glob, os_name)


def exclusion_pairs(globs, regexes, os_name, accent_workaround=True):
    """The user-level settings that are written as two patterns: [(kind, pattern, workaround)] for each accented
    glob (kind "glob") or regex (kind "regex") of the request and the regex written beside it. The two halves are one
    setting: see removed_pair_halves()."""
    if not accent_workaround:
        return []
    pairs = []
    for glob in globs:
        glob = nfc(glob)
        if has_accents(glob):
            pairs.append(("glob", glob, workaround_regex(glob, os_name)))
    for regex in regexes:
        variant = regex_accent_variant(regex)[0] if has_accents(regex) else None
        if variant:
            pairs.append(("regex", nfc(regex), variant))
    return pairs


def removed_pair_halves(props, pairs, os_name):
    """The halves left on an item (EngineProps ``props``) of the pairs (exclusion_pairs()) whose other half is gone -
    the person removed the glob or the regex in their client. Returns (globs, regexes) to remove so that nothing of
    the setting stays; ([], []) when every pair is whole or wholly absent."""
    held_globs = set(fold_path(v, os_name) for v in props_values(props, GLOB_PREFIX))
    held_regexes = set(nfc(v) for v in props_values(props, REGEX_PREFIX))
    globs, regexes = [], []
    for kind, pattern, workaround in pairs:
        held = fold_path(pattern, os_name) in held_globs if kind == "glob" else nfc(pattern) in held_regexes
        workaround_held = nfc(workaround) in held_regexes
        if held and not workaround_held:
            (globs if kind == "glob" else regexes).append(pattern)
        elif workaround_held and not held:
            regexes.append(workaround)
    return globs, regexes


def default_user_globs(os_name):
    return list(USER_EXCLUSIONS.get(os_name, []))


OPTIONAL_SYSTEM_SETS = tuple(sorted(OPTIONAL_SYSTEM_EXCLUSIONS))


def default_system_exclusions(optional=(), unil_set=True):
    """The UNIL system-level regexes per level (any, windows, macos, linux): the seed's lists with
    SYSTEM_EXCLUSION_FIXES applied and SYSTEM_EXCLUSION_ADDITIONS (unless ``unil_set`` is false), then the
    OPTIONAL_SYSTEM_EXCLUSIONS sets named in ``optional``, in that order; duplicates dropped. An unknown optional set
    raises CometInputError."""
    unknown = [name for name in optional if name not in OPTIONAL_SYSTEM_EXCLUSIONS]
    if unknown:
        raise CometInputError("optional_defaults", "unknown optional set(s) %s (known: %s)"
                              % (", ".join(map(repr, unknown)), ", ".join(OPTIONAL_SYSTEM_SETS)))
    sources = [SYSTEM_EXCLUSIONS, SYSTEM_EXCLUSION_ADDITIONS] if unil_set else []
    sources += [OPTIONAL_SYSTEM_EXCLUSIONS[name] for name in optional]
    out = {}
    for level in SYSTEM_LEVELS:
        values = []
        for source in sources:
            for pattern in source.get(level, []):
                pattern = SYSTEM_EXCLUSION_FIXES.get(pattern, pattern)
                if pattern not in values:
                    values.append(pattern)
        out[level] = values
    return out


def check_exclusions_options(params):
    """comet_exclusions' options that contradict each other, refused before anything is read or written: level=user
    takes an account, a device and globs/regexes; level=system a policy and system/optional_defaults. Raises
    CometInputError naming the option and what to write instead; checks the names and the regular expressions."""
    p = params
    if p.get("level") == "user":
        check_name(p.get("account"), "account")
        for option in ("system", "policy_id", "policy_name", "optional_defaults"):
            value = p.get(option)
            if value and (option != "system" or any(value.values())):
                raise CometInputError(option, "system, policy_id, policy_name and optional_defaults are for "
                                              "level=system (a policy's exclusions): remove %s, or set level: system "
                                              "without account and device" % option)
        for regex in p.get("regexes") or []:
            check_regex(regex, "regexes")
        return
    for option in ("globs", "regexes"):
        if p.get(option):
            raise CometInputError(option, "globs and regexes are for level=user (the item's exclusions): write them "
                                          "under system.any (or system.windows, system.macos, system.linux) for "
                                          "level=system")
    for option in ("account", "device_id", "device_name", "item_name"):
        if p.get(option) is not None:
            raise CometInputError(option, "is for level=user: level=system changes the policy %s for every device "
                                          "it applies to, not one device; remove %s, or set level: user for the "
                                          "device's own exclusions"
                                  % ("named by policy_name" if p.get("policy_name") else "policy_id", option))
    check_name(p.get("policy_id"), "policy_id")
    if p.get("policy_name") is not None and not p["policy_name"].strip():
        raise CometInputError("policy_name", "must not be empty")
    for level in SYSTEM_LEVELS:
        for regex in (p.get("system") or {}).get(level) or []:
            check_regex(regex, "system.%s" % level)


def policy_error(exc, policy_id):
    """The message of a failed policy call: an unknown policy ID (the server's "400 Policy not found" on
    policies/get) names policy_id and what to write instead; anything else is the API error as it is."""
    status, message = getattr(exc, "status", None), str(getattr(exc, "message", "") or "")
    if getattr(exc, "endpoint", None) == "policies/get" and (status == 404 or (
            status in (400, 500) and "not found" in message.lower())):
        return ("policy_id: the server has no policy with ID %r: give the ID of an existing policy (the Comet Server's "
                "Settings > Policies shows them) or its name as policy_name" % (policy_id,))
    return str(exc)


def policy_id_by_name(policies, name):
    """The ID of the one policy whose description (its name in the Comet Server's interface) is ``name``, from a
    ``policies/list`` answer {PolicyID: Description}. No such policy, or several, raises CometInputError."""
    if not isinstance(name, str) or not name.strip():
        raise CometInputError("policy_name", "empty policy name")
    if not isinstance(policies, dict):
        raise CometInputError("policy_name", "the server's policy list is not a mapping of policy IDs to names")
    found = sorted(policy_id for policy_id, description in policies.items() if description == name)
    if not found:
        near = sorted(policy_id for policy_id, description in policies.items()
                      if isinstance(description, str) and nfc(description.strip()).casefold() == nfc(name.strip()).casefold())
        if near:
            hint = "; differing only in case, outer spaces or Unicode form: %s" % ", ".join(
                "%r (ID %s)" % (policies[policy_id], policy_id) for policy_id in near)
        else:
            names = sorted(set(str(description) for description in policies.values()))
            hint = "; the server's policies are named %s%s" % (
                ", ".join(repr(n) for n in names[:MAX_NAMES_SHOWN]) or "(none)",
                " and %d more" % (len(names) - MAX_NAMES_SHOWN) if len(names) > MAX_NAMES_SHOWN else "")
        raise CometInputError("policy_name", "no policy is named %r%s" % (name, hint))
    if len(found) > 1:
        raise CometInputError("policy_name", "%d policies are named %r (IDs %s): give policy_id instead"
                              % (len(found), name, ", ".join(found)))
    return found[0]


def system_exclusions_plan(system, accent_workaround=True, workarounds=None):
    """Validate {level: [regex]}; return (list of entries {Exclude, Regex: True, RestrictOS}, warnings). When given,
    ``workarounds`` (a dict) receives each accented pattern and its variant (or None)."""
    entries = []
    warnings = []
    for level in SYSTEM_LEVELS:
        for pattern in system.get(level) or []:
            option = "system.%s" % level
            check_regex(pattern, option)
            pattern = nfc(pattern)
            candidates = [pattern]
            chars = accented_chars(pattern)
            if chars:
                variant, skipped = regex_accent_variant(pattern) if accent_workaround else (None, [])
                warnings.append(accent_warning(pattern, chars, variant, skipped))
                if workarounds is not None:
                    workarounds[pattern] = variant
                if variant:
                    check_regex(variant, option)
                    candidates.append(variant)
            for candidate in candidates:
                entry = {"Exclude": candidate, "Regex": True, "RestrictOS": RESTRICT_OS[level]}
                if entry not in entries:
                    entries.append(entry)
    return entries, warnings


def _entry_id(entry):
    try:
        restrict = int(entry.get("RestrictOS") or 0)
    except (TypeError, ValueError):
        restrict = entry.get("RestrictOS")
    return (_nfc_key(entry.get("Exclude")), bool(entry.get("Regex")), restrict)


def apply_system_exclusions(existing, desired, state):
    """New FileAndFolderMandatoryExclusions list. Entries are identified by (Exclude, Regex, RestrictOS); an entry
    kept from ``existing`` is kept as stored (unknown fields included)."""
    existing = list(existing or [])
    desired_ids = [_entry_id(e) for e in desired]
    if state == "absent":
        return [e for e in existing if _entry_id(e) not in desired_ids]
    by_id = {}
    for entry in existing:
        by_id.setdefault(_entry_id(entry), entry)
    if state == "exact":
        return [by_id.get(_entry_id(e), e) for e in desired]
    out = list(existing)
    present = [_entry_id(e) for e in existing]
    for entry in desired:
        if _entry_id(entry) not in present:
            out.append(entry)
            present.append(_entry_id(entry))
    return out


def restrict_os_name(value):
    for name, code in RESTRICT_OS.items():
        if code == value:
            return name
    return str(value)
