"""k3s_bootstrap_plan: cluster-init only when no cluster exists anywhere; otherwise every dataless server joins."""

import pytest

from ansible_collections.chainops.ethereum.plugins.filter.k3s_cluster import K3sClusterError, k3s_bootstrap_plan

SERVERS = ["s1", "s2", "s3"]
ADDR = {"s1": "10.0.0.11", "s2": "10.0.0.12", "s3": "10.0.0.13"}
VIP = "10.0.0.10"
CA = "c" * 64


def probe(data=False, marker=False, ca=None, answers=None):
    return {"data": data, "marker": marker, "ca_sha256": ca, "answers": answers or {}}


def fresh():
    return {host: probe() for host in SERVERS}


def test_fresh_cluster_first_server_bootstraps_others_join_the_vip():
    plan = k3s_bootstrap_plan(fresh(), SERVERS, VIP, 6443, ADDR)
    assert plan["existing"] is False
    assert plan["modes"] == {"s1": "cluster-init", "s2": "join", "s3": "join"}
    assert plan["bootstrap"] == ["s1"]
    assert set(plan["urls"].values()) == {"https://10.0.0.10:6443"}
    assert "s1 bootstraps" in plan["reason"]


def test_rebuilt_first_server_joins_when_others_hold_data():
    probes = fresh()
    probes["s2"] = probe(data=True, ca=CA)
    probes["s3"] = probe(data=True, ca=CA)
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["existing"] is True
    assert plan["modes"]["s1"] == "join"
    assert plan["bootstrap"] == []
    assert plan["ca_sha256"] == CA
    assert "etcd data on s2, s3" in plan["reason"]


def test_rebuilt_first_server_joins_when_only_the_vip_answers():
    probes = fresh()
    probes["s1"] = probe(answers={"10.0.0.10:6443": True})
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["modes"]["s1"] == "join" and plan["bootstrap"] == []
    assert plan["urls"]["s1"] == "https://10.0.0.10:6443"


def test_joins_an_answering_server_directly_when_the_vip_is_silent():
    probes = fresh()
    probes["s1"] = probe(answers={"10.0.0.10:6443": False, "10.0.0.13:6443": True})
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["modes"]["s1"] == "join"
    assert plan["urls"]["s1"] == "https://10.0.0.13:6443"
    assert "API answers on s3" in plan["reason"]


def test_a_server_answering_only_itself_is_not_evidence():
    """A server's probe of its own address is not asked for; only other servers' answers count."""
    probes = fresh()
    probes["s1"] = probe(answers={"10.0.0.11:6443": True})
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["modes"]["s1"] == "cluster-init"


def test_rerun_keeps_each_member_as_it_was_formed():
    probes = {"s1": probe(data=True, marker=True, ca=CA), "s2": probe(data=True, ca=CA), "s3": probe(data=True, ca=CA)}
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["modes"] == {"s1": "cluster-init", "s2": "join", "s3": "join"}
    assert plan["bootstrap"] == []


def test_a_stale_marker_without_data_does_not_bootstrap_a_second_cluster():
    probes = {"s1": probe(marker=True), "s2": probe(data=True, ca=CA), "s3": probe(data=True, ca=CA)}
    assert k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)["modes"]["s1"] == "join"


def test_cold_start_with_data_somewhere_bootstraps_nobody():
    probes = fresh()
    probes["s3"] = probe(data=True, ca=CA)
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["bootstrap"] == [] and plan["modes"]["s1"] == "join"


def test_two_clusters_are_refused():
    probes = {"s1": probe(data=True, marker=True, ca="a" * 64), "s2": probe(data=True, ca="b" * 64), "s3": probe()}
    with pytest.raises(K3sClusterError, match="different clusters"):
        k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)


def test_a_missing_probe_never_leads_to_cluster_init():
    """A server left out (--limit, unreachable) may hold the cluster: bootstrapping would be a guess."""
    probes = fresh()
    del probes["s3"]
    with pytest.raises(K3sClusterError, match="no probe result from s3 and nothing the probed servers see shows a cluster"):
        k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    with pytest.raises(K3sClusterError, match="no probe result from any server"):
        k3s_bootstrap_plan({}, SERVERS, VIP, 6443, ADDR)


def test_a_missing_probe_is_fine_when_the_probed_servers_see_the_cluster():
    probes = {"s1": probe(answers={"10.0.0.10:6443": True}), "s2": probe(data=True, ca=CA)}
    plan = k3s_bootstrap_plan(probes, SERVERS, VIP, 6443, ADDR)
    assert plan["modes"] == {"s1": "join", "s2": "join"}
    assert "s3" not in plan["urls"]


def test_ipv6_vip_is_bracketed():
    servers = ["a"]
    plan = k3s_bootstrap_plan({"a": probe(answers={"[fd00::10]:6443": True})}, servers, "fd00::10", 6443, {"a": "fd00::11"})
    assert plan["modes"]["a"] == "join" and plan["urls"]["a"] == "https://[fd00::10]:6443"
