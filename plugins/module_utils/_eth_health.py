# Private to chainops.ethereum (not a public API): the one health model shared by the eth_* modules and the pair-health sidecar
# (_eth_health_sidecar.py).
#
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain-aware health of Ethereum execution + consensus client pairs.

Standard library only: the same file is imported by the Ansible modules (eth_node_info, eth_health_gate) and by the
pair-health sidecar (``_eth_health_sidecar.py``, its HTTP server), which runs in a stock Python image with both files
mounted from one ConfigMap.

Layers, each usable alone:

* transport: ``http_request`` with a hard per-request deadline, TLS, headers and basic auth; every failure becomes
  a ``ProbeError`` with a short reason, never a traceback;
* probes: JSON-RPC (execution) and Beacon API (consensus) answers parsed strictly (hex quantities are hex strings,
  beacon integers are decimal strings, booleans are booleans) into an observation dict;
* criteria: ``evaluate_pair`` turns observations into one verdict per criterion, each with a reason;
  a value the criterion needs that is missing or malformed fails that criterion (fail closed);
* concurrency: ``check_pairs`` runs every request of every endpoint in one thread pool under a total deadline;
* waiting: ``wait_for_health`` polls until enough pairs pass for N consecutive polls, or the timeout.

The sidecar (``PairMonitor``, liveness, metrics, /readyz /livez /metrics server) is in ``_eth_health_sidecar.py``.
"""

import base64
import concurrent.futures
import json
import re
import socket
import ssl
import threading
import time

import http.client as http_client
from urllib.parse import quote, unquote, urlsplit

EXECUTION = "execution"
CONSENSUS = "consensus"
CLIENTS = (EXECUTION, CONSENSUS)

USER_AGENT = "chainops-eth-health/1"
MAX_BODY_BYTES = 8 * 1024 * 1024

# ---------------------------------------------------------------------------------------------------------------------
# Criteria: defaults and meaning. docs/health.md explains each default; the module doc fragment repeats them.
# ---------------------------------------------------------------------------------------------------------------------
DEFAULT_CRITERIA = {
    # consensus head may trail the wall-clock slot by this many slots (both the client's own sync_distance and the
    # distance computed here from genesis time, so a client that wrongly claims "synced" is still caught)
    "max_sync_distance": 2,
    # execution head block may be at most this many seconds old (geth answers eth_syncing=false between sync cycles)
    "max_head_age": 60.0,
    "min_execution_peers": 1,
    "min_consensus_peers": 1,
    # a head imported optimistically (execution payload not yet verified) is not fit to serve
    "allow_optimistic": False,
    # finalized epoch must be within this many epochs of the head epoch (normal: 2; the protocol's inactivity leak
    # starts after 4)
    "max_finality_lag_epochs": 4,
    # chain id the execution client must report (None: not checked)
    "expected_chain_id": None,
    # execution head block number may trail the consensus head's execution payload by at most this many blocks
    # (None: not checked; needs post-merge blocks and /eth/v1/beacon/blinded_blocks)
    "max_el_cl_block_lag": None,
    # SLOTS_PER_EPOCH / SECONDS_PER_SLOT override (None: read from /eth/v1/config/spec once per endpoint)
    "slots_per_epoch": None,
    "seconds_per_slot": None,
    # criteria names to leave out, e.g. ["el_peers"] for a client without net_peerCount
    "skip": [],
}

# every criterion: (client, one-line meaning). Order is the order of the report.
CRITERIA = (
    ("el_reachable", EXECUTION, "the JSON-RPC endpoint answers with JSON-RPC"),
    ("el_chain_id", EXECUTION, "eth_chainId equals expected_chain_id (only when expected_chain_id is set)"),
    ("el_not_syncing", EXECUTION, "eth_syncing is false"),
    ("el_head_age", EXECUTION, "the latest block's timestamp is at most max_head_age seconds old"),
    ("el_peers", EXECUTION, "net_peerCount is at least min_execution_peers"),
    ("cl_reachable", CONSENSUS, "the Beacon API answers"),
    ("cl_health", CONSENSUS, "/eth/v1/node/health answers 200 (206 = syncing or optimistic, 503 = not initialized)"),
    ("cl_not_syncing", CONSENSUS, "/eth/v1/node/syncing is_syncing is false"),
    ("cl_sync_distance", CONSENSUS, "the client's sync_distance is at most max_sync_distance"),
    ("cl_head_slot", CONSENSUS, "the head slot is at most max_sync_distance behind the wall-clock slot (genesis time + slot length)"),
    ("cl_not_optimistic", CONSENSUS, "is_optimistic is false (unless allow_optimistic)"),
    ("cl_el_online", CONSENSUS, "el_offline is false: the consensus client reaches its execution client"),
    ("cl_peers", CONSENSUS, "connected peers are at least min_consensus_peers"),
    ("cl_finality", CONSENSUS, "the finalized epoch is within max_finality_lag_epochs of the head epoch"),
    ("el_cl_head", "pair", "the execution head is within max_el_cl_block_lag blocks of the consensus head's payload (only when set)"),
)
CRITERION_NAMES = tuple(c[0] for c in CRITERIA)
CRITERION_CLIENT = dict((c[0], c[1]) for c in CRITERIA)
CRITERION_HELP = dict((c[0], c[2]) for c in CRITERIA)

# The sidecar's readiness leaves out finality: a network-wide finality stall is not this node's fault, and making
# every pod unready at once would take the whole RPC service down. Upgrade gates keep it.
READINESS_SKIP = ("cl_finality",)


class ProbeError(Exception):
    """One probe failed; str(err) is the reason shown to the operator."""


def merge_criteria(overrides=None, base=None):
    """Return a full criteria dict: ``base`` (default DEFAULT_CRITERIA) updated with the non-None ``overrides``.

    Unknown keys and unknown criterion names in ``skip`` raise ValueError: a typo must not silently weaken a gate.
    """
    merged = dict(DEFAULT_CRITERIA if base is None else base)
    merged["skip"] = list(merged.get("skip") or [])
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_CRITERIA:
            raise ValueError("unknown criteria key %r (known: %s)" % (key, ", ".join(sorted(DEFAULT_CRITERIA))))
        if value is None and key not in ("expected_chain_id", "max_el_cl_block_lag", "slots_per_epoch", "seconds_per_slot"):
            continue
        if key == "skip":
            names = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value)
            bad = [v for v in names if v not in CRITERION_NAMES]
            if bad:
                raise ValueError("unknown criterion in skip: %s (known: %s)" % (", ".join(bad), ", ".join(CRITERION_NAMES)))
            merged[key] = names
        else:
            merged[key] = value
    for key in ("max_sync_distance", "min_execution_peers", "min_consensus_peers", "max_finality_lag_epochs"):
        merged[key] = _as_nonneg_int(merged[key], key)
    for key in ("expected_chain_id", "max_el_cl_block_lag", "slots_per_epoch", "seconds_per_slot"):
        if merged[key] is not None:
            merged[key] = _as_nonneg_int(merged[key], key)
    try:
        merged["max_head_age"] = float(merged["max_head_age"])
    except (TypeError, ValueError):
        raise ValueError("max_head_age must be a number of seconds, got %r" % (merged["max_head_age"],)) from None
    if merged["max_head_age"] <= 0:
        raise ValueError("max_head_age must be positive")
    if not isinstance(merged["allow_optimistic"], bool):
        raise ValueError("allow_optimistic must be a boolean")
    return merged


def _as_nonneg_int(value, key):
    if isinstance(value, bool):
        raise ValueError("%s must be an integer, got a boolean" % key)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError("%s must be an integer, got %r" % (key, value)) from None
    if number < 0:
        raise ValueError("%s must not be negative" % key)
    return number


# ---------------------------------------------------------------------------------------------------------------------
# Endpoints and transport
# ---------------------------------------------------------------------------------------------------------------------
def kube_proxy_url(server, namespace, name, port, *, kind="service", scheme="http", path=""):
    """URL of ``path`` on a Service or Pod reached through the Kubernetes API server's proxy.

    ``https://<apiserver>/api/v1/namespaces/<ns>/services/[https:]<name>:<port>/proxy/<path>``; a path prefix in
    ``server`` (Rancher-style ``/k8s/clusters/<id>``) is kept.
    """
    if not server or not namespace or not name or port in (None, ""):
        raise ValueError("kube proxy needs server, namespace, name and port")
    if kind not in ("service", "pod"):
        raise ValueError("kind must be 'service' or 'pod', got %r" % (kind,))
    if scheme not in ("http", "https"):
        raise ValueError("scheme must be 'http' or 'https', got %r" % (scheme,))
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("API server URL must be http(s)://host[:port], got %r" % (server,))
    target = "%s:%s" % (quote(str(name), safe=""), quote(str(port), safe=""))
    if scheme == "https":
        target = "https:" + target
    rest = (path or "").lstrip("/")
    return "%s/api/v1/namespaces/%s/%ss/%s/proxy/%s" % (
        server.rstrip("/"), quote(str(namespace), safe=""), kind, target, quote(rest, safe="/:@!$&'()*+,;=-._~?"))


class Endpoint:
    """Where and how to reach one client's API.

    ``url``: for an execution client the JSON-RPC URL; for a consensus client the Beacon API base URL.
    Credentials in the URL's userinfo become basic auth and are never shown: ``label`` carries no userinfo
    and no query string.
    """

    def __init__(self, url, *, headers=None, username=None, password=None, validate_certs=True, ca_file=None, ca_data=None,
                 client_cert=None, client_key=None, label=None):
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("endpoint URL must be http(s)://host[:port][/path], got %r" % (_redact_url(url or ""),))
        self.scheme = parts.scheme
        self.host = parts.hostname
        try:
            self.port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValueError("endpoint URL has an invalid port: %r" % (_redact_url(url),)) from None
        self.path = parts.path or "/"
        self.base_path = parts.path.rstrip("/")
        self.query = parts.query
        if parts.username is not None and username is None:
            username = unquote(parts.username)
            password = unquote(parts.password or "")
        self.headers = dict(headers or {})
        if username is not None:
            token = base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = "Basic " + token
        self.validate_certs = validate_certs
        self.ca_file = ca_file
        self.ca_data = ca_data
        self.client_cert = client_cert
        self.client_key = client_key
        self.label = label or _redact_url(url)
        self._ssl_context = None
        self._lock = threading.Lock()

    @property
    def key(self):
        return "%s://%s:%s%s?%s" % (self.scheme, self.host, self.port, self.base_path, self.query)

    def target(self, path=""):
        """Request target: the URL's own path for "" (JSON-RPC), else ``path`` appended to it (Beacon API), plus the query."""
        full = self.base_path + path if path else self.path
        if self.query:
            full += ("&" if "?" in full else "?") + self.query
        return full

    def ssl_context(self):
        with self._lock:
            if self._ssl_context is None:
                ctx = ssl.create_default_context(cafile=self.ca_file, cadata=self.ca_data)
                if not self.validate_certs:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                if self.client_cert:
                    ctx.load_cert_chain(self.client_cert, self.client_key)
                self._ssl_context = ctx
            return self._ssl_context


_KEYLIKE_RE = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_-]{24,}$")


def _redact_url(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not parts.hostname:
        return url.split("@")[-1].split("?")[0]
    netloc = parts.hostname if ":" not in parts.hostname else "[%s]" % parts.hostname
    try:
        if parts.port:
            netloc += ":%d" % parts.port
    except ValueError:
        pass
    # API keys often travel in the path (https://mainnet.example/v3/<key>): hide key-like segments
    path = "/".join("***" if _KEYLIKE_RE.match(seg) else seg for seg in parts.path.split("/"))
    return "%s://%s%s" % (parts.scheme, netloc, path)


class HttpResult:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed


def http_request(endpoint, method, path, body=None, *, timeout=5.0, max_bytes=MAX_BODY_BYTES):
    """One HTTP request with a hard deadline of ``timeout`` seconds for connect + send + the whole response.

    Returns an HttpResult for any HTTP status; raises ProbeError for everything that is not an HTTP answer. Socket
    timeouts alone bound each read, not the response: a server that trickles its headers or body a byte at a time
    would keep every read short and the request open. A watchdog shuts the socket down at the deadline instead.
    """
    expired = threading.Event()
    holder = {}

    def expire():
        expired.set()
        sock = getattr(holder.get("conn"), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        result = _http_exchange(endpoint, method, path, body, timeout=timeout, max_bytes=max_bytes, holder=holder)
        if expired.is_set():  # the shut-down socket may have read as an early end of the body
            raise ProbeError("timeout after %.1fs" % timeout)
        return result
    except ProbeError:
        if expired.is_set():
            raise ProbeError("timeout after %.1fs" % timeout) from None
        raise
    finally:
        watchdog.cancel()


def _http_exchange(endpoint, method, path, body, *, timeout, max_bytes, holder):
    start = time.monotonic()
    deadline = start + timeout
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Connection": "close"}
    headers.update(endpoint.headers)
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn = None
    try:
        if endpoint.scheme == "https":
            conn = http_client.HTTPSConnection(endpoint.host, endpoint.port, timeout=timeout, context=endpoint.ssl_context())
        else:
            conn = http_client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
        holder["conn"] = conn
        conn.connect()
        _arm(conn, deadline, timeout)
        conn.request(method, endpoint.target(path), body=body, headers=headers)
        _arm(conn, deadline, timeout)
        resp = conn.getresponse()
        chunks = []
        size = 0
        while True:
            _arm(conn, deadline, timeout)
            chunk = resp.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ProbeError("response larger than %d bytes" % max_bytes)
            chunks.append(chunk)
        resp_headers = dict((k.lower(), v) for k, v in resp.getheaders())
        return HttpResult(resp.status, resp_headers, b"".join(chunks), time.monotonic() - start)
    except ProbeError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise ProbeError("TLS certificate verification failed: %s" % (exc.verify_message or exc.reason or exc)) from None
    except ssl.SSLError as exc:
        raise ProbeError("TLS error: %s" % (exc.reason or exc)) from None
    except socket.timeout:
        raise ProbeError("timeout after %.1fs" % timeout) from None
    except ConnectionRefusedError:
        raise ProbeError("connection refused") from None
    except socket.gaierror as exc:
        raise ProbeError("cannot resolve host %s: %s" % (endpoint.host, exc.strerror or exc)) from None
    except (ConnectionResetError, BrokenPipeError):
        raise ProbeError("connection reset by peer") from None
    except http_client.HTTPException as exc:
        raise ProbeError("bad HTTP response: %s" % (exc.__class__.__name__ + (": %s" % exc if str(exc) else ""))) from None
    except OSError as exc:
        raise ProbeError("network error: %s" % (exc.strerror or exc)) from None
    except Exception as exc:  # fail closed on anything unexpected, with a reason instead of a traceback
        raise ProbeError("unexpected error: %s: %s" % (exc.__class__.__name__, exc)) from None
    finally:
        if conn is not None:
            conn.close()


def _arm(conn, deadline, timeout):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProbeError("timeout after %.1fs" % timeout)
    if conn.sock is not None:
        conn.sock.settimeout(remaining)


def decode_json(result, what):
    """JSON body of ``result`` or ProbeError naming what came back instead (HTML page, garbage, nothing)."""
    ctype = result.headers.get("content-type", "").lower()
    text = result.body.lstrip()
    if "html" in ctype or text[:1] == b"<":
        title = re.search(br"<title[^>]*>(.*?)</title>", result.body, re.I | re.S)
        hint = (": " + _snippet(title.group(1))) if title else ""
        raise ProbeError("%s: HTML page instead of JSON (HTTP %d%s)" % (what, result.status, hint))
    if not text:
        raise ProbeError("%s: empty response body (HTTP %d)" % (what, result.status))
    try:
        return json.loads(result.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProbeError("%s: malformed JSON (HTTP %d, %s): %s" % (what, result.status, exc.__class__.__name__, _snippet(result.body))) from None


def kube_status_message(result):
    """The message of a Kubernetes ``Status`` body (what the API server's proxy answers when it cannot reach the pod
    or Service: no endpoints, connection refused, forbidden), or None for any other answer."""
    if result.status < 400 or "json" not in result.headers.get("content-type", "").lower():
        return None
    try:
        doc = json.loads(result.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(doc, dict) and doc.get("kind") == "Status" and doc.get("apiVersion") == "v1":
        return "HTTP %d from the Kubernetes API server proxy: %s" % (result.status, _snippet(str(doc.get("message", "")), 160))
    return None


def _snippet(raw, limit=80):
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    raw = " ".join(raw.split())
    return repr(raw[:limit] + ("..." if len(raw) > limit else ""))


# ---------------------------------------------------------------------------------------------------------------------
# Strict value parsing (hex vs decimal, booleans that are strings, missing fields)
# ---------------------------------------------------------------------------------------------------------------------
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")
_DEC_RE = re.compile(r"^[0-9]+$")


def parse_hex_quantity(value, what):
    """JSON-RPC QUANTITY: a "0x"-prefixed hex string (a JSON integer is unambiguous and accepted too)."""
    if isinstance(value, bool) or value is None:
        raise ProbeError("%s: expected a hex quantity, got %s" % (what, json.dumps(value)))
    if isinstance(value, int):
        if value < 0:
            raise ProbeError("%s: negative quantity %d" % (what, value))
        return value
    if isinstance(value, str):
        if _HEX_RE.match(value):
            return int(value, 16)
        if _DEC_RE.match(value):
            raise ProbeError("%s: decimal string %r where a 0x-prefixed hex quantity is required (hex/decimal confusion)" % (what, value))
    raise ProbeError("%s: expected a hex quantity, got %s" % (what, _snippet(json.dumps(value), 40)))


def parse_uint(value, what):
    """Beacon API uint64: a decimal string (a JSON integer is unambiguous and accepted too)."""
    if isinstance(value, bool) or value is None:
        raise ProbeError("%s: expected a decimal integer string, got %s" % (what, json.dumps(value)))
    if isinstance(value, int):
        if value < 0:
            raise ProbeError("%s: negative value %d" % (what, value))
        return value
    if isinstance(value, str):
        if _DEC_RE.match(value):
            return int(value)
        if _HEX_RE.match(value):
            raise ProbeError("%s: hex string %r where a decimal integer string is required (hex/decimal confusion)" % (what, value))
    raise ProbeError("%s: expected a decimal integer string, got %s" % (what, _snippet(json.dumps(value), 40)))


def parse_bool(value, what):
    if isinstance(value, bool):
        return value
    raise ProbeError("%s: expected a JSON boolean, got %s" % (what, _snippet(json.dumps(value), 40)))


def dig(doc, path, what):
    """doc[path[0]][path[1]]... or ProbeError('<what>: missing field a.b.c')."""
    cur = doc
    walked = []
    for key in path:
        walked.append(str(key))
        if not isinstance(cur, dict) or key not in cur:
            raise ProbeError("%s: missing field %s" % (what, ".".join(walked)))
        cur = cur[key]
    return cur


# ---------------------------------------------------------------------------------------------------------------------
# Execution client: JSON-RPC
# ---------------------------------------------------------------------------------------------------------------------
EL_CALLS = (
    ("eth_syncing", []),
    ("eth_blockNumber", []),
    ("eth_getBlockByNumber", ["latest", False]),
    ("net_peerCount", []),
    ("eth_chainId", []),
    ("web3_clientVersion", []),
)


def _rpc_error(obj):
    err = obj.get("error")
    if isinstance(err, dict):
        return "JSON-RPC error %s: %s" % (err.get("code"), _snippet(str(err.get("message", "")), 120))
    return "JSON-RPC error: %s" % _snippet(json.dumps(err), 120)


def _rpc_single(endpoint, method, params, timeout):
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode("utf-8")
    result = http_request(endpoint, "POST", "", payload, timeout=timeout)
    proxy = kube_status_message(result)
    if proxy:
        raise ProbeError("%s: %s" % (method, proxy))
    doc = decode_json(result, method)
    if isinstance(doc, dict) and doc.get("error") is not None:
        return ("error", "%s: %s" % (method, _rpc_error(doc)), False)
    if result.status != 200:
        raise ProbeError("%s: HTTP %d" % (method, result.status))
    if not isinstance(doc, dict) or "result" not in doc:
        raise ProbeError("%s: not a JSON-RPC response: %s" % (method, _snippet(json.dumps(doc))))
    return ("ok", doc["result"], False)


def rpc_calls(endpoint, calls, timeout):
    """Run ``calls`` as one JSON-RPC batch. Returns {method: ("ok", result, False) | ("error", reason, transport)}.

    ``transport`` is True when no JSON-RPC answer came back at all (network, TLS, HTTP status, HTML, bad JSON) and
    False for a JSON-RPC error object or a call missing from the batch answer.

    A transport, HTTP or decoding failure fails every call with that reason. If the server answers the batch with
    a single JSON object (batches refused by a proxy or a provider), the calls are retried one by one within the
    same deadline.
    """
    start = time.monotonic()
    batch = [{"jsonrpc": "2.0", "id": i + 1, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    out = {}
    try:
        result = http_request(endpoint, "POST", "", json.dumps(batch).encode("utf-8"), timeout=timeout)
        doc = decode_json(result, "JSON-RPC batch")
    except ProbeError as exc:
        return dict((m, ("error", str(exc), True)) for m, _params in calls)
    proxy = kube_status_message(result)
    if proxy:
        return dict((m, ("error", "%s: %s" % (m, proxy), True)) for m, _params in calls)
    if isinstance(doc, dict):
        for method, params in calls:
            remaining = timeout - (time.monotonic() - start)
            if remaining <= 0:
                out[method] = ("error", "%s: timeout after %.1fs" % (method, timeout), True)
                continue
            try:
                out[method] = _rpc_single(endpoint, method, params, remaining)
            except ProbeError as exc:
                out[method] = ("error", str(exc), True)
        return out
    if not isinstance(doc, list):
        return dict((m, ("error", "JSON-RPC batch: unexpected JSON %s" % _snippet(json.dumps(doc)), True)) for m, _params in calls)
    if result.status != 200:
        return dict((m, ("error", "JSON-RPC batch: HTTP %d" % result.status, True)) for m, _params in calls)
    by_id = {}
    for item in doc:
        if isinstance(item, dict) and not isinstance(item.get("id"), bool) and isinstance(item.get("id"), int):
            by_id[item["id"]] = item
    for i, (method, _params) in enumerate(calls):
        item = by_id.get(i + 1)
        if item is None:
            out[method] = ("error", "%s: no answer in the JSON-RPC batch response" % method, False)
        elif item.get("error") is not None:
            out[method] = ("error", "%s: %s" % (method, _rpc_error(item)), False)
        elif "result" not in item:
            out[method] = ("error", "%s: JSON-RPC response without result" % method, False)
        else:
            out[method] = ("ok", item["result"], False)
    return out


def parse_execution(answers, observed_at):
    """Observation dict from rpc_calls() answers. Values that could not be read are None, with errors[field]."""
    obs = {
        "client": EXECUTION, "reachable": False, "error": None, "errors": {},
        "client_version": None, "chain_id": None, "syncing": None, "sync_current_block": None, "sync_highest_block": None,
        "block_number": None, "head_number": None, "head_hash": None, "head_timestamp": None, "head_age": None, "peers": None,
    }
    transport = [a[1] for a in answers.values() if a[0] == "error" and a[2]]
    obs["reachable"] = len(transport) < len(answers)
    if not obs["reachable"]:
        obs["error"] = transport[0] if transport else "no JSON-RPC answer"

    def take(method, field, parser):
        state, value = answers.get(method, ("error", "%s: not asked" % method, True))[:2]
        if state != "ok":
            obs["errors"][field] = value
            return
        try:
            parser(value)
        except ProbeError as exc:
            obs["errors"][field] = str(exc)

    def syncing(value):
        if value is False:
            obs["syncing"] = False
            return
        if isinstance(value, dict):
            obs["syncing"] = True
            for key, field in (("currentBlock", "sync_current_block"), ("highestBlock", "sync_highest_block")):
                if key in value:
                    obs[field] = parse_hex_quantity(value[key], "eth_syncing." + key)
            return
        raise ProbeError("eth_syncing: expected false or a sync status object, got %s" % _snippet(json.dumps(value), 40))

    def block_number(value):
        obs["block_number"] = parse_hex_quantity(value, "eth_blockNumber")

    def head(value):
        if not isinstance(value, dict):
            raise ProbeError("eth_getBlockByNumber(latest): expected a block object, got %s" % _snippet(json.dumps(value), 40))
        obs["head_number"] = parse_hex_quantity(dig(value, ["number"], "eth_getBlockByNumber(latest)"), "block.number")
        obs["head_timestamp"] = parse_hex_quantity(dig(value, ["timestamp"], "eth_getBlockByNumber(latest)"), "block.timestamp")
        obs["head_hash"] = value.get("hash") if isinstance(value.get("hash"), str) else None
        obs["head_age"] = round(max(0.0, observed_at - obs["head_timestamp"]), 3)

    def peers(value):
        obs["peers"] = parse_hex_quantity(value, "net_peerCount")

    def chain_id(value):
        obs["chain_id"] = parse_hex_quantity(value, "eth_chainId")

    def version(value):
        if not isinstance(value, str):
            raise ProbeError("web3_clientVersion: expected a string, got %s" % _snippet(json.dumps(value), 40))
        obs["client_version"] = value

    take("eth_syncing", "syncing", syncing)
    take("eth_blockNumber", "block_number", block_number)
    take("eth_getBlockByNumber", "head", head)
    take("net_peerCount", "peers", peers)
    take("eth_chainId", "chain_id", chain_id)
    take("web3_clientVersion", "client_version", version)
    return obs


# ---------------------------------------------------------------------------------------------------------------------
# Consensus client: Beacon API
# ---------------------------------------------------------------------------------------------------------------------
CL_PATHS = (
    ("syncing", "/eth/v1/node/syncing"),
    ("health", "/eth/v1/node/health"),
    ("peer_count", "/eth/v1/node/peer_count"),
    ("version", "/eth/v1/node/version"),
    ("head", "/eth/v1/beacon/headers/head"),
    ("finality", "/eth/v1/beacon/states/head/finality_checkpoints"),
)
# static per chain: fetched once per endpoint and cached for the life of the process
CL_STATIC_PATHS = (
    ("genesis", "/eth/v1/beacon/genesis"),
    ("spec", "/eth/v1/config/spec"),
)
CL_EXEC_HEAD_PATH = "/eth/v1/beacon/blinded_blocks/head"

_static_cache = {}
_static_lock = threading.Lock()


HEALTH_STATUSES = (200, 206, 503)


def _beacon_get(endpoint, name, path, timeout):
    """GET a Beacon API path. Returns ("ok", status, json_or_None) or ("error", reason).

    "ok" means a proper Beacon API answer: HTTP 200 with JSON, or for /eth/v1/node/health one of its defined
    statuses (200, 206, 503). A proxy's 502 page, a 401 from an ingress or garbage is an error with the reason."""
    try:
        result = http_request(endpoint, "GET", path, timeout=timeout)
    except ProbeError as exc:
        return ("error", "%s: %s" % (path, exc))
    proxy = kube_status_message(result)
    if proxy:
        # the API server answered for a pod or Service it could not reach: not the beacon node's own status
        return ("error", "%s: %s" % (path, proxy))
    if name == "health":
        if result.status not in HEALTH_STATUSES:
            return ("error", "%s: HTTP %d (not a Beacon API health status)" % (path, result.status))
        ctype = result.headers.get("content-type", "").lower()
        if "html" in ctype or result.body.lstrip()[:1] == b"<":
            # a proxy's or load balancer's page (e.g. an HTML 503 on every path) is not the beacon node's health status
            return ("error", "%s: HTTP %d with an HTML page, not a Beacon API health answer" % (path, result.status))
        return ("ok", result.status, None)
    if result.status != 200:
        detail = ""
        try:
            doc = decode_json(result, path)
            if isinstance(doc, dict) and doc.get("message"):
                detail = ": " + _snippet(str(doc["message"]), 100)
        except ProbeError as exc:
            detail = " (%s)" % str(exc).split(": ", 1)[-1]
        return ("error", "%s: HTTP %d%s" % (path, result.status, detail))
    try:
        return ("ok", result.status, decode_json(result, path))
    except ProbeError as exc:
        return ("error", str(exc))


def _cached_static(endpoint, name):
    with _static_lock:
        return _static_cache.get((endpoint.key, name))


def _store_static(endpoint, name, value):
    with _static_lock:
        _static_cache[(endpoint.key, name)] = value


def clear_static_cache():
    with _static_lock:
        _static_cache.clear()


def parse_consensus(answers, observed_at, criteria):
    """Observation dict from {name: _beacon_get() result}. Missing values are None, with errors[field]."""
    obs = {
        "client": CONSENSUS, "reachable": False, "error": None, "errors": {},
        "version": None, "health_status": None, "head_slot": None, "sync_distance": None, "is_syncing": None,
        "is_optimistic": None, "el_offline": None, "peers": None, "header_slot": None, "header_root": None,
        "finalized_epoch": None, "justified_epoch": None, "genesis_time": None, "slots_per_epoch": None,
        "seconds_per_slot": None, "wall_slot": None, "head_lag_slots": None, "head_epoch": None,
        "finality_lag_epochs": None, "exec_block_number": None, "exec_block_hash": None,
    }
    # reachable: at least one live probe got a proper Beacon API JSON answer (static, cached answers do not count). The
    # health status alone does not prove a Beacon API: a bare 503 (or 200) on every path is what a proxy or load
    # balancer in front of a dead node answers too.
    live = [answers[name] for name, _path in CL_PATHS if name in answers]
    obs["reachable"] = any(answers[name][0] == "ok" for name, _path in CL_PATHS if name in answers and name != "health")
    if not obs["reachable"]:
        obs["error"] = next((a[1] for a in live if a[0] == "error"), "no Beacon API answer")

    def take(name, field, parser):
        answer = answers.get(name)
        if answer is None:
            return
        if answer[0] != "ok":
            obs["errors"][field] = answer[1]
            return
        try:
            parser(answer[2] if name != "health" else answer[1])
        except ProbeError as exc:
            obs["errors"][field] = str(exc)

    def syncing(doc):
        path = "/eth/v1/node/syncing"
        data = dig(doc, ["data"], path)
        # every field that is present is parsed strictly; a field that is absent stays None ("not reported")
        obs["head_slot"] = parse_uint(dig(data, ["head_slot"], path), "head_slot")
        obs["sync_distance"] = parse_uint(dig(data, ["sync_distance"], path), "sync_distance")
        obs["is_syncing"] = parse_bool(dig(data, ["is_syncing"], path), "is_syncing")
        if isinstance(data, dict) and "is_optimistic" in data:
            obs["is_optimistic"] = parse_bool(data["is_optimistic"], "is_optimistic")
        if isinstance(data, dict) and "el_offline" in data:
            obs["el_offline"] = parse_bool(data["el_offline"], "el_offline")

    def health(status):
        obs["health_status"] = status

    def peer_count(doc):
        obs["peers"] = parse_uint(dig(doc, ["data", "connected"], "/eth/v1/node/peer_count"), "peer_count.connected")

    def version(doc):
        value = dig(doc, ["data", "version"], "/eth/v1/node/version")
        if not isinstance(value, str):
            raise ProbeError("/eth/v1/node/version: version is not a string")
        obs["version"] = value

    def head(doc):
        path = "/eth/v1/beacon/headers/head"
        obs["header_slot"] = parse_uint(dig(doc, ["data", "header", "message", "slot"], path), "header.slot")
        root = dig(doc, ["data", "root"], path)
        obs["header_root"] = root if isinstance(root, str) else None

    def finality(doc):
        path = "/eth/v1/beacon/states/head/finality_checkpoints"
        obs["finalized_epoch"] = parse_uint(dig(doc, ["data", "finalized", "epoch"], path), "finalized.epoch")
        obs["justified_epoch"] = parse_uint(dig(doc, ["data", "current_justified", "epoch"], path), "current_justified.epoch")

    def genesis(doc):
        obs["genesis_time"] = parse_uint(dig(doc, ["data", "genesis_time"], "/eth/v1/beacon/genesis"), "genesis_time")

    def spec(doc):
        obs["slots_per_epoch"] = parse_uint(dig(doc, ["data", "SLOTS_PER_EPOCH"], "/eth/v1/config/spec"), "SLOTS_PER_EPOCH")
        obs["seconds_per_slot"] = parse_uint(dig(doc, ["data", "SECONDS_PER_SLOT"], "/eth/v1/config/spec"), "SECONDS_PER_SLOT")

    def exec_head(doc):
        path = CL_EXEC_HEAD_PATH
        body = dig(doc, ["data", "message", "body"], path)
        if not isinstance(body, dict) or "execution_payload_header" not in body:
            raise ProbeError("%s: head block has no execution payload (pre-merge fork)" % path)
        header = body["execution_payload_header"]
        obs["exec_block_number"] = parse_uint(dig(header, ["block_number"], path), "execution_payload_header.block_number")
        obs["exec_block_hash"] = header.get("block_hash") if isinstance(header, dict) else None

    take("syncing", "syncing", syncing)
    take("health", "health", health)
    take("peer_count", "peers", peer_count)
    take("version", "version", version)
    take("head", "head", head)
    take("finality", "finality", finality)
    take("genesis", "genesis", genesis)
    take("spec", "spec", spec)
    take("exec_head", "exec_head", exec_head)

    if criteria.get("slots_per_epoch"):
        obs["slots_per_epoch"] = criteria["slots_per_epoch"]
    if criteria.get("seconds_per_slot"):
        obs["seconds_per_slot"] = criteria["seconds_per_slot"]
    if obs["genesis_time"] is not None and obs["seconds_per_slot"]:
        obs["wall_slot"] = int(max(0, observed_at - obs["genesis_time"]) // obs["seconds_per_slot"])
        if obs["header_slot"] is not None:
            # negative: the head is ahead of this host's clock (clock skew or a wrong slot length)
            obs["head_lag_slots"] = obs["wall_slot"] - obs["header_slot"]
    if obs["header_slot"] is not None and obs["slots_per_epoch"]:
        obs["head_epoch"] = obs["header_slot"] // obs["slots_per_epoch"]
        if obs["finalized_epoch"] is not None:
            obs["finality_lag_epochs"] = max(0, obs["head_epoch"] - obs["finalized_epoch"])
    return obs


# ---------------------------------------------------------------------------------------------------------------------
# Criteria
# ---------------------------------------------------------------------------------------------------------------------
def _verdict(name, ok, reason, value=None, limit=None):
    return {"criterion": name, "client": CRITERION_CLIENT[name], "ok": bool(ok), "reason": reason, "value": value, "limit": limit}


def _missing(obs, verdict_name, errors_key, label):
    """Failing verdict for a value the criterion needs but the observation lacks: the probe's own error if there is
    one, else the endpoint's transport error, else "<label> not reported" (fail closed, never healthy by default)."""
    reason = obs.get("errors", {}).get(errors_key) or obs.get("error") or "%s not reported" % label
    return _verdict(verdict_name, False, reason)


def evaluate_execution(obs, criteria):
    skip = set(criteria.get("skip") or ())
    out = []

    def add(name, fn):
        if name not in skip:
            out.append(fn())

    def reachable():
        if obs.get("reachable"):
            return _verdict("el_reachable", True, "JSON-RPC answers")
        return _verdict("el_reachable", False, obs.get("error") or "no JSON-RPC answer")

    def chain_id():
        value, expected = obs.get("chain_id"), criteria["expected_chain_id"]
        if value is None:
            return _missing(obs, "el_chain_id", "chain_id", "eth_chainId")
        ok = value == expected
        return _verdict("el_chain_id", ok, "chain id %d%s" % (value, "" if ok else ", expected %d" % expected), value, expected)

    def not_syncing():
        value = obs.get("syncing")
        if value is None:
            return _missing(obs, "el_not_syncing", "syncing", "eth_syncing")
        if value:
            cur, high = obs.get("sync_current_block"), obs.get("sync_highest_block")
            detail = " (block %s of %s)" % (cur, high) if cur is not None and high is not None else ""
            return _verdict("el_not_syncing", False, "eth_syncing reports syncing%s" % detail, True, False)
        return _verdict("el_not_syncing", True, "eth_syncing is false", False, False)

    def head_age():
        value, limit = obs.get("head_age"), criteria["max_head_age"]
        if value is None:
            return _missing(obs, "el_head_age", "head", "latest block timestamp")
        return _verdict("el_head_age", value <= limit, "head block %d is %.1fs old (limit %.0fs)" % (obs["head_number"], value, limit), value, limit)

    def peers():
        value, limit = obs.get("peers"), criteria["min_execution_peers"]
        if value is None:
            return _missing(obs, "el_peers", "peers", "net_peerCount")
        return _verdict("el_peers", value >= limit, "%d peers (minimum %d)" % (value, limit), value, limit)

    add("el_reachable", reachable)
    if criteria.get("expected_chain_id") is not None:
        add("el_chain_id", chain_id)
    add("el_not_syncing", not_syncing)
    add("el_head_age", head_age)
    add("el_peers", peers)
    return out


def evaluate_consensus(obs, criteria):
    skip = set(criteria.get("skip") or ())
    out = []
    max_distance = criteria["max_sync_distance"]
    errors = obs.get("errors", {})

    def add(name, fn):
        if name not in skip:
            out.append(fn())

    def reachable():
        if obs.get("reachable"):
            return _verdict("cl_reachable", True, "Beacon API answers")
        return _verdict("cl_reachable", False, obs.get("error") or "no Beacon API answer")

    def health():
        status = obs.get("health_status")
        if status is None:
            return _missing(obs, "cl_health", "health", "/eth/v1/node/health status")
        meaning = {200: "ready", 206: "syncing or optimistic", 503: "not initialized or having issues"}.get(status, "unexpected status")
        return _verdict("cl_health", status == 200, "/eth/v1/node/health answered %d (%s)" % (status, meaning), status, 200)

    def not_syncing():
        value = obs.get("is_syncing")
        if value is None:
            return _missing(obs, "cl_not_syncing", "syncing", "is_syncing")
        return _verdict("cl_not_syncing", not value, "is_syncing is %s" % ("true" if value else "false"), value, False)

    def distance():
        value = obs.get("sync_distance")
        if value is None:
            return _missing(obs, "cl_sync_distance", "syncing", "sync_distance")
        return _verdict("cl_sync_distance", value <= max_distance, "sync_distance %d (limit %d)" % (value, max_distance), value, max_distance)

    def head_slot():
        value = obs.get("head_lag_slots")
        if value is None:
            key = "head" if errors.get("head") else "genesis" if errors.get("genesis") else "spec"
            return _missing(obs, "cl_head_slot", key, "head slot or genesis time")
        if value < -1:
            return _verdict("cl_head_slot", False, "head slot %d is %d slots ahead of the wall-clock slot %d: clock skew or wrong slot length" % (
                obs["header_slot"], -value, obs["wall_slot"]), value, max_distance)
        return _verdict("cl_head_slot", value <= max_distance, "head slot %d is %d slots behind the wall-clock slot %d (limit %d)" % (
            obs["header_slot"], max(0, value), obs["wall_slot"], max_distance), value, max_distance)

    def not_optimistic():
        value = obs.get("is_optimistic")
        if criteria.get("allow_optimistic"):
            return _verdict("cl_not_optimistic", True, "optimistic head allowed", value)
        if value is None:
            return _missing(obs, "cl_not_optimistic", "syncing", "is_optimistic")
        return _verdict("cl_not_optimistic", not value, "is_optimistic is %s" % ("true" if value else "false"), value, False)

    def el_online():
        value = obs.get("el_offline")
        if value is None:
            if not errors.get("syncing") and obs.get("reachable") and obs.get("is_syncing") is not None:
                return _verdict("cl_el_online", False, "el_offline not reported by this consensus client (older than Beacon API v2.4?); "
                                "add cl_el_online to skip to accept that")
            return _missing(obs, "cl_el_online", "syncing", "el_offline")
        return _verdict("cl_el_online", not value, "el_offline is %s" % ("true" if value else "false"), value, False)

    def peers():
        value, limit = obs.get("peers"), criteria["min_consensus_peers"]
        if value is None:
            return _missing(obs, "cl_peers", "peers", "connected peers")
        return _verdict("cl_peers", value >= limit, "%d connected peers (minimum %d)" % (value, limit), value, limit)

    def finality():
        value, limit = obs.get("finality_lag_epochs"), criteria["max_finality_lag_epochs"]
        if value is None:
            key = "finality" if errors.get("finality") else "head" if errors.get("head") else "spec"
            return _missing(obs, "cl_finality", key, "finalized epoch")
        return _verdict("cl_finality", value <= limit, "finalized epoch %d is %d epochs behind head epoch %d (limit %d)" % (
            obs["finalized_epoch"], value, obs["head_epoch"], limit), value, limit)

    add("cl_reachable", reachable)
    add("cl_health", health)
    add("cl_not_syncing", not_syncing)
    add("cl_sync_distance", distance)
    add("cl_head_slot", head_slot)
    add("cl_not_optimistic", not_optimistic)
    add("cl_el_online", el_online)
    add("cl_peers", peers)
    add("cl_finality", finality)
    return out


def evaluate_pair(el_obs, cl_obs, criteria):
    """Verdict list for a pair (either side may be None when the pair lists only one client)."""
    verdicts = []
    if el_obs is not None:
        verdicts.extend(evaluate_execution(el_obs, criteria))
    if cl_obs is not None:
        verdicts.extend(evaluate_consensus(cl_obs, criteria))
    lag_limit = criteria.get("max_el_cl_block_lag")
    if lag_limit is not None and "el_cl_head" not in (criteria.get("skip") or ()):
        if el_obs is None or cl_obs is None:
            verdicts.append(_verdict("el_cl_head", False, "needs both an execution and a consensus endpoint"))
        elif el_obs.get("block_number") is None or cl_obs.get("exec_block_number") is None:
            reason = (cl_obs.get("errors", {}).get("exec_head") or el_obs.get("errors", {}).get("block_number")
                      or el_obs.get("error") or cl_obs.get("error") or "execution head or consensus payload block not reported")
            verdicts.append(_verdict("el_cl_head", False, reason))
        else:
            lag = cl_obs["exec_block_number"] - el_obs["block_number"]
            verdicts.append(_verdict("el_cl_head", abs(lag) <= lag_limit, "execution head %d vs consensus payload block %d (limit %d)" % (
                el_obs["block_number"], cl_obs["exec_block_number"], lag_limit), lag, lag_limit))
    return verdicts


# ---------------------------------------------------------------------------------------------------------------------
# Concurrency: every request of every endpoint in one pool, bounded per request and in total
# ---------------------------------------------------------------------------------------------------------------------
class Pair:
    """A named execution + consensus pair; either endpoint may be None (a pair listing one client)."""

    def __init__(self, name, execution=None, consensus=None):
        if execution is None and consensus is None:
            raise ValueError("pair %r needs an execution endpoint, a consensus endpoint or both" % (name,))
        self.name = name
        self.execution = execution
        self.consensus = consensus


def _guard(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # a bug must fail this probe with a reason, not the whole run
        return ("error", "internal error: %s: %s" % (exc.__class__.__name__, exc))


def _guard_rpc(endpoint, timeout):
    try:
        return rpc_calls(endpoint, EL_CALLS, timeout)
    except Exception as exc:
        return dict((m, ("error", "internal error: %s: %s" % (exc.__class__.__name__, exc), True)) for m, _params in EL_CALLS)


def check_pairs(pairs, criteria=None, *, request_timeout=5.0, total_timeout=None, max_workers=None, executor=None, clock=time.time):
    """One round over ``pairs``: returns one report dict per pair, in order.

    Every request (one JSON-RPC batch per execution endpoint, one GET per Beacon API path) runs concurrently in a
    thread pool; each is bounded by ``request_timeout`` and the round by ``total_timeout``: a request still running
    then fails with "no answer within the total timeout".
    """
    criteria = merge_criteria(criteria)
    if total_timeout is None:
        total_timeout = request_timeout + 1.0
    request_timeout = min(request_timeout, total_timeout)
    jobs = []  # (pair index, client, name, path, future)
    own = executor is None
    started = time.monotonic()
    if own:
        count = sum((1 if p.execution else 0) + (len(CL_PATHS) + len(CL_STATIC_PATHS) + 1 if p.consensus else 0) for p in pairs)
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(max_workers or 128, count or 1)),
                                                         thread_name_prefix="eth-health")
    try:
        for index, pair in enumerate(pairs):
            if pair.execution is not None:
                jobs.append((index, EXECUTION, "rpc", "", executor.submit(_guard_rpc, pair.execution, request_timeout)))
            if pair.consensus is not None:
                paths = list(CL_PATHS)
                for name, path in CL_STATIC_PATHS:
                    if _cached_static(pair.consensus, name) is None:
                        paths.append((name, path))
                if criteria.get("max_el_cl_block_lag") is not None:
                    paths.append(("exec_head", CL_EXEC_HEAD_PATH))
                for name, path in paths:
                    jobs.append((index, CONSENSUS, name, path, executor.submit(_guard, _beacon_get, pair.consensus, name, path, request_timeout)))
        done = concurrent.futures.wait([j[4] for j in jobs], timeout=max(0.0, total_timeout - (time.monotonic() - started))).done
    finally:
        if own:
            try:
                executor.shutdown(wait=False, cancel_futures=True)
            except TypeError:  # Python < 3.9
                executor.shutdown(wait=False)
    observed_at = clock()
    late = "no answer within the total timeout of %.1fs" % total_timeout
    rpc_answers = {}
    cl_answers = {}
    for index, client, name, path, future in jobs:
        if client == EXECUTION:
            rpc_answers[index] = future.result() if future in done else dict((m, ("error", late, True)) for m, _params in EL_CALLS)
        else:
            answer = future.result() if future in done else ("error", "%s: %s" % (path, late))
            cl_answers.setdefault(index, {})[name] = answer
    reports = []
    for index, pair in enumerate(pairs):
        el_obs = cl_obs = None
        if pair.execution is not None:
            el_obs = parse_execution(rpc_answers[index], observed_at)
            el_obs["endpoint"] = pair.execution.label
        if pair.consensus is not None:
            answers = cl_answers.get(index, {})
            for name, _path in CL_STATIC_PATHS:
                cached = _cached_static(pair.consensus, name)
                if cached is not None:
                    answers[name] = cached
                elif answers.get(name, ("error",))[0] == "ok":
                    _store_static(pair.consensus, name, answers[name])
            cl_obs = parse_consensus(answers, observed_at, criteria)
            cl_obs["endpoint"] = pair.consensus.label
        reports.append(build_report(pair.name, el_obs, cl_obs, criteria, observed_at))
    elapsed = round(time.monotonic() - started, 3)
    for report in reports:
        report["duration"] = elapsed
    return reports


def build_report(name, el_obs, cl_obs, criteria, observed_at):
    verdicts = evaluate_pair(el_obs, cl_obs, criteria)
    failed = ["%s: %s" % (v["criterion"], v["reason"]) for v in verdicts if not v["ok"]]
    if not verdicts:
        # nothing checked is not healthy (every criterion of the pair's clients is in skip)
        failed = ["no criterion evaluated: every criterion for this pair's clients is skipped (criteria.skip: %s)"
                  % (", ".join(criteria.get("skip") or ()) or "-")]
    return {
        "name": name,
        "healthy": bool(verdicts) and not failed,
        "criteria": verdicts,
        "failed": failed,
        "execution": el_obs,
        "consensus": cl_obs,
        "checked_at": observed_at,
    }


def wait_for_health(pairs, criteria=None, *, min_healthy=None, consecutive=3, interval=5.0, timeout=300.0, request_timeout=5.0,
                    poll_timeout=None, max_workers=None, clock=time.monotonic, sleep=time.sleep):
    """Poll until at least ``min_healthy`` pairs (default: all) pass for ``consecutive`` polls in a row, or ``timeout``.

    Returns {"healthy", "polls", "streak", "elapsed", "healthy_pairs", "min_healthy", "pairs": last reports,
    "pair_streaks": {name: consecutive healthy polls}}; never raises for an unhealthy chain.
    """
    criteria = merge_criteria(criteria)
    if min_healthy is None:
        min_healthy = len(pairs)
    if min_healthy < 1 or min_healthy > len(pairs):
        raise ValueError("min_healthy must be between 1 and the number of pairs (%d), got %d" % (len(pairs), min_healthy))
    if consecutive < 1:
        raise ValueError("consecutive polls must be at least 1")
    if poll_timeout is None:
        poll_timeout = request_timeout + 1.0
    start = clock()
    deadline = start + timeout
    polls = streak = 0
    pair_streaks = dict((p.name, 0) for p in pairs)
    reports = []
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(max_workers or 128, 10 * len(pairs) or 1)),
                                                     thread_name_prefix="eth-gate")
    try:
        while True:
            poll_start = clock()
            budget = max(0.5, min(poll_timeout, deadline - poll_start))
            reports = check_pairs(pairs, criteria, request_timeout=min(request_timeout, budget), total_timeout=budget, executor=executor)
            polls += 1
            healthy = [r for r in reports if r["healthy"]]
            for r in reports:
                pair_streaks[r["name"]] = pair_streaks[r["name"]] + 1 if r["healthy"] else 0
            streak = streak + 1 if len(healthy) >= min_healthy else 0
            now = clock()
            if streak >= consecutive:
                break
            if now >= deadline:
                break
            sleep(max(0.0, min(interval - (now - poll_start), deadline - now)))
    finally:
        try:
            executor.shutdown(wait=False, cancel_futures=True)
        except TypeError:
            executor.shutdown(wait=False)
    for r in reports:
        r["consecutive_healthy"] = pair_streaks[r["name"]]
    return {
        "healthy": streak >= consecutive,
        "polls": polls,
        "streak": streak,
        "consecutive": consecutive,
        "elapsed": round(clock() - start, 3),
        "healthy_pairs": sum(1 for r in reports if r["healthy"]),
        "min_healthy": min_healthy,
        "pairs": reports,
    }


def summarize_failures(reports, limit=None):
    """'pair: criterion: reason; ...' lines for the unhealthy pairs (for fail messages)."""
    lines = []
    for r in reports:
        if r["healthy"]:
            continue
        reasons = r["failed"] or ["no criteria evaluated"]
        if limit:
            reasons = reasons[:limit] + (["... %d more" % (len(reasons) - limit)] if len(reasons) > limit else [])
        lines.append("%s: %s" % (r["name"], "; ".join(reasons)))
    return lines
