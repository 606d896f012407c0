# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup unil.backup.comet_server_version through Ansible's plugin loader, against a real local HTTP server."""
from __future__ import annotations

import pytest

import yaml

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.unil.backup.plugins.lookup import comet_server_version as plugin
from ansible_collections.unil.backup.tests.unit.plugins.module_utils.test_comet_api_http import (  # noqa: F401 pylint: disable=unused-import
    PASSWORD, scripted_server)

NAME = "unil.backup.comet_server_version"


def new_lookup():
    """The plugin as Ansible's loader sets it up: its options declared from its own DOCUMENTATION."""
    C.config.initialize_plugin_configuration_definitions("lookup", NAME, yaml.safe_load(plugin.DOCUMENTATION)["options"])
    instance = plugin.LookupModule()
    instance._load_name = NAME  # pylint: disable=protected-access
    return instance


def lookup(server, **kwargs):
    options = dict(server_url="http://127.0.0.1:%d/" % server.server_address[1], admin_username="admin",
                   admin_password=PASSWORD, **kwargs)
    return new_lookup().run([], variables={}, **options)


def test_returns_the_version_in_one_call(scripted_server):
    scripted_server.script = [("json", 200, {"Version": "24.6.0", "Status": 200})]
    assert lookup(scripted_server) == ["24.6.0"]
    assert [seen["path"] for seen in scripted_server.seen] == ["/api/v1/admin/meta/version"]
    assert scripted_server.seen[0]["form"]["Password"] == PASSWORD


def test_an_error_under_http_200_is_refused_without_the_password(scripted_server):
    scripted_server.script = [("json", 200, {"Status": 403, "Message": "Invalid password " + PASSWORD})]
    with pytest.raises(AnsibleLookupError) as err:
        lookup(scripted_server)
    assert "403" in str(err.value)
    assert PASSWORD not in str(err.value)


def test_an_answer_without_version_is_an_error(scripted_server):
    scripted_server.script = [("json", 200, {"Status": 200, "Message": "OK"})]
    with pytest.raises(AnsibleLookupError, match="without a Version"):
        lookup(scripted_server)


def test_an_empty_ca_path_means_the_system_authorities(scripted_server):
    scripted_server.script = [("json", 200, {"Version": "24.6.0"})]
    assert lookup(scripted_server, ca_path="") == ["24.6.0"]


def test_credentials_in_the_url_are_refused_before_any_request(scripted_server):
    with pytest.raises(AnsibleLookupError, match="must not contain credentials"):
        new_lookup().run(
            [], variables={}, server_url="http://admin:%s@127.0.0.1:%d/" % (PASSWORD, scripted_server.server_address[1]),
            admin_username="admin", admin_password=PASSWORD)
    assert scripted_server.seen == []


def test_terms_are_refused():
    with pytest.raises(AnsibleLookupError, match="takes no terms"):
        new_lookup().run(["x"], variables={})
