# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory check: every rule of `make validate-inventory` (scripts/validate_inventory.py) and of the playbook
unil.backup.validate_inventory (module unil.backup.inventory_check), on the controller.

PRIVATE to the unil.backup collection: not a public API, it may change without notice.

check_inventory(inventory) -> (errors, hosts, vault files); report_lines(...) the text both print.

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
  - the files themselves: YAML that does not parse (an alias to another file's anchor), duplicate keys, a name or
    device ID that YAML reads as a number (0042), a vault file or inline !vault whose content is not vault data
    (checked without any secret), host_vars of a host not in the inventory, one host written twice with another
    case, a group key Ansible skips (hots:), a role variable misspelt outside the namespace (commet_config_folders,
    Comet_config_folders), a device ID naming one Comet device for several hosts (the rule comet_config applies).
Every error names the file (where known), the host or group and the variable, and says what to write instead (the
script exits 1, the playbook fails, when there is any). The check never raises: a file or host that breaks a check is
one error line (the first line of the exception: never a secret) and the others are still checked.
"""
from __future__ import annotations

import binascii
import difflib
import glob
import os
import re

import yaml

# The collection: its roles' argument_specs and defaults, its playbooks (installed or this checkout).
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAMESPACE = re.compile(r"^(comet|crashplan|fleet_report|unil)_")
SECRET_NAME = re.compile(r"password|passwd|token|secret", re.I)
SECRET_FILE = re.compile(r"vault|secret", re.I)
OS_GROUPS = ("windows", "macos", "linux")
# Variables of the namespace that no role declares but the playbooks or the demo read (documented in their headers).
INTERNAL = {"unil_backup_hosts", "unil_backup_remove_crashplan", "comet_client_hosts", "crashplan_removal_hosts",
            "fleet_report_hosts"}
INTERNAL_PREFIXES = ("unil_demo_",)  # inventories/demo/group_vars/all.yml
VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")
# Facts a role sets from the machine: in an inventory they would name one device for every host they reach.
FACTS = {
    "comet_client_device_id": "is the fact comet_client sets from the machine (backup-tool info device-id), not an "
                              "inventory variable: remove it; to name one host's device, set comet_config_device_id in "
                              "host_vars/<host>.yml",
}
# Names and IDs: text, never a YAML number (0042 reads as the octal number 34).
TEXT_VARS = ("comet_config_device_name", "comet_client_device_name", "comet_client_username", "comet_config_account",
             "comet_config_device_id", "comet_client_device_id")
MISSPELT_DISTANCE = 2  # a name this close to a role variable (edits, after lower-casing) is a misspelling of it


def edit_distance(left, right, limit):
    """Levenshtein distance of two strings, or limit + 1 once it exceeds limit."""
    previous = list(range(len(right) + 1))
    for i, char in enumerate(left, 1):
        current = [i]
        for j, other in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _named(hosts, limit=10):
    text = ", ".join(str(host) for host in hosts[:limit])
    return text + (" and %d more" % (len(hosts) - limit) if len(hosts) > limit else "")


def _vars_suffix(rel):
    """What follows the host's name in a host_vars path (".yml", "/main.yml")."""
    parts = rel.split(os.sep)
    if len(parts) == 2:
        return os.path.splitext(parts[1])[1]
    return "/" + "/".join(parts[2:])


# --------------------------------------------------------------------------------------------- reading the files

class VaultValue(object):
    """An inline !vault value, as read by the file scan (never decrypted)."""


class YamlInt(int):
    """An int as YAML read it, with the text written (0042 reads as the octal number 34)."""
    source = ""


class YamlFloat(float):
    source = ""


def _number(cls, construct):
    def build(loader, node):
        value = cls(construct(loader, node))
        value.source = node.value
        return value
    return build


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!vault", lambda loader, node: VaultValue())
_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
_Loader.add_constructor("tag:yaml.org,2002:int", _number(YamlInt, yaml.SafeLoader.construct_yaml_int))
_Loader.add_constructor("tag:yaml.org,2002:float", _number(YamlFloat, yaml.SafeLoader.construct_yaml_float))


def is_vault_text(text):
    return text.lstrip().startswith("$ANSIBLE_VAULT;")


_VAULT_HEADER = re.compile(r"^\$ANSIBLE_VAULT;(1\.1;AES256|1\.2;AES256;[^;\s]+)$")


def vault_problem(text):
    """Why a vault text (a whole file, or an inline !vault value) is not vault data Ansible can decrypt, without any
    vault secret: the header, then hex of salt, HMAC and ciphertext (a whole number of AES blocks). None when sound."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or not _VAULT_HEADER.match(lines[0]):
        return ("its header %r is not one ansible-vault writes ($ANSIBLE_VAULT;1.1;AES256 or "
                "$ANSIBLE_VAULT;1.2;AES256;<vault id>)" % (lines[0][:40] if lines else ""))
    body = "".join(lines[1:])
    try:
        parts = binascii.unhexlify(body).split(b"\n")
        salt, hmac, ciphertext = [binascii.unhexlify(part) for part in parts] if len(parts) == 3 else (b"", b"", b"")
    except (binascii.Error, ValueError):
        return "its content after the header is not the hexadecimal text ansible-vault writes (damaged or cut)"
    if not salt or len(hmac) != 32 or not ciphertext or len(ciphertext) % 16:
        return "its content after the header is not a salt, an HMAC and whole AES blocks (damaged or cut)"
    return None


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


def holds_secret(value):
    """A mapping inside ``value`` has a secret-named key whose value is in clear text."""
    if isinstance(value, dict):
        return any((SECRET_NAME.search(str(k)) and not secret_ok(v)) or holds_secret(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_secret(v) for v in value)
    return False


def first_line(exc):
    """An exception as one line: its type and the first line of its message (a parser's context may show a
    secret on the next lines)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply, or an alias that holds itself (&a [*a]): write the value out"
    lines = str(exc).strip().splitlines()
    return "%s%s" % (type(exc).__name__, ": " + lines[0][:200] if lines else "")


class Definition(object):
    """One variable as written in one file: which file, which group or host, its name and value."""

    def __init__(self, file, entity, name, value):
        self.file, self.entity, self.name, self.value = file, entity, name, value


class Scan(object):
    """What the files of an inventory say, read file by file: definitions, vault files, the errors of the files
    themselves (YAML, vault, duplicate keys), the other YAML documents, and where each host is listed."""

    def __init__(self):
        self.definitions, self.vault_files, self.errors, self.others = [], [], [], []
        self.host_files = {}  # host: [files of the inventory listing it]
        self.host_vars = {}  # host: [its host_vars files]
        self.inventory_files = []  # the YAML inventories (all: children, hosts, vars)
        self.broken = set()  # absolute paths Ansible must not read (their errors are reported here)


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


def _inventory_definitions(rel, data, scan):
    """Definitions from a YAML inventory (all: {hosts, vars, children}), and where each host is listed."""
    seen = set()

    def group(name, body):
        if not isinstance(body, dict) or id(body) in seen:
            return
        seen.add(id(body))
        for var, value in _mapping(body.get("vars")).items():
            scan.definitions.append(Definition(rel, ("group", name), str(var), value))
        for host, hvars in _mapping(body.get("hosts")).items():
            scan.host_files.setdefault(str(host), [])
            if rel not in scan.host_files[str(host)]:
                scan.host_files[str(host)].append(rel)
            for var, value in _mapping(hvars).items():
                scan.definitions.append(Definition(rel, ("host", str(host)), str(var), value))
        for child, cbody in _mapping(body.get("children")).items():
            group(str(child), cbody)
    for name, body in data.items():
        group(str(name), body)


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _place(path):
    """(entity, variable) of a key path in a YAML inventory (all.children.g.hosts.h.var...)."""
    entity, var = ("group", str(path[0])) if path else None, None
    i = 1
    while i + 1 < len(path):
        if path[i] == "children":
            entity, i = ("group", str(path[i + 1])), i + 2
        elif path[i] == "hosts":
            return ("host", str(path[i + 1])), (str(path[i + 2]) if i + 2 < len(path) else None)
        elif path[i] == "vars":
            return entity, str(path[i + 1])
        else:
            break
    return entity, var


def _walk_nodes(node, path, found, seen):
    """Duplicate keys and inline !vault values of a composed YAML document, each with its key path."""
    if id(node) in seen:  # an alias: its anchor's node is walked once
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<":
                if key in keys:
                    found.append(("duplicate", path, key, (keys[key], key_node.start_mark.line + 1)))
                keys.setdefault(key, key_node.start_mark.line + 1)
            _walk_nodes(value_node, path + [key if key is not None else "?"], found, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_nodes(item, path + [index], found, seen)
    elif isinstance(node, yaml.ScalarNode) and node.tag == "!vault":
        problem = vault_problem(node.value)
        if problem:
            found.append(("vault", path, None, problem))


def _yaml_error(exc):
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or "").strip()
    where = " (line %d)" % (mark.line + 1) if mark else ""
    if "undefined alias" in problem:
        return ("not valid YAML%s: %s - an alias (*name) only refers to an anchor (&name) of the same file: write the "
                "value here, or refer to the variable as \"{{ other_variable }}\"" % (where, problem))
    return "not valid YAML%s%s" % (where, ": " + problem.splitlines()[0] if problem else "")


def _scan_file(path, rel, scan):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        scan.errors.append(Error(rel, None, None, "cannot be read (%s)" % type(exc).__name__))
        return
    entity = _vars_entity(rel)
    if entity is not None and entity[0] == "host":
        scan.host_vars.setdefault(entity[1], []).append(rel)
    # vars files; inventory sources (.yml, .yaml, .json, or no extension at the top of the inventory: Ansible's
    # yaml plugin reads those too)
    yaml_file = entity is not None or os.path.splitext(rel)[1] in (".yml", ".yaml", ".json") \
        or (os.sep not in rel and "/" not in rel and os.path.splitext(rel)[1] == "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        if yaml_file:
            scan.broken.add(path)
            scan.errors.append(Error(rel, "%s %s" % entity if entity else None, None,
                                     "not UTF-8 text (a binary file?): Ansible cannot read it; remove it or write it "
                                     "again as YAML"))
        return
    if is_vault_text(text):
        scan.vault_files.append(rel)
        problem = vault_problem(text)
        if problem:
            scan.broken.add(path)
            scan.errors.append(Error(rel, "%s %s" % entity if entity else None, None,
                                     "a vault file that Ansible cannot decrypt: %s; encrypt the clear text again "
                                     "(ansible-vault encrypt %s)" % (problem, rel)))
        return
    if not yaml_file:
        return
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            found = []
            if node is not None:
                _walk_nodes(node, [], found, set())
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        scan.broken.add(path)
        scan.errors.append(Error(rel, "%s %s" % entity if entity else None, None, _yaml_error(exc)))
        return
    inventory_file = entity is None and isinstance(data, dict) and isinstance(
        data.get("all", data.get(next(iter(data), None))), dict)
    for kind, key_path, key, detail in found:
        if entity is not None:
            where_entity, var = entity, (str(key_path[0]) if key_path else key)
        elif inventory_file:
            where_entity, var = _place(key_path + ([key] if key is not None else []))
        else:
            where_entity, var = None, (str(key_path[0]) if key_path else key)
        where = "%s %s" % where_entity if where_entity else None
        if kind == "vault":
            scan.errors.append(Error(rel, where, var, "an inline !vault value that Ansible cannot decrypt: %s; "
                                     "encrypt it again (ansible-vault encrypt_string --name %s)" % (detail, var)))
        else:
            inner = ""
            if var != key and var in key_path:
                inner = " (in %s)" % ".".join(str(p) for p in key_path[key_path.index(var):])
            scan.errors.append(Error(rel, where, var, "the key %r is written twice%s (lines %d and %d): YAML keeps the "
                                     "last one and loses the first; write it once" % ((key, inner) + detail)))
    if entity is not None:
        if data is not None and not isinstance(data, dict):
            scan.errors.append(Error(rel, "%s %s" % entity, None, "a vars file must be a mapping of variables"))
            return
        for var, value in (data or {}).items():
            scan.definitions.append(Definition(rel, entity, str(var), value))
    elif inventory_file:
        scan.inventory_files.append(rel)
        _inventory_definitions(rel, data, scan)
    elif data is not None:
        scan.others.append((rel, data))


def scan_files(inventory):
    """Read every file of the inventory (a Scan). Vault files are not decrypted; a file that cannot be read or
    checked is an error of its own, and the others are still read."""
    scan = Scan()
    for path in sorted(glob.glob(os.path.join(inventory, "**", "*"), recursive=True)):
        rel = os.path.relpath(path, inventory)
        if not os.path.isfile(path) or any(p.startswith(".") for p in rel.split(os.sep)):
            continue
        try:
            _scan_file(path, rel, scan)
        except Exception as exc:  # pylint: disable=broad-except  # one file's problem never stops the others
            scan.broken.add(path)
            scan.errors.append(Error(rel, None, None, "could not be checked (%s)" % first_line(exc)))
    return scan


# --------------------------------------------------------------------------------------------- the rules' sources

def role_specs():
    """{variable: (role, option spec)} of every role's entry points."""
    specs = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        role = os.path.basename(os.path.dirname(os.path.dirname(path)))
        with open(path, encoding="utf-8") as f:
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
        with open(path, encoding="utf-8") as f:
            found.update(re.findall(r"\b((?:comet|crashplan|fleet_report|unil)_[a-z0-9_]+)\s*\|\s*default\b", f.read()))
    return found


class Error(object):
    def __init__(self, file, where, var, message, hosts=()):
        self.file, self.where, self.var, self.message, self.hosts = file, where, var, message, list(hosts)

    def key(self):
        return (str(self.file or ""), str(self.where or ""), str(self.var or ""), str(self.message))

    def text(self, inventory):
        parts = [os.path.join(shown(inventory), self.file) if self.file else shown(inventory)]
        where = self.where or ""
        if self.hosts and not (where.startswith("host ") and len(self.hosts) == 1):
            where = (where + " " if where else "") + "(host%s %s)" % ("s" if len(self.hosts) > 1 else "",
                                                                      ", ".join(sorted(self.hosts, key=str)))
        if where:
            parts.append(where)
        if self.var:
            parts.append(self.var)
        return "ERROR " + ": ".join(parts + [self.message])

    def as_dict(self):
        return dict(file=self.file, where=self.where, var=self.var, message=self.message, hosts=sorted(self.hosts, key=str))


def shown(path):
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else os.path.abspath(path)


# --------------------------------------------------------------------------------------------- the checks

class Validator(object):
    def __init__(self, inventory):
        self.inventory = os.path.abspath(inventory)
        self.errors = {}
        self.vault_files = []
        self.inventory_files = []
        self.specs = role_specs()
        self.known = set(self.specs) | INTERNAL | playbook_variables()
        self._close = {}
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
        from ansible_collections.unil.backup.plugins.module_utils import _comet_identity, _comet_model, _role_checks
        from ansible_collections.unil.backup.plugins.module_utils import _crashplan_role
        from ansible_collections.unil.backup.plugins.module_utils._comet_url import url_problem
        self.ArgumentSpecValidator = ArgumentSpecValidator
        self.model, self.role_checks, self.url_problem = _comet_model, _role_checks, url_problem
        self.identity = _comet_identity
        self.crashplan_role = _crashplan_role
        self.crashplan_defaults = role_defaults("crashplan_removal")

    def add(self, error, host=None):
        existing = self.errors.setdefault(error.key(), error)
        if host and host not in existing.hosts:
            existing.hosts.append(host)

    # ---- names and secrets, file by file (every group and host, with or without hosts)

    def check_definitions(self, definitions, vault_files, others):
        self.vault_files = vault_files
        for d in definitions:
            try:
                self._definition(d)
            except Exception as exc:  # pylint: disable=broad-except  # reported, and the next one is checked
                self.add(Error(d.file, "%s %s" % d.entity, d.name, "could not be checked (%s)" % first_line(exc)))
        for rel, data in others:
            try:
                self._secrets(rel, None, None, data, force=bool(SECRET_FILE.search(os.path.basename(rel))))
            except Exception as exc:  # pylint: disable=broad-except
                self.add(Error(rel, None, None, "could not be checked (%s)" % first_line(exc)))

    def _definition(self, d):
        where = "%s %s" % d.entity
        if d.name in FACTS:
            self.add(Error(d.file, where, d.name, FACTS[d.name]))
        elif NAMESPACE.match(d.name):
            if d.name not in self.known and not d.name.startswith(INTERNAL_PREFIXES):
                close = difflib.get_close_matches(d.name, sorted(self.known), n=1, cutoff=0.6)
                self.add(Error(d.file, where, d.name, "unknown variable of unil.backup (no role reads it)%s"
                               % ("; did you mean %s?" % close[0] if close else "")))
        else:
            message = self.misspelt(d.name)
            if message:
                self.add(Error(d.file, where, d.name, message))
        if d.name in TEXT_VARS and isinstance(d.value, (YamlInt, YamlFloat)):
            self.add(Error(d.file, where, d.name, "YAML reads %s as the number %s, not as text: quote it (%s: \"%s\")"
                           % (d.value.source, plain(d.value), d.name, d.value.source)))
        clear_vault_file = SECRET_FILE.search(os.path.basename(d.file))
        self._secrets(d.file, where, d.name, d.value, force=bool(clear_vault_file))

    def misspelt(self, name):
        """The message for a name outside the namespace that is a role variable misspelt: another case, a typo in
        its prefix (commet_config_folders, Comet_config_folders): no role would read it. None otherwise."""
        if name not in self._close:
            lower, message = name.lower(), None
            if lower in self.known:
                message = "unil.backup's variables are written in lower case: no role reads this one; write %s" % lower
            else:
                near = sorted((edit_distance(lower, known, MISSPELT_DISTANCE), known) for known in self.known
                              if abs(len(known) - len(lower)) <= MISSPELT_DISTANCE)
                if near and near[0][0] <= MISSPELT_DISTANCE:
                    message = "not a variable of unil.backup as written (no role reads it): write %s" % near[0][1]
                elif NAMESPACE.match(lower):
                    close = difflib.get_close_matches(lower, sorted(self.known), n=1, cutoff=0.6)
                    message = ("unknown variable of unil.backup, whose variables are written in lower case (no role "
                               "reads it)%s" % ("; did you mean %s?" % close[0] if close else ""))
            self._close[name] = message
        return self._close[name]

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

    def load(self, broken=()):
        """Ansible's inventory and variables, with NO vault secret; the files the scan found broken (reported
        there) read as {}, and a file Ansible cannot read is an error of its own, the others still read."""
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.vars.manager import VariableManager

        validator, broken = self, set(broken)

        class NoVaultLoader(DataLoader):
            """No vault secret: a whole vault file reads as {} (its variables are secrets, left alone)."""

            def load_from_file(self, file_name, *args, **kwargs):
                path = os.path.abspath(file_name)
                if path in broken:
                    return {}
                try:
                    with open(path, "rb") as f:
                        if f.read(64).lstrip().startswith(b"$ANSIBLE_VAULT;"):
                            return {}
                except OSError:
                    pass
                try:
                    return super(NoVaultLoader, self).load_from_file(file_name, *args, **kwargs)
                except Exception as exc:  # pylint: disable=broad-except  # the first line only: no secret
                    rel = os.path.relpath(path, validator.inventory)
                    validator.add(Error(rel if not rel.startswith("..") else path, None, None,
                                        "Ansible cannot read it (%s)" % first_line(exc)))
                    broken.add(path)
                    return {}

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
        if holds_secret(value):  # a rule's message may quote the value: not this one
            message = ("is not valid, and holds a secret in clear text (the value and the rule's message are not "
                       "shown): move the secret to a vault variable first")
        self.add(Error(file, where, var, message), host=host)

    def check_hosts(self, inventory, variables, scan):
        groups = inventory.groups
        departments = sorted(g for g in groups if g.startswith("dept_"))
        devices, identities, allowed = {}, {}, []
        hosts = inventory.get_hosts()
        if not hosts:
            self.add(Error(None, None, None, "the inventory has no host"))
        for host in hosts:
            name = host.name
            try:
                hv = variables.get_vars(host=host, include_hostvars=False)
                self.check_host(host, hv, departments)
                account = self.account(name, hv)
                device = self.device_name(name, host, hv)
                if account and device:
                    devices.setdefault((str(account), str(device[1])), []).append((name, device))
                device_id = self.device_id(hv)
                if device_id:
                    identities[name] = device_id
                    if self.role_checks._bool(plain(hv.get("comet_client_allow_shared_device_id"))):
                        allowed.append(name)
            except Exception as exc:  # pylint: disable=broad-except  # the first line only, the next host checked
                self.add(Error(None, "host %s" % name, None, "could not be checked (%s)" % first_line(exc)), host=name)
        for check in (lambda: self.check_device_names(devices), lambda: self.check_device_ids(identities, allowed),
                      lambda: self.check_host_spellings(hosts, scan), lambda: self.check_host_vars(hosts, scan)):
            try:
                check()
            except Exception as exc:  # pylint: disable=broad-except
                self.add(Error(None, None, None, "a check across hosts could not run (%s)" % first_line(exc)))

    def check_host(self, host, hv, departments):
        name = host.name
        member = sorted(g.name for g in host.get_groups())
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
        self.check_values(name, hv, oses[0] if oses else None)

    def check_device_names(self, devices):
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

    def device_id(self, hv):
        """(variable, value as read, literal) of the device ID the inventory names for a host, else None."""
        for var in ("comet_config_device_id", "comet_client_device_id"):
            value = hv.get(var)
            if value is not None and not is_vaulted(value) and not has_template(value) and str(plain(value)).strip():
                return var, value, str(plain(value)).strip()
            if value is not None:
                return None
        return None

    def check_device_ids(self, identities, allowed):
        """Hosts that name one Comet device: the rule comet_config applies to its batch (_comet_identity.refusals),
        over the whole inventory; a device ID set for a group is named as such."""
        refused, groups = self.identity.refusals(dict((h, v[2]) for h, v in identities.items()), allowed,
                                                 keys=("device_id",))
        for group in groups:
            for host in group["hosts"]:
                if host not in refused:
                    continue
                var, value, dummy = identities[host]
                file, where = self.origin(value, host)
                others = [h for h in group["hosts"] if h != host]
                if where.startswith("group "):
                    message = ("one Comet device ID for the %d hosts of a group: they would write one device, each "
                               "overwriting the others' settings and snapshots; set comet_config_device_id per host "
                               "(host_vars/<host>.yml), or leave it unset (comet_client reads it from the machine)"
                               % len(group["hosts"]))
                    self.add(Error(file, where, var, message), host=host)
                else:
                    message = ("is also the device ID of %s: the hosts would write one Comet device, each overwriting "
                               "the others' settings and snapshots; give each host its own (backup-tool info "
                               "device-id on the machine), or set comet_client_allow_shared_device_id: true where "
                               "they really are one machine" % _named(others))
                    self.add(Error(file, where, var, message), host=host)

    def check_host_spellings(self, hosts, scan):
        """One machine under two spellings differing only by case (DNS names are not case-sensitive)."""
        spellings = {}
        for host in hosts:
            spellings.setdefault(host.name.lower(), []).append(host.name)
        for lower, names in sorted(spellings.items()):
            if len(names) < 2:
                continue
            names = sorted(names)
            odd = [n for n in names if n != lower] or names
            files = scan.host_files.get(odd[0]) or []
            self.add(Error(files[0] if files else None, "host %s" % odd[0], None,
                           "is in the inventory under %d spellings differing only by case (%s): one machine, that "
                           "Ansible would run as %d hosts and %d Comet devices; write one spelling everywhere, in "
                           "lower case (%s)" % (len(names), ", ".join(names), len(names), len(names), lower),
                           hosts=names))

    def check_host_vars(self, hosts, scan):
        """host_vars of a host that is not in the inventory: Ansible never reads them."""
        names = set(host.name for host in hosts)
        by_lower = dict((name.lower(), name) for name in names)
        for host, files in sorted(scan.host_vars.items()):
            if host in names:
                continue
            same = by_lower.get(host.lower())
            close = difflib.get_close_matches(host, sorted(names), n=1, cutoff=0.8) if not same else []
            if same:
                advice = "name it after the host %s (host_vars/%s%s)" % (same, same, _vars_suffix(files[0]))
            elif close:
                advice = ("add the host to the inventory, name the file after the host it is for (%s?), or remove it"
                          % close[0])
            else:
                advice = "add the host to the inventory, or remove the file"
            for rel in files:
                self.add(Error(rel, "host %s" % host, None, "host_vars of a host that is not in the inventory: its "
                               "variables are never read; %s" % advice))

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
        # a name or ID that YAML read as a number: reported where it is written (the scan), not checked further
        bad = set(var for var in TEXT_VARS if isinstance(literal.get(var), (int, float))
                  and not isinstance(literal.get(var), bool))
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
        """(errors sorted, number of hosts): every error of the inventory, whatever its files hold; never raises."""
        scan, hosts = Scan(), 0
        try:
            scan = scan_files(self.inventory)
        except Exception as exc:  # pylint: disable=broad-except
            self.add(Error(None, None, None, "the files could not be read (%s)" % first_line(exc)))
        for error in scan.errors:
            self.add(error)
        self.check_definitions(scan.definitions, scan.vault_files, scan.others)
        self.inventory_files = scan.inventory_files
        warnings = _Warnings()
        try:
            with warnings:
                inventory, variables = self.load(scan.broken)
                hosts = len(inventory.get_hosts())
                self.check_hosts(inventory, variables, scan)
        except Exception as exc:  # pylint: disable=broad-except  # the first line only: a parser's context could show a secret
            self.add(Error(None, None, None, "Ansible cannot load the inventory (%s)" % first_line(exc)))
        for message in warnings.messages:
            # a duplicate key: the scan's own error names its file and lines (Ansible warns of it when its setting
            # DUPLICATE_YAML_DICT_KEY is not "ignore", e.g. in a playbook run)
            if not message.startswith("Found duplicate mapping key"):
                self.add(self.warning_error(message))
        return sorted(self.errors.values(), key=lambda e: e.key()), hosts

    def warning_error(self, message):
        """An error from a warning Ansible gave while loading the inventory (its first line: keys and group names,
        never a value; the parsers' details, which may quote a file, are left out: the scan names the file)."""
        unexpected = re.match(r"^Skipping unexpected key \((.*)\) in group \((.*)\), only ", message)
        if unexpected:
            key, group = unexpected.groups()
            close = difflib.get_close_matches(key, ["vars", "children", "hosts"], n=1, cutoff=0.5)
            files = self.inventory_files
            return Error(files[0] if len(files) == 1 else None, "group %s" % group, None,
                         "the key %r is not one of a group's: Ansible skips it and what it holds; write %s"
                         % (key, close[0] if close else "vars, children or hosts"))
        unparsed = re.match(r"^Unable to parse (.*) as an inventory source$", message)
        if unparsed:
            rel = os.path.relpath(unparsed.group(1), self.inventory)
            return Error(rel if not rel.startswith("..") else unparsed.group(1), None, None,
                         "Ansible cannot read it as an inventory: write it as a YAML inventory (all: with children, "
                         "hosts and vars)")
        return Error(None, None, None, "Ansible: %s" % message)


class _Warnings(object):
    """Ansible's warnings while the inventory is loaded and read, kept (first line) instead of printed."""

    def __init__(self):
        self.messages = []
        self.display = self.saved = None

    def __enter__(self):
        from ansible.utils.display import Display
        self.display = Display()
        self.saved = dict((name, self.display.__dict__.get(name)) for name in ("warning", "error_as_warning"))
        self.display.warning = self.warning
        self.display.error_as_warning = lambda *args, **kwargs: None  # followed by "Unable to parse ..."
        return self

    def warning(self, msg, *args, **kwargs):  # pylint: disable=unused-argument
        lines = str(msg).strip().splitlines()
        if lines and lines[0][:200] not in self.messages:
            self.messages.append(lines[0][:200])

    def __exit__(self, *exc):
        for name, saved in self.saved.items():
            if saved is None:
                self.display.__dict__.pop(name, None)
            else:
                setattr(self.display, name, saved)
        return False


def check_inventory(inventory):
    """(errors sorted, number of hosts, vault-encrypted files) of one inventory directory; never raises."""
    if not os.path.isdir(inventory):
        return [Error(None, None, None, "not a directory")], 0, []
    try:
        validator = Validator(inventory)
        errors, hosts = validator.run()
    except Exception as exc:  # pylint: disable=broad-except  # never a traceback: one line, and the next inventory
        return [Error(None, None, None, "the check stopped (%s)" % first_line(exc))], 0, []
    return errors, hosts, validator.vault_files


def report_lines(inventory, errors, hosts, vault_files):
    """The text of one inventory's result: an ERROR line per error, then FAILED or OK."""
    lines = [error.text(inventory) for error in errors]
    if errors:
        lines.append("FAILED %s: %d error%s" % (shown(inventory), len(errors), "" if len(errors) == 1 else "s"))
    else:
        lines.append("OK %s: %d hosts, %d vault-encrypted files" % (shown(inventory), hosts, len(vault_files)))
    return lines
