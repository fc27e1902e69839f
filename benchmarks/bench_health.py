"""Benchmark the health gate against the uri-per-endpoint way, and the sidecar's time to notice a paused node.

What this measures, honestly:

* Real clients: one anvil 1.7.1 and two Lodestar 1.5.1 nodes (one validating, one following) on 127.0.0.1, started
  and stopped (by PID) here. The data every check sees is theirs.
* 32 endpoints (16 execution, 16 consensus) are 32 small reverse proxies in this process, each in front of one of
  those clients and each adding a fixed per-request latency drawn once (seeded) from 30-250 ms: a stand-in for
  reaching nodes in another rack or site through an ingress, plus a loaded node's answer time. Loopback alone
  (~1 ms) would make every method look instant and measure nothing but Ansible's own overhead.
* gate_uri_ratio: the same health questions asked the way playbooks do it today -- one ansible.builtin.uri task per
  check (eth_syncing, latest block age, chain id; node/syncing + distance, node/health, peer_count, finality), each
  looping over its endpoints with until/retries -- divided by one chainops.ethereum.eth_health_gate task over the
  same 32 endpoints (one poll). Both are real ansible-playbook runs; the figure compares task time as reported by
  the ansible.posix.json callback, which excludes ansible-playbook's start-up in both. The whole-run wall-clock ratio
  (start-up included) is printed too, as gate_uri_ratio_wall.
* gate_wall_s vs slowest_endpoint_s: the 32-endpoint gate task against the slowest of 32 gate tasks that each check
  one endpoint (same playbook mechanics, same per-task overhead): checking all 32 should cost about one.
* readiness_detect_s: worst of 3 trials of SIGSTOP on the following Lodestar node until its sidecar (run from the
  single file with `python -I -S`, default interval and timeouts) answers 503 on /readyz.

name=value figures go to stdout, progress to stderr.
"""

import http.client
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "devnet"))
sys.path.insert(0, os.path.join(REPO, "collections"))
# imported after the path is set, so by importlib (the bench runs as a plain script from any cwd)
dp = importlib.import_module("devnet_procs")
h = importlib.import_module("ansible_collections.chainops.ethereum.plugins.module_utils._eth_health")
sidecar_module = importlib.import_module("ansible_collections.chainops.ethereum.plugins.module_utils._eth_health_sidecar")

ENDPOINTS_PER_KIND = 16
LATENCY_RANGE = (0.030, 0.250)
CRITERIA = {"expected_chain_id": 31337, "skip": ["el_peers", "cl_el_online"]}
SIDECAR = os.path.join(REPO, "plugins", "module_utils", "_eth_health_sidecar.py")


def log(msg):
    sys.stderr.write("bench_health: %s\n" % msg)
    sys.stderr.flush()


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class LatencyProxy:
    """Forwards every request to ``upstream`` after sleeping ``latency`` seconds."""

    def __init__(self, upstream, latency):
        host, port = upstream.split("//", 1)[1].split(":")
        self.latency = latency
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                return

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                time.sleep(proxy.latency)
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                try:
                    headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status, ctype = resp.status, resp.getheader("Content-Type", "application/json")
                except OSError as exc:
                    status, ctype, data = 502, "text/plain", ("proxy: %s" % exc).encode()
                finally:
                    conn.close()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

            def handle_error(self, *args):
                return

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _seconds(duration):
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (datetime.strptime(duration["end"], fmt) - datetime.strptime(duration["start"], fmt)).total_seconds()


def run_playbook(workdir, name, tasks):
    path = os.path.join(workdir, name + ".yml")
    with open(path, "w") as handle:
        json.dump([{"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}], handle, indent=1)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(workdir, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"), ANSIBLE_REMOTE_TEMP=os.path.join(workdir, "tmp"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", os.path.join(workdir, "inventory.ini"), path]
    start = time.monotonic()
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - start
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError("%s: ansible-playbook output is not JSON (rc %d): %s %s" % (
            name, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])) from None
    tasks_out = [(t["task"]["name"], _seconds(t["task"]["duration"]), t["hosts"]["localhost"]) for t in doc["plays"][0]["tasks"]]
    failed = [(n, r.get("msg")) for n, _d, r in tasks_out if r.get("failed")]
    if proc.returncode != 0 or failed:
        raise RuntimeError("%s failed (rc %d): %s" % (name, proc.returncode, failed or proc.stderr[-2000:]))
    return wall, tasks_out


def uri_tasks(el_urls, cl_urls):
    """The checks as operators write them today: one uri task per question, looping over endpoints, until/retries."""
    def rpc(method, params, until):
        return {"name": "uri %s" % method, "ansible.builtin.uri": {
            "url": "{{ item }}", "method": "POST", "body_format": "json", "timeout": 10,
            "body": {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}},
            "register": "r", "until": until, "retries": 5, "delay": 2, "loop": el_urls}

    def get(path, until):
        task = {"name": "uri %s" % path, "ansible.builtin.uri": {"url": "{{ item }}" + path, "timeout": 10},
                "register": "r", "retries": 5, "delay": 2, "loop": cl_urls}
        if until:
            task["until"] = until
        return task

    return [
        rpc("eth_syncing", [], "r.json.result == false"),
        rpc("eth_getBlockByNumber", ["latest", False], "(now(utc=true).timestamp() - (r.json.result.timestamp | int(base=16))) < 60"),
        rpc("eth_chainId", [], "(r.json.result | int(base=16)) == 31337"),
        get("/eth/v1/node/syncing", "not r.json.data.is_syncing and (r.json.data.sync_distance | int) <= 2"),
        get("/eth/v1/node/health", "r.status == 200"),
        get("/eth/v1/node/peer_count", "(r.json.data.connected | int) >= 1"),
        get("/eth/v1/beacon/states/head/finality_checkpoints", "r.json.data.finalized.epoch is defined"),
    ]


def gate_task(name, pairs):
    return {"name": name, "chainops.ethereum.eth_health_gate": {
        "pairs": pairs, "criteria": CRITERIA, "consecutive_polls": 1, "poll_interval": 1, "timeout": 60, "request_timeout": 5},
        "register": "gate"}


def readiness_trials(net, workdir, trials=3):
    port = dp.free_port()
    env = {"PATH": os.environ.get("PATH", ""), "CHAINOPS_HEALTH_EXECUTION_URL": net["anvil"].url,
           "CHAINOPS_HEALTH_CONSENSUS_URL": net["follower"].url, "CHAINOPS_HEALTH_LISTEN": "127.0.0.1", "CHAINOPS_HEALTH_PORT": str(port),
           "CHAINOPS_HEALTH_PAIR": "bench", "CHAINOPS_HEALTH_CRITERIA": json.dumps(dict(CRITERIA, skip=CRITERIA["skip"] + ["cl_finality"]))}
    sidecar = dp.Proc("sidecar", [sys.executable, "-I", "-S", SIDECAR], workdir, os.path.join(workdir, "sidecar.log"), env)
    ready = "http://127.0.0.1:%d/readyz" % port
    detect, recover = [], []
    try:
        for trial in range(trials):
            dp.wait_until(lambda: dp.http_status(ready, 2) == 200, 90, "sidecar ready", sidecar, interval=0.1)
            time.sleep(1.0 + trial * 1.1)  # pause at different points of the poll cycle
            paused = time.monotonic()
            net["follower"].pause()
            try:
                dp.wait_until(lambda: dp.http_status(ready, 2) == 503, 30, "sidecar 503", sidecar, interval=0.05)
                detect.append(time.monotonic() - paused)
            finally:
                net["follower"].resume()
            resumed = time.monotonic()
            dp.wait_until(lambda: dp.http_status(ready, 2) == 200, 90, "sidecar ready again", sidecar, interval=0.05)
            recover.append(time.monotonic() - resumed)
            log("readiness trial %d: 503 after %.2fs paused, 200 again %.2fs after resume" % (trial + 1, detect[-1], recover[-1]))
    finally:
        sidecar.stop()
    return detect, recover


def main():
    reason = dp.missing_clients()
    if reason:
        log("cannot run: clients " + reason)
        return 1
    workdir = tempfile.mkdtemp(prefix="chainops-bench-health-")
    with open(os.path.join(workdir, "ansible.cfg"), "w") as handle:
        handle.write("[defaults]\nstdout_callback = ansible.posix.json\nretry_files_enabled = false\nforks = 5\n")
    with open(os.path.join(workdir, "inventory.ini"), "w") as handle:
        handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    procs, proxies = [], []
    net = {}
    try:
        log("starting anvil and two Lodestar nodes in %s" % workdir)
        net["anvil"] = dp.start_anvil(workdir)
        procs.append(net["anvil"])
        genesis = int(time.time()) + 10
        net["validator"] = dp.start_lodestar(workdir, "validator", genesis, validating=True)
        procs.append(net["validator"])
        dp.wait_until(lambda: dp.head_slot(net["validator"].url) is not None, 60, "validator REST", net["validator"])
        net["follower"] = dp.start_lodestar(workdir, "follower", genesis, validating=False, bootnode_enr=dp.enr(net["validator"].url))
        procs.append(net["follower"])
        for cl in ("validator", "follower"):
            out = h.wait_for_health([h.Pair(cl, h.Endpoint(net["anvil"].url), h.Endpoint(net[cl].url))], CRITERIA, consecutive=3,
                                    interval=0.5, timeout=120, request_timeout=2)
            if not out["healthy"]:
                raise RuntimeError("%s pair never healthy: %s" % (cl, h.summarize_failures(out["pairs"])))
        log("devnet healthy at slot %s" % dp.head_slot(net["validator"].url))

        rng = random.Random(20261126)
        latencies = [rng.uniform(*LATENCY_RANGE) for _i in range(2 * ENDPOINTS_PER_KIND)]
        for i, latency in enumerate(latencies):
            upstream = net["anvil"].url if i < ENDPOINTS_PER_KIND else net["validator" if i % 2 else "follower"].url
            proxies.append(LatencyProxy(upstream, latency))
        el_urls = [p.url for p in proxies[:ENDPOINTS_PER_KIND]]
        cl_urls = [p.url for p in proxies[ENDPOINTS_PER_KIND:]]
        pairs = [{"name": "pair-%02d" % i, "execution": {"url": e}, "consensus": {"url": c}} for i, (e, c) in enumerate(zip(el_urls, cl_urls))]

        log("ansible.builtin.uri + until/retries over 32 endpoints (%d uri calls)" % (3 * len(el_urls) + 4 * len(cl_urls)))
        uri_wall, uri_tasks_out = run_playbook(workdir, "uri", uri_tasks(el_urls, cl_urls))
        uri_task_s = sum(d for _n, d, _r in uri_tasks_out)

        log("one eth_health_gate task over the same 32 endpoints")
        gate_wall, gate_out = run_playbook(workdir, "gate", [gate_task("gate 32 endpoints", pairs)])
        gate_task_s = gate_out[0][1]
        gate_result = gate_out[0][2]
        if not gate_result.get("healthy"):
            raise RuntimeError("the gate did not pass: %s" % gate_result.get("unhealthy"))

        log("32 eth_health_gate tasks, one endpoint each")
        singles = []
        for i, pair in enumerate(pairs):
            for side in ("execution", "consensus"):
                singles.append(gate_task("single %s %02d" % (side, i), [{"name": pair["name"], side: pair[side]}]))
        single_out = run_playbook(workdir, "singles", singles)[1]
        single_task_s = [d for _n, d, _r in single_out]
        slowest = max(single_task_s)

        # the same comparison inside one process, without Ansible's per-task overhead
        h.clear_static_cache()
        per_endpoint_core = []
        for pair in pairs:
            for side in ("execution", "consensus"):
                ep = h.Endpoint(pair[side]["url"])
                p = h.Pair(pair["name"], ep if side == "execution" else None, ep if side == "consensus" else None)
                start = time.monotonic()
                h.check_pairs([p], CRITERIA, request_timeout=5)
                per_endpoint_core.append(time.monotonic() - start)
        h.clear_static_cache()
        start = time.monotonic()
        reports = h.check_pairs([h.Pair(p["name"], h.Endpoint(p["execution"]["url"]), h.Endpoint(p["consensus"]["url"])) for p in pairs],
                                CRITERIA, request_timeout=5, max_workers=64)
        core_all = time.monotonic() - start
        if not all(r["healthy"] for r in reports):
            raise RuntimeError("in-process check unhealthy: %s" % h.summarize_failures(reports))

        log("sidecar readiness: pausing the following node")
        detect, recover = readiness_trials(net, workdir)

        figures = [
            ("gate_uri_ratio", round(uri_task_s / gate_task_s, 1)),
            ("gate_uri_ratio_wall", round(uri_wall / gate_wall, 1)),
            ("uri_task_s", round(uri_task_s, 2)),
            ("uri_calls", 3 * len(el_urls) + 4 * len(cl_urls)),
            ("gate_wall_s", round(gate_task_s, 3)),
            ("gate_check_s", gate_result.get("elapsed")),
            ("slowest_endpoint_s", round(slowest, 3)),
            ("median_endpoint_s", round(statistics.median(single_task_s), 3)),
            ("gate_vs_slowest_endpoint", round(gate_task_s / slowest, 2)),
            ("core_check_32_s", round(core_all, 3)),
            ("core_slowest_endpoint_s", round(max(per_endpoint_core), 3)),
            ("added_latency_ms_min", round(min(latencies) * 1000)),
            ("added_latency_ms_max", round(max(latencies) * 1000)),
            ("readiness_detect_s", round(max(detect), 2)),
            ("readiness_detect_median_s", round(statistics.median(detect), 2)),
            ("readiness_recover_s", round(max(recover), 2)),
            ("sidecar_interval_s", sidecar_module.SIDECAR_DEFAULTS["interval"]),
            ("sidecar_request_timeout_s", sidecar_module.SIDECAR_DEFAULTS["request_timeout"]),
        ]
        for name, value in figures:
            sys.stdout.write("%s=%s\n" % (name, value))
        sys.stdout.flush()
        return 0
    finally:
        for proxy in proxies:
            proxy.stop()
        for proc in reversed(procs):
            proc.stop()
            log("stopped %s (pid %d)" % (proc.name, proc.pid))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
