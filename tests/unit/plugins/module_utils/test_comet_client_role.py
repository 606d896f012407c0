# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role comet_client's one decision per host (_comet_client_role.decide): variables, version, plan, refusal, facts."""

from __future__ import annotations

import hashlib

from ansible_collections.unil.backup.plugins.module_utils import _comet_client_role as role
from ansible_collections.unil.backup.plugins.module_utils import _comet_url

FACTS = {"system": "Linux", "os_family": "Debian", "architecture": "x86_64", "service_mgr": "systemd",
         "distribution": "Debian", "distribution_version": "12"}
UNIT = "[Unit]\nDescription=Comet Backup\n"
VARIABLES = {"state": "present", "server_url": "https://comet.example.ch/", "brand": "Comet_Backup_UNIL",
             "username": "alice", "password": "s3cret", "admin_username": "admin", "admin_password": "adm1n",
             "device_name": "", "linux_install_dir": "/opt/CometBackup", "linux_service_name": "comet-backup",
             "installer_source": "server", "installer_file": "", "installer_url": "", "installer_sha256": "",
             "installer_variant": "", "version": "24.6.0", "revoke_device": False, "allow_obsolete_os": False,
             "windows_use_install_token": True, "macos_use_install_token": True}
OPTIONS = {"unit_text": UNIT, "unit_enabled": True, "allow_downgrade": False, "login_repair": True,
           "require_login": False, "allow_shared": False}


def probe(installed=True, version="24.6.0", unit_text=UNIT, logged_in=True):
    return {"comet": {"installed": installed, "version": version if installed else "", "device_id": "d1" if installed else "",
                      "login": {"code": 2 if logged_in else 0, "text": "Logged in", "logged_in": logged_in}},
            "unit": {"sha256": hashlib.sha256(unit_text.encode()).hexdigest(), "active": True, "enabled": True},
            "identity": {"machine_id": "m1"}, "vpn": {"connected": True}}


def decide(variables=None, host_probe=None, options=None, server_version=None):
    return role.decide("pc1", dict(VARIABLES, **(variables or {})), FACTS, host_probe or probe(),
                       dict(OPTIONS, **(options or {})), server_version=server_version)


def test_a_converged_host_changes_nothing_and_gets_the_role_facts():
    got = decide()
    assert not got["failed"] and got["facts"]["_comet_client_plan"]["changes"] == []
    facts = got["facts"]
    assert facts["comet_client_installed"] is True and facts["comet_client_device_id"] == "d1"
    assert facts["comet_client_identity"] == {"machine_id": "m1", "device_id": "d1"}
    assert facts["comet_client_vpn_connected"] is True and facts["comet_client_reboot_required"] is False
    assert facts["_comet_client_settings"]["os"] == "linux"


def test_the_secrets_never_reach_the_facts():
    text = repr(decide()["facts"])
    assert "s3cret" not in text and "adm1n" not in text


def test_another_unit_on_the_host_is_rewritten():
    assert decide(host_probe=probe(unit_text="old"))["facts"]["_comet_client_plan"]["write_unit"] is True


# The unit as the role's template rendered it until 2026-12 (byte for byte: a converged host's unit is not rewritten).
RENDERED_BY_THE_TEMPLATE = (
    "# Ansible managed\n"
    "# Comet Backup client started at boot: the unit documented by Comet (\"Linux - other distribution\"),\n"
    "# plus Environment=HOME=/root so that the client finds its credentials.\n"
    "[Unit]\nDescription=Comet Backup Client (Comet Backup UNIL)\nAfter=network-online.target\nWants=network-online.target\n\n"
    "[Service]\nType=simple\nRemainAfterExit=true\nKillMode=process\nUser=root\nEnvironment=HOME=/root\n"
    "ExecStart=/opt/CometBackupUNIL/backup-daemon-start.sh\n\n[Install]\nWantedBy=multi-user.target\n")


def test_the_role_unit_is_the_one_it_always_wrote():
    assert role.linux_unit("Comet Backup UNIL", "/opt/CometBackupUNIL") == RENDERED_BY_THE_TEMPLATE
    assert role.linux_unit("Comet Backup UNIL", "/opt/CometBackupUNIL/") == RENDERED_BY_THE_TEMPLATE


def test_without_a_unit_given_the_role_unit_is_wanted_and_returned_on_linux_only():
    own = role.linux_unit("Comet Backup UNIL", VARIABLES["linux_install_dir"])
    options = {"unit_text": "", "product_name": "Comet Backup UNIL"}
    converged = decide(host_probe=probe(unit_text=own), options=options)["facts"]
    assert converged["_comet_client_unit_text"] == own and converged["_comet_client_plan"]["write_unit"] is False
    assert decide(host_probe=probe(unit_text=UNIT), options=options)["facts"]["_comet_client_plan"]["write_unit"] is True
    mac = role.decide("mac1", VARIABLES, dict(FACTS, system="Darwin", os_family="Darwin"), probe(), options)
    assert "_comet_client_unit_text" not in mac["facts"]


def test_bad_variables_refuse_the_host_naming_them_and_keep_the_facts_read():
    got = decide({"brand": "bad brand"})
    assert got["failed"] and got["msg"].startswith("unil.backup.comet_client: ") and "comet_client_brand" in got["msg"]
    assert got["facts"]["comet_client_installed"] is True and "_comet_client_plan" not in got["facts"]


def test_a_downgrade_is_refused_naming_the_host():
    got = decide({"version": "24.3.0"})
    assert got["failed"] and "pc1 runs Comet Backup 24.6.0" in got["msg"] and "downgrade" in got["msg"]
    assert decide({"version": "24.3.0"}, options={"allow_downgrade": True})["failed"] is False


def test_a_first_installation_without_credentials_is_refused():
    got = decide({"password": ""}, host_probe=probe(installed=False))
    assert got["failed"] and "comet_client_username and comet_client_password" in got["msg"]


def test_the_server_is_asked_its_version_only_when_nothing_else_tells_it():
    asked = []

    def server_version(settings):
        asked.append(settings["server"])
        return "24.9.1"

    assert decide(server_version=server_version)["facts"]["_comet_client_plan"]["action"] == "none" and asked == []
    got = decide({"version": ""}, server_version=server_version)
    assert asked == ["https://comet.example.ch/"] and got["facts"]["_comet_client_plan"]["action"] == "upgrade"
    assert decide({"version": ""})["failed"]  # no way to ask: refused rather than guessed


def test_a_password_login_is_planned_for_a_linux_installation():
    got = decide(host_probe=probe(installed=False))
    assert got["facts"]["_comet_client_plan"]["action"] == "install"
    assert got["facts"]["_comet_client_plan"]["password_login"] is True


def test_the_origin_a_host_is_told_has_no_credentials_nor_path():
    assert _comet_url.origin("HTTPS://Comet.example.ch:8443/prefix/") == "https://Comet.example.ch:8443/"
    assert _comet_url.origin("https://user:pw@comet.example.ch/") == ""
    assert _comet_url.origin("not a url") == ""


WINDOWS = {"system": "Win32NT", "os_family": "Windows", "architecture": "32-bit", "distribution": "Microsoft Windows 10",
           "distribution_version": "10.0"}


def test_a_32bit_windows_without_a_32bit_installer_is_refused_before_any_change():
    host_probe = dict(probe(installed=False), windows={"architecture": "x86"})
    variables = dict(VARIABLES, installer_source="file", installer_file="", version="24.6.0",
                     installer_url="https://dl.example/Comet_Backup_UNIL-24.6.0.zip", installer_sha256="a" * 64)
    variables["installer_source"] = "url"
    got = role.decide("pc32", variables, WINDOWS, host_probe, OPTIONS)
    assert got["failed"] and "pc32 runs 32-bit Windows" in got["msg"]
    assert got["facts"]["_comet_client_windows_installer_choice"]["x86"] is True
    x86 = dict(variables, windows_x86_installer_url="https://dl.example/Comet_Backup_UNIL-24.6.0-x86.zip",
               windows_x86_installer_sha256="b" * 64)
    got = role.decide("pc32", x86, WINDOWS, host_probe, OPTIONS)
    assert not got["failed"], got["msg"]
    assert got["facts"]["_comet_client_windows_installer_choice"]["url"].endswith("-x86.zip")


def test_the_steps_after_the_decision_form_a_dispatch_table():
    converged = {"changes": []}
    assert role.next_steps(converged, {"refusals": {}, "reidentify": []}, "pc1", "linux", "present") == []
    assert role.next_steps(converged, {"refusals": {"pc2": "shared"}}, "pc1", "linux", "present") == ["shared_device.yml"]
    assert role.next_steps(converged, {}, "mac1", "macos", "present") == ["macos_full_disk_access.yml"]
    assert role.next_steps({"changes": ["install"]}, {"skipped": True}, "mac1", "macos", "present") == [
        "macos_full_disk_access.yml", "change.yml"]
    # removing: no comparison (skipped), change.yml always (it also cleans up what an earlier removal left)
    assert role.next_steps(converged, {"skipped": True}, "pc1", "windows", "absent") == ["change.yml"]
