#!/usr/bin/env bash
# make test: what CI runs, as two streams side by side - the static checks and the pytest suites in one, the Molecule
# scenarios (podman hosts, mostly waiting on them) in the other. Each stream is a plain `make` of its targets, so a
# failing target stops its stream; the run fails when either stream fails. Every line is printed as it comes, prefixed
# with its stream's name, and kept in build/test-logs/<stream>.log. On a one-core machine (or UNIL_TEST_SERIAL=1) the
# targets run one after the other instead.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

CHECKS=(lint sanity docs changelog-lint validate-inventory unit integration)
MOLECULE=(molecule)

if [ "${UNIL_TEST_SERIAL:-0}" = 1 ] || [ "$(nproc)" -lt 2 ]; then
    echo "[test] one stream: ${CHECKS[*]} ${MOLECULE[*]}"
    exec make --no-print-directory "${CHECKS[@]}" "${MOLECULE[@]}"
fi

mkdir -p build/test-logs
start=$(date +%s)

run_stream() {  # name, targets...
    local name=$1; shift
    local began rc
    began=$(date +%s)
    make --no-print-directory "$@" 2>&1 | tee "build/test-logs/$name.log" | sed -u "s/^/[$name] /"
    rc=${PIPESTATUS[0]}
    echo "[$name] finished with exit code $rc in $(( $(date +%s) - began )) s: $*"
    return "$rc"
}

echo "[test] two streams: checks (${CHECKS[*]}) and molecule (${MOLECULE[*]}); logs in build/test-logs/"
run_stream checks "${CHECKS[@]}" & checks=$!
run_stream molecule "${MOLECULE[@]}" & molecule=$!
wait "$checks"; checks_rc=$?
wait "$molecule"; molecule_rc=$?

echo "[test] checks: exit code $checks_rc, molecule: exit code $molecule_rc, $(( $(date +%s) - start )) s in all"
if [ "$checks_rc" -ne 0 ] || [ "$molecule_rc" -ne 0 ]; then
    for name in checks molecule; do
        echo "[test] last lines of build/test-logs/$name.log:"; tail -n 40 "build/test-logs/$name.log" | sed "s/^/[$name] /"
    done
    exit 1
fi
