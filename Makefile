# unil.backup: developer entry points. `scripts/setup.sh && make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV        := $(CURDIR)/.venv
COLLECTIONS := $(CURDIR)/build/collections
COLLECTION  := $(COLLECTIONS)/ansible_collections/unil/backup
SANITY_ROOT := $(CURDIR)/build/sanity/ansible_collections/unil/backup

export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF := $(CURDIR)/tests/podman/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export NO_COLOR := 1
# What this checkout creates on the machine carries its id (podman container names in molecule/*/molecule.yml),
# so that two checkouts, or two targets, never share or remove each other's hosts.
export UNIL_RUN_ID := $(shell python3 tests/podman/podman_hosts.py run-id $(CURDIR))

# pytest exits 5 when it collects nothing: that is not a failure of the suite.
PYTEST = run_pytest() { pytest "$$@" || { rc=$$?; [ $$rc -eq 5 ] && echo "(no tests collected)" || exit $$rc; }; }; run_pytest

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

.PHONY: setup
setup: ## install Debian packages, the pinned .venv and the systemd images (idempotent)
	bash scripts/setup.sh

.PHONY: setup-idempotence
setup-idempotence: ## a second setup run must find everything in place and change nothing
	out=$$(bash scripts/setup.sh); echo "$$out"; \
	if grep -E '^\[setup\] (installing|creating|building)' <<<"$$out"; then echo "setup is not idempotent" >&2; exit 1; fi

.PHONY: collection-link
collection-link: ## make the repository importable as unil.backup (build/collections)
	@mkdir -p $(dir $(COLLECTION))
	@[ -L $(COLLECTION) ] || ln -sfn ../../../.. $(COLLECTION)

.PHONY: lint
lint: collection-link ## ansible-lint, production profile
	@# its own ANSIBLE_HOME: a copy of unil.backup that Molecule installs in ~/.ansible would shadow this tree
	ANSIBLE_HOME=$(CURDIR)/build/lint-home ansible-lint --profile production

# validate-modules reads a PowerShell module's Ansible.Basic spec with pwsh, which no package registry this project
# reaches serves: without pwsh the PowerShell modules (plugins/modules/*.ps1) are left out of ansible-test sanity (pslint
# is skipped without it anyway). Their .py documentation is still validated; tests/unit/plugins/module_utils/
# test_comet_windows.py compares it with the spec, tests/unit/test_powershell_syntax.py parses them.
SANITY_PWSH_EXCLUDE = $(if $(shell command -v pwsh),,$(foreach f,$(wildcard plugins/modules/*.ps1),--exclude $(f)))

.PHONY: sanity
sanity: ## ansible-test sanity in a copy of the tree under build/sanity/ansible_collections/unil/backup
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(SANITY_ROOT)
	cd $(SANITY_ROOT) && git init -q && git add -A && \
	  $(CURDIR)/.venv-sanity/bin/ansible-test sanity --color no --python 3.11 --requirements $(SANITY_PWSH_EXCLUDE)

.PHONY: docs
docs: ## build the collection tarball, install it, and render every module's, filter's, lookup's and role's docs from the installed copy
	rm -rf build/dist build/installed && mkdir -p build/dist build/installed
	ansible-galaxy collection build --force --output-path build/dist . >/dev/null
	@# its own collections path: with build/collections (the checkout itself) galaxy finds unil.backup installed already
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/installed ansible-galaxy collection install --offline --no-deps --force \
	  -p build/installed build/dist/unil-backup-*.tar.gz >/dev/null
	test -f build/installed/ansible_collections/unil/backup/MANIFEST.json || { echo "the tarball was not installed" >&2; exit 1; }
	echo "built and installed: $$(cd build/dist && ls)"
	export ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/installed; shopt -s nullglob; \
	render() { out=$$(ansible-doc -t "$$1" "unil.backup.$$2" 2>&1) || { echo "$$out"; exit 1; }; \
	  if grep -qE '^\[WARNING\]|was not found' <<<"$$out" || ! grep -q "unil.backup.$$2" <<<"$$out"; then echo "$$out"; echo "ansible-doc -t $$1 unil.backup.$$2: no documentation" >&2; exit 1; fi; \
	  echo "ansible-doc -t $$1 unil.backup.$$2: ok ($$(wc -l <<<"$$out") lines)"; }; \
	for m in plugins/modules/*.py; do render module $$(basename $$m .py); done; \
	for f in plugins/filter/*.yml; do render filter $$(basename $$f .yml); done; \
	for l in plugins/lookup/*.py; do render lookup $$(basename $$l .py); done; \
	for r in roles/*/meta/argument_specs.yml; do render role $$(basename $$(dirname $$(dirname $$r))); done

.PHONY: unit
# pytest-xdist workers (requirements-dev.txt): 0 runs in the pytest process itself. Tests that must not run beside
# each other share an xdist_group (--dist loadgroup runs a group on one worker).
UNIT_WORKERS ?= 2
INTEGRATION_WORKERS ?= 0
unit: collection-link ## pytest unit tests (module logic, module_utils, the stand-ins' own tests); UNIT_WORKERS=2
	$(PYTEST) -n $(UNIT_WORKERS) --dist loadgroup tests/unit tests/comet_server tests/installers tests/podman

.PHONY: integration
integration: collection-link ## tests against the Comet Server stand-in (real HTTP, real ansible-playbook); INTEGRATION_WORKERS=0
	$(PYTEST) -n $(INTEGRATION_WORKERS) --dist loadgroup tests/integration

.PHONY: molecule
molecule: collection-link ## every Molecule scenario: podman ones run in full, delegated ones (Windows/macOS VMs) syntax-check
	@# Molecule's working files go under ANSIBLE_HOME/tmp, named after the checkout folder's *name*: a home of this
	@# checkout's own keeps two clones called alike apart.
	export ANSIBLE_HOME=$(CURDIR)/build/molecule-home; \
	shopt -s nullglob; for d in molecule/*/; do s=$$(basename $$d); \
	  [ -f $$d/molecule.yml ] || continue; \
	  if grep -q 'name: podman' $$d/molecule.yml; then echo "== molecule test -s $$s"; molecule test -s $$s; \
	  else echo "== molecule syntax -s $$s (delegated: point MOLECULE_* at your VM and run 'molecule test -s $$s')"; molecule syntax -s $$s; fi; \
	done

.PHONY: changelog-lint
changelog-lint: ## validate the changelog fragments
	antsibull-changelog lint

.PHONY: validate-inventory
validate-inventory: ## check an inventory completely before its pull request (INVENTORY=inventories/<site>; default: all of inventories/)
	python scripts/validate_inventory.py $(INVENTORY)

.PHONY: test
test: setup-idempotence ## everything CI runs: checks + pytest beside the Molecule scenarios (scripts/test_streams.sh)
	bash scripts/test_streams.sh
	@echo "make test: all checks passed"

.PHONY: test-serial
test-serial: setup-idempotence lint sanity docs changelog-lint validate-inventory unit integration molecule ## the same, one target after the other
	@echo "make test-serial: all checks passed"

.PHONY: ee-check
ee-check: ## the collection as AWX runs it: tarball + declared dependencies only (clean venv), playbooks via ansible-runner
	python scripts/ee_check.py $(EE_CHECK_ARGS)

.PHONY: demo
demo: ## the README's first command: stand-in server, 3 podman Debian hosts, playbooks/site.yml, fleet summary, HTML fleet report
	bash scripts/demo.sh up

.PHONY: demo-clean
demo-clean: ## remove everything make demo started (containers, server process, build/demo)
	bash scripts/demo.sh down

.PHONY: bench
bench: collection-link ## figures, not part of make test: no-op site.yml / a floor play, round trips and API calls per host, forks (BENCH_ARGS="--runs 3 -v"); HOSTS=3,10,30: per fleet size (tests/bench/hosts_bench.py)
	$(if $(HOSTS),python tests/bench/hosts_bench.py --hosts $(HOSTS),python tests/bench/bench.py) $(BENCH_ARGS)

.PHONY: clean
clean: ## remove build products (not the .venv or the images)
	rm -rf build .pytest_cache
