#!/usr/bin/env bash
# Runs a command where podman/crun work on this kind of VM.
#
# crun refuses hybrid cgroups, so podman must run in a mount namespace without the cgroup2 mount at
# /sys/fs/cgroup/unified (removed only inside that namespace; nothing outside changes). Every podman user
# (the lab, molecule, benchmarks) must share ONE such namespace: podman keeps each container's network
# namespace as a mount under /run/netns, which is invisible from any other mount namespace, and then
# `podman ps` fails on containers made elsewhere. So the first caller starts a small holder process in a
# fresh namespace and every caller enters that namespace with nsenter.
#
# On a host without the hybrid mount this is a plain exec. `in-podman-ns.sh --stop` ends the holder.
set -euo pipefail
state=${CHAINOPS_NS_DIR:-/run/chainops}
pidfile=$state/podman-ns.pid

holder_alive() {
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

if [ "${1:-}" = "--stop" ]; then
  if holder_alive; then kill "$(cat "$pidfile")"; fi
  rm -f "$pidfile"
  exit 0
fi

if [ "${CHAINOPS_IN_PODMAN_NS:-}" = 1 ]; then
  exec "$@"
fi
if ! mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  # nothing to hide here (pure cgroup v1 or v2 host), or we are already inside a namespace without it
  exec "$@"
fi

mkdir -p "$state"
exec 8>"$state/podman-ns.lock"
flock 8
if ! holder_alive; then
  rm -f "$pidfile"
  # the holder: a private mount namespace without the cgroup2 mount, kept alive while podman users need it
  # (the inner script is single-quoted on purpose: $$ and $1 belong to the inner shell)
  # shellcheck disable=SC2016
  unshare -m --propagation private bash -c \
    'umount /sys/fs/cgroup/unified && echo $$ > "$1" && exec sleep 86400' _ "$pidfile" </dev/null >/dev/null 2>&1 &
  for _wait in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  holder_alive || { echo "in-podman-ns: could not start the namespace holder" >&2; exit 1; }
fi
flock -u 8
export CHAINOPS_IN_PODMAN_NS=1
exec nsenter -t "$(cat "$pidfile")" -m --wd="$PWD" -- "$@"
