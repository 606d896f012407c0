# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: whether a host's facts are there yet, the one rule of the roles (comet_client,
crashplan_removal). Kept apart (no import) because the first task of a play reads it (role comet_client's probe,
filter comet_client_facts_missing), before anything else of the collection is loaded."""

from __future__ import annotations

# the facts role comet_client decides on; on Linux also the service manager (the systemd unit)
FACTS_NEEDED = ("system", "os_family", "hostname", "distribution")


def facts_missing(facts, needed=FACTS_NEEDED, linux_service_manager=True):
    """Whether facts a role decides on are not there yet (a play without facts): the first read gathers them.
    ``needed``: the facts' names (default role comet_client's); ``linux_service_manager``: a Linux host also needs
    service_mgr (role comet_client's systemd unit)."""
    facts = facts if isinstance(facts, dict) else {}
    if any(key not in facts for key in needed):
        return True
    return bool(linux_service_manager) and facts.get("system") == "Linux" and "service_mgr" not in facts
