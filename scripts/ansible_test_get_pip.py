# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its sanity venvs.

ansible-test fetches get-pip.py from a host that is not reachable here; it first looks in
~/.ansible/test/cache/get_pip_<version>.py, where scripts/setup.sh puts this file. It bootstraps pip from the
interpreter's own ensurepip, then installs what ansible-test asked for (e.g. pip==24.2) from the package index.
"""
from __future__ import annotations

import subprocess
import sys


def main() -> None:
    # ensurepip in a child process: in-process it replaces PIP_CONFIG_FILE, which would drop the pip configuration
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
    args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)


if __name__ == '__main__':
    main()
