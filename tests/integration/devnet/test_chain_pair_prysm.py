"""A real post-merge pair from rendered objects: geth v1.17.6 + Prysm v7.1.2, both built from their Go modules by
scripts/go-tools.sh (cached outside the repo).

A devnet test inventory with a geth+prysm pair is rendered (playbooks/chain.yml, devnet mode). The devnet: a chain
config written here (mainnet preset, Electra from genesis, 2 s slots, a config name no public network uses), a
genesis made by `prysmctl testnet generate-genesis --fork=electra` from a geth genesis (alloc from geth's own
`--dev dumpgenesis`, for the system contracts Prague needs, plus the deposit contract of prysmctl's default genesis)
that prysmctl writes back with the fork times. A first
node (geth + beacon-chain + a Prysm validator in interop mode, plain command lines, discovery off for geth, no
bootnode for Prysm) produces blocks. The pair under test is the RENDERED one: its JWT init container's script, its
geth and Prysm containers (command/args/env as rendered; only addresses, ports and paths remapped to 127.0.0.1 and a
temporary folder), started after the first epoch so Prysm has to sync from the first node (its only bootnode, the
rendered --bootstrap-node), and the rendered health sidecar (files from the rendered ConfigMap).

Shown: the pair's geth head moves only through the engine API (it has no peers and does not mine); the pair is
first reported syncing, then healthy, by the sidecar and by chainops.ethereum.eth_health_gate (through
ansible-playbook); with the pair's geth stopped both say unhealthy (execution client unreachable, head stalled) while
Prysm v7.1.2 still reports el_offline false (it sets it only at start); once its container restarts with geth still
down Prysm reports el_offline, and both name that reason.
Everything listens on 127.0.0.1 and dials only 127.0.0.1; every process is stopped by PID.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import devnet_procs as dp
import pytest
from test_chain_pair_geth import geth_path, listening_addresses, post
from test_chain_pair_lodestar import INVENTORY, remap_args
from test_health_devnet import _playbook, failing, run_playbook

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles as cp

pytestmark = pytest.mark.devnet

PAIR = "geth-prysm"
PRYSM_VERSION = "v7.1.2"
CHAIN_ID = 31337
VALIDATORS = 16
SECONDS_PER_SLOT = 2
SLOTS_PER_EPOCH = 32  # the mainnet preset, fixed in Prysm's binary
FEE_RECIPIENT = "0x" + "11" * 20
DEPOSIT_CONTRACT = "0x" + "42" * 20
# what the pair is judged on here: geth has no execution peers (discovery off, nothing to peer with), and finality
# needs more epochs than a test of a few minutes has (mainnet preset, 32 slots)
SKIP = ["el_peers", "cl_finality"]

CHAIN_CONFIG = """\
PRESET_BASE: 'mainnet'
CONFIG_NAME: 'chainops-devnet'
MIN_GENESIS_ACTIVE_VALIDATOR_COUNT: %(validators)d
MIN_GENESIS_TIME: 0
GENESIS_DELAY: 0
GENESIS_FORK_VERSION: 0x20c0ffee
ALTAIR_FORK_VERSION: 0x21c0ffee
ALTAIR_FORK_EPOCH: 0
BELLATRIX_FORK_VERSION: 0x22c0ffee
BELLATRIX_FORK_EPOCH: 0
CAPELLA_FORK_VERSION: 0x23c0ffee
CAPELLA_FORK_EPOCH: 0
DENEB_FORK_VERSION: 0x24c0ffee
DENEB_FORK_EPOCH: 0
ELECTRA_FORK_VERSION: 0x25c0ffee
ELECTRA_FORK_EPOCH: 0
FULU_FORK_VERSION: 0x26c0ffee
FULU_FORK_EPOCH: 18446744073709551615
TERMINAL_TOTAL_DIFFICULTY: 0
SECONDS_PER_SLOT: %(seconds)d
SLOT_DURATION_MS: %(millis)d
ETH1_FOLLOW_DISTANCE: 1
DEPOSIT_CHAIN_ID: %(chain)d
DEPOSIT_NETWORK_ID: %(chain)d
DEPOSIT_CONTRACT_ADDRESS: %(deposit)s
"""


def prysm_dir():
    cache = os.environ.get("CHAINOPS_CACHE") or os.path.expanduser("~/.cache/chainops")
    folder = os.environ.get("CHAINOPS_PRYSM_DIR") or os.path.join(cache, "prysm-" + PRYSM_VERSION)
    missing = [c for c in ("beacon-chain", "validator", "prysmctl") if not os.access(os.path.join(folder, c), os.X_OK)]
    if missing:
        reason = "Prysm %s not built: %s missing in %s (run scripts/go-tools.sh, or set CHAINOPS_PRYSM_DIR)" % (
            PRYSM_VERSION, ", ".join(missing), folder)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return folder


def _env():
    # no PRYSM_* / GETH_* from the caller's environment reach the clients
    return {k: v for k, v in os.environ.items() if not k.startswith(("GETH_", "PRYSM_"))}


def _flag_names(argv):
    return [a.split("=", 1)[0] for a in argv if a.startswith("--")]


# --- the profile's flags against the real binary ---------------------------------------------------------------


def test_every_rendered_prysm_flag_is_in_beacon_chain_help():
    """Every flag the profile renders for v7.1.2 (each public network with its optional flags, and devnet mode) is a
    flag of the real beacon-chain v7.1.2 (its --help; nothing is started)."""
    binary = os.path.join(prysm_dir(), "beacon-chain")
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60, check=True, env=_env())
    known = set(re.findall(r"(?m)^\s+(--[a-z0-9][a-z0-9.-]*)", out.stdout))
    assert "--chain-config-file" in known and len(known) > 100, out.stdout[:2000]
    profile = cp.load_profiles()["prysm"]
    base = {"data_dir": "/data/prysm", "jwt_file": "/jwt/jwt.hex", "listen_address": "0.0.0.0", "external_ip": "192.0.2.1",  # noqa: S104
            "execution_endpoint": "http://127.0.0.1:8551", "cors_origins": "https://app.example",
            "checkpoint_sync_url": "https://checkpoint.example"}
    rendered = set()
    for network in ("mainnet", "hoodi", "sepolia"):
        rendered.update(_flag_names(cp.render_args(profile, PRYSM_VERSION, dict(base, mode="public", network=network))))
    devnet = dict(base, mode="devnet", config_file="/devnet/config.yaml", genesis_state_file="/devnet/genesis.ssz", bootnodes=["enr:-x"])
    devnet_flags = _flag_names(cp.render_args(profile, PRYSM_VERSION, devnet))
    rendered.update(devnet_flags)
    assert {"--mainnet", "--checkpoint-sync-url", "--bootstrap-node", "--min-sync-peers"} <= rendered
    assert sorted(rendered - known) == []
    # control: the parse finds a flag Prysm does not have
    assert "--grpc-gateway-hostt" not in known


# --- the devnet -------------------------------------------------------------------------------------------------


def _geth_genesis_in(geth, work):
    """A geth genesis for the devnet: config of this test, alloc from geth's own developer genesis (it carries the
    beacon-roots, history, withdrawal and consolidation system contracts a Prague chain calls)."""
    out = subprocess.run([geth, "--dev", "dumpgenesis"], cwd=work, capture_output=True, text=True, timeout=60, check=True,
                         env=dict(_env(), HOME=work))
    dev = json.loads(out.stdout)
    config = {"chainId": CHAIN_ID, "terminalTotalDifficulty": 0, "mergeNetsplitBlock": 0, "depositContractAddress": DEPOSIT_CONTRACT,
              "blobSchedule": dev["config"]["blobSchedule"]}
    for key in ("homesteadBlock", "eip150Block", "eip155Block", "eip158Block", "byzantiumBlock", "constantinopleBlock", "petersburgBlock",
                "istanbulBlock", "muirGlacierBlock", "berlinBlock", "londonBlock", "arrowGlacierBlock", "grayGlacierBlock"):
        config[key] = 0
    return {"config": config, "alloc": dev["alloc"], "gasLimit": "0x1c9c380", "difficulty": "0x0", "baseFeePerGas": "0x3b9aca00",
            "extraData": "0x", "timestamp": "0x0", "nonce": "0x0"}


def _generate_genesis(prysm, config, work, *extra):
    proc = subprocess.run([os.path.join(prysm, "prysmctl"), "testnet", "generate-genesis", "--fork=electra",
                           "--num-validators=%d" % VALIDATORS, "--chain-config-file=" + config] + list(extra),
                          cwd=work, capture_output=True, text=True, timeout=300, check=False, env=_env())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _make_devnet(prysm, geth, work):
    folder = os.path.join(work, "devnet")
    os.makedirs(folder)
    config = os.path.join(folder, "config.yaml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(CHAIN_CONFIG % {"validators": VALIDATORS, "seconds": SECONDS_PER_SLOT, "millis": SECONDS_PER_SLOT * 1000,
                                     "chain": CHAIN_ID, "deposit": DEPOSIT_CONTRACT})
    # the deposit contract (code and storage) from prysmctl's own default geth genesis: Prysm reads its deposit count
    # until deposit requests start, and with no contract it calls the execution client offline (el_offline)
    scratch = os.path.join(work, "genesis-default")
    os.makedirs(scratch)
    _generate_genesis(prysm, config, scratch, "--geth-genesis-json-out=" + os.path.join(scratch, "genesis.json"),
                      "--output-ssz=" + os.path.join(scratch, "genesis.ssz"))
    with open(os.path.join(scratch, "genesis.json"), encoding="utf-8") as handle:
        default_alloc = {k.lower().removeprefix("0x"): v for k, v in json.load(handle)["alloc"].items()}
    deposit = default_alloc[DEPOSIT_CONTRACT.removeprefix("0x")]
    assert len(deposit["code"]) > 1000 and deposit["storage"]
    genesis_in = _geth_genesis_in(geth, work)
    genesis_in["alloc"][DEPOSIT_CONTRACT.removeprefix("0x")] = deposit
    path_in = os.path.join(work, "genesis-in.json")
    with open(path_in, "w", encoding="utf-8") as handle:
        json.dump(genesis_in, handle)
    _generate_genesis(prysm, config, work, "--genesis-time-delay=30", "--geth-genesis-json-in=" + path_in,
                      "--geth-genesis-json-out=" + os.path.join(folder, "genesis.json"), "--output-ssz=" + os.path.join(folder, "genesis.ssz"))
    with open(os.path.join(folder, "genesis.json"), encoding="utf-8") as handle:
        genesis = json.load(handle)
    timestamp = int(genesis["timestamp"], 0)
    assert genesis["config"]["pragueTime"] == timestamp and genesis["config"]["chainId"] == CHAIN_ID
    return folder, timestamp


def _start_first_node(prysm, geth, work, devnet):
    """geth + beacon-chain + validator (interop keys 0..VALIDATORS-1): the block producer the pair syncs from."""
    node = os.path.join(work, "first")
    os.makedirs(node)
    jwt = os.path.join(node, "jwt.hex")
    with open(jwt, "w", encoding="utf-8") as handle:
        handle.write(os.urandom(32).hex())
    ports = {k: dp.free_port() for k in ("http", "engine", "p2p", "rest", "rpc", "bmon", "vmon")}
    ports.update({k: dp.free_port(udp_too=True) for k in ("cl_tcp", "cl_udp")})
    el = dp.Proc("first-geth", [
        geth, "--datadir=" + os.path.join(node, "geth"), "--override.genesis=" + os.path.join(devnet, "genesis.json"),
        "--networkid=%d" % CHAIN_ID, "--syncmode=full", "--nodiscover", "--maxpeers=0", "--nat=none", "--port=%d" % ports["p2p"],
        "--authrpc.addr=127.0.0.1", "--authrpc.port=%d" % ports["engine"], "--authrpc.jwtsecret=" + jwt,
        "--http", "--http.addr=127.0.0.1", "--http.port=%d" % ports["http"], "--http.api=eth,net,web3",
    ], node, os.path.join(work, "first-geth.log"), _env())
    el.url = "http://127.0.0.1:%d" % ports["http"]
    cl = dp.Proc("first-beacon", [
        os.path.join(prysm, "beacon-chain"), "--accept-terms-of-use", "--datadir=" + os.path.join(node, "beacon"),
        "--chain-config-file=" + os.path.join(devnet, "config.yaml"), "--genesis-state=" + os.path.join(devnet, "genesis.ssz"),
        "--bootstrap-node=", "--min-sync-peers=0", "--execution-endpoint=http://127.0.0.1:%d" % ports["engine"], "--jwt-secret=" + jwt,
        "--suggested-fee-recipient=" + FEE_RECIPIENT, "--http-host=127.0.0.1", "--http-port=%d" % ports["rest"],
        "--rpc-host=127.0.0.1", "--rpc-port=%d" % ports["rpc"], "--monitoring-host=127.0.0.1", "--monitoring-port=%d" % ports["bmon"],
        "--p2p-local-ip=127.0.0.1", "--p2p-host-ip=127.0.0.1", "--p2p-tcp-port=%d" % ports["cl_tcp"],
        "--p2p-udp-port=%d" % ports["cl_udp"],
        # QUIC off on this node: built with Go 1.26, Prysm v7.1.2's quic-go (v0.49.1 fork) panicked here when the pair's
        # node dialed it over QUIC ("crypto/tls bug: where's my session ticket?"); without QUIC in its ENR the pair
        # dials TCP and nobody dials the pair over QUIC
        "--disable-quic",
    ], node, os.path.join(work, "first-beacon.log"), _env())
    cl.url = "http://127.0.0.1:%d" % ports["rest"]
    vc = dp.Proc("first-validator", [
        os.path.join(prysm, "validator"), "--accept-terms-of-use", "--datadir=" + os.path.join(node, "validator"),
        "--chain-config-file=" + os.path.join(devnet, "config.yaml"), "--beacon-rpc-provider=127.0.0.1:%d" % ports["rpc"],
        "--interop-num-validators=%d" % VALIDATORS, "--interop-start-index=0", "--suggested-fee-recipient=" + FEE_RECIPIENT,
        "--monitoring-host=127.0.0.1", "--monitoring-port=%d" % ports["vmon"],
    ], node, os.path.join(work, "first-validator.log"), _env())
    return el, cl, vc


def _render(work, enr):
    render = os.path.join(work, "rendered")
    inventory = os.path.join(work, "inventory.yml")
    text = INVENTORY % {"render": render, "enr": json.dumps(enr), "pair": PAIR, "version": PRYSM_VERSION}
    text = text.replace("consensus: {client: lodestar,", "consensus: {client: prysm,").replace("lodestar: 1Gi", "prysm: 1Gi")
    text = re.sub(r"(?m)^    chainops_chain_sidecar_criteria: .*$", "    chainops_chain_sidecar_criteria: {skip: %s}" % json.dumps(SKIP), text)
    assert "client: prysm" in text and "cl_el_online" not in text
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write(text)
    sts, configmap = dp.render_chain_pair(inventory, render, PAIR)
    template = sts["spec"]["template"]
    return template["spec"], configmap, template["metadata"]["annotations"]["chain.chainops.io/p2p-address"]


def _readyz(url):
    try:
        with dp._OPENER.open(url + "/readyz", timeout=3) as response:
            return response.status, response.read().decode()
    except dp.urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return None, ""


def _when(fetch, accept):
    """A wait_until predicate: fetch()'s value when accept(value), else None."""

    def predicate():
        value = fetch()
        return value if accept(value) else None

    return predicate


def _block_number(url):
    value = dp.rpc(url, "eth_blockNumber")
    return int(value, 16) if value else None


@pytest.fixture(scope="module")
def prysm_pair():
    prysm, geth = prysm_dir(), geth_path()
    work = tempfile.mkdtemp(prefix="chainops-chain-prysm-")
    procs = []
    net = {"work": work, "procs": procs}
    try:
        devnet, genesis_time = _make_devnet(prysm, geth, work)
        net["genesis_time"] = genesis_time
        first_el, first_cl, first_vc = _start_first_node(prysm, geth, work, devnet)
        procs += [first_el, first_cl, first_vc]
        dp.wait_until(lambda: dp.head_slot(first_cl.url) is not None, 120, "first beacon node REST API", first_cl)
        enr = dp.wait_until(lambda: dp.enr(first_cl.url), 30, "first beacon node ENR", first_cl)
        net.update(first_el=first_el, first_cl=first_cl, enr=enr)
        pod, configmap, address = _render(work, enr)
        net.update(pod=pod, configmap=configmap, address=address)
        # blocks from the validator, each with an execution payload geth executed
        dp.wait_until(lambda: (dp.head_slot(first_cl.url) or 0) >= 3, 150, "first node at slot 3", first_vc)
        dp.wait_until(lambda: (_block_number(first_el.url) or 0) >= 2, 30, "first geth at block 2", first_el)
        yield net
    finally:
        for proc in reversed(procs):
            proc.stop()
            sys.stderr.write("chain prysm: stopped %s (pid %d)\n" % (proc.name, proc.pid))
        shutil.rmtree(work, ignore_errors=True)


def _start_rendered_pair(net):
    """The pod's jwt init container, geth and Prysm containers and health sidecar, as rendered."""
    work, pod = net["work"], net["pod"]
    containers = {c["name"]: c for c in pod["initContainers"] + pod["containers"]}
    jwt_dir, data, code_dir = (os.path.join(work, d) for d in ("pair-jwt", "pair-data", "pair-health"))
    for folder in (jwt_dir, data, code_dir):
        os.makedirs(folder)
    devnet = os.path.join(work, "devnet")
    paths = {"/var/run/chainops/jwt": jwt_dir, "/data": data, "/devnet": devnet, "/opt/chainops/health": code_dir}
    addresses = {"0.0.0.0": "127.0.0.1", net["address"]: "127.0.0.1"}  # noqa: S104 - the rendered listen address

    # the JWT init container writes the pair's secret into the volume both clients read
    subprocess.run([sys.executable, "-c", containers["jwt"]["command"][2].replace("/var/run/chainops/jwt", jwt_dir)], check=True, timeout=30)
    secret_file = os.path.join(jwt_dir, "jwt.hex")
    assert re.fullmatch("[0-9a-f]{64}", open(secret_file, encoding="utf-8").read())  # noqa: SIM115

    execution, consensus, health = containers["execution"], containers["consensus"], containers["health"]
    assert execution["image"].endswith(":v1.17.6") and "command" not in execution
    assert consensus["image"] == "gcr.io/offchainlabs/prysm/beacon-chain:" + PRYSM_VERSION and "command" not in consensus
    el_ports = {p["name"]: p["containerPort"] for p in execution["ports"]}
    cl_ports = {p["name"]: p["containerPort"] for p in consensus["ports"]}
    engine = dp.free_port()
    ports = {el_ports["el-rpc"]: dp.free_port(), el_ports["el-metrics"]: dp.free_port(), el_ports["el-p2p"]: dp.free_port(udp_too=True),
             8551: engine, cl_ports["cl-rest"]: dp.free_port(), cl_ports["cl-metrics"]: dp.free_port(),
             cl_ports["cl-p2p"]: dp.free_port(udp_too=True), cl_ports["cl-disc"]: dp.free_port(udp_too=True)}
    assert cl_ports["cl-quic"] == cl_ports["cl-p2p"]  # one number, TCP and UDP: remapped together

    el_args = remap_args(execution["args"], addresses, ports, paths)
    el_args = [a.replace("extip:" + net["address"], "extip:127.0.0.1") for a in el_args]
    cl_args = remap_args(consensus["args"], addresses, ports, paths)
    for rendered, remapped in ((execution["args"], el_args), (consensus["args"], cl_args)):
        assert _flag_names(remapped) == _flag_names(rendered)
    assert "--bootstrap-node=" + net["enr"] in cl_args and "--min-sync-peers=1" in cl_args
    assert "--syncmode=full" in el_args and "--nodiscover" in el_args
    assert "--jwt-secret=" + secret_file in cl_args and "--authrpc.jwtsecret=" + secret_file in el_args
    assert "--execution-endpoint=http://127.0.0.1:%d" % engine in cl_args and "--authrpc.port=%d" % engine in el_args
    assert not any(a.startswith(("--mainnet", "--hoodi", "--sepolia", "--checkpoint-sync-url")) for a in cl_args + el_args)

    el_env, cl_env = _env(), _env()
    el_env.update({e["name"]: e["value"] for e in execution.get("env", [])})
    cl_env.update({e["name"]: e["value"] for e in consensus.get("env", [])})
    el = dp.Proc("pair-geth", [geth_path()] + el_args, data, os.path.join(work, "pair-geth.log"), el_env)
    net["procs"].append(el)
    el.url = "http://127.0.0.1:%d" % ports[el_ports["el-rpc"]]
    cl = dp.Proc("pair-prysm", [os.path.join(prysm_dir(), "beacon-chain")] + cl_args, data, os.path.join(work, "pair-prysm.log"), cl_env)
    net["procs"].append(cl)
    cl.url = "http://127.0.0.1:%d" % ports[cl_ports["cl-rest"]]

    for name, text in net["configmap"]["data"].items():
        with open(os.path.join(code_dir, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    health_port = dp.free_port()
    sidecar_args = remap_args(health["args"], addresses, {**ports, 8575: health_port}, paths)
    assert "--criteria=" + json.dumps({"expected_chain_id": CHAIN_ID, "skip": SKIP}, separators=(",", ":")) in sidecar_args
    command = [sys.executable if health["command"][0] == "python3" else health["command"][0]] + remap_args(health["command"][1:], {}, {}, paths)
    sidecar_env = dict(os.environ)
    sidecar_env.update({e["name"]: e["value"] for e in health.get("env", [])})
    sidecar = dp.Proc("pair-sidecar", command + sidecar_args, work, os.path.join(work, "pair-sidecar.log"), sidecar_env)
    net["procs"].append(sidecar)
    sidecar.url = "http://127.0.0.1:%d" % health_port
    return el, cl, sidecar, engine


def test_rendered_geth_prysm_pair_syncs_is_healthy_and_reports_el_offline(prysm_pair, tmp_path):
    net = prysm_pair
    first_cl = net["first_cl"]
    # started after the first epoch: Prysm's initial sync runs (within epoch 0 it would call itself synced)
    dp.wait_until(lambda: (dp.head_slot(first_cl.url) or 0) >= SLOTS_PER_EPOCH + 2, 3 * SLOTS_PER_EPOCH * SECONDS_PER_SLOT,
                  "first node past epoch 1", first_cl, interval=1)
    el, cl, sidecar, engine = _start_rendered_pair(net)
    pair = h.Pair(PAIR, h.Endpoint(el.url), h.Endpoint(cl.url))
    criteria = {"expected_chain_id": CHAIN_ID, "skip": SKIP}

    # 1. syncing, then healthy: the health model's reports from the pair's first Beacon API answer on
    timeline, started, streak = [], time.monotonic(), 0
    while time.monotonic() - started < 180 and streak < 3:
        report = h.check_pairs([pair], criteria, request_timeout=2.0)[0]
        if report["consensus"]["reachable"]:
            timeline.append((round(time.monotonic() - started, 1), report))
            streak = streak + 1 if report["healthy"] else 0
        if not cl.alive() or not el.alive():
            pytest.fail("the rendered pair exited:\n%s\n%s" % (cl.log_tail(), el.log_tail()))
        time.sleep(0.2)
    for t, r in timeline[::5]:
        sys.stderr.write("prysm pair %6.1fs healthy=%s %s\n" % (t, r["healthy"], "; ".join(r["failed"])[:240]))
    assert streak == 3, "the pair did not become healthy: %s\n%s" % (timeline[-1][1]["failed"] if timeline else "never answered", cl.log_tail())
    syncing = [r for _t, r in timeline if r["consensus"]["is_syncing"]]
    assert syncing, "the pair was never seen syncing: %s" % [r["failed"] for _t, r in timeline[:5]]
    assert any({"cl_not_syncing", "cl_head_slot"} & failing(r) for r in syncing)
    last = timeline[-1][1]
    assert last["consensus"]["version"].startswith("Prysm/%s " % PRYSM_VERSION), last["consensus"]["version"]
    assert last["execution"]["client_version"].startswith("Geth/v1.17.6"), last["execution"]["client_version"]
    assert last["consensus"]["el_offline"] is False and last["consensus"]["peers"] >= 1
    assert last["execution"]["chain_id"] == CHAIN_ID

    # 2. the pair's geth head moves, driven only through the engine API: it has no peers, does not mine, and its
    #    engine port is loopback-only behind the pair's JWT
    assert dp.rpc(el.url, "net_peerCount") == "0x0"
    assert listening_addresses(engine) == {"127.0.0.1"}
    assert post("http://127.0.0.1:%d" % engine, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})[0] == 401
    before = _block_number(el.url)
    dp.wait_until(lambda: (_block_number(el.url) or 0) >= before + 2, 30, "pair geth head moving", el)
    head = dp.beacon(cl.url, "/eth/v2/beacon/blocks/head")
    payload = head["message"]["body"]["execution_payload"]
    block = dp.rpc(el.url, "eth_getBlockByHash", [payload["block_hash"], False])
    assert block and int(block["number"], 16) == int(payload["block_number"]), (payload["block_hash"], block)

    # 3. the rendered sidecar and the gate (through ansible-playbook) say healthy
    status, text = dp.wait_until(_when(lambda: _readyz(sidecar.url), lambda r: r[0] == 200), 60, "sidecar /readyz 200", sidecar)
    assert text.startswith("ok"), text
    gate = {"name": "gate", "chainops.ethereum.eth_health_gate": {
        "pairs": [{"name": PAIR, "execution": {"url": el.url}, "consensus": {"url": cl.url}}],
        "criteria": criteria, "consecutive_polls": 2, "poll_interval": 1, "timeout": 60}}
    rc, results = run_playbook(tmp_path, _playbook(tmp_path, "healthy", [gate]))
    assert rc == 0 and results["gate"]["healthy"] is True and results["gate"]["streak"] == 2, results["gate"]

    # 4. the pair's geth stops. The sidecar and the gate turn unhealthy at once (the execution client is unreachable
    #    and the consensus head stalls), but Prysm v7.1.2 keeps el_offline false: it sets it only while its
    #    execution service starts (beacon-chain/execution/service.go initPOWService); a broken connection later only
    #    starts a silent redial. Checked here over two of its execution-head polls (SECONDS_PER_ETH1_BLOCK, 14 s).
    el.stop()
    status, text = dp.wait_until(_when(lambda: _readyz(sidecar.url), lambda r: r[0] == 503), 60, "sidecar /readyz 503", sidecar)
    assert "el_reachable" in text and "connection refused" in text, text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        syncing = dp.beacon(cl.url, "/eth/v1/node/syncing")
        assert syncing and syncing["el_offline"] is False, syncing
        time.sleep(2)
    report = h.check_pairs([pair], criteria, request_timeout=2.0)[0]
    assert not report["healthy"] and {"el_reachable", "cl_head_slot"} <= failing(report), report["failed"]
    assert "cl_el_online" not in failing(report)

    #    The consensus container restarts (as a pod's would) while its execution client is still down: now Prysm
    #    reports el_offline, and the sidecar and the gate name that reason
    cl.stop()
    cl.start()
    offline = dp.wait_until(_when(lambda: dp.beacon(cl.url, "/eth/v1/node/syncing"), lambda d: bool(d) and d.get("el_offline") is True),
                            90, "restarted Prysm reporting el_offline", cl, interval=1)
    assert offline["el_offline"] is True
    report = h.check_pairs([pair], criteria, request_timeout=2.0)[0]
    assert not report["healthy"] and "cl_el_online" in failing(report)
    assert any(line.startswith("cl_el_online: el_offline is true") for line in report["failed"]), report["failed"]
    status, text = dp.wait_until(_when(lambda: _readyz(sidecar.url), lambda r: r[0] == 503 and "el_offline is true" in r[1]),
                                 60, "sidecar /readyz 503 with el_offline", sidecar)
    assert "cl_el_online" in text, text
    gate["chainops.ethereum.eth_health_gate"].update(consecutive_polls=1, timeout=4, request_timeout=2)
    rc, results = run_playbook(tmp_path, _playbook(tmp_path, "offline", [gate]))
    assert rc == 2 and results["gate"]["failed"] is True, results["gate"]
    assert results["gate"]["msg"].startswith("eth_health_gate: 0 of 1 pairs healthy"), results["gate"]["msg"]
    gated = results["gate"]["pairs"][0]
    assert gated["healthy"] is False and {"cl_el_online", "el_reachable"} <= failing(gated)
    assert "cl_el_online: el_offline is true" in gated["failed"], gated["failed"]
