#!/usr/bin/env bash
# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# STAND-IN for Comet Backup's backup-daemon-start.sh (test code of unil.backup, never shipped).
# Runs in the foreground (for systemd, rc.local, ...): supervises
#   backup-tool cmd -ValidateConfig=false -Action=delegate-server
# and restarts it if it ends. Only one instance runs per install directory: a new one stops the instance named in
# daemon.pid and takes over, so that a systemd unit can own the daemon that the installer started in the background.
# SIGTERM/SIGINT/SIGHUP stop the delegate and this script (what `systemctl stop` sends with KillMode=process).
set -u
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIDFILE="$DIR/daemon.pid"
export HOME="${HOME:-/root/}"

is_supervisor() {
    [ -n "$1" ] && [ "$1" != "$$" ] && kill -0 "$1" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'backup-daemon-start'
}

old="$(cat "$PIDFILE" 2>/dev/null || true)"
if is_supervisor "$old"; then
    kill -TERM "$old" 2>/dev/null
    for _ in $(seq 1 100); do
        is_supervisor "$old" || break
        sleep 0.1
    done
    is_supervisor "$old" && kill -KILL "$old" 2>/dev/null
fi
echo "$$" >"$PIDFILE"
export COMET_STANDIN_SUPERVISOR_PID="$$"

child=""
stop() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    [ "$(cat "$PIDFILE" 2>/dev/null)" = "$$" ] && rm -f "$PIDFILE"
    exit 0
}
trap stop TERM INT HUP

while :; do
    # another instance took over: leave it alone
    [ "$(cat "$PIDFILE" 2>/dev/null)" = "$$" ] || exit 0
    "$DIR/backup-tool" cmd -ValidateConfig=false -Action=delegate-server &
    child=$!
    wait "$child"
    child=""
    sleep 5 &
    wait $!
done
