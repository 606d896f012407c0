# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 22, hostile input third pass, through real ansible-playbook against the Comet Server stand-in: the roles
refuse, before any call, naming the variable and what to write - fleet_report_prometheus_path relative, a directory
or without .prom, fleet_report_min_client_version 24.6garbage; comet_config's unquoted `at: 22:30` (YAML's 1350), a
NUL in a regex - and the stand-in's log shows no call (no write)."""
from __future__ import annotations

import os
import sys

import pytest
import yaml

ADMIN = "h11-admin"
ADMIN_PASSWORD = "H11-admin-pw-never-printed"
ACCOUNT = "lab-h11"
LINUX = {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""}

pytestmark = pytest.mark.slow

FLEET_PLAY = """
- name: The fleet report
  hosts: localhost
  gather_facts: false
  roles:
    - role: unil.backup.fleet_report
"""

# written as an inventory author writes it: the time unquoted (YAML 1.1 reads 22:30 as 1350)
CONFIG_PLAY = """
- name: The host's Comet settings
  hosts: lab
  gather_facts: false
  vars:
    comet_config_schedules:
      - frequency: daily
        at: 22:30
  roles:
    - role: unil.backup.comet_config
"""


@pytest.fixture
def server(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "user-pw-h11")
    srv.state.add_device(ACCOUNT, "dev-h11", "pc-h11", platform=LINUX, client_version="24.6.0", online=False)
    return srv


def run(server, tmp_path, run_playbook, play, extra):
    connection = tmp_path / "connection.yml"
    fd = os.open(str(connection), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump({"fleet_report_server_url": server.url, "fleet_report_admin_username": ADMIN,
                        "fleet_report_admin_password": ADMIN_PASSWORD, "comet_config_server_url": server.url,
                        "comet_config_admin_username": ADMIN, "comet_config_admin_password": ADMIN_PASSWORD}, f)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}},
        "lab": {"hosts": {"pc-h11": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                                     "comet_config_account": ACCOUNT, "comet_config_device_id": "dev-h11"}}}}))
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "extra.yml").write_text(yaml.safe_dump(extra))
    server.reset_log()
    rc, output = run_playbook("-i", str(inventory), "-e", "@" + str(connection), "-e", "@" + str(tmp_path / "extra.yml"),
                              str(tmp_path / "play.yml"), cwd=tmp_path, timeout=300, clear_comet=True,
                              ANSIBLE_LOCALHOST_WARNING="0")
    assert ADMIN_PASSWORD not in output
    return rc, output


@pytest.mark.parametrize("extra, message", [
    ({"fleet_report_prometheus_path": "rel-metrics.prom"},
     "fleet_report_prometheus_path must be an absolute path (the textfile collector's folder), not relative to the "
     "playbook's working directory: write e.g. /var/lib/prometheus/node-exporter/rel-metrics.prom"),
    ({"fleet_report_prometheus_path": "<tmp>"}, "fleet_report_prometheus_path is a directory: write the file's path in it"),
    ({"fleet_report_prometheus_path": "<tmp>/metrics.txt"}, "fleet_report_prometheus_path must end in .prom"),
    ({"fleet_report_min_client_version": "24.6garbage"},
     "fleet_report_min_client_version: '24.6garbage' is not a version like 24.6.0"),
])
def test_the_fleet_report_refuses_before_any_call(server, tmp_path, run_playbook, extra, message):
    extra = dict((k, v.replace("<tmp>", str(tmp_path))) for k, v in extra.items())
    extra.update(fleet_report_dir=str(tmp_path / "reports"), fleet_report_formats=["json", "prometheus"])
    rc, output = run(server, tmp_path, run_playbook, FLEET_PLAY, extra)
    assert rc != 0, output
    assert message in output, output
    assert server.log == [], "the refused run called the server: %r" % server.log
    assert not (tmp_path / "rel-metrics.prom").exists() and not (tmp_path / "reports").exists()


@pytest.mark.parametrize("extra, message", [
    ({}, "write '22:30' in quotes"),
    ({"comet_config_schedules": [{"frequency": "daily", "at": "22:30"}], "comet_config_exclude_regexes": ["^/tmp\0x"]},
     "comet_config_exclude_regexes: regular expression '^/tmp\\x00x' contains the control character U+0000: write it "
     "as the escape \\x00"),
])
def test_comet_config_refuses_before_any_write(server, tmp_path, run_playbook, extra, message):
    rc, output = run(server, tmp_path, run_playbook, CONFIG_PLAY, extra)
    assert rc != 0, output
    assert message in output, output
    writes = [e for e in server.log if e["endpoint"] in ("set-user-profile-hash", "set-user-profile")]
    assert writes == [], writes
