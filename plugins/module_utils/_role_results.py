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


# ---------------------------------------------------------------------------------------------------------------
# Role comet_config's one settings call (action unil.backup.comet_config_apply): its name for the device, and the
# options of unil.backup.comet_device_settings from the role's variables
# ---------------------------------------------------------------------------------------------------------------
# the connection options of the unil.backup.comet group, from the role's comet_config_* variables
CONNECTION = (("server_url", "server_url"), ("admin_username", "admin_username"), ("admin_password", "admin_password"),
              ("validate_certs", "validate_certs"), ("ca_path", "ca_path"), ("timeout", "api_timeout"))


def comet_config_device_name(configured, facts, short_name):
    """The name role comet_config gives the device: comet_config_device_name, else the host's name as its facts say
    (ansible_facts.hostname), else the inventory's short name."""
    facts = facts if isinstance(facts, dict) else {}
    return str(configured or "") or str(facts.get("hostname") or "") or str(short_name or "")


def _given(value):
    """A variable's value, None when it is unset or empty (the option is then left to the module's default)."""
    if value is None or (isinstance(value, (str, list, dict)) and len(value) == 0):
        return None
    return value


def comet_config_settings_args(variables, device_name):
    """The options of unil.backup.comet_device_settings for role comet_config (``variables``: the role's variables
    with their comet_config_ prefix, templated): the name, the protected item with its folders, the schedules, the
    user-level exclusions and the first backup, applied together in one read-modify-write. An empty or unset variable
    leaves the option out (the module's default, or what the account holds)."""
    v = dict((name[len("comet_config_"):], value) for name, value in variables.items() if name.startswith("comet_config_"))
    args = dict((option, v.get(name)) for option, name in CONNECTION)
    args.update(
        account=v.get("account"), device_id=str(v.get("device_id") or ""), name=device_name,
        allow_duplicate_name=v.get("allow_duplicate_name", False), item_defaults=True,
        item_name=_given(v.get("item_name")), folders=_given(v.get("folders")), folders_mode=v.get("folders_mode"),
        vault=_given(v.get("vault")), schedules=v.get("schedules"), random_delay=v.get("random_delay"),
        run_missed_on_boot=v.get("run_missed_on_boot"), run_on_boot=v.get("run_on_boot"),
        retry_failed=v.get("retry_failed"), retry_count=v.get("retry_count"),
        retry_delay=None if v.get("retry_delay") is None else str(v.get("retry_delay")),
        exclude_globs=v.get("exclude_globs"), exclude_regexes=v.get("exclude_regexes"),
        exclusions_defaults=v.get("exclusions_defaults"), exclusions_state=v.get("exclusions_state"),
        set_once=[name for name in PERSON_SETTINGS if name not in (v.get("enforce") or [])],
        start_backup=v.get("start_first_backup"), first_backup_window=str(v.get("first_backup_window") or ""),
        first_backup_wait=v.get("first_backup_wait"), vpn_connected=v.get("vpn_connected"))
    args["ca_path"] = _given(args["ca_path"])
    return dict((name, value) for name, value in args.items() if value is not None)
