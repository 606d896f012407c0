# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# What the controller-side roles record and show after their module call, computed from the module's result: the
# fact comet_config_result and the line role comet_config prints for a host (filters unil.backup.comet_config_result
# and unil.backup.comet_config_line). The line is formatted from the record's values, never parsed back.

from __future__ import annotations

# the settings a person owns, in the order the line names them (comet_config_enforce's choices)
PERSON_SETTINGS = ("folders", "schedule", "exclusions")


def comet_config_result(settings, account, device_id, device_name, item_name="", folders=None, schedules=None):
    """The fact comet_config_result from unil.backup.comet_device_settings's result (``settings``) and the role's
    variables: the item's name and folders fall back to the variables' when the module did not return them;
    ``schedules`` is a count, or "as stored" when the role left the stored schedules (None)."""
    settings = settings if isinstance(settings, dict) else {}
    return {
        "account": account,
        "device_id": device_id,
        "device_name": device_name,
        "item_id": settings.get("item_id") or "",
        "item_name": settings.get("item_name") or item_name or "",
        "folders": list(settings["folders"]) if isinstance(settings.get("folders"), list) else list(folders or []),
        "schedules": len(schedules) if isinstance(schedules, list) else "as stored",
        "exclusions": len(settings.get("globs") or []) + len(settings.get("regexes") or []),
        "changed": bool(settings.get("changed")),
        "backup_started": bool(settings.get("backup_started", False)),
        "backup_reason": str(settings.get("backup_reason") or ""),
        "kept": settings.get("kept") if isinstance(settings.get("kept"), dict) else {},
    }


def comet_config_line(result, host, account):
    """The line role comet_config shows for ``host``: what its device holds now, or (no device ID, in check mode)
    what a real run would do."""
    if not isinstance(result, dict) or not result.get("device_id"):
        return ("%s: no Comet device ID yet (the client would be installed by a real run); the settings would then be "
                "applied to account %s." % (host, account))
    kept = [name for name in PERSON_SETTINGS if name in (result.get("kept") or {})]
    return '%s: device %s "%s" in account %s - item "%s" %s, %s schedule(s), %s exclusion(s) (%s)%s' % (
        host, result["device_id"], result.get("device_name", ""), account, result.get("item_name", ""),
        ", ".join(str(f) for f in result.get("folders") or []), result.get("schedules"), result.get("exclusions"),
        "changed" if result.get("changed") else "already as wanted",
        ("; the person's own %s left as they set them (comet_config_enforce to override)" % ", ".join(kept)) if kept else "")
