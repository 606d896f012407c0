# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# The first backup of a device, as the service's guide advises it (seed 000, "Machine ventile lors du premier
# backup": the first backup makes the computer busy and loud, start it in a quiet period or at night): the window
# in which comet_device_settings may start it, the decision, and the start itself - dispatcher/run-backup sent once,
# its JobID read back with get-job-properties (Go SDK AdminDispatcherRunBackup -> DispatchWithJobIDResponse,
# AdminGetJobProperties -> BackupJobDetail). Results carry a code; the text people read is formatted from it.
#
# Codes (the module's RV(backup_reason), comet_config_result.backup_reason):
#   started                        the job was started (read back when the server returned a JobID)
#   not_started:<why>              not_asked, check_mode, item_existed, offline, no_rule, profile_not_applied,
#                                  refused, answer_lost, job_not_found
#   deferred:<why>                 outside_window (the next one, or the schedule, runs it), never (left to the schedule),
#                                  vpn (the host's Pulse Secure / Ivanti VPN connection is up: the guide advises against
#                                  a first backup through it)

from __future__ import annotations

import datetime
import json
import re
import time

from ansible_collections.unil.backup.plugins.module_utils._comet_api import CometApiError, CometOutcomeUnknown
from ansible_collections.unil.backup.plugins.module_utils._comet_model import CometInputError

try:  # Python 3.9+; without it the controller's local time is used
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover
    ZoneInfo = None

WINDOW_OPTION = "first_backup_window"
WAIT_OPTION = "first_backup_wait"
_WINDOW = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$")

REASON_TEXT = {
    "started": "first backup started",
    "not_started:not_asked": "first backup not asked",
    "not_started:check_mode": "first backup not started (check mode)",
    "not_started:item_existed": "first backup not started: the device's item existed, its schedule runs the backups",
    "not_started:offline": "first backup not started: the device is offline, its schedule runs it",
    "not_started:no_rule": "first backup not started: the item has no backup rule",
    "not_started:profile_not_applied": "not started: the device has not applied its profile yet",
    "not_started:refused": "first backup not started: the Comet Server refused it",
    "not_started:answer_lost": "first backup not started: the server's answer was lost and no job of the device was found",
    "not_started:job_not_found": "first backup not confirmed: its job was not found",
    "deferred:outside_window": "first backup deferred to the schedule (outside the first-backup window)",
    "deferred:never": "first backup deferred to the schedule (first_backup_window=never)",
    "deferred:vpn": "first backup deferred to the schedule: the host's Pulse Secure VPN is connected",
}


def parse_window(value):
    """``first_backup_window``: "now" (start at once), "never" (leave it to the schedule) or "HH:MM-HH:MM" (start
    only between these local times; a start after the end spans midnight, "20:00-06:00" is the night). Returns
    "now", "never" or (start minute, end minute) of the day. CometInputError naming the option otherwise."""
    text = str(value if value is not None else "now").strip().lower()
    if text in ("now", "never"):
        return text
    match = _WINDOW.match(text.replace(" ", ""))
    if not match:
        raise CometInputError(WINDOW_OPTION, "%r: write now, never, or a daily window HH:MM-HH:MM such as 20:00-06:00"
                              % (value,))
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if start == end:
        raise CometInputError(WINDOW_OPTION, "%r: the window is empty (write now to start at any time)" % (value,))
    return (start, end)


def check_wait(value):
    """``first_backup_wait``: whole seconds from 0 to 600 (None: 30). CometInputError naming the option otherwise."""
    if value is None:
        return 30
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, str) and value.strip().isdigit()):
        raise CometInputError(WAIT_OPTION, "%r: write a whole number of seconds from 0 to 600" % (value,))
    value = int(value)
    if not 0 <= value <= 600:
        raise CometInputError(WAIT_OPTION, "%r: write a whole number of seconds from 0 to 600" % (value,))
    return value


def in_window(window, minute):
    """True when ``minute`` (of the day, 0-1439) is in ``window`` (parse_window()); "now" always, "never" never."""
    if window == "now":
        return True
    if window == "never":
        return False
    start, end = window
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def local_minute(timezone=None, now=None):
    """(minute of the day, timezone used) at ``now`` (Unix seconds) in ``timezone`` (an IANA name such as the
    device's DeviceTimeZone), or in the controller's local time when it is empty or unknown ("local")."""
    now = time.time() if now is None else now
    if timezone and ZoneInfo is not None:
        try:
            moment = datetime.datetime.fromtimestamp(now, ZoneInfo(str(timezone)))
            return moment.hour * 60 + moment.minute, str(timezone)
        except (ValueError, KeyError, OSError):
            pass
    moment = datetime.datetime.fromtimestamp(now)
    return moment.hour * 60 + moment.minute, "local"


def first_backup_decision(start_backup, created, check_mode, online, window, minute, vpn=False):
    """'start' or the reason code it is not started, in this order: not asked, the item existed, check mode,
    offline, the window ("never"), the host's VPN connection up (``vpn``; seed 000: "il est même déconseillé de faire
    cette première sauvegarde tout en ayant Pulse Secure activé"), ``minute`` outside the window."""
    if not start_backup:
        return "not_started:not_asked"
    if not created:
        return "not_started:item_existed"
    if check_mode:
        return "not_started:check_mode"
    if not online:
        return "not_started:offline"
    if window == "never":
        return "deferred:never"
    if vpn:
        return "deferred:vpn"
    if not in_window(window, minute):
        return "deferred:outside_window"
    return "start"


def reason_text(code):
    """The people-facing text of a reason code."""
    return REASON_TEXT.get(str(code or ""), str(code or ""))


def _job_of(jobs, device_id, rule_id, since):
    for job in jobs or ():
        if (isinstance(job, dict) and job.get("DeviceID") == device_id and int(job.get("StartTime") or 0) >= since
                and job.get("BackupRuleGUID") in (rule_id, "", None)):
            return job
    return None


def job_properties(client, job_id):
    """get-job-properties (Go SDK AdminGetJobProperties, JobID): the BackupJobDetail, or None when the server says
    there is no such job. Read raw: a BackupJobDetail's Status is the job's status (5000 and up), not an API error -
    the Go SDK takes an answer for an error only when its Status is 400 or more AND it has a Message."""
    data = client.call_raw("get-job-properties", {"JobID": job_id})
    try:
        job = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    if not isinstance(job, dict) or (job.get("Message") and isinstance(job.get("Status"), int) and job["Status"] >= 400):
        return None
    return job


def start_first_backup(client, account, target_id, device_id, rule_id, wait=0, sleep=time.sleep, clock=time.time):
    """Start the device's first backup: dispatcher/run-backup, its JobID read back. Returns {"started", "reason",
    "job_id", "job_status"}.

    The device applies a refetched profile some time after dispatcher/refetch-profile (how soon is not documented);
    a device that has not applied it does not know the new rule and refuses it (a definite answer: nothing started).
    Within ``wait`` seconds the request is sent again after such a refusal, never after a lost answer: a lost answer
    is followed by a read of the account's jobs (a job of this device since the send means it started)."""
    deadline = clock() + max(0, int(wait or 0))
    pause = 2.0
    while True:
        sent_at = int(clock()) - 1
        try:
            answer = client.run_backup(target_id, rule_id) or {}
            break
        except CometOutcomeUnknown:
            try:
                job = _job_of(client.jobs_for_user(account), device_id, rule_id, sent_at)
            except CometApiError:
                job = None
            if job is None:
                return {"started": False, "reason": "not_started:answer_lost", "job_id": None, "job_status": None}
            return {"started": True, "reason": "started", "job_id": job.get("GUID"), "job_status": job.get("Status")}
        except CometApiError as exc:
            status = getattr(exc, "status", None)
            if status is not None and 400 <= int(status) < 500:
                if clock() + pause <= deadline:
                    sleep(pause)
                    continue
                # the rule is in the profile just written: a device that refuses it has not applied that profile
                return {"started": False, "reason": "not_started:profile_not_applied", "job_id": None,
                        "job_status": None}
            return {"started": False, "reason": "not_started:refused", "job_id": None, "job_status": None}
    job_id = answer.get("JobID") if isinstance(answer, dict) else None
    if not job_id:  # a server older than DispatchWithJobIDResponse: started, nothing to read back
        return {"started": True, "reason": "started", "job_id": None, "job_status": None}
    try:
        job = job_properties(client, job_id)
    except CometApiError:
        job = None
    if not isinstance(job, dict) or job.get("GUID", job_id) != job_id:
        return {"started": False, "reason": "not_started:job_not_found", "job_id": job_id, "job_status": None}
    return {"started": True, "reason": "started", "job_id": job_id, "job_status": job.get("Status")}
