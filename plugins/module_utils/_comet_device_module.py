# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run every device-editing module shares (comet_device, comet_profile, comet_schedule, comet_exclusions at user
level, comet_device_settings): one hash-checked read-modify-write of the account's profile through the shared client,
the module's own plan and report, warnings, diff, a refetch when the device is online, the API counters, the errors.
A module supplies what differs: the plan (a function of the profile returning (profile, description), from
_comet_settings) and what to report from the update."""

from __future__ import annotations

from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometAdminClient, CometApiError
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    CometInputError,
    account_error,
    api_counters,
    live_connections,
    refetch_if_online,
)


class _Online(object):
    """The account's live connections, read at most once, only when something needs them."""

    def __init__(self, client, account):
        self._client, self._account, self._value = client, account, None

    def __call__(self):
        if self._value is None:
            self._value = live_connections(self._client, self._account)
        return self._value


def run_device_update(module, account, plan, report, view=None, result=None, after_write=None):
    """Apply ``plan`` to ``account``'s profile and exit the module.

    ``plan(profile)`` returns (profile, description); ``description`` holds at least ``device_id`` and may hold
    ``warnings``. ``report(update, description, online)`` returns the module's result keys (``online()`` reads the live
    connections once). ``view(profile, description)`` gives the diff's before/after. Exits with changed, diff,
    refetched (the online device asked to reload its profile after a real write) and api; fails with a message naming
    the option or the account, and the counters. ``after_write(client, update, description, online)``, when given,
    runs after a real write (not in check mode) and returns more result keys."""
    result = dict(changed=False, refetched=False) if result is None else result
    client = CometAdminClient.from_module(module)
    online = _Online(client, account)
    try:
        update = client.update_profile(account, plan, check_mode=module.check_mode)
        found = update.description or {}
        for warning in found.get("warnings") or []:
            module.warn(warning)
        result.update(report(update, found, online))
        result["changed"] = bool(update.changed)
        if module._diff and view is not None:
            result["diff"] = {"before": view(update.before, found), "after": view(update.after, found)}
        if update.changed and not module.check_mode:
            result["refetched"] = refetch_if_online(client, account, found["device_id"], module, online())
            if after_write is not None:
                result.update(after_write(client, update, found, online))
    except CometInputError as exc:
        result["api"] = api_counters(client)
        module.fail_json(msg=str(exc), **result)
    except CometApiError as exc:
        result["api"] = api_counters(client)
        module.fail_json(msg=account_error(exc, account), **result)
    result["api"] = api_counters(client)
    module.exit_json(**result)
