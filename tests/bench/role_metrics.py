# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How much logic the roles and playbooks write in Jinja (issue "Roles that read as steps"): template strings of 200
characters or more, `hostvars` in roles, Jinja checks (`ok:` entries of preflight lists and assert `that:` items),
tasks per role. Figures only.

    python tests/bench/role_metrics.py [TREE]       (default: this checkout)
"""

from __future__ import annotations

import os
import re
import sys

import yaml

TEMPLATE_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def tasks(node):
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                yield item
                for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
                    yield from tasks(item.get(key))


def jinja_checks(task):
    count = 0
    for key, value in task.items():
        if key in ("ansible.builtin.assert", "assert") and isinstance(value, dict):
            that = value.get("that")
            count += len(that) if isinstance(that, list) else 1
        if key == "vars" and isinstance(value, dict) and isinstance(value.get("_checks"), list):
            count += len(value["_checks"])
    return count


def measure(tree):
    out = {"long_templates": 0, "long_templates_400": 0, "hostvars_in_roles": 0, "jinja_checks": 0, "tasks": {}}
    for top in ("roles", "playbooks"):
        for dirpath, dummy, files in os.walk(os.path.join(tree, top)):
            for name in files:
                if not name.endswith((".yml", ".yaml")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                try:
                    data = yaml.safe_load(text)
                except yaml.YAMLError:
                    continue
                for value in strings(data):
                    if TEMPLATE_RE.search(value) and len(value) >= 200:
                        out["long_templates"] += 1
                        out["long_templates_400"] += len(value) >= 400
                if top == "roles":
                    out["hostvars_in_roles"] += len(re.findall(r"\bhostvars\b", "\n".join(
                        line for line in text.splitlines() if not line.lstrip().startswith("#"))))
                    if "/tasks/" in path + "/" and os.path.basename(dirpath) == "tasks":
                        role = os.path.relpath(path, os.path.join(tree, "roles")).split(os.sep)[0]
                        found = list(tasks(data))
                        out["tasks"][role] = out["tasks"].get(role, 0) + len(found)
                        out["jinja_checks"] += sum(jinja_checks(task) for task in found)
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    tree = argv[0] if argv else os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    fig = measure(tree)
    print("template strings of 200+ characters in roles/ and playbooks/: %d (400+: %d)"
          % (fig["long_templates"], fig["long_templates_400"]))
    print("hostvars in roles: %d; Jinja checks in role tasks (preflight _checks, assert that): %d"
          % (fig["hostvars_in_roles"], fig["jinja_checks"]))
    print("tasks per role: %s" % ", ".join("%s %d" % item for item in sorted(fig["tasks"].items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
