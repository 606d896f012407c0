# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# What every comet_* module does with its options before its own work, on both paths (CometModule, an AnsibleModule,
# and the controller's stand-in for a module, plugins/plugin_utils/_controller_module.py):
# - a task environment with credentials inside COMET_SERVER_URL refused before the module runs (environment_problem);
# - secrets never shown (hidden_values): the password of a URL holding credentials (server_url, comet_install_token's
#   server, COMET_SERVER_URL through environment:), and the URL-encoded forms of every no_log value (a 400 page may
#   echo the form-encoded request), added to the values a result, a warning and the invocation are scrubbed of;
# - ansible-core's refusal of a wrong-typed option, as a message that starts with the option (its path for a
# sub-option) and says what to write: `schedules: "daily at noon"` fails in ansible-core with "dictionary requested,
# could not parse JSON or key=value", which names nothing. Used by the comet_* modules (CometModule, an AnsibleModule
# whose argument validation failure is reworded) and by the controller's stand-in for a module
# (plugins/plugin_utils/_controller_module.py), so both paths give the same text. Every other validation message
# (a missing, unknown or mutually exclusive option, a choice) is ansible-core's own: those already name the option.

from __future__ import annotations

import re

from urllib.parse import quote, quote_plus, unquote

from ansible.module_utils.basic import AnsibleModule

# the messages of ansible-core's type validation (ansible.module_utils.common.parameters), which name the option
_ELEMENTS = re.compile(r"^Elements value for option '(?P<option>[^']+)'(?: found in '(?P<context>[^']*)')? is of type "
                       r"(?P<got>\S+) and we were unable to convert to (?P<wanted>\w+): (?P<why>.*)$", re.S)
_ARGUMENT = re.compile(r"^argument '(?P<option>[^']+)' is of type (?P<got>\S+)(?: found in '(?P<context>[^']*)'\.)? and "
                       r"we were unable to convert to (?P<wanted>\w+): (?P<why>.*)$", re.S)
_SUB_LIST = re.compile(r"^Value '(?P<value>.*)' in the sub parameter field '(?P<option>[^']+)' must be a list, not "
                       r"'(?P<got>[^']+)'$", re.S)
_SUB_DICT = re.compile(r"^value of '(?P<option>[^']+)' must be of type dict or list of dicts$")

# the errors of type validation; a NoLogError (the no_log walk over a value of the wrong type) may name nothing
_TYPE_ERRORS = ("NoLogError", "ElementError", "ArgumentTypeError", "SubParameterTypeError")
_WRITE = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "path": "a path",
    "raw": "a value",
    "list": "a list (- one item per line)",
    "dict": "a mapping (key: value)",
    "jsonarg": "JSON text",
    "json": "JSON text",
    "bytes": "a size",
    "bits": "a size",
}


# scheme:// in any text, and what follows up to a white space: its userinfo is all before the last "@" (a password
# may hold "@", "/", "?" or "#", as the URL rule reads it: _comet_url)
_URL = re.compile(r"(?i)[a-z][a-z0-9+.-]*:(?://|%2F%2F)(\S*)")
# a userinfo without ":" is a user name or a token: hidden when it is this long (a short user name would mask text)
MIN_TOKEN = 6


def _encoded_forms(value):
    forms = set()
    for form in (quote(value, safe=""), quote_plus(value, safe=""), quote(value), quote_plus(value)):
        if form != value:
            forms.add(form)
    return forms


def _no_log_options(argument_spec, params):
    """The values of the options marked no_log in ``params``, at any depth, whatever the other options hold
    (ansible-core's own walk stops at an option of the wrong type and, then, hides nothing)."""
    found = set()
    if not isinstance(params, dict):
        return found
    for name, spec in (argument_spec or {}).items():
        spec = spec or {}
        for key in [name] + list(spec.get("aliases") or []):
            value = params.get(key)
            if value is None:
                continue
            if spec.get("no_log") and value not in ("", 0, False):
                found.add(str(value))
            if spec.get("options"):
                for element in (value if isinstance(value, list) else [value]):
                    found.update(_no_log_options(spec["options"], element))
    return found


def hidden_values(no_log_values, params, argument_spec=None):
    """More strings to hide, given the no_log values already hidden and the module's options: the no_log options'
    values (_no_log_options, when ``argument_spec`` is given), each URL-encoded form of a no_log value, the password
    (with its user, as user:password, and in its decoded and URL-encoded forms) of every URL with credentials in a
    text option, at any depth (such a URL is refused, but Ansible shows a module's
    options in its result)."""
    found = _no_log_options(argument_spec, params)
    for value in set(no_log_values or ()) | set(found):
        if isinstance(value, str) and value:
            found.update(_encoded_forms(value))

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str) and "@" in value:
            for match in _URL.finditer(value):
                if "@" not in match.group(1):
                    continue
                userinfo = match.group(1).rsplit("@", 1)[0]
                secrets = [userinfo.split(":", 1)[1], userinfo] if ":" in userinfo else (
                    [userinfo] if len(userinfo) >= MIN_TOKEN else [])
                for secret in secrets:
                    if secret:
                        found.update([secret, unquote(secret)])
                        found.update(_encoded_forms(secret))

    walk(params)
    found.discard("")
    return found


def environment_problem(environment):
    """'' or the refusal of a task's ``environment`` (the variables a module process gets) that holds credentials
    inside a URL in a COMET_* variable (COMET_SERVER_URL): Ansible writes a module's environment on its command line,
    shown at -vvv, in the log file and by ps, before the module could refuse the URL itself."""
    for name, value in sorted((environment or {}).items()):
        if str(name).upper().startswith("COMET_") and isinstance(value, str) and hidden_values((), {name: value}):
            return ("%s (environment): must not contain credentials (user:password@): give the server's URL alone, and "
                    "the administrator and the password in admin_username and admin_password (a vault), not through "
                    "environment: (Ansible shows a task's environment at -vvv)" % name)
    return ""


def _message_of(error):
    return str(getattr(error, "msg", None) or error)


def _spec_at(argument_spec, path):
    """The spec of the option at ``path`` (names, outermost first), or {}."""
    spec, options = {}, argument_spec or {}
    for name in path:
        spec = options.get(name) or {}
        options = spec.get("options") or {}
    return spec


def _what_to_write(spec, wanted, element):
    """What to write for an option of ``spec`` (``wanted``: the type ansible-core tried; ``element``: the message is
    about one element of a list)."""
    options = spec.get("options") or {}
    if options:
        required = sorted(name for name, option in options.items() if option.get("required"))
        names = ", ".join(sorted(options))
        if spec.get("type") == "list":
            return "write a list of mappings, one per entry, with the options %s (e.g. - %s: ...)" % (
                names, (required or sorted(options))[0])
        return "write a mapping with the options %s" % names
    if element or spec.get("type") == "list":
        return "write a list whose elements are each %s" % _WRITE.get(spec.get("elements") or wanted, wanted)
    return "write %s" % _WRITE.get(wanted, wanted)


def option_type_message(errors, argument_spec=None):
    """'' or the message for ansible-core's type validation ``errors`` (a ValidationResult's ``errors``, or their
    messages): the first error that names an option (ansible-core may put a nameless one first), as
    "<option path>: is not <type> (<what to write>): <ansible-core's message>". '' when the first error is not a
    type error (missing, unknown or exclusive options keep ansible-core's message)."""
    messages = [_message_of(e) for e in errors or []]
    if not messages:
        return ""
    parsed = []
    for text in messages:
        for pattern, element, wanted in ((_ELEMENTS, True, None), (_ARGUMENT, False, None), (_SUB_LIST, False, "list"),
                                         (_SUB_DICT, False, "dict")):
            match = pattern.match(text)
            if match:
                parsed.append((text, match.groupdict(), element, wanted))
                break
        else:
            parsed.append((text, None, False, None))
    if parsed[0][1] is None and type(errors[0]).__name__ not in _TYPE_ERRORS:
        return ""  # not a type error: ansible-core's message names the option
    for text, found, element, wanted in parsed:
        if found is None:
            continue
        path = [c for c in (found.get("context") or "").split(" -> ") if c] + [found["option"]]
        spec = _spec_at(argument_spec, path)
        return "%s: %s (%s)" % (".".join(path), _what_to_write(spec, found.get("wanted") or wanted, element), text)
    return ""


def validation_message(errors, default, argument_spec=None):
    """The message a module fails with for its options' validation ``errors``: option_type_message(), else
    ``default`` (ansible-core's own)."""
    return option_type_message(errors, argument_spec) or default


class CometModule(AnsibleModule):
    """AnsibleModule whose refusal of a wrong-typed option names the option and what to write (option_type_message),
    and which hides hidden_values() too (from its invocation log on, its failures in validation included);
    everything else as AnsibleModule."""

    _comet_ready = False

    def __init__(self, *args, **kwargs):
        super(CometModule, self).__init__(*args, **kwargs)
        self._hide()
        self._comet_ready = True

    def _hide(self):
        self.no_log_values.update(hidden_values(self.no_log_values, getattr(self, "params", None),
                                                getattr(self, "argument_spec", None)))

    def _log_invocation(self):
        self._hide()  # before AnsibleModule logs the options (syslog or journal)
        super(CometModule, self)._log_invocation()

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        if not self._comet_ready:  # AnsibleModule's own validation, in __init__
            self._hide()
            result = getattr(self, "validation_result", None)
            if result is not None and result.errors:
                msg = validation_message(result.errors, msg, getattr(self, "argument_spec", None))
        super(CometModule, self).fail_json(msg, **kwargs)
