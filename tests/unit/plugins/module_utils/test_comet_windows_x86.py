# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The 32-bit Windows client: the probe's OS architecture, and the installer chosen for a 32-bit Windows (the
variant Comet documents, windows-x86_32-zip, or the role's 32-bit file or URL), refused before anything is installed
when the source has none."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.unil.backup.plugins.filter.comet_windows import FilterModule
from ansible_collections.unil.backup.plugins.module_utils import _comet_client as cc
from ansible_collections.unil.backup.plugins.module_utils import _comet_windows as cw

F = FilterModule().filters()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


@pytest.mark.parametrize("raw, expected", [
    ({"processor_architecture": "AMD64", "is_64bit_os": True}, "x86_64"),
    ({"processor_architecture": "x86", "is_64bit_os": False}, "x86"),
    # a 32-bit Windows is 32-bit whatever the variable says
    ({"processor_architecture": "", "is_64bit_os": False}, "x86"),
    ({"processor_architecture": "ARM64", "is_64bit_os": True}, "arm64"),
    ({"processor_architecture": "amd64"}, "x86_64"),
    # contradictory or unknown: not guessed at (the 64-bit installer, as before)
    ({"processor_architecture": "x86", "is_64bit_os": True}, ""),
    ({"processor_architecture": "MIPS", "is_64bit_os": True}, ""),
    ({}, ""),
    (None, ""),
    ("x86", ""),
])
def test_os_architecture(raw, expected):
    assert cw.os_architecture({"os_architecture": raw}) == expected
    facts = F["comet_client_windows_facts"]({"os_architecture": raw})
    assert facts["windows"]["architecture"] == expected


def _probe(architecture):
    return {"windows": {"architecture": architecture}}


BASE = {"source": "server", "variant": "windows-x86_64-zip", "name": "", "file": "", "url": "", "sha256": "",
        "target_version": "24.6.0"}
SHA = "a" * 64
X86_SHA = "b" * 64

CASES = [
    # 64-bit and unknown: the role's installer as it is
    ("x86_64, server", "x86_64", {}, {}, {"variant": "windows-x86_64-zip", "x86": False}),
    ("unknown, file", "", {"source": "file", "file": "/srv/Comet_Backup-24.6.0.zip", "name": "Comet_Backup-24.6.0.zip"},
     {"file": "/srv/x86.zip"}, {"file": "/srv/Comet_Backup-24.6.0.zip", "name": "Comet_Backup-24.6.0.zip", "x86": False}),
    ("arm64, server", "arm64", {}, {"variant": "windows-x86_32-zip"}, {"variant": "windows-x86_64-zip"}),
    # 32-bit from the server: the documented variant, or the site's
    ("x86, server, documented variant", "x86", {}, {}, {"variant": "windows-x86_32-zip", "x86": True}),
    ("x86, server, empty variant", "x86", {}, {"variant": ""}, {"variant": "windows-x86_32-zip"}),
    ("x86, server, site variant", "x86", {}, {"variant": "windows-anycpu-zip"}, {"variant": "windows-anycpu-zip"}),
    # 32-bit from a file or URL: the 32-bit one, named by its own file name
    ("x86, file", "x86", {"source": "file", "file": "/srv/Comet_Backup-24.6.0.zip", "name": "Comet_Backup-24.6.0.zip"},
     {"file": "/srv/x86/Comet_Backup_x86-24.6.0.zip"},
     {"file": "/srv/x86/Comet_Backup_x86-24.6.0.zip", "name": "Comet_Backup_x86-24.6.0.zip", "sha256": ""}),
    ("x86, file with its sha256", "x86", {"source": "file", "file": "/srv/a-24.6.0.zip", "sha256": SHA},
     {"file": "/srv/b-24.6.0.zip", "sha256": X86_SHA.upper()}, {"file": "/srv/b-24.6.0.zip", "sha256": X86_SHA}),
    ("x86, url", "x86", {"source": "url", "url": "https://dl/Comet-24.6.0.zip", "sha256": SHA},
     {"url": "https://dl/x86/Comet-24.6.0.zip?sig=1", "sha256": X86_SHA},
     {"url": "https://dl/x86/Comet-24.6.0.zip?sig=1", "sha256": X86_SHA, "name": "Comet-24.6.0.zip", "file": ""}),
    ("x86, file without a version in its name", "x86", {"source": "file", "file": "/srv/a.zip"},
     {"file": "/srv/b.zip"}, {"file": "/srv/b.zip", "name": "b.zip", "refusal": ""}),
    ("x86, file, four-part version is the same", "x86", {"source": "file", "file": "/srv/a.zip"},
     {"file": "/srv/b-24.6.0.0.zip"}, {"refusal": ""}),
]


@pytest.mark.parametrize("case_id, architecture, given, x86, expected", CASES, ids=[c[0] for c in CASES])
def test_installer_for_host(case_id, architecture, given, x86, expected):
    found = cw.installer_for_host(_probe(architecture), "pc1", x86=x86, **dict(BASE, **given))
    assert found["architecture"] == architecture
    assert found["refusal"] == expected.get("refusal", "")
    for key, value in expected.items():
        assert found[key] == value, (case_id, key)
    assert F["comet_client_windows_installer_for_host"](_probe(architecture), "pc1", x86=x86,
                                                        **dict(BASE, **given)) == found


REFUSALS = [
    ("file source, no 32-bit file", {"source": "file", "file": "/srv/a-24.6.0.zip"}, {},
     "pc1 runs 32-bit Windows and comet_client_installer_file is the 64-bit installer: set "
     "comet_client_windows_x86_installer_file to the 32-bit one (the Comet Server's windows-x86_32-zip), nothing was "
     "installed."),
    ("url source, no 32-bit URL", {"source": "url", "url": "https://dl/a-24.6.0.zip", "sha256": SHA}, {"sha256": X86_SHA},
     "pc1 runs 32-bit Windows and comet_client_installer_url is the 64-bit installer: set "
     "comet_client_windows_x86_installer_url to the 32-bit one (the Comet Server's windows-x86_32-zip) and "
     "comet_client_windows_x86_installer_sha256, nothing was installed."),
    ("url source, no sha256", {"source": "url", "url": "https://dl/a-24.6.0.zip", "sha256": SHA},
     {"url": "https://dl/b-24.6.0.zip"},
     "pc1 runs 32-bit Windows: comet_client_windows_x86_installer_sha256 is required with "
     "comet_client_windows_x86_installer_url, nothing was installed."),
    ("another version", {"source": "file", "file": "/srv/a-24.6.0.zip"}, {"file": "/srv/b-24.3.1.zip"},
     "pc1 runs 32-bit Windows: comet_client_windows_x86_installer_file b-24.3.1.zip is version 24.3.1, the target is "
     "24.6.0; give the 32-bit installer of the same version, nothing was installed."),
]


@pytest.mark.parametrize("case_id, given, x86, message", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_a_32_bit_windows_without_its_installer_is_refused(case_id, given, x86, message):
    found = cw.installer_for_host(_probe("x86"), "pc1", x86=x86, **dict(BASE, **given))
    assert found["refusal"] == message, case_id
    # the same variables on a 64-bit Windows: nothing to refuse
    assert cw.installer_for_host(_probe("x86_64"), "pc1", x86=x86, **dict(BASE, **given))["refusal"] == ""


def test_the_variants_are_those_comet_documents():
    # docs.cometbackup.com, API methods: AdminBrandingGenerateClientWindowsX8664Zip / ...X8632Zip
    assert cw.X86_64_VARIANT == cc.VARIANTS["Win32NT"] == "windows-x86_64-zip"
    assert cw.X86_32_VARIANT == "windows-x86_32-zip"


def test_the_filter_refuses_what_is_no_probe():
    with pytest.raises(AnsibleFilterError, match="the role's probe"):
        F["comet_client_windows_installer_for_host"]("x86")
    with pytest.raises(AnsibleFilterError, match="unexpected keyword"):
        F["comet_client_windows_installer_for_host"]({}, "pc1", bogus=1)


def test_the_role_documents_its_32_bit_variables():
    with open(os.path.join(ROOT, "roles", "comet_client", "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "roles", "comet_client", "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    for name in cw.X86_VARIABLES.values():
        assert defaults[name] == "" and options[name]["default"] == "" and options[name]["type"] == "str", name
    with open(os.path.join(ROOT, "roles", "comet_client", "tasks", "windows_present.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    names = [task["name"] for task in tasks]
    # chosen and refused by the role's decision (action comet_client_decide, before any change): the change step
    # fetches the installer it chose, then stages it
    assert names.index("Get the installer on the controller (once per run and installer)") < \
        names.index("Stage and run the installer")
    fetch = tasks[names.index("Get the installer on the controller (once per run and installer)")]
    assert "_comet_client_windows_installer_choice" in fetch["vars"]["_comet_client_host_installer"]
