#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (as root) for developing and testing unil.backup:
#   1. Debian packages (podman, runc, debootstrap, ...), installed only when missing;
#   2. the project virtualenv .venv with the pinned toolchain of requirements-dev.txt,
#      reinstalled only when that file changes;
#   3. systemd base images for Debian 11, 12 and 13 (debootstrap + podman import), built only when missing.
# A second run finds everything in place and only checks.
# debootstrap uses the Debian archive of this machine's own apt sources (scripts/debian_mirror.py); set
# UNIL_DEBIAN_MIRROR=http://... to use another one.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
start=$(date +%s)
export CONTAINERS_CONF="$here/tests/podman/containers.conf"

say() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages -----------------------------------------------------------------------
# chromium: the HTML fleet report is checked in a headless browser (tests/integration/test_fleet_report_html_browser.py)
# libkrb5-dev: make ee-check builds requirements-ee.txt (pywinrm[kerberos]) in a clean virtualenv (bindep.txt)
debs=(podman runc debootstrap python3 python3-venv git make xz-utils gawk ca-certificates openssl shellcheck tar chromium libkrb5-dev)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || { echo "setup: run as root (apt-get needs it)" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all present"
fi

# 2. Python virtualenv ---------------------------------------------------------------------
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "virtualenv .venv: up to date"
else
  say "creating virtualenv .venv with the pinned toolchain"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# 2b. ansible-test sanity runs from its own venv with the same ansible-core; its per-test venvs bootstrap pip
#     with a get-pip.py downloaded from a host that is not reachable here: seed that cache with an offline one.
core=$(grep -E '^ansible-core==' requirements-dev.txt)
have=$(.venv-sanity/bin/python -c 'import importlib.metadata as m; print(m.version("ansible-core"))' 2>/dev/null || echo none)
if [ -x .venv-sanity/bin/ansible-test ] && [ "ansible-core==$have" = "$core" ]; then
  say "sanity virtualenv .venv-sanity: up to date"
else
  say "creating sanity virtualenv .venv-sanity ($core)"
  [ -x .venv-sanity/bin/python ] || python3 -m venv .venv-sanity
  .venv-sanity/bin/pip install -q --disable-pip-version-check "$core"
fi
pipver=$(grep -ohP "pip='\K[0-9.]+" .venv-sanity/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py)
mkdir -p ~/.ansible/test/cache
cp -f scripts/ansible_test_get_pip.py "$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"

# 3. systemd base images for the Molecule hosts --------------------------------------------
include=systemd,systemd-sysv,python3,dbus,procps,iproute2,sudo,xz-utils,gawk,ca-certificates,tzdata
mirror=${UNIL_DEBIAN_MIRROR:-}
for pair in 11:bullseye 12:bookworm 13:trixie; do
  ver=${pair%%:*}; suite=${pair##*:}
  image=localhost/unil-debian-systemd:$ver
  if podman image exists "$image"; then
    say "image $image: present"
    continue
  fi
  if [ -z "$mirror" ]; then
    mirror=$(python3 scripts/debian_mirror.py) || { echo "setup: no Debian archive found in this machine's apt" \
      "sources (/etc/apt/sources.list, /etc/apt/sources.list.d/): set UNIL_DEBIAN_MIRROR=http://<mirror>/debian" >&2; exit 1; }
  fi
  say "building $image with debootstrap ($suite, from $mirror)"
  rootfs=$(mktemp -d "/var/tmp/unil-rootfs-$suite.XXXXXX")
  debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" >/dev/null
  # no getty or other console units in a container
  rm -f "$rootfs"/etc/systemd/system/getty.target.wants/* "$rootfs"/etc/machine-id
  touch "$rootfs"/etc/machine-id
  tar -C "$rootfs" -c . | podman import -q --change 'CMD ["/sbin/init"]' - "$image" >/dev/null
  rm -rf "$rootfs"
done

say "done in $(( $(date +%s) - start )) s"
