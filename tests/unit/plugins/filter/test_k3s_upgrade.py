"""k3s_upgrade_plan: servers one at a time, then agents in batches; unsafe or unsupported upgrades refused."""

import pytest

from ansible_collections.chainops.ethereum.plugins.filter.k3s_upgrade import (
    FilterModule,
    K3sUpgradePlanError,
    k3s_upgrade_plan,
    parse_k3s_version,
)

SERVERS = ["srv1", "srv2", "srv3"]
AGENTS = ["ag1", "ag2", "ag3", "ag4", "ag5"]
OLD = "v1.33.4+k3s1"
NEW = "v1.33.5+k3s1"


def _versions(default=OLD, **overrides):
    versions = {host: default for host in SERVERS + AGENTS}
    versions.update(overrides)
    return versions


def test_servers_one_at_a_time_then_agent_batches():
    plan = k3s_upgrade_plan(SERVERS, AGENTS, NEW, 2, node_versions=_versions())
    assert plan["batches"] == [
        {"role": "server", "hosts": ["srv1"]},
        {"role": "server", "hosts": ["srv2"]},
        {"role": "server", "hosts": ["srv3"]},
        {"role": "agent", "hosts": ["ag1", "ag2"]},
        {"role": "agent", "hosts": ["ag3", "ag4"]},
        {"role": "agent", "hosts": ["ag5"]},
    ]
    assert plan["servers"] == SERVERS
    assert plan["agents"] == AGENTS
    assert plan["upgrade"] == SERVERS + AGENTS
    assert plan["current"] == []
    assert plan["versions_known"] is True
    assert plan["warnings"] == []


def test_nodes_already_on_target_are_left_out_and_batches_close_up():
    plan = k3s_upgrade_plan(SERVERS, AGENTS, NEW, 2, node_versions=_versions(srv2=NEW, ag2=NEW, ag3=NEW))
    assert [b["hosts"] for b in plan["batches"]] == [["srv1"], ["srv3"], ["ag1", "ag4"], ["ag5"]]
    assert plan["current"] == ["srv2", "ag2", "ag3"]


def test_everything_current_means_nothing_to_do():
    plan = k3s_upgrade_plan(SERVERS, AGENTS, NEW, 1, node_versions=_versions(default=NEW))
    assert plan["batches"] == [] and plan["upgrade"] == []
    assert plan["current"] == SERVERS + AGENTS


def test_node_names_map_inventory_hosts_to_kubernetes_nodes():
    versions = {"node-a": OLD, "srv2": NEW, "srv3": NEW}
    plan = k3s_upgrade_plan(SERVERS, [], NEW, 1, node_versions=versions, node_names={"srv1": "node-a"})
    assert plan["servers"] == ["srv1"]
    assert plan["current"] == ["srv2", "srv3"]


def test_unknown_versions_plan_every_node_and_say_so():
    plan = k3s_upgrade_plan(SERVERS, AGENTS[:2], NEW, 1)
    assert plan["upgrade"] == SERVERS + AGENTS[:2]
    assert plan["versions_known"] is False
    assert any("unknown" in w for w in plan["warnings"])


def test_patch_and_next_minor_are_allowed():
    assert k3s_upgrade_plan(["s"], [], "v1.34.1+k3s1", node_versions={"s": "v1.33.9+k3s2"})["servers"] == ["s"]
    assert k3s_upgrade_plan(["s"], [], "v1.33.5+k3s2", node_versions={"s": "v1.33.5+k3s1"})["servers"] == ["s"]
    assert k3s_upgrade_plan(["s"], [], "v1.33.5+k3s1", node_versions={"s": "v1.33.5-rc1+k3s1"})["servers"] == ["s"]


@pytest.mark.parametrize("have, want, reason", [
    ("v1.33.5+k3s1", "v1.33.4+k3s1", "downgrade"),
    ("v1.33.5+k3s2", "v1.33.5+k3s1", "downgrade"),
    ("v1.33.5+k3s1", "v1.33.5-rc1+k3s1", "release candidate"),
    ("v1.31.9+k3s1", "v1.33.5+k3s1", "one minor version at a time .next: v1.32.x"),
])
def test_unsupported_version_steps_are_refused(have, want, reason):
    with pytest.raises(K3sUpgradePlanError, match=reason):
        k3s_upgrade_plan(["s"], [], want, node_versions={"s": have})


def test_unregistered_nodes_are_refused():
    with pytest.raises(K3sUpgradePlanError, match="not registered in the cluster: ag2"):
        k3s_upgrade_plan(SERVERS, ["ag1", "ag2"], NEW, 1, node_versions={h: OLD for h in SERVERS + ["ag1"]})


@pytest.mark.parametrize("servers, agents, batch, reason", [
    (["a"], ["a"], 1, "both k3s_servers and k3s_agents: a"),
    ([], ["b"], 1, "k3s_servers is empty"),
    (["a", "a"], [], 1, "lists a twice"),
    (["a"], ["b", "c"], 0, "at least 1"),
    (["a"], ["b", "c"], "two", "whole number"),
    (["a"], ["b", "c"], True, "at least 1"),
    (["a"], ["b", "c", "d"], 3, "drain all 3 agents at once; use at most 2"),
    (["a"], [""], 1, "empty"),
])
def test_bad_requests_are_refused(servers, agents, batch, reason):
    with pytest.raises(K3sUpgradePlanError, match=reason):
        k3s_upgrade_plan(servers, agents, NEW, batch)


def test_single_agent_with_batch_one_is_fine():
    assert k3s_upgrade_plan(["a"], ["b"], NEW, 1)["agents"] == ["b"]


@pytest.mark.parametrize("servers, warning", [
    (["a"], "API is down"),
    (["a", "b"], "loses quorum"),
    (["a", "b", "c", "d"], "odd number"),
])
def test_server_counts_that_hurt_availability_warn(servers, warning):
    assert any(warning in w for w in k3s_upgrade_plan(servers, [], NEW)["warnings"])


@pytest.mark.parametrize("bad", ["latest", "v1.33", "1.33.5+k3s1", "v1.33.5", "stable", None])
def test_target_must_be_pinned(bad):
    with pytest.raises(K3sUpgradePlanError, match="pinned k3s version"):
        k3s_upgrade_plan(["a"], [], bad)


def test_version_order():
    ordered = ["v1.32.9+k3s1", "v1.33.0-rc1+k3s1", "v1.33.0-rc2+k3s1", "v1.33.0+k3s1", "v1.33.0+k3s2", "v1.33.10+k3s1"]
    assert sorted(ordered, key=parse_k3s_version) == ordered


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["k3s_upgrade_plan"] is k3s_upgrade_plan
    assert filters["k3s_version_tuple"]("v1.33.5+k3s1") == [1, 33, 5, 1, 0, 1]
