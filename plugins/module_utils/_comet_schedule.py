# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Pure logic of the comet_schedule module (no I/O): schedules written in sysadmin terms <-> Comet ScheduleConfig.
#
# FrequencyType codes and the meaning of SecondsPast (device's local time):
#   ONCEONLY 8010 (a Unix timestamp), DAILY 8011 (seconds after 00:00), HOURLY 8012 (seconds after :00),
#   WEEKLY 8013 (seconds after 00:00 on Sunday), MONTHLY 8014 (seconds after 00:00 on the 1st),
#   PERIODIC 8015 (the period; Offset shifts the start from the Unix epoch).
# A weekly schedule on several days is written as one WEEKLY entry per day (the literal mapping; how the Comet GUI
# stores it is UNCONFIRMED).

from __future__ import annotations

import datetime
import math
import re

from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

ONCEONLY = 8010
DAILY = 8011
HOURLY = 8012
WEEKLY = 8013
MONTHLY = 8014
PERIODIC = 8015

FREQUENCIES = {
    "once": ONCEONLY,
    "daily": DAILY,
    "hourly": HOURLY,
    "weekly": WEEKLY,
    "monthly": MONTHLY,
    "periodic": PERIODIC,
}
FREQUENCY_NAMES = dict((v, k) for k, v in FREQUENCIES.items())

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_ALIASES = {
    "sunday": "sun", "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "tues": "tue", "wednes": "wed", "thur": "thu", "thurs": "thu",
}

MAX_RANDOM_DELAY = 18000
MIN_PERIOD = 60
MAX_PERIOD = 366 * 86400
# Options each frequency accepts besides "frequency"; any other one set is an error.
ALLOWED = {
    "once": ("at",),
    "hourly": ("minute",),
    "daily": ("at",),
    "weekly": ("days", "at"),
    "monthly": ("day", "at"),
    "periodic": ("every", "offset"),
}
SUB_OPTIONS = ("at", "minute", "days", "day", "every", "offset")

_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# ASCII digits only: str.isdigit() and \d accept "²", "٣" and other digits int() may refuse or read differently.
_DURATION_PART = re.compile(r"([0-9]+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer numbers are refused before int() reads them (no 5000-digit conversion); 12 digits is over 30000 years.
MAX_DIGITS = 12
# A ONCEONLY timestamp written must be one Comet stores (SecondsPast is a uint64: not before 1970-01-01T00:00Z) and
# a date of years 1 to 9999 in UTC, which Python reads back (253402300799 is 9999-12-31T23:59:59Z). A reader shows
# any date of years 1 to 9999, and any other stored value as its raw timestamp.
MIN_TIMESTAMP = 0
MAX_TIMESTAMP = 253402300799
_MIN_READABLE = -62135596800   # 0001-01-01T00:00:00Z


def sexagesimal_hint(value):
    """What to write when ``value`` is how YAML 1.1 reads an unquoted time: ``at: 22:30`` is the number 1350
    (22 * 60 + 30, base 60), given to the module as 1350 or "1350". '' for anything else."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not re.match(r"^[0-9]{1,4}$", text) or int(text) >= 24 * 60:
        return ""
    hhmm = "%02d:%02d" % divmod(int(text), 60)
    return (" (YAML reads an unquoted %s as the number %s, base 60: write '%s' in quotes)"
            % (hhmm, int(text), hhmm))


def parse_hhmm(value, option):
    match = _HHMM.match(str(value).strip()) if value is not None else None
    if not match or isinstance(value, bool):
        raise CometInputError(option, "%r is not a time of day HH:MM (00:00 to 23:59)%s"
                              % (str(value) if isinstance(value, int) else value, sexagesimal_hint(value)))
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


def _int(value, default=0):
    """A stored number as an int (anything else: ``default``): readers never crash on a stored profile."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e18:
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit() \
            and len(value.strip()) <= 20:
        return int(value.strip())
    return default


def format_hhmm(seconds):
    seconds = _int(seconds) % 86400
    return "%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60)


def parse_duration(value, option):
    """Seconds from an int, "3600", "90s", "30m", "4h", "1d", or a combination such as "1h30m"."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CometInputError(option, "%r is not a duration" % (value,))
    if isinstance(value, int):
        if abs(value) >= 10 ** MAX_DIGITS:
            raise CometInputError(option, "a %d-digit number is not a duration" % len(str(abs(value))))
        return value
    text = value.strip().lower().replace(" ", "")
    shown = value if len(value) <= 40 else value[:40] + "..."
    if text.isascii() and text.isdigit():
        if len(text) > MAX_DIGITS:
            raise CometInputError(option, "%r is not a duration (a %d-digit number)" % (shown, len(text)))
        return int(text)
    if not text or not text.isascii() or _DURATION_PART.sub("", text):
        raise CometInputError(option, "%r is not a duration (ASCII digits and a unit, e.g. 3600, 90s, 30m, 4h, 1d, 1h30m)"
                              % (shown,))
    parts = _DURATION_PART.findall(text)
    if any(len(n) > MAX_DIGITS for n, dummy in parts):
        raise CometInputError(option, "%r is not a duration (a number of more than %d digits)" % (shown, MAX_DIGITS))
    return sum(int(n) * _UNITS[u] for n, u in parts)


def format_duration(seconds):
    seconds = _int(seconds)
    if seconds <= 0:
        return "%ds" % seconds
    out = ""
    for unit in ("d", "h", "m", "s"):
        n, seconds = divmod(seconds, _UNITS[unit])
        if n:
            out += "%d%s" % (n, unit)
    return out


def parse_days(value, option):
    if not value or not isinstance(value, (list, tuple)):
        raise CometInputError(option, "a non-empty list of days (sun, mon, tue, wed, thu, fri, sat) is required")
    out = set()
    for day in value:
        key = str(day).strip().lower()
        key = _DAY_ALIASES.get(key, key)
        if key not in DAYS:
            raise CometInputError(option, "%r is not a day (sun, mon, tue, wed, thu, fri, sat)" % (day,))
        out.add(DAYS.index(key))
    return sorted(out)


def parse_timestamp(value, option):
    """Unix timestamp from an ISO 8601 date-time with its UTC offset ("2026-12-24T18:00:00+01:00", "...Z")."""
    text = str(value or "").strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(text) if text.isascii() and len(text) <= 64 else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise CometInputError(option, "%r is not an ISO 8601 date-time with a UTC offset (e.g. 2026-12-24T18:00+01:00)" % (value,))
    # The date in UTC must be a year 1 to 9999: 0001-01-01T00:00+14:00 is in year 0, which Python cannot represent
    # (and a reader of the stored schedule would fail on it).
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = when.replace(tzinfo=None) - epoch.replace(tzinfo=None) - when.utcoffset()
    seconds = delta.days * 86400 + delta.seconds
    if not _MIN_READABLE <= seconds <= MAX_TIMESTAMP:
        raise CometInputError(option, "%r is outside the years 1 to 9999 once converted to UTC" % (value,))
    if seconds < MIN_TIMESTAMP:
        raise CometInputError(option, "%r is before 1970-01-01T00:00Z, which Comet cannot store" % (value,))
    return seconds


def schedule_to_comet(spec, index, random_delay=0):
    """One sysadmin schedule dict -> list of ScheduleConfig dicts (weekly: one per day)."""
    prefix = "schedules[%d]" % index
    if not isinstance(spec, dict):
        raise CometInputError(prefix, "must be a dictionary")
    frequency = str(spec.get("frequency") or "").strip().lower()
    if frequency not in FREQUENCIES:
        raise CometInputError(prefix + ".frequency", "%r is not one of %s" % (spec.get("frequency"), ", ".join(sorted(FREQUENCIES))))
    for key in SUB_OPTIONS:
        if spec.get(key) is not None and key not in ALLOWED[frequency]:
            raise CometInputError("%s.%s" % (prefix, key), "not valid for frequency %s (valid: %s)"
                                  % (frequency, ", ".join(ALLOWED[frequency])))
    code = FREQUENCIES[frequency]

    def entry(seconds_past, offset=0):
        return {"FrequencyType": code, "SecondsPast": int(seconds_past), "Offset": int(offset),
                "RandomDelaySecs": int(random_delay)}

    if frequency == "hourly":
        minute = spec.get("minute")
        minute = 0 if minute is None else minute
        if isinstance(minute, bool) or not isinstance(minute, int) or not 0 <= minute <= 59:
            raise CometInputError(prefix + ".minute", "%r is not a minute 0 to 59" % (minute,))
        return [entry(minute * 60)]
    if frequency == "daily":
        return [entry(parse_hhmm(spec.get("at"), prefix + ".at"))]
    if frequency == "weekly":
        at = parse_hhmm(spec.get("at"), prefix + ".at")
        return [entry(day * 86400 + at) for day in parse_days(spec.get("days"), prefix + ".days")]
    if frequency == "monthly":
        day = spec.get("day")
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
            raise CometInputError(prefix + ".day", "%r is not a day of the month 1 to 28" % (day,))
        return [entry((day - 1) * 86400 + parse_hhmm(spec.get("at"), prefix + ".at"))]
    if frequency == "once":
        return [entry(parse_timestamp(spec.get("at"), prefix + ".at"))]
    # periodic
    if spec.get("every") is None:
        raise CometInputError(prefix + ".every", "required for frequency periodic")
    every = parse_duration(spec.get("every"), prefix + ".every")
    if not MIN_PERIOD <= every <= MAX_PERIOD:
        raise CometInputError(prefix + ".every", "the period must be between %s and %s" % (format_duration(MIN_PERIOD), format_duration(MAX_PERIOD)))
    offset = parse_duration(spec.get("offset") if spec.get("offset") is not None else 0, prefix + ".offset")
    if not 0 <= offset < every:
        raise CometInputError(prefix + ".offset", "must be at least 0 and shorter than the period (%s)" % format_duration(every))
    return [entry(every, offset)]


def check_random_delay(value):
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RANDOM_DELAY:
        raise CometInputError("random_delay", "%r is not between 0 and %d seconds" % (value, MAX_RANDOM_DELAY))
    return value


def schedules_to_comet(specs, random_delay=0):
    """The whole list, validated; duplicates (same Comet entry) dropped, order kept."""
    random_delay = check_random_delay(random_delay)
    out = []
    for index, spec in enumerate(specs or []):
        for item in schedule_to_comet(spec, index, random_delay):
            if item not in out:
                out.append(item)
    return out


_CORE = ("FrequencyType", "SecondsPast", "Offset", "RandomDelaySecs")


def normalize_schedule(schedule):
    """A stored ScheduleConfig reduced to what matters for comparison: the core fields as ints, plus any other
    field that is set (restrictions count only when enabled)."""
    schedule = dict(schedule or {})
    out = {}
    for key in _CORE:
        value = schedule.get(key) or 0
        out[key] = _int(value, value)
    if not schedule.get("RestrictRuntime"):
        schedule.pop("FromTime", None)
        schedule.pop("ToTime", None)
    if not schedule.get("RestrictDays"):
        schedule.pop("DaysSelect", None)
    for key, value in schedule.items():
        if key not in _CORE and value not in (None, 0, False, "", [], {}):
            out[key] = value
    return out


def schedules_equal(stored, desired):
    return [normalize_schedule(s) for s in stored or []] == [normalize_schedule(s) for s in desired or []]


def describe(schedule):
    """A stored ScheduleConfig in the module's own terms (for diffs and comet_info)."""
    schedule = schedule if isinstance(schedule, dict) else {}
    code = _int(schedule.get("FrequencyType"), None)
    seconds = _int(schedule.get("SecondsPast"))
    out = {"frequency": FREQUENCY_NAMES.get(code, "unknown(%s)" % (schedule.get("FrequencyType"),))}
    if code == HOURLY:
        out["minute"] = (seconds % 3600) // 60
    elif code == DAILY:
        out["at"] = format_hhmm(seconds)
    elif code == WEEKLY:
        out["days"] = [DAYS[(seconds // 86400) % 7]]
        out["at"] = format_hhmm(seconds)
    elif code == MONTHLY:
        out["day"] = seconds // 86400 + 1
        out["at"] = format_hhmm(seconds)
    elif code == ONCEONLY:
        if _MIN_READABLE <= seconds <= MAX_TIMESTAMP:
            when = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
            out["at"] = "%04d-%02d-%02dT%02d:%02d:%02dZ" % (when.year, when.month, when.day, when.hour, when.minute,
                                                            when.second)
        else:  # a stored date no calendar of years 1 to 9999 has: shown as its raw Unix timestamp
            out["at"] = "@%d" % seconds
    elif code == PERIODIC:
        out["every"] = format_duration(seconds)
        out["offset"] = format_duration(_int(schedule.get("Offset")))
    if _int(schedule.get("RandomDelaySecs")):
        out["random_delay"] = _int(schedule["RandomDelaySecs"])
    return out


def describe_all(schedules):
    """Describe a list, grouping consecutive weekly entries at the same time into one entry with several days."""
    out = []
    for schedule in schedules or []:
        item = describe(schedule)
        last = out[-1] if out else None
        if (last and item["frequency"] == "weekly" and last["frequency"] == "weekly" and last["at"] == item["at"]
                and last.get("random_delay") == item.get("random_delay")):
            last["days"] = last["days"] + item["days"]
        else:
            out.append(item)
    return out


# Comet's EventTriggers fields are all `omitempty`: a server answers without the ones at their zero value, so an absent
# field reads as this value (comet-go-sdk BackupRuleEventTriggers).
TRIGGER_ZERO = {"OnPCBoot": False, "OnPCBootIfLastJobMissed": False, "OnLastJobFailDoRetry": False,
                "LastJobFailDoRetryCount": 0, "LastJobFailDoRetryTime": 0}
# LastJobFailDoRetryTime is in minutes (comet-go-sdk: DEFAULT_RETRY_TIME = 30, "minutes"); at most 7 days.
RETRY_DELAY_MAX_MINUTES = 7 * 24 * 60

TRIGGER_OPTIONS = {
    "run_on_boot": "OnPCBoot",
    "run_missed_on_boot": "OnPCBootIfLastJobMissed",
    "retry_failed": "OnLastJobFailDoRetry",
    "retry_count": "LastJobFailDoRetryCount",
    "retry_delay": "LastJobFailDoRetryTime",
}


def event_triggers(params):
    """{EventTriggers field: value} for the options that are set (None = leave the stored value); retry_delay in
    minutes, as Comet stores it."""
    out = {}
    for option, field in TRIGGER_OPTIONS.items():
        value = params.get(option)
        if value is None:
            continue
        if option == "retry_count":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise CometInputError(option, "%r is not between 0 and 100" % (value,))
        if option == "retry_delay":
            seconds = parse_duration(value, option)
            if seconds % 60:
                raise CometInputError(option, "%r is not a whole number of minutes (Comet stores this delay in minutes)"
                                      % (value,))
            value = seconds // 60
            if not 1 <= value <= RETRY_DELAY_MAX_MINUTES:
                raise CometInputError(option, "must be between 1 minute and 7 days")
        out[field] = value
    return out


def triggers_differ(stored, wanted):
    """Whether the stored EventTriggers differ from the wanted fields, an absent field being its zero value."""
    stored = stored or {}
    return any(stored.get(key, TRIGGER_ZERO.get(key)) != value for key, value in wanted.items())


def _whole(value):
    """Inventory values may be strings of digits: the role passes them to the modules as integers."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii() else value


def schedule_problems(schedules, random_delay=0, triggers=None, prefix=""):
    """Every problem the modules would refuse in these schedule settings, as messages naming the option with
    ``prefix`` (a role's variable prefix); [] when all is well. The same rules as schedules_to_comet and
    event_triggers, for a role's preflight before any change."""
    problems = []
    if schedules is not None:
        if not isinstance(schedules, list):
            problems.append("%sschedules: must be a list of schedules" % prefix)
        else:
            for index, spec in enumerate(schedules):
                try:
                    schedule_to_comet(spec, index)
                except CometInputError as exc:
                    problems.append("%s%s: %s" % (prefix, exc.option, exc.message))
    try:
        check_random_delay(_whole(random_delay))
    except CometInputError as exc:
        problems.append("%s%s: %s" % (prefix, exc.option, exc.message))
    for option, value in (triggers or {}).items():
        try:
            event_triggers({option: _whole(value) if option == "retry_count" else value})
        except CometInputError as exc:
            problems.append("%s%s: %s" % (prefix, exc.option, exc.message))
    return problems
