#!/usr/bin/env bash
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# STAND-IN for Comet Backup's backup-daemon-start-background.sh (test code of unil.backup, never shipped):
# starts backup-daemon-start.sh detached from the terminal and returns at once. Its messages go to daemon.log.
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export HOME="${HOME:-/root/}"
nohup setsid "$DIR/backup-daemon-start.sh" </dev/null >>"$DIR/daemon.log" 2>&1 &
exit 0
