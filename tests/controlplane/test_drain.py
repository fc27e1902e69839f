"""roles/k3s_common/tasks/upgrade.yml's cordon, drain (Eviction API), wait-for-Ready and uncordon against a real
API server, with only the host-side binary swap stubbed: a drain the PDB allows evicts the pair and the node
comes back schedulable; a drain the PDB refuses stops the upgrade with a clear message and uncordons the node."""

import os

import controlplane
import pytest
import workloads as w
import yaml
from kubernetes import client

UPGRADE_TASKS = os.path.join(controlplane.REPO, "roles", "k3s_common", "tasks", "upgrade.yml")
# modules that act on the host (the binary swap): replaced by a notice; everything else runs as written
HOST_SIDE = {"ansible.builtin.include_tasks", "ansible.builtin.meta", "ansible.builtin.systemd_service"}


def _module(task):
    return next((k for k in task if k.startswith("ansible.builtin.") or k.startswith("kubernetes.core.")), None)


def stub_binary_swap(path):
    """upgrade.yml without its Preflight import (host checks) and with the host-side steps replaced."""
    with open(UPGRADE_TASKS) as f:
        tasks = yaml.safe_load(f)
    blocks = [t for t in tasks if "block" in t]
    assert len(blocks) == 1 and "rescue" in blocks[0], "upgrade.yml changed shape: one block/rescue expected"
    block = blocks[0]
    stubbed, kept = [], []
    for task in block["block"]:
        module = _module(task)
        if module in HOST_SIDE:
            stubbed.append(task["name"])
            kept.append({"name": "STUBBED: " + task["name"], "ansible.builtin.debug": {"msg": "k3s binary swap stubbed"}})
        else:
            kept.append(task)
    assert [_module(t) for t in kept if not t["name"].startswith("STUBBED")] == [
        "kubernetes.core.k8s_drain", "ansible.builtin.assert", "kubernetes.core.k8s_info", "kubernetes.core.k8s_drain"], kept
    with open(path, "w") as f:
        yaml.safe_dump([dict(block, block=kept)], f, sort_keys=False)
    return stubbed


@pytest.fixture(scope="module")
def fleet(prod, tmp_path_factory):
    api = prod.api_client()
    w.create_namespace(api, "fleet")
    w.create(api, "fleet", [w.pair_statefulset(p) for p in prod.config["pairs"]] + [w.fleet_pdb()])
    tasks = str(tmp_path_factory.mktemp("upgrade") / "upgrade-stubbed.yml")
    stubbed = stub_binary_swap(tasks)
    assert stubbed == ["Install the new release", "Restart with the new binary when it was placed now",
                       "Restart when the binary was already in place from an earlier attempt"], stubbed
    return prod, api, tasks


def _all_ready(api, count):
    def check():
        pods = w.pods(api, "fleet")
        return pods if len(pods) == count and all(w.is_ready(p) for p in pods) else None

    return w.wait_for("%d pairs Ready" % count, check)


def _allowed(api, value):
    policy = client.PolicyV1Api(api)

    def check():
        status = policy.read_namespaced_pod_disruption_budget("pairs", "fleet").status
        return status if status.observed_generation and status.disruptions_allowed == value else None

    return w.wait_for("PDB disruptionsAllowed == %d" % value, check)


def _upgrade(cp, tasks, node, **overrides):
    evars = {"controlplane_upgrade_tasks": tasks,
             "k3s_upgrade_drain_timeout": 30, "k3s_upgrade_drain_retries": 2, "k3s_upgrade_drain_delay": 2}
    evars.update(overrides)
    return cp.playbook("drain.yml", evars, limit=node)


def _node(api, name):
    return client.CoreV1Api(api).read_node(name)


def test_drain_the_pdb_allows_evicts_and_uncordons(fleet):
    cp, api, tasks = fleet
    pods = _all_ready(api, len(cp.config["pairs"]))
    _allowed(api, 1)
    victim = pods[0]
    node = victim.spec.node_name
    proc = _upgrade(cp, tasks, node)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "STUBBED: Install the new release" in proc.stdout
    assert not _node(api, node).spec.unschedulable, "the node must be uncordoned after the upgrade"
    # the pair was evicted (its pod object replaced), and the fleet is whole again
    after = _all_ready(api, len(cp.config["pairs"]))
    same_name = [p for p in after if p.metadata.name == victim.metadata.name]
    assert same_name and same_name[0].metadata.uid != victim.metadata.uid


def test_drain_that_would_break_the_pdb_stops_the_upgrade(fleet):
    cp, api, tasks = fleet
    pods = _all_ready(api, len(cp.config["pairs"]))
    # two more pairs than free hosts: one stays Pending, so the budget (maxUnavailable 1) is spent
    w.create(api, "fleet", [w.pair_statefulset("extra-1"), w.pair_statefulset("extra-2")])
    _allowed(api, 0)
    victim = pods[0]
    node = victim.spec.node_name
    proc = _upgrade(cp, tasks, node)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-6000:]
    assert "k3s upgrade stopped at %s" % node in out, out[-6000:]
    assert "disruption budget" in out, out[-6000:]
    assert "The node was uncordoned." in out, out[-6000:]
    assert not _node(api, node).spec.unschedulable
    still = [p for p in w.pods(api, "fleet") if p.metadata.name == victim.metadata.name]
    assert still and still[0].metadata.uid == victim.metadata.uid and still[0].metadata.deletion_timestamp is None
