# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Regular expressions in the Comet client's dialect (Go regexp, RE2): the corpus in test_comet_regex.yaml, the seed's
default exclusions, and the exclusion checks that use it (user level and system level alike)."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _comet_exclusions as ex
from ansible_collections.unil.backup.plugins.module_utils._comet_defaults import (
    OPTIONAL_SYSTEM_EXCLUSIONS,
    OS_NAMES,
    SYSTEM_EXCLUSIONS,
    SYSTEM_EXCLUSION_ADDITIONS,
    SYSTEM_EXCLUSION_FIXES,
    USER_EXCLUSIONS,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError
from ansible_collections.unil.backup.plugins.module_utils._comet_regex import re2_problem

with open(os.path.join(os.path.dirname(__file__), "test_comet_regex.yaml"), encoding="utf-8") as f:
    CORPUS = yaml.safe_load(f)


def test_corpus_size():
    accepted = sum(1 for c in CORPUS if c["accept"])
    print("RE2 corpus: %d patterns, %d accepted, %d refused" % (len(CORPUS), accepted, len(CORPUS) - accepted))
    assert len(CORPUS) >= 60 and accepted >= 20 and len(CORPUS) - accepted >= 40
    assert len(set(c["pattern"] for c in CORPUS)) == len(CORPUS), "a pattern is listed twice"


@pytest.mark.parametrize("case", CORPUS, ids=[repr(c["pattern"])[1:-1][:40] for c in CORPUS])
def test_corpus(case):
    problem = re2_problem(case["pattern"])
    if case["accept"]:
        assert problem == "", "%r refused: %s" % (case["pattern"], problem)
    else:
        assert problem, "%r accepted" % case["pattern"]
        assert case["msg"] in problem, "%r: %r not in %r" % (case["pattern"], case["msg"], problem)


def _seed_regexes():
    """Every system-level regex the collection ships: the seed's (fixed), the additions and the optional sets."""
    out = []
    for table in [SYSTEM_EXCLUSIONS, SYSTEM_EXCLUSION_ADDITIONS] + list(OPTIONAL_SYSTEM_EXCLUSIONS.values()):
        for level, patterns in table.items():
            out.extend((level, SYSTEM_EXCLUSION_FIXES.get(p, p)) for p in patterns)
    return out


@pytest.mark.parametrize("level,pattern", _seed_regexes())
def test_every_default_system_regex_is_accepted(level, pattern):
    assert re2_problem(pattern) == "", pattern
    ex.check_regex(pattern, "system.%s" % level)


def test_default_system_plan_and_user_workarounds_are_re2():
    entries, dummy = ex.system_exclusions_plan(ex.default_system_exclusions(ex.OPTIONAL_SYSTEM_SETS))
    assert entries and all(re2_problem(e["Exclude"]) == "" for e in entries)
    for os_name in OS_NAMES:
        globs, regexes, dummy, dummy = ex.user_exclusions_plan(USER_EXCLUSIONS[os_name], [], os_name)
        assert all(re2_problem(r) == "" for r in regexes), regexes
        for glob in USER_EXCLUSIONS[os_name]:
            assert re2_problem(ex.glob_to_regex(glob, os_name)) == ""


@pytest.mark.parametrize("pattern,fragment", [
    ("a(?=b)", "lookahead"), ("(a)\\1", "backreference"), ("a{1001}", "repeat count"), ("a\\Z", "\\Z"),
])
def test_check_regex_names_the_option_at_both_levels(pattern, fragment):
    for option in ("regexes", "exclude_regexes", "system.any", "system.windows"):
        with pytest.raises(CometInputError) as err:
            ex.check_regex(pattern, option)
        assert err.value.option == option and fragment in err.value.message and "RE2" in err.value.message
    with pytest.raises(CometInputError):
        ex.user_exclusions_plan([], [pattern], "linux")
    with pytest.raises(CometInputError) as err:
        ex.system_exclusions_plan({"macos": [pattern]})
    assert err.value.option == "system.macos"


@pytest.mark.parametrize("pattern", ["x(?i)y", "a\\z", ".*/cache(?i)/.*"])
def test_check_regex_accepts_what_python_refuses(pattern):
    ex.check_regex(pattern, "regexes")
    ex.user_exclusions_plan([], [pattern], "linux")
    ex.system_exclusions_plan({"any": [pattern]})


def test_lone_surrogate_is_invalid_utf8():
    # not in the YAML corpus: YAML loaders refuse the escape itself
    assert "invalid UTF-8" in re2_problem("a\ud800")


def test_check_regex_still_refuses_line_breaks_and_empty():
    for pattern in ("a\nb", "a\rb", ""):
        with pytest.raises(CometInputError):
            ex.check_regex(pattern, "regexes")


def test_regex_problems_for_a_preflight():
    assert ex.regex_problems(["(?i).*\\.iso", "a\\z"], "comet_config_") == []
    problems = ex.regex_problems(["ok", "a(?=b)", "a{1001}"], "comet_config_", "exclude_regexes")
    assert len(problems) == 2 and all(p.startswith("comet_config_exclude_regexes: ") for p in problems)
    problems = ex.regex_problems({"any": ["(?<=x)y"], "linux": ["/tmp/.*"]}, "", "system")
    assert problems == [p for p in problems if p.startswith("system.any: ")] and len(problems) == 1
    assert ex.regex_problems("not a list") == ["regexes: must be a list of regular expressions"]
