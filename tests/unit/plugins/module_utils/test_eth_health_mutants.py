"""Tests aimed at small deliberate bugs that survived the first unit tests (issue: "tests that should fail when the
code is wrong"). Each test names the bug it catches; each was checked by putting that bug in and watching it fail."""

import json
import socket
import threading
import time

import pytest
from health_report import check, failed_names, verdict

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h
from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health_sidecar as s

EL_CRITERIA = [name for name in h.CRITERION_NAMES if h.CRITERION_CLIENT[name] == h.EXECUTION]


def _payload(block):
    return (200, {"data": {"message": {"slot": "1", "body": {"execution_payload_header": {"block_number": str(block), "block_hash": "0x01"}}}}})


# --- el_cl_head: the execution head AHEAD of the consensus payload block (bug: comparing lag without abs) --------------
@pytest.mark.parametrize("el_block, cl_block, ok", [
    (1010, 1000, False),  # execution 10 blocks ahead of what the consensus client follows: a different fork or a stale CL
    (1002, 1000, False),  # just beyond the limit of 1
    (1001, 1000, True),  # at the limit
    (1000, 1001, True),
    (1000, 1002, False),
])
def test_execution_head_ahead_of_consensus_beyond_the_lag_fails(nodes, el_block, cl_block, ok):
    el = nodes().healthy_execution(block=el_block)
    cl = nodes().healthy_consensus()
    cl.rest[h.CL_EXEC_HEAD_PATH] = _payload(cl_block)
    report = check(el.url, cl.url, {"max_el_cl_block_lag": 1})
    head = verdict(report, "el_cl_head")
    assert head["ok"] is ok, head
    assert head["value"] == cl_block - el_block
    assert report["healthy"] is ok


# --- /eth/v1/node/syncing without is_syncing (bug: treating an absent is_syncing as false) ---------------------------
def test_consensus_syncing_answer_without_is_syncing_is_not_synced(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    cl.set_syncing(is_syncing=None)  # head_slot, sync_distance 0, is_optimistic and el_offline still there
    report = check(el.url, cl.url)
    assert not report["healthy"]
    assert "cl_not_syncing" in failed_names(report)
    assert "is_syncing" in verdict(report, "cl_not_syncing")["reason"]
    assert report["consensus"]["is_syncing"] is None
    assert verdict(report, "cl_reachable")["ok"]  # the API answered; only the missing field fails


# --- a pair on which no criterion ran (bug: "nothing failed" counted as healthy) ----------------------------------------
def test_a_pair_with_no_criterion_evaluated_is_unhealthy_and_says_why(nodes):
    el = nodes().healthy_execution()
    report = check(el.url, criteria={"skip": EL_CRITERIA})
    assert report["criteria"] == []
    assert report["healthy"] is False
    assert report["failed"] and report["failed"][0].startswith("no criterion evaluated")
    assert h.summarize_failures([report])  # the gate's message names the pair and the reason


def test_wait_for_health_never_passes_a_pair_with_nothing_checked(nodes):
    el = nodes().healthy_execution()
    pair = h.Pair("nothing-checked", h.Endpoint(el.url), None)
    out = h.wait_for_health([pair], {"skip": EL_CRITERIA}, consecutive=1, interval=0.05, timeout=0.3, request_timeout=1)
    assert out["healthy"] is False and out["healthy_pairs"] == 0


# --- a response that trickles in (bug: a per-read timeout instead of one deadline for the whole response) --------------
class TrickleServer:
    """Answers every request with a valid JSON-RPC body sent one byte every ``gap`` seconds (``padding`` spaces make it
    longer); with ``header_gap`` the headers too, one byte every ``header_gap`` seconds, with a ``padding``-byte header.
    Each read succeeds quickly; the whole response takes far longer than the request's deadline."""

    def __init__(self, gap=0.05, padding=0, header_gap=0.0):
        self.gap = gap
        self.header_gap = header_gap
        self.padding = padding
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _drip(self, conn, data, gap):
        for byte in data:
            if self.stopped.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(gap)

    def _answer(self, conn):
        try:
            conn.recv(65536)
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x1", "pad": " " * self.padding}).encode()
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: %s\r\nContent-Length: %d\r\n\r\n" % (
                b"p" * (self.padding if self.header_gap else 0), len(body))
            if self.header_gap:
                self._drip(conn, head, self.header_gap)
            else:
                conn.sendall(head)
            self._drip(conn, body, self.gap)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopped.set()
        self.sock.close()


def _request_in_thread(port, timeout):
    outcome = {}

    def call():
        try:
            outcome["result"] = h.http_request(h.Endpoint("http://127.0.0.1:%d" % port), "POST", "/", body=b"{}", timeout=timeout)
        except h.ProbeError as exc:
            outcome["error"] = str(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(20)  # a liveness guard 40x the deadline, not a timing assertion: a request must not hang
    return worker.is_alive(), outcome


@pytest.mark.parametrize("kind", ["body", "headers"])
def test_a_trickling_response_fails_at_the_whole_response_deadline(kind):
    # ~1 minute for the whole response at one byte per 0.05 s, every single read well under the 0.5 s deadline
    server = TrickleServer(gap=0.05, padding=1200, header_gap=0.05 if kind == "headers" else 0.0)
    try:
        still_running, outcome = _request_in_thread(server.port, 0.5)
        assert not still_running, "the request was still reading a trickling %s long after its 0.5 s deadline" % kind
        assert outcome == {"error": "timeout after 0.5s"}, outcome
    finally:
        server.stop()


# --- the sidecar's liveness while the consensus client reports el_offline (bug: counting that head stall as wedged) ----
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_consensus_head_standing_still_while_its_execution_client_is_offline_is_not_wedged(nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus(el_offline=True)
    clock = Clock()
    pair = h.Pair("pair-0", h.Endpoint(el.url), h.Endpoint(cl.url))
    mon = s.PairMonitor(pair, None, clock=clock, log=lambda msg: None, request_timeout=1.0, stall_window=100)
    try:
        for _i in range(4):  # the consensus head does not move for 300 s: it cannot, its execution client is offline
            mon.poll_once()
            clock.now += 100
        mon.poll_once()
        live, reasons = mon.liveness_verdict("consensus")
        assert live, reasons
        assert not mon.readiness()[0]  # not ready though: cl_el_online fails
        assert any(r.startswith("cl_el_online: el_offline is true") for r in mon.readiness()[1])
        # the same stall once the execution client is back online is a wedge
        cl.set_syncing(el_offline=False)
        for _i in range(3):
            mon.poll_once()
            clock.now += 60
        mon.poll_once()
        live, reasons = mon.liveness_verdict("consensus")
        assert not live and reasons[0].startswith("consensus head stuck at")
    finally:
        mon.stop()


# --- a proxy answering 503 on every path (bug: the health endpoint's 503 taken as "Beacon API answers") ---------------
PROXY_503_HTML = b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503</h1></center></body></html>"


@pytest.mark.parametrize("body, ctype", [
    (PROXY_503_HTML, "text/html"),
    (PROXY_503_HTML, "text/plain"),  # mislabelled, still an HTML page
    (b"no healthy upstream", "text/plain"),  # a load balancer with no backend
    (b"", "text/plain"),
])
def test_a_proxy_answering_503_on_every_path_is_not_a_beacon_api(nodes, body, ctype):
    cl = nodes().healthy_consensus()
    for path in list(cl.rest) + [h.CL_EXEC_HEAD_PATH]:
        cl.rest[path] = (503, body, ctype)
    report = check(None, cl.url)
    assert report["consensus"]["reachable"] is False
    reachable = verdict(report, "cl_reachable")
    assert reachable["ok"] is False and reachable["reason"] != "Beacon API answers"
    assert not report["healthy"]


@pytest.mark.parametrize("body, ctype", [
    (PROXY_503_HTML, "text/html"),
    (PROXY_503_HTML, "application/octet-stream"),  # told apart by the body
    (b"Service Unavailable", "text/html; charset=utf-8"),  # told apart by the content type
])
def test_an_html_page_on_the_health_path_is_not_a_health_status(nodes, body, ctype):
    cl = nodes().healthy_consensus()
    cl.rest["/eth/v1/node/health"] = (200, body, ctype)
    report = check(None, cl.url)
    assert verdict(report, "cl_health")["ok"] is False
    assert "HTML page" in verdict(report, "cl_health")["reason"]
    assert verdict(report, "cl_reachable")["ok"]  # the JSON paths still answer


# --- the Kubernetes API server's proxy answering for a pod or Service it cannot reach (a Status object, not the
# client's answer): its 503 on the health path is no beacon health status, and both sides name the proxy's message ---
def _kube_status(code, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": "ServiceUnavailable", "code": code}


def test_the_api_server_proxy_status_is_reported_as_the_proxy_and_not_as_the_client(nodes):
    msg = 'no endpoints available for service "pair-0"'
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    el.raw_post = (503, _kube_status(503, msg), "application/json")
    for path in list(cl.rest) + [h.CL_EXEC_HEAD_PATH]:
        cl.rest[path] = (503, _kube_status(503, msg), "application/json")
    report = check(el.url, cl.url)
    assert not report["healthy"]
    for name in ("el_reachable", "cl_reachable", "cl_health"):
        reason = verdict(report, name)["reason"]
        assert "HTTP 503 from the Kubernetes API server proxy" in reason and msg in reason, (name, reason)
    assert report["consensus"]["health_status"] is None  # the proxy's 503 is not the node's "not initialized"


def test_a_client_json_error_that_is_not_a_status_object_is_still_the_client(nodes):
    cl = nodes().healthy_consensus()
    cl.rest["/eth/v1/node/syncing"] = (503, {"code": 503, "message": "Beacon node is currently syncing"}, "application/json")
    report = check(None, cl.url)
    reason = report["consensus"]["errors"].get("syncing") or ""
    assert "Beacon node is currently syncing" in reason and "proxy" not in reason, report["consensus"]["errors"]


# --- whole verdicts, not only reasons (mutmut survivors: a verdict's ok flag, value or limit could be wrong while its
# reason and the pair's overall health stayed right, because another criterion failed too) --------------------------
def test_unreachable_execution_verdict(nodes):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    report = check("http://127.0.0.1:%d" % port)
    assert verdict(report, "el_reachable") == {"criterion": "el_reachable", "client": "execution", "ok": False,
                                               "reason": "connection refused", "value": None, "limit": None}
    # every other criterion fails with the transport error rather than "not reported"
    assert {v["reason"] for v in report["criteria"]} == {"connection refused"}
    assert not any(v["ok"] for v in report["criteria"])


@pytest.mark.parametrize("syncing, reason", [
    ({"startingBlock": "0x0", "currentBlock": "0x10", "highestBlock": "0x20"}, "eth_syncing reports syncing (block 16 of 32)"),
    ({"startingBlock": "0x0", "currentBlock": "0x10"}, "eth_syncing reports syncing"),  # no highestBlock: no detail
])
def test_execution_syncing_verdict(nodes, syncing, reason):
    el = nodes().healthy_execution()
    el.rpc["eth_syncing"] = {"result": syncing}
    report = check(el.url)
    assert verdict(report, "el_not_syncing") == {"criterion": "el_not_syncing", "client": "execution", "ok": False,
                                                 "reason": reason, "value": True, "limit": False}
    assert failed_names(report) == ["el_not_syncing"]


def test_execution_not_syncing_verdict(nodes):
    report = check(nodes().healthy_execution().url)
    assert verdict(report, "el_not_syncing") == {"criterion": "el_not_syncing", "client": "execution", "ok": True,
                                                 "reason": "eth_syncing is false", "value": False, "limit": False}
    assert verdict(report, "el_reachable")["ok"] is True and verdict(report, "el_reachable")["reason"] == "JSON-RPC answers"


@pytest.mark.parametrize("chain_id, ok, reason", [(1, True, "chain id 1"), (11155111, False, "chain id 11155111, expected 1")])
def test_chain_id_verdict(nodes, chain_id, ok, reason):
    report = check(nodes().healthy_execution(chain_id=chain_id).url, criteria={"expected_chain_id": 1})
    assert verdict(report, "el_chain_id") == {"criterion": "el_chain_id", "client": "execution", "ok": ok, "reason": reason,
                                              "value": chain_id, "limit": 1}


def test_a_missing_chain_id_fails_with_the_nodes_own_error(nodes):
    el = nodes().healthy_execution()
    del el.rpc["eth_chainId"]
    report = check(el.url, criteria={"expected_chain_id": 1})
    chain = verdict(report, "el_chain_id")
    assert chain["ok"] is False and "eth_chainId does not exist" in chain["reason"]
    assert failed_names(report) == ["el_chain_id"]


# --- evaluate_pair on hand-made observations: exact verdicts, exact boundaries (mutmut survivors: reasons of passing
# criteria, the health-status meanings, <= against < at a limit that wall-clock data never hits exactly, skip names) --
def _el_obs(**changes):
    obs = {"client": h.EXECUTION, "reachable": True, "error": None, "errors": {}, "chain_id": 1, "syncing": False,
           "sync_current_block": None, "sync_highest_block": None, "block_number": 100, "head_number": 100, "head_age": 12.0, "peers": 5}
    obs.update(changes)
    return obs


def _cl_obs(**changes):
    obs = {"client": h.CONSENSUS, "reachable": True, "error": None, "errors": {}, "health_status": 200, "is_syncing": False,
           "sync_distance": 0, "head_slot": 320, "header_slot": 320, "wall_slot": 321, "head_lag_slots": 1, "is_optimistic": False,
           "el_offline": False, "peers": 7, "finalized_epoch": 8, "head_epoch": 10, "finality_lag_epochs": 2, "exec_block_number": 100}
    obs.update(changes)
    return obs


def _criteria(**changes):
    return h.merge_criteria(dict({"expected_chain_id": 1, "max_el_cl_block_lag": 0}, **changes))


def test_every_verdict_of_a_healthy_pair_exactly():
    got = [(v["criterion"], v["ok"], v["reason"], v["value"], v["limit"]) for v in h.evaluate_pair(_el_obs(), _cl_obs(), _criteria())]
    assert got == [
        ("el_reachable", True, "JSON-RPC answers", None, None),
        ("el_chain_id", True, "chain id 1", 1, 1),
        ("el_not_syncing", True, "eth_syncing is false", False, False),
        ("el_head_age", True, "head block 100 is 12.0s old (limit 60s)", 12.0, 60.0),
        ("el_peers", True, "5 peers (minimum 1)", 5, 1),
        ("cl_reachable", True, "Beacon API answers", None, None),
        ("cl_health", True, "/eth/v1/node/health answered 200 (ready)", 200, 200),
        ("cl_not_syncing", True, "is_syncing is false", False, False),
        ("cl_sync_distance", True, "sync_distance 0 (limit 2)", 0, 2),
        ("cl_head_slot", True, "head slot 320 is 1 slots behind the wall-clock slot 321 (limit 2)", 1, 2),
        ("cl_not_optimistic", True, "is_optimistic is false", False, False),
        ("cl_el_online", True, "el_offline is false", False, False),
        ("cl_peers", True, "7 connected peers (minimum 1)", 7, 1),
        ("cl_finality", True, "finalized epoch 8 is 2 epochs behind head epoch 10 (limit 4)", 2, 4),
        ("el_cl_head", True, "execution head 100 vs consensus payload block 100 (limit 0)", 0, 0),
    ]


@pytest.mark.parametrize("status, ok, meaning", [(200, True, "ready"), (206, False, "syncing or optimistic"),
                                                 (503, False, "not initialized or having issues"), (500, False, "unexpected status")])
def test_health_status_verdicts(status, ok, meaning):
    health = [v for v in h.evaluate_consensus(_cl_obs(health_status=status), _criteria()) if v["criterion"] == "cl_health"][0]
    assert (health["ok"], health["reason"], health["value"], health["limit"]) == (
        ok, "/eth/v1/node/health answered %d (%s)" % (status, meaning), status, 200)


@pytest.mark.parametrize("field, at_limit, over, criterion, key", [
    ("head_age", 60.0, 60.001, "el_head_age", "max_head_age"),
    ("peers", 1, 0, "el_peers", "min_execution_peers"),
])
def test_execution_limits_are_inclusive(field, at_limit, over, criterion, key):
    def ok(value):
        return [v for v in h.evaluate_execution(_el_obs(**{field: value}), _criteria()) if v["criterion"] == criterion][0]["ok"]

    assert ok(at_limit) is True and ok(over) is False


@pytest.mark.parametrize("changes, criterion", [
    ({"sync_distance": 2}, "cl_sync_distance"), ({"head_lag_slots": 2}, "cl_head_slot"), ({"head_lag_slots": -1}, "cl_head_slot"),
    ({"peers": 1}, "cl_peers"), ({"finality_lag_epochs": 4}, "cl_finality"),
])
def test_consensus_limits_are_inclusive(changes, criterion):
    verdicts = {v["criterion"]: v for v in h.evaluate_consensus(_cl_obs(**changes), _criteria())}
    assert verdicts[criterion]["ok"] is True
    beyond = {k: (v - 2 if k == "head_lag_slots" and v < 0 else v - 1 if k == "peers" else v + 1) for k, v in changes.items()}
    verdicts = {v["criterion"]: v for v in h.evaluate_consensus(_cl_obs(**beyond), _criteria())}
    assert verdicts[criterion]["ok"] is False


@pytest.mark.parametrize("value, reason", [(True, "is_syncing is true"), (False, "is_syncing is false")])
def test_consensus_syncing_reasons(value, reason):
    verdict_ = [v for v in h.evaluate_consensus(_cl_obs(is_syncing=value), _criteria()) if v["criterion"] == "cl_not_syncing"][0]
    assert (verdict_["ok"], verdict_["reason"]) == (not value, reason)


def test_each_criterion_can_be_skipped_by_its_own_name():
    for name in h.CRITERION_NAMES:
        names = [v["criterion"] for v in h.evaluate_pair(_el_obs(), _cl_obs(), _criteria(skip=[name]))]
        assert name not in names and len(names) == len(h.CRITERION_NAMES) - 1, name


@pytest.mark.parametrize("obs, criterion, errors_key, label", [
    ("el", "el_peers", "peers", "net_peerCount"), ("el", "el_head_age", "head", "latest block timestamp"),
    ("el", "el_chain_id", "chain_id", "eth_chainId"), ("el", "el_not_syncing", "syncing", "eth_syncing"),
    ("cl", "cl_health", "health", "/eth/v1/node/health status"), ("cl", "cl_not_syncing", "syncing", "is_syncing"),
    ("cl", "cl_peers", "peers", "connected peers"), ("cl", "cl_sync_distance", "syncing", "sync_distance"),
])
def test_a_missing_value_fails_with_its_probe_error_or_says_it_was_not_reported(obs, criterion, errors_key, label):
    field = {"el_peers": "peers", "el_head_age": "head_age", "el_chain_id": "chain_id", "el_not_syncing": "syncing",
             "cl_health": "health_status", "cl_not_syncing": "is_syncing", "cl_peers": "peers", "cl_sync_distance": "sync_distance"}[criterion]
    make, evaluate = (_el_obs, h.evaluate_execution) if obs == "el" else (_cl_obs, h.evaluate_consensus)

    def reason(**changes):
        return [v for v in evaluate(make(**changes), _criteria()) if v["criterion"] == criterion][0]

    with_error = reason(**{field: None, "errors": {errors_key: "the probe's own error"}})
    assert (with_error["ok"], with_error["reason"]) == (False, "the probe's own error")
    silent = reason(**{field: None})
    assert (silent["ok"], silent["reason"]) == (False, "%s not reported" % label)
    unreachable = reason(**{field: None, "reachable": False, "error": "connection refused"})
    assert (unreachable["ok"], unreachable["reason"]) == (False, "connection refused")


# --- second mutmut round: slot-skew boundary, el_cl_head without data, which probe error a reason names ---------------
def _one(verdicts, name):
    return [v for v in verdicts if v["criterion"] == name][0]


@pytest.mark.parametrize("lag, ok, reason", [
    (-1, True, "head slot 320 is 0 slots behind the wall-clock slot 319 (limit 2)"),  # one slot ahead: clock jitter
    (-2, False, "head slot 320 is 2 slots ahead of the wall-clock slot 318: clock skew or wrong slot length"),
    (0, True, "head slot 320 is 0 slots behind the wall-clock slot 320 (limit 2)"),
])
def test_head_slot_ahead_of_the_wall_clock(lag, ok, reason):
    got = _one(h.evaluate_consensus(_cl_obs(head_lag_slots=lag, wall_slot=320 + lag), _criteria()), "cl_head_slot")
    assert (got["ok"], got["reason"], got["value"]) == (ok, reason, lag)


@pytest.mark.parametrize("errors, expected", [({"head": "head error"}, "head error"), ({"genesis": "genesis error"}, "genesis error"),
                                              ({"spec": "spec error"}, "spec error")])
def test_head_slot_names_the_probe_that_failed(errors, expected):
    got = _one(h.evaluate_consensus(_cl_obs(head_lag_slots=None, errors=errors), _criteria()), "cl_head_slot")
    assert (got["ok"], got["reason"]) == (False, expected)
    silent = _one(h.evaluate_consensus(_cl_obs(head_lag_slots=None), _criteria()), "cl_head_slot")
    assert silent["reason"] == "head slot or genesis time not reported"


@pytest.mark.parametrize("errors, expected", [({"finality": "finality error"}, "finality error"), ({"head": "head error"}, "head error"),
                                              ({"spec": "spec error"}, "spec error"), ({}, "finalized epoch not reported")])
def test_finality_names_the_probe_that_failed(errors, expected):
    got = _one(h.evaluate_consensus(_cl_obs(finality_lag_epochs=None, errors=errors), _criteria()), "cl_finality")
    assert (got["ok"], got["reason"]) == (False, expected)


def test_optimistic_reasons():
    assert _one(h.evaluate_consensus(_cl_obs(is_optimistic=True), _criteria()), "cl_not_optimistic")["reason"] == "is_optimistic is true"
    allowed = _one(h.evaluate_consensus(_cl_obs(is_optimistic=True), _criteria(allow_optimistic=True)), "cl_not_optimistic")
    assert (allowed["ok"], allowed["reason"]) == (True, "optimistic head allowed")


def test_el_offline_not_reported_reasons():
    got = _one(h.evaluate_consensus(_cl_obs(el_offline=None), _criteria()), "cl_el_online")
    assert got["ok"] is False and got["reason"] == ("el_offline not reported by this consensus client (older than Beacon API v2.4?); "
                                                    "add cl_el_online to skip to accept that")
    broken = _one(h.evaluate_consensus(_cl_obs(el_offline=None, is_syncing=None, errors={"syncing": "bad syncing"}), _criteria()), "cl_el_online")
    assert (broken["ok"], broken["reason"]) == (False, "bad syncing")
    silent = _one(h.evaluate_consensus(_cl_obs(el_offline=None, is_syncing=None), _criteria()), "cl_el_online")
    assert silent["reason"] == "el_offline not reported"


@pytest.mark.parametrize("el, cl", [(True, False), (False, True)])
def test_el_cl_head_needs_both_clients(el, cl):
    verdicts = h.evaluate_pair(_el_obs() if el else None, _cl_obs() if cl else None, _criteria())
    got = _one(verdicts, "el_cl_head")
    assert (got["ok"], got["reason"]) == (False, "needs both an execution and a consensus endpoint")


@pytest.mark.parametrize("el_changes, cl_changes, expected", [
    ({}, {"exec_block_number": None, "errors": {"exec_head": "pre-merge"}}, "pre-merge"),
    ({"block_number": None, "errors": {"block_number": "bad block number"}}, {}, "bad block number"),
    ({"block_number": None, "error": "el down"}, {}, "el down"),
    ({}, {"exec_block_number": None, "error": "cl down"}, "cl down"),
    ({"block_number": None}, {}, "execution head or consensus payload block not reported"),
])
def test_el_cl_head_without_both_block_numbers_fails_with_the_reason(el_changes, cl_changes, expected):
    got = _one(h.evaluate_pair(_el_obs(**el_changes), _cl_obs(**cl_changes), _criteria()), "el_cl_head")
    assert (got["ok"], got["reason"]) == (False, expected)


def test_the_nothing_evaluated_message_lists_the_skips_and_the_report_is_complete():
    report = h.build_report("p", _el_obs(), None, h.merge_criteria({"skip": list(EL_CRITERIA)}), 1234.5)
    assert report["failed"] == ["no criterion evaluated: every criterion for this pair's clients is skipped (criteria.skip: %s)"
                                % ", ".join(EL_CRITERIA)]
    assert report["checked_at"] == 1234.5 and report["healthy"] is False
    assert h.build_report("p", None, None, h.merge_criteria(), 1.0)["failed"] == [
        "no criterion evaluated: every criterion for this pair's clients is skipped (criteria.skip: -)"]
