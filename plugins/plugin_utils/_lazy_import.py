# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: a module imported when one of its names is first used, for the filter
plugins.

ansible-core finds a collection's filter by loading every filter file of that collection (Jinja2Loader goes through
them all, for any one name), and it does so in the worker it forks for each host and task, where the collection loader
compiles each imported module_utils file from its source. Filter files that imported their module_utils at the top
made every task using any unil.backup filter compile nearly all of them, for each host (37 files, about 0.1 s of CPU
per host and task; tests/bench). Each filter file now names its modules with ``lazy_module`` and only what a called
filter uses is imported."""

from __future__ import annotations

import importlib

MODULE_UTILS = "ansible_collections.unil.backup.plugins.module_utils."


class LazyModule:
    """Stands for the module ``name`` (a full dotted name); imports it at the first attribute read."""

    __slots__ = ("_lazy_name", "_lazy_module")

    def __init__(self, name):
        self._lazy_name = name
        self._lazy_module = None

    def __getattr__(self, attribute):
        if self._lazy_module is None:
            self._lazy_module = importlib.import_module(self._lazy_name)
        return getattr(self._lazy_module, attribute)

    def __repr__(self):
        return "<lazy module %s>" % self._lazy_name


def lazy_module(name):
    """The collection's module_utils file ``name`` (e.g. "_comet_url"), or any module by its full dotted name."""
    return LazyModule(name if "." in name else MODULE_UTILS + name)
