# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the unil.backup collection: role comet_client's decision for one host, in one step.

From the role's variables as they are (secrets reduced to booleans, never returned), the host's facts and its probe
(module host_info): the variables checked, the version to install, the plan, the refusal, and the role's facts. Called
by the action plugin unil.backup.comet_client_decide (one controller task per host, what a converged host runs besides
its probe); the rules themselves are in _comet_client.py.
"""

from __future__ import annotations

import hashlib

from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows


def settings(variables, facts=None, installer_file_exists=True):
    """The role's variables checked and resolved (role_settings), with ``target`` and ``ask_server_version``. With
    ``facts`` (ansible_facts), ``variables`` are the role's variables as they are, secrets included (reduced to booleans
    by role_inputs); without, they are role_settings' input already."""
    resolved = cc.role_settings(cc.role_inputs(variables, facts, installer_file_exists) if facts is not None else variables)
    resolved["target"], resolved["ask_server_version"] = cc.target_version(
        resolved, variables.get("state", "present"), variables.get("version") or "")
    return resolved


def identity(probe):
    """What the Comet device ID is derived from, compared across the batch before an installation (imaged machines)."""
    found = dict(probe.get("identity") or {})
    found["device_id"] = (probe.get("comet") or {}).get("device_id", "")
    return found


def public_facts(probe):
    """The role's public facts from its latest read of the host (also set again after a change, tasks/facts.yml)."""
    comet = probe.get("comet") or {}
    return {
        "comet_client_host_info": probe,
        "comet_client_installed": comet.get("installed"),
        "comet_client_installed_version": comet.get("version"),
        "comet_client_device_id": comet.get("device_id"),
        "comet_client_login_status": comet.get("login"),
        "comet_client_identity": identity(probe),
        # a Pulse Secure / Ivanti connection up (host_info vpn): role comet_config defers the first backup
        "comet_client_vpn_connected": bool((probe.get("vpn") or {}).get("connected")),
    }


def planned(probe, target, unit_sha256="", unit_enabled=True, allow_downgrade=False, can_login=False, state="present",
            can_install=True, require_login=False, services=(), os_name=""):
    """The plan (_comet_client.plan) with ``password_login``: whether it logs in with the end user's password."""
    result = cc.plan(probe, target, unit_sha256, unit_enabled, allow_downgrade, can_login, state, can_install,
                     require_login, services)
    result["password_login"] = cc.password_login(result, os_name, state)
    return result


# The unit documented by Comet ("Linux - other distribution"), plus Environment=HOME=/root so that the client finds its
# credentials; the header says who writes it. Its digest is compared with the host's copy (host_info's unit.sha256).
LINUX_UNIT = """# Ansible managed
# Comet Backup client started at boot: the unit documented by Comet ("Linux - other distribution"),
# plus Environment=HOME=/root so that the client finds its credentials.
[Unit]
Description=Comet Backup Client (%(product_name)s)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
RemainAfterExit=true
KillMode=process
User=root
Environment=HOME=/root
ExecStart=%(install_dir)s/backup-daemon-start.sh

[Install]
WantedBy=multi-user.target
"""


def linux_unit(product_name, install_dir):
    """The systemd unit role comet_client writes on Linux (/etc/systemd/system/<comet_client_linux_service_name>.service)."""
    return LINUX_UNIT % {"product_name": product_name, "install_dir": str(install_dir).rstrip("/")}


def decide(host, variables, facts, probe, options, server_version=None, installer_file_exists=True):
    """Role comet_client's decision for ``host``. ``variables``: the role's variables without prefix (the
    comet_client_settings filter's input); ``facts``: ansible_facts; ``probe``: host_info's result. ``options``:
    unit_text (default: linux_unit of product_name and linux_install_dir), unit_enabled, allow_downgrade, login_repair,
    require_login, allow_shared. ``server_version``: a
    callable(settings) -> version, asked only when the version to install is not known otherwise.

    Returns {failed, msg, facts}: ``msg`` names every problem (the variables first, else the plan's refusal);
    ``facts`` are the role's facts, also when it failed (what was read stays readable)."""
    state = variables.get("state", "present")
    resolved = settings(variables, facts, installer_file_exists)
    out = dict(public_facts(probe))
    out.update(_comet_client_settings=resolved, _comet_client_allow_shared=bool(options.get("allow_shared")),
               comet_client_reboot_required=False)
    if resolved["errors"]:
        return {"failed": True, "msg": "unil.backup.comet_client: %s" % " ".join(resolved["errors"]), "facts": out}
    target = resolved["target"]
    if resolved["ask_server_version"]:
        if server_version is None:
            return {"failed": True, "facts": out,
                    "msg": "unil.backup.comet_client: the version to install must be asked of the Comet Server"}
        target = server_version(resolved)
    unit_text = ""
    if resolved["os"] == "linux":
        own = linux_unit(str(options.get("product_name") or ""), str(variables.get("linux_install_dir") or ""))
        unit_text = str(options.get("unit_text") or "") or own
        out["_comet_client_unit_text"] = unit_text
    unit_sha256 = hashlib.sha256(unit_text.encode("utf-8")).hexdigest() if unit_text else ""
    credentials = bool(variables.get("username")) and bool(variables.get("password"))
    plan = planned(probe, str(target or ""), unit_sha256, bool(options.get("unit_enabled", True)),
                   bool(options.get("allow_downgrade")), bool(options.get("login_repair", True)) and credentials, state,
                   credentials, bool(options.get("require_login")), tuple(resolved["services"]), resolved["os"])
    out["_comet_client_plan"] = plan
    refusals = cc.refusals(host, plan)
    if resolved["os"] == "windows" and plan["action"] != "none":
        # the installer for this Windows's architecture (the 32-bit client on a 32-bit Windows), refused here when the
        # source has none - before anything changes, the clones' new identity included
        choice = windows_installer(host, variables, resolved, probe, plan["target"])
        out["_comet_client_windows_installer_choice"] = choice
        if choice["refusal"]:
            refusals.append(choice["refusal"])
    if refusals:
        return {"failed": True, "msg": "unil.backup.comet_client: %s" % " ".join(refusals), "facts": out}
    return {"failed": False, "msg": "", "facts": out}


def windows_installer(host, variables, resolved, probe, target):
    """_comet_windows.installer_for_host for this host, from the role's variables (windows_x86_installer_*)."""
    x86 = dict((key, variables.get("windows_x86_installer_" + key) or "") for key in ("variant", "file", "url", "sha256"))
    return _comet_windows.installer_for_host(
        probe, host, resolved["source"], resolved["variant"], resolved["installer_name"],
        variables.get("installer_file") or "", variables.get("installer_url") or "", variables.get("installer_sha256") or "",
        target, x86=x86)


def next_steps(plan, shared, host, os_name, state):
    """The task files role comet_client carries out after its decision and the batch's comparison, in order (a
    dispatch table; [] for a converged Linux or Windows host):

    - shared_device.yml, for every host of the batch when the comparison (unil.backup.comet_shared_devices, ``shared``)
      found hosts sharing a device: the clones get an identity of their own when asked, what is still shared is refused;
    - macos_full_disk_access.yml, on every Mac when installing (converged or not: the PPPC profile and its report);
    - change.yml, when the plan lists a change, and always when removing (it also cleans up what an earlier removal
      left)."""
    shared = shared if isinstance(shared, dict) else {}
    plan = plan if isinstance(plan, dict) else {}
    steps = []
    if state == "present" and (shared.get("refusals") or shared.get("reidentify")):
        steps.append("shared_device.yml")
    if state == "present" and os_name == "macos":
        steps.append("macos_full_disk_access.yml")
    if plan.get("changes") or state == "absent":
        steps.append("change.yml")
    return steps
