# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/system_exclusions.yml (role comet_system_exclusions), run with ansible-playbook against the Comet Server
stand-in started here: the UNIL system-level exclusions in a policy with the right RestrictOS, idempotent, check and
diff mode without a write, unknown fields kept, bad input refused before any request."""
from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import default_system_exclusions
from comet_server.state import normalize_policy
from playbook_runner import ansible_env, run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = os.path.join(ROOT, "playbooks", "system_exclusions.yml")
ADMIN = "ansible-admin"
ADMIN_PASSWORD = "Adm1n-p4ss-never-printed"
RESTRICT_OS = {"any": 0, "windows": 1, "macos": 4, "linux": 5}
CORESPOTLIGHT = ".*/Library/Metadata/CoreSpotlight/.*"
DATAVAULTS = ".*/Library/Containers/com.apple.mail/Data/DataVaults(/.*)?"
MANDATORY = "FileAndFolderMandatoryExclusions"

# A policy as a real server would hand it back, with fields this collection does not know at every level.
UNIL_POLICY = {
    "Description": "UNIL",
    "OrganizationID": "",
    "DefaultUserPolicy": True,
    "CreatedDate": 1700000000,
    "ZZFutureGroupPolicyField": {"kept": True},
    "Policy": {
        "PreventDeleteProtectedItem": True,
        "RandomDelaySecs": 1800,
        "ZZFuturePolicyField": [1, 2, 3],
        MANDATORY: [
            {"Exclude": "/tmp/.*", "Regex": True, "RestrictOS": 5, "ZZFutureExclusionField": "kept"},
            {"Exclude": "C:/Users/*/hand-added", "Regex": False, "RestrictOS": 1},
        ],
    },
}
LABS_POLICY = {"Description": "Labs", "Policy": {}}
# ... and as the server stores it (typed: absent known fields at their zero value, unknown ones kept)
STORED_UNIL = normalize_policy(UNIL_POLICY)

pytestmark = pytest.mark.slow


@pytest.fixture
def server(comet_standin):
    """The stand-in with three policies, created through its fixture mechanism (what POST /_standin/fixture loads)."""
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.load_fixture({"policies": {"pol-unil": UNIL_POLICY, "pol-labs-1": LABS_POLICY, "pol-labs-2": LABS_POLICY}})
    return srv


def playbook(srv, tmp_path, extra, *options, inventory=None, connection_env=True):
    """ansible-playbook playbooks/system_exclusions.yml; the connection in the COMET_* environment (by default).
    Returns (rc, output)."""
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps(extra))
    env = dict((k, v) for k, v in ansible_env(tmp_path, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                                              TMPDIR=str(tmp_path)).items() if not k.startswith("COMET_"))
    if connection_env:
        env.update(COMET_SERVER_URL=srv.url, COMET_ADMIN_USERNAME=ADMIN, COMET_ADMIN_PASSWORD=ADMIN_PASSWORD)
    rc, out = run_playbook(PLAYBOOK, "-e", "@" + str(extra_file), *(["-i", str(inventory)] if inventory else []), *options,
                           env=env, timeout=600, label="system_exclusions.yml " + " ".join(options))
    assert ADMIN_PASSWORD not in out, "the admin password appears in the playbook output"
    return rc, out


def recap(output):
    match = re.search(r"^localhost\s+:\s+(.*)$", output.split("PLAY RECAP")[-1], re.M)
    assert match, output
    return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1)))


def summary(output):
    """The role's summary line (the debug message)."""
    match = re.search(r'"msg": "(Policy .*)"', output)
    assert match, output
    return match.group(1)


def entries(srv, policy_id="pol-unil"):
    return srv.state.get_policy(policy_id)["Policy"].get(MANDATORY) or []


def unil_entries(optional=()):
    return [{"Exclude": pattern, "Regex": True, "RestrictOS": RESTRICT_OS[level]}
            for level, patterns in default_system_exclusions(optional).items() for pattern in patterns]


def essential(stored):
    """The (Exclude, Regex, RestrictOS) of stored entries, as dicts (unknown fields left out)."""
    return [dict((k, entry[k]) for k in ("Exclude", "Regex", "RestrictOS")) for entry in stored]


def diff_changes(output):
    """(added, removed) entries of the --diff output: the lines on one side only, a trailing comma aside (a list's
    last element gains one when an element is added after it)."""
    def side(sign):
        return set(line[1:].strip().rstrip(",") for line in output.splitlines()
                   if line.startswith(sign) and not line.startswith(sign * 3))
    plus, minus = side("+"), side("-")
    return sorted(plus - minus), sorted(minus - plus)


def test_first_run_writes_the_unil_set_then_nothing(server, tmp_path):
    rc, out = playbook(server, tmp_path, {"comet_system_exclusions_policy_name": "UNIL"})
    assert rc == 0, out
    assert recap(out)["changed"] == 1 and recap(out)["failed"] == 0, out
    assert server.log_count(endpoint="policies/set") == 1
    assert server.log_count(endpoint="policies/list") == 1

    stored = entries(server)
    assert essential(stored) == unil_entries(), "the policy holds exactly the UNIL set, in order"
    counts = dict((level, len(patterns)) for level, patterns in default_system_exclusions().items())
    assert counts == {"any": 6, "windows": 40, "macos": 28, "linux": 1}
    # CoreSpotlight for macOS only; the two entries that look mistyped, byte-exact as the seed writes them
    assert {"Exclude": CORESPOTLIGHT, "Regex": True, "RestrictOS": 4} in stored
    assert [e["RestrictOS"] for e in stored if "CoreSpotlight" in e["Exclude"]] == [4]
    assert {"Exclude": ".*/(cookies|permissions).sqllite(-.{3})?", "Regex": True, "RestrictOS": 0} in stored
    assert [e["RestrictOS"] for e in stored if e["Exclude"] == ".*/lost\\ found/.*"] == [1, 4]
    assert {"Exclude": "/Users/.*/\\.DS_Store", "Regex": True, "RestrictOS": 4} in stored
    assert not any("DataVaults" in e["Exclude"] for e in stored)
    # exact: the hand-added glob is gone; the entry already there is kept as stored, with its unknown field
    assert not any(e["Exclude"] == "C:/Users/*/hand-added" for e in stored)
    assert {"Exclude": "/tmp/.*", "Regex": True, "RestrictOS": 5, "ZZFutureExclusionField": "kept"} in stored
    # every other field of the policy, known or not, as it was
    after = server.state.get_policy("pol-unil")
    before = json.loads(json.dumps(STORED_UNIL))
    del after["Policy"][MANDATORY], before["Policy"][MANDATORY]
    assert after == before
    assert summary(out) == ('Policy pol-unil \\"UNIL\\": 75 system-level exclusions (any 6, windows 40, macos 28, '
                            'linux 1; DataVaults not included, state exact) - changed.'), out

    policy_hash = server.state.policy_hash("pol-unil")
    rc, out = playbook(server, tmp_path, {"comet_system_exclusions_policy_name": "UNIL"})
    assert rc == 0, out
    assert recap(out)["changed"] == 0, out
    assert server.log_count(endpoint="policies/set") == 1, "the second run wrote the policy"
    assert server.state.policy_hash("pol-unil") == policy_hash
    assert summary(out).endswith("- already as wanted."), out


def test_check_diff_shows_the_change_without_writing(server, tmp_path):
    extra = {"comet_system_exclusions_policy_id": "pol-unil"}
    rc, out = playbook(server, tmp_path, extra)
    assert rc == 0, out
    writes = server.log_count(endpoint="policies/set")
    stored = server.state.get_policy("pol-unil")
    policy_hash = server.state.policy_hash("pol-unil")

    more = dict(extra, comet_system_exclusions_datavaults=True,
                comet_system_exclusions_extra_regexes={"linux": [".*/\\.cache/.*"], "any": ["(?i).*/node_modules/.*"]})
    # -vvv: the password is masked even in the module's arguments
    rc, out = playbook(server, tmp_path, more, "--check", "--diff", "-vvv")
    assert rc == 0, out
    assert recap(out)["changed"] == 1, out
    added, removed = diff_changes(out)
    assert added == ['"(?i).*/node_modules/.*"', '".*/Library/Containers/com.apple.mail/Data/DataVaults(/.*)?"',
                     '".*/\\\\.cache/.*"'], out
    assert removed == [], out
    assert "would be changed (check mode)" in summary(out) and "DataVaults included" in summary(out)
    assert server.log_count(endpoint="policies/set") == writes, "check mode wrote the policy"
    assert server.state.get_policy("pol-unil") == stored and server.state.policy_hash("pol-unil") == policy_hash

    rc, out = playbook(server, tmp_path, more, "--diff")
    assert rc == 0, out
    assert recap(out)["changed"] == 1 and server.log_count(endpoint="policies/set") == writes + 1
    now = entries(server)
    assert {"Exclude": DATAVAULTS, "Regex": True, "RestrictOS": 4} in now
    assert {"Exclude": ".*/\\.cache/.*", "Regex": True, "RestrictOS": 5} in now
    assert {"Exclude": "(?i).*/node_modules/.*", "Regex": True, "RestrictOS": 0} in now
    assert "macos 29" in summary(out) and "linux 2" in summary(out) and "any 7" in summary(out)

    # exact: without the optional set and the extras, they go again
    rc, out = playbook(server, tmp_path, extra, "--check", "--diff")
    assert rc == 0, out
    added, removed = diff_changes(out)
    assert added == [] and len(removed) == 3 and any("DataVaults" in line for line in removed), out
    assert server.log_count(endpoint="policies/set") == writes + 1
    rc, out = playbook(server, tmp_path, extra)
    assert rc == 0, out
    assert essential(entries(server)) == unil_entries()


def test_connection_from_the_inventory_and_state_present(server, tmp_path):
    """The comet_client_* connection of the inventory's group_vars/all (as comet_config reads it), for localhost."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"linux": {"hosts": {"lab-pc-01": None}}}}}))
    (inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump({
        "comet_client_server_url": server.url, "comet_client_admin_username": ADMIN,
        "comet_client_admin_password": "{{ vault_comet_admin_password }}"}))
    vault = inventory / "group_vars" / "all" / "vault.yml"
    vault.write_text(yaml.safe_dump({"vault_comet_admin_password": ADMIN_PASSWORD}))
    vault.chmod(0o600)
    rc, out = playbook(server, tmp_path, {"comet_system_exclusions_policy_id": "pol-unil",
                                          "comet_system_exclusions_state": "present"},
                       inventory=inventory, connection_env=False)
    assert rc == 0, out
    assert "lab-pc-01" not in out, "a host of the inventory was contacted"
    stored = entries(server)
    # present: the hand-added glob stays, the UNIL set is added after what was there
    assert stored[:2] == STORED_UNIL["Policy"][MANDATORY]
    assert essential(stored[2:]) == [e for e in unil_entries() if e["Exclude"] != "/tmp/.*"]


def test_ambiguous_or_unknown_policy_name_fails_without_a_write(server, tmp_path):
    rc, out = playbook(server, tmp_path, {"comet_system_exclusions_policy_name": "Labs"})
    assert rc != 0, out
    assert "policy_name: 2 policies are named 'Labs' (IDs pol-labs-1, pol-labs-2): give policy_id instead" in out, out
    rc, out = playbook(server, tmp_path, {"comet_system_exclusions_policy_name": "unil"})
    assert rc != 0, out
    assert "no policy is named 'unil'; differing only in case" in out and "(ID pol-unil)" in out, out
    rc, out = playbook(server, tmp_path, {"comet_system_exclusions_policy_id": "pol-missing"})
    assert rc != 0 and "policies/get" in out, out
    assert server.log_count(endpoint="policies/set") == 0
    assert server.state.get_policy("pol-unil") == STORED_UNIL


@pytest.mark.parametrize("extra,expected", [
    # the preflight: every problem at once
    ({"comet_system_exclusions_extra_regexes": {"linux": ["(?i).*/ok/.*", ".*(?=\\.tmp)"], "windows": ["(a)\\1"],
                                                "macos": "/tmp/x"},
      "comet_system_exclusions_server_url": "https://user:pw@comet.example/"},
     ["comet_system_exclusions_policy_id and comet_system_exclusions_policy_name are both empty",
      "comet_system_exclusions_extra_regexes.linux: '.*(?=\\\\\\\\.tmp)' is not a valid regular expression for RE2",
      "lookahead (?=...) is not supported", "comet_system_exclusions_extra_regexes.windows: '(a)\\\\\\\\1'",
      "backreference", "comet_system_exclusions_extra_regexes.macos: must be a list of regular expressions",
      "comet_system_exclusions_server_url: must not contain credentials (user:password@, as in https://***@comet.example/)"]),
    ({"comet_system_exclusions_policy_id": "pol-unil", "comet_system_exclusions_policy_name": "UNIL",
      "comet_system_exclusions_api_timeout": 0},
     ['comet_system_exclusions_policy_id (\\"pol-unil\\") and comet_system_exclusions_policy_name (\\"UNIL\\") are both set',
      "comet_system_exclusions_api_timeout: 0 is not between 1 and 3600 seconds"]),
    # the role's argument specification, before the preflight
    ({"comet_system_exclusions_policy_name": "UNIL", "comet_system_exclusions_extra_regexes": {"mac": [".*/x"]},
      "comet_system_exclusions_state": "absent"},
     ["comet_system_exclusions_extra_regexes.mac. Supported parameters include: any, linux, macos, windows",
      "comet_system_exclusions_state", "present, exact"]),
], ids=["preflight", "id-and-name", "argument-spec"])
def test_bad_input_fails_before_any_request(server, tmp_path, extra, expected):
    rc, out = playbook(server, tmp_path, extra)
    assert rc != 0, out
    for text in expected:
        assert text in out, "%r not in:\n%s" % (text, out)
    assert "(?i).*/ok/.*" not in out.split("FAILED!")[-1], "a valid regex is not reported:\n" + out
    assert "user:pw" not in out
    assert server.log == [], "the server was called before the input was checked"
    assert server.state.get_policy("pol-unil") == STORED_UNIL


PREFLIGHT_PLAY = """
- name: The preflight of unil.backup.comet_system_exclusions, alone
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Preflight
      ansible.builtin.include_role:
        name: unil.backup.comet_system_exclusions
        tasks_from: preflight
"""


def test_preflight_entry_point_needs_no_server(server, tmp_path):
    """For CI on an inventory: the checks alone, against its own argument specification; nothing is called."""
    play = tmp_path / "preflight.yml"
    play.write_text(PREFLIGHT_PLAY)
    good = {"comet_system_exclusions_policy_name": "UNIL", "comet_system_exclusions_extra_regexes": {"linux": ["/srv/tmp/.*"]}}
    bad = dict(good, comet_system_exclusions_extra_regexes={"linux": ["a{1001}"]})
    outputs = []
    for extra in (good, bad):
        outputs.append(run_playbook(str(play), "-e", json.dumps(extra), tmp_path=tmp_path, timeout=300, ANSIBLE_LOCALHOST_WARNING="0",
                                    ANSIBLE_INVENTORY_UNPARSED_WARNING="0", COMET_SERVER_URL=server.url,
                                    COMET_ADMIN_USERNAME=ADMIN, COMET_ADMIN_PASSWORD=ADMIN_PASSWORD))
    assert outputs[0][0] == 0, outputs[0][1]
    assert outputs[1][0] != 0 and "comet_system_exclusions_extra_regexes.linux: 'a{1001}'" in outputs[1][1]
    assert server.log == []
