# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a Comet API module inside the controller's worker process (the action plugins of plugins/action).

PRIVATE to the unil.backup collection: not a public API, it may change without notice.

A module that only talks to the Comet Server over HTTP runs on the controller anyway (delegate_to: localhost). Run as a
module, each call builds an AnsiballZ payload and starts a new Python; run here, it costs the HTTP calls alone. The
module's own code runs unchanged: each Comet API module exposes ``argument_spec()``, ``constraints()`` (what it passes
to AnsibleModule beside the spec: mutually_exclusive, required_if...) and ``run(module)``; its ``main()`` is
``run(AnsibleModule(...))``. ControllerModule offers the part of AnsibleModule that ``run`` uses (params validated
against the same spec and constraints, check_mode, _diff, warn, fail_json, exit_json) and the result is scrubbed of
every no_log value as AnsibleModule scrubs it.

Public ansible-core API only: ModuleArgumentSpecValidator (the ArgumentSpecValidator AnsibleModule uses, which also
reports an option given with its alias and a deprecated option through ansible.module_utils.common.warnings), the
public ValidationResult attributes, remove_values, and ActionBase. The no_log values are computed here from the
argument spec (no_log_values).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Mapping

from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible_collections.unil.backup.plugins.module_utils._comet_module_input import (
    environment_problem,
    hidden_values,
    validation_message,
)

NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# the validator's constraints, as AnsibleModule and ArgumentSpecValidator name them
CONSTRAINTS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


def _strings(value):
    """The strings a no_log value is hidden as, as AnsibleModule lists them: text itself, numbers as text, the values
    inside containers; None, booleans and empty text hide nothing."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [text for item in value for text in _strings(item)]
    if value is None or isinstance(value, bool):
        return []
    return [str(value)]


def no_log_values(argument_spec, params):
    """The set of strings to hide for ``params`` (given or validated): the value of every option marked no_log=True
    (unless empty, zero or false), under its name or one of its aliases, and those of suboptions (``options`` of a dict option, or of each element of
    a list of dicts), at any depth."""
    found = set()
    if not isinstance(params, Mapping):
        return found
    for name, spec in argument_spec.items():
        spec = spec or {}
        for key in [name] + list(spec.get("aliases") or []):
            value = params.get(key)
            if value is None:
                continue
            # as AnsibleModule: an empty or zero value hides nothing (it would mask every "0" of the result)
            if spec.get("no_log") and value:
                found.update(_strings(value))
            if spec.get("options"):
                for element in (value if isinstance(value, list) else [value]):
                    found.update(no_log_values(spec["options"], element))
    return found


def path_info(result):
    """The file facts AnsibleModule adds to a result naming a ``path`` or a ``dest`` that exists (owner, group, mode,
    state, size; SELinux context left out)."""
    path = result.get("path", result.get("dest"))
    if path is None or not os.path.lexists(path):
        return result
    st = os.lstat(path)
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    if os.path.islink(path):
        state = "link"
    elif os.path.isdir(path):
        state = "directory"
    elif os.stat(path).st_nlink > 1:
        state = "hard"
    else:
        state = "file"
    result.update(uid=st.st_uid, gid=st.st_gid, owner=owner, group=group, mode="0%03o" % stat.S_IMODE(st.st_mode),
                  state=state, size=st.st_size)
    return result


def constraints_of(code):
    """The validator's constraints a module's code passes to AnsibleModule (its ``constraints()``, when it has one)."""
    given = code.constraints() if hasattr(code, "constraints") else {}
    unknown = set(given) - set(CONSTRAINTS)
    if unknown:
        raise ValueError("constraints(): unknown %s" % ", ".join(sorted(unknown)))
    return dict(given)


class _ModuleExit(BaseException):
    """exit_json / fail_json: the module's result. AnsibleModule leaves the process (SystemExit, which no
    ``except Exception`` catches); this leaves the module's code the same way."""

    def __init__(self, result):
        super().__init__("module exit")
        self.result = result


class ControllerModule(object):
    """The part of AnsibleModule the collection's Comet API modules use."""

    def __init__(self, argument_spec, args, check_mode=False, diff=False, constraints=None, name="module"):
        self.argument_spec = argument_spec
        args = dict(args)
        # what the validation warns about (an option with its alias, a deprecated option) goes through
        # ansible.module_utils.common.warnings: in a module process it is recorded there (the entries this call adds
        # are the module's warnings), on the controller it is displayed at once
        warnings_before = set(module_warnings.get_warning_messages())
        deprecations_before = [d.get("msg") for d in module_warnings.get_deprecation_messages()]
        validation = ModuleArgumentSpecValidator(argument_spec, **(constraints or {})).validate(args)
        self.params = validation.validated_parameters
        self.no_log_values = no_log_values(argument_spec, args) | no_log_values(argument_spec, self.params)
        self.no_log_values |= hidden_values(self.no_log_values, args) | hidden_values((), self.params)
        self.error = None
        if validation.error_messages:
            # AnsibleModule fails with the first message, naming the module for an unknown option
            self.error = validation_message(validation.errors, validation.error_messages[0], argument_spec)
            if isinstance(validation.errors[0], UnsupportedError):
                self.error = "Unsupported parameters for (%s) module: %s" % (name, self.error)
        self.check_mode = bool(check_mode)
        self._diff = bool(diff)
        self.warnings = [w for w in module_warnings.get_warning_messages() if w not in warnings_before]
        self.warnings.extend(d.get("msg") for d in module_warnings.get_deprecation_messages()
                             if d.get("msg") not in deprecations_before)

    def warn(self, warning):
        self.warnings.append(warning)

    def exit_json(self, **kwargs):
        raise _ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs.update(failed=True, msg=str(msg))
        raise _ModuleExit(kwargs)

    def invocation(self):
        """The task's options as a module's result shows them (no_log options masked; other secrets are scrubbed
        with the rest of the result)."""
        args = {}
        for name, value in self.params.items():
            no_log = (self.argument_spec.get(name) or {}).get("no_log")
            args[name] = NO_LOG_PLACEHOLDER if no_log and value is not None else value
        return args


def run_in_controller(argument_spec, run, args, check_mode=False, diff=False, constraints=None, name="module"):
    """The result of ``run(module)`` for the task options ``args``, as the module would return it: bad options fail
    before ``run`` is called (AnsibleModule's first message), warnings in ``warnings``, ``invocation``, and no no_log
    value anywhere (top-level booleans and None kept, so ``changed`` and ``failed`` stay what they are)."""
    module = ControllerModule(argument_spec, args, check_mode=check_mode, diff=diff, constraints=constraints, name=name)
    if module.error:
        result = dict(failed=True, msg=module.error)
    else:
        try:
            run(module)
            result = dict(failed=True, msg="the module returned without a result")
        except _ModuleExit as done:
            result = done.result
    path_info(result)
    if module.warnings:
        result["warnings"] = module.warnings
    result["invocation"] = dict(module_args=module.invocation())
    preserved = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
    result = remove_values(result, module.no_log_values)
    result.update(preserved)
    return result


def run_module_code(code, args, check_mode=False, diff=False, name="module"):
    """run_in_controller for a module's code (its argument_spec(), constraints() and run())."""
    return run_in_controller(code.argument_spec(), code.run, args, check_mode=check_mode, diff=diff,
                             constraints=constraints_of(code), name=name)


class ControllerModuleAction(ActionBase):
    """The action plugin of a Comet API module: run on the controller (local connection, no become, no task or play
    ``environment``), the module's code runs in the worker process, without an AnsiballZ payload or a new Python per
    host; otherwise the module runs as usual. Options, results, check and diff mode: the module's.

    A plugin names its module: ``MODULE`` (its FQCN) and ``MODULE_CODE`` (the imported module file)."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    MODULE = None
    MODULE_CODE = None

    def _in_controller(self):
        """The module would run on the controller, as the user running ansible-playbook, in the controller's own
        environment: a task or play ``environment`` (a proxy for the Comet Server, COMET_* fallbacks) is only given
        to a module process, so with one the module runs as a module."""
        if self._connection.transport != "local" or self._play_context.become:
            return False
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        return not environment

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        result.update(self.run_module(task_vars))
        return result

    def run_module(self, task_vars, args=None):
        """The module's result for the options ``args`` (None: the task's): its code in this process on the
        controller, else the module (a task ``environment``, another connection, become)."""
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        if environment_problem(environment):  # Ansible would show it on the module's command line
            return dict(failed=True, msg=environment_problem(environment))
        if not self._in_controller():
            given = {} if args is None else {"module_args": args}
            return self._execute_module(module_name=self.MODULE, task_vars=task_vars, **given)
        return run_module_code(self.MODULE_CODE, self._task.args if args is None else args,
                               check_mode=self._task.check_mode, diff=self._task.diff, name=self.MODULE)
