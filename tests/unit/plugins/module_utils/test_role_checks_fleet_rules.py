# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role fleet_report's account rules (issue 24) checked by the one validator (_role_checks.fleet_report), with the
module's own rule (_comet_fleet_accounts): licence limit (seed 000, FAQ "2 ordinateurs distincts avec le même compte":
"L'UNIL paie des licences Comet Backup par machine"), stale devices (seed 001, "Sauvegarde obsolète": "supprimer le
plus ancien"), the site's policy (seed 000, "Exclusion au niveau système"), the mails (seed 000, "Gestion des
alertes"), the closing announcements and their source (seed 001, "Accès au service de sauvegarde UNIL désactivé dans X
jours": deletion "14 jours après l'annonce")."""
from __future__ import annotations

import datetime
import os

import pytest
import yaml

from ansible_collections.unil.backup.plugins.module_utils import _comet_fleet_accounts as fa
from ansible_collections.unil.backup.plugins.module_utils import _role_checks as rc
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def defaults(**overrides):
    with open(os.path.join(ROOT, "roles", "fleet_report", "defaults", "main.yml"), encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    values.update(fleet_report_server_url="", fleet_report_admin_username="", fleet_report_admin_password="",
                  fleet_report_ca_path="", fleet_report_dir="/srv/reports", fleet_report_history_path="")
    values.update(overrides)
    return values


def found(values):
    return [(p["var"], p["message"], p["text"]) for p in rc.role_problems("fleet_report", values)]


def test_the_role_defaults_pass():
    """The defaults: licence limit 2 (the guide's), the other rules off, closing from both sources."""
    assert found(defaults()) == []


CASES = [
    # seed 000 FAQ: two computers per personal account; 0 turns the check off; -e gives text
    ({"fleet_report_max_devices_per_account": 0}, []),
    ({"fleet_report_max_devices_per_account": "3"}, []),
    ({"fleet_report_max_devices_per_account": -1},
     [("fleet_report_max_devices_per_account", "must be a whole number of devices per account (the guide's is 2), "
                                               "0 (no check) to 1200 (got -1)")]),
    ({"fleet_report_max_devices_per_account": "two"},
     [("fleet_report_max_devices_per_account", 'devices per account (the guide\'s is 2), 0 (no check) to 1200 (got "two")')]),
    ({"fleet_report_max_devices_per_account": True}, [("fleet_report_max_devices_per_account", "(got true)")]),
    # seed 001 "Sauvegarde obsolète": the replaced computer, months without a backup job
    ({"fleet_report_stale_after_months": 6}, []),
    ({"fleet_report_stale_after_months": 1201},
     [("fleet_report_stale_after_months", "must be a whole number of months, 0 (no check) to 1200 (got 1201)")]),
    ({"fleet_report_stale_after_months": 2.5}, [("fleet_report_stale_after_months", "(got 2.5)")]),
    # seed 000 "Exclusion au niveau système": one site policy, by ID or by name
    ({"fleet_report_policy_id": "pol-unil"}, []),
    ({"fleet_report_policy_name": "UNIL"}, []),
    ({"fleet_report_policy_id": "pol-unil", "fleet_report_policy_name": "UNIL"},
     [("fleet_report_policy_id", '("pol-unil") and fleet_report_policy_name ("UNIL") are both set: set one of them')]),
    ({"fleet_report_policy_id": " pol-unil"},
     [("fleet_report_policy_id", 'must not hold a control character or a leading or trailing space (got " pol-unil")')]),
    ({"fleet_report_policy_name": ["UNIL"]}, [("fleet_report_policy_name", 'must be text, a policy name (got ["UNIL"])')]),
    ({"fleet_report_policy_id": 42}, [("fleet_report_policy_id", "must be text, a policy ID (got 42)")]),
    # seed 000 "Gestion des alertes": the Error/Cancelled mails and the Friday report
    ({"fleet_report_check_mail_recipients": "yes"}, []),
    ({"fleet_report_check_mail_recipients": "sometimes"},
     [("fleet_report_check_mail_recipients", 'must be true or false (got "sometimes")')]),
    # seed 001: deletion 14 days after the announcement; the announcement's date from the site's records
    ({"fleet_report_closing_source": "announcement"}, []),
    ({"fleet_report_closing_source": "mail"},
     [("fleet_report_closing_source", 'must be one of announcement, suspension, both: what dates an account\'s closing, '
                                      'the announcement the service sent, the suspension, or both (got "mail")')]),
    ({"fleet_report_closing_announcements": {"jdoe": "2026-11-20", "asmith": datetime.date(2026, 11, 21),
                                             "bwu": 1795435200, "cli": "2026-11-20T08:00Z"}}, []),
    ({"fleet_report_closing_announcements": {"jdoe": "20.11.2026"}},
     [("fleet_report_closing_announcements", "account 'jdoe': '20.11.2026' is not a date like 2026-11-20 or Unix seconds")]),
    ({"fleet_report_closing_announcements": ["jdoe"]},
     [("fleet_report_closing_announcements", "must be a mapping of account to the date the closing was announced (got list)")]),
    # every problem at once
    ({"fleet_report_max_devices_per_account": -2, "fleet_report_closing_source": "", "fleet_report_stale_after_months": "x"},
     [("fleet_report_max_devices_per_account", "(got -2)"), ("fleet_report_stale_after_months", '(got "x")'),
      ("fleet_report_closing_source", '(got "")')]),
]


@pytest.mark.parametrize("overrides,expected", CASES)
def test_fleet_report_account_rules(overrides, expected):
    got = found(defaults(**overrides))
    assert [v for v, dummy, dummy2 in got] == [v for v, dummy in expected], got
    for (var, message, text), (dummy, words) in zip(got, expected):
        assert words in message, message
        assert text.startswith(var), text


def test_only_the_rules_given_are_checked():
    """An inventory sets some variables only (scripts/validate_inventory.py passes those)."""
    assert found({"fleet_report_policy_name": "UNIL"}) == []
    assert [v for v, dummy, dummy2 in found({"fleet_report_closing_source": "x"})] == ["fleet_report_closing_source"]
    assert found({"fleet_report_policy_id": "", "fleet_report_policy_name": "UNIL"}) == []


def test_the_role_and_the_module_agree_on_the_range():
    """The module's rule (check_account_rules) refuses what the role refuses, and accepts what it accepts."""
    for value in (0, 2, 1200):
        assert found(defaults(fleet_report_max_devices_per_account=value)) == []
        fa.check_account_rules(max_devices_per_account=value)
    for value in (-1, 1201):
        assert found(defaults(fleet_report_max_devices_per_account=value))
        with pytest.raises(CometInputError):
            fa.check_account_rules(max_devices_per_account=value)


@pytest.mark.parametrize("name, value, ok", [
    ("fleet_report_job_log_seconds", 3.0, True), ("fleet_report_job_log_seconds", 0, False),
    ("fleet_report_job_log_seconds", 3601, False), ("fleet_report_job_log_seconds", "soon", False),
    ("fleet_report_history_path", "", True), ("fleet_report_history_path", "~/h.jsonl", True),
    ("fleet_report_history_path", "relative/h.jsonl", False),
])
def test_the_job_log_budget_and_the_history_path(name, value, ok):
    problems = [p for p in rc.role_problems("fleet_report", {name: value}) if p["var"] == name]
    assert (problems == []) is ok, problems
