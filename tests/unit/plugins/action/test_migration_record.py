# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin unil.backup.migration_record: which hosts failed and which the run could not reach, and the run's
identity (the whole plugin runs in tests/integration/test_migration_history.py)."""
from __future__ import annotations

from ansible_collections.unil.backup.plugins.action import migration_record as plugin


def test_unreachable_hosts_are_those_the_strategy_no_longer_has():
    task_vars = {"ansible_play_hosts_all": ["a", "b", "c", "d"], "ansible_play_hosts": ["a", "d"],
                 # the strategy's current hosts: the failed host b is counted again in a new play, c never
                 "ansible_current_hosts": ["a", "b", "d"]}
    assert plugin.play_hosts(task_vars) == (["a", "b", "c", "d"], {"a", "d"}, {"c"})


def test_without_the_strategy_s_hosts_every_host_out_of_the_play_is_failed():
    task_vars = {"ansible_play_hosts_all": ["a", "b"], "ansible_play_hosts": ["a"]}
    assert plugin.play_hosts(task_vars) == (["a", "b"], {"a"}, set())


def test_the_run_id_is_the_awx_job_else_this_run_of_ansible_playbook():
    assert plugin.default_run_id({"awx_job_id": 42}) == "awx-job-42"
    assert plugin.default_run_id({"tower_job_id": "7"}) == "awx-job-7"
    own = plugin.default_run_id({})
    assert own == plugin.default_run_id({}) and own.startswith(plugin.socket.gethostname() + ":")
    assert plugin.run_identity() in own
