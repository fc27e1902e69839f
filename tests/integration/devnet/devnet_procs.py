"""Start and stop real anvil and Lodestar processes on 127.0.0.1 (used by the devnet tests and benchmarks/bench_health.py).

Binaries: $CHAINOPS_ANVIL / $CHAINOPS_LODESTAR, else the cache scripts/bootstrap.sh fills
(${CHAINOPS_CACHE:-~/.cache/chainops}/{anvil,lodestar}/node_modules/.bin/...). Every process runs in its own session
so that stop()/pause() signal exactly what we started (the process group whose id is the PID we got), never
anything by name.
"""

import glob
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import yaml

# What "healthy" means on this devnet: anvil has no net_peerCount and Lodestar 1.5.1 does not report el_offline.
DEVNET_CRITERIA = {"skip": ["el_peers", "cl_el_online"], "expected_chain_id": 31337}

CACHE = os.environ.get("CHAINOPS_CACHE") or os.path.expanduser("~/.cache/chainops")
SECONDS_PER_SLOT = 2
GENESIS_VALIDATORS = 8
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def anvil_path():
    explicit = os.environ.get("CHAINOPS_ANVIL")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    # the npm package's bin.mjs is a node wrapper that spawns the native binary: run the native one directly so the
    # PID we signal is anvil itself
    native = sorted(glob.glob(os.path.join(CACHE, "anvil", "node_modules", "@foundry-rs", "anvil-*", "bin", "anvil")))
    for path in native + [os.path.join(CACHE, "anvil", "node_modules", ".bin", "anvil")]:
        if os.access(path, os.X_OK):
            return path
    return None


def lodestar_path():
    path = os.environ.get("CHAINOPS_LODESTAR") or os.path.join(CACHE, "lodestar", "node_modules", ".bin", "lodestar")
    return path if os.access(path, os.X_OK) else None


def missing_clients():
    """Reason string when a client binary is absent (tests skip with it), else None."""
    missing = []
    if not anvil_path():
        missing.append("anvil (set CHAINOPS_ANVIL or run scripts/bootstrap.sh)")
    if not lodestar_path():
        missing.append("Lodestar (set CHAINOPS_LODESTAR or run scripts/bootstrap.sh)")
    return ("not installed: " + ", ".join(missing)) if missing else None


def free_port(udp_too=False):
    for _attempt in range(50):
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        try:
            if udp_too:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                finally:
                    udp.close()
            return port
        finally:
            tcp.close()
    raise RuntimeError("no free port pair found")


class Proc:
    """A client process we started, in its own session; signals go to its process group (= its PID)."""

    def __init__(self, name, argv, cwd, log_path, env=None):
        self.name = name
        self.argv = argv
        self.cwd = cwd
        self.log_path = log_path
        self.env = env
        self.popen = None
        self.paused = False
        self.start()

    def start(self):
        log = open(self.log_path, "ab")  # handed to the child; closed in stop()
        self._log = log
        self.popen = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        self.paused = False
        return self

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def _signal(self, sig):
        if self.alive():
            os.killpg(self.popen.pid, sig)

    def pause(self):
        self._signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self._signal(signal.SIGCONT)
        self.paused = False

    def stop(self, timeout=15):
        if self.popen is None:
            return
        if self.alive():
            self.resume()
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.popen.wait(10)
        self._log.close()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as handle:
                return b"\n".join(handle.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""


def _client_env():
    # Lodestar parses every LODESTAR_* variable as a CLI flag: keep them away from it
    return dict((k, v) for k, v in os.environ.items() if not k.startswith("LODESTAR_"))


def start_anvil(workdir, name="anvil", block_time=1):
    port = free_port()
    os.makedirs(workdir, exist_ok=True)
    proc = Proc(name, [anvil_path(), "--host", "127.0.0.1", "--port", str(port), "--block-time", str(block_time)],
                workdir, os.path.join(workdir, name + ".log"), _client_env())
    proc.url = "http://127.0.0.1:%d" % port
    wait_until(lambda: rpc(proc.url, "eth_blockNumber") is not None, 30, "anvil %s JSON-RPC" % name, proc)
    return proc


def start_lodestar(workdir, name, genesis_time, *, validating, bootnode_enr=None, rest_port=None, p2p_port=None):
    """Lodestar v1.5.1 `dev` node per ../shared/devnet/README.md: 8 interop validators, 2 s slots, loopback only."""
    rest_port = rest_port or free_port()
    p2p_port = p2p_port or free_port(udp_too=True)
    node_dir = os.path.join(workdir, name)
    os.makedirs(node_dir, exist_ok=True)
    argv = [lodestar_path(), "dev", "--genesisValidators", str(GENESIS_VALIDATORS), "--genesisTime", str(genesis_time),
            "--dataDir", os.path.join(node_dir, "data"), "--params.SECONDS_PER_SLOT", str(SECONDS_PER_SLOT),
            "--rest.address", "127.0.0.1", "--rest.port", str(rest_port),
            "--listenAddress", "127.0.0.1", "--port", str(p2p_port),
            "--enr.ip", "127.0.0.1", "--enr.tcp", str(p2p_port), "--enr.udp", str(p2p_port), "--logFile", "none"]
    if validating:
        argv += ["--startValidators", "0..%d" % (GENESIS_VALIDATORS - 1), "--beaconNodes", "http://127.0.0.1:%d" % rest_port]
    if bootnode_enr:
        argv += ["--bootnodes", bootnode_enr, "--network.connectToDiscv5Bootnodes", "true", "--sync.isSingleNode", "false"]
    proc = Proc(name, argv, node_dir, os.path.join(workdir, name + ".log"), _client_env())
    proc.rest_port, proc.p2p_port = rest_port, p2p_port
    proc.url = "http://127.0.0.1:%d" % rest_port
    return proc


def wait_until(predicate, timeout, what, proc=None, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the client is still starting
            value = None
        if value:
            return value
        if proc is not None and not proc.alive():
            raise RuntimeError("%s exited while waiting for %s:\n%s" % (proc.name, what, proc.log_tail()))
        time.sleep(interval)
    raise TimeoutError("%s not ready after %ss%s" % (what, timeout, ("\n" + proc.log_tail()) if proc is not None else ""))


def http_json(url, body=None, timeout=3):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def rpc(url, method, params=None, timeout=3):
    status, doc = http_json(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout)
    if status != 200 or not isinstance(doc, dict) or "result" not in doc:
        return None
    return doc["result"]


def rpc_ok(url, method, params=None, timeout=3):
    """True when the call returned a result (even null) and no error: for control calls like evm_setIntervalMining."""
    status, doc = http_json(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout)
    return status == 200 and isinstance(doc, dict) and "result" in doc and doc.get("error") is None


def beacon(url, path, timeout=3):
    status, doc = http_json(url + path, timeout=timeout)
    return doc.get("data") if status == 200 and isinstance(doc, dict) else None


def head_slot(url):
    data = beacon(url, "/eth/v1/node/syncing")
    return int(data["head_slot"]) if data else None


def enr(url):
    data = beacon(url, "/eth/v1/node/identity")
    return data["enr"] if data else None


def http_status(url, timeout=3):
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def render_chain_pair(inventory, render, pair):
    """Run playbooks/chain.yml (render only, as the inventory says) on ``inventory`` and return the pair's
    StatefulSet and the health sidecar's ConfigMap exactly as rendered into ``render``."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(repo, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(repo, "collections"))
    proc = subprocess.run([os.path.join(repo, ".venv", "bin", "ansible-playbook"), "playbooks/chain.yml", "-i", inventory],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with open(os.path.join(render, "chain", "50-pair-%s.yaml" % pair), encoding="utf-8") as handle:
        sts = [d for d in yaml.safe_load_all(handle) if d and d["kind"] == "StatefulSet"][0]
    with open(os.path.join(render, "chain", "20-health-sidecar.yaml"), encoding="utf-8") as handle:
        configmap = [d for d in yaml.safe_load_all(handle) if d][0]
    return sts, configmap
