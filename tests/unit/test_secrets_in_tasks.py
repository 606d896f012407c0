# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No password in any command line the roles build, on any OS, and the install token only where Comet documents it.

Every task of every role is read: a task whose module arguments use a secret (the end user's or the administrator's
password, an install token) must be ``no_log: true``; no command line (``argv``, ``cmd``, ``_raw_params``,
``arguments``) may carry a password; the install token may be on exactly two command lines, the two Comet documents
(``install.exe /S /TOKEN=`` through win_package, ``launchctl setenv BACKUP_APP_TOKEN`` on macOS)."""
from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSWORDS = re.compile(r"\b(comet_client_password|comet_client_admin_password|comet_config_admin_password|"
                       r"comet_system_exclusions_admin_password|"
                       r"crashplan_removal_server_password|admin_password|_comet_client_api\.admin_password)\b")
TOKEN = re.compile(r"install_token\.token")
COMMAND_KEYS = ("argv", "cmd", "_raw_params", "arguments", "script")
NOT_MODULE_KEYS = {"name", "when", "vars", "register", "no_log", "loop", "loop_control", "delegate_to", "become",
                   "become_user", "become_method", "check_mode", "changed_when", "failed_when", "notify", "environment",
                   "run_once", "until", "retries", "delay", "tags", "block", "rescue", "always", "module_defaults",
                   "ignore_errors", "args", "listen"}
DOCUMENTED_TOKEN_COMMANDS = {"ansible.windows.win_package", "ansible.builtin.command"}


def tasks_of(path):
    def walk(items):
        for task in items or []:
            if not isinstance(task, dict):
                continue
            yield task
            for key in ("block", "rescue", "always"):
                yield from walk(task.get(key))
    with open(path, encoding="utf-8") as handle:
        return list(walk(yaml.safe_load(handle)))


TASK_FILES = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml")) +
                    glob.glob(os.path.join(ROOT, "roles", "*", "handlers", "*.yml")))
TASKS = [(os.path.relpath(path, ROOT), task) for path in TASK_FILES for task in tasks_of(path)
         if not any(key in task for key in ("block",))]


def module_of(task):
    keys = [key for key in task if key not in NOT_MODULE_KEYS]
    return (keys[0], task[keys[0]]) if keys else (None, None)


def test_there_are_tasks_for_the_three_oses():
    names = {os.path.basename(path) for path, dummy in TASKS}
    assert {"linux_install.yml", "windows_present.yml", "macos_present.yml"} <= names


@pytest.mark.parametrize("path,task", TASKS, ids=["%s: %s" % (p, t.get("name", "?")) for p, t in TASKS])
def test_a_task_that_uses_a_secret_is_no_log(path, task):
    module, args = module_of(task)
    if module is None or module in ("ansible.builtin.fail", "ansible.builtin.assert", "ansible.builtin.debug"):
        return  # messages: they only ever use a password to mask it (replace(password, '********'))
    if module.startswith("unil.backup.") and isinstance(args, dict):
        # the collection's modules declare these options no_log: Ansible masks their values in every output
        args = dict((k, v) for k, v in args.items() if k not in ("admin_password", "password"))
    text = yaml.safe_dump(args) + yaml.safe_dump(task.get("environment") or {})
    if PASSWORDS.search(text) or TOKEN.search(text):
        assert task.get("no_log") is True, "%s: task %r passes a secret to %s without no_log: true" % (
            path, task.get("name"), module)


@pytest.mark.parametrize("path,task", TASKS, ids=["%s: %s" % (p, t.get("name", "?")) for p, t in TASKS])
def test_no_password_on_a_command_line_and_the_token_only_where_documented(path, task):
    module, args = module_of(task)
    if not isinstance(args, dict):
        args = {"_raw_params": args}
    command = yaml.safe_dump(dict((k, v) for k, v in args.items() if k in COMMAND_KEYS))
    assert not PASSWORDS.search(command), "%s: task %r puts a password on a command line" % (path, task.get("name"))
    if TOKEN.search(command):
        assert module in DOCUMENTED_TOKEN_COMMANDS, (path, task.get("name"), module)
        assert "/TOKEN=" in command or "BACKUP_APP_TOKEN" in command, (path, task.get("name"))
        assert task.get("no_log") is True


def test_the_token_is_on_exactly_the_two_documented_command_lines():
    found = []
    for path, task in TASKS:
        module, args = module_of(task)
        if isinstance(args, dict) and TOKEN.search(yaml.safe_dump(dict((k, v) for k, v in args.items() if k in COMMAND_KEYS))):
            found.append((os.path.basename(path), module))
    assert sorted(found) == [("macos_present.yml", "ansible.builtin.command"), ("windows_present.yml", "ansible.windows.win_package")]


def test_the_macos_token_is_unset_in_an_always_section():
    """launchctl setenv BACKUP_APP_TOKEN persists until reboot: the unset must run even when the installer fails."""
    path = os.path.join(ROOT, "roles", "comet_client", "tasks", "macos_present.yml")
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    blocks = [t for t in data if isinstance(t, dict) and "block" in t]
    setenv = [b for b in blocks if "BACKUP_APP_TOKEN" in yaml.safe_dump(b["block"]) and "setenv" in yaml.safe_dump(b["block"])]
    assert setenv, "no block hands the token over"
    always = yaml.safe_dump(setenv[0].get("always") or [])
    assert "unsetenv" in always and "BACKUP_APP_TOKEN" in always


def test_the_checker_catches_a_password_in_argv():
    """The rules above can fail: a task that puts the password in argv, and one without no_log."""
    bad = {"name": "bad", "ansible.builtin.command": {"argv": ["backup-tool", "login", "{{ comet_client_password }}"]}}
    with pytest.raises(AssertionError):
        test_no_password_on_a_command_line_and_the_token_only_where_documented("x.yml", bad)
    with pytest.raises(AssertionError):
        test_a_task_that_uses_a_secret_is_no_log("x.yml", bad)
