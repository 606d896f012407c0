# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""comet_device_settings' first backup (seed 000, "Machine ventile lors du premier backup"): first_backup_window
refused when malformed before any call, "never" sends no run-backup, and backup_reason says why."""
from __future__ import annotations

import pytest

ACCOUNT = "lab"  # the account conftest.py creates


def run_backups(server):
    if hasattr(server, "backups_started"):
        return len(server.backups_started)
    return server.log_count("dispatcher/run-backup")


def test_a_bad_window_is_refused_naming_the_option(run, server):
    result = run("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "item_defaults": True,
                                           "start_backup": True, "first_backup_window": "at night"})
    assert result.get("failed") and "first_backup_window" in result["msg"], result
    assert run_backups(server) == 0


@pytest.mark.parametrize("window, reason", [("never", "deferred:never"), ("now", "started")])
def test_the_window_decides(run, server, window, reason):
    result = run("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "item_defaults": True,
                                           "start_backup": True, "first_backup_window": window})
    assert result["backup_reason"] == reason and result["backup_started"] is (reason == "started"), result
    assert run_backups(server) == (1 if reason == "started" else 0)


def test_check_mode_and_offline_say_why(run, server):
    result = run("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-lin", "item_defaults": True,
                                           "start_backup": True}, check_mode=True)
    assert result["backup_reason"] == "not_started:check_mode"
    result = run("comet_device_settings", {"account": ACCOUNT, "device_id": "dev-win", "item_defaults": True,
                                           "start_backup": True})
    assert result["backup_reason"] == "not_started:offline"
    assert run_backups(server) == 0
