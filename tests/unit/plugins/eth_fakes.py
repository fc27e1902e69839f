"""A tiny Ethereum node impersonator on 127.0.0.1 for the health-model unit tests (no tests in this file).

It serves canned JSON-RPC answers (per method, batch or single), Beacon API answers (per path: status, body,
content type), per-route delays, raw bodies (HTML error pages, garbage) and records every request it saw, so a
test can assert both what the health model concluded and what it asked.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

SECONDS_PER_SLOT = 12
SLOTS_PER_EPOCH = 32


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's default backlog of 5 drops SYNs under a burst: 1 s retransmit stalls

    def handle_error(self, request, client_address):
        """Clients that hang up mid-answer (timeouts under test) or fail the TLS handshake are expected here."""


class FakeNode:
    def __init__(self, tls_context=None):
        self.rpc = {}  # method -> {"result": x} | {"error": {...}} | callable(params) -> dict
        self.rest = {}  # path -> (status, body, content_type); body: dict/list (JSON), str or bytes (raw)
        self.delay = {}  # method or path (or "*") -> seconds
        self.raw_post = None  # (status, body, content_type) answered to every POST
        self.batch_supported = True
        self.requests = []
        self.lock = threading.Lock()
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                return

            def _reply(self, status, body, ctype="application/json"):
                if isinstance(body, (dict, list)) or body is None and ctype == "application/json":
                    data = json.dumps(body).encode()
                elif isinstance(body, str):
                    data = body.encode()
                else:
                    data = body or b""
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _sleep(self, *keys):
                wait = max([node.delay.get(k, 0) for k in keys] + [node.delay.get("*", 0)])
                if wait:
                    time.sleep(wait)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with node.lock:
                    node.requests.append(("POST", self.path, dict(self.headers), raw))
                if node.raw_post is not None:
                    self._sleep("POST")
                    self._reply(*node.raw_post)
                    return
                doc = json.loads(raw)
                calls = doc if isinstance(doc, list) else [doc]
                self._sleep("POST", *[c.get("method") for c in calls])
                if isinstance(doc, list) and not node.batch_supported:
                    self._reply(200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch requests are disabled"}})
                    return
                answers = [self._answer(c) for c in calls]
                self._reply(200, answers if isinstance(doc, list) else answers[0])

            def _answer(self, call):
                spec = node.rpc.get(call.get("method"))
                if spec is None:
                    body = {"error": {"code": -32601, "message": "the method %s does not exist/is not available" % call.get("method")}}
                elif callable(spec):
                    body = spec(call.get("params"))
                else:
                    body = spec
                out = {"jsonrpc": "2.0", "id": call.get("id")}
                out.update(body)
                return out

            def do_GET(self):
                with node.lock:
                    node.requests.append(("GET", self.path, dict(self.headers), b""))
                path = self.path.split("?", 1)[0]
                self._sleep(path)
                spec = node.rest.get(path)
                if spec is None:
                    self._reply(404, {"code": 404, "message": "Route GET:%s not found" % path})
                    return
                if callable(spec):
                    spec = spec()
                status, body = spec[0], spec[1]
                ctype = spec[2] if len(spec) > 2 else "application/json"
                self._reply(status, body, ctype)

        self.server = _Server(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.scheme = "https" if tls_context is not None else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def paths_seen(self, method=None):
        with self.lock:
            return [r[1] for r in self.requests if method is None or r[0] == method]

    def rpc_methods_seen(self):
        out = []
        with self.lock:
            posts = [r[3] for r in self.requests if r[0] == "POST"]
        for raw in posts:
            doc = json.loads(raw)
            out.append([c["method"] for c in doc] if isinstance(doc, list) else doc["method"])
        return out

    # -- canned healthy answers ----------------------------------------------------------------------------------
    def healthy_execution(self, head_age=3, block=19_000_000, peers=25, chain_id=1):
        now = int(time.time())
        self.rpc.update({
            "eth_syncing": {"result": False},
            "eth_blockNumber": {"result": hex(block)},
            "eth_getBlockByNumber": {"result": {"number": hex(block), "timestamp": hex(now - head_age), "hash": "0x" + "ab" * 32}},
            "net_peerCount": {"result": hex(peers)},
            "eth_chainId": {"result": hex(chain_id)},
            "web3_clientVersion": {"result": "Geth/v1.16.7-stable/linux-amd64/go1.24.4"},
        })
        return self

    def healthy_consensus(self, head_lag=0, *, sync_distance=None, peers=60, finality_lag=2, el_offline=False, slot=None):
        """A consensus client whose genesis makes the wall-clock slot ``slot`` (default: a large round number)."""
        now = time.time()
        slot = 9_000_000 if slot is None else slot
        genesis = int(now - slot * SECONDS_PER_SLOT - SECONDS_PER_SLOT / 2)  # mid-slot: no boundary flakiness
        head = slot - head_lag
        syncing = {"head_slot": str(head), "sync_distance": str(head_lag if sync_distance is None else sync_distance),
                   "is_syncing": False, "is_optimistic": False}
        if el_offline is not None:
            syncing["el_offline"] = el_offline
        head_epoch = head // SLOTS_PER_EPOCH
        self.rest.update({
            "/eth/v1/node/syncing": (200, {"data": syncing}),
            "/eth/v1/node/health": (200, b"", "text/plain"),
            "/eth/v1/node/peer_count": (200, {"data": {"disconnected": "3", "connecting": "0", "connected": str(peers), "disconnecting": "0"}}),
            "/eth/v1/node/version": (200, {"data": {"version": "Lighthouse/v8.0.0-abcdef/x86_64-linux"}}),
            "/eth/v1/beacon/headers/head": (200, {"execution_optimistic": False, "finalized": False, "data": {
                "root": "0x" + "cd" * 32, "canonical": True,
                "header": {"message": {"slot": str(head), "proposer_index": "7", "parent_root": "0x" + "00" * 32,
                                       "state_root": "0x" + "11" * 32, "body_root": "0x" + "22" * 32}, "signature": "0x" + "33" * 96}}}),
            "/eth/v1/beacon/states/head/finality_checkpoints": (200, {"execution_optimistic": False, "finalized": False, "data": {
                "previous_justified": {"epoch": str(head_epoch - finality_lag), "root": "0x" + "44" * 32},
                "current_justified": {"epoch": str(head_epoch - finality_lag + 1), "root": "0x" + "55" * 32},
                "finalized": {"epoch": str(head_epoch - finality_lag), "root": "0x" + "44" * 32}}}),
            "/eth/v1/beacon/genesis": (200, {"data": {
                "genesis_time": str(genesis), "genesis_validators_root": "0x" + "66" * 32, "genesis_fork_version": "0x00000000"}}),
            "/eth/v1/config/spec": (200, {"data": {
                "SLOTS_PER_EPOCH": str(SLOTS_PER_EPOCH), "SECONDS_PER_SLOT": str(SECONDS_PER_SLOT), "CONFIG_NAME": "mainnet"}}),
        })
        return self

    def set_syncing(self, **fields):
        status, doc = self.rest["/eth/v1/node/syncing"][:2]
        doc = json.loads(json.dumps(doc))
        for key, value in fields.items():
            if value is None:
                doc["data"].pop(key, None)
            else:
                doc["data"][key] = value
        self.rest["/eth/v1/node/syncing"] = (status, doc)
