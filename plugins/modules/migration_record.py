#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The documentation of the action plugin unil.backup.migration_record (plugins/action/migration_record.py), which runs
# entirely on the controller; its logic is plugins/module_utils/_migration_history.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: migration_record
short_description: Record the stage each host of the play reached in the migration's history, and summarise the run
version_added: 0.4.0
description:
  - Ends C(playbooks/site.yml) and C(playbooks/remove_crashplan.yml). Call it once (C(run_once)) in a play on the hosts
    of the migration; it runs on the controller only (an action plugin), nothing runs on the hosts.
  - Reads each host of the play (C(ansible_play_hosts_all)) once from C(hostvars), the facts the roles set
    (C(comet_config_result), C(crashplan_removal_result), C(comet_client_installed)...), and decides its stage code
    (P(unil.backup.migration_summary#filter) lists them). A host that failed is V(failed); a host the run could not
    reach (its connection failed; it is no longer among the strategy's current hosts) is V(unreachable), and the
    summary names the stage it last reached, from the history or else from this run's facts.
  - Appends one record per host to the history (a JSON Lines file on the controller, O(path)) in one write to the file
    opened for appending, under an exclusive lock on it, so two runs at once never tear or interleave a record.
    Record keys - C(version) (1), C(run_id), C(playbook), C(time) (UTC, ISO 8601, seconds, C(Z)), C(host),
    C(department) (the host's C(dept_*) group or empty), C(account) (C(comet_client_username), else
    C(comet_config_account), or empty), C(stage), C(reason) (a reason code or empty).
  - Linear in the number of hosts; the history is read only when a host was unreachable.
author:
  - UNIL (@UNIL)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: In check mode the summary and the stats are returned and nothing is written to the history.
  diff_mode:
    support: none
options:
  playbook:
    description: The playbook whose run is recorded.
    type: str
    required: true
    choices: [site, remove_crashplan]
  path:
    description:
      - The history file on the controller (created with mode 0600, its folder 0700). The playbooks pass
        C(unil_backup_history_path).
      - Unset, C(<ANSIBLE_HOME>/unil_backup/migration-history.jsonl) (C(~/.ansible/unil_backup/...) by default). An
        empty string records nothing (the summary and the stats are still returned).
    type: str
  run_id:
    description:
      - The run's identity, the same in every record of the run.
      - Unset, C(awx-job-<id>) in an AWX job, else the controller's host name, the process of the run of
        C(ansible-playbook) and its start, and the controller's boot.
    type: str
    default: ''
  lock_timeout:
    description: Seconds to wait for the history's lock (another run writing).
    type: int
    default: 60
  job_stats:
    description:
      - Also keep RV(stats) with the job, as M(ansible.builtin.set_stats) would (key C(unil_backup_migration), not per
        host, not aggregated). AWX keeps it in the job's artifacts, C(ANSIBLE_SHOW_CUSTOM_STATS=true) prints it; no
        task of its own is needed.
    type: bool
    default: true
notes:
  - The play must have at least one host left for the task to run; when every host of the play failed or was
    unreachable, nothing is recorded.
seealso:
  - plugin: unil.backup.migration_summary
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Record the stage each host reached in the migration's history
  unil.backup.migration_record:
    playbook: site
    path: "{{ unil_backup_history_path | default(omit) }}"
  run_once: true
  register: run

- name: Show the stage each host reached, and the count per stage
  ansible.builtin.debug:
    msg: "{{ run.lines }}"
  run_once: true
"""

RETURN = r"""
path:
  description: The history file written (empty when recording is off).
  returned: success
  type: str
run_id:
  description: The run's identity in the records.
  returned: success
  type: str
written:
  description: The number of records appended (0 in check mode or when recording is off).
  returned: success
  type: int
stats:
  description:
    - C(run_id), C(playbook) and C(hosts), per host its C(stage) and C(reason); kept with the job as
      C(unil_backup_migration) (O(job_stats)).
  returned: success
  type: dict
lines:
  description:
    - One line per host (sorted by name - host, stage label, client version, device ID, login status), an empty line,
      then the count per stage label. An unreachable host's label names the stage it last reached.
  returned: success
  type: list
  elements: str
hosts:
  description: Per host C(host), C(stage), C(reason), C(text), C(version), C(device), C(login).
  returned: success
  type: list
  elements: dict
counts:
  description: The number of hosts per stage code.
  returned: success
  type: dict
unreachable_hosts:
  description: The hosts the run could not reach, sorted.
  returned: success
  type: list
  elements: str
changed:
  description: Always false (the history is the controller's log of the run, not a change to the fleet).
  returned: always
  type: bool
"""
