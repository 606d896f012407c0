# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the STAND-IN Comet Backup Linux installer (`<Product_Name>-<version>.run`); test code, never shipped.

    python tests/installers/build_comet_run.py --version 24.6.0 --output-dir DIR \
        [--brand CometBackupUNIL] [--product "Comet Backup UNIL"] [--default-server https://cometbackup.unil.ch/]

Writes DIR/Comet_Backup_UNIL-<version>.run and prints its path and sha256 (one line: "<path> <sha256>").
The bytes depend only on the inputs and the sources in comet_run/ (fixed tar metadata, xz), so the sha256 is stable.
"""

import argparse
import hashlib
import io
import json
import lzma
import os
import re
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.join(HERE, "comet_run")
# name in the payload -> source under comet_run/payload/ (backup-tool is kept as a .py without its shebang, which the
# build adds: ansible-test sanity allows only "#!/usr/bin/env python" in the tree, the hosts may only have python3)
PAYLOAD_FILES = {"backup-tool": "backup_tool.py", "backup-daemon-start.sh": "backup-daemon-start.sh",
                 "backup-daemon-start-background.sh": "backup-daemon-start-background.sh"}
PYTHON_SHEBANG = b"#!/usr/bin/env python3\n"
FIXED_MTIME = 1700000000  # 2023-11-14, any constant: keeps the archive's bytes reproducible

DEFAULT_BRAND = "CometBackupUNIL"
DEFAULT_PRODUCT = "Comet Backup UNIL"
DEFAULT_SERVER = "https://cometbackup.unil.ch/"


def _add(tar, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = FIXED_MTIME
    info.mode = mode
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mtime = FIXED_MTIME
    info.mode = 0o755
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info)


def build_payload(version, brand, product, default_server):
    """The xz-compressed tar of payload/ (program files plus standin.json with the build's identity)."""
    meta = {"version": version, "brand": brand, "product": product, "default_server": default_server}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        _add_dir(tar, "payload")
        for name in sorted(PAYLOAD_FILES):
            source = PAYLOAD_FILES[name]
            with open(os.path.join(SOURCES, "payload", source), "rb") as handle:
                data = handle.read()
            if source.endswith(".py"):
                data = PYTHON_SHEBANG + data
            _add(tar, "payload/" + name, data, 0o755)
        _add(tar, "payload/standin.json", (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode("utf-8"), 0o644)
    return lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=6)


def build(version, output_dir, brand=DEFAULT_BRAND, product=DEFAULT_PRODUCT, default_server=DEFAULT_SERVER):
    """Write the .run; return (path, sha256)."""
    if not re.match(r"^[0-9]+(\.[0-9]+)+$", version):
        raise ValueError("--version must look like 24.6.0, got %r" % version)
    if not re.match(r"^[A-Za-z0-9._-]+$", brand):
        raise ValueError("--brand must be a directory name (letters, digits, . _ -), got %r" % brand)
    if not re.match(r"^[A-Za-z0-9 ._-]+$", product):
        raise ValueError("--product may hold letters, digits, spaces and . _ -, got %r" % product)
    if not re.match(r"^https?://[^\s'\"\\`$]+$", default_server):
        raise ValueError("--default-server must be an http(s) URL, got %r" % default_server)
    if not default_server.endswith("/"):
        default_server += "/"
    payload = build_payload(version, brand, product, default_server)
    with open(os.path.join(SOURCES, "header.sh"), "r") as handle:
        header = handle.read()
    if not header.endswith("__PAYLOAD_BELOW__\n"):
        raise RuntimeError("header.sh must end with the __PAYLOAD_BELOW__ line")
    payload_line = header.count("\n") + 1  # the payload starts on the line after the marker
    header = (header.replace("@PAYLOAD_LINE@", str(payload_line))
              .replace("@PAYLOAD_SHA256@", hashlib.sha256(payload).hexdigest())
              .replace("@PRODUCT@", product).replace("@VERSION@", version).replace("@BRAND@", brand))
    data = header.encode("utf-8") + payload
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "%s-%s.run" % (product.replace(" ", "_"), version))
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return path, hashlib.sha256(data).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the stand-in Comet Backup Linux .run installer (test code).")
    parser.add_argument("--version", required=True, help="client version, e.g. 24.6.0")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--brand", default=DEFAULT_BRAND, help="install directory name under /opt")
    parser.add_argument("--product", default=DEFAULT_PRODUCT, help="product name (file name with _ for spaces)")
    parser.add_argument("--default-server", default=DEFAULT_SERVER, help="built-in server URL (prompt default)")
    args = parser.parse_args(argv)
    try:
        path, digest = build(args.version, args.output_dir, args.brand, args.product, args.default_server)
    except ValueError as exc:
        parser.error(str(exc))
    print("%s %s" % (path, digest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
