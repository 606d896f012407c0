# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/debian_mirror.py: the Debian archive debootstrap uses comes from the machine's own apt sources."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "debian_mirror.py")

DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.switch.ch/ftp/mirror/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def mirror(tmp_path, **files):
    paths = []
    for name, text in files.items():
        path = tmp_path / name.replace("_", ".")
        path.write_text(text)
        paths.append(str(path))
    proc = subprocess.run([sys.executable, SCRIPT] + paths, capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


@pytest.mark.parametrize("files, expected", [
    ({"debian_sources": DEB822}, "http://mirror.switch.ch/ftp/mirror/debian/"),
    # security first in the file: still the main archive
    ({"a_sources": "\n\n".join(reversed(DEB822.split("\n\n")))}, "http://mirror.switch.ch/ftp/mirror/debian/"),
    ({"sources_list": "# deb http://commented/debian bookworm main\n"
                      "deb [arch=amd64 signed-by=/k.gpg] http://ftp.ch.debian.org/debian/ bookworm main contrib\n"},
     "http://ftp.ch.debian.org/debian/"),
    ({"sources_list": "deb http://security.debian.org/ bullseye/updates main\n"
                      "deb-src http://src.example/debian bookworm main\n"
                      "deb http://apt-cache.lab:3142/deb.debian.org/debian bookworm main\n"},
     "http://apt-cache.lab:3142/deb.debian.org/debian"),
    # a third-party repository, a disabled stanza, no main component: none is a Debian archive
    ({"nodesource_sources": "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n",
      "off_sources": "Types: deb\nURIs: http://off/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n",
      "contrib_list": "deb http://x/debian bookworm contrib\n"}, None),
])
def test_the_first_debian_archive_of_the_apt_sources(tmp_path, files, expected):
    assert mirror(tmp_path, **files) == expected


def test_setup_refuses_clearly_without_a_mirror_and_takes_the_override():
    with open(os.path.join(os.path.dirname(SCRIPT), "setup.sh"), encoding="utf-8") as handle:
        setup = handle.read()
    assert "http://deb.debian.org" not in setup, "setup.sh has a mirror of its own again"
    assert "mirror=${UNIL_DEBIAN_MIRROR:-}" in setup and 'debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror"' in setup
