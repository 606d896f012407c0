# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile input, third pass: names that look like others (invisible characters, combining marks only) are refused;
folders are normalised (dot segments, repeated separators) before they are compared and stored."""

from __future__ import annotations

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _comet_model as m


@pytest.mark.parametrize("name,shown", [
    ("lts22\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\ufefflts22", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("pc\u202egnp.exe", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("a\u2028b", "U+2028 LINE SEPARATOR"),
    ("a\u2029b", "U+2029 PARAGRAPH SEPARATOR"),
    ("x\u00ady", "U+00AD SOFT HYPHEN"),
])
def test_invisible_characters_are_refused_and_named(name, shown):
    with pytest.raises(m.CometInputError) as err:
        m.check_name(name, "name")
    assert err.value.option == "name" and shown in err.value.message


def test_combining_marks_only_are_refused_but_accents_are_names():
    with pytest.raises(m.CometInputError, match="combining marks only"):
        m.check_name("\u0301\u0302", "name")
    for name in ("école", "Ecole\u0301", "lts22", "PC-Chimie 12"):
        assert m.check_name(name, "name") == name


@pytest.mark.parametrize("path,os_name,expected", [
    ("/home/../../etc", "linux", "/etc"),
    ("/home/.", "linux", "/home"),
    ("/home//user/", "linux", "/home/user"),
    ("/a/b/..", "linux", "/a"),
    ("/home/..", "linux", "/"),
    ("/", "linux", "/"),
    ("/home", "linux", "/home"),
    ("/Users/x/./Documents", "macos", "/Users/x/Documents"),
    ("C:/Users/../Windows/System32", "windows", "C:/Windows/System32"),
    ("C:\\Users\\.\\x\\", "windows", "C:\\Users\\x"),
    ("C:\\", "windows", "C:\\"),
    ("\\\\srv\\share\\a\\..\\b", "windows", "\\\\srv\\share\\b"),
    ("\\\\srv\\share\\..\\..", "windows", "\\\\srv\\share"),
    ("C:\\Users\\pnom", "windows", "C:\\Users\\pnom"),
])
def test_folders_are_normalised(path, os_name, expected):
    assert m.normalize_folder(path, os_name) == expected


def test_a_folder_and_its_dot_form_are_one_folder():
    assert m.normalize_folder("/home/.", "linux") == m.normalize_folder("/home", "linux")
