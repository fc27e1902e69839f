"""The pair-health sidecar: readiness, liveness (never merely syncing), metrics, HTTP serving and the CLI."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import kubernetes_validate

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h
from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health_sidecar as s

SIDECAR = s.__file__


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def monitor_for(el, cl, clock=None, **kw):
    pair = h.Pair("pair-0", h.Endpoint(el.url) if el else None, h.Endpoint(cl.url) if cl else None)
    kw.setdefault("request_timeout", 1.0)
    return s.PairMonitor(pair, kw.pop("criteria", None), clock=clock or time.monotonic, log=lambda msg: None, **kw)


def test_readiness_follows_the_criteria(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    mon = monitor_for(el, cl)
    try:
        assert mon.readiness() == (False, ["no poll has completed yet"])
        mon.poll_once()
        assert mon.readiness() == (True, ["all readiness criteria pass"])
        cl.set_syncing(is_syncing=True, sync_distance="40")
        mon.poll_once()
        ready, reasons = mon.readiness()
        assert not ready
        assert "cl_not_syncing: is_syncing is true" in reasons and "cl_sync_distance: sync_distance 40 (limit 2)" in reasons
    finally:
        mon.stop()


def test_readiness_ignores_network_wide_finality_by_default(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus(finality_lag=12)
    mon = monitor_for(el, cl)
    try:
        assert mon.criteria["skip"] == ["cl_finality"]
        mon.poll_once()
        assert mon.readiness()[0]
        strict = monitor_for(el, cl, criteria={"skip": []})
        strict.poll_once()
        ready, reasons = strict.readiness()
        strict.stop()
        assert not ready and reasons[0].startswith("cl_finality: finalized epoch")
    finally:
        mon.stop()


def test_stale_verdict_is_not_ready(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    clock = Clock()
    mon = monitor_for(el, cl, clock=clock, interval=3)
    try:
        mon.poll_once()
        assert mon.readiness()[0]
        clock.now += 3 + mon.total_timeout + 2.5
        ready, reasons = mon.readiness()
        assert not ready and "poller stuck" in reasons[0]
    finally:
        mon.stop()


def test_liveness_unreachable_only_after_grace(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    clock = Clock()
    mon = monitor_for(el, cl, clock=clock, liveness_grace=60, request_timeout=0.3)
    try:
        mon.poll_once()
        cl.stop()
        mon.poll_once()
        clock.now += 59
        mon.poll_once()
        assert mon.readiness()[0] is False
        assert mon.liveness_verdict() == (True, ["execution client alive", "consensus client alive"])
        clock.now += 2
        mon.poll_once()
        live, reasons = mon.liveness_verdict()
        assert not live and reasons[1].startswith("consensus client unreachable for 61s (grace 60s)")
        assert mon.liveness_verdict("execution") == (True, ["execution client alive"])
        assert mon.liveness_verdict("consensus")[0] is False
    finally:
        mon.stop()


def test_liveness_never_fails_while_syncing(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus(head_lag=500)
    cl.set_syncing(is_syncing=True)
    el.rpc["eth_syncing"] = {"result": {"startingBlock": "0x0", "currentBlock": "0x5", "highestBlock": "0x99999"}}
    clock = Clock()
    mon = monitor_for(el, cl, clock=clock, stall_window=100)
    try:
        for _i in range(5):  # heads never move, for 5 x 100 s
            mon.poll_once()
            clock.now += 100
        assert mon.liveness_verdict()[0], mon.liveness_verdict()
    finally:
        mon.stop()


def test_execution_head_waiting_for_a_syncing_consensus_client_is_not_wedged(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus(head_lag=500)
    cl.set_syncing(is_syncing=True)  # EL says eth_syncing=false with a stuck head: it waits for the CL
    clock = Clock()
    mon = monitor_for(el, cl, clock=clock, stall_window=100)
    try:
        for _i in range(4):
            mon.poll_once()
            clock.now += 60
        assert mon.liveness_verdict("execution")[0]
    finally:
        mon.stop()


def test_head_stuck_while_claiming_synced_is_wedged(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    clock = Clock()
    mon = monitor_for(el, cl, clock=clock, stall_window=100)
    try:
        mon.poll_once()
        clock.now += 90
        mon.poll_once()
        assert mon.liveness_verdict()[0]
        clock.now += 20
        mon.poll_once()
        live, reasons = mon.liveness_verdict()
        assert not live
        assert reasons[0].startswith("execution head stuck at 19000000 for 110s while not syncing")
        assert reasons[1].startswith("consensus head stuck at")
        # the head moves again: alive again
        el.healthy_execution(block=19_000_001)
        mon.poll_once()
        assert mon.liveness_verdict("execution")[0]
    finally:
        mon.stop()


METRIC_LINE = re.compile(r'^[a-z_]+\{pair="[^"]*"(,[a-z_]+="[^"]*")*\} -?[0-9.e+]+$')


def test_metrics_exposition(nodes):
    el, cl = nodes().healthy_execution(peers=7), nodes().healthy_consensus(peers=9)
    mon = monitor_for(el, cl)
    try:
        mon.poll_once()
        text = mon.metrics()
    finally:
        mon.stop()
    assert text.endswith("\n")
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        assert METRIC_LINE.match(line), line
        name_labels, value = line.rsplit(" ", 1)
        samples[name_labels] = float(value)
    assert samples['chainops_health_ready{pair="pair-0"}'] == 1
    assert samples['chainops_execution_peers{pair="pair-0"}'] == 7
    assert samples['chainops_consensus_peers{pair="pair-0"}'] == 9
    assert samples['chainops_consensus_head_slot{pair="pair-0"}'] == 9_000_000
    assert samples['chainops_health_criterion_ok{pair="pair-0",criterion="cl_sync_distance",client="consensus"}'] == 1
    assert samples['chainops_health_up{pair="pair-0",client="execution"}'] == 1
    assert 'chainops_health_criterion_ok{pair="pair-0",criterion="cl_finality"' not in text  # skipped for readiness
    assert text.count("# TYPE chainops_health_up gauge") == 1


def test_metric_labels_are_escaped():
    text = s.render_metrics('a"b\\c\nd', None, ready=False, live=True, polls=0, failures=0, client_live={})
    assert 'chainops_health_ready{pair="a\\"b\\\\c\\nd"} 0' in text


def _get(url):
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_http_endpoints(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    mon = monitor_for(el, cl)
    server = s._Server(("127.0.0.1", 0), s.make_handler(mon))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        assert _get(base + "/readyz") == (503, "not ready: no poll has completed yet\n")
        mon.poll_once()
        assert _get(base + "/readyz") == (200, "ok: all readiness criteria pass\n")
        assert _get(base + "/livez")[0] == 200
        assert _get(base + "/livez/consensus") == (200, "ok: consensus client alive\n")
        status, body = _get(base + "/metrics")
        assert status == 200 and "chainops_health_ready" in body
        status, body = _get(base + "/status")
        assert status == 200 and json.loads(body)["report"]["healthy"] is True
        assert _get(base + "/nope")[0] == 404
        cl.rest["/eth/v1/node/health"] = (206, b"", "text/plain")
        mon.poll_once()
        status, body = _get(base + "/readyz")
        assert status == 503 and "cl_health: /eth/v1/node/health answered 206 (syncing or optimistic)" in body
    finally:
        server.shutdown()
        server.server_close()
        mon.stop()


def _free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _configmap_folder(tmp_path):
    """The ConfigMap's files, alone in a folder, as the kubelet mounts them (sidecar_files(), the data of one ConfigMap)."""
    folder = tmp_path / "opt-chainops"
    folder.mkdir()
    for name, text in s.sidecar_files().items():
        (folder / name).write_text(text, encoding="utf-8")
    return str(folder / "_eth_health_sidecar.py")


def test_sidecar_files_make_one_valid_configmap():
    data = s.sidecar_files()
    assert sorted(data) == sorted(s.SIDECAR_FILES) == ["_eth_health.py", "_eth_health_sidecar.py"]
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chainops-eth-health", "namespace": "ethereum"}, "data": data}
    kubernetes_validate.validate(configmap, "1.33.0", strict=True)
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    assert size < 1024 * 1024, "a ConfigMap holds at most 1 MiB; the sidecar's files are %d bytes" % size
    assert all(re.match(r"^[-._a-zA-Z0-9]+$", name) for name in data)  # valid ConfigMap keys


def test_sidecar_runs_from_the_configmap_files_with_stdlib_only(nodes, tmp_path):
    """python -I -S on the ConfigMap's files alone: no site-packages, no PYTHONPATH, no collection - exactly what a
    stock python image with the mounted ConfigMap has."""
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    sidecar = _configmap_folder(tmp_path)
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", ""), "CHAINOPS_HEALTH_EXECUTION_URL": el.url, "CHAINOPS_HEALTH_CONSENSUS_URL": cl.url,
           "CHAINOPS_HEALTH_PORT": str(port), "CHAINOPS_HEALTH_LISTEN": "127.0.0.1", "CHAINOPS_HEALTH_INTERVAL": "0.5",
           "CHAINOPS_HEALTH_PAIR": "sidecar-test", "CHAINOPS_HEALTH_CRITERIA": '{"max_sync_distance": 3}'}
    proc = subprocess.Popen([sys.executable, "-I", "-S", sidecar], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp_path))
    try:
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = _get("http://127.0.0.1:%d/readyz" % port)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        assert status == 200
        assert 'chainops_health_ready{pair="sidecar-test"} 1' in _get("http://127.0.0.1:%d/metrics" % port)[1]
        cl.set_syncing(is_syncing=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _get("http://127.0.0.1:%d/readyz" % port)[0] != 503:
            time.sleep(0.1)
        assert _get("http://127.0.0.1:%d/readyz" % port)[0] == 503
        assert _get("http://127.0.0.1:%d/livez" % port)[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            err = proc.communicate(timeout=10)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    assert b"eth-health: pair sidecar-test serving" in err and b"NOT ready: cl_not_syncing" in err


def test_sidecar_cli_errors():
    proc = subprocess.run([sys.executable, "-I", "-S", SIDECAR], check=False, env={"PATH": os.environ.get("PATH", "")}, capture_output=True, timeout=20)
    assert proc.returncode == 2 and b"give --execution-url, --consensus-url or both" in proc.stderr
    proc = subprocess.run([sys.executable, "-I", "-S", SIDECAR, "--consensus-url", "http://127.0.0.1:1", "--criteria", '{"skip": ["nope"]}'],
                          check=False, env={"PATH": os.environ.get("PATH", "")}, capture_output=True, timeout=20)
    assert proc.returncode == 2 and b"unknown criterion in skip: nope" in proc.stderr


def test_sidecar_args_from_environment(monkeypatch):
    monkeypatch.setenv("CHAINOPS_HEALTH_CONSENSUS_URL", "http://127.0.0.1:5052")
    monkeypatch.setenv("CHAINOPS_HEALTH_INTERVAL", "2.5")
    args = s.parse_sidecar_args(["--port", "9999"])
    assert args.consensus_url == "http://127.0.0.1:5052" and args.execution_url is None
    assert args.interval == 2.5 and args.port == 9999 and args.request_timeout == s.SIDECAR_DEFAULTS["request_timeout"]
    assert args.interval + args.request_timeout + 1 <= 12, "defaults must detect a lagging node within one 12 s slot"
