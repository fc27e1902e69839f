#!/usr/bin/env bash
# Runs a command in a private mount namespace where podman/crun work on this kind of VM:
# crun refuses hybrid cgroups, so the cgroup2 mount at /sys/fs/cgroup/unified is removed there
# (only inside the namespace; nothing outside changes). On a host with a pure cgroup v2 or
# without the hybrid mount this is a plain exec.
set -euo pipefail
if [ "${CHAINOPS_IN_PODMAN_NS:-}" = 1 ] || ! mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  exec "$@"
fi
export CHAINOPS_IN_PODMAN_NS=1
exec unshare -m bash -c 'umount /sys/fs/cgroup/unified && exec "$@"' _ "$@"
