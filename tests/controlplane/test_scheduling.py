"""What the real scheduler and controllers decide for a pair fleet on the production example's nodes (names,
racks, zone and size as the host layer labels them): one pair per host, spread over racks, a PDB that allows
exactly one disruption, and a fleet too big for the hosts left Pending with the scheduler's reason."""

import collections

import workloads as w
from kubernetes import client


def _node_racks(cp):
    return {n.metadata.name: n.metadata.labels[w.RACK_LABEL] for n in client.CoreV1Api(cp.api_client()).list_node().items}


def _pdb(cp, namespace):
    return client.PolicyV1Api(cp.api_client()).read_namespaced_pod_disruption_budget("pairs", namespace).status


def _pdb_when(cp, namespace, **want):
    status = _pdb(cp, namespace)
    return status if all(getattr(status, k) == v for k, v in want.items()) else None


def test_api_server_is_the_pinned_k3s_minor(prod):
    info = client.VersionApi(prod.api_client()).get_code()
    major, minor = prod.config["k3s_version"].lstrip("v").split(".")[:2]
    assert (info.major, info.minor) == (major, minor), (info.git_version, prod.config["k3s_version"])
    assert prod.config["k3s_version"].startswith(info.git_version + "+"), info.git_version


def test_fake_nodes_carry_the_host_layer_labels(prod):
    nodes = {n.metadata.name: n for n in client.CoreV1Api(prod.api_client()).list_node().items}
    assert sorted(nodes) == ["eth-agent1", "eth-agent2", "eth-srv1", "eth-srv2", "eth-srv3"]
    assert {name: n.metadata.labels[w.RACK_LABEL] for name, n in nodes.items()} == {
        "eth-srv1": "rack-a", "eth-srv2": "rack-b", "eth-srv3": "rack-c", "eth-agent1": "rack-a", "eth-agent2": "rack-b"}
    assert {n.metadata.labels["topology.kubernetes.io/zone"] for n in nodes.values()} == {"dc1"}
    assert all(n.metadata.labels[w.HOST_LABEL] == name for name, n in nodes.items())
    assert all(n.status.allocatable["cpu"] == "8" for n in nodes.values())


def test_pairs_land_on_distinct_hosts_spread_over_racks(prod):
    api = prod.api_client()
    pairs = prod.config["pairs"]
    assert len(pairs) == 4, pairs
    w.create_namespace(api, "pairs-spread")
    w.create(api, "pairs-spread", [w.pair_statefulset(p) for p in pairs] + [w.fleet_pdb()])
    ready = w.wait_for("every pair Running and Ready",
                       lambda: [p for p in w.pods(api, "pairs-spread") if w.is_ready(p)] if
                       sum(w.is_ready(p) for p in w.pods(api, "pairs-spread")) == len(pairs) else None)
    hosts = [p.spec.node_name for p in ready]
    assert len(set(hosts)) == len(pairs), hosts
    racks = _node_racks(prod)
    per_rack = collections.Counter(racks[h] for h in hosts)
    assert set(per_rack) == set(racks.values()), per_rack  # every rack holds a pair
    assert max(per_rack.values()) - min(per_rack.values()) <= 1, per_rack

    status = w.wait_for("the PDB status to count the fleet", lambda: _pdb_when(prod, "pairs-spread", current_healthy=len(pairs)))
    assert (status.expected_pods, status.desired_healthy, status.disruptions_allowed) == (4, 3, 1), status


def test_a_fleet_the_hosts_cannot_hold_stays_pending_with_the_reason(prod):
    api = prod.api_client()
    names = ["overflow-%d" % i for i in range(6)]  # six pairs, five hosts
    w.create_namespace(api, "pairs-overflow")
    w.create(api, "pairs-overflow", [w.pair_statefulset(n) for n in names] + [w.fleet_pdb()])

    def settled():
        pods = w.pods(api, "pairs-overflow")
        ready = [p for p in pods if w.is_ready(p)]
        pending = [p for p in pods if p.status.phase == "Pending" and any(
            c.type == "PodScheduled" and c.status == "False" for c in p.status.conditions or [])]
        return (ready, pending) if len(ready) == 5 and len(pending) == 1 else None

    ready, pending = w.wait_for("five pairs Ready and one unschedulable", settled)
    assert len({p.spec.node_name for p in ready}) == 5
    condition = next(c for c in pending[0].status.conditions if c.type == "PodScheduled")
    assert condition.reason == "Unschedulable", condition
    assert "0/5 nodes are available" in condition.message and "didn't match pod anti-affinity rules" in condition.message, condition.message
    status = w.wait_for("the PDB to see 5 of 6 healthy", lambda: _pdb_when(prod, "pairs-overflow", expected_pods=6, current_healthy=5))
    assert status.disruptions_allowed == 0, status
