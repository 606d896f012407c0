# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the Debian archive this machine's apt uses, for debootstrap (scripts/setup.sh).

    debian_mirror.py [SOURCES_FILE...]    default: /etc/apt/sources.list /etc/apt/sources.list.d/*

The first enabled "deb" source, in one-line (.list) or deb822 (.sources) form, whose URI is a Debian archive (its
last path part is "debian") with the "main" component and a suite that is not a security one. Exit 1 when none is.
Python 3 standard library only: it runs before the project's virtualenv exists.
"""
import glob
import re
import sys


def entries(path, text):
    """(types, uri, suites, components) of each source in one file."""
    if path.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            fields = {}
            for line in stanza.splitlines():
                match = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
                if match:
                    fields[match.group(1).lower()] = match.group(2).split()
            if fields.get("enabled", ["yes"])[0].lower() == "no":
                continue
            for uri in fields.get("uris", []):
                yield fields.get("types", []), uri, fields.get("suites", []), fields.get("components", [])
    elif path.endswith(".list"):
        for line in text.splitlines():
            words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 3:
                yield [words[0]], words[1], [words[2]], words[3:]


def find_mirror(paths):
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        for types, uri, suites, components in entries(path, text):
            archive = uri.rstrip("/").rsplit("/", 1)[-1] == "debian"
            security = all("security" in suite or suite.endswith("/updates") for suite in suites)
            if "deb" in types and archive and "main" in components and not security:
                return uri
    return None


def main(argv):
    paths = argv or ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    mirror = find_mirror(paths)
    if not mirror:
        return 1
    print(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
