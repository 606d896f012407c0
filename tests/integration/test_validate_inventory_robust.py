# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/validate_inventory.py never raises (issue 22): whatever an inventory's files hold - random YAML, binary
or empty files, aliases, numbers where names go, broken vault data - each problem is one error line naming its
file or host, the other inventories and hosts are still checked, and no traceback is printed. Also: an exception in
one host's checks is one line (its first line only), and 2,000 hosts validate (the time is printed, not asserted)."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "validate_inventory.py")
EXAMPLE = os.path.join(ROOT, "inventories", "example")
SEEDS = range(12)
NAMES = ("comet_config_folders", "comet_config_device_name", "comet_config_device_id", "comet_client_username",
         "comet_client_password", "commet_config_folders", "Comet_config_account", "comet_config_schedules",
         "fleet_report_fail_on", "crashplan_removal_archives", "ansible_user", "x", "0042", "all", "hosts", "vars",
         "children", "<<")
SCALARS = ("0042", "1e3", "~", "yes", "'{{ broken'", "\"\\u0000\"", "-", "[", "{", "*nowhere", "&a x", "!vault |",
           "!vault '$ANSIBLE_VAULT;1.1;AES256\\n00'", "!!binary aGk=", "!!python/object:os.system x", "2001-01-01",
           "12:30:00", ".nan", "|\n  text", "? complex\n: key", "'\u200b'", "C:\\\\Data")


def run(*args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, SCRIPT] + list(args), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


VALUES = (None, 0, 42, -1, 3.5, True, "", "0042", "{{ vault_x }}", "CHANGE-ME", "/home", "C:/Data", "*.iso", "(?!x)",
          "https://cometbackup.unil.ch:99999/", "lab-01", " lead", "\u200b", "a" * 300, "\x00")
SECRET = "S3cr3t-fuzz"  # only ever the value of a secret-named variable (other values may be printed in errors)


def _value(rng, depth=0):
    """A random Python value for yaml.safe_dump: what a valid YAML file may hold, with wrong types and names."""
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice(VALUES)
    if roll < 0.75:
        return [_value(rng, depth + 1) for dummy in range(rng.randint(0, 3))]
    return dict(_pair(rng, depth + 1, NAMES + VALUES[1:6]) for dummy in range(rng.randint(0, 4)))


def _pair(rng, depth, names=NAMES):
    key = rng.choice(names)
    if key == "comet_client_password" and rng.random() < 0.7:
        return key, rng.choice((SECRET, [SECRET], {"a": SECRET}))
    return key, _value(rng, depth)


def _yaml(rng, depth=0):
    """Random YAML text: valid documents of odd values half the time, else mappings, lists and odd scalars written
    by hand, sometimes broken."""
    if depth == 0 and rng.random() < 0.5:
        return yaml.safe_dump(dict(_pair(rng, 0) for dummy in range(rng.randint(0, 6)))
                              if rng.random() < 0.8 else _value(rng), allow_unicode=rng.random() < 0.5)
    pad = "  " * depth
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(SCALARS)
    lines = []
    for dummy in range(rng.randint(0, 5)):
        key = rng.choice(NAMES)
        if rng.random() < 0.5:
            lines.append("%s%s:\n%s" % (pad, key, _yaml(rng, depth + 1)))
        else:
            lines.append("%s- %s" % (pad, rng.choice(SCALARS) if rng.random() < 0.5 else key))
    return "\n".join(lines) if lines else pad + "{}"


def _hosts(rng):
    """A hosts.yml: the example's shape with random names (all digits, case twins), or garbage."""
    if rng.random() < 0.2:
        return _yaml(rng)
    if rng.random() < 0.25:
        return yaml.safe_dump({"all": {"children": {"dept_x": {"hosts": dict(
            (rng.choice(("h1", "H1", "0042", "lab-02")), _value(rng, 2)) for dummy in range(3)),
            "vars": _value(rng, 2)}, "linux": {"children": {"dept_x": None}}}}})
    names = [rng.choice(("0042", "42", "Lab-01", "lab-01", "a" * 300, "h%d" % n, "\u00e9t\u00e9", "-", "[x]"))
             for n in range(rng.randint(0, 6))]
    host_vars = ("", " {comet_config_device_name: 0042}", " [1, 2]", " {comet_config_device_id: same}")
    body = "".join("        %s:%s\n" % (n, rng.choice(host_vars)) for n in names)
    return "all:\n  children:\n    dept_x:\n      hosts:\n%s    linux:\n      children:\n        dept_x:\n" % body


def _fuzz(inventory, seed):
    rng = random.Random(seed)
    os.makedirs(os.path.join(inventory, "group_vars", "dept_x"))
    os.makedirs(os.path.join(inventory, "host_vars"))
    files = {
        "hosts.yml": _hosts(rng),
        "group_vars/all.yml": "anchor: &shared {a: 1}\nalias: *shared\n" + _yaml(rng),
        "group_vars/dept_x/main.yml": _yaml(rng),
        "group_vars/dept_x/vault.yml": rng.choice(("$ANSIBLE_VAULT;1.1;AES256\nzz\n", "$ANSIBLE_VAULT;9;ROT13\n",
                                                   "$ANSIBLE_VAULT;1.1;AES256\n" + "30" * 40 + "\n", "")),
        "group_vars/empty.yml": "",
        "host_vars/0042.yml": "comet_config_device_name: 0042\n" + _yaml(rng),
        "host_vars/nobody.yml": _yaml(rng),
        "group_vars/dept_x/loop.yml": "a: &loop [*loop]\n" if rng.random() < 0.5 else "a: &l {b: *l}\n",
        "notes.json": "{\"all\": [1, {\"x\": null}]}",
    }
    for rel, text in files.items():
        with open(os.path.join(inventory, rel), "w", encoding="utf-8") as handle:
            handle.write(text)
    # binary files where Ansible reads YAML, and a deep nesting
    with open(os.path.join(inventory, "group_vars", "dept_x", "blob.yml"), "wb") as handle:
        handle.write(bytes(rng.randrange(256) for dummy in range(512)))
    with open(os.path.join(inventory, "host_vars", "deep.yml"), "w", encoding="utf-8") as handle:
        handle.write("deep: " + "[" * 600 + "]" * 600 + "\n")


def test_a_fuzzed_corpus_is_reported_never_raised(tmp_path):
    inventories = []
    for seed in SEEDS:
        inventory = str(tmp_path / ("fuzz-%02d" % seed))
        _fuzz(inventory, seed)
        inventories.append(inventory)
    good = str(tmp_path / "good")
    shutil.copytree(EXAMPLE, good)
    proc = run("--json", *(inventories + [good]))
    text = run(*(inventories + [good]))
    for out in (proc, text):
        assert out.returncode == 1, out.stdout[-3000:] + out.stderr[-3000:]
        assert "Traceback" not in out.stdout + out.stderr, out.stderr[-5000:]
        assert SECRET not in out.stdout + out.stderr
    report = json.loads(proc.stdout)
    for inventory in inventories:
        errors = report[inventory]
        assert errors, inventory
        # the binary file is named, whatever else the inventory holds: one file's problem does not hide another's
        assert any(e["file"] == "group_vars/dept_x/blob.yml" and "not UTF-8" in e["message"] for e in errors), errors
        assert all(e["message"] and "\n" not in e["message"] for e in errors), errors
    assert report[good] == []
    assert "OK %s: 8 hosts" % good in text.stdout
    print("fuzzed inventories: %d, errors: %d" % (len(inventories), sum(len(report[i]) for i in inventories)))


def test_an_exception_in_one_hosts_checks_is_one_line_and_the_rest_is_checked(tmp_path):
    """A bug in a check is reported against the host (first line of the message only) and the others go on."""
    code = ("import sys, runpy; sys.path.insert(0, %r); import validate_inventory as v\n"
            "original = v.Validator.check_values\n"
            "def check_values(self, host, hv, os_name):\n"
            "    if host == 'chim-lin-01.unil.ch':\n"
            "        raise RuntimeError('boom in a check\\nS3cr3t-second-line')\n"
            "    return original(self, host, hv, os_name)\n"
            "v.Validator.check_values = check_values\n"
            "sys.exit(v.main(sys.argv[1:]))\n" % os.path.join(ROOT, "scripts"))
    inventory = str(tmp_path / "site")
    shutil.copytree(os.path.join(ROOT, "tests", "integration", "fixtures", "bad_inventories", "misspelled-account"),
                    inventory)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-c", code, "--json", inventory], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    errors = json.loads(proc.stdout)[inventory]
    assert {"file": None, "where": "host chim-lin-01.unil.ch", "var": None, "hosts": ["chim-lin-01.unil.ch"],
            "message": "could not be checked (RuntimeError: boom in a check)"} in errors
    assert any(e["var"] == "comet_config_acount" for e in errors), errors  # the other checks still ran
    assert "S3cr3t" not in proc.stdout + proc.stderr


def _fleet(inventory, hosts, departments=20):
    os.makedirs(os.path.join(inventory, "group_vars", "all"))
    lines = ["all:", "  children:", "    linux:", "      children:"]
    lines += ["        dept_d%02d:" % d for d in range(departments)]
    for d in range(departments):
        lines += ["    dept_d%02d:" % d, "      hosts:"]
        lines += ["        d%02d-lin-%04d.unil.ch:" % (d, n) for n in range(d, hosts, departments)]
        os.makedirs(os.path.join(inventory, "group_vars", "dept_d%02d" % d))
        with open(os.path.join(inventory, "group_vars", "dept_d%02d" % d, "main.yml"), "w", encoding="utf-8") as handle:
            handle.write("---\ncomet_client_username: dept-d%02d\ncomet_client_password: \"{{ vault_d%02d }}\"\n"
                         "comet_config_folders: [/home, /data]\ncomet_config_exclude_globs: ['*.iso']\n" % (d, d))
    with open(os.path.join(inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(os.path.join(inventory, "group_vars", "all", "main.yml"), "w", encoding="utf-8") as handle:
        handle.write("---\ncomet_client_server_url: https://cometbackup.unil.ch/\ncomet_config_schedules:\n"
                     "  - frequency: daily\n    at: \"12:00\"\ncomet_config_random_delay: 1800\n")


def test_two_thousand_hosts_validate(tmp_path):
    inventory = str(tmp_path / "fleet")
    _fleet(inventory, 2000)
    start = time.monotonic()
    proc = run("--timing", inventory)
    print("validate_inventory: 2000 hosts in %.1f s (wall, with the interpreter's start)" % (time.monotonic() - start))
    print(proc.stdout.splitlines()[-1])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "OK %s: 2000 hosts" % inventory in proc.stdout
    assert "TIME %s: 2000 hosts in " % inventory in proc.stdout
