# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: the base of the action plugins that work on the controller only (the roles'
decisions, the checks, the once-per-batch comparisons), on public ansible-core API."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.unil.backup.plugins.plugin_utils._role_variables import argument_errors, argument_failure


class ControllerAction(ActionBase):
    """No connection to the host is opened and no file is transferred; check mode is each action's to honour (they
    only read, or write what belongs to the controller). A subclass gives ARGUMENT_SPEC (its options), optionally ROLE
    (a role whose variables are first checked against its meta/argument_specs.yml, as ansible-core would in a task of
    its own) and run_on_controller(result, args, task_vars)."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False
    ARGUMENT_SPEC = {}
    ROLE = None

    def checked_role(self):
        """The role whose variables are checked before the options (None: none)."""
        return self.ROLE

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        role = self.checked_role()
        errors = argument_errors(self._templar, task_vars, role) if role else []
        if errors:
            result.update(failed=True, msg=argument_failure(role, errors), argument_errors=errors)
            return result
        dummy, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return self.run_on_controller(result, args, task_vars)

    def run_on_controller(self, result, args, task_vars):
        raise NotImplementedError
