# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every inventory under inventories/ parses and passes the roles' preflight checks (no host, no server contacted).

A department's pull request that puts a bad value in its group_vars fails here with a message naming the variable.
Encrypted vault files are read with $ANSIBLE_VAULT_PASSWORD_FILE when CI provides one; a vault.yml in clear text may
only hold CHANGE-ME placeholders.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from playbook_runner import run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INVENTORIES = sorted(d for d in glob.glob(os.path.join(ROOT, "inventories", "*")) if os.path.isdir(d))
BIN = os.path.dirname(sys.executable)

PREFLIGHT = """
- name: Preflight of the roles for every host of the inventory (only variables are read)
  hosts: all
  gather_facts: false
  tasks:
    - name: Check the variables of each role against its argument specification
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ (lookup('ansible.builtin.file', roles_dir ~ '/' ~ item ~ '/meta/argument_specs.yml')
                           | from_yaml).argument_specs.main.options }}"
      loop: [comet_client, crashplan_removal]
      register: _specs
      failed_when: false

    - name: Report the variables that do not match a role's specification
      ansible.builtin.fail:
        msg: "{{ _errors | join(' | ') }}"
      vars:
        _errors: >-
          {%- set out = [] -%}
          {%- for r in _specs.results if r.argument_errors | default([]) or r.msg | default('') is search('failed') -%}
          {%-   set _ = out.append('unil.backup.' ~ r.item ~ ': ' ~ (r.argument_errors | default([r.msg]) | join('; '))) -%}
          {%- endfor -%}
          {{ out }}
      when: _errors | length > 0

    - name: Run the preflight of unil.backup.comet_config
      ansible.builtin.include_role:
        name: unil.backup.comet_config
        tasks_from: preflight
"""


def _env(tmp_path):
    demo = tmp_path / "demo-secrets"
    if not demo.exists():
        demo.mkdir(mode=0o700)
        for name, value in (("admin.pw", "x" * 20), ("user.pw", "y" * 20), ("server.port", "18060"),
                            ("container.prefix", "unil-demo-000000")):
            (demo / name).write_text(value + "\n")
    return dict(os.environ,
                PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
                ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"),
                ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
                UNIL_DEMO_DIR=str(demo))


def preflight(inventory, tmp_path):
    play = tmp_path / "preflight.yml"
    play.write_text(PREFLIGHT)
    return run_playbook("-i", inventory, str(play), "-e", "roles_dir=" + os.path.join(ROOT, "roles"), env=_env(tmp_path),
                        timeout=600)


def recap(output):
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            out[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return out


def test_there_are_inventories():
    names = [os.path.basename(d) for d in INVENTORIES]
    assert "demo" in names and "example" in names, names


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[os.path.basename(d) for d in INVENTORIES])
def test_inventory_parses(inventory, tmp_path):
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"], cwd=ROOT,
                          env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    data = json.loads(proc.stdout)
    hosts = data.get("_meta", {}).get("hostvars", {})
    assert hosts, "inventory %s has no host" % inventory
    print("%s: %d hosts, groups %s" % (os.path.basename(inventory), len(hosts), sorted(k for k in data if k != "_meta")))


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[os.path.basename(d) for d in INVENTORIES])
def test_inventory_passes_the_preflight(inventory, tmp_path):
    rc, out = preflight(inventory, tmp_path)
    assert rc == 0, out[-6000:]
    hosts = recap(out)
    assert hosts and all(v["failed"] == 0 and v["unreachable"] == 0 for v in hosts.values()), hosts


def _clear_text_secrets(path):
    """The values of a clear-text vault.yml that are not CHANGE-ME placeholders (an encrypted file has none)."""
    with open(path) as f:
        text = f.read()
    if text.startswith("$ANSIBLE_VAULT;"):
        return []
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        return ["<not a mapping>"]
    return sorted(k for k, v in data.items() if not (isinstance(v, str) and v.startswith("CHANGE-ME")))


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[os.path.basename(d) for d in INVENTORIES])
def test_vault_files_are_encrypted_or_placeholders(inventory):
    for path in glob.glob(os.path.join(inventory, "**", "vault.yml"), recursive=True):
        assert _clear_text_secrets(path) == [], (
            "%s is in clear text and holds real values: encrypt it with ansible-vault encrypt" % os.path.relpath(path, ROOT))


def test_a_clear_text_vault_with_a_real_password_is_refused(tmp_path):
    path = tmp_path / "vault.yml"
    path.write_text("vault_dept_x_password: hunter2-real\nvault_other: CHANGE-ME-later\n")
    assert _clear_text_secrets(str(path)) == ["vault_dept_x_password"]
    path.write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    assert _clear_text_secrets(str(path)) == []


# A department's bad value in group_vars/dept_chimie/main.yml, and what the failure must say.
BAD_VALUES = [
    ("schedule-time", {"comet_config_schedules": [{"frequency": "daily", "at": "25:00"}]},
     r"comet_config_schedules\[0\]\.at: '25:00' is not a time of day HH:MM"),
    ("schedule-frequency", {"comet_config_schedules": [{"frequency": "fortnightly"}]},
     r"comet_config_schedules\[0\]\.frequency: 'fortnightly' is not one of daily, hourly"),
    ("weekly-days", {"comet_config_schedules": [{"frequency": "weekly", "days": ["monday", "funday"], "at": "10:00"}]},
     r"comet_config_schedules\[0\]\.days: 'funday' is not a day \(sun, mon"),
    ("relative-folder", {"comet_config_folders": ["/home", "data"]},
     r"comet_config_folders: 'data' is not an absolute path"),
    ("random-delay", {"comet_config_random_delay": 99999},
     r"comet_config_random_delay: 99999 is not between 0 and 18000 seconds"),
    ("folders-mode", {"comet_config_folders_mode": "append"},
     r"comet_config_folders_mode"),
    ("installer-source", {"comet_client_installer_source": "floppy"},
     r"comet_client_installer_source must be one of"),
    ("server-url", {"comet_client_server_url": "cometbackup.unil.ch"},
     r"comet_config_server_url: must be an http:// or https:// URL .*\(a scheme is missing\)"),
    # a URL with credentials is refused without being shown (test below: the secret is nowhere in the output)
    ("server-url-credentials", {"comet_client_server_url": "http://admin:S3cr3t-in-url@cometbackup.unil.ch/"},
     r"comet_config_server_url: must not contain credentials \(user:password@, as in http://\*\*\*@cometbackup.unil.ch/\)"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case,values,message", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_a_bad_value_fails_with_a_clear_message(case, values, message, tmp_path):
    inventory = tmp_path / "example"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), str(inventory))
    main = inventory / "group_vars" / "dept_chimie" / "main.yml"
    data = yaml.safe_load(main.read_text())
    data.update(values)
    main.write_text(yaml.safe_dump(data))
    rc, out = preflight(str(inventory), tmp_path)
    assert rc != 0, out[-4000:]
    assert re.search(message, out), out[-4000:]
    assert "S3cr3t-in-url" not in out, "a secret in a variable was printed"
    hosts = recap(out)
    # Only the department's hosts fail (not one whose host_vars override that value); the others pass.
    overridden = set()
    for path in glob.glob(str(inventory / "host_vars" / "*.yml")):
        if set(values) & set(yaml.safe_load(open(path).read()) or {}):
            overridden.add(os.path.basename(path)[:-len(".yml")])
    assert all(hosts[h]["failed"] == 1 for h in hosts if h.startswith("chim-") and h not in overridden), hosts
    assert any(h.startswith("chim-") and h not in overridden for h in hosts), hosts
    assert all(hosts[h]["failed"] == 0 for h in hosts if h.startswith("geo-")), hosts
