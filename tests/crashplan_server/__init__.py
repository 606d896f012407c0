# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CrashPlan server stand-in (test code, never shipped): the endpoints pycpg 1.0.5 calls. See server.py."""
from __future__ import annotations

from .server import CrashPlanServerStandIn, HttpError

__all__ = ["CrashPlanServerStandIn", "HttpError"]
