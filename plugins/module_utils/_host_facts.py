# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: whether a host's facts are there yet. Kept apart (no import) because the
first task of a play reads it (role comet_client's probe, filter comet_client_facts_missing), before anything else of
the collection is loaded."""

from __future__ import annotations

# the facts role comet_client decides on; on Linux also the service manager (the systemd unit)
FACTS_NEEDED = ("system", "os_family", "hostname", "distribution")


def facts_missing(facts):
    """Whether the facts the role decides on are not there yet (a play without facts): the first read gathers them."""
    facts = facts if isinstance(facts, dict) else {}
    if any(key not in facts for key in FACTS_NEEDED):
        return True
    return facts.get("system") == "Linux" and "service_mgr" not in facts
