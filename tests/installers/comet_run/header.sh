#!/usr/bin/env bash
# @PRODUCT@ @VERSION@ - self-extracting Linux installer.
# STAND-IN for the Comet Backup "Other distribution" .run, built by unil.backup's tests/installers/build_comet_run.py
# (test code, never shipped). Run as root; the first installation asks, on stdin: Username, Password, Server URL,
# Device name. Environment: WRITE_INSTALL_LOG=<file>, OVERRIDE_INSTALL_SERVER=<url>,
# and, FOR TESTS ONLY, STANDIN_INSTALL_ROOT=<dir> (installs to <dir>/opt/@BRAND@ instead of /opt/@BRAND@).
set -u
PAYLOAD_LINE=@PAYLOAD_LINE@
PAYLOAD_SHA256=@PAYLOAD_SHA256@

if [ "$(id -u)" != "0" ]; then
    echo "ERROR: This installer must be run as root (try: sudo $0)" >&2
    exit 1
fi
for tool in python3 xz tar sha256sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ERROR: '$tool' is required to install @PRODUCT@" >&2
        exit 1
    fi
done
if [ "$(tail -n "+$PAYLOAD_LINE" "$0" | sha256sum | cut -d' ' -f1)" != "$PAYLOAD_SHA256" ]; then
    echo "ERROR: This installer is damaged (checksum mismatch); download it again" >&2
    exit 1
fi
workdir="$(mktemp -d "${TMPDIR:-/tmp}/comet-run.XXXXXXXX")" || exit 1
trap 'rm -rf "$workdir"' EXIT
if ! tail -n "+$PAYLOAD_LINE" "$0" | xz -dc | tar -x -f - -C "$workdir"; then
    echo "ERROR: Could not extract the installer's payload" >&2
    exit 1
fi
export HOME="${HOME:-/root/}"
python3 "$workdir/payload/backup-tool" _standin-install
exit $?
# shellcheck disable=SC2317  # the payload, never executed
__PAYLOAD_BELOW__
