#!/usr/bin/env bash
# Runs `molecule test -s <scenario>` for every scenario under molecule/ (names starting with `_` are shared
# material, not scenarios), or only the scenarios given as arguments. Each runs inside the wrapper this
# machine needs for podman: scripts/in-podman-ns.sh (the one mount namespace without the cgroup2 `unified`
# mount that every podman user shares, see that script), or a private `unshare -m` namespace where that
# script is absent. The Debian 12 and 13 test images are built first (a no-op when cached).
# Prints a pass/fail + time line per scenario; exits non-zero if any failed.
#   scripts/molecule.sh                      # all scenarios
#   scripts/molecule.sh host-default         # one
#   MOLECULE_LOG_DIR=build/molecule scripts/molecule.sh   # logs go there (default build/molecule)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
molecule=${MOLECULE:-$here/.venv/bin/molecule}
logs=${MOLECULE_LOG_DIR:-$here/build/molecule}
mkdir -p "$logs"

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  scenarios=()
  for dir in molecule/*/; do
    name=$(basename "$dir")
    case "$name" in _*) continue ;; esac
    [ -f "$dir/molecule.yml" ] && scenarios+=("$name")
  done
fi
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "molecule.sh: no scenarios under molecule/" >&2
  exit 1
fi

in_podman_ns() {
  if [ -x "$here/scripts/in-podman-ns.sh" ]; then
    "$here/scripts/in-podman-ns.sh" "$@"
  else
    # shellcheck disable=SC2016
    unshare -m bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' _ "$@"
  fi
}

for version in 12 13; do
  bash "$here/scripts/lab-image.sh" "$version" || { echo "molecule.sh: image chainops-debian:$version failed" >&2; exit 1; }
done

export PATH="$here/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}
export PY_COLORS=${PY_COLORS:-0}
summary=()
failed=0
total_start=$(date +%s)
for scenario in "${scenarios[@]}"; do
  if [ ! -f "molecule/$scenario/molecule.yml" ]; then
    summary+=("$(printf '%-28s %-5s %5ss  (no molecule/%s/molecule.yml)' "$scenario" FAIL 0 "$scenario")")
    failed=1
    continue
  fi
  log="$logs/$scenario.log"
  start=$(date +%s)
  echo "=== molecule test -s $scenario (log: $log)"
  if in_podman_ns "$molecule" test -s "$scenario" >"$log" 2>&1; then
    status=PASS
  else
    status=FAIL
    failed=1
    tail -40 "$log" | sed "s/^/[$scenario] /"
  fi
  elapsed=$(( $(date +%s) - start ))
  summary+=("$(printf '%-28s %-5s %5ss' "$scenario" "$status" "$elapsed")")
  echo "=== $scenario: $status in ${elapsed}s"
done

echo
echo "molecule summary ($(( $(date +%s) - total_start ))s in all):"
printf '  %s\n' "${summary[@]}"
exit $failed
