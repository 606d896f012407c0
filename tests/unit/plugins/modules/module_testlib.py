# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the module tests share: a module run in-process as Ansible runs it, and a recursive subset assertion."""
from __future__ import annotations

import importlib

import pytest

from ansible.module_utils import _internal as module_internal
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args


def run_in_process(capsys, module_name, args):
    """Run module ``module_name`` with ``args`` in this process; return its printed output (JSON text)."""
    module = importlib.import_module("ansible_collections.unil.backup.plugins.modules." + module_name)
    capsys.readouterr()
    # warnings are process-global in ansible-core: start each in-process run with none
    module_warnings._global_warnings.clear()  # pylint: disable=protected-access
    module_warnings._global_deprecations.clear()  # pylint: disable=protected-access
    # a test that imported controller code (ansible.errors...) earlier in the session marks the process as the
    # controller, and module warnings then go to the display instead of the result: run as a module does
    controller, module_internal.is_controller = module_internal.is_controller, False
    try:
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
    finally:
        module_internal.is_controller = controller
    return capsys.readouterr().out


def subset(expected, actual, path="result"):
    """Every key of ``expected`` (recursively, for dicts) is in ``actual`` with the same value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), "%s: %r is not a dict" % (path, actual)
        for key, value in expected.items():
            assert key in actual, "%s.%s missing in %r" % (path, key, actual)
            subset(value, actual[key], "%s.%s" % (path, key))
    else:
        assert expected == actual, "%s: expected %r, got %r" % (path, expected, actual)
