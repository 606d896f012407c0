# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comet Server stand-in (test code, never shipped). See README.md in this directory."""
from __future__ import annotations

from .faults import Faults
from .server import CometServerStandIn
from .state import ApiError, State

__all__ = ["CometServerStandIn", "State", "Faults", "ApiError"]
