# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module tests' Comet Server fixture (the stand-in and the in-memory mock), for the action plugins' tests."""
from __future__ import annotations

import importlib
import sys

from ansible_collections.unil.backup.tests.unit.plugins.modules.conftest import server

# the fixture imports the mock as the module tests see it, a top-level module beside their conftest.py
sys.modules.setdefault("comet_fake", importlib.import_module("ansible_collections.unil.backup.tests.unit.plugins.modules.comet_fake"))

__all__ = ["server"]
