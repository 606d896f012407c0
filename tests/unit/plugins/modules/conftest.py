# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a comet_* module's main() in-process against the Comet Server stand-in (real HTTP on 127.0.0.1)."""
from __future__ import annotations

import importlib
import json

import pytest

from ansible_collections.unil.backup.tests.unit.plugins.modules.module_testlib import run_in_process

ADMIN = "admin"
ADMIN_PASSWORD = "admin-secret-Zq9"
ACCOUNT = "lab"
DEVICES = {
    "dev-lin": dict(name="lts22", platform={"os": "linux", "distribution": "Ubuntu 22.04", "arch": "amd64", "version": "", "build": ""}, online=True),
    "dev-win": dict(name="pc-win", platform={"os": "windows", "distribution": "", "arch": "amd64", "version": "10.0", "build": "19045"}, online=False),
    "dev-mac": dict(name="mac-1", platform={"os": "darwin", "distribution": "", "arch": "arm64", "version": "11.7", "build": ""}, online=True),
}


def _populate(srv):
    srv.state.add_user(ACCOUNT, "user-secret")
    for device_id, spec in DEVICES.items():
        srv.state.add_device(ACCOUNT, device_id, spec["name"], platform=spec["platform"], client_version="24.6.0",
                             online=spec["online"])


@pytest.fixture(params=["standin", "mock"])
def server(request, monkeypatch):
    """The stand-in (real client, real HTTP) or an in-memory mock of the client (comet_fake.FakeClient)."""
    if request.param == "standin":
        from comet_server import CometServerStandIn
        with CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, tls=False, port=0) as srv:
            _populate(srv)
            yield srv
        return
    from ansible_collections.unil.backup.plugins.module_utils import _comet_api
    import comet_fake  # pylint: disable=import-error

    srv = comet_fake.FakeServer()
    _populate(srv)
    fake = type("BoundFakeClient", (comet_fake.FakeClient,), {"server": srv, "error_class": _comet_api.CometApiError})
    # the modules that build their client themselves, and the device modules' shared run (_comet_device_module)
    for name in ("plugins.modules.comet_device", "plugins.modules.comet_exclusions", "plugins.modules.comet_info",
                 "plugins.module_utils._comet_device_module"):
        module = importlib.import_module("ansible_collections.unil.backup." + name)
        monkeypatch.setattr(module, "CometAdminClient", fake)
    yield srv


class Runner:
    def __init__(self, server, lock_dir, capsys):
        self.server = server
        self.lock_dir = lock_dir
        self.capsys = capsys

    def __call__(self, module_name, args, check_mode=False, diff=True):
        full = dict(server_url=self.server.url, admin_username=ADMIN, admin_password=ADMIN_PASSWORD,
                    lock_dir=str(self.lock_dir), _ansible_check_mode=check_mode, _ansible_diff=diff)
        full.update(args)
        out = run_in_process(self.capsys, module_name, full)
        result = json.loads(out)
        assert ADMIN_PASSWORD not in out, "the admin password leaked into the result"
        return result


@pytest.fixture
def run(server, tmp_path, capsys):
    return Runner(server, tmp_path / "locks", capsys)
