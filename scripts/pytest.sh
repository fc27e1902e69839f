#!/usr/bin/env bash
# Runs one group of the pytest suite. Exit code 5 (no tests collected) is a failure here:
# every group must run tests.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
group=${1:?usage: pytest.sh unit|netns|devnet|render|controlplane|live}
shift
case "$group" in
  unit)   paths=(tests/unit tests/preflight tests/repo); extra=(-m "not devnet and not live") ;;
  devnet) paths=(tests/integration/devnet); extra=() ;;
  render) paths=(tests/render); extra=() ;;
  controlplane) paths=(tests/controlplane); extra=() ;;
  live)   paths=(tests/live); extra=() ;;
  netns)  paths=(tests/netns); extra=() ;;
  *) echo "pytest.sh: unknown group $group" >&2; exit 2 ;;
esac
# The groups that start servers and clients (a control plane whose API server dials pod and Service addresses,
# devnet clients) run in a network namespace of their own with only loopback: nothing they start can reach another
# machine, whatever address a test or a fake kubelet hands out. Tests that need more (the gate's pod addresses)
# build it inside this namespace. CHAINOPS_NET_ISOLATED marks the re-exec.
case "$group" in
  controlplane|devnet)
    if [ -z "${CHAINOPS_NET_ISOLATED:-}" ]; then
      if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
        echo "pytest.sh: group $group runs in its own network namespace; unshare and ip (util-linux, iproute2) are needed" >&2
        exit 1
      fi
      # shellcheck disable=SC2016 # expanded by the inner bash
      exec unshare --net -- env CHAINOPS_NET_ISOLATED=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$group" "$@"
    fi
    ;;
esac
existing=()
for p in "${paths[@]}"; do [ -e "$p" ] && existing+=("$p"); done
if [ "${#existing[@]}" -eq 0 ]; then
  echo "pytest.sh: group $group has no test directory (${paths[*]})" >&2
  exit 1
fi
.venv/bin/pytest -p no:cacheprovider "${extra[@]}" "${existing[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest.sh: group $group collected no tests — that is a failure" >&2
  exit 1
fi
exit "$rc"
