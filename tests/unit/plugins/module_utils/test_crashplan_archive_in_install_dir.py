# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A CrashPlan whose local backup archive lies inside its own install folder (issue #13).

The host-side detection (_crashplan_host.linux_probe) runs on a real directory tree under tmp_path, as if it were the
host's root: the module's os, open, glob and pwd are pointed at that root. The role's removal is replayed as the role
does it (ansible.builtin.file state=absent on each path of the plan), then the host is detected again: CrashPlan must
be gone, nothing left to remove, the archive untouched byte for byte, and the report must say what was kept and where.
"""
from __future__ import annotations

import builtins
import glob as real_glob
import hashlib
import os
import shutil

import pytest

from ansible_collections.unil.backup.plugins.module_utils import _crashplan as cp
from ansible_collections.unil.backup.plugins.module_utils import _crashplan_host

GUID = "912345678901234567"


class _RootedPath(object):
    def __init__(self, root):
        self._root = root

    def __getattr__(self, name):
        return getattr(os.path, name)

    def _r(self, path):
        return self._root + path if path.startswith("/") else path

    def isdir(self, path):
        return os.path.isdir(self._r(path))

    def isfile(self, path):
        return os.path.isfile(self._r(path))

    def lexists(self, path):
        return os.path.lexists(self._r(path))

    def islink(self, path):
        return os.path.islink(self._r(path))


class _RootedOs(object):
    def __init__(self, root):
        self._root = root
        self.path = _RootedPath(root)

    def __getattr__(self, name):
        return getattr(os, name)

    def listdir(self, path):
        return os.listdir(self._root + path)

    @staticmethod
    def uname():
        return ("Linux", "lab-01", "6.1", "#1", "x86_64")


class _RootedGlob(object):
    def __init__(self, root):
        self._root = root

    def glob(self, pattern):
        return [p[len(self._root):] for p in real_glob.glob(self._root + pattern)]


class _Pw(object):
    def __init__(self, name, uid, home):
        self.pw_name, self.pw_uid, self.pw_dir = name, uid, home


class _RootedPwd(object):
    @staticmethod
    def getpwall():
        return [_Pw("root", 0, "/root"), _Pw("alice", 1000, "/home/alice")]


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host root under tmp_path; the probe reads it as '/'."""
    root = str(tmp_path / "root")
    os.makedirs(root)

    def rooted_open(path, *args, **kwargs):
        return builtins.open(root + path if isinstance(path, str) and path.startswith("/") else path, *args, **kwargs)

    monkeypatch.setattr(_crashplan_host, "os", _RootedOs(root))
    monkeypatch.setattr(_crashplan_host, "glob", _RootedGlob(root))
    monkeypatch.setattr(_crashplan_host, "pwd", _RootedPwd())
    monkeypatch.setattr(_crashplan_host, "open", rooted_open, raising=False)
    return root


def write(root, path, text="x\n"):
    full = root + path
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as handle:
        handle.write(text)


def tree_digest(root, path):
    """Every file under root+path, with its bytes, mode and mtime: what must not change."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root + path):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            with open(full, "rb") as handle:
                out[full[len(root):]] = (hashlib.sha256(handle.read()).hexdigest(), os.stat(full).st_mode,
                                         os.stat(full).st_mtime_ns)
    return out


def remove_as_the_role_does(root, paths):
    """ansible.builtin.file state=absent on each path of the plan."""
    for path in paths:
        full = root + path
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        elif os.path.lexists(full):
            os.unlink(full)


def no_commands(argv, **kwargs):
    raise AssertionError("no command is run on this host (no unit): %r" % (argv,))


def install_crashplan(root, manifest, install_dir="/opt/crashplan"):
    """CrashPlan 11 installed in install_dir (set in install.vars), its archive in manifest."""
    write(root, install_dir + "/install.vars",
          "TARGETDIR=%s\nBINSDIR=/usr/local/bin\nMANIFESTDIR=%s\nAPP_BASENAME=CrashPlan\n" % (install_dir, manifest))
    write(root, install_dir + "/bin/CrashPlanService", "#!/bin/sh\n")
    write(root, install_dir + "/bin/service.sh", "#!/bin/sh\n")
    write(root, install_dir + "/electron/crashplan", "ELF\n")
    write(root, install_dir + "/lib/com.backup42.desktop.jar", "PK\n")
    write(root, install_dir + "/conf/my.service.xml", "<config><manifestPath>%s</manifestPath></config>\n" % manifest)
    write(root, install_dir + "/log/service.log", "log\n")
    write(root, manifest + "/" + GUID + "/cpbf0000000000000000000/cpbdf", "archive block data\n")
    write(root, manifest + "/" + GUID + "/cp.properties", "archive properties\n")
    write(root, "/usr/local/bin/CrashPlanDesktop", "#!/bin/sh\n")
    write(root, "/var/lib/crashplan/.identity", "guid=%s\n" % GUID)
    write(root, "/home/alice/.config/CrashPlan/ui.properties", "x\n")
    write(root, "/home/alice/thesis.tex", "my thesis\n")


def detect():
    return _crashplan_host.gather_facts(no_commands, [], "")


@pytest.mark.parametrize("manifest", [
    "/opt/crashplan/backupArchives",        # the default folder name, inside the install folder
    "/opt/crashplan/archives",              # a folder named only in install.vars (MANIFESTDIR) and my.service.xml
    "/opt/crashplan/data/local/archives",   # deeper: the folders that lead to it only hold it
])
def test_archive_inside_the_install_folder_converges(host, manifest):
    install_crashplan(host, manifest)
    kept_before = tree_digest(host, manifest)
    home_before = tree_digest(host, "/home/alice/thesis.tex")

    first = detect()
    assert first["present"] and first["install_dir"] == "/opt/crashplan"
    assert manifest in first["keep"]
    # the application's files go around the archive, never the archive or a folder that leads to it
    assert not any(cp._inside(manifest, removed) for removed in first["remove"]), first["remove"]
    for app_file in ("/opt/crashplan/bin", "/opt/crashplan/electron", "/opt/crashplan/lib", "/opt/crashplan/conf",
                     "/opt/crashplan/log", "/opt/crashplan/install.vars", "/usr/local/bin/CrashPlanDesktop",
                     "/home/alice/.config/CrashPlan"):
        assert app_file in first["remove"], app_file
    # the report says where the archive is kept, and why its install folder stays
    assert any(k.startswith("/opt/crashplan (") and manifest in k for k in first["keep"]), first["keep"]

    remove_as_the_role_does(host, first["remove"])

    # the role's check after the removal, and every later run: CrashPlan is gone, nothing to remove or run
    for dummy in range(2):
        again = detect()
        assert again["present"] is False, again
        assert again["remove"] == [] and again["steps"] == [] and again["services"] == [] and again["processes"] == []
        assert again["install_dir"] == ""
        # what stays is said, with where it is
        assert any(k.startswith("/opt/crashplan (") for k in again["keep"]), again["keep"]
        assert cp.decide_gate(again["present"])["reason"] == "CrashPlan is not installed: nothing to remove"
    assert tree_digest(host, manifest) == kept_before
    assert tree_digest(host, "/home/alice/thesis.tex") == home_before
    assert os.path.isfile(host + "/var/lib/crashplan/.identity")
    assert not os.path.exists(host + "/opt/crashplan/bin") and not os.path.exists(host + "/opt/crashplan/install.vars")


def test_a_half_removed_install_keeps_an_unknown_folder(host):
    """install.vars already gone (the vendor uninstaller or an interrupted run) but bin/ still there: the archive's name
    is no longer known, so only the application's own entries go; the other folder stays, and is said to stay."""
    install_crashplan(host, "/opt/crashplan/archives")
    os.unlink(host + "/opt/crashplan/install.vars")
    shutil.rmtree(host + "/opt/crashplan/conf")
    kept_before = tree_digest(host, "/opt/crashplan/archives")
    facts = detect()
    assert facts["present"] is True
    assert "/opt/crashplan" not in facts["remove"]
    assert "/opt/crashplan/bin" in facts["remove"] and not any("archives" in p for p in facts["remove"])
    remove_as_the_role_does(host, facts["remove"])
    again = detect()
    assert again["present"] is False and again["remove"] == []
    assert tree_digest(host, "/opt/crashplan/archives") == kept_before


def test_archive_outside_the_install_folder_still_removes_the_whole_folder(host):
    install_crashplan(host, "/srv/crashplan-archives")
    facts = detect()
    assert "/opt/crashplan" in facts["remove"]
    remove_as_the_role_does(host, facts["remove"])
    assert not os.path.exists(host + "/opt/crashplan")
    again = detect()
    assert again["present"] is False and again["remove"] == []
    assert not any(k.startswith("/opt/crashplan") for k in again["keep"])


# ---------------------------------------------------------------------------------------------------------------
# The decision logic alone (_crashplan), on probes as the host modules return them
# ---------------------------------------------------------------------------------------------------------------

LEFTOVER = {
    # what a removal left of CrashPlan installed in /opt/crashplan with its archive in /opt/crashplan/backupArchives
    "install_dirs": {"/opt/crashplan": None},
    "dir_entries": {"/opt/crashplan": ["/opt/crashplan/backupArchives"],
                    "/opt/crashplan/backupArchives": ["/opt/crashplan/backupArchives/" + GUID]},
    "existing": ["/opt/crashplan", "/opt/crashplan/backupArchives", "/var/lib/crashplan/.identity"],
    "homes": ["/home/alice"],
    "identity_text": "guid=%s\n" % GUID,
}


def test_a_leftover_install_folder_holding_only_the_archive_is_not_crashplan():
    facts = cp.linux_facts(LEFTOVER)
    assert facts["present"] is False and facts["remove"] == [] and facts["install_dir"] == "" and facts["era"] == ""
    assert "/opt/crashplan/backupArchives" in facts["keep"]
    assert ("/opt/crashplan (the former install folder: no application file is left in it, it stays with what it "
            "holds: backupArchives)") in facts["keep"]
    # the GUID is still known (the role keeps .identity): the server deactivation of a later run still works
    assert facts["guid"] == GUID


def test_a_process_that_only_names_the_kept_archive_is_not_crashplan():
    probe = dict(LEFTOVER, processes=[{"pid": 7, "cmdline": "rsync -a /opt/crashplan/backupArchives/ /media/usb/cp"},
                                      {"pid": 8, "cmdline": "tar cf - /opt/crashplan/backupArchives"}])
    facts = cp.linux_facts(probe)
    assert facts["processes"] == [] and facts["present"] is False
    # the application itself running from the folder is CrashPlan, even with its archive on the command line
    engine = {"pid": 9, "cmdline": "/opt/crashplan/bin/CrashPlanService -Dmanifest=/opt/crashplan/backupArchives"}
    facts = cp.linux_facts(dict(probe, processes=probe["processes"] + [engine]))
    assert facts["processes"] == [engine] and facts["present"] is True


def test_a_folder_named_like_crashplan_without_install_vars_or_application_is_never_removed():
    """/opt/crashplan is probed on every host: a folder of that name that holds no CrashPlan is not CrashPlan."""
    probe = {"install_dirs": {"/opt/crashplan": None}, "existing": ["/opt/crashplan"],
             "dir_entries": {"/opt/crashplan": ["/opt/crashplan/notes.txt", "/opt/crashplan/old-restores"]}}
    facts = cp.linux_facts(probe)
    assert facts["present"] is False and facts["remove"] == []
    assert any(k.startswith("/opt/crashplan (the former install folder") for k in facts["keep"])


def test_windows_archive_in_the_install_folder_is_kept_and_said_and_the_rerun_converges():
    product = {"Hive": "HKLM64", "KeyName": "{294ECD94-8EB3-44BA-8F01-09083141E37A}", "DisplayName": "CrashPlan",
               "DisplayVersion": "11.9.1.19", "WindowsInstaller": 1, "InstallLocation": "C:\\Program Files\\CrashPlan\\"}
    existing = ["C:\\Program Files\\CrashPlan\\backupArchives", "C:\\ProgramData\\CrashPlan\\log",
                "C:\\ProgramData\\CrashPlan\\.identity"]
    before = cp.windows_facts({"uninstall_entries": [product], "existing_paths": existing})
    assert before["present"] and "C:\\Program Files\\CrashPlan\\backupArchives" in before["keep"]
    assert before["remove"] == ["C:\\ProgramData\\CrashPlan\\log"]
    assert ("C:\\Program Files\\CrashPlan\\ (the install folder: the uninstaller removes the application, the folder "
            "stays because it holds what is kept: C:\\Program Files\\CrashPlan\\backupArchives)") in before["keep"]
    # after msiexec /x and the log folder's removal: the same archive (any case, any slash) is not CrashPlan
    after = cp.windows_facts({"uninstall_entries": [], "existing_paths": ["c:/program files/crashplan/backupArchives",
                                                                          "C:\\ProgramData\\CrashPlan\\.identity"]})
    assert after["present"] is False and after["remove"] == [] and after["actions"] == []
    assert "C:\\Program Files\\CrashPlan\\backupArchives" in after["keep"]  # named as the defaults spell it


def test_macos_support_folder_holding_the_archive_is_not_crashplan():
    """What the vendor script leaves: /Library/Application Support/CrashPlan with the archive and .identity."""
    support = "/Library/Application Support/CrashPlan"
    probe = {"existing": [support + "/BackupArchives", support + "/.identity"],
             "dir_entries": {support + "/BackupArchives": [support + "/BackupArchives/42"]},
             "users": [{"name": "alice", "uid": 501, "home": "/Users/alice"}], "pkgutil_pkgs": "com.apple.pkg.Core\n"}
    facts = cp.macos_facts(probe)
    assert facts["present"] is False and facts["remove"] == [] and facts["steps"] == []
    assert support + "/BackupArchives" in facts["keep"] and support + "/.identity" in facts["keep"]
