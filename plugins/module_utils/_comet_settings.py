# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The settings of one device, one function per setting, shared by the single-purpose modules (comet_device,
# comet_profile, comet_schedule, comet_exclusions at the user level) and by comet_device_settings, which applies them
# all in one read-modify-write. Pure logic, no I/O.
#
# Each set_*() function takes the decoded profile (the copy update_profile() hands to the change function; it is
# edited in place), applies one setting and returns (profile, change), where change is a dict describing it:
#   {"setting": "name" | "item" | "schedule" | "exclusions", "changed": bool, "device_id": ..., and the keys the
#    setting found or created: item_id, rule_id, vault_id, created, warnings, workarounds}
# Every other field of the profile is kept as it is (unknown ones included). Bad input raises CometInputError naming
# the option, before anything is written (the change function runs before the write).
# The *_view() functions reduce a profile to what a setting manages, for diffs and results.

from __future__ import annotations

import time

from ansible_collections.unil.backup.plugins.module_utils._comet_defaults import DEFAULT_FOLDERS, PROTECTED_ITEM_NAMES
from ansible_collections.unil.backup.plugins.module_utils._comet_exclusions import (
    GLOB_PREFIX,
    REGEX_PREFIX,
    apply_user_exclusions,
    check_regex,
    default_user_globs,
    exclusion_pairs,
    has_accents,
    props_values,
    removed_pair_halves,
    set_props_values,
    user_exclusions_plan,
    workaround_regex,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_fleet import account_closing
from ansible_collections.unil.backup.plugins.module_utils._comet_model import (
    FILE_ENGINE,
    INCLUDE_PREFIX,
    CometInputError,
    check_name,
    deep,
    deterministic_guid,
    find_device,
    find_item,
    find_rule,
    find_vault,
    fold_path,
    item_folders,
    normalize_folder,
    platform_os,
    require_item,
    same_name,
)
from ansible_collections.unil.backup.plugins.module_utils._comet_schedule import (
    TRIGGER_OPTIONS,
    check_random_delay,
    describe_all,
    event_triggers,
    schedules_equal,
    schedules_to_comet,
    triggers_differ,
)

SETTINGS = ("name", "item", "schedule", "exclusions")
CREATE_HINT = "create it with unil.backup.comet_profile"


def device_os(device_id, device):
    """'windows', 'macos' or 'linux'; CometInputError (device_id) when Comet reports another platform."""
    os_name = platform_os(device)
    if os_name is None:
        raise CometInputError("device_id", "device %r reports an unknown platform %r: cannot check its paths"
                              % (device_id, ((device or {}).get("PlatformVersion") or {}).get("os")))
    return os_name


def _without_times(value):
    value = dict(value or {})
    value.pop("ModifyTime", None)
    return value


# --------------------------------------------------------------------------------------------------- device name

def set_device_name(profile, device_id=None, device_name=None, name=None, allow_duplicate_name=False):
    """Devices[<id>].FriendlyName = ``name`` (None: left as stored). The device is found by ID or current name.
    A name another device of the account has (NFC and NFD forms alike) is refused unless ``allow_duplicate_name``."""
    device_id, device = find_device(profile, device_id, device_name)
    changed = name is not None and not same_name(device.get("FriendlyName"), name)
    if changed and not allow_duplicate_name:
        others = sorted(k for k, v in (profile.get("Devices") or {}).items()
                        if k != device_id and same_name((v or {}).get("FriendlyName"), name))
        if others:
            raise CometInputError("name", "device %s of account %r is already named %r: two devices with one name can "
                                  "only be told apart by ID (set allow_duplicate_name to do it anyway)"
                                  % (", ".join(others), profile.get("Username"), name))
    if changed:
        device["FriendlyName"] = name
    return profile, {"setting": "name", "changed": changed, "device_id": device_id}


def device_view(profile, device_id):
    device = ((profile or {}).get("Devices") or {}).get(device_id) if device_id else None
    if device is None:
        return {}
    return {"device_id": device_id, "name": device.get("FriendlyName")}


# ------------------------------------------------------------------------------------ a suspended account

def suspension_warning(profile, account, now=None):
    """'' or the warning for a write to a suspended account (UserProfileConfig.IsSuspended): the date its backups
    are deleted (the fleet report's account_closing rule), and that the change is written all the same."""
    closing = account_closing(account, profile or {}, int(time.time()) if now is None else now)
    if closing is None:
        return ""
    return ("%s; the change is written all the same: check the account is the right one (unsuspend it in the Comet "
            "Server first if it should keep its backups)" % closing["message"])


def warn_if_suspended(plan, account, now=None):
    """``plan`` (a function of the profile returning (profile, description)) that also warns, in the description's
    ``warnings``, when it changes the profile of a suspended account. Nothing changed: no warning."""
    def planned(profile):
        before = deep(profile)
        after, description = plan(profile)
        if after != before:
            warning = suspension_warning(before, account, now)
            if warning:
                description = dict(description or {})
                description["warnings"] = list(description.get("warnings") or []) + [warning]
        return after, description
    return planned


# ------------------------------------------------------------------------------------ protected item and its rule

def set_protected_item(profile, account, device_id=None, device_name=None, item_name=None, folders=None,
                       folders_mode="replace", vault=None, now=0, defaults=True, keep_folders=False):
    """The device's files-and-folders protected item, its folders (INCLUDE*) and its backup rule to the vault.

    The item is found by name among the device's file items, else the device's only file item (renamed), else it
    is created with a deterministic key; the rule to the vault is created when the item has none.
    ``defaults`` True (comet_profile): an omitted ``item_name`` or ``folders`` is the UNIL default for the device's
    OS. False: an omitted ``item_name`` keeps the name of the item found, omitted ``folders`` keep the stored
    folders; a new item still gets the UNIL name and folders.
    ``keep_folders`` True: the folders are written only when the item is created here; the folders of an item that
    exists are the person's and stay as stored (the change's ``kept`` then says what would have been written)."""
    device_id, device = find_device(profile, device_id, device_name)
    os_name = device_os(device_id, device)
    default_name = PROTECTED_ITEM_NAMES[os_name]
    name = item_name
    if name is None and not defaults:
        dummy, found = find_item(profile, device_id, default_name)
        name = (found or {}).get("Description") or default_name
    name = check_name(name or default_name, "item_name")
    wanted = None
    if folders is not None or defaults:
        wanted = []
        wanted_keys = []
        for path in folders if folders is not None else DEFAULT_FOLDERS[os_name]:
            path = normalize_folder(path, os_name)
            if fold_path(path, os_name) not in wanted_keys:  # C:/Users, C:\Users, c:/users are one (the first kept)
                wanted.append(path)
                wanted_keys.append(fold_path(path, os_name))
        if not wanted and folders_mode == "replace":
            raise CometInputError("folders", "an item must include at least one folder")
    vault_id = find_vault(profile, vault)

    sources = profile.setdefault("Sources", {})
    item_id, item = find_item(profile, device_id, name)
    created = []
    if item_id is None:
        item_id = deterministic_guid("source", account, device_id, name)
        item = {"Engine": FILE_ENGINE, "Description": name, "OwnerDevice": device_id, "CreateTime": now,
                "ModifyTime": now, "EngineProps": {}}
        sources[item_id] = item
        created.append("item")
        if wanted is None:
            wanted = list(DEFAULT_FOLDERS[os_name])
    original = deep(item)
    if not same_name(item.get("Description"), name):  # an NFD spelling of the name is the name: kept as stored
        item["Description"] = name
    kept = None
    if wanted is not None:
        def folder_key(path):
            return fold_path(path, os_name)

        if folders_mode == "merge":
            stored = item_folders(item)
            stored_keys = [folder_key(f) for f in stored]
            wanted = stored + [f for f in wanted if folder_key(f) not in stored_keys]
            if not wanted and "item" in created:
                # merged into a new item, no folder would give it an item that backs up nothing
                raise CometInputError("folders", "the device has no item yet and folders_mode=merge adds no folder to "
                                                 "it: list at least one folder (or omit folders for the default, %s)"
                                      % ", ".join(DEFAULT_FOLDERS[os_name]))
        props = set_props_values(item.get("EngineProps") or {}, INCLUDE_PREFIX, wanted, folder_key)
        if keep_folders and "item" not in created:
            if props != (item.get("EngineProps") or {}):
                kept = {"stored": item_folders(item), "wanted": item_folders({"EngineProps": props})}
        else:
            item["EngineProps"] = props
    item_changed = _without_times(item) != _without_times(original)
    if item_changed:
        item["ModifyTime"] = now

    rule_id, dummy = find_rule(profile, item_id, vault_id)
    if rule_id is None:
        rule_id = deterministic_guid("rule", account, item_id, vault_id)
        profile.setdefault("BackupRules", {})[rule_id] = {
            "Description": name, "Source": item_id, "Destination": vault_id, "CreateTime": now, "ModifyTime": now,
            "Schedules": [],
        }
        created.append("rule")
    return profile, {"setting": "item", "changed": bool(created) or item_changed, "device_id": device_id,
                     "item_id": item_id, "vault_id": vault_id, "rule_id": rule_id, "created": created, "kept": kept}


def item_view(profile, found):
    item = ((profile or {}).get("Sources") or {}).get(found.get("item_id"))
    if item is None:
        return {}
    rule = ((profile or {}).get("BackupRules") or {}).get(found.get("rule_id"))
    return {
        "device_id": found["device_id"],
        "item_id": found["item_id"],
        "item_name": item.get("Description"),
        "folders": item_folders(item),
        "vault_id": (rule or {}).get("Destination"),
        "rule_id": found["rule_id"] if rule else None,
    }


def _require_item(profile, device_id, os_name, item_name, hint):
    return require_item(profile, device_id, item_name or PROTECTED_ITEM_NAMES.get(os_name or "", ""), hint)


# ------------------------------------------------------------------------------------------------------ schedule

def set_schedule(profile, device_id=None, device_name=None, item_name=None, vault=None, schedules=None,
                 triggers=None, now=0, item_id=None, rule_id=None, hint=CREATE_HINT):
    """Schedules (Comet ScheduleConfig entries from schedules_to_comet(); None: left as stored) and EventTriggers
    (``triggers``, {field: value} from event_triggers(); fields not in it are left as stored) of the backup rule of
    the device's item. The rule is ``rule_id`` when given, else the rule of ``item_id`` (or of the item found by
    name) to ``vault`` (or its only rule)."""
    device_id, device = find_device(profile, device_id, device_name)
    if rule_id is None:
        if item_id is None:
            item_id, dummy = _require_item(profile, device_id, platform_os(device), item_name, hint)
        item = profile["Sources"][item_id]
        vault_id = find_vault(profile, vault) if vault else None
        rule_id, dummy = find_rule(profile, item_id, vault_id)
        if rule_id is None:
            raise CometInputError("item_name", "protected item %r of device %r has no backup rule%s (%s)"
                                  % (item.get("Description"), device_id, " to that vault" if vault_id else "", hint))
    rule = profile["BackupRules"][rule_id]
    changed = False
    if schedules is not None and not schedules_equal(rule.get("Schedules"), schedules):
        rule["Schedules"] = deep(schedules)
        changed = True
    if triggers:
        stored = rule.get("EventTriggers") or {}
        if triggers_differ(stored, triggers):
            rule["EventTriggers"] = dict(stored, **triggers)
            changed = True
    if changed:
        rule["ModifyTime"] = now
    return profile, {"setting": "schedule", "changed": changed, "device_id": device_id,
                     "item_id": rule.get("Source", item_id), "rule_id": rule_id}


def schedule_view(profile, found):
    rule = ((profile or {}).get("BackupRules") or {}).get(found.get("rule_id"))
    if rule is None:
        return {}
    stored = rule.get("EventTriggers") or {}
    return {
        "rule_id": found["rule_id"],
        "schedules": describe_all(rule.get("Schedules")),
        "event_triggers": dict((k, stored.get(k)) for k in TRIGGER_OPTIONS.values() if k in stored),
    }


# ------------------------------------------------------------------------------------------ user-level exclusions

def set_user_exclusions(profile, device_id=None, device_name=None, item_name=None, globs=(), regexes=(),
                        state="present", defaults=False, accent_workaround=True, now=0, item_id=None, hint=CREATE_HINT):
    """EXCLUDE* (globs) and REXCLUDE* (regexes, accent workarounds included) of the device's item (``item_id``, or
    the item found by name), with ``state`` present|absent|exact; ``defaults`` adds the UNIL globs for the OS."""
    device_id, device = find_device(profile, device_id, device_name)
    os_name = device_os(device_id, device)
    # the patterns first: a bad one is refused naming its option even when the item is missing too
    globs = (default_user_globs(os_name) if defaults else []) + list(globs or [])
    globs, regexes, warnings, workarounds = user_exclusions_plan(globs, list(regexes or []), os_name, accent_workaround)
    if item_id is None:
        item_id, dummy = _require_item(profile, device_id, os_name, item_name, hint)
    item = profile["Sources"][item_id]
    props = item.get("EngineProps") or {}
    new = apply_user_exclusions(props, globs, regexes, state, os_name)
    changed = new != props
    if changed:
        item["EngineProps"] = new
        item["ModifyTime"] = now
    return profile, {"setting": "exclusions", "changed": changed, "device_id": device_id, "item_id": item_id,
                     "warnings": warnings, "workarounds": workarounds}


def exclusions_view(profile, found):
    item = ((profile or {}).get("Sources") or {}).get(found.get("item_id"))
    if item is None:
        return {}
    props = item.get("EngineProps") or {}
    return {"item_id": found["item_id"], "globs": props_values(props, GLOB_PREFIX), "regexes": props_values(props, REGEX_PREFIX)}


# ----------------------------------------------------------------------------------- all settings in one change

# comet_device_settings names the user-level exclusion options after the role variables; the shared functions above
# name them as comet_exclusions does.
EXCLUSION_OPTIONS = {"globs": "exclude_globs", "regexes": "exclude_regexes"}
SETTINGS_HINT = "set item_defaults or folders to create it"
# The settings a person may change in their client (the service's activation guide): with comet_device_settings'
# set_once, written when this task creates the device's protected item (the schedule: its backup rule), then theirs.
PERSON_SETTINGS = ("folders", "schedule", "exclusions")


def settings_request(params):
    """Validate comet_device_settings' parameters (everything that does not depend on the device's OS) and convert
    them once: schedules to Comet entries, missed-job options to EventTriggers fields. Raises CometInputError naming
    the option. Returns the request apply_settings() takes."""
    check_name(params.get("account"), "account")
    check_name(params.get("device_id"), "device_id")
    check_name(params.get("name"), "name")
    check_name(params.get("item_name"), "item_name")
    random_delay = check_random_delay(params.get("random_delay"))
    schedules = params.get("schedules")
    globs = list(params.get("exclude_globs") or [])
    regexes = list(params.get("exclude_regexes") or [])
    for regex in regexes:
        check_regex(regex, EXCLUSION_OPTIONS["regexes"])
    state = params.get("exclusions_state") or "present"
    defaults = bool(params.get("exclusions_defaults"))
    set_once = list(params.get("set_once") or [])
    unknown = [s for s in set_once if s not in PERSON_SETTINGS]
    if unknown:
        raise CometInputError("set_once", "%s: not a setting a person owns (choose among %s)"
                              % (", ".join(repr(s) for s in unknown), ", ".join(PERSON_SETTINGS)))
    return {
        "account": params["account"],
        "device_id": params["device_id"],
        "name": params.get("name"),
        # a name another device of the account has is refused unless asked, as comet_device refuses it
        "allow_duplicate_name": bool(params.get("allow_duplicate_name")),
        "item": bool(params.get("item_defaults")) or params.get("folders") is not None,
        "item_defaults": bool(params.get("item_defaults")),
        "item_name": params.get("item_name"),
        "folders": params.get("folders"),
        "folders_mode": params.get("folders_mode") or "replace",
        "vault": params.get("vault"),
        "schedules": schedules_to_comet(schedules, random_delay) if schedules is not None else None,
        "triggers": event_triggers(params),
        "exclusions": bool(globs or regexes or defaults or state == "exact"),
        "globs": globs,
        "regexes": regexes,
        "exclusions_state": state,
        "exclusions_defaults": defaults,
        "accent_workaround": params.get("accent_workaround", True) is not False,
        "set_once": set_once,
    }


def apply_settings(profile, request, now):
    """Every setting of ``request`` (settings_request()) on ``profile``, in this order: device name, protected item
    (when ``request["item"]``), schedule (when schedules or missed-job options are given), user-level exclusions
    (when asked). The schedule and the exclusions go to the item the item step found or created (also in check
    mode, where it exists only in this copy). The settings in ``request["set_once"]`` are applied only when this
    call creates the item (the schedule: the item's rule); otherwise they stay as the person set them, and what
    would have been written is in ``kept``. Returns (profile, found): found has device_id, item_id, rule_id,
    vault_id (None when there is no item), created, warnings, workarounds, kept ({setting: {"stored", "wanted"}}, the
    person's settings that differ from the request and were left alone) and ``changes``, the change description of
    each setting applied, in order."""
    device_id = request["device_id"]
    set_once = request.get("set_once") or ()
    changes = []
    kept = {}
    profile, change = set_device_name(profile, device_id, name=request["name"],
                                      allow_duplicate_name=request.get("allow_duplicate_name", False))
    changes.append(change)
    item_id = rule_id = None
    created = []
    if request["item"]:
        profile, change = set_protected_item(profile, request["account"], device_id, item_name=request["item_name"],
                                             folders=request["folders"], folders_mode=request["folders_mode"],
                                             vault=request["vault"], now=now, defaults=request["item_defaults"],
                                             keep_folders="folders" in set_once)
        changes.append(change)
        item_id, rule_id, created = change["item_id"], change["rule_id"], change["created"]
        if change.get("kept"):
            kept["folders"] = change["kept"]
    if request["schedules"] is not None or request["triggers"]:
        keep = "schedule" in set_once and "rule" not in created
        trial, change = set_schedule(deep(profile) if keep else profile, device_id, item_name=request["item_name"],
                                     vault=request["vault"], schedules=request["schedules"],
                                     triggers=request["triggers"], now=now, item_id=item_id, rule_id=rule_id,
                                     hint=SETTINGS_HINT)
        item_id, rule_id = change["item_id"], change["rule_id"]
        if not keep:
            profile = trial
            changes.append(change)
        elif change["changed"]:
            kept["schedule"] = {"stored": _schedule_terms(profile, change), "wanted": _schedule_terms(trial, change)}
    warnings, workarounds = [], {}
    if request["exclusions"]:
        keep = "exclusions" in set_once and "item" not in created

        def exclusions_trial(current, item_id):
            try:
                return set_user_exclusions(
                    deep(current) if keep else current, device_id, item_name=request["item_name"],
                    globs=request["globs"], regexes=request["regexes"], state=request["exclusions_state"],
                    defaults=request["exclusions_defaults"], accent_workaround=request["accent_workaround"], now=now,
                    item_id=item_id, hint=SETTINGS_HINT)
            except CometInputError as exc:
                raise exc.renamed(EXCLUSION_OPTIONS)

        before = deep(profile) if not keep and "item" not in created else None
        trial, change = exclusions_trial(profile, item_id)
        item_id = change["item_id"]
        if keep:
            # the person removed half of a pair (the glob or its accent workaround): the other half goes too
            profile, completed = complete_pair_removals(profile, device_id, item_id, request, now)
            if completed:
                changes.append(completed)
                trial, change = exclusions_trial(profile, item_id)
        if not keep:
            profile = trial
            changes.append(change)
            warnings, workarounds = list(change["warnings"]), change["workarounds"]
            if before is not None:
                restored = restored_defaults(before, profile, device_id, item_id, request)
                if restored:
                    change["restored"] = restored
                    warnings.append(restored_warning(restored, profile, device_id, item_id))
        elif change["changed"]:
            stored, wanted = exclusions_view(profile, change), exclusions_view(trial, change)
            kept["exclusions"] = {"stored": {"globs": stored["globs"], "regexes": stored["regexes"]},
                                  "wanted": {"globs": wanted["globs"], "regexes": wanted["regexes"]}}
    if item_id is None:
        # nothing asked about the item: report the one the other settings would use, if there is one
        device = profile["Devices"][device_id]
        try:
            item_id = find_item(profile, device_id, request["item_name"] or PROTECTED_ITEM_NAMES.get(platform_os(device) or "", ""))[0]
        except CometInputError:
            item_id = None
    if item_id is not None and rule_id is None:
        wanted_vault = find_vault(profile, request["vault"]) if request["vault"] else None
        try:
            rule_id = find_rule(profile, item_id, wanted_vault)[0]
        except CometInputError:
            rule_id = None
    vault_id = profile["BackupRules"][rule_id].get("Destination") if rule_id is not None else None
    found = {"device_id": device_id, "item_id": item_id, "rule_id": rule_id, "vault_id": vault_id, "created": created,
             "warnings": warnings, "workarounds": workarounds, "changes": changes, "kept": kept}
    return profile, found


def _request_globs(request, os_name):
    return (default_user_globs(os_name) if request["exclusions_defaults"] else []) + list(request["globs"])


def complete_pair_removals(profile, device_id, item_id, request, now):
    """A setting written as two patterns (an accented glob and its accent workaround regex, exclusion_pairs()) is
    one setting: when the person removed either half in their client, the half left is removed too, so that nothing
    of it stays (seed 000, "les dossiers OneDrive sont exclus par défaut, mais les personnes utilisant le service
    peuvent réactiver la sauvegarde de ces dossiers"). Returns (profile, change or None); the change's ``removed``
    lists the patterns removed, its ``reason`` is "pair_removed_by_person"."""
    if request["exclusions_state"] == "absent":
        return profile, None
    os_name = device_os(device_id, profile["Devices"][device_id])
    pairs = exclusion_pairs(_request_globs(request, os_name), request["regexes"], os_name, request["accent_workaround"])
    item = profile["Sources"][item_id]
    props = item.get("EngineProps") or {}
    globs, regexes = removed_pair_halves(props, pairs, os_name)
    if not globs and not regexes:
        return profile, None
    item["EngineProps"] = apply_user_exclusions(props, globs, regexes, "absent", os_name)
    item["ModifyTime"] = now
    return profile, {"setting": "exclusions", "changed": True, "device_id": device_id, "item_id": item_id,
                     "warnings": [], "workarounds": {}, "removed": globs + regexes, "reason": "pair_removed_by_person"}


def restored_defaults(before, after, device_id, item_id, request):
    """The UNIL default user-level exclusions (globs and their accent workarounds) an enforced run wrote again on an
    item that existed without them (the person had removed them), in the order of the defaults."""
    if not request["exclusions_defaults"] or request["exclusions_state"] == "absent":
        return []
    os_name = device_os(device_id, after["Devices"][device_id])
    wanted = []
    for glob in default_user_globs(os_name):
        wanted.append((GLOB_PREFIX, glob))
        if request["accent_workaround"] and has_accents(glob):
            wanted.append((REGEX_PREFIX, workaround_regex(glob, os_name)))

    def held(profile, prefix, value):
        props = ((profile.get("Sources") or {}).get(item_id) or {}).get("EngineProps") or {}
        if prefix == GLOB_PREFIX:
            return fold_path(value, os_name) in [fold_path(v, os_name) for v in props_values(props, GLOB_PREFIX)]
        return value in props_values(props, REGEX_PREFIX)

    return [value for prefix, value in wanted if not held(before, prefix, value) and held(after, prefix, value)]


def restored_warning(restored, profile, device_id, item_id):
    item = profile["Sources"][item_id]
    return ("exclusions enforced (comet_config_enforce lists exclusions): the default exclusion(s) %s, which the person "
            "had removed from item %r of device %s in their client, are written again"
            % (", ".join('"%s"' % value for value in restored), item.get("Description"), device_id))


def _schedule_terms(profile, change):
    view = schedule_view(profile, change)
    return {"schedules": view.get("schedules", []), "event_triggers": view.get("event_triggers", {})}


def settings_views(profile, found):
    """{setting: view} of what comet_device_settings manages, for its diff and its result."""
    ids = dict(found)
    return {
        "name": device_view(profile, found["device_id"]),
        "item": item_view(profile, ids) if found.get("item_id") else {},
        "schedule": schedule_view(profile, ids) if found.get("rule_id") else {},
        "exclusions": exclusions_view(profile, ids) if found.get("item_id") else {},
    }


def settings_diff_view(profile, found):
    """One flat, normalised dict (the diff's before or after)."""
    views = settings_views(profile, found)
    out = {"device_id": found["device_id"], "device_name": views["name"].get("name")}
    for key in ("item_id", "item_name", "folders", "vault_id", "rule_id"):
        if key in views["item"]:
            out[key] = views["item"][key]
    for key in ("schedules", "event_triggers"):
        if key in views["schedule"]:
            out[key] = views["schedule"][key]
    for key in ("globs", "regexes"):
        if key in views["exclusions"]:
            out[key] = views["exclusions"][key]
    return out
