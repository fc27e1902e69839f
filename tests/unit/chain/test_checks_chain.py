"""Preflight checks of the chain layer (plugins/plugin_utils/_checks_chain.py), called directly."""

import copy

import pytest

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_cluster_net as net
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_chain import chain_images, check_chain
from ansible_collections.chainops.ethereum.plugins.plugin_utils._inventory_checks import _Problems, _View

GOOD = {
    "chainops_network": "mainnet",
    "chainops_chain_sidecar_image": "docker.io/library/python:3.12.12-slim",
    "chainops_chain_storage_class": "local-path",
    "chainops_chain_volume_sizes": {"geth": "2Ti", "lighthouse": "300Gi", "nethermind": "2Ti", "teku": "300Gi"},
    "chainops_min_ready_pairs": 1,
    "chainops_beacon_clients": [{"namespace": "chainops-validators"}],
    "chainops_health_check_cidrs": ["10.10.0.0/24"],
    "metallb_pools": [{"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/30"]}],
    "chainops_pairs": [
        {"name": "geth-lighthouse", "execution": {"client": "geth", "version": "v1.17.6"}, "consensus": {"client": "lighthouse", "version": "v8.2.2"}},
        {"name": "nethermind-teku", "execution": {"client": "nethermind", "version": "2.1.0"}, "consensus": {"client": "teku", "version": "26.9.1"}},
    ],
}


def run(changes=None, drop=()):
    variables = copy.deepcopy(GOOD)
    variables.update(copy.deepcopy(changes or {}))
    for name in drop:
        variables.pop(name)
    problems = _Problems()
    check_chain(_View(variables), problems)
    return problems.lines


def test_good_inventory_passes():
    assert run() == []


@pytest.mark.parametrize("changes, drop, expected", [
    ({"chainops_chain_volume_size": {}}, (), "chainops_chain_volume_size: is not a chain-layer variable; fix: did you mean chainops_chain_volume_sizes?"),
    ({}, ("chainops_chain_sidecar_image",), "chainops_chain_sidecar_image: is missing"),
    ({"chainops_chain_sidecar_image": "python:latest"}, (), "is not pinned to a Python release"),
    ({"chainops_chain_sidecar_image": "python:3.12-slim"}, (), "is not pinned to a Python release"),
    ({}, ("chainops_chain_volume_sizes",), "chainops_chain_volume_sizes: is missing"),
    ({"chainops_chain_volume_sizes": {"geth": "2Ti", "lighthouse": "300Gi", "nethermind": "2Ti", "teku": "lots"}}, (),
     "teku: 'lots' is not a Kubernetes quantity"),
    ({"chainops_chain_volume_sizes": {"geth": "2Ti", "lighthouse": "300Gi", "nethermind": "2Ti"}}, (), "has no size for teku (used by pair nethermind-teku)"),
    ({"chainops_chain_volume_sizes": {"geht": "2Ti"}}, (), "chainops_chain_volume_sizes.geht: is not a known client; fix: did you mean geth?"),
    ({"metallb_pools": [{"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/32"]}]}, (),
     "metallb_pools: the p2p pool (192.0.2.128/32) has 1 free addresses for 2 pairs without p2p_address"),
    ({"metallb_pools": [{"name": "public", "network": "p2p", "addresses": ["192.0.2.128/30"]}]}, (), "has no pool named p2p"),
    ({"chainops_min_ready_pairs": 2}, (), "chainops_min_ready_pairs: 2 leaves no pair that may be down among 2 pairs"),
    ({"chainops_min_ready_pairs": "one"}, (), "is 'one', not a whole number"),
    ({"chainops_beacon_clients": [{"ns": "x"}]}, (), "chainops_beacon_clients[0]"),
    ({"chainops_health_check_cidrs": ["10.10.0.0/33"]}, (), "chainops_health_check_cidrs[0]: '10.10.0.0/33' is not a CIDR"),
    ({"chainops_ingress_namespace": "Ingress_NGINX"}, (), "chainops_ingress_namespace: 'Ingress_NGINX' is not a namespace name"),
    ({"chainops_chain_mode": "devnet", "chainops_devnet": {"config_file": "/c"}}, (), "geth's devnet mode is test-only"),
    ({"chainops_chain_mode": "testnet"}, (), "chainops_chain_mode: 'testnet' is not a mode"),
    ({"chainops_devnet": {"config_file": "/c"}}, (), "chainops_devnet: is set but chainops_chain_mode is public"),
    ({"chainops_beacon_ingress": False, "chainops_edge_routes": [{"name": "beacon-public", "kind": "beacon"}]}, (),
     "chainops_beacon_ingress: is false, so the NetworkPolicies keep the ingress from the Beacon API that the edge routes beacon-public serve"),
])
def test_bad_input_is_named(changes, drop, expected):
    lines = run(changes, drop)
    assert any(expected in line for line in lines), lines


def test_p2p_address_outside_pool_and_duplicate():
    pairs = copy.deepcopy(GOOD["chainops_pairs"])
    pairs[0]["p2p_address"] = "192.0.2.1"
    pairs[1]["p2p_address"] = "192.0.2.1"
    lines = run({"chainops_pairs": pairs})
    assert any("chainops_pairs[0].p2p_address: 192.0.2.1 is outside the MetalLB p2p pool" in line for line in lines), lines
    assert any("chainops_pairs[1].p2p_address: 192.0.2.1 is also pair geth-lighthouse's address" in line for line in lines), lines


def test_long_pair_name():
    pairs = copy.deepcopy(GOOD["chainops_pairs"])
    pairs[0]["name"] = "a" * 41
    assert any("has 41 characters" in line for line in run({"chainops_pairs": pairs}))


def test_devnet_mode_in_a_test_inventory():
    pairs = [{"name": "geth-lodestar", "execution": {"client": "geth", "version": "v1.17.6"}, "consensus": {"client": "lodestar", "version": "v1.49.0"}}]
    base = {"chainops_pairs": pairs, "chainops_chain_volume_sizes": {"geth": "1Gi", "lodestar": "1Gi"}, "chainops_chain_mode": "devnet",
            "chainops_min_ready_pairs": 0,
            "chainops_devnet": {"config_file": "/devnet/config.yaml", "genesis_state_file": "/devnet/genesis.ssz", "genesis_file": "/g.json"}}
    assert any("test-only" in line for line in run(base))
    assert run(dict(base, chainops_test_inventory=True)) == []
    bad = dict(base, chainops_test_inventory=True, chainops_devnet={"config_fille": "/c"})
    assert any("chainops_devnet.config_fille: is not a devnet setting; fix: did you mean config_file?" in line for line in run(bad))


def test_airgap_needs_a_source_for_every_chain_image():
    variables = copy.deepcopy(GOOD)
    assert chain_images(_View(variables)) == [
        "docker.io/library/python:3.12.12-slim", "docker.io/ethereum/client-go:v1.17.6", "docker.io/sigp/lighthouse:v8.2.2",
        "docker.io/nethermind/nethermind:2.1.0", "docker.io/consensys/teku:26.9.1",
    ]
    variables.update(k3s_install_mode="airgap", k3s_server_kube_vip=False)
    problems = _Problems()
    net.check_cluster_net(_View(variables), problems)
    assert len(problems.lines) == 5 and "docker.io/sigp/lighthouse:v8.2.2" in problems.lines[2], problems.lines
    variables["k3s_registries"] = {"mirrors": {"docker.io": {"endpoint": ["https://mirror.example.net"]}}}
    problems = _Problems()
    net.check_cluster_net(_View(variables), problems)
    assert problems.lines == []
