# Private to chainops.ethereum (not a public API): the pair-health sidecar's HTTP server over the health model.
#
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pair-health sidecar: /readyz, /livez, /metrics and /status for one execution + consensus client pair.

Standard library only. It ships as the files of one ConfigMap (``SIDECAR_FILES``: this file and the health model
``_eth_health.py``), mounted side by side in a stock Python image and run as ``python3 _eth_health_sidecar.py``.
Inside the collection it imports the model as a module_util; run as a script it imports it from its own folder.

* ``PairMonitor`` polls the pair in a background thread with ``_eth_health.check_pairs`` and keeps the last verdict;
* ``ClientLiveness`` decides whether a client is wedged (never merely because it is syncing);
* ``render_metrics`` writes the Prometheus text exposition; ``make_handler`` + ``main()`` serve it all over HTTP.
"""

import argparse
import concurrent.futures
import json
import math
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

if __name__ == "__main__":
    # run from the ConfigMap folder (python3 -I does not put the script's folder on sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _eth_health import (  # pylint: disable=import-error
        CL_PATHS,
        CL_STATIC_PATHS,
        CONSENSUS,
        DEFAULT_CRITERIA,
        EXECUTION,
        READINESS_SKIP,
        Endpoint,
        Pair,
        check_pairs,
        merge_criteria,
    )
else:
    from ansible_collections.chainops.ethereum.plugins.module_utils._eth_health import (
        CL_PATHS,
        CL_STATIC_PATHS,
        CONSENSUS,
        DEFAULT_CRITERIA,
        EXECUTION,
        READINESS_SKIP,
        Endpoint,
        Pair,
        check_pairs,
        merge_criteria,
    )

# The files of the sidecar's ConfigMap: mounted together, they are all the sidecar needs.
SIDECAR_FILES = ("_eth_health.py", "_eth_health_sidecar.py")


def sidecar_files():
    """{file name: text} of SIDECAR_FILES, read from this folder: the data of the sidecar's ConfigMap."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for name in SIDECAR_FILES:
        with open(os.path.join(here, name), encoding="utf-8") as handle:
            out[name] = handle.read()
    return out


SIDECAR_DEFAULTS = {
    "port": 8575,
    "listen": "0.0.0.0",  # noqa: S104 - the kubelet probes the pod IP
    "interval": 3.0,  # poll period; worst-case detection is about interval + request_timeout (< one 12 s slot)
    "request_timeout": 4.0,
    "liveness_grace": 300.0,  # unreachable this long = wedged
    "stall_window": 900.0,  # head unchanged this long while the client says it is not syncing = wedged
}


class ClientLiveness:
    """Decides whether one client is wedged. Syncing is never wedged: a head stall only counts while the client
    reports it is not syncing (and, for a consensus client, while its execution client is not reported offline)."""

    def __init__(self, client, grace, stall_window, now):
        self.client = client
        self.grace = grace
        self.stall_window = stall_window
        self.unreachable_since = None
        self.head = None
        self.head_since = now

    def update(self, obs, now, partner_syncing=False):
        """``partner_syncing``: for the execution client, True while the consensus client is syncing, unreachable or
        unknown -- an execution client waits for its consensus client, so its head may rightly stand still then."""
        if obs is None:
            return
        if obs.get("reachable"):
            self.unreachable_since = None
        elif self.unreachable_since is None:
            self.unreachable_since = now
        if self.client == EXECUTION:
            head = obs.get("block_number")
            syncing = obs.get("syncing") is True or partner_syncing
        else:
            head = obs.get("header_slot") if obs.get("header_slot") is not None else obs.get("head_slot")
            syncing = obs.get("is_syncing") is True or obs.get("el_offline") is True
        if syncing:
            self.head_since = now
            self.head = head
        elif head is not None and head != self.head:
            self.head = head
            self.head_since = now

    def verdict(self, now):
        if self.unreachable_since is not None and now - self.unreachable_since > self.grace:
            return False, "%s client unreachable for %.0fs (grace %.0fs)" % (self.client, now - self.unreachable_since, self.grace)
        if now - self.head_since > self.stall_window:
            return False, "%s head stuck at %s for %.0fs while not syncing (window %.0fs)" % (
                self.client, self.head, now - self.head_since, self.stall_window)
        return True, "%s client alive" % self.client


class PairMonitor:
    """Polls one pair in a background thread; request handlers read the last result under a lock."""

    def __init__(self, pair, criteria=None, *, interval=None, request_timeout=None, liveness_grace=None, stall_window=None,
                 clock=time.monotonic, wallclock=time.time, log=None):
        self.pair = pair
        self.criteria = merge_criteria(criteria, base=dict(DEFAULT_CRITERIA, skip=list(READINESS_SKIP)))
        self.interval = SIDECAR_DEFAULTS["interval"] if interval is None else float(interval)
        self.request_timeout = SIDECAR_DEFAULTS["request_timeout"] if request_timeout is None else float(request_timeout)
        self.total_timeout = self.request_timeout + 1.0
        self.clock = clock
        self.wallclock = wallclock
        self.log = log or (lambda msg: sys.stderr.write(msg + "\n"))
        now = clock()
        grace = SIDECAR_DEFAULTS["liveness_grace"] if liveness_grace is None else float(liveness_grace)
        window = SIDECAR_DEFAULTS["stall_window"] if stall_window is None else float(stall_window)
        self.liveness = {}
        if pair.execution is not None:
            self.liveness[EXECUTION] = ClientLiveness(EXECUTION, grace, window, now)
        if pair.consensus is not None:
            self.liveness[CONSENSUS] = ClientLiveness(CONSENSUS, grace, window, now)
        self.lock = threading.Lock()
        self.report = None
        self.report_at = None
        self.polls = 0
        self.poll_failures = 0
        self.last_ready = None
        self.started = now
        self.stop_event = threading.Event()
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=len(CL_PATHS) + len(CL_STATIC_PATHS) + 3,
                                                              thread_name_prefix="eth-sidecar")

    def poll_once(self):
        try:
            report = check_pairs([self.pair], self.criteria, request_timeout=self.request_timeout, total_timeout=self.total_timeout, executor=self.executor,
                                 clock=self.wallclock)[0]
        except Exception as exc:  # keep serving; the stale-verdict rule below turns readiness off
            with self.lock:
                self.poll_failures += 1
            self.log("eth-health: poll failed: %s: %s" % (exc.__class__.__name__, exc))
            return None
        now = self.clock()
        with self.lock:
            cl = report.get(CONSENSUS)
            cl_busy = cl is not None and (not cl.get("reachable") or cl.get("is_syncing") is not False)
            for client, tracker in self.liveness.items():
                tracker.update(report.get(client), now, partner_syncing=cl_busy if client == EXECUTION else False)
            self.report = report
            self.report_at = now
            self.polls += 1
        if report["healthy"] != self.last_ready:
            self.log("eth-health: pair %s %s%s" % (self.pair.name, "ready" if report["healthy"] else "NOT ready",
                                                   "" if report["healthy"] else ": " + "; ".join(report["failed"])))
            self.last_ready = report["healthy"]
        return report

    def run(self):
        while not self.stop_event.is_set():
            began = self.clock()
            self.poll_once()
            self.stop_event.wait(max(0.05, self.interval - (self.clock() - began)))

    def stop(self):
        self.stop_event.set()
        try:
            self.executor.shutdown(wait=False, cancel_futures=True)
        except TypeError:
            self.executor.shutdown(wait=False)

    def readiness(self):
        now = self.clock()
        with self.lock:
            report, at = self.report, self.report_at
        if report is None:
            return False, ["no poll has completed yet"]
        stale_after = self.interval + self.total_timeout + 2.0
        if now - at > stale_after:
            return False, ["last verdict is %.0fs old (poller stuck?)" % (now - at)]
        return report["healthy"], (report["failed"] if not report["healthy"] else ["all readiness criteria pass"])

    def liveness_verdict(self, client=None):
        now = self.clock()
        reasons = []
        ok = True
        with self.lock:
            for name, tracker in self.liveness.items():
                if client and name != client:
                    continue
                alive, reason = tracker.verdict(now)
                ok = ok and alive
                reasons.append(reason)
        if client and client not in self.liveness:
            return False, ["no %s client configured" % client]
        return ok, reasons

    def status(self):
        ready, reasons = self.readiness()
        live, live_reasons = self.liveness_verdict()
        with self.lock:
            report = self.report
        return {"pair": self.pair.name, "ready": ready, "ready_reasons": reasons, "live": live, "live_reasons": live_reasons,
                "polls": self.polls, "report": report}

    def metrics(self):
        ready = self.readiness()[0]
        live = self.liveness_verdict()[0]
        with self.lock:
            report, polls, failures = self.report, self.polls, self.poll_failures
        return render_metrics(self.pair.name, report, ready=ready, live=live, polls=polls, failures=failures,
                              client_live=dict((c, t.verdict(self.clock())[0]) for c, t in self.liveness.items()))


def _label_value(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render_metrics(pair_name, report, *, ready, live, polls, failures, client_live):
    """Prometheus text exposition (format 0.0.4) of the last poll."""
    lines = []
    seen = set()

    def emit(name, help_text, value, labels=None, kind="gauge"):
        if value is None:
            return
        if isinstance(value, bool):
            value = 1 if value else 0
        if name not in seen:
            lines.append("# HELP %s %s" % (name, help_text))
            lines.append("# TYPE %s %s" % (name, kind))
            seen.add(name)
        all_labels = [("pair", pair_name)] + list(labels or [])
        label_text = ",".join('%s="%s"' % (k, _label_value(v)) for k, v in all_labels)
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return
        lines.append("%s{%s} %s" % (name, label_text, repr(float(value)) if isinstance(value, float) else int(value)))

    emit("chainops_health_ready", "1 if the pair passes the readiness criteria.", ready)
    emit("chainops_health_live", "1 unless a client is wedged (unreachable past the grace or head stuck while not syncing).", live)
    for client, alive in sorted(client_live.items()):
        emit("chainops_health_client_live", "Liveness per client.", alive, [("client", client)])
    emit("chainops_health_polls_total", "Completed health polls.", polls, kind="counter")
    emit("chainops_health_poll_errors_total", "Health polls that raised instead of completing.", failures, kind="counter")
    if report is not None:
        emit("chainops_health_check_duration_seconds", "Wall time of the last poll over both clients.", float(report.get("duration") or 0.0))
        emit("chainops_health_last_check_timestamp_seconds", "Unix time of the last poll.", float(report["checked_at"]))
        for v in report["criteria"]:
            emit("chainops_health_criterion_ok", "1 if the criterion passed on the last poll.", v["ok"],
                 [("criterion", v["criterion"]), ("client", v["client"])])
        el = report.get(EXECUTION)
        if el:
            emit("chainops_health_up", "1 if the client's API answered the last poll.", el.get("reachable"), [("client", EXECUTION)])
            emit("chainops_execution_head_block", "Execution head block number.", el.get("block_number"))
            emit("chainops_execution_head_age_seconds", "Age of the execution head block.", _float(el.get("head_age")))
            emit("chainops_execution_peers", "Execution client peers (net_peerCount).", el.get("peers"))
            emit("chainops_execution_syncing", "1 if eth_syncing reports syncing.", el.get("syncing"))
            emit("chainops_execution_chain_id", "eth_chainId.", el.get("chain_id"))
        cl = report.get(CONSENSUS)
        if cl:
            emit("chainops_health_up", "1 if the client's API answered the last poll.", cl.get("reachable"), [("client", CONSENSUS)])
            emit("chainops_consensus_head_slot", "Consensus head slot.", cl.get("header_slot") if cl.get("header_slot") is not None else cl.get("head_slot"))
            emit("chainops_consensus_sync_distance", "sync_distance reported by the consensus client.", cl.get("sync_distance"))
            emit("chainops_consensus_head_lag_slots", "Wall-clock slot minus head slot.", cl.get("head_lag_slots"))
            emit("chainops_consensus_peers", "Connected consensus peers.", cl.get("peers"))
            emit("chainops_consensus_syncing", "1 if is_syncing.", cl.get("is_syncing"))
            emit("chainops_consensus_optimistic", "1 if is_optimistic.", cl.get("is_optimistic"))
            emit("chainops_consensus_el_offline", "1 if el_offline (absent when the client does not report it).", cl.get("el_offline"))
            emit("chainops_consensus_health_status", "HTTP status of /eth/v1/node/health.", cl.get("health_status"))
            emit("chainops_consensus_finalized_epoch", "Finalized epoch.", cl.get("finalized_epoch"))
            emit("chainops_consensus_finality_lag_epochs", "Head epoch minus finalized epoch.", cl.get("finality_lag_epochs"))
    return "\n".join(lines) + "\n"


def _float(value):
    return None if value is None else float(value)


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def make_handler(monitor, quiet=True):
    class Handler(BaseHTTPRequestHandler):
        server_version = "chainops-eth-health/1"

        def _send(self, code, body, ctype="text/plain; charset=utf-8"):
            data = body.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            if path == "/readyz":
                ok, reasons = monitor.readiness()
                self._send(200 if ok else 503, ("ok: " if ok else "not ready: ") + "; ".join(reasons) + "\n")
            elif path in ("/livez", "/livez/execution", "/livez/consensus"):
                client = path.split("/")[2] if path.count("/") == 2 else None
                ok, reasons = monitor.liveness_verdict(client)
                self._send(200 if ok else 503, ("ok: " if ok else "wedged: ") + "; ".join(reasons) + "\n")
            elif path == "/metrics":
                self._send(200, monitor.metrics(), "text/plain; version=0.0.4; charset=utf-8")
            elif path in ("/", "/status"):
                self._send(200, json.dumps(monitor.status(), indent=1, sort_keys=True, default=str) + "\n", "application/json")
            else:
                self._send(404, "not found: try /readyz /livez /metrics /status\n")

        do_HEAD = do_GET

        def log_message(self, format, *args):
            if not quiet:
                sys.stderr.write("eth-health: %s - %s\n" % (self.address_string(), format % args))

    return Handler


def _env(name, default=None):
    value = os.environ.get("CHAINOPS_HEALTH_" + name)
    return default if value in (None, "") else value


def parse_sidecar_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="_eth_health_sidecar.py",
        description="Pair-health sidecar: /readyz (503 unless the pair passes the readiness criteria), /livez (503 only when a "
                    "client is wedged, never merely syncing), /metrics (Prometheus) and /status (JSON). Every option can also be "
                    "set by the environment variable in brackets.")
    parser.add_argument("--execution-url", default=_env("EXECUTION_URL"), help="execution client JSON-RPC URL [CHAINOPS_HEALTH_EXECUTION_URL]")
    parser.add_argument("--consensus-url", default=_env("CONSENSUS_URL"), help="consensus client Beacon API URL [CHAINOPS_HEALTH_CONSENSUS_URL]")
    parser.add_argument("--pair", default=_env("PAIR", socket.gethostname()), help="pair name used in metrics [CHAINOPS_HEALTH_PAIR]")
    parser.add_argument("--listen", default=_env("LISTEN", SIDECAR_DEFAULTS["listen"]), help="listen address [CHAINOPS_HEALTH_LISTEN]")
    parser.add_argument("--port", type=int, default=int(_env("PORT", SIDECAR_DEFAULTS["port"])), help="listen port [CHAINOPS_HEALTH_PORT]")
    parser.add_argument("--interval", type=float, default=float(_env("INTERVAL", SIDECAR_DEFAULTS["interval"])),
                        help="seconds between polls [CHAINOPS_HEALTH_INTERVAL]")
    parser.add_argument("--request-timeout", type=float, default=float(_env("REQUEST_TIMEOUT", SIDECAR_DEFAULTS["request_timeout"])),
                        help="per-request timeout in seconds [CHAINOPS_HEALTH_REQUEST_TIMEOUT]")
    parser.add_argument("--liveness-grace", type=float, default=float(_env("LIVENESS_GRACE", SIDECAR_DEFAULTS["liveness_grace"])),
                        help="seconds a client may be unreachable before /livez fails [CHAINOPS_HEALTH_LIVENESS_GRACE]")
    parser.add_argument("--stall-window", type=float, default=float(_env("STALL_WINDOW", SIDECAR_DEFAULTS["stall_window"])),
                        help="seconds a non-syncing client's head may stay put before /livez fails [CHAINOPS_HEALTH_STALL_WINDOW]")
    parser.add_argument("--criteria", default=_env("CRITERIA", "{}"),
                        help='readiness criteria overrides as JSON, e.g. \'{"max_sync_distance": 4, "skip": ["cl_finality"]}\' '
                             "[CHAINOPS_HEALTH_CRITERIA]")
    parser.add_argument("--ca-file", default=_env("CA_FILE"), help="CA bundle for https endpoints [CHAINOPS_HEALTH_CA_FILE]")
    parser.add_argument("--verbose", action="store_true", default=_env("VERBOSE") in ("1", "true", "yes"),
                        help="log every HTTP request [CHAINOPS_HEALTH_VERBOSE]")
    args = parser.parse_args(argv)
    if not args.execution_url and not args.consensus_url:
        parser.error("give --execution-url, --consensus-url or both (or CHAINOPS_HEALTH_EXECUTION_URL / _CONSENSUS_URL)")
    try:
        overrides = json.loads(args.criteria)
        if not isinstance(overrides, dict):
            raise ValueError("criteria must be a JSON object")
        args.criteria = overrides
        merge_criteria(overrides)
    except ValueError as exc:
        parser.error("bad --criteria / CHAINOPS_HEALTH_CRITERIA: %s" % exc)
    return args


def main(argv=None):
    args = parse_sidecar_args(argv)
    el = Endpoint(args.execution_url, ca_file=args.ca_file) if args.execution_url else None
    cl = Endpoint(args.consensus_url, ca_file=args.ca_file) if args.consensus_url else None
    monitor = PairMonitor(Pair(args.pair, el, cl), args.criteria, interval=args.interval, request_timeout=args.request_timeout,
                          liveness_grace=args.liveness_grace, stall_window=args.stall_window)
    server = _Server((args.listen, args.port), make_handler(monitor, quiet=not args.verbose))
    poller = threading.Thread(target=monitor.run, name="eth-health-poller", daemon=True)
    poller.start()

    def stop(signum, frame):
        monitor.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write("eth-health: pair %s serving /readyz /livez /metrics on %s:%d (interval %.1fs, request timeout %.1fs, skip %s)\n" % (
        args.pair, args.listen, server.server_address[1], monitor.interval, monitor.request_timeout, ",".join(monitor.criteria["skip"]) or "-"))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        monitor.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
