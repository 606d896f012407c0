# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/validate_inventory.py (make validate-inventory): every mistake of the corpus under
fixtures/bad_inventories/ (one mistake per copy of the example's shape) is named with its file, host or group and
variable, secrets are never printed, and the inventories under inventories/ pass. Also: the AWX execution environment
file parses and names files that exist."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "validate_inventory.py")
CORPUS = os.path.join(os.path.dirname(__file__), "fixtures", "bad_inventories")
CHIMIE = "group_vars/dept_chimie/main.yml"
BOTH = ["chim-lin-01.unil.ch", "chim-lin-02.unil.ch"]
SECRET = r"a secret in clear text \(value not shown\)"

# case: [(file in the inventory or None, where, variable, message regex, hosts or None)], the complete list of errors
EXPECTED = {
    "misspelled-account": [(CHIMIE, "group dept_chimie", "comet_config_acount",
                            r"unknown variable .*; did you mean comet_config_account\?$", None)],
    "misspelled-folders": [(CHIMIE, "group dept_chimie", "comet_config_folder",
                            r"unknown variable .*; did you mean comet_config_folders\?$", None)],
    "unknown-variable": [("group_vars/dept_lettres/main.yml", "group dept_lettres", "comet_colour",
                          r"^unknown variable of unil.backup", None)],
    "windows-host-in-linux-department": [
        (None, "host chim-win-03.unil.ch", None, r"is in the groups windows and linux: a host runs one OS", None),
        (CHIMIE, "group dept_chimie", "comet_config_exclude_globs",
         r"'/data/scratch' is neither an absolute windows path", ["chim-win-03.unil.ch"]),
        (CHIMIE, "group dept_chimie", "comet_config_folders", r"'/data' is not a Windows path", ["chim-win-03.unil.ch"]),
        (CHIMIE, "group dept_chimie", "comet_config_folders", r"'/home' is not a Windows path", ["chim-win-03.unil.ch"]),
    ],
    "windows-path-for-linux-department": [(CHIMIE, "group dept_chimie", "comet_config_folders",
                                           r"'D:/Data' is a Windows path but the device runs linux", BOTH)],
    "plaintext-password-in-main": [(CHIMIE, "group dept_chimie", "comet_client_password", SECRET, None)],
    "plaintext-password-in-secrets-file": [("group_vars/dept_chimie/secrets.yml", "group dept_chimie",
                                            "comet_client_password", SECRET, None)],
    "clear-text-vault-file": [("group_vars/dept_chimie/vault.yml", "group dept_chimie", "vault_dept_chimie_password",
                               SECRET, None)],
    "plaintext-password-in-hosts-file": [("hosts.yml", "host chim-lin-02.unil.ch", "crashplan_removal_server_password",
                                          SECRET, None)],
    "plaintext-connection-password": [("group_vars/windows.yml", "group windows", "ansible_password", SECRET, None)],
    "host-in-two-departments": [(None, "host chim-lin-02.unil.ch", None,
                                 r"is in 2 department groups \(dept_\*\): it must be in exactly one \(dept_chimie, "
                                 r"dept_lettres\)", None)],
    "host-in-no-department": [
        (None, "host chim-lin-09.unil.ch", None, r"is in no department group \(dept_\*\)", None),
        (None, "host chim-lin-09.unil.ch", "comet_client_username", r"no Comet account", None),
    ],
    "duplicate-device-name": [
        (None, "host chim-lin-01.unil.ch", None,
         r"device name 'chim-lin-01' \(the host's short name\) is also that of chim-lin-02.unil.ch in account "
         r"'dept-chimie'", None),
        ("host_vars/chim-lin-02.unil.ch.yml", "host chim-lin-02.unil.ch", "comet_config_device_name",
         r"device name 'chim-lin-01' is also that of chim-lin-01.unil.ch in account 'dept-chimie'", None),
    ],
    "no-account": [(None, "host %s" % h, "comet_client_username", r"no Comet account", None)
                   for h in ("lett-mac-01.unil.ch", "lett-win-01.unil.ch")],
    "two-accounts": [("host_vars/chim-lin-02.unil.ch.yml", "host chim-lin-02.unil.ch", "comet_config_account",
                      r"is 'dept-geosciences' but comet_client_username is 'dept-chimie': a host has one account", None)],
    "regex-does-not-compile": [(CHIMIE, "group dept_chimie", "comet_config_exclude_regexes",
                                r"'\.\*/\(scratch\|tmp/\.\*' is not a valid regular expression|"
                                r"invalid regular expression '\.\*/\(scratch\|tmp/\.\*'", BOTH)],
    "regex-lookahead-re2": [(CHIMIE, "group dept_chimie", "comet_config_exclude_regexes",
                             r"'\^/data/\(\?!keep/\)\.\*\\\\\.tmp\$' is not a valid regular expression for RE2.*"
                             r"lookahead", BOTH)],
    "system-regex-backreference-re2": [("group_vars/all/main.yml", "group all", "comet_system_exclusions_extra_regexes",
                                        r"^linux: '\.\*/\(build\)/\\\\1/\.\*' is not a valid regular expression for "
                                        r"RE2.*backreference", ["chim-lin-01.unil.ch", "chim-lin-02.unil.ch",
                                                                "lett-mac-01.unil.ch", "lett-win-01.unil.ch"])],
    "glob-not-absolute": [(CHIMIE, "group dept_chimie", "comet_config_exclude_globs",
                           r"'data/scratch' is neither an absolute linux path", BOTH)],
    "periodic-every-10s": [(CHIMIE, "group dept_chimie", "comet_config_schedules",
                            r"\[0\]\.every: the period must be between 1m and 366d", BOTH)],
    "schedule-time-25h": [(CHIMIE, "group dept_chimie", "comet_config_schedules",
                           r"\[0\]\.at: '25:00' is not a time of day HH:MM", BOTH)],
    "random-delay-out-of-range": [(CHIMIE, "group dept_chimie", "comet_config_random_delay",
                                   r"99999 is not between 0 and 18000 seconds", BOTH)],
    "wrong-type-bool": [(CHIMIE, "group dept_chimie", "comet_config_run_on_boot",
                         r"unable to convert to bool: The value 'sometimes' is not a valid boolean", BOTH)],
    "choice-folders-mode": [(CHIMIE, "group dept_chimie", "comet_config_folders_mode",
                             r"must be one of: replace, merge, got: append", BOTH)],
    "device-name-leading-space": [("host_vars/chim-lin-02.unil.ch.yml", "host chim-lin-02.unil.ch",
                                   "comet_config_device_name", r"must not start or end with white space", None)],
    "url-with-credentials": [("group_vars/all/main.yml", "group all", "comet_client_server_url",
                              r"must not contain credentials .*\(its value is not shown", None)],
    # issue 22: what the validator crashed on, or missed
    "alias-to-another-file": [("host_vars/chim-lin-02.unil.ch", "host chim-lin-02.unil.ch", None,
                               r"^not valid YAML \(line 3\): found undefined alias 'chemistry_name' - an alias \(\*name\) "
                               r"only refers to an anchor \(&name\) of the same file: write the value here", None)],
    "device-name-all-digits": [("host_vars/chim-lin-02.unil.ch.yml", "host chim-lin-02.unil.ch",
                                "comet_config_device_name", r"^YAML reads 0042 as the number 34, not as text: quote it "
                                r"\(comet_config_device_name: \"0042\"\)$", None)],
    "device-id-at-group-level": [(CHIMIE, "group dept_chimie", "comet_config_device_id",
                                  r"^one Comet device ID for the 2 hosts of a group: they would write one device.*set "
                                  r"comet_config_device_id per host \(host_vars/<host>.yml\)", BOTH)],
    "client-device-id-in-inventory": [
        (CHIMIE, "group dept_chimie", "comet_client_device_id",
         r"^is the fact comet_client sets from the machine .*: remove it; to name one host's device, set "
         r"comet_config_device_id in host_vars/<host>.yml$", None),
        (CHIMIE, "group dept_chimie", "comet_client_device_id", r"^one Comet device ID for the 2 hosts of a group", BOTH),
    ],
    "host-twice-by-case": [("hosts.yml", "host CHIM-LIN-01.unil.ch", None,
                            r"^is in the inventory under 2 spellings differing only by case \(CHIM-LIN-01.unil.ch, "
                            r"chim-lin-01.unil.ch\).*write one spelling everywhere, in lower case \(chim-lin-01.unil.ch\)$",
                            ["CHIM-LIN-01.unil.ch", "chim-lin-01.unil.ch"])],
    # the deliberately broken files have no extension (Ansible reads them all the same; ansible-test's yamllint,
    # which checks .yml files, does not refuse the repository for them)
    "vault-file-invalid-content": [("group_vars/dept_chimie/vault", "group dept_chimie", None,
                                    r"^a vault file that Ansible cannot decrypt: .*; encrypt the clear text again "
                                    r"\(ansible-vault encrypt group_vars/dept_chimie/vault\)$", None)],
    "inline-vault-invalid": [(CHIMIE, "group dept_chimie", "comet_client_password",
                              r"^an inline !vault value that Ansible cannot decrypt: .*; encrypt it again "
                              r"\(ansible-vault encrypt_string --name comet_client_password\)$", None)],
    "duplicate-key-in-vars-file": [("group_vars/dept_chimie/main", "group dept_chimie", "comet_config_folders",
                                    r"^the key 'comet_config_folders' is written twice \(lines 4 and 8\): YAML keeps the "
                                    r"last one and loses the first; write it once$", None)],
    "duplicate-key-in-hosts-file": [("hosts", "host chim-lin-01.unil.ch", None,
                                     r"^the key 'chim-lin-01.unil.ch' is written twice \(lines 16 and 18\)", None)],
    "host-vars-of-unknown-host": [
        ("host_vars/CHIM-LIN-02.unil.ch.yml", "host CHIM-LIN-02.unil.ch", None,
         r"^host_vars of a host that is not in the inventory: its variables are never read; name it after the host "
         r"chim-lin-02.unil.ch \(host_vars/chim-lin-02.unil.ch.yml\)$", None),
        ("host_vars/phys-lin-07.unil.ch.yml", "host phys-lin-07.unil.ch", None,
         r"^host_vars of a host that is not in the inventory: .*add the host to the inventory, or remove the file$",
         None),
    ],
    "group-key-misspelt": [("hosts.yml", "group windows", None,
                            r"^the key 'hots' is not one of a group's: Ansible skips it and what it holds; write hosts$",
                            None)],
    "misspelt-prefix": [(CHIMIE, "group dept_chimie", "commet_config_run_on_boot",
                         r"^not a variable of unil.backup as written \(no role reads it\): write "
                         r"comet_config_run_on_boot$", None)],
    "misspelt-prefix-case": [(CHIMIE, "group dept_chimie", "Comet_config_random_delay",
                              r"^unil.backup's variables are written in lower case: no role reads this one; write "
                              r"comet_config_random_delay$", None)],
}
# A rule that depends on a check of the shared code (RE2 dialect in _comet_exclusions.check_regex): the case is an
# expected failure while that check accepts the regex, and must be named once it refuses it.
PENDING = {
    "regex-lookahead-re2": "Comet's RE2 refuses lookaheads; check_regex (comet_exclusions) still compiles with "
                           "Python's re, which accepts them",
}
SECRETS = ("S3cr3t", "hunter2")


def run(*args, **kwargs):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, SCRIPT] + list(args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300, check=False, **kwargs)


@pytest.fixture(scope="module")
def corpus():
    """One run on every case, in JSON and in text: {case: errors}, text output, exit status."""
    cases = sorted(os.listdir(CORPUS))
    paths = [os.path.join(CORPUS, c) for c in cases]
    proc = run("--json", *paths)
    report = json.loads(proc.stdout)
    text = run(*[os.path.join(CORPUS, c) for c in ("misspelled-account", "periodic-every-10s", "url-with-credentials",
                                                   "plaintext-password-in-main", "plaintext-password-in-secrets-file")])
    by_case = dict((os.path.basename(k), v) for k, v in report.items())
    return by_case, proc, text


def test_every_case_of_the_corpus_is_expected():
    assert sorted(os.listdir(CORPUS)) == sorted(EXPECTED)
    assert len(EXPECTED) >= 39


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_mistake_is_named(case, corpus):
    by_case, dummy, dummy2 = corpus
    errors = by_case[case]
    if case in PENDING and not errors:
        pytest.xfail(PENDING[case])
    expected = EXPECTED[case]
    got = [(e["file"], e["where"], e["var"]) for e in errors]
    assert got == [(f, w, v) for f, w, v, dummy, dummy2 in expected], json.dumps(errors, indent=1)
    for error, (dummy, dummy2, dummy3, message, hosts) in zip(errors, expected):
        assert re.search(message, error["message"]), error
        if hosts is not None:
            assert error["hosts"] == hosts, error


def test_the_run_fails_and_names_everything_in_text(corpus):
    dummy, proc, text = corpus
    assert proc.returncode == 1 and text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert any(line.startswith("ERROR tests/integration/fixtures/bad_inventories/misspelled-account/"
                               "group_vars/dept_chimie/main.yml: group dept_chimie: comet_config_acount: ")
               for line in lines), text.stdout
    assert "FAILED tests/integration/fixtures/bad_inventories/periodic-every-10s: 1 error" in lines


def test_no_secret_is_ever_printed(corpus):
    dummy, proc, text = corpus
    for out in (proc.stdout, proc.stderr, text.stdout, text.stderr):
        for secret in SECRETS:
            assert secret not in out, "a secret value was printed"
    # the corpus does hold them: the check above is not vacuous
    held = subprocess.run(["grep", "-rl", "S3cr3t", CORPUS], stdout=subprocess.PIPE, text=True, check=False).stdout
    assert len(held.splitlines()) >= 5, held


def test_the_inventories_of_the_repository_pass():
    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("OK inventories/example: 8 hosts") for line in lines), proc.stdout
    assert any(line.startswith("OK inventories/demo: 3 hosts") for line in lines), proc.stdout


def _encrypt(text):
    from ansible.parsing.vault import VaultLib, VaultSecret
    return VaultLib([("default", VaultSecret(b"not-the-real-one"))]).encrypt(text).decode()


def test_vault_values_are_secrets_present_and_never_decrypted(tmp_path):
    """A whole vault file and an inline !vault value pass without any vault password (none is given)."""
    inventory = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), str(inventory))
    vault = inventory / "group_vars" / "dept_chimie" / "vault.yml"
    vault.write_text(_encrypt("vault_dept_chimie_password: hunter2-whole-file\n"))
    inline = _encrypt("hunter2-inline")
    main = inventory / "group_vars" / "dept_lettres" / "main.yml"
    main.write_text("---\ncomet_client_username: dept-lettres\ncomet_client_password: !vault |\n"
                    + "".join("  " + line + "\n" for line in inline.splitlines()))
    proc = run(str(inventory))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "8 hosts, 1 vault-encrypted files" in proc.stdout
    assert "hunter2" not in proc.stdout + proc.stderr
    # and the same inline value in clear text is refused, naming the file and the variable only
    main.write_text("---\ncomet_client_username: dept-lettres\ncomet_client_password: hunter2-clear\n")
    proc = run(str(inventory))
    assert proc.returncode == 1
    assert "group_vars/dept_lettres/main.yml: group dept_lettres: comet_client_password: a secret in clear text" \
        in proc.stdout
    assert "hunter2" not in proc.stdout + proc.stderr


def test_a_type_error_of_a_secret_does_not_show_it(tmp_path):
    inventory = tmp_path / "site"
    shutil.copytree(os.path.join(CORPUS, "misspelled-account"), str(inventory))
    main = inventory / "group_vars" / "dept_chimie" / "main.yml"
    main.write_text("---\ncomet_client_username: dept-chimie\ncomet_client_password: [S3cr3t-in-a-list]\n")
    proc = run(str(inventory))
    assert proc.returncode == 1
    assert "comet_client_password" in proc.stdout and "S3cr3t" not in proc.stdout + proc.stderr


# ------------------------------------------------------------------------------------------ execution environment

def test_the_execution_environment_file_parses_and_names_files_that_exist():
    with open(os.path.join(ROOT, "execution-environment.yml")) as f:
        ee = yaml.safe_load(f)
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"]
    deps = ee["dependencies"]
    for key in ("python", "system", "galaxy"):
        if isinstance(deps.get(key), str):
            assert os.path.isfile(os.path.join(ROOT, deps[key])), deps[key]
    galaxy = deps["galaxy"]
    if isinstance(galaxy, str):
        with open(os.path.join(ROOT, galaxy)) as f:
            galaxy = yaml.safe_load(f)
    names = [c["name"] if isinstance(c, dict) else c for c in galaxy["collections"]]
    assert any("unil" in n or n == "." or n.endswith("unil-backup") for n in names), names
    with open(os.path.join(ROOT, deps["python"])) as f:
        requirements = [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]
    assert any(r.lower().startswith("pywinrm") for r in requirements), requirements
