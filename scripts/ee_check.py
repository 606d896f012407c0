# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make ee-check: the collection installed and run the way AWX runs it, with its declared dependencies only.

    python scripts/ee_check.py [--work DIR] [--venv-root DIR] [--galaxy]

1. bindep.txt: the system packages a build of requirements-ee.txt needs (profile compile) are installed (bindep -b);
2. a clean virtualenv with requirements-ee.txt plus ansible-core and ansible-runner as execution-environment.yml pins
   them, nothing else (kept under --venv-root, named after those requirements: re-used while they do not change);
3. `ansible-galaxy collection build`, then the tarball installed into an empty collections path WITH the collections
   galaxy.yml declares: from Galaxy with --galaxy, else offline from the copies in the tool virtualenv's
   ansible_collections (only the declared ones and their own dependencies: an undeclared one is not there);
4. the Python the collection needs on the controller, from the clean virtualenv: the Windows connection plugin
   (ansible.builtin.winrm with pywinrm and Kerberos) and the CrashPlan client (pycpg, module crashplan_device);
5. through `ansible-runner run` (private data directory, inventory, env/envvars, env/extravars, artifacts), with the
   clean virtualenv's ansible-core and only that collections path: `--syntax-check` of every playbook of the installed
   collection and of a play importing each task file of its roles (a module of an undeclared collection does not
   resolve), then playbooks/report.yml for real against the Comet Server stand-in (tests/comet_server).
   The demo's podman fleet is not started (minutes): site.yml is syntax-checked, report.yml really runs.
Exit status 1 and the failing step's output when a step fails. The runner's artifacts stay in <work>/runner.
"""
from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ADMIN, ADMIN_PASSWORD = "ee-check-admin", "ee-check-Adm1n-not-a-secret"
FIXTURE = os.path.join(ROOT, "tests", "integration", "fixtures", "fleet_report.json")
# What the clean virtualenv must give the collection on the controller: (what, Python run there, how to fix it).
PROBES = (
    ("the Windows connection plugin (ansible.builtin.winrm)",
     "from ansible.plugins.connection import winrm as w\n"
     "assert w.HAS_WINRM, 'pywinrm does not import: %s' % w.WINRM_IMPORT_ERR\n"
     "assert w.HAVE_KERBEROS, 'no Kerberos support for pywinrm'",
     "declare pywinrm[kerberos] in requirements-ee.txt"),
    ("the CrashPlan client of unil.backup.crashplan_device (pycpg)",
     "import pycpg.sdk", "declare pycpg in requirements-ee.txt"),
)


class CheckFailed(Exception):
    """A step failed: its message (and output) is what the user reads."""


def say(text):
    print("[ee-check] %s" % text, flush=True)


def run(cmd, what, **kwargs):
    """Run cmd (a list); on failure raise CheckFailed with its output."""
    started = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        raise CheckFailed("%s failed (rc %d):\n%s" % (what, proc.returncode, proc.stdout[-6000:]))
    say("%s: ok (%.1f s)" % (what, time.time() - started))
    return proc.stdout


def ee_spec():
    with open(os.path.join(ROOT, "execution-environment.yml"), encoding="utf-8") as handle:
        deps = yaml.safe_load(handle)["dependencies"]
    return deps["ansible_core"]["package_pip"], deps["ansible_runner"]["package_pip"], deps.get("system")


def check_system_packages(bindep_file):
    bindep = os.path.join(os.path.dirname(sys.executable), "bindep")
    if not os.path.exists(os.path.join(ROOT, bindep_file)):
        raise CheckFailed("execution-environment.yml names %s as its system packages: the file is missing" % bindep_file)
    if not os.access(bindep, os.X_OK):
        say("bindep is not installed beside this Python (requirements-dev.txt: ansible-builder): system packages not checked")
        return
    proc = subprocess.run([bindep, "-b", "-f", bindep_file, "compile"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if proc.returncode != 0:
        raise CheckFailed("system packages of %s missing on this machine (install them, e.g. apt-get install): %s"
                          % (bindep_file, " ".join(proc.stdout.split())))
    say("system packages of %s (bindep, profile compile): present" % bindep_file)


def clean_venv(venv_root, requirements):
    """The clean virtualenv for these requirements (a list of pip arguments), created when missing."""
    with open(os.path.join(ROOT, "requirements-ee.txt"), encoding="utf-8") as handle:
        wanted = handle.read() + "\n".join(requirements) + "\n" + sys.version
    key = hashlib.sha256(wanted.encode()).hexdigest()[:16]
    venv = os.path.join(venv_root, key)
    stamp = os.path.join(venv, ".ee-check-complete")
    os.makedirs(venv_root, exist_ok=True)
    # two checks at once (make ee-check beside the tests) create one virtualenv, one after the other
    with open(venv + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(stamp):
            say("clean virtualenv %s: present" % os.path.relpath(venv, ROOT))
            return venv
        return _create_venv(venv, requirements, stamp, wanted)


def _create_venv(venv, requirements, stamp, wanted):
    """python3 -m venv, then pip install of the requirements; the stamp written last (a broken run is redone)."""
    shutil.rmtree(venv, ignore_errors=True)
    python = shutil.which("python3") or sys.executable
    run([python, "-m", "venv", venv], "python3 -m venv (clean virtualenv)")
    run([os.path.join(venv, "bin", "pip"), "install", "-q", "--disable-pip-version-check", "-r",
         os.path.join(ROOT, "requirements-ee.txt")] + requirements,
        "pip install -r requirements-ee.txt %s (clean virtualenv)" % " ".join(requirements))
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return venv


def declared_collections():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle).get("dependencies") or {})


def copy_declared(collections, source):
    """Copy the declared collections (and theirs, from their MANIFEST.json) from ``source`` into ``collections``."""
    todo, done = list(declared_collections()), set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        namespace, coll = name.split(".", 1)
        src = os.path.join(source, namespace, coll)
        if not os.path.isdir(src):
            raise CheckFailed("galaxy.yml declares %s: not found in %s (use --galaxy)" % (name, source))
        shutil.copytree(src, os.path.join(collections, "ansible_collections", namespace, coll), symlinks=True)
        with open(os.path.join(src, "MANIFEST.json"), encoding="utf-8") as handle:
            todo.extend(json.load(handle)["collection_info"].get("dependencies") or {})
    return sorted(done)


def install_collection(venv, work, env, galaxy):
    galaxy_bin = os.path.join(venv, "bin", "ansible-galaxy")
    dist, collections = os.path.join(work, "dist"), os.path.join(work, "collections")
    for path in (dist, collections):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    run([galaxy_bin, "collection", "build", "--output-path", dist, ROOT], "ansible-galaxy collection build", env=env)
    tarball = glob.glob(os.path.join(dist, "unil-backup-*.tar.gz"))[0]
    install = [galaxy_bin, "collection", "install", "-p", collections, tarball]
    if not galaxy:
        source = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections")
        copied = copy_declared(collections, source)
        say("declared collections copied from %s: %s" % (source, ", ".join(copied) or "none"))
        install.append("--offline")
    # without --no-deps: galaxy checks that what galaxy.yml declares is there (or fetches it with --galaxy)
    run(install, "ansible-galaxy collection install %s%s" % (os.path.basename(tarball), "" if galaxy else " --offline"), env=env)
    return collections


def probe_python(venv, env):
    python = os.path.join(venv, "bin", "python")
    for what, code, fix in PROBES:
        proc = subprocess.run([python, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        if proc.returncode != 0:
            raise CheckFailed("%s cannot load in the clean virtualenv (%s): %s" % (what, fix, proc.stdout.strip().splitlines()[-1]))
        say("%s: loads" % what)


class Runner:
    """ansible-runner run with one private data directory (env/envvars, env/extravars, project, inventory)."""

    def __init__(self, venv, work, env, collections):
        self.bin, self.env = os.path.join(venv, "bin", "ansible-runner"), env
        self.pdd = os.path.join(work, "runner")
        self.installed = os.path.join(collections, "ansible_collections", "unil", "backup")
        shutil.rmtree(self.pdd, ignore_errors=True)
        for sub in ("env", "project", "inventory"):
            os.makedirs(os.path.join(self.pdd, sub))
        self.write("env/envvars", {"ANSIBLE_COLLECTIONS_PATH": collections, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",
                                   "ANSIBLE_HOME": os.path.join(work, "ansible-home"), "ANSIBLE_FORCE_COLOR": "0",
                                   "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0"})
        self.write("inventory/hosts.yml", {"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": os.path.join(venv, "bin", "python")}}}})
        # every playbook of the installed collection, and a play importing every task file of its roles (a module of
        # an undeclared collection fails there): one syntax check
        self.write("project/syntax.yml", [{"ansible.builtin.import_playbook": p} for p in self.playbooks()] + [
            {"name": "Every task file of the installed roles", "hosts": "localhost", "gather_facts": False,
             "tasks": self.role_task_imports()}])

    def write(self, relpath, data, mode=0o600):
        path = os.path.join(self.pdd, relpath)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle)

    def role_task_imports(self):
        tasks = []
        for task_file in sorted(glob.glob(os.path.join(self.installed, "roles", "*", "tasks", "*.yml"))):
            role = os.path.basename(os.path.dirname(os.path.dirname(task_file)))
            name = os.path.splitext(os.path.basename(task_file))[0]
            tasks.append({"name": "Import %s/tasks/%s.yml" % (role, name), "ansible.builtin.import_role": {
                "name": "unil.backup." + role, "tasks_from": name}})
        return tasks

    def playbooks(self):
        return ["unil.backup." + os.path.splitext(os.path.basename(p))[0]
                for p in sorted(glob.glob(os.path.join(self.installed, "playbooks", "*.yml")))]

    def __call__(self, ident, playbook, inventory, cmdline=None, extravars=None):
        self.write("env/extravars", extravars or {})
        # the command line options of the run (ansible-runner keeps them in env/cmdline)
        if os.path.exists(os.path.join(self.pdd, "env", "cmdline")):
            os.unlink(os.path.join(self.pdd, "env", "cmdline"))
        cmd = [self.bin, "run", self.pdd, "--ident", ident, "-p", playbook, "--inventory", inventory]
        if cmdline:
            cmd.append("--cmdline=" + cmdline)
        proc = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        rc_file = os.path.join(self.pdd, "artifacts", ident, "rc")
        rc = int(open(rc_file, encoding="utf-8").read().strip()) if os.path.exists(rc_file) else proc.returncode
        if rc != 0 or proc.returncode != 0:
            raise CheckFailed("ansible-runner run -p %s %s failed (rc %d; artifacts: %s):\n%s"
                              % (playbook, cmdline or "", rc, os.path.join(self.pdd, "artifacts", ident), proc.stdout[-6000:]))
        return proc.stdout


def runner_checks(runner, work):
    inventory = os.path.join(runner.pdd, "inventory", "hosts.yml")
    started = time.time()
    runner("syntax", "syntax.yml", os.path.join(ROOT, "inventories", "demo"), "--syntax-check")
    say("ansible-runner run --syntax-check (inventories/demo): %s and every task file of the roles: ok (%.1f s)"
        % (", ".join(runner.playbooks()), time.time() - started))
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from comet_server import CometServerStandIn  # pylint: disable=import-outside-toplevel
    server = CometServerStandIn(admin_users={ADMIN: ADMIN_PASSWORD}, fixture=[FIXTURE], port=0, tls=False).start()
    try:
        started = time.time()
        reports = os.path.join(work, "reports")
        shutil.rmtree(reports, ignore_errors=True)
        out = runner("report", "unil.backup.report", inventory, extravars={
            "fleet_report_server_url": server.url, "fleet_report_admin_username": ADMIN,
            "fleet_report_admin_password": ADMIN_PASSWORD, "fleet_report_dir": reports})
    finally:
        server.stop()
    if ADMIN_PASSWORD in out:
        raise CheckFailed("the report play printed the administrator's password")
    files = sorted(os.listdir(reports)) if os.path.isdir(reports) else []
    if not any(f.endswith(".json") for f in files):
        raise CheckFailed("the report play wrote no report in %s:\n%s" % (reports, out[-3000:]))
    say("ansible-runner run -p unil.backup.report against the Comet Server stand-in: ok, %d report files (%.1f s)"
        % (len(files), time.time() - started))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "ee-check"), help="working directory (emptied)")
    parser.add_argument("--venv-root", default=None, help="where the clean virtualenvs are kept (default: <work>/venvs)")
    parser.add_argument("--galaxy", action="store_true", help="install the declared collections from Galaxy")
    args = parser.parse_args(argv)
    work = os.path.abspath(args.work)
    started = time.time()
    try:
        core, runner_pin, system = ee_spec()
        if system:
            check_system_packages(system if isinstance(system, str) else "bindep.txt")
        venv = clean_venv(os.path.abspath(args.venv_root or os.path.join(work, "venvs")), [core, runner_pin])
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV")))
        env.update(PATH=os.path.join(venv, "bin") + os.pathsep + env.get("PATH", ""), ANSIBLE_HOME=os.path.join(work, "ansible-home"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False")
        collections = install_collection(venv, work, env, args.galaxy)
        probe_python(venv, env)
        runner_checks(Runner(venv, work, env, collections), work)
    except CheckFailed as failure:
        print("[ee-check] FAILED: %s" % failure, file=sys.stderr)
        return 1
    say("passed in %.0f s" % (time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
