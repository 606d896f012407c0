# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_config's settings step (_role_results): the device's name and the options of comet_device_settings built
from the role's variables, as the role's task arguments built them before (an empty variable leaves its option out)."""

from __future__ import annotations

import os

import yaml

from ansible_collections.unil.backup.plugins.module_utils import _role_results as rr
from ansible_collections.unil.backup.plugins.modules import comet_device_settings

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "comet_config")


def role_defaults(**overrides):
    """The role's defaults as a host sees them once templated (the connection resolved), with ``overrides``."""
    with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    defaults.update(comet_config_server_url="https://comet.example.ch/", comet_config_admin_username="admin",
                    comet_config_admin_password="s3cret", comet_config_validate_certs=True, comet_config_ca_path="",
                    comet_config_account="alice", comet_config_device_id="dev-1", comet_config_vpn_connected=False)
    defaults.update(overrides)
    return defaults


def test_the_defaults_give_the_options_the_role_always_gave():
    args = rr.comet_config_settings_args(role_defaults(), "pc1")
    assert args == {
        "server_url": "https://comet.example.ch/", "admin_username": "admin", "admin_password": "s3cret",
        "validate_certs": True, "timeout": 30, "account": "alice", "device_id": "dev-1", "name": "pc1",
        "allow_duplicate_name": False, "item_defaults": True, "folders_mode": "replace",
        "schedules": [{"frequency": "daily", "at": "12:00"}], "random_delay": 1800, "run_missed_on_boot": True,
        "exclude_globs": [], "exclude_regexes": [], "exclusions_defaults": True, "exclusions_state": "present",
        "set_once": ["folders", "schedule", "exclusions"], "start_backup": True, "first_backup_window": "20:00-06:00",
        "first_backup_wait": 30, "vpn_connected": False}


def test_set_variables_reach_their_options_and_enforce_narrows_set_once():
    args = rr.comet_config_settings_args(role_defaults(
        comet_config_item_name="Labo", comet_config_folders=["/data"], comet_config_vault="v1",
        comet_config_ca_path="/etc/ssl/unil.pem", comet_config_retry_delay=300, comet_config_schedules=None,
        comet_config_enforce=["schedule"], comet_config_run_on_boot=False), "pc1")
    assert args["item_name"] == "Labo" and args["folders"] == ["/data"] and args["vault"] == "v1"
    assert args["ca_path"] == "/etc/ssl/unil.pem" and args["retry_delay"] == "300" and args["run_on_boot"] is False
    assert "schedules" not in args and args["set_once"] == ["folders", "exclusions"]


def test_every_option_built_is_one_of_the_module():
    known = set(comet_device_settings.argument_spec())
    assert set(rr.comet_config_settings_args(role_defaults(comet_config_item_name="x", comet_config_retry_count=2), "n")) <= known


def test_the_device_name_rule():
    assert rr.comet_config_device_name("given", {"hostname": "pc1"}, "pc1-short") == "given"
    assert rr.comet_config_device_name("", {"hostname": "pc1"}, "pc1-short") == "pc1"
    assert rr.comet_config_device_name("", {}, "pc1-short") == "pc1-short"
    assert rr.comet_config_device_name(None, None, "pc1-short") == "pc1-short"
