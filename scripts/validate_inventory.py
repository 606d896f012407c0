# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a site's inventory completely before it reaches a machine: make validate-inventory [INVENTORY=path].

    python scripts/validate_inventory.py [--json] [INVENTORY ...]     (default: every directory under inventories/)

The inventory is loaded as Ansible loads it (InventoryManager + VariableManager, group precedence), with NO vault
secret: a whole vault file or an inline !vault value is never decrypted, only counted as "a secret is there". Then:
  - every variable of the collection's namespace (comet_*, crashplan_*, fleet_report_*, unil_*) must be an option of
    a role (roles/*/meta/argument_specs.yml) or a variable the playbooks read; else the closest known name is given;
  - values go through the collection's own code: the roles' argument_specs (ArgumentSpecValidator, as
    validate_argument_spec), then the checks the roles comet_config, comet_system_exclusions and fleet_report run in
    their preflight (_role_checks: schedules, folders and globs for the host's OS, regexes, names, server URLs, the
    report's options - the modules' rules), comet_client's names (_comet_model.check_name) and the other server URLs
    (_comet_url, the one URL rule); a value that is a Jinja template is left to the run;
  - per host: exactly one dept_* group (when the inventory has any), at most one OS group (linux, windows, macos),
    one account (comet_config_account / comet_client_username), a device name unique in its account;
  - secrets only in vault: a variable whose name says password, token or secret, in any file of the inventory (and
    every value of a clear-text file named *vault* or *secret*), must be vault-encrypted, a template ("{{ vault_x }}")
    or a CHANGE-ME placeholder. Its value is never printed.
Every error names the file (where known), the host or group and the variable; exit status 1 when there is any.
"""
from __future__ import annotations

import argparse
import difflib
import glob
import json
import os
import re
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NAMESPACE = re.compile(r"^(comet|crashplan|fleet_report|unil)_")
SECRET_NAME = re.compile(r"password|passwd|token|secret", re.I)
SECRET_FILE = re.compile(r"vault|secret", re.I)
OS_GROUPS = ("windows", "macos", "linux")
# Variables of the namespace that no role declares but the playbooks or the demo read (documented in their headers).
INTERNAL = {"unil_backup_hosts", "unil_backup_remove_crashplan", "comet_client_hosts", "crashplan_removal_hosts",
            "fleet_report_hosts"}
INTERNAL_PREFIXES = ("unil_demo_",)  # inventories/demo/group_vars/all.yml
VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")


def _collection_importable():
    """Make `ansible_collections.unil.backup` this checkout (a link in a temporary collections path)."""
    top = tempfile.mkdtemp(prefix="unil-validate-")
    os.makedirs(os.path.join(top, "ansible_collections", "unil"))
    os.symlink(ROOT, os.path.join(top, "ansible_collections", "unil", "backup"))
    from ansible.plugins.loader import init_plugin_loader
    init_plugin_loader([top])
    return top


# --------------------------------------------------------------------------------------------- reading the files

class VaultValue(object):
    """An inline !vault value, as read by the file scan (never decrypted)."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!vault", lambda loader, node: VaultValue())
_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def is_vault_text(text):
    return text.lstrip().startswith("$ANSIBLE_VAULT;")


def is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def has_template(value):
    if isinstance(value, dict):
        return any(has_template(k) or has_template(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_template(v) for v in value)
    return is_template(value)


def is_vaulted(value):
    if isinstance(value, VaultValue):
        return True
    try:
        from ansible.parsing.vault import EncryptedString
        if isinstance(value, EncryptedString):
            return True
    except ImportError:  # pragma: no cover - ansible-core < 2.19
        pass
    return type(value).__name__ in ("AnsibleVaultEncryptedUnicode", "EncryptedString")


def has_vaulted(value):
    if isinstance(value, dict):
        return any(has_vaulted(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_vaulted(v) for v in value)
    return is_vaulted(value)


def plain(value):
    """Native Python values (Ansible 2.19 tags what it loads)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dict):
        return dict((plain(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str.__str__(value) if type(value) is not str else value  # pylint: disable=unidiomatic-typecheck
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def secret_ok(value):
    """A value a secret-named variable may hold in a clear-text file (the value itself is never shown)."""
    if value is None or isinstance(value, bool) or value == "" or is_vaulted(value) or is_template(value):
        return True
    if isinstance(value, str):
        return value.startswith("CHANGE-ME")
    if isinstance(value, dict):
        return all(secret_ok(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(secret_ok(v) for v in value)
    return False


class Definition(object):
    """One variable as written in one file: which file, which group or host, its name and value."""

    def __init__(self, file, entity, name, value):
        self.file, self.entity, self.name, self.value = file, entity, name, value


def _vars_entity(rel):
    """('group', g) / ('host', h) for a group_vars or host_vars file (relative path), else None."""
    parts = rel.split(os.sep)
    if len(parts) >= 2 and parts[0] in ("group_vars", "host_vars"):
        kind = "group" if parts[0] == "group_vars" else "host"
        if len(parts) == 2:
            name, ext = os.path.splitext(parts[1])
            if ext not in VARS_EXTENSIONS:
                name = parts[1]
            return kind, name
        return kind, parts[1]
    return None


def _inventory_definitions(rel, data, out):
    """Definitions from a YAML inventory (all: {hosts, vars, children})."""
    def group(name, body):
        if not isinstance(body, dict):
            return
        for var, value in (body.get("vars") or {}).items():
            out.append(Definition(rel, ("group", name), str(var), value))
        for host, hvars in (body.get("hosts") or {}).items():
            for var, value in (hvars or {}).items() if isinstance(hvars, dict) else ():
                out.append(Definition(rel, ("host", str(host)), str(var), value))
        for child, cbody in (body.get("children") or {}).items():
            group(str(child), cbody)
    for name, body in data.items():
        group(str(name), body)


def scan_files(inventory):
    """Read every file of the inventory: (definitions, vault files, errors). Vault files are not opened further."""
    definitions, vault_files, errors, others = [], [], [], []
    for path in sorted(glob.glob(os.path.join(inventory, "**", "*"), recursive=True)):
        if not os.path.isfile(path) or any(p.startswith(".") for p in os.path.relpath(path, inventory).split(os.sep)):
            continue
        rel = os.path.relpath(path, inventory)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            continue
        if is_vault_text(text):
            vault_files.append(rel)
            continue
        entity = _vars_entity(rel)
        if entity is None and os.path.splitext(rel)[1] not in (".yml", ".yaml", ".json"):
            continue
        try:
            data = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            errors.append(Error(rel, None, None, "not valid YAML%s" % (" (line %d)" % (mark.line + 1) if mark else "")))
            continue
        if entity is not None:
            if data is not None and not isinstance(data, dict):
                errors.append(Error(rel, "%s %s" % entity, None, "a vars file must be a mapping of variables"))
                continue
            for var, value in (data or {}).items():
                definitions.append(Definition(rel, entity, str(var), value))
        elif isinstance(data, dict) and isinstance(data.get("all", data.get(next(iter(data), None))), dict):
            _inventory_definitions(rel, data, definitions)
        elif data is not None:
            others.append((rel, data))
    return definitions, vault_files, errors, others


# --------------------------------------------------------------------------------------------- the rules' sources

def role_specs():
    """{variable: (role, option spec)} of every role's entry points."""
    specs = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        role = os.path.basename(os.path.dirname(os.path.dirname(path)))
        with open(path) as f:
            data = yaml.safe_load(f) or {}
        for entry in (data.get("argument_specs") or {}).values():
            for name, spec in ((entry or {}).get("options") or {}).items():
                specs.setdefault(name, (role, spec))
    return specs


def role_defaults(role):
    """The literal values of a role's defaults/main.yml (a templated default is left to the run)."""
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return dict((k, v) for k, v in data.items() if not has_template(v))


def playbook_variables():
    """Namespace variables the playbooks read with a default (e.g. unil_backup_hosts)."""
    found = set()
    for path in glob.glob(os.path.join(ROOT, "playbooks", "*.yml")):
        with open(path) as f:
            found.update(re.findall(r"\b((?:comet|crashplan|fleet_report|unil)_[a-z0-9_]+)\s*\|\s*default\b", f.read()))
    return found


class Error(object):
    def __init__(self, file, where, var, message, hosts=()):
        self.file, self.where, self.var, self.message, self.hosts = file, where, var, message, list(hosts)

    def key(self):
        return (self.file or "", self.where or "", self.var or "", self.message)

    def text(self, inventory):
        parts = [os.path.join(_shown(inventory), self.file) if self.file else _shown(inventory)]
        where = self.where or ""
        if self.hosts and not (where.startswith("host ") and len(self.hosts) == 1):
            where = (where + " " if where else "") + "(host%s %s)" % ("s" if len(self.hosts) > 1 else "",
                                                                      ", ".join(sorted(self.hosts)))
        if where:
            parts.append(where)
        if self.var:
            parts.append(self.var)
        return "ERROR " + ": ".join(parts + [self.message])

    def as_dict(self):
        return dict(file=self.file, where=self.where, var=self.var, message=self.message, hosts=sorted(self.hosts))


def _shown(path):
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else os.path.abspath(path)


# --------------------------------------------------------------------------------------------- the checks

class Validator(object):
    def __init__(self, inventory):
        self.inventory = os.path.abspath(inventory)
        self.errors = {}
        self.specs = role_specs()
        self.known = set(self.specs) | INTERNAL | playbook_variables()
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
        from ansible_collections.unil.backup.plugins.module_utils import _comet_model, _role_checks
        from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role
        from ansible_collections.unil.backup.plugins.module_utils._comet_url import url_problem
        self.ArgumentSpecValidator = ArgumentSpecValidator
        self.model, self.role_checks, self.url_problem = _comet_model, _role_checks, url_problem
        self.crashplan_role = _crashplan_role
        self.crashplan_defaults = role_defaults("crashplan_removal")

    def add(self, error, host=None):
        existing = self.errors.setdefault(error.key(), error)
        if host and host not in existing.hosts:
            existing.hosts.append(host)

    # ---- names and secrets, file by file (every group and host, with or without hosts)

    def check_definitions(self, definitions, vault_files, others):
        for d in definitions:
            where = "%s %s" % d.entity
            if NAMESPACE.match(d.name) and d.name not in self.known and not d.name.startswith(INTERNAL_PREFIXES):
                close = difflib.get_close_matches(d.name, sorted(self.known), n=1, cutoff=0.6)
                self.add(Error(d.file, where, d.name, "unknown variable of unil.backup (no role reads it)%s"
                               % ("; did you mean %s?" % close[0] if close else "")))
            clear_vault_file = SECRET_FILE.search(os.path.basename(d.file))
            self._secrets(d.file, where, d.name, d.value, force=bool(clear_vault_file))
        for rel, data in others:
            self._secrets(rel, None, None, data, force=bool(SECRET_FILE.search(os.path.basename(rel))))
        self.vault_files = vault_files

    def _secrets(self, file, where, name, value, force=False):
        if name is not None and (force or SECRET_NAME.search(name)):
            if not secret_ok(value):
                self.add(Error(file, where, name, "a secret in clear text (value not shown): encrypt it "
                               "(ansible-vault encrypt_string, or a vault file) or refer to a vault variable"))
            return
        if isinstance(value, dict):
            for key, sub in value.items():
                self._secrets(file, where, "%s.%s" % (name, key) if name else str(key), sub)
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                if isinstance(sub, dict):
                    self._secrets(file, where, "%s[%d]" % (name, index) if name else "[%d]" % index, sub)

    # ---- the inventory as Ansible loads it

    def load(self):
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.vars.manager import VariableManager

        skipped = []

        class NoVaultLoader(DataLoader):
            """No vault secret: a whole vault file reads as {} (its variables are secrets, left alone)."""

            def load_from_file(self, file_name, *args, **kwargs):
                try:
                    with open(file_name, "rb") as f:
                        if f.read(64).lstrip().startswith(b"$ANSIBLE_VAULT;"):
                            skipped.append(file_name)
                            return {}
                except OSError:
                    pass
                return super(NoVaultLoader, self).load_from_file(file_name, *args, **kwargs)

        loader = NoVaultLoader()
        inventory = InventoryManager(loader=loader, sources=[self.inventory])
        return inventory, VariableManager(loader=loader, inventory=inventory)

    def origin(self, value, fallback_host):
        """(file relative to the inventory, 'group g' / 'host h') of a value as Ansible read it, when known."""
        try:
            from ansible._internal._datatag._tags import Origin
            tag = Origin.get_tag(value)
        except Exception:  # pragma: no cover - no origin tags before ansible-core 2.19
            tag = None
        path = getattr(tag, "path", None)
        if not path:
            return None, "host %s" % fallback_host
        rel = os.path.relpath(path, self.inventory)
        if rel.startswith(".."):
            return path, "host %s" % fallback_host
        entity = _vars_entity(rel)
        return rel, ("%s %s" % entity) if entity else "host %s" % fallback_host

    def host_error(self, host, var, value, message):
        file, where = self.origin(value, host)
        self.add(Error(file, where, var, message), host=host)

    def check_hosts(self, inventory, variables):
        groups = inventory.groups
        departments = sorted(g for g in groups if g.startswith("dept_"))
        devices = {}
        hosts = inventory.get_hosts()
        if not hosts:
            self.add(Error(None, None, None, "the inventory has no host"))
        for host in hosts:
            name = host.name
            member = sorted(g.name for g in host.get_groups())
            hv = variables.get_vars(host=host, include_hostvars=False)
            depts = [g for g in member if g.startswith("dept_")]
            if departments and len(depts) != 1:
                self.add(Error(None, "host %s" % name, None,
                               "is in %s department group%s (dept_*): it must be in exactly one%s"
                               % (len(depts) or "no", "s" if len(depts) > 1 else "",
                                  " (%s)" % ", ".join(depts) if depts else "")), host=name)
            oses = [o for o in OS_GROUPS if o in member]
            if len(oses) > 1:
                self.add(Error(None, "host %s" % name, None, "is in the groups %s: a host runs one OS"
                               % " and ".join(oses)), host=name)
            os_name = oses[0] if oses else None
            self.check_values(name, hv, os_name)
            account = self.account(name, hv)
            device = self.device_name(name, host, hv)
            if account and device:
                devices.setdefault((account, device[1]), []).append((name, device))
        for (account, device), owners in sorted(devices.items()):
            if len(owners) > 1:
                names = [o[0] for o in owners]
                for host, (var, _name, value) in owners:
                    others = ", ".join(n for n in names if n != host)
                    if var:
                        file, where = self.origin(value, host)
                    else:
                        file, where = None, "host %s" % host
                    self.add(Error(file, where, var, "device name %r%s is also that of %s in account %r: device names "
                                   "must be unique in an account (set comet_config_device_name)"
                                   % (device, "" if var else " (the host's short name)", others, account)), host=host)

    def literal(self, hv, var):
        value = hv.get(var)
        if value is None or is_vaulted(value) or has_template(value):
            return None
        return plain(value)

    def account(self, host, hv):
        accounts = [(v, self.literal(hv, v)) for v in ("comet_config_account", "comet_client_username")]
        set_ = [(v, a) for v, a in accounts if a not in (None, "")]
        if not set_ and not any(has_template(hv.get(v)) for v, dummy in accounts):
            self.add(Error(None, "host %s" % host, "comet_client_username",
                           "no Comet account: set comet_client_username (or comet_config_account) in the "
                           "department's group_vars"), host=host)
            return None
        if len(set_) == 2 and set_[0][1] != set_[1][1]:
            file, where = self.origin(hv.get("comet_config_account"), host)
            self.add(Error(file, where, "comet_config_account", "is %r but comet_client_username is %r: a host has one "
                           "account" % (set_[0][1], set_[1][1])), host=host)
        return set_[0][1] if set_ else None

    def device_name(self, host, host_obj, hv):
        for var in ("comet_config_device_name", "comet_client_device_name"):
            value = hv.get(var)
            if has_template(value):
                return None
            if value not in (None, ""):
                return var, plain(value), value
        return None, host_obj.name.split(".")[0], None

    def check_values(self, host, hv, os_name):
        """The values of the namespace variables this host gets, through the collection's own validation code."""
        values = dict((var, hv[var]) for var in hv if NAMESPACE.match(var))
        literal = dict((var, plain(v)) for var, v in values.items()
                       if v is not None and not is_vaulted(v) and not has_vaulted(v) and not has_template(v))
        # types and choices: the role's argument_specs, one variable at a time (as validate_argument_spec does)
        bad = set()
        for var, value in sorted(literal.items()):
            if var not in self.specs:
                continue
            spec = self.specs[var][1]
            result = self.ArgumentSpecValidator({var: spec}).validate({var: value})
            for message in result.error_messages:
                if spec.get("no_log") or SECRET_NAME.search(var):
                    message = "is not a valid %s (value not shown)" % spec.get("type", "str")
                self.host_error(host, var, values[var], message)
                bad.add(var)

        def problem(var, exc):
            self.host_error(host, var, values[var], exc.message)

        def ok(var):
            return var in literal and var not in bad

        # the roles' own checks (module_utils/_role_checks: the modules' rules for the URL, folders and globs for the
        # host's OS, regexes, names, schedules, the fleet report's options), on what this inventory sets literally
        for role in self.role_checks.ROLES:
            given = dict((var, literal[var]) for var in literal if var.startswith(role + "_") and ok(var))
            context = {"os_name": os_name} if role == "comet_config" else {}
            for found in self.role_checks.role_problems(role, given, **context):
                message = found["message"]
                if os_name and found["var"] in ("comet_config_folders", "comet_config_exclude_globs"):
                    message += " (the host is in the %s group)" % os_name
                self.host_error(host, found["var"], values.get(found["var"]), message)
        # crashplan_removal: the role's own check (its first task), over the role's literal defaults
        given = dict((var, value) for var, value in literal.items() if var.startswith("crashplan_removal_") and ok(var))
        if given:
            for found in self.crashplan_role.role_problems(dict(self.crashplan_defaults, **given), os_name):
                self.host_error(host, found["var"], values.get(found["var"]), found["message"])
        # names of role comet_client: the modules' rule (comet_device_settings: account, name)
        for var in ("comet_client_username", "comet_client_device_name"):
            if ok(var) and literal[var] != "":
                try:
                    self.model.check_name(literal[var], var)
                except self.model.CometInputError as exc:
                    problem(var, exc)
        # the other server URLs: the one URL rule (_comet_url), the value never shown
        for var in sorted(values):
            if var.endswith("_server_url") and ok(var) and literal[var] != "" \
                    and not var.startswith(tuple(r + "_" for r in self.role_checks.ROLES)):
                message = self.url_problem(literal[var], var)
                if message:
                    self.host_error(host, var, values[var], "%s (its value is not shown: it may hold a password)" % message)

    def run(self):
        definitions, vault_files, errors, others = scan_files(self.inventory)
        for error in errors:
            self.add(error)
        self.check_definitions(definitions, vault_files, others)
        try:
            inventory, variables = self.load()
        except Exception as exc:  # the first line only: a parser's context could show a secret
            self.add(Error(None, None, None, "Ansible cannot load the inventory: %s" % str(exc).splitlines()[0]))
            return [], 0
        self.check_hosts(inventory, variables)
        return sorted(self.errors.values(), key=lambda e: e.key()), len(inventory.get_hosts())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("inventories", nargs="*", help="inventory directories (default: every one under inventories/)")
    parser.add_argument("--json", action="store_true", help="one JSON document: {inventory: [errors]}")
    args = parser.parse_args(argv)
    inventories = args.inventories or sorted(d for d in glob.glob(os.path.join(ROOT, "inventories", "*")) if os.path.isdir(d))
    if not inventories:
        print("no inventory to check", file=sys.stderr)
        return 2
    os.environ.setdefault("ANSIBLE_DEPRECATION_WARNINGS", "False")
    _collection_importable()
    failed, report = False, {}
    for inventory in inventories:
        if not os.path.isdir(inventory):
            print("ERROR %s: not a directory" % inventory)
            failed = True
            continue
        validator = Validator(inventory)
        errors, hosts = validator.run()
        report[_shown(inventory)] = [e.as_dict() for e in errors]
        failed = failed or bool(errors)
        if not args.json:
            for error in errors:
                print(error.text(inventory))
            if errors:
                print("FAILED %s: %d error%s" % (_shown(inventory), len(errors), "" if len(errors) == 1 else "s"))
            else:
                print("OK %s: %d hosts, %d vault-encrypted files" % (_shown(inventory), hosts,
                                                                     len(validator.vault_files)))
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
