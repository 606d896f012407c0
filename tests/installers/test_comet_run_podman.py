# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stand-in .run on the real test hosts (Debian 11/12/13 images, no curl): install to the real /opt, then upgrade.

Needs podman and the images localhost/unil-debian-systemd:{11,12,13} (scripts/setup.sh); the container shares the
host network to reach the stand-in on 127.0.0.1.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import build_comet_run
from installer_testlib import NEW, OLD, PASSWORD, USER, admin, devices

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
set -eu
cd /installers
export STANDIN_HEARTBEAT_SECONDS=1
if command -v curl; then echo "curl is on this image"; exit 3; fi
./Comet_Backup_UNIL-{old}.run < answers > first.out 2>&1
D=/opt/CometBackupUNIL
echo "version=$($D/backup-tool version)"
echo "id1=$($D/backup-tool info device-id)"
echo "status1=$($D/backup-tool login status)"
./Comet_Backup_UNIL-{new}.run < /dev/null > upgrade.out 2>&1
echo "version2=$($D/backup-tool version)"
echo "id2=$($D/backup-tool info device-id)"
echo "status2=$($D/backup-tool login status)"
echo "mode=$(stat -c %a /root/.config/backup-tool/config.dat)"
echo "leaks=$(grep -rlF -f pw /opt /root /tmp /var/tmp 2>/dev/null | wc -l)"
sleep 3
echo "procs=$(pgrep -fc -- $D/backup-tool)"
"""


def _podman_env():
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", os.path.join(REPO, "tests", "podman", "containers.conf"))
    return env


def _image_present(image):
    if not shutil.which("podman"):
        return False
    return subprocess.run(["podman", "image", "exists", image], env=_podman_env(), check=False).returncode == 0


@pytest.mark.parametrize("release", ["11", "12", "13"])
def test_install_and_upgrade_on_debian(release, server, tmp_path):
    image = "localhost/unil-debian-systemd:%s" % release
    if not _image_present(image):
        pytest.skip("podman image %s is not built (scripts/setup.sh)" % image)
    work = tmp_path / "installers"
    work.mkdir()
    for version in (OLD, NEW):
        build_comet_run.build(version, str(work))
    (work / "answers").write_text("%s\n%s\n%s\n\n" % (USER, PASSWORD, server.url))
    (work / "pw").write_text(PASSWORD + "\n")
    name = "deb%s-run" % release
    res = subprocess.run(
        ["podman", "run", "--rm", "--network", "host", "--hostname", name, "-v", "%s:/installers" % work,
         "--entrypoint", "/bin/bash", image, "-c", SCRIPT.format(old=OLD, new=NEW)],
        capture_output=True, text=True, timeout=300, env=_podman_env(), check=False)
    first = (work / "first.out").read_text() if (work / "first.out").exists() else ""
    assert res.returncode == 0, res.stdout + res.stderr + first
    values = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)

    assert "First-time installation..." in first and "Extracting latest software version to '/opt/CometBackupUNIL'" in first
    assert "Device name (%s): " % name in first and "Complete!" in first
    assert "Upgrading existing installation..." in (work / "upgrade.out").read_text()
    assert values["version"] == OLD and values["version2"] == NEW
    assert values["id1"] == values["id2"]
    assert values["status1"] == values["status2"] == "Logged in, unlocked (2)"
    assert values["mode"] == "600"
    assert values["leaks"] == "0"
    assert values["procs"] == "1"  # exactly one delegate after the upgrade's restart

    devs = devices(server)
    assert list(devs) == [values["id1"]]
    assert devs[values["id1"]]["FriendlyName"] == name
    assert devs[values["id1"]]["ClientVersion"] == NEW
    live = [v for v in admin(server, "dispatcher/list-active").values() if v["DeviceID"] == values["id1"]]
    assert len(live) == 1 and live[0]["ReportedVersion"] == NEW
    assert live[0]["ReportedPlatform"].startswith("linux/")
    assert live[0]["ReportedPlatformVersion"]["distribution"] == "Debian GNU/Linux %s" % release
