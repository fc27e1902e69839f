"""Real process from a rendered object: the execution container of a geth pair rendered (playbooks/chain.yml) for a
devnet test inventory, run exactly as rendered with the geth v1.17.6 binary built from its Go module (cached outside
the repo; only addresses, ports and paths remapped to 127.0.0.1 and a temporary folder). It serves JSON-RPC to a
request addressed by the `rpc` Service's DNS name, refuses a Host it does not know (403), serves JSON-RPC over
WebSocket on the rendered ws port (a raw HTTP Upgrade handshake and one masked text frame, RFC 6455) with the same
eth,net,web3 namespaces and refuses a browser Origin it does not know, and keeps its engine API on loopback behind the
pair's JWT (401 without it, 200 with a token signed by the secret the rendered init container wrote). Discovery is off
and no bootnode is given: geth dials nobody.
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import devnet_procs as dp
import pytest
from test_chain_pair_lodestar import INVENTORY, remap_args

pytestmark = pytest.mark.devnet
PAIR = "geth-lodestar"
GETH_VERSION = "v1.17.6"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
GENESIS = {
    "config": {
        "chainId": 31337, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0, "byzantiumBlock": 0,
        "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
        "mergeNetsplitBlock": 0, "shanghaiTime": 0, "terminalTotalDifficulty": 0,
    },
    "difficulty": "0x0", "gasLimit": "0x1c9c380", "alloc": {},
}


def geth_path():
    cache = os.environ.get("CHAINOPS_CACHE") or os.path.expanduser("~/.cache/chainops")
    path = os.environ.get("CHAINOPS_GETH") or os.path.join(cache, "geth-v1.17.6", "geth")
    if not os.access(path, os.X_OK):
        reason = "geth not built (set CHAINOPS_GETH, or `go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.6` into %s)" % os.path.dirname(path)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def post(url, body, headers=None, timeout=5):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=dict({"Content-Type": "application/json"}, **(headers or {})))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, OSError) as exc:
        return None, str(exc)


def ws_call(port, body, host, origin=None, timeout=5):
    """One JSON-RPC request over WebSocket: (HTTP status of the Upgrade, decoded JSON answer or None). A plain RFC 6455
    client: the handshake, one masked text frame out, one unfragmented text frame back."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET / HTTP/1.1", "Host: %s" % host, "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: %s" % key,
             "Sec-WebSocket-Version: 13"] + (["Origin: %s" % origin] if origin else [])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        header, _sep, rest = head.partition(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        if status != 101:
            return status, None
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()  # noqa: S324 - RFC 6455
        assert ("sec-websocket-accept: " + accept).lower().encode() in header.lower(), header
        payload, mask = json.dumps(body).encode(), os.urandom(4)
        size = struct.pack("!B", 0x80 | len(payload)) if len(payload) < 126 else struct.pack("!BH", 0x80 | 126, len(payload))
        sock.sendall(b"\x81" + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

        def read(count):
            nonlocal rest
            while len(rest) < count:
                chunk = sock.recv(65536)
                if not chunk:
                    raise EOFError("WebSocket closed after %d of %d bytes" % (len(rest), count))
                rest += chunk
            out, rest = rest[:count], rest[count:]
            return out

        first, second = read(2)
        assert first == 0x81, "expected one final text frame, got opcode byte 0x%02x" % first
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", read(8))[0]
        return status, json.loads(read(length).decode())


def listening_addresses(port):
    """Local IPv4/IPv6 addresses with a listening TCP socket on port, from /proc/net/tcp{,6}."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table, encoding="ascii") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            hex_addr, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(hex_addr)
            if width == 8:
                found.add(".".join(str(b) for b in raw[::-1]))
            else:
                words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
                text = b"".join(words).hex()
                found.add("::" if set(text) == {"0"} else text)
    return found


def jwt_token(secret_hex):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iat": int(time.time())}).encode())
    signature = b64(hmac.new(bytes.fromhex(secret_hex), header + b"." + claims, hashlib.sha256).digest())
    return (header + b"." + claims + b"." + signature).decode()


@pytest.fixture(scope="module")
def rendered_geth():
    binary = geth_path()
    work = tempfile.mkdtemp(prefix="chainops-chain-geth-")
    render = os.path.join(work, "rendered")
    inventory = os.path.join(work, "inventory.yml")
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write(INVENTORY % {"render": render, "enr": json.dumps("enr:-unused"), "pair": PAIR, "version": "v1.5.1"})
    sts, _configmap = dp.render_chain_pair(inventory, render, PAIR)
    return binary, work, sts


def test_rendered_geth_serves_rpc_by_service_name_and_guards_its_engine_api(rendered_geth):
    binary, work, sts = rendered_geth
    pod = sts["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["initContainers"] + pod["containers"]}
    execution = containers["execution"]
    assert execution["image"].endswith(":" + GETH_VERSION) and "command" not in execution

    jwt_dir, devnet_dir, data = (os.path.join(work, d) for d in ("jwt", "devnet", "data"))
    for folder in (jwt_dir, devnet_dir, data):
        os.makedirs(folder)
    with open(os.path.join(devnet_dir, "genesis.json"), "w", encoding="utf-8") as handle:
        json.dump(GENESIS, handle)
    script = containers["jwt"]["command"][2].replace("/var/run/chainops/jwt", jwt_dir)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    with open(os.path.join(jwt_dir, "jwt.hex"), encoding="utf-8") as handle:
        secret = handle.read()

    ports = {p["name"]: p["containerPort"] for p in execution["ports"]}
    http, ws, metrics, p2p, engine = dp.free_port(), dp.free_port(), dp.free_port(), dp.free_port(udp_too=True), dp.free_port()
    address = sts["spec"]["template"]["metadata"]["annotations"]["chain.chainops.io/p2p-address"]
    port_map = {ports["el-rpc"]: http, ports["el-ws"]: ws, ports["el-metrics"]: metrics, ports["el-p2p"]: p2p, 8551: engine}
    args = remap_args(execution["args"], {"0.0.0.0": "127.0.0.1"}, port_map,
                      {"/var/run/chainops/jwt": jwt_dir, "/devnet": devnet_dir, "/data": data})
    # --nat=extip:<pool address> is an address inside a flag value
    args = [a.replace("extip:" + address, "extip:127.0.0.1") for a in args]
    assert [a.split("=", 1)[0] for a in args] == [a.split("=", 1)[0] for a in execution["args"]]
    assert "--nodiscover" in args and "--authrpc.addr=127.0.0.1" in args
    env = {k: v for k, v in os.environ.items() if not k.startswith("GETH_")}
    env.update({e["name"]: e["value"] for e in execution.get("env", [])})
    node = dp.Proc("rendered-geth", [binary] + args, data, os.path.join(work, "geth.log"), env)
    try:
        rpc = "http://127.0.0.1:%d" % http
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        dp.wait_until(lambda: post(rpc, body, {"Host": "localhost"})[0] == 200, 90, "rendered geth JSON-RPC", node)
        # a request addressed by the Service's DNS name passes the host allowlist
        for host in ("rpc.chainops-chain.svc.cluster.local", "rpc", "%s.chainops-chain.svc" % PAIR):
            status, text = post(rpc, body, {"Host": host})
            assert status == 200 and json.loads(text)["result"] == "0x7a69", (host, status, text)
        status, _text = post(rpc, body, {"Host": "evil.example"})
        assert status == 403
        # only eth, net and web3 are served
        status, text = post(rpc, {"jsonrpc": "2.0", "id": 2, "method": "admin_nodeInfo", "params": []}, {"Host": "rpc"})
        assert status == 200 and json.loads(text)["error"]["code"] == -32601, text
        # JSON-RPC over WebSocket on the rendered ws port (the Services' ws port targets it by name), by the Service's
        # DNS name; the same namespaces as HTTP
        assert "--ws.port=%d" % ports["el-ws"] in execution["args"] and "--ws.api=eth,net,web3" in execution["args"]
        for host in ("rpc.chainops-chain.svc.cluster.local", "%s.chainops-chain.svc" % PAIR):
            status, answer = ws_call(ws, body, host)
            assert status == 101 and answer["result"] == "0x7a69", (host, status, answer)
        status, answer = ws_call(ws, {"jsonrpc": "2.0", "id": 3, "method": "admin_nodeInfo", "params": []}, "rpc")
        assert status == 101 and answer["error"]["code"] == -32601, answer
        # geth's WebSocket guard is the Origin check (a browser always sends Origin): an unknown one is refused ...
        assert ws_call(ws, body, "rpc", origin="http://evil.example") == (403, None)
        # ... and, as its source says, Host is not checked on WebSocket: the NetworkPolicies and the edge routes are
        # what limit who reaches this port (docs/chain.md)
        status, answer = ws_call(ws, body, "evil.example")
        assert status == 101 and answer["result"] == "0x7a69"
        assert listening_addresses(ws) == {"127.0.0.1"}
        # the engine API: loopback only, 401 without the pair's JWT, served with it
        auth = "http://127.0.0.1:%d" % engine
        assert post(auth, body)[0] == 401
        assert post(auth, body, {"Authorization": "Bearer " + jwt_token("00" * 32)})[0] == 401
        status, text = post(auth, body, {"Authorization": "Bearer " + jwt_token(secret)})
        assert status == 200 and json.loads(text)["result"] == "0x7a69", text
        # nothing but loopback listens on the engine port (the kernel's socket table, no traffic)
        assert listening_addresses(engine) == {"127.0.0.1"}
        assert listening_addresses(http) == {"127.0.0.1"}  # control: the table shows the remapped JSON-RPC listener
    finally:
        node.stop()
        sys.stderr.write("chain geth: stopped rendered-geth (pid %d)\n" % node.pid)
