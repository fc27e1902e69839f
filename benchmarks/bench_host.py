"""Benchmark: first converge vs no-op rerun of the host layer (playbooks/host.yml) on three fresh hosts.

Starts three systemd containers from localhost/chainops-debian:12 - the lab's image, the lab's shape (eth0
management, eth1 P2P, NET_ADMIN, the lab's inventory values) but its own names and networks, so a running
lab is left alone and the first converge really is a first one - then runs playbooks/host.yml twice with the
repository's ansible.cfg (fact cache in a private directory) and prints:

  host_first_converge_seconds=<s>
  host_rerun_seconds=<s>
  host_rerun_changed=<number of changed tasks in the rerun; must be 0>
  host_rerun_ratio=<rerun / first>       (target <= 0.3)

The containers and networks are removed afterwards (--keep leaves them). Exit status 1 when a run fails or
the rerun changed anything.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _podman_ns import in_podman_namespace

import yaml

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "localhost/chainops-debian:12"
NODES = {
    "bench-node1": ("10.89.110.11", "10.89.111.11", "rack-a"),
    "bench-node2": ("10.89.110.12", "10.89.111.12", "rack-b"),
    "bench-node3": ("10.89.110.13", "10.89.111.13", "rack-c"),
}
NETWORKS = {"chainops-bench": "10.89.110.0/24", "chainops-bench-p2p": "10.89.111.0/24"}


def log(msg):
    print("bench_host: %s" % msg, file=sys.stderr, flush=True)


def run(cmd, check=True, **kwargs):
    return subprocess.run(cmd, check=check, text=True, **kwargs)


def remove_hosts():
    for name in NODES:
        run(["podman", "rm", "-f", "-t", "5", name], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for net in NETWORKS:
        run(["podman", "network", "rm", net], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_hosts():
    run(["bash", str(ROOT / "scripts" / "lab-image.sh"), "12"], stdout=subprocess.DEVNULL)
    remove_hosts()
    for net, subnet in NETWORKS.items():
        run(["podman", "network", "create", "--subnet", subnet, net], stdout=subprocess.DEVNULL)
    for name, (mgmt, p2p, _rack) in NODES.items():
        run(
            [
                "podman",
                "run",
                "-d",
                "--name",
                name,
                "--hostname",
                name,
                "--network",
                "chainops-bench:ip=%s" % mgmt,
                "--network",
                "chainops-bench-p2p:ip=%s" % p2p,
                "--systemd=always",
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=4096:4096",
                "--cap-add",
                "NET_ADMIN",
                IMAGE,
                "/lib/systemd/systemd",
            ],
            stdout=subprocess.DEVNULL,
        )
    for name in NODES:
        for _attempt in range(60):
            state = run(["podman", "exec", name, "systemctl", "is-system-running"], check=False, capture_output=True).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)


def write_inventory(directory):
    """The lab's inventory values with the bench's hosts and networks."""
    lab_vars = yaml.safe_load((ROOT / "inventories" / "lab" / "group_vars" / "all" / "main.yml").read_text())
    lab_vars = {k: v for k, v in lab_vars.items() if k not in ("chainops_render_dir", "chainops_secrets_dir")}
    lab_vars.update(
        {
            "ansible_connection": "containers.podman.podman",
            "ansible_python_interpreter": "/usr/bin/python3",
            "chainops_mgmt_network": NETWORKS["chainops-bench"],
            "chainops_p2p_network": NETWORKS["chainops-bench-p2p"],
            "chainops_p2p_gateway": "10.89.111.1",
            "chainops_admin_cidrs": [NETWORKS["chainops-bench"]],
            # no traffic to public NTP pools from a test: serve the local clock (what the lab should set too)
            "baseline_chrony_pools": [],
            "baseline_chrony_local_stratum": 10,
        }
    )
    hosts = {name: {"chainops_mgmt_address": mgmt, "chainops_p2p_address": p2p, "chainops_rack": rack} for name, (mgmt, p2p, rack) in NODES.items()}
    inventory = {"k3s_cluster": {"children": {"k3s_servers": {"hosts": hosts}, "k3s_agents": {"hosts": {}}}}, "all": {"vars": lab_vars}}
    path = Path(directory) / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def converge(inventory, facts, label):
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"),
        ANSIBLE_CACHE_PLUGIN_CONNECTION=str(facts),
        ANSIBLE_FORCE_COLOR="0",
        PATH="%s:%s" % (ROOT / ".venv" / "bin", os.environ.get("PATH", "")),
    )
    start = time.monotonic()
    proc = run(
        [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), str(ROOT / "playbooks" / "host.yml")],
        check=False,
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    elapsed = time.monotonic() - start
    changed = sum(int(n) for n in re.findall(r"\bchanged=(\d+)", proc.stdout))
    failed = sum(int(n) for n in re.findall(r"\b(?:failed|unreachable)=(\d+)", proc.stdout))
    if proc.returncode != 0 or failed:
        log("%s run failed (rc %d):\n%s\n%s" % (label, proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
        return None, changed
    log("%s run: %.1fs, %d changed" % (label, elapsed, changed))
    return elapsed, changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    in_podman_namespace(__file__)
    if not shutil.which("podman"):
        log("podman is not installed (scripts/bootstrap.sh installs it)")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="chainops-bench-host-"))
    status = 1
    try:
        log("starting %s" % ", ".join(NODES))
        start_hosts()
        inventory = write_inventory(workdir)
        facts = workdir / "facts"
        first, _first_changed = converge(inventory, facts, "first")
        if first is None:
            return 1
        rerun, changed = converge(inventory, facts, "rerun")
        if rerun is None:
            return 1
        print("host_first_converge_seconds=%.1f" % first)
        print("host_rerun_seconds=%.1f" % rerun)
        print("host_rerun_changed=%d" % changed)
        print("host_rerun_ratio=%.3f" % (rerun / first))
        status = 0 if changed == 0 else 1
        if changed:
            log("the rerun changed %d task(s): the host layer is not idempotent" % changed)
    finally:
        if not args.keep:
            remove_hosts()
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
