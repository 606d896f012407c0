# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of unil.backup.comet_info: on the controller (local connection, no become, no environment) the
module's code runs in the worker process, elsewhere the module runs as usual (plugins/plugin_utils/_controller_module).
Options, results, check and diff mode: the module's (plugins/modules)."""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.modules import comet_info as module_code
from ansible_collections.unil.backup.plugins.plugin_utils._controller_module import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    MODULE = "unil.backup.comet_info"
    MODULE_CODE = module_code
