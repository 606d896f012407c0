# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup unil.backup.fleet_report_departments: the play's groups and the dept_* hosts' accounts read from the task's
variables, each department host's variables once; real Ansible inventory and HostVars in the last test."""
from __future__ import annotations

import pytest

import yaml

from ansible import constants as C
from ansible.errors import AnsibleLookupError, AnsibleUndefinedVariable

from ansible_collections.unil.backup.plugins.lookup import fleet_report_departments as plugin

NAME = "unil.backup.fleet_report_departments"


def new_lookup():
    C.config.initialize_plugin_configuration_definitions("lookup", NAME, yaml.safe_load(plugin.DOCUMENTATION)["options"])
    instance = plugin.LookupModule()
    instance._load_name = NAME  # pylint: disable=protected-access
    return instance


class CountingVars(dict):
    """A host's variables that count the reads and raise for the undefined ones (as HostVarsVars templating)."""
    reads = None

    def __getitem__(self, key):
        CountingVars.reads.append(key)
        value = dict.__getitem__(self, key)
        if value == "UNDEFINED":
            raise AnsibleUndefinedVariable("undefined")
        return value


@pytest.mark.parametrize("hostvars,overrides,expected", [
    ({"h0": {"comet_client_username": "alice"}, "h1": {"comet_client_username": "bob"},
      "h2": {"comet_config_account": "dave"}, "h3": {"comet_client_username": "bob"}, "h4": {"comet_client_username": "erin"}},
     {"frank": "dept_physique"},
     {"alice": "dept_chimie", "bob": "dept_chimie, dept_lettres", "dave": "dept_lettres", "frank": "dept_physique"}),
    # an account variable that cannot be templated is as unset; the next one is read
    ({"h0": {"comet_client_username": "UNDEFINED", "comet_config_account": "alice"}, "h2": {}}, {},
     {"alice": "dept_chimie"}),
    ({}, {}, {}),
])
def test_departments(hostvars, overrides, expected):
    CountingVars.reads = []
    groups = {"all": ["h0", "h1", "h2", "h3", "h4"], "dept_chimie": ["h0", "h1"], "dept_lettres": ["h2", "h3"],
              "other": ["h4"]}
    variables = {"groups": groups, "hostvars": dict((h, CountingVars(v)) for h, v in hostvars.items())}
    assert new_lookup().run([], variables=variables, overrides=overrides) == [expected]
    # h4 (no dept_* group) is never read; each department host at most once per variable
    assert len(CountingVars.reads) <= 2 * 4


def test_terms_refused():
    with pytest.raises(AnsibleLookupError, match="no terms"):
        new_lookup().run(["x"], variables={})


def test_real_inventory_hostvars(tmp_path):
    """Ansible's own HostVars: the values are templated under each host's variables."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    inventory_file = tmp_path / "hosts.yml"
    inventory_file.write_text(yaml.safe_dump({"all": {"children": {
        "dept_chimie": {"hosts": {"h0": {"comet_client_username": "{{ lab_user }}", "lab_user": "alice"},
                                  "h1": {"comet_config_account": "bob"}}},
        "dept_bio": {"hosts": {"h1": {}, "h2": {"comet_client_username": ""}}},
        "other": {"hosts": {"h3": {"comet_client_username": "erin"}}}}}}))
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(inventory_file)])
    manager = VariableManager(loader=loader, inventory=inventory)
    HostVars(inventory=inventory, variable_manager=manager, loader=loader)  # as the task queue manager sets it up
    variables = manager.get_vars(host=inventory.get_host("h0"), include_hostvars=True)
    assert new_lookup().run([], variables=variables) == [{"alice": "dept_chimie", "bob": "dept_bio, dept_chimie"}]
