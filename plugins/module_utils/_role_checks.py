# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The checks of the controller-side roles' variables, once, in Python: comet_config, comet_system_exclusions and
# fleet_report. Each validator returns every problem at once, each naming its variable; they call the rules the
# modules use (the server URL, folders, globs, regexes, names, schedules, the fleet report's options). Reached from
# each role's preflight through the filter unil.backup.role_problems, and from scripts/validate_inventory.py.
# Types and choices are the roles' meta/argument_specs.yml's (checked by Ansible before): not repeated here.
#
# ``values`` maps the role's variables (full names) to their values. A variable missing from ``values`` is not
# checked, nor is a rule that needs it: the inventory check passes only the variables an inventory sets literally;
# a role has them all (its defaults).

from __future__ import annotations

import difflib
import json
import os
import re

from ansible_collections.unil.backup.plugins.module_utils import _comet_exclusions, _comet_fleet, _comet_schedule
from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_accounts, _first_backup
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
    check_name,
    connection_problem,
    is_absolute_path,
    normalize_folder,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_url import url_problem

ROLES = ("comet_config", "comet_system_exclusions", "fleet_report")
# facts a role sets (in its prefix) and variables the playbooks read: known, though not options of the role
ROLE_FACTS = {
    "comet_config": ("comet_config_result",),
    "comet_system_exclusions": ("comet_system_exclusions_result",),
    "fleet_report": ("fleet_report_summary", "fleet_report_findings", "fleet_report_files", "fleet_report_hosts"),
}
SYSTEM_OS_NAMES = _comet_exclusions.SYSTEM_LEVELS
_OCTAL_MODE = re.compile(r"^0?[0-7]{3}$")
_BASENAME = re.compile(r"^[A-Za-z0-9._-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0", "y", "n", "t", "f")


def problem(var, message, sep=": "):
    """One problem: the variable it is about, the message without the variable's name, and the text naming it."""
    if message.endswith(".") and not message.endswith(".."):
        message = message[:-1]  # the role joins the problems with "; "
    return {"var": var, "message": message, "text": "%s%s%s" % (var, sep, message)}


def texts(problems):
    return [p["text"] for p in problems]


def _shown(value):
    return json.dumps(value, default=str)


def _as_list(value):
    """A list as the role reads it: `-e name=a,b` gives the string "a,b"."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _whole(value):
    """An int from an int or a string of digits (inventories and -e give strings); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r"^\s*-?[0-9]{1,12}\s*$", value):
        return int(value)
    return None


class _Checks(object):
    """Collects the problems; ``has(*names)`` tells whether every variable a rule needs was given."""

    def __init__(self, prefix, values):
        self.prefix, self.values, self.problems = prefix, dict(values or {}), []

    def has(self, *names):
        return all(self.prefix + n in self.values for n in names)

    def get(self, name, default=None):
        return self.values.get(self.prefix + name, default)

    def add(self, name, message, sep=": "):
        self.problems.append(problem(self.prefix + name, message, sep))

    def add_error(self, exc, sep=": "):
        """A CometInputError of a shared rule, its option named with the role's prefix (unless already)."""
        option = exc.option if exc.option.startswith(self.prefix) else self.prefix + exc.option
        self.problems.append(problem(option, exc.message, sep))

    def add_texts(self, found):
        """Messages ``prefix + option: message`` of the shared rules' problem lists (schedule_problems...)."""
        for text in found:
            var = re.match(r"^[a-z0-9_]+", text).group(0)
            self.problems.append({"var": var, "message": text[len(var):].lstrip(":. "), "text": text})


# --------------------------------------------------------------------------------------------- shared rules

def _connection(c, credentials_required=True):
    """Server URL, administrator, password, timeout: the modules' rules, named with the role's prefix."""
    if c.has("server_url") and (credentials_required or c.get("server_url")):
        message = url_problem(c.get("server_url"), c.prefix + "server_url")
        if message:
            c.add("server_url", message + " (its value is not shown: it may hold a password)")
    if credentials_required:
        if c.has("admin_username") and not str(c.get("admin_username") or ""):
            c.add("admin_username", "is empty: set it (or comet_client_admin_username, or COMET_ADMIN_USERNAME on the "
                                    "controller).", " ")
        if c.has("admin_password") and not str(c.get("admin_password") or ""):
            c.add("admin_password", "is empty: set it in a vault file (or comet_client_admin_password, or "
                                    "COMET_ADMIN_PASSWORD on the controller).", " ")
    if c.has("api_timeout"):
        timeout = _whole(c.get("api_timeout"))
        message = connection_problem({"timeout": timeout}) if timeout is not None else "timeout: must be a whole number"
        if message:
            c.add("api_timeout", message.split(": ", 1)[1])


def _path_problem(check, path, var, os_name):
    """The folder or glob rule of the modules for the host's OS; without an OS, either form (/..., C:/..., UNC)."""
    if os_name:
        check(path, os_name, var)
        return
    if isinstance(path, str) and path.strip() and not path.startswith("*") \
            and not is_absolute_path(path, "linux") and not is_absolute_path(path, "windows"):
        raise CometInputError(var, "%r is not an absolute path (such as /home, C:/Users or \\\\server\\share)" % path)
    check(path, "windows" if isinstance(path, str) and is_absolute_path(path, "windows") else "linux", var)


def _paths(c, name, check, os_name, what):
    if not c.has(name):
        return
    paths = c.get(name)
    if not isinstance(paths, list):
        c.add(name, "must be a list of %s (got %s)" % (what, _shown(paths)))
        return
    for path in paths:
        try:
            _path_problem(check, path, c.prefix + name, os_name)
        except CometInputError as exc:
            c.add_error(exc)


# --------------------------------------------------------------------------------------------- the roles

def comet_config(values, os_name=None, check_device=False, check_mode=False, device_name=None):
    """Problems in role comet_config's variables. ``device_name``: the name the role gives the device (its
    comet_config_device_name, else the host's short name); ``check_device``: the host's device ID must be known
    (tasks/main.yml; not for the preflight entry point nor an inventory)."""
    c = _Checks("comet_config_", values)
    _connection(c)
    if c.has("account"):
        account = c.get("account")
        if not isinstance(account, str) or not re.match(r"^[^\x00-\x20\x7f]+$", account):
            c.add("account", "(the Comet account the device is registered to; defaults to comet_client_username) must "
                             "be a username without spaces or control characters (got %s)." % _shown(account), " ")
    name = device_name if device_name is not None else (c.get("device_name") if c.has("device_name") else None)
    if name not in (None, ""):
        try:
            check_name(name, c.prefix + "device_name")
        except CometInputError as exc:
            c.add_error(exc)
    if c.has("item_name") and c.get("item_name") not in (None, ""):
        try:
            check_name(c.get("item_name"), c.prefix + "item_name")
        except CometInputError as exc:
            c.add_error(exc)
    _paths(c, "folders", normalize_folder, os_name, "absolute paths")
    if c.has("folders_mode", "folders") and c.get("folders_mode") == "merge" and not c.get("folders"):
        c.add("folders_mode", "merge needs the folders to add in comet_config_folders.", " ")
    if c.has("schedules") or c.has("random_delay"):
        triggers = dict((t, c.get(t)) for t in _comet_schedule.TRIGGER_OPTIONS
                        if c.has(t) and c.get(t) is not None)
        if "retry_delay" in triggers:
            triggers["retry_delay"] = str(triggers["retry_delay"])
        c.add_texts(_comet_schedule.schedule_problems(c.get("schedules"), c.get("random_delay", 0) or 0, triggers,
                                                      c.prefix))
    _paths(c, "exclude_globs", _comet_exclusions.check_glob, os_name, "absolute paths or patterns starting with *")
    if c.has("exclude_regexes"):
        c.add_texts(_comet_exclusions.regex_problems(c.get("exclude_regexes"), c.prefix, "exclude_regexes"))
    # the first backup's window and wait: module comet_device_settings' rules (module_utils/_first_backup)
    for name, rule in (("first_backup_window", _first_backup.parse_window), ("first_backup_wait", _first_backup.check_wait)):
        if c.has(name):
            try:
                rule(c.get(name))
            except CometInputError as exc:
                c.add_error(exc)
    if check_device and c.has("device_id", "skip_unknown_device_in_check_mode") and not str(c.get("device_id") or ""):
        if not (check_mode and _bool(c.get("skip_unknown_device_in_check_mode"))):
            c.add("device_id", "is unknown (the host's Comet device ID). Run unil.backup.comet_client on the host earlier "
                               "in the play (it sets the fact comet_client_device_id), or set comet_config_device_id.", " ")
    return c.problems


def comet_system_exclusions(values):
    """Problems in role comet_system_exclusions's variables."""
    c = _Checks("comet_system_exclusions_", values)
    _connection(c)
    if c.has("policy_id", "policy_name"):
        policy_id, policy_name = str(c.get("policy_id") or ""), str(c.get("policy_name") or "")
        if not policy_id and not policy_name:
            c.add("policy_id", "and comet_system_exclusions_policy_name are both empty: set one, the ID or the name of "
                               "the Comet Server policy the accounts follow (policies/list, or the server's Policies "
                               "page).", " ")
        elif policy_id and policy_name:
            c.add("policy_id", "(%s) and comet_system_exclusions_policy_name (%s) are both set: set only one."
                  % (_shown(policy_id), _shown(policy_name)), " ")
        if _CONTROL.search(policy_id + policy_name) or policy_id.strip() != policy_id:
            c.add("policy_id" if _CONTROL.search(policy_id) or policy_id.strip() != policy_id else "policy_name",
                  "must not contain control characters (nor the ID a leading or trailing space).", " ")
    if c.has("extra_regexes"):
        extra = c.get("extra_regexes")
        if not isinstance(extra, dict):
            c.add("extra_regexes", "must be a mapping of OS names (%s) to lists of regular expressions (got %s)."
                  % (", ".join(SYSTEM_OS_NAMES), _shown(extra)), " ")
        else:
            unknown = sorted(str(k) for k in extra if k not in SYSTEM_OS_NAMES)
            if unknown:
                c.add("extra_regexes", "unknown OS name(s) %s; the keys are %s." % (", ".join(unknown), ", ".join(SYSTEM_OS_NAMES)))
            known = dict((k, v) for k, v in extra.items() if k in SYSTEM_OS_NAMES)
            c.add_texts(_comet_exclusions.regex_problems(known, c.prefix, "extra_regexes"))
    return c.problems


def fleet_report(values):
    """Problems in role fleet_report's variables (the module's own rules for its options: _comet_fleet)."""
    c = _Checks("fleet_report_", values)
    _connection(c, credentials_required=False)
    if c.has("dir"):
        value = c.get("dir")
        if not isinstance(value, str) or not os.path.isabs(os.path.expanduser(value)):
            c.add("dir", "must be an absolute path on the controller (~ is expanded) (got %s)" % _shown(value), " ")
    if c.has("basename"):
        value = c.get("basename")
        if not isinstance(value, str) or not _BASENAME.match(value) or value in (".", ".."):
            c.add("basename", "must be letters, digits, '.', '_' and '-' only (got %s)" % _shown(value), " ")
    if c.has("prometheus_path"):
        message = prometheus_path_problem(c.get("prometheus_path"))
        if message:
            c.add("prometheus_path", message, " ")
    if c.has("formats") and not _as_list(c.get("formats")):
        c.add("formats", "must name at least one format (got %s)" % _shown(c.get("formats")), " ")
    for name in ("file_mode", "dir_mode", "prometheus_mode"):
        if c.has(name) and not _OCTAL_MODE.match(str(c.get(name))):
            c.add(name, "must be an octal mode such as 0640 (got %s)" % _shown(c.get(name)), " ")
    if c.has("print_findings"):
        count = _whole(c.get("print_findings"))
        if count is None or count < 0:
            c.add("print_findings", "must be 0 or more (got %s)" % _shown(c.get("print_findings")), " ")
    if c.has("departments") and not isinstance(c.get("departments"), dict):
        c.add("departments", "must be a dict {account: department} (got %s)" % _shown(c.get("departments")), " ")
    numbers = {}
    for name in ("obsolete_after_months", "obsolete_after_days", "week_days", "history_days", "now"):
        if c.has(name):
            numbers[name] = _whole(c.get(name))
            if numbers[name] is None:
                c.add(name, "must be a whole number (got %s)" % _shown(c.get(name)), " ")
    if c.has("obsolete_after_months", "obsolete_after_days", "week_days", "now", "min_client_version") \
            and None not in numbers.values():
        days = numbers["obsolete_after_days"]
        if days < 0:
            c.add("obsolete_after_days", "must be 0 (use fleet_report_obsolete_after_months) or 1 or more days", " ")
        elif numbers["now"] < 0:
            c.add("now", "must be 0 (now) or Unix seconds", " ")
        else:
            try:  # the module's rule, with the role's meaning of 0 (not set)
                _comet_fleet.check_options(obsolete_after_days=days or None, week_days=numbers["week_days"],
                                           min_client_version=str(c.get("min_client_version") or "") or None,
                                           now=numbers["now"] or None,
                                           obsolete_after_months=None if days else numbers["obsolete_after_months"])
            except CometInputError as exc:
                c.add_error(exc, " " if exc.message.startswith("(") else ": ")
    if c.has("history_days", "week_days") and numbers.get("history_days") is not None \
            and numbers.get("week_days") is not None:
        try:
            _comet_fleet.check_history_days(numbers["history_days"], numbers["week_days"])
        except CometInputError as exc:
            c.add_error(exc)
    if c.has("job_log_seconds"):
        try:
            seconds = float(c.get("job_log_seconds"))
        except (TypeError, ValueError):
            seconds = None
        if seconds is None or isinstance(c.get("job_log_seconds"), bool) or not 0 < seconds <= 3600:
            c.add("job_log_seconds", "must be more than 0 and at most 3600 seconds (got %s)" % _shown(c.get("job_log_seconds")), " ")
    if c.has("history_path"):
        value = c.get("history_path")
        if not isinstance(value, str) or (value and not os.path.isabs(os.path.expanduser(value))):
            c.add("history_path", "must be an absolute path on the controller (~ is expanded), or empty for no migration "
                                  "section (got %s)" % _shown(value), " ")
    _fleet_account_rules(c)
    return c.problems


def _fleet_account_rules(c):
    """The fleet report's account rules (issue 24: licence limit, stale devices, the site's policy, the mails, the
    closing announcements and their source), checked by the module's own rule (_comet_fleet_accounts) with the role's
    meaning of 0 and '' (off)."""
    for name in ("max_devices_per_account", "stale_after_months"):
        if c.has(name):
            value = _whole(c.get(name))
            if value is None or not 0 <= value <= 1200:
                c.add(name, "must be a whole number of %s, 0 (no check) to 1200 (got %s)" % (
                    "devices per account (the guide's is 2)" if name == "max_devices_per_account" else "months",
                    _shown(c.get(name))), " ")
    names = [n for n in ("policy_id", "policy_name") if c.has(n)]
    for name in names:
        value = c.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            c.add(name, "must be text, a policy %s (got %s)" % (name.split("_")[1].replace("id", "ID"), _shown(value)), " ")
        elif _CONTROL.search(value) or value.strip() != value:
            c.add(name, "must not hold a control character or a leading or trailing space (got %s)" % _shown(value), " ")
    if len(names) == 2 and c.get("policy_id") and c.get("policy_name"):
        c.add("policy_id", "(%s) and fleet_report_policy_name (%s) are both set: set one of them (the site's policy by "
                           "its ID, or by its name)" % (_shown(c.get("policy_id")), _shown(c.get("policy_name"))), " ")
    if c.has("check_mail_recipients"):
        value = c.get("check_mail_recipients")
        if not isinstance(value, bool) and str(value).strip().lower() not in _BOOLEAN_WORDS:
            c.add("check_mail_recipients", "must be true or false (got %s)" % _shown(value), " ")
    if c.has("closing_source") and c.get("closing_source") not in _comet_fleet_accounts.CLOSING_SOURCES:
        c.add("closing_source", "must be one of %s: what dates an account's closing, the announcement the service "
                                "sent, the suspension, or both (got %s)"
              % (", ".join(_comet_fleet_accounts.CLOSING_SOURCES), _shown(c.get("closing_source"))), " ")
    if c.has("closing_announcements"):
        try:
            _comet_fleet_accounts.parse_announcements(c.get("closing_announcements"))
        except CometInputError as exc:
            c.add_error(exc)


def prometheus_path_problem(value):
    """'' or what is wrong with fleet_report_prometheus_path ('' for the default, empty: <dir>/<basename>.prom):
    node_exporter's textfile collector reads the files ending in .prom of its own folder, so the path is absolute
    (a relative one would land in the playbook's working directory), a file (not a folder) and ends in .prom."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or _CONTROL.search(value):
        return "must be an absolute path to a file ending in .prom (got %s)" % _shown(value)
    path = os.path.expanduser(value)
    if not os.path.isabs(path):
        return ("must be an absolute path (the textfile collector's folder), not relative to the playbook's working "
                "directory: write e.g. /var/lib/prometheus/node-exporter/%s (got %s)"
                % (os.path.basename(value.rstrip("/")) or "unil_backup.prom", _shown(value)))
    if value.endswith("/") or os.path.isdir(path):
        return ("is a directory: write the file's path in it, e.g. %s (got %s)"
                % (os.path.join(path, "unil_backup.prom"), _shown(value)))
    if not path.endswith(".prom") or os.path.basename(path) == ".prom":
        return ("must end in .prom (node_exporter's textfile collector reads only those): write e.g. %s.prom "
                "(got %s)" % (os.path.splitext(path)[0], _shown(value)))
    return ""


VALIDATORS = {"comet_config": comet_config, "comet_system_exclusions": comet_system_exclusions,
              "fleet_report": fleet_report}


def _bool(value):
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "y", "t"))


def role_problems(role, values, **context):
    """Every problem in ``values`` (the role's variables, full names) for ``role``, as {var, message, text}."""
    if role not in VALIDATORS:
        raise ValueError("no checks for role %r: one of %s" % (role, ", ".join(ROLES)))
    return VALIDATORS[role](values, **context)


def unknown_variables(role, names, known):
    """Variables named with the role's prefix that the role does not read (``known``: its argument_specs' options):
    a misspelt name is otherwise ignored. Each as a problem naming the closest known variable."""
    prefix = role + "_"
    known = set(known) | set(ROLE_FACTS.get(role, ()))
    out = []
    for name in sorted(set(names)):
        if name.startswith(prefix) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            out.append(problem(name, "is not a variable of unil.backup.%s (ignored)%s" % (
                role, "; did you mean %s?" % close[0] if close else ""), " "))
    return out
