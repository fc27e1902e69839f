"""Real processes from rendered objects: render the chain layer (playbooks/chain.yml) for a devnet test inventory whose
pair runs Lodestar v1.5.1, then run the pod's JWT init container, its consensus container and its health sidecar exactly
as rendered (command, args, env; only addresses, ports and paths remapped to 127.0.0.1 and a temporary folder) against
a local devnet: the node comes up and syncs, the sidecar answers 200 on /readyz, and 503 once the node is paused.

The devnet here is Lodestar's own (`dev --dumpTestnetFiles`, mainnet preset, 2 s slots, CONFIG_NAME changed so no
public network's bootnodes are ever added), served by one validating node on 127.0.0.1; anvil stands in for the
execution client the sidecar reads. Nothing listens beyond loopback and no public address is dialed.
"""

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import devnet_procs as dp
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PAIR = "geth-lodestar"
LODESTAR_VERSION = "v1.5.1"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.devnet

INVENTORY = """\
k3s_cluster:
  children:
    k3s_servers:
      hosts:
        devnet-node1: {}
  vars:
    chainops_test_inventory: true
    chainops_render_dir: %(render)s
    chainops_apply: false
    chainops_network: devnet
    chainops_chain_mode: devnet
    chainops_devnet:
      config_file: /devnet/config.yaml
      genesis_state_file: /devnet/genesis.ssz
      genesis_file: /devnet/genesis.json
      network_id: 31337
      chain_id: 31337
      bootnodes: [%(enr)s]
    # anvil has no net_peerCount and Lodestar 1.5.1 does not report el_offline (docs/health.md)
    chainops_chain_sidecar_criteria: {skip: [el_peers, cl_el_online, cl_finality]}
    chainops_chain_sidecar_image: docker.io/library/python:3.12.12-slim
    chainops_chain_volume_sizes: {geth: 1Gi, lodestar: 1Gi}
    chainops_mgmt_network: 10.10.0.0/24
    k3s_cluster_cidr: 10.42.0.0/16
    metallb_pools:
      - {name: p2p, network: p2p, addresses: [192.0.2.128/30]}
    chainops_pairs:
      - name: %(pair)s
        execution: {client: geth, version: v1.17.6}
        consensus: {client: lodestar, version: %(version)s}
"""


def _prerequisites():
    reason = dp.missing_clients()
    if reason:
        if os.environ.get("CI"):
            pytest.fail("devnet clients " + reason + " (CI must provide them: run scripts/bootstrap.sh)")
        pytest.skip("devnet clients " + reason)


def _status(url, timeout=3):
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def _wait_status(url, wanted, timeout, proc=None):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = _status(url)
        if seen == wanted:
            return time.monotonic()
        time.sleep(0.25)
    raise AssertionError("%s did not answer %s within %ss (last %s)\n%s" % (url, wanted, timeout, seen, proc.log_tail() if proc else ""))


def remap_args(args, addresses, ports, paths):
    """Each --flag=value with its value remapped when it is an address, a port or a path of the pod; the flags, their
    order and every other value stay exactly as rendered."""
    out = []
    for arg in args:
        flag, sep, value = arg.partition("=")
        if not sep:
            for old, new in paths.items():
                if arg.startswith(old + "/"):
                    flag = new + arg[len(old):]
                    break
        elif value in addresses:
            value = addresses[value]
        elif value.isdigit() and int(value) in ports:
            value = str(ports[int(value)])
        else:
            for old, new in paths.items():
                if value == old or value.startswith(old + "/"):
                    value = new + value[len(old):]
                    break
            url = re.match(r"^(https?://)([0-9.]+):(\d+)$", value)
            if url and int(url.group(3)) in ports:
                value = "%s%s:%d" % (url.group(1), addresses.get(url.group(2), url.group(2)), ports[int(url.group(3))])
        out.append(flag + sep + value)
    return out


@pytest.fixture(scope="module")
def chain_devnet():
    _prerequisites()
    work = tempfile.mkdtemp(prefix="chainops-chain-devnet-")
    procs = []
    try:
        lodestar = dp.lodestar_path()
        testnet = os.path.join(work, "devnet")
        env = dp._client_env()
        env.pop("LODESTAR_PRESET", None)
        subprocess.run([lodestar, "dev", "--preset", "mainnet", "--dumpTestnetFiles", testnet, "--genesisValidators", str(dp.GENESIS_VALIDATORS),
                        "--params.SECONDS_PER_SLOT", str(dp.SECONDS_PER_SLOT)],
                       cwd=work, env=env, check=True, capture_output=True, timeout=120)
        config = os.path.join(testnet, "config.yaml")
        with open(config, encoding="utf-8") as handle:
            text = handle.read()
        # the dumped config names mainnet: a name no public network uses keeps its bootnodes away
        text, count = re.subn(r"(?m)^CONFIG_NAME: .*$", "CONFIG_NAME: chainops-devnet", text)
        assert count == 1
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(text)
        anvil = dp.start_anvil(work, "anvil")
        procs.append(anvil)
        rest, p2p = dp.free_port(), dp.free_port(udp_too=True)
        node = os.path.join(work, "validator")
        os.makedirs(node)
        validator = dp.Proc("validator", [
            lodestar, "dev", "--preset", "mainnet", "--paramsFile", config, "--genesisStateFile", os.path.join(testnet, "genesis.ssz"),
            "--genesisValidators", str(dp.GENESIS_VALIDATORS), "--startValidators", "0..%d" % (dp.GENESIS_VALIDATORS - 1),
            "--dataDir", os.path.join(node, "data"), "--rest.address", "127.0.0.1", "--rest.port", str(rest),
            "--beaconNodes", "http://127.0.0.1:%d" % rest, "--listenAddress", "127.0.0.1", "--port", str(p2p),
            "--enr.ip", "127.0.0.1", "--enr.tcp", str(p2p), "--enr.udp", str(p2p), "--logFile", "none",
        ], node, os.path.join(work, "validator.log"), env)
        procs.append(validator)
        validator.url = "http://127.0.0.1:%d" % rest
        dp.wait_until(lambda: (dp.head_slot(validator.url) or 0) >= 2, 120, "validator producing blocks", validator)
        yield {"work": work, "testnet": testnet, "anvil": anvil, "validator": validator, "enr": dp.enr(validator.url), "procs": procs}
    finally:
        for proc in reversed(procs):
            proc.stop()
            sys.stderr.write("chain devnet: stopped %s (pid %d)\n" % (proc.name, proc.pid))


@pytest.fixture(scope="module")
def rendered_pod(chain_devnet):
    work = chain_devnet["work"]
    inventory = os.path.join(work, "inventory.yml")
    render = os.path.join(work, "rendered")
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write(INVENTORY % {"render": render, "enr": json.dumps(chain_devnet["enr"]), "pair": PAIR, "version": LODESTAR_VERSION})
    sts, configmap = dp.render_chain_pair(inventory, render, PAIR)
    pod = sts["spec"]["template"]["spec"]
    return {"pod": pod, "configmap": configmap, "address": sts["spec"]["template"]["metadata"]["annotations"]["chain.chainops.io/p2p-address"]}


def test_rendered_lodestar_pair_runs_and_the_sidecar_follows_it(chain_devnet, rendered_pod):
    work, pod = chain_devnet["work"], rendered_pod["pod"]
    containers = {c["name"]: c for c in pod["initContainers"] + pod["containers"]}
    jwt_dir, data, devnet_dir, code_dir = (os.path.join(work, d) for d in ("jwt", "data", "devnet", "health"))
    os.makedirs(jwt_dir)
    paths = {"/var/run/chainops/jwt": jwt_dir, "/data": data, "/devnet": devnet_dir, "/opt/chainops/health": code_dir}

    # 1. the JWT init container: its own command with the volume path remapped
    jwt = containers["jwt"]
    assert jwt["command"][:2] == ["python3", "-c"]
    script = jwt["command"][2].replace("/var/run/chainops/jwt", jwt_dir)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    secret_file = os.path.join(jwt_dir, "jwt.hex")
    with open(secret_file, encoding="utf-8") as handle:
        secret = handle.read()
    assert re.fullmatch("[0-9a-f]{64}", secret)
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o440
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)  # a restarted init keeps the pair's secret
    with open(secret_file, encoding="utf-8") as handle:
        assert handle.read() == secret

    # 2. the consensus container: the image entrypoint (lodestar) with the rendered args and env
    consensus = containers["consensus"]
    assert consensus["image"].endswith(":" + LODESTAR_VERSION) and "command" not in consensus
    rest, metrics, p2p, engine = dp.free_port(), dp.free_port(), dp.free_port(udp_too=True), dp.free_port()
    ports = {p["name"]: p["containerPort"] for p in consensus["ports"]}
    remap_ports = {ports["cl-rest"]: rest, ports["cl-metrics"]: metrics, ports["cl-p2p"]: p2p, 8551: engine}
    addresses = {"0.0.0.0": "127.0.0.1", rendered_pod["address"]: "127.0.0.1"}  # noqa: S104 - the rendered listen address
    args = remap_args(consensus["args"], addresses, remap_ports, paths)
    assert [a.split("=", 1)[0] for a in args] == [a.split("=", 1)[0] for a in consensus["args"]]
    assert "--bootnodes=%s" % chain_devnet["enr"] in args and "--jwt-secret=%s" % secret_file in args
    env = dp._client_env()
    env.pop("LODESTAR_PRESET", None)
    env.update({e["name"]: e["value"] for e in consensus.get("env", [])})
    os.makedirs(data)
    node = dp.Proc("rendered-consensus", [dp.lodestar_path()] + args, data, os.path.join(work, "rendered-consensus.log"), env)
    chain_devnet["procs"].append(node)
    node.url = "http://127.0.0.1:%d" % rest

    # 3. the sidecar: the ConfigMap's files and the rendered command and args
    os.makedirs(code_dir)
    for name, text in rendered_pod["configmap"]["data"].items():
        with open(os.path.join(code_dir, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    health = containers["health"]
    health_port = dp.free_port()
    el_port = int(re.search(r"--execution-url=http://127.0.0.1:(\d+)", " ".join(health["args"])).group(1))
    anvil_port = int(chain_devnet["anvil"].url.rsplit(":", 1)[1])
    sidecar_ports = {el_port: anvil_port, ports["cl-rest"]: rest, 8575: health_port}
    sidecar_args = remap_args(health["args"], addresses, sidecar_ports, paths)
    command = [sys.executable if health["command"][0] == "python3" else health["command"][0]] + remap_args(health["command"][1:], {}, {}, paths)
    sidecar_env = dict(os.environ)
    sidecar_env.update({e["name"]: e["value"] for e in health.get("env", [])})
    sidecar = dp.Proc("rendered-sidecar", command + sidecar_args, work, os.path.join(work, "rendered-sidecar.log"), sidecar_env)
    chain_devnet["procs"].append(sidecar)
    base = "http://127.0.0.1:%d" % health_port

    # the node comes up and follows the devnet; the pair turns Ready
    dp.wait_until(lambda: dp.head_slot(node.url) is not None, 90, "rendered Lodestar REST API", node)
    _wait_status(base + "/readyz", 200, 120, node)
    assert _status(base + "/livez") == 200
    # paused: the sidecar takes the pair out of the Services (503) but liveness does not kill it
    node.pause()
    try:
        _wait_status(base + "/readyz", 503, 30, sidecar)
        assert _status(base + "/livez") == 200
    finally:
        node.resume()
    _wait_status(base + "/readyz", 200, 60, node)
