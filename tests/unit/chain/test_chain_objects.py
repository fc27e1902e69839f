"""The chain layer's object builder (plugins/filter/chain_objects.py) without Ansible."""

import copy

import pytest
import yaml

from ansible_collections.chainops.ethereum.plugins.filter import chain_objects as co
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles as cp

SETTINGS = {
    "namespace": "chainops-chain", "network": "mainnet", "mode": "public", "devnet": {}, "expected_chain_id": 0,
    "pairs": [
        {"name": "geth-lodestar", "execution": {"client": "geth", "version": "v1.17.6"}, "consensus": {"client": "lodestar", "version": "v1.49.0"}},
        {"name": "reth-prysm", "p2p_address": "192.0.2.130", "execution": {"client": "reth", "version": "v2.7.0"},
         "consensus": {"client": "prysm", "version": "v7.2.0", "checkpoint_sync_url": "https://cp.example"}},
    ],
    "p2p_pool": ["192.0.2.128/30"], "p2p_pool_name": "p2p", "storage_class": "local-path",
    "volume_sizes": {"geth": "2Ti", "lodestar": "300Gi", "reth": "2Ti", "prysm": "300Gi"}, "checkpoint_sync_url": "",
    "sidecar_image": "docker.io/library/python:3.12.12-slim", "sidecar_run_as": {"uid": 65532, "gid": 65532}, "sidecar_criteria": {},
    "priority_class": "chainops-chain", "priority_value": 1000000, "ingress_namespace": "ingress-nginx", "monitoring_namespace": "monitoring",
    "beacon_clients": [{"namespace": "chainops-validators"}], "beacon_ingress": False, "health_check_cidrs": ["10.10.0.0/24"],
    "cluster_cidr": "10.42.0.0/16", "rpc_hostnames": [], "read_only_root": {c: True for c in ("geth", "lodestar", "reth", "prysm")},
    "spread": {"topology.chainops.io/rack": "DoNotSchedule", "topology.kubernetes.io/zone": "ScheduleAnyway"},
    "min_ready_pairs": None, "cluster_domain": "cluster.local",
}


def build(**changes):
    settings = copy.deepcopy(SETTINGS)
    settings.update(changes)
    return {entry["name"]: entry["objects"] for entry in co.chain_objects(settings)}


def test_pool_addresses_and_assignment():
    assert co.pool_addresses(["192.0.2.128/30"]) == ["192.0.2.129", "192.0.2.130"]
    assert co.pool_addresses(["10.0.0.5-10.0.0.7", "10.0.1.9/32"]) == ["10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.1.9"]
    # a pinned address is never handed to another pair; the rest go in inventory order
    assigned = co.assign_p2p_addresses(SETTINGS["pairs"], SETTINGS["p2p_pool"])
    assert assigned == {"geth-lodestar": "192.0.2.129", "reth-prysm": "192.0.2.130"}
    pairs = [{"name": "a"}, {"name": "b", "p2p_address": "192.0.2.129"}]
    assert co.assign_p2p_addresses(pairs, SETTINGS["p2p_pool"]) == {"a": "192.0.2.130", "b": "192.0.2.129"}
    with pytest.raises(co.ChainRenderError, match="no free address left for pair 'c'"):
        co.assign_p2p_addresses(pairs + [{"name": "c"}], SETTINGS["p2p_pool"])


def test_pair_renders_profile_args_and_announces_its_address():
    files = build()
    sts, _direct, tcp, udp = files["50-pair-reth-prysm"]
    cl = sts["spec"]["template"]["spec"]["containers"][1]
    assert "--p2p-host-ip=192.0.2.130" in cl["args"] and "--checkpoint-sync-url=https://cp.example" in cl["args"]
    assert tcp["metadata"]["annotations"]["metallb.io/loadBalancerIPs"] == "192.0.2.130"
    assert {(p["port"], p["protocol"]) for p in udp["spec"]["ports"]} == {(30303, "UDP"), (9200, "UDP"), (12000, "UDP"), (13000, "UDP")}
    el = files["50-pair-geth-lodestar"][0]["spec"]["template"]["spec"]["containers"][0]
    assert "--nat=extip:192.0.2.129" in el["args"]


def test_errors_name_the_variable():
    with pytest.raises(co.ChainRenderError, match="chainops_chain_volume_sizes has no size for prysm"):
        build(volume_sizes={"geth": "1", "lodestar": "1", "reth": "1"})
    with pytest.raises(co.ChainRenderError, match="chainops_min_ready_pairs"):
        build(min_ready_pairs=2)
    with pytest.raises(co.ChainRenderError, match="chainops_pairs is empty"):
        build(pairs=[])
    with pytest.raises(co.ChainRenderError, match="setting 'namespace' is missing"):
        co.chain_objects({k: v for k, v in SETTINGS.items() if k != "namespace"})
    bad = copy.deepcopy(SETTINGS["pairs"])
    bad[0]["execution"]["version"] = "latest"
    with pytest.raises(co.ChainRenderError, match="geth-lodestar"):
        build(pairs=bad)


def test_sidecar_configmap_holds_every_listed_file(monkeypatch):
    monkeypatch.setattr(co._sidecar, "sidecar_files", lambda: {"_eth_health.py": "M = 1\n", "_eth_health_sidecar.py": "print('s')\n"})
    files = build()
    (cm,) = files["20-health-sidecar"]
    assert cm["data"] == {"_eth_health.py": "M = 1\n", "_eth_health_sidecar.py": "print('s')\n"}
    health = files["50-pair-geth-lodestar"][0]["spec"]["template"]["spec"]["containers"][2]
    assert health["command"] == ["python3", "/opt/chainops/health/_eth_health_sidecar.py"]


def test_sidecar_configmap_is_the_real_sidecar():
    (cm,) = build()["20-health-sidecar"]
    assert sorted(cm["data"]) == ["_eth_health.py", "_eth_health_sidecar.py"]
    assert "def main(" in cm["data"]["_eth_health_sidecar.py"] or "__main__" in cm["data"]["_eth_health_sidecar.py"]


def test_sidecar_without_its_program_is_refused(monkeypatch):
    monkeypatch.setattr(co._sidecar, "sidecar_files", lambda: {"_eth_health.py": "M = 1\n"})
    with pytest.raises(co.ChainRenderError, match="do not hold its program"):
        build()


def test_yaml_is_stable_and_round_trips():
    objects = build()["50-pair-geth-lodestar"]
    text = co.chain_yaml(objects)
    assert text == co.chain_yaml(copy.deepcopy(objects))
    assert list(yaml.safe_load_all(text)) == objects
    assert "command:\n        - python3\n        - -c\n        - |\n" in text


def test_devnet_context_reaches_the_client():
    pairs = [{"name": "geth-lodestar", "execution": {"client": "geth", "version": "v1.17.6"}, "consensus": {"client": "lodestar", "version": "v1.5.1"}}]
    devnet = {"config_file": "/devnet/config.yaml", "genesis_state_file": "/devnet/genesis.ssz", "genesis_file": "/devnet/genesis.json",
              "network_id": 1337, "bootnodes": ["enr:-x"]}
    files = build(mode="devnet", devnet=devnet, pairs=pairs, network="devnet", expected_chain_id=1337)
    pod = files["50-pair-geth-lodestar"][0]["spec"]["template"]["spec"]
    cl = pod["containers"][1]["args"]
    assert "--paramsFile=/devnet/config.yaml" in cl and "--bootnodes=enr:-x" in cl and not any(a.startswith("--network=") for a in cl)
    assert '--criteria={"expected_chain_id":1337}' in pod["containers"][2]["args"]


def test_gate_pairs_name_each_pair_service_and_its_ports():
    gate = co.chain_gate_pairs(SETTINGS["pairs"])
    assert [g["name"] for g in gate] == ["geth-lodestar", "reth-prysm"]
    assert gate[1]["execution"] == {"kubernetes": {"namespace": "chainops-chain", "service": "reth-prysm", "port": "rpc"}}
    assert gate[1]["consensus"]["kubernetes"]["port"] == "beacon"
    # the named ports exist on the rendered per-pair Service
    direct = build()["50-pair-reth-prysm"][1]
    assert {"rpc", "beacon"} <= {p["name"] for p in direct["spec"]["ports"]}


def _profiles_with(change):
    profiles = copy.deepcopy(cp.load_profiles())
    change(profiles)
    return profiles


def test_an_execution_profile_without_a_websocket_port_is_refused():
    def drop_ws(profiles):
        profiles["geth"]["ports"] = [p for p in profiles["geth"]["ports"] if p["name"] != "el-ws"]
        profiles["geth"]["args"] = [a for a in profiles["geth"]["args"] if "ws_port" not in a.get("arg", "")]

    with pytest.raises(co.ChainRenderError, match=r"geth opens no WebSocket port \(el-ws\)"):
        build(profiles=_profiles_with(drop_ws))
    files = build()
    rpc = [s for s in files["30-services"] if s["metadata"]["name"] == "rpc"][0]
    assert [(p["name"], p["port"], p["targetPort"]) for p in rpc["spec"]["ports"]] == [("rpc", 8545, "el-rpc"), ("ws", 8546, "el-ws")]


def test_a_run_once_init_needs_an_explicit_command():
    pairs = [dict(SETTINGS["pairs"][0], consensus={"client": "nimbus", "version": "v26.10.2", "checkpoint_sync_url": "https://cp.example"})]
    sizes = dict(SETTINGS["volume_sizes"], nimbus="300Gi")
    read_only = dict(SETTINGS["read_only_root"], nimbus=True)
    init = build(pairs=pairs, volume_sizes=sizes, read_only_root=read_only)["50-pair-geth-lodestar"][0]["spec"]["template"]["spec"]["initContainers"][1]
    assert init["command"][:2] == ["/bin/sh", "-c"] and init["command"][4:] == ["/data/nimbus/.chainops-trusted-node-sync", "/home/user/nimbus_beacon_node"]
    assert init["args"][0] == "trustedNodeSync"

    def entrypoint_only(profiles):
        profiles["nimbus"]["init"]["command"] = []

    with pytest.raises(co.ChainRenderError, match="nimbus: init.marker needs init.command"):
        build(pairs=pairs, volume_sizes=sizes, read_only_root=read_only, profiles=_profiles_with(entrypoint_only))
