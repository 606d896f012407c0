# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every PowerShell script of the repository parses with a real PowerShell grammar (tree-sitter-powershell), since no
Windows host runs here: the *.ps1 files (git ls-files, new files included) and the inline ``script:`` of every
ansible.windows.win_powershell task in roles/*/tasks/*.yml and molecule/**/*.yml. A failure names the file and line.

The grammar is stricter than nothing and looser than PowerShell (it accepts a ``try`` without ``catch``, for one): it
catches unbalanced braces, brackets and quotes, broken hashtables, pipelines and parameter blocks.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess

import pytest
import yaml

tree_sitter = pytest.importorskip("tree_sitter")
tree_sitter_powershell = pytest.importorskip("tree_sitter_powershell")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
WIN_POWERSHELL = ("ansible.windows.win_powershell", "win_powershell")
# A Jinja expression stands for a value: a variable keeps the script's shape in code and in strings alike.
_JINJA_EXPR = re.compile(r"\{\{.*?\}\}", re.S)
_JINJA_STMT = re.compile(r"\{%.*?%\}", re.S)
# a script that is only a lookup of a file: the file itself is parsed as a *.ps1
_LOOKUP_ONLY = re.compile(r"^\s*\{\{\s*lookup\(\s*['\"](ansible\.builtin\.)?file['\"].*\}\}\s*$", re.S)


def syntax_errors(source):
    """[(line, column, what)] of the ERROR and MISSING nodes of ``source``, 1-based, first error first."""
    tree = PARSER.parse(source.encode("utf-8"))
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            what = "missing %r" % node.type if node.is_missing else "unexpected %r" % node.text.decode("utf-8", "replace")[:60]
            found.append((node.start_point[0] + 1, node.start_point[1] + 1, what))
        stack.extend(node.children)
    if tree.root_node.has_error and not found:  # has_error always comes with a node; never let one slip through
        found.append((1, 1, "syntax error"))
    return sorted(found)


def _repo_files(pattern):
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", pattern],
                         cwd=ROOT, check=True, capture_output=True).stdout.decode("utf-8")
    return sorted(path for path in out.split("\0") if path and os.path.isfile(os.path.join(ROOT, path)))


def _inline_scripts(path):
    """(line of the script's first line, script) of each inline win_powershell script in a YAML file, found on the
    composed YAML nodes (which know their lines), in tasks, blocks, handlers and plays alike."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        root = yaml.compose(f, Loader=yaml.SafeLoader)
    found = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in WIN_POWERSHELL and isinstance(value, yaml.MappingNode):
                    for arg, script in value.value:
                        if arg.value == "script" and isinstance(script, yaml.ScalarNode):
                            # a block scalar (| or >) starts on the line after its indicator
                            first = script.start_mark.line + (2 if script.style in ("|", ">") else 1)
                            found.append((first, script.value))
                stack.append(value)
    return sorted(found)


def _cases():
    cases = [pytest.param(path, 1, None, id=path) for path in _repo_files("*.ps1")]
    yamls = sorted(set(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))
                       + glob.glob(os.path.join(ROOT, "molecule", "**", "*.yml"), recursive=True)))
    for full in yamls:
        path = os.path.relpath(full, ROOT)
        for line, script in _inline_scripts(path):
            if not _LOOKUP_ONLY.match(script):
                cases.append(pytest.param(path, line, script, id="%s:%d" % (path, line)))
    return cases


CASES = _cases()


def test_the_scripts_are_found():
    """The collection's own scripts, file and inline, are among the cases (the search itself works)."""
    ids = [c.id for c in CASES]
    # one probe of a Windows host, Comet Backup and CrashPlan (roles comet_client and crashplan_removal)
    assert "plugins/modules/comet_windows_probe.ps1" in ids
    assert any(i.startswith("roles/crashplan_removal/tasks/remove_windows.yml:") for i in ids)


@pytest.mark.parametrize("path, first_line, script", CASES)
def test_powershell_parses(path, first_line, script):
    if script is None:
        with open(os.path.join(ROOT, path), encoding="utf-8-sig") as f:
            source = f.read()
    else:
        source = _JINJA_EXPR.sub("$jinja", _JINJA_STMT.sub("", script))
    errors = syntax_errors(source)
    assert not errors, "PowerShell syntax errors:\n" + "\n".join(
        "  %s:%d:%d: %s" % (path, first_line + line - 1, column, what) for line, column, what in errors)


BROKEN = [
    pytest.param("if ($x -eq 1 {\n    'yes'\n}\n", id="unclosed condition"),
    pytest.param("$h = @{\n    a = 1\n", id="unclosed hashtable"),
    pytest.param("foreach ($i in $list) {\n    $i\n", id="missing closing brace"),
    pytest.param("Write-Output \"unclosed\n", id="unclosed string"),
    pytest.param("$x = 1 +\n", id="dangling operator"),
    pytest.param("param([string]$Name\n$Ansible.Changed = $false\n", id="unclosed param block"),
    pytest.param("$a = [ordered]@{ a = 1; b = }\n", id="hashtable entry without value"),
]


@pytest.mark.parametrize("source", BROKEN)
def test_a_broken_script_is_detected(source):
    """The check can fail: each of these is a PowerShell parse error, and the grammar finds it."""
    assert syntax_errors(source), source


def test_an_error_is_reported_at_its_line_of_the_yaml_file(tmp_path):
    task = tmp_path / "task.yml"
    task.write_text("---\n- name: Broken\n  ansible.windows.win_powershell:\n    script: |\n      $ok = 1\n"
                    "      if ($ok {\n        'x'\n      }\n", encoding="utf-8")
    (first, script), = _inline_scripts(str(task))
    assert first == 5
    errors = syntax_errors(script)
    assert errors[0][:2] == (2, 1) and first + errors[0][0] - 1 == 6
