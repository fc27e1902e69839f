#!/usr/bin/env bash
# The whole test ladder (make test). Runs every step, prints a summary, exits non-zero if any failed.
# CHAINOPS_TEST_STEPS="lint unit" runs a subset.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$PWD/collections"
steps=${CHAINOPS_TEST_STEPS:-"yamllint ansible-lint ruff changelog sanity unit netns devnet render controlplane molecule"}
declare -a names results times
failed=0
run() {
  local name=$1; shift
  echo "=== $name: $*"
  local t0=$SECONDS
  "$@"
  local rc=$?
  names+=("$name"); times+=("$((SECONDS - t0))s")
  if [ "$rc" -eq 0 ]; then results+=(passed); else results+=("FAILED (exit $rc)"); failed=$((failed + 1)); fi
}
for step in $steps; do
  case "$step" in
    yamllint)     run yamllint .venv/bin/yamllint --strict . ;;
    ansible-lint) run ansible-lint .venv/bin/ansible-lint --offline --profile production ;;
    ruff)         run ruff .venv/bin/ruff check . ;;
    changelog)    run changelog .venv/bin/antsibull-changelog lint ;;
    sanity)       run sanity bash scripts/sanity.sh ;;
    unit)         run unit bash scripts/pytest.sh unit ;;
    netns)        run netns bash scripts/pytest.sh netns ;;
    devnet)       run devnet bash scripts/pytest.sh devnet ;;
    render)       run render bash scripts/pytest.sh render ;;
    controlplane) run controlplane bash scripts/pytest.sh controlplane ;;
    molecule)     run molecule bash scripts/molecule.sh ;;
    *) echo "test.sh: unknown step $step" >&2; exit 2 ;;
  esac
done
# the shared podman namespace holder (scripts/in-podman-ns.sh) is not left behind when no container needs it
if [ -z "$(scripts/in-podman-ns.sh podman ps -q 2>/dev/null)" ]; then scripts/in-podman-ns.sh --stop; fi
echo
echo "=== test ladder summary"
for i in "${!names[@]}"; do printf '%-14s %-18s %s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"; done
passed=$(( ${#names[@]} - failed ))
echo "ladder: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
