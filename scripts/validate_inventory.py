# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a site's inventory completely before it reaches a machine: make validate-inventory [INVENTORY=path].

    python scripts/validate_inventory.py [--json] [INVENTORY ...]     (default: every directory under inventories/)

The inventory is loaded as Ansible loads it (InventoryManager + VariableManager, group precedence), with NO vault
secret: a whole vault file or an inline !vault value is never decrypted, only counted as "a secret is there". Then:
  - every variable of the collection's namespace (comet_*, crashplan_*, fleet_report_*, unil_*) must be an option of
    a role (roles/*/meta/argument_specs.yml) or a variable the playbooks read; else the closest known name is given;
  - values go through the collection's own code: the roles' argument_specs (ArgumentSpecValidator, as
    validate_argument_spec), then the checks the roles comet_config, comet_system_exclusions and fleet_report run in
    their preflight (_role_checks: schedules, folders and globs for the host's OS, regexes, names, server URLs, the
    report's options - the modules' rules), comet_client's names (_comet_model.check_name) and the other server URLs
    (_comet_url, the one URL rule); a value that is a Jinja template is left to the run;
  - per host: exactly one dept_* group (when the inventory has any), at most one OS group (linux, windows, macos),
    one account (comet_config_account / comet_client_username), a device name unique in its account;
  - secrets only in vault: a variable whose name says password, token or secret, in any file of the inventory (and
    every value of a clear-text file named *vault* or *secret*), must be vault-encrypted, a template ("{{ vault_x }}")
    or a CHANGE-ME placeholder. Its value is never printed.
  - the files themselves: YAML that does not parse (an alias to another file's anchor), duplicate keys, a name or
    device ID that YAML reads as a number (0042), a vault file or inline !vault whose content is not vault data
    (checked without any secret), host_vars of a host not in the inventory, one host written twice with another
    case, a group key Ansible skips (hots:), a role variable misspelt outside the namespace (commet_config_folders,
    Comet_config_folders), a device ID naming one Comet device for several hosts (the rule comet_config applies).
The rules live in the collection (plugins/plugin_utils/_inventory_check.py), so that the playbook
unil.backup.validate_inventory runs the same check from an installed collection (a department's pull request):
    ansible-playbook unil.backup.validate_inventory -i inventories/<site>
Every error names the file (where known), the host or group and the variable, and says what to write instead; exit
status 1 when there is any. The check never raises: a file or host that breaks a check is one error line (the first
line of the exception: never a secret) and the others are still checked. --timing prints each inventory's time.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def _collection_importable():
    """Make `ansible_collections.unil.backup` this checkout (a link in a temporary collections path)."""
    top = tempfile.mkdtemp(prefix="unil-validate-")
    os.makedirs(os.path.join(top, "ansible_collections", "unil"))
    os.symlink(ROOT, os.path.join(top, "ansible_collections", "unil", "backup"))
    from ansible.plugins.loader import init_plugin_loader
    init_plugin_loader([top])
    return top


# before Ansible reads its configuration (the import below): duplicate keys are this check's own errors; Ansible's
# warning would print the lines around them (a secret?)
os.environ.setdefault("ANSIBLE_DEPRECATION_WARNINGS", "False")
os.environ.setdefault("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "ignore")
_collection_importable()
from ansible_collections.unil.backup.plugins.plugin_utils import _inventory_check as rules  # noqa: E402  pylint: disable=wrong-import-position

Validator = rules.Validator  # the class the checks are methods of (a test replaces one)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("inventories", nargs="*", help="inventory directories (default: every one under inventories/)")
    parser.add_argument("--json", action="store_true", help="one JSON document: {inventory: [errors]}")
    parser.add_argument("--timing", action="store_true", help="print the time each inventory took (text output)")
    args = parser.parse_args(argv)
    inventories = args.inventories or sorted(d for d in glob.glob(os.path.join(ROOT, "inventories", "*")) if os.path.isdir(d))
    if not inventories:
        print("no inventory to check", file=sys.stderr)
        return 2
    failed, report = False, {}
    for inventory in inventories:
        start = time.monotonic()
        errors, hosts, vault_files = rules.check_inventory(inventory)
        report[rules.shown(inventory)] = [e.as_dict() for e in errors]
        failed = failed or bool(errors)
        if not args.json:
            for line in rules.report_lines(inventory, errors, hosts, vault_files):
                print(line)
            if args.timing:
                print("TIME %s: %d hosts in %.1f s" % (rules.shown(inventory), hosts, time.monotonic() - start))
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
