# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a site's inventory completely before it reaches a machine: make validate-inventory [INVENTORY=path].

    python scripts/validate_inventory.py [--json] [INVENTORY ...]     (default: every directory under inventories/)

What is checked (every rule, and how: the inventory loaded as Ansible loads it, with no vault secret) is written
once, in the docstring of plugins/plugin_utils/_inventory_check.py.
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
