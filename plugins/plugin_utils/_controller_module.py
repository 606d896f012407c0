# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a Comet API module inside the controller's worker process (its action plugin, plugins/action).

PRIVATE to the unil.backup collection: not a public API, it may change without notice.

A module that only talks to the Comet Server over HTTP runs on the controller anyway (delegate_to: localhost). Run as a
module, each call builds an AnsiballZ payload and starts a new Python; run here, it costs the HTTP calls alone. The
module's own code runs unchanged: ControllerModule offers the part of AnsibleModule it uses (params validated against
the same argument_spec, check_mode, _diff, warn, fail_json, exit_json), and the result is scrubbed of every no_log value
as AnsibleModule.exit_json scrubs it.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values


class _ModuleExit(BaseException):
    """exit_json / fail_json: the module's result. AnsibleModule leaves the process (SystemExit, which no
    ``except Exception`` catches); this leaves the module's code the same way."""

    def __init__(self, result):
        super().__init__("module exit")
        self.result = result


class ControllerModule(object):
    """The part of AnsibleModule the collection's Comet API modules use."""

    def __init__(self, argument_spec, args, check_mode=False, diff=False):
        self.argument_spec = argument_spec
        validation = ArgumentSpecValidator(argument_spec).validate(dict(args))
        self.params = validation.validated_parameters
        self.no_log_values = set(validation._no_log_values)
        # AnsibleModule fails with the first message
        self.errors = validation.error_messages
        self.check_mode = bool(check_mode)
        self._diff = bool(diff)
        # what AnsibleModule's validation reports beside its errors (an option set with its alias, a deprecated
        # option), as text
        self.warnings = ["Both option {option} and its alias {alias} are set.".format(**w) for w in validation._warnings]
        self.warnings.extend(d["msg"] for d in validation._deprecations)

    def warn(self, warning):
        self.warnings.append(warning)

    def exit_json(self, **kwargs):
        raise _ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs.update(failed=True, msg=msg)
        raise _ModuleExit(kwargs)

    def invocation(self):
        """The task's options as a module's result shows them: no_log options masked, other secrets scrubbed."""
        args = {}
        for name, value in self.params.items():
            no_log = (self.argument_spec.get(name) or {}).get("no_log")
            args[name] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if no_log and value is not None else value
        return args


def run_in_controller(argument_spec, run, args, check_mode=False, diff=False):
    """The result of ``run(module)`` for the task options ``args``, as the module would return it: bad options fail
    before ``run`` is called (AnsibleModule's first message), warnings in ``warnings``, ``invocation``, and no no_log
    value anywhere (booleans and None kept, as AnsibleModule keeps them)."""
    module = ControllerModule(argument_spec, args, check_mode=check_mode, diff=diff)
    if module.errors:
        result = dict(failed=True, msg=module.errors[0])
    else:
        try:
            run(module)
            result = dict(failed=True, msg="the module returned without a result")
        except _ModuleExit as done:
            result = done.result
    result.setdefault("changed", False)
    if module.warnings:
        result["warnings"] = module.warnings
    result["invocation"] = dict(module_args=module.invocation())
    preserved = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
    result = remove_values(result, module.no_log_values)
    result.update(preserved)
    return result
