# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real ansible-playbook runs of the comet_* modules against the Comet Server stand-in started here."""
from __future__ import annotations

import http.server
import json
import os
import re
import threading
import time

import pytest
import yaml

from playbook_runner import run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOKS = os.path.join(os.path.dirname(__file__), "playbooks")
ADMIN = "ansible-admin"
ADMIN_PASSWORD = "Adm1n-p4ss-never-printed"
ACCOUNT = "lab-chimie"
WRITE = "set-user-profile-hash"
LINUX = {"os": "linux", "distribution": "Debian 12", "arch": "amd64", "version": "", "build": ""}

pytestmark = pytest.mark.slow


@pytest.fixture
def server(comet_standin):
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "user-secret")
    return srv


def essential(schedules):
    """The fields of stored ScheduleConfig entries the modules set, an absent one (omitempty: Comet drops zeros) as 0;
    the other fields a real server stores at their zero value are left out."""
    return [dict((key, entry.get(key, 0)) for key in ("FrequencyType", "SecondsPast", "Offset", "RandomDelaySecs"))
            for entry in schedules or []]


def playbook(srv, tmp_path, name, inventory, extra, *options):
    """Run ansible-playbook; connection settings in a 0600 extra-vars file. Returns (rc, output)."""
    secrets = tmp_path / "comet-connection.yml"
    if not secrets.exists():
        fd = os.open(str(secrets), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump({"comet_server_url": srv.url, "comet_admin_username": ADMIN, "comet_admin_password": ADMIN_PASSWORD,
                            "comet_lock_dir": str(tmp_path / "locks")}, f)
    assert (os.stat(str(secrets)).st_mode & 0o777) == 0o600
    extra_file = tmp_path / "extra.yml"
    extra_file.write_text(yaml.safe_dump(dict(extra, comet_account=ACCOUNT)))
    rc, output = run_playbook("-i", os.path.join(PLAYBOOKS, "inventories", inventory), "-e", "@" + str(secrets),
                              "-e", "@" + str(extra_file), os.path.join(PLAYBOOKS, name), *options, tmp_path=tmp_path,
                              label="%s %s" % (name, " ".join(options)))
    assert ADMIN_PASSWORD not in output, "the admin password appears in the playbook output"
    return rc, output


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            out[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return out


SINGLE = {
    "comet_device_name": "lab-pc-01",
    "comet_folders": ["/home", "/srv/data"],
    "comet_schedules": [{"frequency": "daily", "at": "12:30"}, {"frequency": "weekly", "days": ["mon", "thu"], "at": "22:00"}],
    "comet_random_delay": 900,
    "comet_exclusions": ["/home/*/.cache"],
}


def test_apply_idempotent_check_and_diff(server, tmp_path):
    server.state.add_device(ACCOUNT, "dev-lab-pc-01", "debian-12", platform=LINUX, client_version="24.6.0", online=True)

    rc, out = playbook(server, tmp_path, "comet_modules.yml", "single.yml", SINGLE)
    assert rc == 0, out
    assert recap(out)["lab-pc-01"]["changed"] == 4, out
    assert recap(out)["lab-pc-01"]["failed"] == 0
    writes = server.log_count(endpoint=WRITE)
    assert writes == 4
    assert server.log_count(endpoint="dispatcher/refetch-profile") == 4  # the device is online

    rc, out = playbook(server, tmp_path, "comet_modules.yml", "single.yml", SINGLE)
    assert rc == 0, out
    assert recap(out)["lab-pc-01"]["changed"] == 0, out
    assert server.log_count(endpoint=WRITE) == writes

    stored = server.state.get_profile(ACCOUNT)
    hash_before = server.state.profile_hash(ACCOUNT)
    changed = dict(SINGLE, comet_folders=["/home", "/opt/lab"])
    rc, out = playbook(server, tmp_path, "comet_modules.yml", "single.yml", changed, "--check")
    assert rc == 0, out
    assert recap(out)["lab-pc-01"]["changed"] == 1, out
    assert server.state.get_profile(ACCOUNT) == stored
    assert server.state.profile_hash(ACCOUNT) == hash_before
    assert server.log_count(endpoint=WRITE) == writes

    rc, out = playbook(server, tmp_path, "comet_modules.yml", "single.yml", changed, "--check", "--diff")
    assert rc == 0, out
    diff_lines = [line.strip() for line in out.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert any("/srv/data" in line for line in diff_lines if line.startswith("-")), out
    assert any("/opt/lab" in line for line in diff_lines if line.startswith("+")), out
    assert not any("/home" in line for line in diff_lines), "unchanged folders must not be in the diff:\n" + out
    assert server.state.profile_hash(ACCOUNT) == hash_before

    rc, out = playbook(server, tmp_path, "comet_modules.yml", "single.yml", changed, "--diff")
    assert rc == 0, out
    assert recap(out)["lab-pc-01"]["changed"] == 1
    assert server.log_count(endpoint=WRITE) == writes + 1


def per_host_api(output):
    """{host: (reads, writes, profile writes)} as the modules counted them (writes include dispatcher actions)."""
    return dict((m.group(1), (int(m.group(2)), int(m.group(3)), int(m.group(4))))
                for m in re.finditer(r"COMET_API (\S+) (\d+) (\d+) (\d+)", output))


def test_parallel_twenty_devices_one_account(server, tmp_path):
    hosts = ["par-%02d" % i for i in range(1, 21)]
    for i, host in enumerate(hosts):
        server.state.add_device(ACCOUNT, "dev-" + host, "host-%d" % i, platform=LINUX, client_version="24.6.0", online=i % 2 == 0)
    # Something the play must not touch: another device's item and an account setting.
    profile = server.state.get_profile(ACCOUNT)
    server.state.add_device(ACCOUNT, "dev-other", "other", platform=LINUX, client_version="24.6.0", online=False)
    profile = server.state.get_profile(ACCOUNT)
    profile["Sources"]["other-item"] = {"Engine": "engine1/file", "OwnerDevice": "dev-other", "Description": "Linux UNIL",
                                        "EngineProps": {"INCLUDE0": "/data"}}
    profile["AccountName"] = "Lab de chimie"
    server.state.set_profile(ACCOUNT, profile)
    untouched = server.state.get_profile(ACCOUNT)

    figures = []
    for round_number, expect_writes in ((1, 80), (1, 0), (2, 80)):
        log_start = len(server.log)
        started = time.time()
        rc, out = playbook(server, tmp_path, "comet_parallel.yml", "parallel.yml", {"comet_round": round_number}, "--forks", "20")
        elapsed = time.time() - started
        assert rc == 0, out
        entries = server.log[log_start:]
        log_writes = sum(1 for e in entries if e["endpoint"] == WRITE)
        log_reads = sum(1 for e in entries if e["endpoint"] != WRITE)
        api = per_host_api(out)
        assert sorted(api) == hosts, out
        print("round %d: %.1f s, stand-in log: %d reads, %d writes (%s)" % (
            round_number, elapsed, log_reads, log_writes,
            ", ".join("%s=%d" % (k, v) for k, v in sorted(count_endpoints(entries).items()))))
        for host in hosts:
            print("  %s: %d reads, %d writes (%d profile writes)" % (host, api[host][0], api[host][1], api[host][2]))
        figures.append((round_number, elapsed, log_reads, log_writes))
        # every write the modules report is one accepted write on the server, and the reverse
        assert sum(pw for r, w, pw in api.values()) == log_writes
        assert all(e["status"] == 200 for e in entries if e["endpoint"] == WRITE), "a write was rejected (conflict)"
        assert log_writes == expect_writes, "round %d: %d writes, expected %d" % (round_number, log_writes, expect_writes)
        changed = recap(out)
        assert all(changed[h]["changed"] == (4 if expect_writes else 0) for h in hosts), out

        profile = server.state.get_profile(ACCOUNT)
        for index, host in enumerate(hosts, start=1):
            device_id = "dev-" + host
            assert profile["Devices"][device_id]["FriendlyName"] == "%s-r%d" % (host, round_number)
            items = [(k, v) for k, v in profile["Sources"].items() if v.get("OwnerDevice") == device_id]
            assert len(items) == 1, items
            item_id, item = items[0]
            props = item["EngineProps"]
            assert sorted(v for k, v in props.items() if k.startswith("INCLUDE")) == ["/home", "/srv/%s/r%d" % (host, round_number)]
            assert [v for k, v in props.items() if k.startswith("EXCLUDE")] == ["/home/*/%s-r%d" % (host, round_number)]
            rules = [v for v in profile["BackupRules"].values() if v.get("Source") == item_id]
            assert len(rules) == 1
            assert essential(rules[0]["Schedules"]) == [{"FrequencyType": 8011, "SecondsPast": index * 3600 + round_number * 60,
                                                         "Offset": 0, "RandomDelaySecs": 0}]
        assert profile["Sources"]["other-item"] == untouched["Sources"]["other-item"]
        assert profile["Devices"]["dev-other"] == untouched["Devices"]["dev-other"]
        for key in untouched:
            if key not in ("Sources", "BackupRules", "Devices"):
                assert profile[key] == untouched[key], key
    print("summary (round, seconds, reads, writes): %s" % figures)


def count_endpoints(entries):
    out = {}
    for entry in entries:
        out[entry["endpoint"]] = out.get(entry["endpoint"], 0) + 1
    return out


# --- comet_device_settings: one call per host, one profile read and at most one write -------------------------------

READ = "get-user-profile-and-hash"


def settings_api(output):
    """{host: (profile reads, profile writes, reads, writes, conflicts)} as comet_device_settings counted them."""
    return dict((m.group(1), tuple(int(m.group(i)) for i in range(2, 7)))
                for m in re.finditer(r"COMET_SETTINGS_API (\S+) (\d+) (\d+) (\d+) (\d+) (\d+)", output))


def log_figures(entries):
    """(profile reads, profile writes accepted, profile writes refused, other endpoints) of stand-in log entries."""
    return (sum(1 for e in entries if e["endpoint"] == READ),
            sum(1 for e in entries if e["endpoint"] == WRITE and e["status"] == 200),
            sum(1 for e in entries if e["endpoint"] == WRITE and e["status"] != 200),
            count_endpoints(e for e in entries if e["endpoint"] not in (READ, WRITE)))


def test_settings_one_read_one_write_per_device(server, tmp_path):
    server.state.add_device(ACCOUNT, "dev-lab-pc-01", "debian-12", platform=LINUX, client_version="24.6.0", online=True)
    stored, stored_hash = server.state.get_profile(ACCOUNT), server.state.profile_hash(ACCOUNT)
    figures = {}

    def run(label, extra, *options):
        start = len(server.log)
        rc, out = playbook(server, tmp_path, "comet_device_settings.yml", "single.yml", extra, *options)
        assert rc == 0, out
        figures[label] = log_figures(server.log[start:])
        print("%s: profile reads %d, profile writes %d (refused %d), other calls %s; the module counted %s" % (
            (label,) + figures[label] + (settings_api(out)["lab-pc-01"],)))
        return out

    # check mode on a brand-new device: the item exists only in the plan, the schedule and exclusions go to it
    out = run("check mode, new device", SINGLE, "--check", "--diff")
    assert recap(out)["lab-pc-01"]["changed"] == 1, out
    assert figures["check mode, new device"][:3] == (1, 0, 0)
    assert server.state.get_profile(ACCOUNT) == stored and server.state.profile_hash(ACCOUNT) == stored_hash
    assert "/srv/data" in out and '"at": "12:30"' in out, out

    out = run("first apply", SINGLE)
    assert recap(out)["lab-pc-01"]["changed"] == 1, out
    assert figures["first apply"] == (1, 1, 0, {"dispatcher/list-active": 1, "dispatcher/refetch-profile": 1})
    assert settings_api(out)["lab-pc-01"] == (1, 1, 2, 2, 0)
    profile = server.state.get_profile(ACCOUNT)
    assert profile["Devices"]["dev-lab-pc-01"]["FriendlyName"] == "lab-pc-01"
    [(item_id, item)] = [(k, v) for k, v in profile["Sources"].items() if v.get("OwnerDevice") == "dev-lab-pc-01"]
    assert sorted(v for k, v in item["EngineProps"].items() if k.startswith("INCLUDE")) == ["/home", "/srv/data"]
    assert [v for k, v in item["EngineProps"].items() if k.startswith("EXCLUDE")] == ["/home/*/.cache"]
    [rule] = [v for v in profile["BackupRules"].values() if v.get("Source") == item_id]
    assert [s["SecondsPast"] for s in rule["Schedules"]] == [45000, 165600, 424800]
    assert rule["EventTriggers"] == {"OnPCBootIfLastJobMissed": True}

    out = run("no-op", SINGLE)
    assert recap(out)["lab-pc-01"]["changed"] == 0, out
    assert figures["no-op"] == (1, 0, 0, {})
    assert settings_api(out)["lab-pc-01"] == (1, 0, 1, 0, 0)

    out = run("one change", dict(SINGLE, comet_folders=["/home", "/opt/lab"]), "--diff")
    assert recap(out)["lab-pc-01"]["changed"] == 1, out
    assert figures["one change"][:3] == (1, 1, 0)
    diff_lines = [line.strip() for line in out.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert any("/srv/data" in line for line in diff_lines if line.startswith("-")), out
    assert any("/opt/lab" in line for line in diff_lines if line.startswith("+")), out
    assert not any("/home" in line or "lab-pc-01" in line for line in diff_lines), "unchanged settings must not be in the diff:\n" + out
    print("summary (profile reads, profile writes, refused writes, other calls): %s" % figures)


def test_settings_parallel_twenty_devices_one_account(server, tmp_path):
    hosts = ["par-%02d" % i for i in range(1, 21)]
    for i, host in enumerate(hosts):
        server.state.add_device(ACCOUNT, "dev-" + host, "host-%d" % i, platform=LINUX, client_version="24.6.0", online=i % 2 == 0)
    server.state.add_device(ACCOUNT, "dev-other", "other", platform=LINUX, client_version="24.6.0", online=False)
    profile = server.state.get_profile(ACCOUNT)
    profile["Sources"]["other-item"] = {"Engine": "engine1/file", "OwnerDevice": "dev-other", "Description": "Linux UNIL",
                                        "EngineProps": {"INCLUDE0": "/data"}, "ZZFutureSourceField": 1}
    profile["AccountName"] = "Lab de chimie"
    profile["ZZFutureProfileField"] = {"kept": True}
    server.state.set_profile(ACCOUNT, profile)
    untouched = server.state.get_profile(ACCOUNT)

    figures = []
    for round_number, expect_writes in ((1, 20), (1, 0), (2, 20)):
        start = len(server.log)
        started = time.time()
        rc, out = playbook(server, tmp_path, "comet_device_settings.yml", "parallel.yml", {"comet_round": round_number}, "--forks", "20")
        elapsed = time.time() - started
        assert rc == 0, out
        reads, writes, refused, others = log_figures(server.log[start:])
        api = settings_api(out)
        assert sorted(api) == hosts, out
        print("round %d: %.1f s, stand-in log: %d profile reads, %d profile writes, %d refused, %s" % (
            round_number, elapsed, reads, writes, refused, others))
        figures.append((round_number, elapsed, reads, writes))
        # one read and at most one write per host: the per-account lock leaves no room for a conflict
        assert (reads, writes, refused) == (20, expect_writes, 0)
        assert all(api[h][:2] == (1, 1 if expect_writes else 0) and api[h][4] == 0 for h in hosts), api
        assert sum(a[1] for a in api.values()) == writes
        changed = recap(out)
        assert all(changed[h]["changed"] == (1 if expect_writes else 0) for h in hosts), out

        profile = server.state.get_profile(ACCOUNT)
        for index, host in enumerate(hosts, start=1):
            device_id = "dev-" + host
            assert profile["Devices"][device_id]["FriendlyName"] == "%s-r%d" % (host, round_number)
            items = [(k, v) for k, v in profile["Sources"].items() if v.get("OwnerDevice") == device_id]
            assert len(items) == 1, items
            item_id, item = items[0]
            props = item["EngineProps"]
            assert sorted(v for k, v in props.items() if k.startswith("INCLUDE")) == ["/home", "/srv/%s/r%d" % (host, round_number)]
            assert [v for k, v in props.items() if k.startswith("EXCLUDE")] == ["/home/*/%s-r%d" % (host, round_number)]
            rules = [v for v in profile["BackupRules"].values() if v.get("Source") == item_id]
            assert len(rules) == 1
            assert essential(rules[0]["Schedules"]) == [{"FrequencyType": 8011, "SecondsPast": index * 3600 + round_number * 60,
                                                         "Offset": 0, "RandomDelaySecs": 0}]
        assert profile["Sources"]["other-item"] == untouched["Sources"]["other-item"]
        assert profile["Devices"]["dev-other"] == untouched["Devices"]["dev-other"]
        for key in untouched:
            if key not in ("Sources", "BackupRules", "Devices"):
                assert profile[key] == untouched[key], key
    print("summary (round, seconds, profile reads, profile writes): %s" % figures)


class _RefusingProxy(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that records the requests it is sent and refuses them (403: no retry)."""
    seen = []

    def do_POST(self):  # pylint: disable=invalid-name
        self.seen.append(self.path)
        body = json.dumps({"Status": 403, "Message": "refused by the test proxy"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


def test_settings_task_environment_reaches_the_module(server, tmp_path):
    """A task's environment (here a proxy to the Comet Server) is the module's: comet_device_settings, which runs in
    the controller's worker when delegated to localhost, runs as a module when the task has one."""
    server.state.add_device(ACCOUNT, "dev-lab-pc-01", "debian-12", platform=LINUX, client_version="24.6.0", online=True)
    proxy = http.server.HTTPServer(("127.0.0.1", 0), _RefusingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        through_proxy = dict(SINGLE, comet_settings_environment={
            "http_proxy": "http://127.0.0.1:%d" % proxy.server_address[1], "no_proxy": "", "NO_PROXY": ""})
        start = len(server.log)
        rc, out = playbook(server, tmp_path, "comet_device_settings.yml", "single.yml", through_proxy)
        assert rc != 0 and "refused by the test proxy" in out, out
        assert _RefusingProxy.seen and all(path.startswith(server.url) for path in _RefusingProxy.seen), _RefusingProxy.seen
        assert len(server.log) == start, "the request went around the proxy"
    finally:
        proxy.shutdown()
        proxy.server_close()
    # without one, the same task reaches the server directly
    rc, out = playbook(server, tmp_path, "comet_device_settings.yml", "single.yml", SINGLE)
    assert rc == 0 and recap(out)["lab-pc-01"]["changed"] == 1, out


def role_results(output):
    return dict((m.group(1), yaml.safe_load(m.group(2).replace('\\"', '"')))
                for m in re.finditer(r'COMET_CONFIG_RESULT (\S+) (\{.*\})"', output))


def test_role_one_settings_call_per_host(server, tmp_path):
    hosts = ["par-%02d" % i for i in range(1, 5)]
    for host in hosts:
        server.state.add_device(ACCOUNT, "dev-" + host, host, platform=LINUX, client_version="24.6.0", online=host == "par-01")
    stored_hash = server.state.profile_hash(ACCOUNT)
    limit = ("--limit", ",".join(hosts), "--forks", "4")

    # check mode on brand-new devices: nothing written, and the role reports the item it would create
    start = len(server.log)
    rc, out = playbook(server, tmp_path, "comet_config_role.yml", "parallel.yml", {"comet_round": 1}, "--check", *limit)
    assert rc == 0, out
    assert log_figures(server.log[start:])[:3] == (4, 0, 0) and server.state.profile_hash(ACCOUNT) == stored_hash
    results = role_results(out)
    assert sorted(results) == hosts, out
    for host in hosts:
        result = results[host]
        assert result["changed"] is True and result["item_name"] == "Linux UNIL" and result["item_id"], result
        assert result["folders"] == ["/home", "/srv/%s/r1" % host] and result["exclusions"] == 1 and result["schedules"] == 1
    assert "(changed)" in out

    for label, round_number, expect_writes in (("first apply", 1, 4), ("no-op", 1, 0), ("one change", 2, 4)):
        start = len(server.log)
        rc, out = playbook(server, tmp_path, "comet_config_role.yml", "parallel.yml",
                           {"comet_round": round_number, "comet_enforce": ["folders", "schedule", "exclusions"]}, *limit)
        assert rc == 0, out
        figures = log_figures(server.log[start:])
        print("role, %s: profile reads %d, profile writes %d (refused %d), other calls %s" % ((label,) + figures))
        assert figures[:3] == (4, expect_writes, 0), figures
        results = role_results(out)
        for host in hosts:
            assert recap(out)[host]["changed"] == (1 if expect_writes else 0), out
            result = results[host]
            assert result["changed"] is bool(expect_writes)
            assert result["device_name"] == "%s-r%d" % (host, round_number)
            assert result["folders"] == ["/home", "/srv/%s/r%d" % (host, round_number)]
        assert ("already as wanted" in out) is (not expect_writes)
    profile = server.state.get_profile(ACCOUNT)
    for host in hosts:
        assert profile["Devices"]["dev-" + host]["FriendlyName"] == host + "-r2"
        [(item_id, item)] = [(k, v) for k, v in profile["Sources"].items() if v.get("OwnerDevice") == "dev-" + host]
        assert [v for k, v in item["EngineProps"].items() if k.startswith("EXCLUDE")] == ["/home/*/%s-r2" % host]
        [rule] = [v for v in profile["BackupRules"].values() if v.get("Source") == item_id]
        assert essential(rule["Schedules"]) == [{"FrequencyType": 8011, "SecondsPast": 43200, "Offset": 0, "RandomDelaySecs": 1800}]
        assert rule["EventTriggers"] == {"OnPCBootIfLastJobMissed": True}


def test_role_keeps_what_the_person_changed(server, tmp_path):
    """The service's guide tells each person they may add or remove folders, choose when backups run and re-enable
    the folders excluded by default. The role writes its defaults when the device's item is created, then leaves the
    person's own folders, schedule and exclusions alone (and says so); comet_config_enforce restores them."""
    host = "par-01"
    server.state.add_device(ACCOUNT, "dev-" + host, host, platform=LINUX, client_version="24.6.0")
    limit = ("--limit", host)
    everything = ["folders", "schedule", "exclusions"]

    def run(extra, *options):
        start = len(server.log)
        rc, out = playbook(server, tmp_path, "comet_config_role.yml", "parallel.yml", dict({"comet_round": 1}, **extra),
                           *(limit + options))
        assert rc == 0, out
        return out, log_figures(server.log[start:]), role_results(out)[host]

    def item_and_rule():
        profile = server.state.get_profile(ACCOUNT)
        [(item_id, item)] = [(k, v) for k, v in profile["Sources"].items() if v.get("OwnerDevice") == "dev-" + host]
        [rule] = [v for v in profile["BackupRules"].values() if v.get("Source") == item_id]
        return item, rule

    out, figures, result = run({})
    assert figures[:2] == (1, 1) and result["changed"] is True and result["kept"] == {}, out

    def person_edits(profile):
        """What the person does in the client, stored as its save stores it: a folder added, the site's exclusion
        removed, the backup moved to 20:00."""
        [item] = [v for v in profile["Sources"].values() if v.get("OwnerDevice") == "dev-" + host]
        item["EngineProps"]["INCLUDE9"] = "/srv/mine"
        for key in [k for k in item["EngineProps"] if k.startswith("EXCLUDE")]:
            del item["EngineProps"][key]
        for rule in profile["BackupRules"].values():
            rule["Schedules"][0]["SecondsPast"] = 20 * 3600

    server.state.change_profile(ACCOUNT, person_edits)
    edited = server.state.get_profile(ACCOUNT)

    out, figures, result = run({})
    assert figures[:2] == (1, 0), out
    assert server.state.get_profile(ACCOUNT) == edited
    assert result["changed"] is False and sorted(result["kept"]) == sorted(everything), result
    assert result["kept"]["folders"] == {"stored": ["/home", "/srv/mine", "/srv/%s/r1" % host],
                                         "wanted": ["/home", "/srv/%s/r1" % host]}
    assert "the person's own folders, schedule, exclusions left as they set them" in out, out

    # what enforcing would override, without writing
    out, figures, result = run({"comet_enforce": everything}, "--check", "--diff")
    assert figures[:2] == (1, 0) and server.state.get_profile(ACCOUNT) == edited
    assert result["changed"] is True and result["kept"] == {}
    assert re.search(r"^-\s+\"/srv/mine\"", out, re.M) and re.search(r"^-\s+\"SecondsPast\": 72000|^-\s+\"at\": \"20:00\"",
                                                                     out, re.M), out

    out, figures, result = run({"comet_enforce": everything})
    assert figures[:2] == (1, 1) and result["changed"] is True, out
    item, rule = item_and_rule()
    assert sorted(v for k, v in item["EngineProps"].items() if k.startswith("INCLUDE")) == ["/home", "/srv/%s/r1" % host]
    assert [v for k, v in item["EngineProps"].items() if k.startswith("EXCLUDE")] == ["/home/*/%s-r1" % host]
    assert rule["Schedules"][0]["SecondsPast"] == 12 * 3600
