# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 24, acceptance: OneDrive really re-enabled. Real ansible-playbook of role comet_config against the stand-in,
on a Mac device; the person's edit is made in the stand-in's stored profile, as their Comet Backup client would
write it.

Seed 000, "Fichiers exclus par défaut": "Attention: les dossiers OneDrive sont exclus par défaut, mais les personnes
utilisant le service peuvent réactiver la sauvegarde de ces dossiers." - and "Exclusion au niveau user (modifiable)"
lists "/Users/*/OneDrive - Université de Lausanne" for macOS. The accent workaround written beside it (seed 000: "Un
bug dans le logiciel CometBackup rend l'exclusion des fichiers et dossiers contenant un caractère accentué
impossible") is part of the same setting."""
from __future__ import annotations

import re
import unicodedata

import pytest

from playbook_runner import controller_inventory

ADMIN, ADMIN_PASSWORD = "onedrive-admin", "0neDrive-admin-pw"
ACCOUNT, DEVICE = "dept-mac", "dev-mac-1"

HOSTS = """
  hosts:
    mac-01: {comet_client_device_id: %s}
""" % DEVICE

PLAY = """
- name: Role comet_config on a Mac device
  hosts: all
  gather_facts: false
  roles:
    - role: unil.backup.comet_config
"""

# paths under the OneDrive folder, composed (NFC: typed) and decomposed (NFD: as macOS 11 and older store names)
ONEDRIVE_PATHS = [unicodedata.normalize(form, "/Users/mia/OneDrive - Universit\u00e9 de Lausanne/Documents/cv.pdf")
                  for form in ("NFC", "NFD")]


def glob_matches(glob, path):
    """A macOS glob as Comet reads it: "*" within one folder; the excluded folder's contents excluded with it."""
    glob = unicodedata.normalize("NFC", glob)
    regex = "^" + "".join("[^/]*" if c == "*" else re.escape(c) for c in glob) + "(?:/.*)?$"
    return re.search(regex, unicodedata.normalize("NFC", path)) is not None or re.search(regex, path) is not None


def item_exclusions(srv):
    profile = srv.state.get_profile(ACCOUNT)
    items = list(profile["Sources"].values())
    assert len(items) == 1, items   # the device's one protected item
    props = items[0]["EngineProps"]
    return ([v for k, v in props.items() if k.startswith("EXCLUDE")],
            [v for k, v in props.items() if k.startswith("REXCLUDE")])


def excluding_onedrive(srv):
    """The exclusions of the item that exclude OneDrive, glob or regex, in either Unicode form of the name."""
    globs, regexes = item_exclusions(srv)
    out = [g for g in globs if any(glob_matches(g, p) for p in ONEDRIVE_PATHS)]
    out += [r for r in regexes if any(re.search(r, p) for p in ONEDRIVE_PATHS)]
    return sorted(out)


def person_removes(srv, predicate):
    """What the person's client writes: the item without the exclusions they removed."""
    def mutate(profile):
        for item in profile["Sources"].values():
            props = item.get("EngineProps") or {}
            for key in [k for k, v in props.items() if k.startswith(("EXCLUDE", "REXCLUDE")) and predicate(k, v)]:
                del props[key]
    srv.state.change_profile(ACCOUNT, mutate)


@pytest.fixture(name="configured")
def configured_fixture(tmp_path, run_playbook, comet_standin):
    """A Mac device configured by a first run: seed 000 "les dossiers OneDrive sont exclus par défaut"."""
    srv = comet_standin(admin_users={ADMIN: ADMIN_PASSWORD})
    srv.state.add_user(ACCOUNT, "dept-mac-user-pw")
    srv.state.add_device(ACCOUNT, DEVICE, DEVICE, platform={"os": "darwin", "version": "11.7.10"})
    (tmp_path / "hosts.yml").write_text(controller_inventory(srv.url, ADMIN, ADMIN_PASSWORD, ACCOUNT, HOSTS))
    (tmp_path / "play.yml").write_text(PLAY)

    def run(*extra):
        return run_playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), *extra, timeout=300)

    rc, out = run()
    assert rc == 0, out
    assert len(excluding_onedrive(srv)) == 2, item_exclusions(srv)   # the glob and its accent workaround
    return srv, run


@pytest.mark.slow
@pytest.mark.parametrize("half", ["glob", "regex"])
def test_onedrive_removed_by_the_person_stays_removed(configured, half):
    """Seed 000 "les personnes utilisant le service peuvent réactiver la sauvegarde de ces dossiers": the person
    deletes the OneDrive exclusion (the glob, or the regex) in their client; a rerun without enforcement leaves the
    item with no exclusion matching OneDrive, glob or regex, in either Unicode form - and a third run keeps it so."""
    srv, run = configured
    prefix = "EXCLUDE" if half == "glob" else "REXCLUDE"
    person_removes(srv, lambda k, v: k.startswith(prefix) and "OneDrive" in unicodedata.normalize("NFC", v))
    assert len(excluding_onedrive(srv)) == 1
    rc, out = run()
    assert rc == 0, out
    assert excluding_onedrive(srv) == [], item_exclusions(srv)
    assert "/Users/Guest" in item_exclusions(srv)[0]          # the other defaults stay
    assert "exclusions enforced" not in out
    writes = srv.log_count("set-user-profile-hash") + srv.log_count("set-user-profile")
    rc, out = run()
    assert rc == 0, out
    assert excluding_onedrive(srv) == []
    assert srv.log_count("set-user-profile-hash") + srv.log_count("set-user-profile") == writes   # nothing comes back


@pytest.mark.slow
def test_enforced_exclusions_bring_both_back_and_say_so(configured):
    """comet_config_enforce: [exclusions] - the site overrides seed 000's "peuvent réactiver": the glob and its
    workaround are written again, and the run says so."""
    srv, run = configured
    person_removes(srv, lambda k, v: "OneDrive" in unicodedata.normalize("NFC", v))
    assert excluding_onedrive(srv) == []
    rc, out = run("-e", '{"comet_config_enforce": ["exclusions"]}')
    assert rc == 0, out
    assert len(excluding_onedrive(srv)) == 2, item_exclusions(srv)
    assert "exclusions enforced (comet_config_enforce lists exclusions)" in out, out
    assert "OneDrive - Universit" in out[out.index("exclusions enforced"):], out
