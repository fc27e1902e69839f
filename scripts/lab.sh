#!/usr/bin/env bash
# The embedded lab: three Debian 12 systemd containers standing in for bare-metal hosts.
#   scripts/lab.sh up     build the image (cached), start the hosts, run site.yml -i inventories/lab
#   scripts/lab.sh down   remove the hosts and their networks
#   scripts/lab.sh start  only start the hosts (used by benchmarks)
# podman needs a private mount namespace on this kind of VM: the script re-executes itself inside one.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "${CHAINOPS_IN_PODMAN_NS:-}" = 1 ] || exec scripts/in-podman-ns.sh "$0" "$@"
export PATH="$here/.venv/bin:$PATH" ANSIBLE_CONFIG="$here/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$here/collections"

image=localhost/chainops-debian:12
nodes=(lab-node1 lab-node2 lab-node3)
declare -A mgmt_ip=([lab-node1]=10.89.100.11 [lab-node2]=10.89.100.12 [lab-node3]=10.89.100.13)
declare -A p2p_ip=([lab-node1]=10.89.101.11 [lab-node2]=10.89.101.12 [lab-node3]=10.89.101.13)

networks() {
  podman network exists chainops-lab || podman network create --subnet 10.89.100.0/24 chainops-lab >/dev/null
  podman network exists chainops-lab-p2p || podman network create --subnet 10.89.101.0/24 chainops-lab-p2p >/dev/null
}

start_hosts() {
  bash scripts/lab-image.sh 12
  networks
  for n in "${nodes[@]}"; do
    if podman container exists "$n"; then
      if [ "$(podman inspect -f '{{.State.Running}}' "$n")" = true ]; then continue; fi
      # a stopped lab host (machine restarted, or a start that failed) is recreated: the lab is disposable
      podman start "$n" >/dev/null 2>&1 && continue
      podman rm -f -t 2 "$n" >/dev/null 2>&1 || true
    fi
    # a lab host removed while its network namespace was unreachable leaves its CNI address lease behind
    rm -f "/var/lib/cni/networks/chainops-lab/${mgmt_ip[$n]}" "/var/lib/cni/networks/chainops-lab-p2p/${p2p_ip[$n]}"
    # eth0 = management network, eth1 = P2P network (podman attaches them in this order)
    podman run -d --name "$n" --hostname "$n" \
      --network "chainops-lab:ip=${mgmt_ip[$n]}" --network "chainops-lab-p2p:ip=${p2p_ip[$n]}" \
      --systemd=always --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
      --cap-add NET_ADMIN --cap-add AUDIT_WRITE \
      --label chainops.lab=1 "$image" /lib/systemd/systemd >/dev/null
  done
  for n in "${nodes[@]}"; do
    for _ in $(seq 1 60); do
      state=$(podman exec "$n" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    echo "lab: $n is up (systemd: ${state:-unknown}; eth0 ${mgmt_ip[$n]}, eth1 ${p2p_ip[$n]})"
  done
  bash scripts/lab-standins.sh
}

case "${1:-up}" in
  up)
    start_hosts
    ansible-playbook site.yml -i inventories/lab "${@:2}"
    ;;
  start)
    start_hosts
    ;;
  down)
    for n in "${nodes[@]}"; do podman rm -f -t 5 "$n" >/dev/null 2>&1 || true; done
    podman network rm chainops-lab chainops-lab-p2p >/dev/null 2>&1 || true
    echo "lab: removed ${nodes[*]} and their networks"
    ;;
  *) echo "usage: $0 up|down|start" >&2; exit 2 ;;
esac
