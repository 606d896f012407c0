#!/usr/bin/python
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: Read a host's backup state in one round trip - Comet Backup client, how it starts, CrashPlan
version_added: 0.2.0
description:
  - Read-only probe of a Linux or macOS host, run once per host by the roles of this collection, which decide from its
    answer on the controller and change the host only where something differs.
  - The Comet Backup client - installed or not, its version, device ID and login status (C(backup-tool version),
    C(info device-id), C(login status), parsed by the same code on every OS).
  - The unit that starts the client at boot - the digest of its file, whether it is enabled and active.
  - On macOS, with O(launchd_labels), the client's launchd daemons (loaded, enabled, running); with
    O(profile_identifier), whether the Full Disk Access (PPPC) configuration profile is installed; with O(os_version),
    the macOS version.
  - With O(crashplan), the Code42 CrashPlan detection and removal plan of M(unil.backup.crashplan_facts).
  - With O(identity), what the Comet client derives its device ID from - on Linux the machine ID, the DMI product
    UUID (where readable) and the SSH host key fingerprints; on macOS the platform UUID and the SSH host keys - so
    that hosts installed from one image are found before the client is installed on them.
author:
  - UNIL Ci (Centre informatique) backup team (!UNKNOWN)
extends_documentation_fragment:
  - unil.backup.attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
options:
  backup_tool:
    description:
      - Path of the client's C(backup-tool) on the host (Linux C(/opt/<brand>/backup-tool), macOS
        C(/Applications/<product>.app/Contents/MacOS/backup-tool)). Absent means the client is not installed.
    type: path
    required: true
  home:
    description:
      - C(HOME) for the C(backup-tool) commands (the client keeps its settings under it).
    type: path
    default: /root
  unit_path:
    description:
      - The file of the unit that starts the client at boot (systemd unit or launchd plist), to digest.
    type: path
  unit_name:
    description:
      - The systemd unit whose C(is-enabled) and C(is-active) are read. Linux only.
    type: str
  wait_login:
    description:
      - Seconds to wait, at most, while the client answers C(Connection error (3)), as it does while it connects just
        after an installation or a login. V(0) reads once.
    type: int
    default: 0
  launchd_labels:
    description:
      - macOS only. launchd labels of the client's daemons (C(backup.delegate), C(backup.elevator)), each read with
        C(launchctl print system/<label>) and, for all of them at once, C(launchctl print-disabled system). The answer
        is in RV(services).
    type: list
    elements: str
    default: []
  launchd_plists:
    description:
      - macOS only. The plists of the client's daemons, as Comet documents them
        (C(/Library/LaunchDaemons/backup.delegate.plist), C(/Library/LaunchDaemons/backup.elevator.plist)). Each
        daemon's launchd label is the plist's C(Label) (read with plistlib), not its file name; each is then read with
        C(launchctl print system/<label>). The answer is in RV(services), keyed by the file's name without C(.plist).
        Takes the place of O(launchd_labels).
    type: list
    elements: path
    default: []
  find_app:
    description:
      - macOS only. When O(backup_tool) is absent, look for the client's app bundle in the package receipts
        (C(pkgutil --pkgs), C(pkgutil --pkg-info), C(pkgutil --files)) - the C(.app) holding
        C(Contents/MacOS/backup-tool) - and read the client found there. The bundle and its receipt are in
        RV(macos.app_path) and RV(macos.package_id).
    type: bool
    default: false
  package_ids:
    description:
      - macOS only, with O(find_app). The receipt IDs to look in (the branding's package identifier); empty looks in
        every receipt that is not Apple's.
    type: list
    elements: str
    default: []
  profile_identifier:
    description:
      - macOS only. The PayloadIdentifier of the PPPC configuration profile that grants Full Disk Access; whether a
        device-level profile of that identifier is installed (C(profiles show -type configuration)) is in
        RV(macos.pppc_installed).
    type: str
  os_version:
    description:
      - macOS only. Read the macOS version (C(sw_vers -productVersion)) into RV(macos.os_version).
    type: bool
    default: false
  macos:
    description:
      - The options that apply when the host runs macOS, in place of the top-level ones of the same name (the top-level
        O(unit_path) and O(unit_name) do not apply on a Mac then). With it, one task probes a fleet of Linux hosts and
        Macs whose system is not known yet (see O(gather_facts)).
    type: dict
    suboptions:
      backup_tool:
        description: As O(backup_tool), on a Mac.
        type: path
        required: true
      home:
        description: As O(home), on a Mac.
        type: path
        default: /var/root
      unit_path:
        description: As O(unit_path), on a Mac.
        type: path
      launchd_labels:
        description: As O(launchd_labels).
        type: list
        elements: str
        default: []
      launchd_plists:
        description: As O(launchd_plists).
        type: list
        elements: path
        default: []
      find_app:
        description: As O(find_app).
        type: bool
        default: false
      package_ids:
        description: As O(package_ids).
        type: list
        elements: str
        default: []
      profile_identifier:
        description: As O(profile_identifier).
        type: str
      os_version:
        description: As O(os_version).
        type: bool
        default: false
  gather_facts:
    description:
      - Also return the facts of C(ansible.builtin.setup)'s C(min) subset (system, OS family, distribution, service
        manager...), collected by the same code, as RV(ansible_facts). A play that gathers no facts then reads the
        host in one round trip instead of two (the facts, then this probe).
    type: bool
    default: false
  identity:
    description:
      - Also return RV(identity), the inputs the Comet client derives its device ID from. Read-only - a few small
        files on Linux, one C(ioreg) call on macOS. Role C(unil.backup.comet_client) compares them across the hosts
        of the play before it installs anything (action M(unil.backup.comet_shared_devices)).
    type: bool
    default: false
  crashplan:
    description:
      - Also detect CrashPlan and plan its removal (as M(unil.backup.crashplan_facts) does), in the same round trip.
    type: bool
    default: false
  crashplan_archives:
    description:
      - More CrashPlan backup archive folders to keep (see M(unil.backup.crashplan_facts) O(unil.backup.crashplan_facts#module:archives)).
    type: list
    elements: path
    default: []
  crashplan_uninstaller:
    description:
      - Linux only. The vendor's C(uninstall.sh) on the host (see M(unil.backup.crashplan_facts)).
    type: path
  tls_server:
    description:
      - The Comet Server's URL. When it is an C(https://) URL, the host opens a TLS connection to its host and port
        (a handshake, no request, no secret) and verifies the server's certificate with its own trust store - Python's
        default context, that is the system's CA certificates (as the host's OpenSSL finds them, or C(SSL_CERT_FILE));
        on macOS the system roots Apple ships with the system (C(/etc/ssl/cert.pem)). The answer is in RV(tls).
      - The service's guide names the cause of C(x509) errors - an obsolete system (seed 000, known problems); role
        C(unil.backup.comet_client) refuses an installation on a host that cannot verify the certificate (filter
        P(unil.backup.comet_client_plan#filter)).
      - Not set or empty (the default) - no check.
    type: str
    version_added: 0.4.0
  tls_ca_file:
    description:
      - With O(tls_server), a PEM file on the host of the certificate authorities to trust instead of the host's
        trust store (a site's own authority, tests).
    type: path
    version_added: 0.4.0
  tls_timeout:
    description: With O(tls_server), seconds to wait for the connection and the handshake (1 to 120).
    type: int
    default: 10
    version_added: 0.4.0
  vpn:
    description:
      - Also tell whether a Pulse Secure / Ivanti Secure Access VPN connection is up (RV(vpn)) - on Linux the
        client's service (C(pulsesvc), C(dsAccessService)) runs and a tun device is up; on macOS its process runs and
        a C(utun) interface has an IPv4 address. The service's guide advises against the first backup through it
        (seed 000, "Machine ventile lors du premier backup"). Windows is not read by this module.
    type: bool
    default: false
    version_added: 0.4.0
seealso:
  - module: unil.backup.crashplan_facts
    description: The same CrashPlan detection on its own, and the Windows form run on the controller.
"""

EXAMPLES = r"""
- name: Read the host's facts and backup state in one round trip, on Linux or macOS (play with gather_facts false)
  unil.backup.host_info:
    gather_facts: true
    backup_tool: /opt/CometBackupUNIL/backup-tool
    unit_path: /etc/systemd/system/comet-backup.service
    unit_name: comet-backup.service
    macos:
      backup_tool: /Applications/Comet Backup.app/Contents/MacOS/backup-tool
      launchd_labels: [backup.delegate, backup.elevator]
  register: probe

- name: Read the host's backup state once
  unil.backup.host_info:
    backup_tool: /opt/CometBackupUNIL/backup-tool
    unit_path: /etc/systemd/system/comet-backup.service
    unit_name: comet-backup.service
    crashplan: true
  register: probe

- name: Say what is there
  ansible.builtin.debug:
    msg: >-
      Comet {{ probe.comet.version | default('-', true) }} ({{ probe.comet.login.text }}),
      CrashPlan {{ 'present' if probe.crashplan.present else 'absent' }}
"""

RETURN = r"""
identity:
  description:
    - The identity inputs - C(machine_id), C(dbus_machine_id) (only when it differs), C(product_uuid) and
      C(ssh_host_key) (SHA256 fingerprints) on Linux; C(platform_uuid) and C(ssh_host_key) on macOS.
  returned: when O(identity) is true
  type: dict
ansible_facts:
  description: The facts of C(ansible.builtin.setup)'s C(min) subset, as that module returns them.
  returned: when O(gather_facts) is true
  type: dict
  sample: {ansible_system: Linux, ansible_os_family: Debian, ansible_distribution: Debian, ansible_service_mgr: systemd}
comet:
  description: The Comet Backup client.
  returned: always
  type: dict
  contains:
    installed:
      description: Whether O(backup_tool) exists.
      type: bool
    version:
      description: Its version (empty when not installed or unreadable).
      type: str
      sample: 24.6.0
    device_id:
      description: The device ID it is registered with (empty when unknown).
      type: str
    login:
      description: C(code) (-1 when not installed), C(text) and C(logged_in) (codes 1 and 2).
      type: dict
unit:
  description:
    - The start-at-boot unit - C(path), C(exists), C(sha256) (empty when absent), C(enabled), C(active). All false and
      empty without O(unit_path) and O(unit_name) (macOS).
  returned: always
  type: dict
services:
  description:
    - The daemons named in O(launchd_labels), by label, or in O(launchd_plists), by the plist's name (with their
      C(label) and C(plist)) - C(exists) (C(launchctl print) knows it, that is it is
      loaded), C(enabled) (loaded and not disabled in launchd's override database), C(active) (C(state = running)).
      Empty when O(launchd_labels) is empty.
  returned: always
  type: dict
  sample:
    backup.delegate: {exists: true, enabled: true, active: true}
    backup.elevator: {exists: true, enabled: true, active: true}
macos:
  description: What was read of macOS. False and empty where not asked (and on other systems).
  returned: always
  type: dict
  contains:
    pppc_installed:
      description:
        - Whether a device-level configuration profile with PayloadIdentifier O(profile_identifier) is installed. Only
          then can Full Disk Access have been granted by a PPPC profile.
      type: bool
    os_version:
      description: The macOS version (empty unless O(os_version)).
      type: str
      sample: 14.4.1
    app_path:
      description:
        - The client's app bundle read - the one of O(backup_tool), or the one found from a package receipt
          (O(find_app)); empty on other systems.
      type: str
      sample: /Applications/Comet Backup UNIL.app
    app_source:
      description: C(configured) (O(backup_tool) exists), C(receipt) (found with O(find_app)) or empty (not found).
      type: str
    package_id:
      description: The receipt the app bundle was found in (empty unless found with O(find_app)).
      type: str
crashplan:
  description: The CrashPlan facts, as M(unil.backup.crashplan_facts) returns them.
  returned: when O(crashplan) is true
  type: dict
tls:
  description:
    - Whether the host verifies the Comet Server's TLS certificate with its own trust store (O(tls_server)).
      C(checked) (false for an C(http://) URL), C(server) (host:port), C(verified), C(code) - V(verified),
      V(untrusted) (no authority of the store signs the certificate - an outdated or empty store), V(expired) and
      V(not_yet_valid) (as the host's clock reads it), V(verify_failed) (another verification failure) - the four a
      role refuses on - or V(hostname_mismatch), V(handshake_failed), V(unreachable), V(not_https); C(detail) (the
      TLS library's words), C(trust_store) (V(system) or the file read) and C(os) (the system's name, for the
      message).
  returned: when O(tls_server) is set
  type: dict
  sample: {checked: true, server: "comet.example.ch:443", verified: false, code: untrusted,
           detail: "unable to get local issuer certificate", trust_store: system, os: "Debian GNU/Linux 8 (jessie)"}
vpn:
  description:
    - C(connected) (the VPN is up), C(client) (V(Pulse Secure / Ivanti Secure Access)), C(processes) (the client's
      processes found) and C(interfaces) (the tunnels up); C(checked) is false on a system this module does not read.
      Role C(unil.backup.comet_config) defers the first backup while it is up (C(comet_client_vpn_connected)).
  returned: when O(vpn) is true
  type: dict
  sample: {checked: true, connected: true, client: Pulse Secure / Ivanti Secure Access, processes: [pulsesvc],
           interfaces: [tun0]}
probed:
  description:
    - What was read - C(backup_tool), C(crashplan), C(crashplan_archives), C(crashplan_uninstaller) - so that a role can
      tell whether a probe made by another role answers its own question.
  returned: always
  type: dict
"""

import hashlib
import os
import platform
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts import ansible_collector, default_collectors
from ansible.module_utils.facts.namespace import PrefixFactNamespace

from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_identity
from ansible_collections.unil.backup.plugins.module_utils import _comet_macos as cm
from ansible_collections.unil.backup.plugins.module_utils import _comet_tls
from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _crashplan_host
from ansible_collections.unil.backup.plugins.module_utils import _host_vpn


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def comet_state(module, tool, home, wait_login):
    if not os.path.isfile(tool):
        return {"installed": False, "version": "", "device_id": "", "login": cc.login_status("", installed=False)}
    env = {"HOME": home}

    def tool_out(*args):
        dummy, out, err = module.run_command([tool] + list(args), environ_update=env)
        return out or err

    deadline = time.monotonic() + max(0, wait_login)
    while True:
        login = cc.login_status(tool_out("login", "status"))
        if login["code"] not in cc.TRANSIENT_CODES or time.monotonic() >= deadline:
            break
        time.sleep(2)
    return {"installed": True, "version": cc.parse_version(tool_out("version")),
            "device_id": cc.parse_device_id(tool_out("info", "device-id")), "login": login}


def unit_state(module, path, name):
    out = {"path": path or "", "exists": bool(path) and os.path.isfile(path), "sha256": "", "enabled": False, "active": False}
    if out["exists"]:
        out["sha256"] = _sha256(path)
    if name and module.get_bin_path("systemctl"):
        dummy, enabled, dummy2 = module.run_command(["systemctl", "is-enabled", name])
        dummy, active, dummy2 = module.run_command(["systemctl", "is-active", name])
        out["enabled"] = enabled.strip() in ("enabled", "enabled-runtime")
        out["active"] = active.strip() == "active"
    return out


def _read_plist(path):
    """The bytes of a plist, None when it is absent or unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def find_app(module, wanted):
    """(app bundle, receipt ID) of the client from the package receipts (pkgutil), ('', '') when none has it."""
    rc, out, dummy = module.run_command([cm.PKGUTIL, "--pkgs"])
    for pkg in cm.receipt_candidates(cm.parse_pkgs(out if rc == 0 else ""), wanted):
        rc_info, info, dummy = module.run_command([cm.PKGUTIL, "--pkg-info", pkg])
        rc_files, files, dummy = module.run_command([cm.PKGUTIL, "--files", pkg])
        app = cm.app_from_receipt(info, files) if rc_info == 0 and rc_files == 0 else ""
        if app and os.path.isfile("%s/%s" % (app, cm.CLIENT_PROGRAM)):
            return app, pkg
    return "", ""


def macos_state(module, labels, profile_identifier, os_version, plists=()):
    """(services, macos) of a Mac: launchd's view of each daemon (labels read from ``plists`` when given), the PPPC
    profile, the macOS version."""
    services = {}
    found = cm.daemons(dict((path, _read_plist(path)) for path in plists)) if plists else None
    if found is not None:
        labels = [entry["label"] for entry in found.values()]
    if labels:
        prints = {}
        for label in labels:
            rc, out, dummy = module.run_command(["/bin/launchctl", "print", "system/%s" % label])
            prints[label] = (rc, out)
        rc, disabled, dummy = module.run_command(["/bin/launchctl", "print-disabled", "system"])
        disabled = disabled if rc == 0 else ""
        services = cm.services_by_name(found, prints, disabled) if found is not None else \
            cm.services_state(labels, prints, disabled)
    macos = {"pppc_installed": False, "os_version": ""}
    if profile_identifier:
        rc, out, dummy = module.run_command(["/usr/bin/profiles", "show", "-type", "configuration"])
        macos["pppc_installed"] = rc == 0 and cm.profile_installed(out, profile_identifier)
    if os_version:
        rc, out, dummy = module.run_command(["/usr/bin/sw_vers", "-productVersion"])
        macos["os_version"] = cm.parse_sw_vers(out) if rc == 0 else ""
    return services, macos


def identity_state(module):
    """The identity inputs of the Comet device ID (module_utils/_comet_identity.py); read-only."""
    if platform.system() == "Darwin":
        rc, out, dummy = module.run_command(["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"])
        return _comet_identity.macos_identity(out if rc == 0 else "")
    return _comet_identity.linux_identity()


def _read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return ""


def tls_state(module, url, ca_file, timeout):
    """Whether this host verifies the server's TLS certificate with its own trust store (module_utils/_comet_tls)."""
    system = platform.system()
    if not ca_file and system == "Darwin" and os.path.isfile(_comet_tls.MACOS_ROOTS):
        ca_file = _comet_tls.MACOS_ROOTS
    out = _comet_tls.check(url, ca_file, timeout)
    macos_version = ""
    if system == "Darwin":
        rc, version, dummy = module.run_command(["/usr/bin/sw_vers", "-productVersion"])
        macos_version = cm.parse_sw_vers(version) if rc == 0 else ""
    out["os"] = _comet_tls.os_name_of(_read_text("/etc/os-release") if system == "Linux" else "", system, macos_version)
    return out


def vpn_state(module):
    """Whether a Pulse Secure / Ivanti Secure Access connection is up (module_utils/_host_vpn); Linux and macOS."""
    system = platform.system()
    if system == "Linux":
        names = [_read_text("/proc/%s/comm" % pid).strip() for pid in os.listdir("/proc") if pid.isdigit()]
        interfaces = {}
        for name in (os.listdir("/sys/class/net") if os.path.isdir("/sys/class/net") else []):
            base = "/sys/class/net/%s" % name
            interfaces[name] = {"tun": os.path.exists(base + "/tun_flags"), "flags": _read_text(base + "/flags").strip()}
        return dict(_host_vpn.vpn_state(names, _host_vpn.linux_tunnels(interfaces)), checked=True)
    if system == "Darwin":
        rc, out, dummy = module.run_command(["/bin/ps", "-axco", "comm"])
        names = out.splitlines() if rc == 0 else []
        rc, out, dummy = module.run_command(["/sbin/ifconfig"])
        return dict(_host_vpn.vpn_state(names, _host_vpn.macos_tunnels(out if rc == 0 else "")), checked=True)
    return dict(_host_vpn.vpn_state([], []), checked=False)


# The macOS form of the options (O(macos)) and the top-level options it replaces on a Mac.
MACOS_OPTIONS = dict(
    backup_tool=dict(type="path", required=True),
    home=dict(type="path", default="/var/root"),
    unit_path=dict(type="path"),
    launchd_labels=dict(type="list", elements="str", default=[]),
    launchd_plists=dict(type="list", elements="path", default=[]),
    find_app=dict(type="bool", default=False),
    package_ids=dict(type="list", elements="str", default=[]),
    profile_identifier=dict(type="str"),
    os_version=dict(type="bool", default=False),
)
# ansible.builtin.setup's minimal subset (gather_subset: min), collected by the same collectors.
MIN_FACT_SUBSET = frozenset(["apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env", "fips", "local",
                             "lsb", "pkg_mgr", "platform", "python", "selinux", "service_mgr", "ssh_pub_keys", "user"])


def options_for(params, system):
    """The options that apply on this host: on a Mac (platform.system() Darwin) those of ``macos``, when given,
    replace the top-level ones, and the Linux unit options do not apply."""
    if system != "Darwin" or not params.get("macos"):
        return dict(params)
    effective = dict(params, unit_name=None)
    effective.update(params["macos"])
    return effective


def min_facts(module):
    """The facts ansible.builtin.setup returns with gather_subset: min."""
    # the local collector reads the custom facts (*.fact) from the folder setup's fact_path option names
    module.params.setdefault("fact_path", "/etc/ansible/facts.d")
    collector = ansible_collector.get_ansible_collector(
        all_collector_classes=default_collectors.collectors,
        namespace=PrefixFactNamespace(namespace_name="ansible", prefix="ansible_"),
        filter_spec=[], gather_subset=["min"], gather_timeout=10, minimal_gather_subset=MIN_FACT_SUBSET)
    return collector.collect(module=module)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backup_tool=dict(type="path", required=True),
            home=dict(type="path", default="/root"),
            unit_path=dict(type="path"),
            unit_name=dict(type="str"),
            wait_login=dict(type="int", default=0),
            crashplan=dict(type="bool", default=False),
            crashplan_archives=dict(type="list", elements="path", default=[]),
            crashplan_uninstaller=dict(type="path"),
            launchd_labels=dict(type="list", elements="str", default=[]),
            launchd_plists=dict(type="list", elements="path", default=[]),
            find_app=dict(type="bool", default=False),
            package_ids=dict(type="list", elements="str", default=[]),
            profile_identifier=dict(type="str"),
            os_version=dict(type="bool", default=False),
            macos=dict(type="dict", options=MACOS_OPTIONS),
            gather_facts=dict(type="bool", default=False),
            identity=dict(type="bool", default=False),
            tls_server=dict(type="str"),
            tls_ca_file=dict(type="path"),
            tls_timeout=dict(type="int", default=10),
            vpn=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = options_for(module.params, platform.system())
    if not 1 <= p["tls_timeout"] <= 120:
        module.fail_json(msg="tls_timeout: %d is not between 1 and 120 seconds" % p["tls_timeout"])
    if not 0 <= p["wait_login"] <= 600:
        module.fail_json(msg="wait_login: %d is not between 0 and 600 seconds" % p["wait_login"])
    for path in p["crashplan_archives"]:
        if not path.startswith("/"):
            module.fail_json(msg="crashplan_archives: %r is not an absolute path" % path)
    for label in p["launchd_labels"]:
        if not cm.LABEL_RE.match(label):
            module.fail_json(msg="launchd_labels: %r is not a launchd label (letters, digits, . _ -)" % label)
    if p["profile_identifier"] and not cm.PROFILE_IDENTIFIER_RE.match(p["profile_identifier"]):
        module.fail_json(msg="profile_identifier: %r is not a profile identifier (letters, digits, . _ -)" % p["profile_identifier"])
    probed = dict((key, p[key]) for key in ("backup_tool", "crashplan", "crashplan_archives", "crashplan_uninstaller"))
    # the macOS inputs are recorded only when given: a Linux probe reads as before
    probed.update((key, p[key]) for key in ("launchd_labels", "profile_identifier") if p[key])
    for path in p["launchd_plists"]:
        if not path.startswith("/") or not path.endswith(".plist"):
            module.fail_json(msg="launchd_plists: %r is not an absolute path to a .plist" % path)
    probed.update((key, p[key]) for key in ("launchd_plists", "find_app", "package_ids") if p[key])
    services, macos = macos_state(module, p["launchd_labels"], p["profile_identifier"], p["os_version"], p["launchd_plists"])
    tool = p["backup_tool"]
    suffix = "/" + cm.CLIENT_PROGRAM
    if p["find_app"] or p["launchd_plists"]:
        app = tool[:-len(suffix)] if tool.endswith(suffix) else ""
        macos.update(app_path=app if os.path.isfile(tool) else "", app_source="configured" if os.path.isfile(tool) else "",
                     package_id="")
        if not os.path.isfile(tool) and p["find_app"]:
            found_app, package_id = find_app(module, p["package_ids"])
            if found_app:
                tool = found_app + suffix
                macos.update(app_path=found_app, app_source="receipt", package_id=package_id)
    result = dict(changed=False, probed=probed, comet=comet_state(module, tool, p["home"], p["wait_login"]),
                  unit=unit_state(module, p["unit_path"], p["unit_name"]), services=services, macos=macos)
    if p["gather_facts"]:
        result["ansible_facts"] = min_facts(module)
    if p["identity"]:
        result["identity"] = identity_state(module)
    if p["tls_server"]:
        result["tls"] = tls_state(module, p["tls_server"], p["tls_ca_file"], p["tls_timeout"])
    if p["vpn"]:
        result["vpn"] = vpn_state(module)
    if p["crashplan"]:
        try:
            result["crashplan"] = _crashplan_host.gather_facts(module.run_command, p["crashplan_archives"], p["crashplan_uninstaller"])
        except cp.CrashPlanInputError as err:
            module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
