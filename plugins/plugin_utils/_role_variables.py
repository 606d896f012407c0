# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: a role's variables as one host sees them, for the controller-side checks
(action plugins role_check, crashplan_removal_decide; filter role_problems), on public ansible-core API."""

from __future__ import annotations

import os

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

_ROLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles")
_SPECS = {}
# libyaml's loader where PyYAML has it (ansible-core's own choice), the pure-Python one otherwise
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def role_variables(templar, task_vars, prefix):
    """{name: value} of every variable of ``task_vars`` whose name starts with ``prefix``, templated in the host's
    context (what the lookups varnames + vars return). ``templar``: the action's own (ActionBase._templar)."""
    return dict((name, templar.template(task_vars[name])) for name in sorted(task_vars) if name.startswith(prefix))


def _role_specs(role):
    """The role's entry points (meta/argument_specs.yml, shipped with the collection), read once; None when the
    specification cannot be read."""
    if role not in _SPECS:
        try:
            with open(os.path.join(_ROLES_DIR, role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
                _SPECS[role] = (yaml.load(handle, Loader=_YAML_LOADER) or {}).get("argument_specs") or {}
        except (OSError, yaml.YAMLError):
            _SPECS[role] = None
    return _SPECS[role]


def _read_all_specs():
    """Every role's specification, read when this file is imported: ansible-playbook imports an action plugin (and so
    this file) in its main process before it forks one worker per host and task, so the workers inherit the parsed
    specifications instead of parsing the YAML again for every host (tests/bench: the decisions' own time)."""
    try:
        roles = sorted(os.listdir(_ROLES_DIR))
    except OSError:
        roles = []
    for role in roles:
        if os.path.isfile(os.path.join(_ROLES_DIR, role, "meta", "argument_specs.yml")):
            _role_specs(role)


def known_variables(role):
    """The options of the role's entry points; None when the specification cannot be read (then no name is called
    unknown)."""
    specs = _role_specs(role)
    if specs is None:
        return None
    known = set()
    for entry in specs.values():
        known.update(((entry or {}).get("options") or {}).keys())
    return known


def role_argument_spec(role, entry="main"):
    """The options of one entry point of the role; {} when it cannot be read."""
    return (((_role_specs(role) or {}).get(entry) or {}).get("options")) or {}


def argument_errors(templar, task_vars, role, entry="main"):
    """The role's variables checked against its argument specification as ansible-core checks a role's entry point
    (action ansible.builtin.validate_argument_spec: the variables the spec names, templated, validated with
    ArgumentSpecValidator): the error messages, [] when they pass. A play that includes the role with
    ``rolespec_validate: false`` (playbooks/site.yml) has it checked here, in the role's decision, instead of in a task
    of its own."""
    spec = role_argument_spec(role, entry)
    if not spec:
        return []
    provided = templar.template(dict((name, task_vars[name]) for name in spec if name in task_vars))
    return list(ArgumentSpecValidator(spec).validate(provided, validate_role_argument_spec=True).error_messages)


def argument_failure(role, errors):
    """The failure message of argument_errors(), worded as ansible-core's."""
    return "unil.backup.%s: Validation of arguments failed (meta/argument_specs.yml):\n%s" % (role, "\n".join(errors))


_read_all_specs()
