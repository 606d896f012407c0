#!/usr/bin/env bash
# The README's first command (make demo / make demo-clean):
#   scripts/demo.sh up     set up what is missing (scripts/setup.sh), build the stand-in .run installer, start the
#                          Comet Server stand-in on 127.0.0.1 with the demo account, start three podman systemd hosts
#                          (Debian 11, 12, 13), run playbooks/site.yml on them with inventories/demo, write the
#                          fleet report of the demo fleet (playbooks/report.yml, HTML in <dir>/reports/), then print
#                          a short fleet summary read back from the server and the report's path. Re-runnable: a
#                          second run changes nothing.
#   scripts/demo.sh up --hosts N   the same with N hosts (default 3; tests/bench/hosts_bench.py): Debian 11, 12, 13,
#                          11, ... named deb11, deb12, deb13, deb11-2, ..., in an inventory written to <dir>/inventory
#                          (the group_vars of inventories/demo); with 3, inventories/demo itself.
#   scripts/demo.sh down   remove everything "up" started: the containers, the server process, build/demo.
#   scripts/demo.sh summary   print the fleet summary again.
# Secrets (the administrator's and the demo account's passwords) are generated into build/demo/ (mode 0600) and never
# printed. Environment: UNIL_DEMO_DIR (default build/demo), UNIL_DEMO_PORT (default 0: a free port, written to
# <dir>/server.port), UNIL_DEMO_SKIP_SETUP=1, and any ANSIBLE_* variable (e.g. ANSIBLE_STDOUT_CALLBACK).
# Two runs never collide: the containers are named after the demo directory (unil-demo-<id>-deb11, <id> from its
# path, so two checkouts, or make test beside make demo, have their own), labelled with that directory, and a run
# holds <dir>.lock: a second up/down on the same directory while one runs refuses instead of removing its hosts.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

demo_dir=$(realpath -ms "${UNIL_DEMO_DIR:-$root/build/demo}")
port=${UNIL_DEMO_PORT:-0}
client_version=24.6.0
account=demo
versions=(11 12 13)
host_count=3
suffixes=()
host_versions=()
inventory=$root/inventories/demo

export UNIL_DEMO_DIR=$demo_dir
export PATH="$root/.venv/bin:$PATH"
export CONTAINERS_CONF="$root/tests/podman/containers.conf"
export ANSIBLE_COLLECTIONS_PATH="$root/build/collections"
export ANSIBLE_RETRY_FILES_ENABLED=0

say() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

hosts_py=$root/tests/podman/podman_hosts.py
container_prefix=
# The names of this demo's containers, from its directory (after setup: it needs python3).
name_hosts() { container_prefix=unil-demo-$(python3 "$hosts_py" run-id "$demo_dir"); }
container_name() { echo "$container_prefix-$1"; }
# The hosts of host_count: suffixes (deb11, deb12, deb13, deb11-2, ...) and their Debian versions, and the inventory.
plan_hosts() {
  local i v
  suffixes=()
  host_versions=()
  for ((i = 0; i < host_count; i++)); do
    v=${versions[i % ${#versions[@]}]}
    host_versions+=("$v")
    if ((i < ${#versions[@]})); then suffixes+=("deb$v"); else suffixes+=("deb$v-$((i / ${#versions[@]} + 1))"); fi
  done
  [ "$host_count" = 3 ] || inventory=$demo_dir/inventory
}

# One run at a time per demo directory: "up" and "down" run under flock(1) on <dir>.lock (beside the directory, which
# "down" removes). -o: the lock stays with flock itself, so the containers' conmon and the stand-in never inherit it.
with_lock() {
  local rc=0
  [ "${_UNIL_DEMO_LOCKED:-}" = "$demo_dir" ] && return 0
  mkdir -p "$(dirname "$demo_dir")"
  _UNIL_DEMO_LOCKED=$demo_dir flock -n -o -E 75 "$demo_dir.lock" bash "$root/scripts/demo.sh" "$@" || rc=$?
  [ "$rc" -ne 75 ] || die "another make demo / demo-clean is using ${demo_dir#"$root"/} (it holds $demo_dir.lock): wait for it to finish"
  exit "$rc"
}

# The pid in server.pid, only when that process is still our stand-in.
server_pid() {
  local pid
  [ -s "$demo_dir/server.pid" ] || return 1
  pid=$(cat "$demo_dir/server.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'tests/comet_server' || return 1
  echo "$pid"
}

python_venv() { "$root/.venv/bin/python" "$@"; }

wait_server() {
  local url=$1
  for _ in $(seq 1 60); do
    if python_venv - "$url" <<'EOF' 2>/dev/null; then return 0; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "_standin/state", timeout=2).read()
EOF
    sleep 0.5
  done
  return 1
}

summary() {
  # Read back from the server with the admin API (the password goes in the POST body, never on a command line).
  python_venv - "$demo_dir" "$account" <<'EOF'
import json, os, sys, urllib.parse, urllib.request
demo_dir, account = sys.argv[1], sys.argv[2]
def read(name):
    with open(os.path.join(demo_dir, name)) as f:
        return f.read().strip()
url = "http://127.0.0.1:%s/api/v1/admin/" % read("server.port")
auth = {"Username": "admin", "AuthType": "Password", "Password": read("admin.pw")}
def call(endpoint, **params):
    body = urllib.parse.urlencode(dict(auth, **params)).encode()
    with urllib.request.urlopen(urllib.request.Request(url + endpoint, data=body), timeout=10) as r:
        return json.loads(r.read().decode())
version = call("meta/version")["Version"]
profile = call("get-user-profile", TargetUser=account)
live = set(c["DeviceID"] for c in call("dispatcher/list-active", UserNameFilter=account).values())
devices = profile.get("Devices") or {}
sources = profile.get("Sources") or {}
rules = profile.get("BackupRules") or {}
print("Fleet summary read back from the Comet Server %s (version %s), account %r: %d device(s), %d online"
      % (url[:-len("api/v1/admin/")], version, account, len(devices), len(live & set(devices))))
print("  %-12s %-8s %-8s %-8s %-26s %s" % ("device", "client", "status", "OS", "protected item (folders)", "schedules"))
for dev_id, dev in sorted(devices.items(), key=lambda kv: kv[1].get("FriendlyName", "")):
    items = [(sid, s) for sid, s in sorted(sources.items()) if s.get("OwnerDevice") == dev_id]
    folders = []
    scheds = 0
    for sid, s in items:
        folders += [v for k, v in sorted((s.get("EngineProps") or {}).items()) if k.startswith("INCLUDE")]
        scheds += sum(len(r.get("Schedules") or []) for r in rules.values() if r.get("Source") == sid)
    item = ", ".join(s.get("Description", "") for _, s in items) or "-"
    print("  %-12s %-8s %-8s %-8s %-26s %d" % (
        dev.get("FriendlyName", "?"), dev.get("ClientVersion", "?"), "online" if dev_id in live else "OFFLINE",
        (dev.get("PlatformVersion") or {}).get("os", "?"), "%s (%s)" % (item, " ".join(folders)), scheds))
EOF
}

up() {
  local started=$SECONDS v name state label i
  if [ "${1:-}" = --hosts ]; then
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--hosts needs a number of hosts (1 or more)"
    host_count=$2
    shift 2
  fi
  if [ -s "$demo_dir/hosts.count" ] && [ "$(cat "$demo_dir/hosts.count")" != "$host_count" ]; then
    die "the demo in ${demo_dir#"$root"/} has $(cat "$demo_dir/hosts.count") hosts, not $host_count: scripts/demo.sh down first"
  fi
  plan_hosts
  if [ "${UNIL_DEMO_SKIP_SETUP:-0}" != 1 ]; then
    say "1/7 setting up this machine (scripts/setup.sh: Debian packages, .venv, systemd images; only what is missing)"
    bash "$root/scripts/setup.sh" | sed 's/^/       /'
  fi
  [ -x "$root/.venv/bin/ansible-playbook" ] || die ".venv is missing: run scripts/setup.sh"
  name_hosts
  mkdir -p "$root/build/collections/ansible_collections/unil"
  [ -L "$root/build/collections/ansible_collections/unil/backup" ] \
    || ln -sfn ../../../.. "$root/build/collections/ansible_collections/unil/backup"

  say "2/7 secrets and the stand-in installer in ${demo_dir#"$root"/} (mode 0600, never printed)"
  umask 077
  mkdir -p "$demo_dir/installers"
  chmod 0700 "$demo_dir"
  echo "$container_prefix" >"$demo_dir/container.prefix"
  echo "$host_count" >"$demo_dir/hosts.count"
  if [ "$host_count" != 3 ]; then
    mkdir -p "$demo_dir/inventory"
    ln -sfn "$root/inventories/demo/group_vars" "$demo_dir/inventory/group_vars"
    {
      echo "# scripts/demo.sh up --hosts $host_count: inventories/demo's hosts.yml with $host_count hosts (its group_vars linked)"
      printf 'all:\n  children:\n    demo_hosts:\n      hosts:\n'
      for name in "${suffixes[@]}"; do
        printf '        demo-%s:\n          ansible_host: "{{ unil_demo_container_prefix }}-%s"\n' "$name" "$name"
      done
    } >"$demo_dir/inventory/hosts.yml"
  fi
  for f in admin.pw user.pw; do
    [ -s "$demo_dir/$f" ] || python_venv -c 'import secrets; print(secrets.token_urlsafe(24))' >"$demo_dir/$f"
  done
  python_venv tests/installers/build_comet_run.py --version "$client_version" --output-dir "$demo_dir/installers" >/dev/null
  python_venv - "$demo_dir" "$account" "$client_version" <<'EOF'
import json, os, sys
demo_dir, account, version = sys.argv[1:4]
with open(os.path.join(demo_dir, "user.pw")) as f:
    password = f.read().strip()
fixture = {"_comment": "make demo: the demo account, the installer the server hands out",
           "users": {account: {"password": password, "profile": {"AccountName": "UNIL demo (make demo)"}}},
           "installers": {"linuxgeneric": os.path.join(demo_dir, "installers", "Comet_Backup_UNIL-%s.run" % version)}}
path = os.path.join(demo_dir, "fixture.json")
fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(fixture, f, indent=1)
os.replace(path + ".tmp", path)
EOF

  local pid
  if pid=$(server_pid); then
    say "3/7 Comet Server stand-in already running (pid $pid) on http://127.0.0.1:$(cat "$demo_dir/server.port")/"
  else
    say "3/7 starting the Comet Server stand-in on http://127.0.0.1:$port/"
    if [ "$port" != 0 ] && python_venv -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$port"; then
      die "port $port on 127.0.0.1 is taken by another program: set UNIL_DEMO_PORT"
    fi
    rm -f "$demo_dir/server.port"
    setsid nohup "$root/.venv/bin/python" "$root/tests/comet_server" --host 127.0.0.1 --port "$port" \
      --port-file "$demo_dir/server.port" --state-file "$demo_dir/state.json" --fixture "$demo_dir/fixture.json" \
      --admin-user admin --admin-password-file "$demo_dir/admin.pw" </dev/null >"$demo_dir/server.log" 2>&1 &
    echo $! >"$demo_dir/server.pid"
  fi
  for _ in $(seq 1 60); do [ -s "$demo_dir/server.port" ] && break; sleep 0.5; done
  wait_server "http://127.0.0.1:$(cat "$demo_dir/server.port" 2>/dev/null)/" || { tail -n 20 "$demo_dir/server.log" >&2; die "the stand-in does not answer"; }

  say "4/7 podman systemd hosts (--network host): $(for v in "${suffixes[@]}"; do printf '%s ' "$(container_name "$v")"; done)"
  for i in "${!suffixes[@]}"; do
    v=${host_versions[i]}
    name=$(container_name "${suffixes[i]}")
    podman image exists "localhost/unil-debian-systemd:$v" || die "image localhost/unil-debian-systemd:$v is missing: run scripts/setup.sh"
    state=$(podman container inspect -f '{{.State.Status}}' "$name" 2>/dev/null || echo missing)
    label=$(podman container inspect -f '{{index .Config.Labels "unil.backup.demo"}}' "$name" 2>/dev/null || true)
    [ "$state" = missing ] || [ "$label" = "$demo_dir" ] \
      || die "a container named $name exists but was not made by the demo in ${demo_dir#"$root"/} (label: ${label:-none}): remove it or set UNIL_DEMO_DIR"
    # A container podman still calls running may be gone (a machine restored from a snapshot keeps /run, and with it
    # podman's record of processes that no longer exist: "cannot exec in a stopped container"). It is the demo's own
    # (label checked above): replace it; the playbook below installs what it held again.
    if [ "$state" = running ] && ! podman exec "$name" true >/dev/null 2>&1; then
      podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
      printf '       %s: podman called it running but it does not answer: replaced\n' "$name"
      state=missing
    fi
    case $state in
      running) printf '       %s: running\n' "$name" ;;
      missing)
        podman run -d --name "$name" --hostname "demo-${suffixes[i]}" --network host --systemd always \
          --label "unil.backup.demo=$demo_dir" "localhost/unil-debian-systemd:$v" /sbin/init >/dev/null
        # a second host of one image is another machine: its own machine ID (the image's would be shared, and the
        # role refuses hosts that would back up into one Comet device)
        if ((i >= ${#versions[@]})); then
          podman exec "$name" sh -c 'tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id'
        fi
        printf '       %s: started (Debian %s)\n' "$name" "$v" ;;
      *)
        podman start "$name" >/dev/null
        printf '       %s: restarted (was %s)\n' "$name" "$state" ;;
    esac
  done
  # shellcheck disable=SC2046
  python3 "$hosts_py" wait-booted $(for v in "${suffixes[@]}"; do container_name "$v"; done) 2>&1 | sed 's/^/       /' \
    || die "the demo hosts did not boot (the last answer of each is above)"

  say "5/7 ansible-playbook playbooks/site.yml -i ${inventory#"$root"/} (install the client, apply the settings, CrashPlan, summary)"
  ansible-playbook -i "$inventory" "$root/playbooks/site.yml" "$@"

  # The fleet report of the demo fleet, on the controller only (the role's tasks are delegated to localhost, the demo
  # hosts are not contacted; the play is on them for the inventory's variables). The connection is the inventory's,
  # given by reference (the password never on a command line). Its output goes to a log so that the last PLAY RECAP
  # printed stays site.yml's.
  say "6/7 ansible-playbook playbooks/report.yml -i ${inventory#"$root"/} (fleet report, HTML; output in ${demo_dir#"$root"/}/report.log)"
  if ! ansible-playbook -i "$inventory" "$root/playbooks/report.yml" -e fleet_report_hosts=demo_hosts \
      -e 'fleet_report_server_url={{ comet_client_server_url }}' \
      -e 'fleet_report_admin_username={{ comet_client_admin_username }}' \
      -e 'fleet_report_admin_password={{ comet_client_admin_password }}' \
      -e "fleet_report_dir=$demo_dir/reports" -e fleet_report_timestamp=false -e fleet_report_formats=html,json \
      >"$demo_dir/report.log" 2>&1; then
    tail -n 30 "$demo_dir/report.log" >&2
    die "the fleet report failed (its whole output: ${demo_dir#"$root"/}/report.log)"
  fi

  say "7/7 done in $((SECONDS - started)) s"
  summary
  say "fleet report of the demo fleet (open it in a browser): $demo_dir/reports/fleet-report.html"
  say "again: make demo (changes nothing the second time); clean up: make demo-clean"
}

down() {
  local name pid label
  name_hosts
  [ ! -s "$demo_dir/hosts.count" ] || host_count=$(cat "$demo_dir/hosts.count")
  plan_hosts
  # the planned hosts, then any other container labelled with this demo's directory (an up cut short)
  for name in $( (for v in "${suffixes[@]}"; do container_name "$v"; done
                  podman ps -a --filter "label=unil.backup.demo=$demo_dir" --format '{{.Names}}' 2>/dev/null) | awk '!seen[$0]++'); do
    if podman container exists "$name"; then
      label=$(podman container inspect -f '{{index .Config.Labels "unil.backup.demo"}}' "$name" 2>/dev/null || true)
      if [ "$label" != "$demo_dir" ]; then
        say "left container $name alone: it was not made by the demo in ${demo_dir#"$root"/} (label: ${label:-none})"
        continue
      fi
      podman rm -f -t 5 "$name" >/dev/null
      say "removed container $name"
    fi
  done
  if pid=$(server_pid); then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    say "stopped the Comet Server stand-in (pid $pid)"
  fi
  if [ -d "$demo_dir" ]; then
    rm -rf "$demo_dir"
    say "removed ${demo_dir#"$root"/}"
  fi
  rm -f "$demo_dir.lock"
  say "nothing of the demo is left"
}

case ${1:-} in
  up) with_lock "$@"; shift; up "$@" ;;
  down) with_lock "$@"; down ;;
  summary) summary ;;
  *) echo "usage: $0 up [--hosts N] [ansible-playbook options] | down | summary" >&2; exit 2 ;;
esac
