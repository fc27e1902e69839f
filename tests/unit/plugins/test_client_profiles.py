"""Client profiles (data/clients/*.yml): loading, validation, version judgement and argument rendering."""

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles as cp

ROOT = Path(__file__).resolve().parents[3]
EXECUTION = ("besu", "erigon", "geth", "nethermind", "reth")
CONSENSUS = ("lighthouse", "lodestar", "nimbus", "prysm", "teku")


@pytest.fixture(scope="module")
def profiles():
    return cp.load_profiles()


@pytest.fixture
def tree(tmp_path):
    """A copy of data/clients in a scratch collection root, for broken-file tests."""
    shutil.copytree(ROOT / "data" / "clients", tmp_path / "data" / "clients")
    return tmp_path


def _edit(tree, name, change):
    path = tree / "data" / "clients" / ("%s.yml" % name)
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False))
    return path


# --- loading ----------------------------------------------------------------------------------------------


def test_loads_every_client_from_the_collection_root(profiles):
    assert cp.profiles_dir() == ROOT / "data" / "clients"
    assert cp.clients_of_kind(profiles, "execution") == EXECUTION
    assert cp.clients_of_kind(profiles, "consensus") == CONSENSUS


def test_contract_keys_the_preflight_reads(profiles):
    for name, data in profiles.items():
        assert data["name"] == name
        assert data["kind"] in ("execution", "consensus")
        assert "/" in data["image"] and ":" not in data["image"].rsplit("/", 1)[-1]
        version = data["version"]
        assert isinstance(version["tag_prefix"], str)
        assert cp.parse_release(version["minimum"]) <= cp.parse_release(version["recommended"])
        assert version["source"].strip()


def test_tag_conventions(profiles):
    tags = {name: cp.image_ref(data, data["version"]["recommended"]).rsplit(":", 1)[1] for name, data in profiles.items()}
    assert tags["geth"].startswith("v1.")
    assert tags["nethermind"][0].isdigit()
    assert tags["besu"][0].isdigit()
    assert tags["teku"][0].isdigit()
    assert tags["nimbus"].startswith("multiarch-v")
    assert tags["prysm"].startswith("v")


def test_missing_folder_and_empty_folder_are_errors(tmp_path):
    with pytest.raises(cp.ProfileError, match="folder is missing"):
        cp.load_profiles(tmp_path)
    (tmp_path / "data" / "clients").mkdir(parents=True)
    with pytest.raises(cp.ProfileError, match="holds no client profile"):
        cp.load_profiles(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("image"), r"geth\.yml: image is missing"),
        (lambda d: d["version"].pop("minimum"), r"geth\.yml: version\.minimum is missing"),
        (lambda d: d["version"].update(minimum="v1.16.7"), r"version\.minimum must be a bare X\.Y\.Z"),
        (lambda d: d["version"].update(recommended="1.0.0"), r"version\.recommended .* is older than version\.minimum"),
        (lambda d: d["version"].update(minimun="1.0.0"), r"version\.minimun is not a known key \(did you mean 'minimum'\?\)"),
        (lambda d: d.update(kind="beacon"), r"kind must be execution or consensus"),
        (lambda d: d.update(image="docker.io/ethereum/client-go:v1.16.7"), r"image must be a registry/repository without tag"),
        (lambda d: d.update(name="go-ethereum"), r"name is 'go-ethereum' but the file is geth\.yml"),
        (lambda d: d.update(imgae="x"), r"imgae is not a known key \(did you mean 'image'\?\)"),
        (lambda d: d["version"].update(tag_prefix="v "), r"version\.tag_prefix must be letters"),
        (lambda d: d["version"]["networks"]["sepolia"].update(minimum="1.16.7"), r"version\.networks\.sepolia\.minimum \(1\.16\.7\) must be later than"),
        (lambda d: d["version"]["networks"]["hoodi"].update(minimum="9.0.0"), r"version\.recommended \(1\.17\.10\) is older than version\.networks\.hoodi"),
        (lambda d: d["version"]["networks"].update(holesky={"minimum": "1.17.0", "reason": "x"}), r"version\.networks\.holesky names an unknown network"),
        (lambda d: d["version"]["networks"]["hoodi"].pop("reason"), r"version\.networks\.hoodi\.reason is missing"),
    ],
)
def test_malformed_profile_names_file_and_key(tree, change, message):
    _edit(tree, "geth", change)
    with pytest.raises(cp.ProfileError, match=message):
        cp.load_profiles(tree)


def test_invalid_yaml_names_the_file(tree):
    (tree / "data" / "clients" / "geth.yml").write_text("name: [geth\n")
    with pytest.raises(cp.ProfileError, match=r"geth\.yml: is not valid YAML"):
        cp.load_profiles(tree)


def test_a_new_client_is_one_file(tree):
    source = yaml.safe_load((tree / "data" / "clients" / "geth.yml").read_text())
    source["name"] = "newclient"
    (tree / "data" / "clients" / "newclient.yml").write_text("---\n" + yaml.safe_dump(source))
    loaded = cp.load_profiles(tree)
    assert "newclient" in cp.clients_of_kind(loaded, "execution")
    assert cp.version_reason("newclient", "v1.17.6", loaded) is None


# --- versions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "value"),
    [
        ("geth", "v1.17.6"),
        ("geth", "1.17.6"),
        ("geth", "v1.16.7"),
        ("nethermind", "1.35.2"),
        ("nethermind", "2.1.0-chiseled"),
        ("besu", "25.11.0"),
        ("nimbus", "26.9.1"),
        ("nimbus", "v26.9.1"),
        ("nimbus", "multiarch-v26.9.1"),
        ("teku", "26.9.1-jdk25"),
        ("lodestar", "v1.49.0@sha256:" + "a" * 64),
    ],
)
def test_accepted_versions(profiles, client, value):
    assert cp.version_reason(client, value, profiles) is None


@pytest.mark.parametrize(
    ("client", "value", "reason", "fix"),
    [
        ("geth", "v1.16.5", "older than the oldest geth release", 'pin geth 1.16.7 or later, e.g. the recommended "v1.17.10"'),
        ("lodestar", "1.5.1", "older than the oldest lodestar release", "1.36.0 or later"),
        ("nethermind", "v1.35.2", "has the prefix 'v'", 'write "1.35.2"'),
        ("geth", "x1.17.6", "has the prefix 'x'", 'write "v1.17.6" or "1.17.6"'),
        ("geth", "latest", "floating tag", "pin a release of geth"),
        ("geth", "stable", "floating tag", "pin a release of geth"),
        ("geth", "v1.17", "no patch version", "full X.Y.Z"),
        ("geth", "1.17.6-unstable", "floating tag", "pin a release"),
        ("lighthouse", "v8.3.0-rc.0", "pre-release", "published release"),
        ("nethermind", "2.1.0-foo", "not a known nethermind image variant", "plain release"),
        ("geth", 1.17, "is the number", "quoted string"),
        ("geth", None, "missing or empty", "pin a release"),
        ("geth", "", "missing or empty", "pin a release"),
        ("geth", "v1.17.6@sha256:abc", "malformed digest", "sha256"),
        ("gethh", "v1.17.6", "unknown client 'gethh'", "use one of besu, erigon, geth"),
    ],
)
def test_refused_versions(profiles, client, value, reason, fix):
    result = cp.version_reason(client, value, profiles)
    assert result is not None
    assert reason in result[0]
    assert fix in result[1]


def test_version_reason_loads_the_collection_profiles_by_default():
    assert cp.version_reason("geth", "v1.17.6") is None
    assert cp.version_reason("geth", "v1.16.6") is not None


def test_network_floors_are_stricter_than_the_minimum(profiles):
    # Sepolia runs Glamsterdam since 2026-10-06; Hoodi's cancelled schedule forks old releases off
    assert cp.version_reason("nethermind", "1.35.2", profiles) is None
    assert cp.version_reason("nethermind", "1.35.2", profiles, network="mainnet") is None
    reason, fix = cp.version_reason("nethermind", "1.35.2", profiles, network="sepolia")
    assert "on sepolia (2.0.0: Glamsterdam is active on Sepolia" in reason and "pin nethermind 2.0.0 or later" in fix
    reason, fix = cp.version_reason("nethermind", "2.2.0", profiles, network="hoodi")
    assert "on hoodi (2.2.1: Hoodi's Glamsterdam activation" in reason and "2.2.1 or later" in fix
    assert cp.version_reason("nethermind", "2.2.1", profiles, network="hoodi") is None
    for name, data in profiles.items():
        recommended = data["version"]["tag_prefix"] + data["version"]["recommended"]
        for network in cp.PUBLIC_NETWORKS:
            assert cp.version_reason(name, recommended, profiles, network=network) is None, (name, network)


def test_image_ref(profiles):
    assert cp.image_ref(profiles["geth"], "1.17.6") == "docker.io/ethereum/client-go:v1.17.6"
    assert cp.image_ref(profiles["nimbus"], "v26.9.1") == "docker.io/statusim/nimbus-eth2:multiarch-v26.9.1"
    digest = "sha256:" + "b" * 64
    assert cp.image_ref(profiles["teku"], "26.9.1@" + digest) == "docker.io/consensys/teku:26.9.1@" + digest
    with pytest.raises(ValueError):
        cp.image_ref(profiles["teku"], "latest")


def test_minimum_is_compared_numerically(profiles):
    # 1.9.10 > 1.9.2 numerically, and 1.10.0 > 1.9.99
    data = copy.deepcopy(profiles["reth"])
    data["version"]["minimum"] = "1.9.2"
    fake = {"reth": data}
    assert cp.version_reason("reth", "v1.9.10", fake) is None
    assert cp.version_reason("reth", "v1.10.0", fake) is None
    assert cp.version_reason("reth", "v1.9.1", fake) is not None


# --- rendering --------------------------------------------------------------------------------------------

PUBLIC = {
    "mode": "public",
    "network": "mainnet",
    "data_dir": "/data/chain",
    "jwt_file": "/jwt/jwt.hex",
    "listen_address": "0.0.0.0",
    "external_ip": "192.0.2.129",
    "allowed_hosts": "rpc.chain.svc,localhost",
    "execution_endpoint": "http://127.0.0.1:8551",
    "checkpoint_sync_url": "https://checkpoint.example.invalid",
}
DEVNET = dict(
    PUBLIC,
    mode="devnet",
    network=None,
    listen_address="127.0.0.1",
    external_ip="127.0.0.1",
    genesis_file="/devnet/genesis.json",
    network_id=1337,
    config_file="/devnet/config.yaml",
    genesis_state_file="/devnet/genesis.ssz",
    bootnodes=["enr:-first", "enr:-second"],
    checkpoint_sync_url=None,
)


def _versions(data):
    return (data["version"]["minimum"], data["version"]["recommended"])


def test_every_profile_renders_for_every_public_network(profiles):
    for name, data in profiles.items():
        for version in _versions(data):
            for network in cp.PUBLIC_NETWORKS:
                argv = cp.render_args(data, version, dict(PUBLIC, network=network))
                assert argv, name
                assert not any("{{" in item or "}}" in item for item in argv), (name, argv)
                assert "/data/chain" in " ".join(argv), name
                assert "/jwt/jwt.hex" in " ".join(argv), name


def test_network_selection_per_client(profiles):
    hoodi = dict(PUBLIC, network="hoodi")
    assert "--hoodi" in cp.render_args(profiles["geth"], "1.17.6", hoodi)
    assert "--mainnet" not in cp.render_args(profiles["geth"], "1.17.6", hoodi)
    assert "--hoodi" in cp.render_args(profiles["prysm"], "7.2.0", hoodi)
    assert "--config=hoodi" in cp.render_args(profiles["nethermind"], "2.1.0", hoodi)
    assert "--chain=hoodi" in cp.render_args(profiles["erigon"], "3.7.0", hoodi)
    assert "--network=hoodi" in cp.render_args(profiles["teku"], "26.9.1", hoodi)


def test_execution_clients_keep_engine_on_loopback_and_rpc_to_eth_net_web3(profiles):
    engine_bind = {
        "geth": "--authrpc.addr=127.0.0.1",
        "erigon": "--authrpc.addr=127.0.0.1",
        "reth": "--authrpc.addr=127.0.0.1",
        "nethermind": "--JsonRpc.EngineHost=127.0.0.1",
        "besu": "--engine-host-allowlist=localhost,127.0.0.1",
    }
    api_flag = {
        "geth": "--http.api=eth,net,web3",
        "erigon": "--http.api=eth,net,web3",
        "reth": "--http.api=eth,net,web3",
        "nethermind": "--JsonRpc.EnabledModules=Eth,Net,Web3",
        "besu": "--rpc-http-api=ETH,NET,WEB3",
    }
    for name in EXECUTION:
        argv = cp.render_args(profiles[name], profiles[name]["version"]["recommended"], PUBLIC)
        assert engine_bind[name] in argv, name
        assert api_flag[name] in argv, name
        apis = [a for a in argv if a.split("=")[0] in ("--http.api", "--JsonRpc.EnabledModules", "--rpc-http-api")]
        assert apis == [api_flag[name]], name
        engine_ports = [p for p in cp.render_ports(profiles[name], profiles[name]["version"]["recommended"], PUBLIC) if p["name"] == "el-engine"]
        assert engine_ports and engine_ports[0]["scope"] == "loopback", name


def test_host_allowlists_are_rendered_where_clients_refuse_other_hosts(profiles):
    expect = {
        "geth": "--http.vhosts=rpc.chain.svc,localhost",
        "erigon": "--http.vhosts=rpc.chain.svc,localhost",
        "besu": "--host-allowlist=rpc.chain.svc,localhost",
        "teku": "--rest-api-host-allowlist=rpc.chain.svc,localhost",
    }
    for name, flag in expect.items():
        assert flag in cp.render_args(profiles[name], profiles[name]["version"]["recommended"], PUBLIC), name
    without = {k: v for k, v in PUBLIC.items() if k != "allowed_hosts"}
    with pytest.raises(cp.RenderError, match="'allowed_hosts'"):
        cp.render_args(profiles["geth"], "1.17.6", without)


def test_quic_is_rendered_and_exposed_for_every_consensus_client(profiles):
    quic_flag = {
        "lighthouse": "--quic-port=9001",
        "teku": "--p2p-quic-port=9001",
        "prysm": "--p2p-quic-port=13000",
        "nimbus": "--quic-port=9001",
        "lodestar": "--quicPort=9001",
    }
    for name in CONSENSUS:
        version = profiles[name]["version"]["recommended"]
        assert quic_flag[name] in cp.render_args(profiles[name], version, PUBLIC), name
        ports = cp.render_ports(profiles[name], version, PUBLIC)
        quic = [p for p in ports if p["name"] == "cl-quic"]
        assert quic and quic[0]["protocols"] == ["UDP"] and quic[0]["scope"] == "p2p", name


def test_announced_address_flags(profiles):
    expect = {
        "geth": ["--nat=extip:192.0.2.129"],
        "erigon": ["--nat=extip:192.0.2.129"],
        "reth": ["--nat=extip:192.0.2.129"],
        "nethermind": ["--Network.ExternalIp=192.0.2.129"],
        "besu": ["--p2p-host=192.0.2.129"],
        "lighthouse": ["--enr-address=192.0.2.129", "--enr-quic-port=9001", "--disable-upnp"],
        "teku": ["--p2p-advertised-ip=192.0.2.129", "--p2p-advertised-quic-port=9001"],
        "prysm": ["--p2p-host-ip=192.0.2.129"],
        "nimbus": ["--nat=extip:192.0.2.129"],
        "lodestar": ["--enr.ip=192.0.2.129", "--enr.quic=9001", "--nat"],
    }
    for name, flags in expect.items():
        argv = cp.render_args(profiles[name], profiles[name]["version"]["recommended"], PUBLIC)
        for flag in flags:
            assert flag in argv, (name, flag)


def test_client_specific_quirk_flags(profiles):
    assert "--externalcl" in cp.render_args(profiles["erigon"], "3.7.0", PUBLIC)
    assert cp.render_args(profiles["prysm"], "7.2.0", PUBLIC)[0] == "--accept-terms-of-use"
    assert "--full" in cp.render_args(profiles["reth"], "2.7.0", PUBLIC)
    assert cp.render_env(profiles["besu"], "26.9.0", PUBLIC) == [{"name": "BESU_OPTS", "value": "-Xmx8g"}]
    assert cp.render_env(profiles["teku"], "26.9.1", dict(PUBLIC, heap="12g")) == [{"name": "JAVA_OPTS", "value": "-Xmx12g"}]
    assert cp.render_command(profiles["lighthouse"], PUBLIC) == ["lighthouse"]
    assert cp.render_args(profiles["lighthouse"], "8.2.2", PUBLIC)[0] == "bn"


def test_nimbus_checkpoint_sync_is_a_one_shot_init(profiles):
    init = cp.render_init(profiles["nimbus"], "26.9.1", PUBLIC)
    assert profiles["nimbus"]["init"]["marker"] == ".chainops-trusted-node-sync"  # the chain layer runs it once (docs/chain.md)
    assert init == [
        "/home/user/nimbus_beacon_node",
        "trustedNodeSync",
        "--network=mainnet",
        "--data-dir=/data/chain",
        "--trusted-node-url=https://checkpoint.example.invalid",
        "--backfill=false",
    ]
    assert cp.render_init(profiles["nimbus"], "26.9.1", dict(PUBLIC, checkpoint_sync_url=None)) is None
    assert not any("trusted" in a for a in cp.render_args(profiles["nimbus"], "26.9.1", PUBLIC))
    assert cp.render_init(profiles["geth"], "1.17.6", PUBLIC) is None


def test_lighthouse_needs_a_checkpoint_url_in_public_mode(profiles):
    with pytest.raises(cp.RenderError, match="lighthouse args\\[3\\] needs the context variable 'checkpoint_sync_url'"):
        cp.render_args(profiles["lighthouse"], "8.2.2", dict(PUBLIC, checkpoint_sync_url=None))
    # the others only add checkpoint flags when a URL is given
    argv = cp.render_args(profiles["teku"], "26.9.1", dict(PUBLIC, checkpoint_sync_url=None))
    assert not any(a.startswith("--checkpoint-sync-url") for a in argv)


def test_optional_flags_follow_their_context_variable(profiles):
    assert not any("corsdomain" in a for a in cp.render_args(profiles["geth"], "1.17.6", PUBLIC))
    argv = cp.render_args(profiles["geth"], "1.17.6", dict(PUBLIC, cors_origins="https://app.example"))
    assert "--http.corsdomain=https://app.example" in argv


def test_flags_follow_version_ranges(profiles):
    lodestar = profiles["lodestar"]
    old = cp.flag_names(cp.render_args(lodestar, "1.41.0", PUBLIC))
    new = cp.flag_names(cp.render_args(lodestar, "1.42.0", PUBLIC))
    assert "--quicPort" not in old and "--enr.quic" not in old
    assert "--quicPort" in new and "--enr.quic" in new
    assert "--nat" in old
    assert "--nat" not in cp.flag_names(cp.render_args(lodestar, "1.35.9", PUBLIC))
    assert [p["name"] for p in cp.render_ports(lodestar, "1.41.0", PUBLIC)] == ["cl-p2p", "cl-rest", "cl-metrics"]
    teku = profiles["teku"]
    assert "--p2p-quic-port" not in cp.flag_names(cp.render_args(teku, "26.6.0", PUBLIC))
    assert "--p2p-quic-port" in cp.flag_names(cp.render_args(teku, "26.7.0", PUBLIC))


def test_each_client_gets_its_own_context(profiles):
    # port variables are per profile: reth's discv5 port means nothing to Lighthouse
    assert cp.render_args(profiles["reth"], "2.7.0", dict(PUBLIC, discv5_port=9300))
    with pytest.raises(cp.RenderError, match="lighthouse: context variable 'discv5_port' is not known"):
        cp.render_args(profiles["lighthouse"], "8.2.2", dict(PUBLIC, discv5_port=9300))


def test_ports_from_context_override_defaults(profiles):
    argv = cp.render_args(profiles["geth"], "1.17.6", dict(PUBLIC, p2p_port=30313, http_port=8645))
    assert "--port=30313" in argv and "--discovery.port=30313" in argv and "--http.port=8645" in argv
    ports = {p["name"]: p["port"] for p in cp.render_ports(profiles["geth"], "1.17.6", dict(PUBLIC, p2p_port=30313))}
    assert ports["el-p2p"] == 30313 and ports["el-rpc"] == 8545
    with pytest.raises(cp.RenderError, match="'p2p_port' must be a port number"):
        cp.render_ports(profiles["geth"], "1.17.6", dict(PUBLIC, p2p_port="30313"))


def test_no_port_collides_in_any_pair(profiles):
    for el in EXECUTION:
        for cl in CONSENSUS:
            seen_names, seen_ports = {}, {}
            for name in (el, cl):
                for port in cp.render_ports(profiles[name], profiles[name]["version"]["recommended"], PUBLIC):
                    assert port["name"] not in seen_names, (el, cl, port)
                    seen_names[port["name"]] = name
                    for proto in port["protocols"]:
                        key = (port["port"], proto)
                        owner = seen_ports.get(key)
                        assert owner in (None, name), (el, cl, key)
                        seen_ports[key] = name


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (dict(PUBLIC, mode="prod"), "context mode must be one of public, devnet"),
        (dict(PUBLIC, network="holesky"), "public mode needs network in mainnet, hoodi, sepolia"),
        (dict(PUBLIC, data_dir=""), "needs the context variable 'data_dir'"),
        (dict(PUBLIC, data_dir=True), "'data_dir' is a boolean"),
        (dict(PUBLIC, data_dir={"a": 1}), "'data_dir' is dict"),
        (dict(PUBLIC, cors_origin="*"), "context variable 'cors_origin' is not known \\(did you mean 'cors_origins'\\?\\)"),
        (dict(PUBLIC, checkpoint_url="https://x"), "context variable 'checkpoint_url' is not known"),
    ],
)
def test_bad_context_is_an_error(profiles, context, message):
    with pytest.raises(cp.RenderError, match=message):
        cp.render_args(profiles["geth"], "1.17.6", context)


def test_render_refuses_a_malformed_version(profiles):
    with pytest.raises(cp.RenderError, match="geth version 'latest': 'latest' is a floating tag"):
        cp.render_args(profiles["geth"], "latest", PUBLIC)


# --- devnet mode ------------------------------------------------------------------------------------------


def test_devnet_mode_renders_files_and_keeps_public_discovery_off(profiles):
    geth = cp.render_args(profiles["geth"], "1.17.6", DEVNET)
    assert "--override.genesis=/devnet/genesis.json" in geth and "--networkid=1337" in geth and "--nodiscover" in geth
    assert not {"--mainnet", "--hoodi", "--sepolia"} & set(geth)
    lodestar = cp.render_args(profiles["lodestar"], "1.5.1", DEVNET)
    assert "--paramsFile=/devnet/config.yaml" in lodestar
    assert "--params.CONFIG_NAME=chainops-devnet" in lodestar
    assert "--bootnodes=enr:-first,enr:-second" in lodestar
    assert not any(a.startswith("--network=") for a in lodestar)
    prysm = cp.render_args(profiles["prysm"], "7.2.0", DEVNET)
    assert "--chain-config-file=/devnet/config.yaml" in prysm and "--bootstrap-node=enr:-first,enr:-second" in prysm
    first_node = cp.render_args(profiles["lodestar"], "1.5.1", dict(DEVNET, bootnodes=None))
    assert not any("bootnode" in a.lower() for a in first_node)


def test_devnet_mode_refusals(profiles):
    with pytest.raises(cp.RenderError, match="teku has no devnet mode"):
        cp.render_args(profiles["teku"], "26.9.1", DEVNET)
    with pytest.raises(cp.RenderError, match="prysm devnet mode needs the context variable 'bootnodes'"):
        cp.render_args(profiles["prysm"], "7.2.0", dict(DEVNET, bootnodes=[]))
    with pytest.raises(cp.RenderError, match="geth devnet mode needs version 1.16.7 or later, got 1.16.6"):
        cp.render_args(profiles["geth"], "1.16.6", DEVNET)


def test_mode_reason_keeps_test_only_profiles_off_real_inventories(profiles):
    assert cp.mode_reason(profiles["lodestar"], "public", "mainnet") is None
    assert cp.mode_reason(profiles["lodestar"], "devnet", None, test_inventory=True) is None
    reason = cp.mode_reason(profiles["lodestar"], "devnet", None)
    assert reason is not None and "test-only" in reason[0] and "public network" in reason[1]
    assert "no devnet mode" in cp.mode_reason(profiles["besu"], "devnet", None, test_inventory=True)[0]
    assert "not a public network" in cp.mode_reason(profiles["geth"], "public", "goerli")[0]
    assert "unknown" in cp.mode_reason(profiles["geth"], "staging", "mainnet")[0]


# --- profile checks on flags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["args"].append({"arg": "--x={{ data_dri }}", "source": "flags"}),
            r"uses the unknown placeholder \{\{ data_dri \}\} \(did you mean \{\{ data_dir \}\}\?\)",
        ),
        (lambda d: d["args"].append({"arg": "--x", "source": "nowhere"}), r"args\[\d+\]\.source names the source 'nowhere'"),
        (lambda d: d["args"].append({"arg": "--x"}), r"args\[\d+\]\.source is missing"),
        (lambda d: d["args"].append({"arg": "--x", "args": ["--y"], "source": "flags"}), r"needs exactly one of arg"),
        (lambda d: d["args"].append({"arg": "--x", "source": "flags", "since": "2.0.0", "until": "1.0.0"}), r"until must be later than since"),
        (lambda d: d["args"].append({"arg": "--x", "source": "flags", "modes": ["prod"]}), r"modes must be a non-empty list"),
        (lambda d: d["args"].append({"arg": "--x", "source": "flags", "when": "nope"}), r"when names the unknown context variable 'nope'"),
        (lambda d: d["args"].append({"arg": "--x", "source": "flags", "sinse": "1.0.0"}), r"sinse is not a known key \(did you mean 'since'\?\)"),
        (lambda d: d["ports"].append(dict(d["ports"][0])), r"ports\[5\]\.name 'el-p2p' is used twice"),
        (lambda d: d["ports"][0].update(name="execution-p2p-port"), r"ports\[0\]\.name must be a Kubernetes port name"),
        (lambda d: d["ports"][0].update(protocols=["SCTP"]), r"ports\[0\]\.protocols must be a non-empty list of TCP/UDP"),
        (lambda d: d["run_as"].update(uid=0), r"run_as\.uid must be a non-root numeric id"),
        (lambda d: d["devnet"].pop("test_only"), r"devnet\.test_only must be true or false"),
        (lambda d: d["quirks"].append(dict(d["quirks"][0])), r"quirks\[\d+\]\.id 'vhosts-403' is used twice"),
        (lambda d: d["resources"].update(jvm_heap="8GB"), r"resources\.jvm_heap must be a JVM size"),
    ],
)
def test_malformed_flag_sections_name_file_and_key(tree, change, message):
    _edit(tree, "geth", change)
    with pytest.raises(cp.ProfileError, match=r"geth\.yml: .*" + message):
        cp.load_profiles(tree)


def test_flag_names():
    assert cp.flag_names(["beacon", "--a=1", "--b", "x", "-c"]) == ["--a", "--b", "-c"]


# --- against a real binary: Lodestar v1.5.1 (../shared/devnet) ---------------------------------------------

SENTINEL = "--zzzChainopsSentinel"


def _lodestar():
    cache = os.environ.get("CHAINOPS_CACHE") or os.path.expanduser("~/.cache/chainops")
    path = os.environ.get("CHAINOPS_LODESTAR") or os.path.join(cache, "lodestar", "node_modules", ".bin", "lodestar")
    if not os.access(path, os.X_OK):
        pytest.skip("Lodestar v1.5.1 not installed (set CHAINOPS_LODESTAR or run scripts/bootstrap.sh)")
    return path


def _lodestar_parse(binary, argv, tmp_path):
    """Run Lodestar's own argument parser over argv plus an unknown sentinel flag.

    Lodestar's CLI is strict: every unknown flag is reported in one "Unknown argument(s): a, b" line and the node is
    never started. So the answer lists exactly the flags the binary does not accept, plus the sentinel.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LODESTAR_")}
    result = subprocess.run([binary, *argv, SENTINEL], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    match = re.search(r"Unknown arguments?: ([^\n]+)", output)
    assert match, "Lodestar did not run its argument check:\n" + output[-2000:]
    return {"--" + name.strip() for name in match.group(1).split(",")} - {SENTINEL}


@pytest.fixture(scope="module")
def lodestar_version():
    binary = _lodestar()
    out = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True, timeout=120).stdout
    match = re.search(r"(\d+\.\d+\.\d+)", out)
    assert match, out
    return binary, match.group(1)


def test_lodestar_binary_accepts_every_rendered_flag(profiles, lodestar_version, tmp_path):
    binary, version = lodestar_version
    assert version == "1.5.1"
    for context in (DEVNET, PUBLIC):
        argv = cp.render_args(profiles["lodestar"], version, context)
        assert argv[0] == "beacon"
        assert _lodestar_parse(binary, argv, tmp_path) == set(), context["mode"]


def test_lodestar_binary_refuses_the_newer_flags_the_profile_leaves_out(profiles, lodestar_version, tmp_path):
    """Control: the same check flags what a newer release renders, so the test above can fail."""
    binary = lodestar_version[0]
    newer = cp.render_args(profiles["lodestar"], profiles["lodestar"]["version"]["recommended"], PUBLIC)
    assert _lodestar_parse(binary, newer, tmp_path) == {"--nat", "--quicPort", "--enr.quic"}


def test_lodestar_help_lists_the_documented_flags_the_profile_renders(profiles, lodestar_version, tmp_path):
    """The flags not hidden in Lodestar's help: what an operator can look up with `lodestar beacon --help`."""
    binary, version = lodestar_version
    env = {k: v for k, v in os.environ.items() if not k.startswith("LODESTAR_")}
    helptext = subprocess.run([binary, "beacon", "--help"], check=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120).stdout
    listed = set(re.findall(r"(--[A-Za-z0-9.\-]+)", helptext))
    hidden = {"--genesisStateFile", "--params.CONFIG_NAME", "--network.connectToDiscv5Bootnodes"}
    for context in (DEVNET, PUBLIC):
        names = set(cp.flag_names(cp.render_args(profiles["lodestar"], version, context)))
        assert names - hidden <= listed, names - hidden - listed


# --- docs/clients.md stays in step with the profiles --------------------------------------------------------


def test_docs_list_every_client_version_flag_and_quirk(profiles):
    text = (ROOT / "docs" / "clients.md").read_text()
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    versions = sections.pop("Versions")
    for name, data in profiles.items():
        assert name in sections, "docs/clients.md has no section for %s" % name
        section = sections[name]
        row = [line for line in versions.splitlines() if line.startswith("| %s |" % name)]
        assert row and data["version"]["minimum"] in row[0] and data["version"]["recommended"] in row[0], name
        rows = [("| `", entry) for entry in data.get("args", [])]
        rows += [("| init: `", entry) for entry in (data.get("init") or {}).get("args", [])]
        for lead, entry in rows:
            value = " ".join([entry["arg"]] if "arg" in entry else entry["args"])
            assert "\n%s%s`" % (lead, value) in section, (name, value)
        for port in data["ports"]:
            assert "`%s` %d/" % (port["name"], port["default"]) in section, (name, port["name"])
        for quirk in data.get("quirks", []):
            assert "**%s**" % quirk["id"] in section, (name, quirk["id"])


# --- against a real binary: geth, built from its Go module when the cache has it ---------------------------

GETH_SENTINEL = "--zzz-chainops-sentinel"


def _geth():
    cache = os.environ.get("CHAINOPS_CACHE") or os.path.expanduser("~/.cache/chainops")
    path = os.environ.get("CHAINOPS_GETH") or os.path.join(cache, "geth-v1.17.6", "geth")
    if not os.access(path, os.X_OK):
        pytest.skip("geth not built (set CHAINOPS_GETH, or `go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.6` into %s)" % os.path.dirname(path))
    return path


def _geth_unknown_flag(binary, argv, tmp_path):
    """The first flag geth's parser refuses in argv + a sentinel (the parser stops at the first unknown flag)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GETH_")}
    result = subprocess.run([binary, *argv, GETH_SENTINEL], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "geth started instead of refusing the sentinel:\n" + output[-2000:]
    match = re.search(r"flag provided but not defined: -+([A-Za-z0-9.\-]+)", output)
    assert match, "geth did not run its flag check:\n" + output[-2000:]
    return "--" + match.group(1)


@pytest.fixture(scope="module")
def geth_version():
    binary = _geth()
    out = subprocess.run([binary, "version"], check=True, capture_output=True, text=True, timeout=120).stdout
    match = re.search(r"Version: (\d+\.\d+\.\d+)", out)
    assert match, out
    return binary, match.group(1)


def test_geth_binary_accepts_every_rendered_flag(profiles, geth_version, tmp_path):
    binary, version = geth_version
    assert version == "1.17.6"
    contexts = [dict(PUBLIC, network=network, cors_origins="https://app.example") for network in cp.PUBLIC_NETWORKS] + [DEVNET]
    for context in contexts:
        argv = cp.render_args(profiles["geth"], version, context)
        assert _geth_unknown_flag(binary, argv, tmp_path) == GETH_SENTINEL, (context["mode"], context.get("network"))


def test_geth_binary_check_catches_a_flag_geth_lacks(geth_version, tmp_path):
    """Control: a misspelled flag in the middle of otherwise valid args is the one reported."""
    binary = geth_version[0]
    assert _geth_unknown_flag(binary, ["--http", "--http.vhost=localhost", "--http.port=8545"], tmp_path) == "--http.vhost"
