"""Health model against recorded answers: every failure the issue lists, the healthy cases and the client quirks."""

import json
import re
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from eth_fakes import SECONDS_PER_SLOT
from health_report import check, failed_names, verdict

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# ---------------------------------------------------------------------------------------------------------------------
# healthy
# ---------------------------------------------------------------------------------------------------------------------
def test_healthy_pair_passes_every_criterion_and_reports_values(nodes):
    el = nodes().healthy_execution(head_age=4, block=0x123456, peers=30, chain_id=1)
    cl = nodes().healthy_consensus(peers=70)
    report = check(el.url, cl.url, {"expected_chain_id": 1})
    assert report["healthy"], report["failed"]
    assert report["failed"] == []
    assert [v["criterion"] for v in report["criteria"]] == [
        "el_reachable", "el_chain_id", "el_not_syncing", "el_head_age", "el_peers", "cl_reachable", "cl_health", "cl_not_syncing",
        "cl_sync_distance", "cl_head_slot", "cl_not_optimistic", "cl_el_online", "cl_peers", "cl_finality"]
    e, c = report["execution"], report["consensus"]
    assert e["block_number"] == 0x123456 and e["peers"] == 30 and e["chain_id"] == 1 and e["syncing"] is False
    assert 3.5 <= e["head_age"] <= 6
    assert e["client_version"].startswith("Geth/")
    assert c["peers"] == 70 and c["sync_distance"] == 0 and c["is_syncing"] is False and c["el_offline"] is False
    assert c["head_lag_slots"] == 0 and c["finality_lag_epochs"] == 2 and c["slots_per_epoch"] == 32
    # one JSON-RPC batch with the six calls
    assert el.rpc_methods_seen() == [["eth_syncing", "eth_blockNumber", "eth_getBlockByNumber", "net_peerCount", "eth_chainId", "web3_clientVersion"]]
    assert set(cl.paths_seen()) >= {p for _name, p in h.CL_PATHS}


def test_pair_with_only_one_client_is_judged_on_that_client(nodes):
    cl = nodes().healthy_consensus()
    report = check(None, cl.url)
    assert report["healthy"] and report["execution"] is None
    assert all(v["client"] == "consensus" for v in report["criteria"])
    with pytest.raises(ValueError):
        h.Pair("empty", None, None)


# ---------------------------------------------------------------------------------------------------------------------
# fail closed: transport
# ---------------------------------------------------------------------------------------------------------------------
def test_timeout_is_unhealthy_with_reason_and_bounded(nodes):
    el = nodes().healthy_execution()
    el.delay["*"] = 3
    report = check(el.url, request_timeout=0.5)  # how soon it returns: benchmarks/bench_health_bounds.py
    assert not report["healthy"]
    assert verdict(report, "el_reachable")["reason"] == "timeout after 0.5s"
    assert verdict(report, "el_head_age")["reason"] == "timeout after 0.5s"


def test_total_timeout_bounds_a_round_over_many_slow_endpoints(nodes):
    slow = [nodes().healthy_consensus() for _i in range(3)]
    for node in slow:
        node.delay["*"] = 0.4
    pairs = [h.Pair("p%d" % i, None, h.Endpoint(n.url)) for i, n in enumerate(slow)]
    # 24 requests of 0.4 s through 2 workers need ~5 s; the round must end at the 1 s total timeout anyway (the wall
    # time it takes is measured by benchmarks/bench_health_bounds.py)
    reports = h.check_pairs(pairs, request_timeout=10, total_timeout=1.0, max_workers=2)
    assert not any(r["healthy"] for r in reports)
    last = reports[-1]
    assert verdict(last, "cl_reachable")["reason"] == "/eth/v1/node/syncing: no answer within the total timeout of 1.0s"
    assert last["consensus"]["reachable"] is False


def test_many_endpoints_are_checked_concurrently(nodes):
    fleet = []
    for _i in range(8):
        el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
        el.delay["*"] = cl.delay["*"] = 0.5
        fleet.append((el, cl))
    pairs = [h.Pair("p%d" % i, h.Endpoint(e.url), h.Endpoint(c.url)) for i, (e, c) in enumerate(fleet)]
    # 8 pairs x (1 batch + 8 GETs) at 0.5 s each would take 36 s one after another: within a 3 s round they can only
    # all pass if they ran concurrently (the wall time itself: benchmarks/bench_health_bounds.py)
    reports = h.check_pairs(pairs, request_timeout=2, total_timeout=3)
    assert all(r["healthy"] for r in reports), [r["failed"] for r in reports]


def test_connection_refused(nodes):
    report = check("http://127.0.0.1:%d" % free_port(), "http://127.0.0.1:%d/" % free_port())
    assert not report["healthy"]
    assert verdict(report, "el_reachable")["reason"] == "connection refused"
    assert verdict(report, "cl_reachable")["reason"].endswith("connection refused")
    assert verdict(report, "cl_sync_distance")["reason"].endswith("connection refused")
    assert report["execution"]["reachable"] is False and report["consensus"]["reachable"] is False


def test_unresolvable_host():
    report = check("http://no-such-host.invalid:8545")
    assert not report["healthy"]
    assert "cannot resolve host no-such-host.invalid" in verdict(report, "el_reachable")["reason"]


def test_tls_to_a_plain_http_server_is_a_tls_error(nodes):
    el = nodes().healthy_execution()
    report = check(el.url.replace("http://", "https://"))
    assert not report["healthy"]
    assert verdict(report, "el_reachable")["reason"].startswith("TLS error")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not installed: cannot make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return cert, ctx


def test_tls_untrusted_certificate_fails_and_trusted_ca_passes(nodes, self_signed):
    cert, ctx = self_signed
    el = nodes(ctx).healthy_execution()
    assert el.url.startswith("https://")
    report = check(el.url, criteria={"skip": ["el_peers"]})
    assert not report["healthy"]
    assert verdict(report, "el_reachable")["reason"].startswith("TLS certificate verification failed")
    trusted = check(h.Endpoint(el.url, ca_file=cert))
    assert trusted["healthy"], trusted["failed"]
    unverified = check(h.Endpoint(el.url, validate_certs=False))
    assert unverified["healthy"], unverified["failed"]


# ---------------------------------------------------------------------------------------------------------------------
# fail closed: what comes back
# ---------------------------------------------------------------------------------------------------------------------
PROXY_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"


def test_html_error_page_from_a_proxy(nodes):
    el = nodes()
    el.raw_post = (502, PROXY_502, "text/html")
    cl = nodes().healthy_consensus()
    cl.rest["/eth/v1/node/syncing"] = (502, PROXY_502, "text/html")
    report = check(el.url, cl.url)
    assert not report["healthy"]
    assert verdict(report, "el_reachable")["reason"] == "JSON-RPC batch: HTML page instead of JSON (HTTP 502: '502 Bad Gateway')"
    assert verdict(report, "cl_sync_distance")["reason"] == "/eth/v1/node/syncing: HTTP 502 (HTML page instead of JSON (HTTP 502: '502 Bad Gateway'))"


def test_html_page_with_status_200_is_not_json(nodes):
    el = nodes()
    el.raw_post = (200, "<!DOCTYPE html><html><title>Sign in</title></html>", "text/html; charset=utf-8")
    report = check(el.url)
    assert not report["healthy"]
    assert "HTML page instead of JSON (HTTP 200: 'Sign in')" in verdict(report, "el_reachable")["reason"]


def test_malformed_json(nodes):
    el = nodes()
    el.raw_post = (200, '{"jsonrpc":"2.0","id":1,"result":', "application/json")
    cl = nodes().healthy_consensus()
    cl.rest["/eth/v1/node/peer_count"] = (200, '{"data": {"connected": "5",', "application/json")
    report = check(el.url, cl.url)
    assert not report["healthy"]
    assert "malformed JSON (HTTP 200, JSONDecodeError)" in verdict(report, "el_reachable")["reason"]
    assert "malformed JSON" in verdict(report, "cl_peers")["reason"]
    assert verdict(report, "cl_sync_distance")["ok"], "one bad path must not fail the others"


def test_empty_body(nodes):
    el = nodes()
    el.raw_post = (200, b"", "application/json")
    report = check(el.url)
    assert verdict(report, "el_reachable")["reason"] == "JSON-RPC batch: empty response body (HTTP 200)"


def test_jsonrpc_error_object_fails_only_the_criteria_that_need_the_call(nodes):
    el = nodes().healthy_execution()
    el.rpc["eth_syncing"] = {"error": {"code": -32601, "message": "the method eth_syncing does not exist/is not available"}}
    report = check(el.url)
    assert not report["healthy"]
    assert verdict(report, "el_reachable")["ok"]
    assert verdict(report, "el_not_syncing")["reason"] == "eth_syncing: JSON-RPC error -32601: 'the method eth_syncing does not exist/is not available'"
    assert verdict(report, "el_head_age")["ok"]


def test_jsonrpc_error_on_every_call_is_reachable_but_unhealthy(nodes):
    el = nodes()
    report = check(el.url)  # no method known
    assert verdict(report, "el_reachable")["ok"]
    assert failed_names(report) == ["el_head_age", "el_not_syncing", "el_peers"]


def test_http_error_status_with_json_body(nodes):
    el = nodes()
    el.raw_post = (429, {"jsonrpc": "2.0", "id": None, "error": {"code": -32005, "message": "rate limited"}}, "application/json")
    cl = nodes().healthy_consensus()
    cl.rest["/eth/v1/beacon/states/head/finality_checkpoints"] = (500, {"code": 500, "message": "state regeneration failed"})
    report = check(el.url, cl.url)
    assert "rate limited" in verdict(report, "el_not_syncing")["reason"]
    assert verdict(report, "cl_finality")["reason"] == "/eth/v1/beacon/states/head/finality_checkpoints: HTTP 500: 'state regeneration failed'"


def test_batch_refused_falls_back_to_single_calls(nodes):
    el = nodes().healthy_execution()
    el.batch_supported = False
    report = check(el.url)
    assert report["healthy"], report["failed"]
    seen = el.rpc_methods_seen()
    assert isinstance(seen[0], list) and seen[1:] == [m for m, _params in h.EL_CALLS]


@pytest.mark.parametrize("field,value,expect", [
    ("eth_blockNumber", "1234", "decimal string '1234' where a 0x-prefixed hex quantity is required"),
    ("eth_blockNumber", "0xzz", "expected a hex quantity"),
    ("eth_blockNumber", True, "expected a hex quantity, got true"),
    ("net_peerCount", "25", "hex/decimal confusion"),
    ("eth_chainId", None, "expected a hex quantity, got null"),
])
def test_execution_hex_vs_decimal(nodes, field, value, expect):
    el = nodes().healthy_execution()
    el.rpc[field] = {"result": value}
    report = check(el.url, criteria={"expected_chain_id": 1})
    key = {"eth_blockNumber": "block_number", "net_peerCount": "peers", "eth_chainId": "chain_id"}[field]
    assert expect in report["execution"]["errors"][key]
    assert report["execution"][key] is None
    if field != "eth_blockNumber":
        assert not report["healthy"]


def test_block_timestamp_in_decimal_fails_head_age(nodes):
    el = nodes().healthy_execution()
    el.rpc["eth_getBlockByNumber"] = {"result": {"number": "0x10", "timestamp": str(int(time.time()))}}
    report = check(el.url)
    assert "block.timestamp: decimal string" in verdict(report, "el_head_age")["reason"]


@pytest.mark.parametrize("field,value,criterion,expect", [
    ("sync_distance", "0x10", "cl_sync_distance", "hex string '0x10' where a decimal integer string is required"),
    ("sync_distance", "-1", "cl_sync_distance", "expected a decimal integer string"),
    ("is_syncing", "false", "cl_not_syncing", 'expected a JSON boolean, got \'"false"\''),
    ("is_optimistic", 0, "cl_not_optimistic", "expected a JSON boolean, got '0'"),
    ("el_offline", "false", "cl_el_online", "expected a JSON boolean"),
])
def test_consensus_wrong_types(nodes, field, value, criterion, expect):
    cl = nodes().healthy_consensus()
    cl.set_syncing(**{field: value})
    report = check(None, cl.url)
    assert not report["healthy"]
    assert expect in verdict(report, criterion)["reason"]


def test_beacon_integers_as_json_numbers_are_accepted(nodes):
    cl = nodes().healthy_consensus()
    doc = cl.rest["/eth/v1/node/syncing"][1]
    cl.set_syncing(head_slot=int(doc["data"]["head_slot"]), sync_distance=0)
    assert check(None, cl.url)["healthy"]


def test_missing_fields_fail_the_criteria_that_need_them(nodes):
    cl = nodes().healthy_consensus()
    cl.set_syncing(sync_distance=None)
    report = check(None, cl.url)
    assert verdict(report, "cl_sync_distance")["reason"] == "/eth/v1/node/syncing: missing field sync_distance"
    cl.rest["/eth/v1/beacon/headers/head"] = (200, {"data": {"root": "0x00"}})
    report = check(None, cl.url)
    assert verdict(report, "cl_head_slot")["reason"] == "/eth/v1/beacon/headers/head: missing field data.header"
    el = nodes().healthy_execution()
    el.rpc["eth_getBlockByNumber"] = {"result": {"number": "0x10"}}
    report = check(el.url)
    assert verdict(report, "el_head_age")["reason"] == "eth_getBlockByNumber(latest): missing field timestamp"
    el.rpc["eth_getBlockByNumber"] = {"result": None}
    report = check(el.url)
    assert verdict(report, "el_head_age")["reason"] == "eth_getBlockByNumber(latest): expected a block object, got 'null'"


def test_unreported_optional_fields_are_not_healthy_by_default(nodes):
    """Lodestar 1.5.1 has no el_offline; pre-Bellatrix clients had no is_optimistic."""
    cl = nodes().healthy_consensus(el_offline=None)
    cl.set_syncing(is_optimistic=None)
    report = check(None, cl.url)
    assert failed_names(report) == ["cl_el_online", "cl_not_optimistic"]
    assert "el_offline not reported by this consensus client" in verdict(report, "cl_el_online")["reason"]
    assert verdict(report, "cl_not_optimistic")["reason"] == "is_optimistic not reported"
    assert check(None, cl.url, {"skip": ["cl_el_online"], "allow_optimistic": True})["healthy"]


def test_weird_json_shapes_never_raise_and_never_pass(nodes):
    shapes = [[], {}, {"data": []}, {"data": None}, {"data": {"head_slot": {"x": 1}}}, "string", 7, None]
    for shape in shapes:
        cl = nodes().healthy_consensus()
        for _name, path in h.CL_PATHS:
            if path != "/eth/v1/node/health":
                cl.rest[path] = (200, json.dumps(shape), "application/json")
        el = nodes()
        el.raw_post = (200, json.dumps(shape if shape != [] else [{"id": "x"}]), "application/json")
        report = check(el.url, cl.url)
        assert not report["healthy"], shape
        assert all(v["reason"] for v in report["criteria"] if not v["ok"])


# ---------------------------------------------------------------------------------------------------------------------
# client quirks
# ---------------------------------------------------------------------------------------------------------------------
def test_lodestar_health_200_while_syncing_is_caught_by_node_syncing(nodes):
    cl = nodes().healthy_consensus(head_lag=44)
    cl.set_syncing(is_syncing=True)
    report = check(None, cl.url)
    assert verdict(report, "cl_health")["ok"], "Lodestar 1.5.1 answers 200 on /node/health even while syncing"
    assert failed_names(report) == ["cl_head_slot", "cl_not_syncing", "cl_sync_distance"]
    assert verdict(report, "cl_sync_distance")["reason"] == "sync_distance 44 (limit 2)"


def test_health_206_means_syncing_or_optimistic(nodes):
    cl = nodes().healthy_consensus()
    cl.rest["/eth/v1/node/health"] = (206, b"", "text/plain")
    report = check(None, cl.url)
    assert failed_names(report) == ["cl_health"]
    assert verdict(report, "cl_health")["reason"] == "/eth/v1/node/health answered 206 (syncing or optimistic)"


def test_consensus_claiming_synced_while_head_is_behind_the_wall_clock(nodes):
    """Seen with Lodestar 1.5.1 right after start: is_syncing false, sync_distance 0, head_slot 0, chain at slot 9."""
    cl = nodes().healthy_consensus(head_lag=9, sync_distance=0)
    report = check(None, cl.url)
    assert failed_names(report) == ["cl_head_slot"]
    assert "is 9 slots behind the wall-clock slot" in verdict(report, "cl_head_slot")["reason"]


def test_geth_eth_syncing_false_but_head_stale(nodes):
    el = nodes().healthy_execution(head_age=300)
    report = check(el.url)
    assert verdict(report, "el_not_syncing")["ok"]
    assert failed_names(report) == ["el_head_age"]
    assert re.search(r"is 30[01]\.\d+s old \(limit 60s\)", verdict(report, "el_head_age")["reason"])


def test_execution_syncing_object(nodes):
    el = nodes().healthy_execution()
    el.rpc["eth_syncing"] = {"result": {"startingBlock": "0x0", "currentBlock": "0x10", "highestBlock": "0x20"}}
    report = check(el.url)
    assert verdict(report, "el_not_syncing")["reason"] == "eth_syncing reports syncing (block 16 of 32)"


# ---------------------------------------------------------------------------------------------------------------------
# criteria edges
# ---------------------------------------------------------------------------------------------------------------------
def test_sync_distance_boundary(nodes):
    at = nodes().healthy_consensus(head_lag=2)
    over = nodes().healthy_consensus(head_lag=3)
    assert check(None, at.url)["healthy"]
    assert failed_names(check(None, over.url)) == ["cl_head_slot", "cl_sync_distance"]
    assert check(None, over.url, {"max_sync_distance": 3})["healthy"]


def test_head_age_boundary(nodes):
    el = nodes().healthy_execution(head_age=30)
    assert check(el.url, criteria={"max_head_age": 35})["healthy"]
    assert failed_names(check(el.url, criteria={"max_head_age": 25})) == ["el_head_age"]


def test_peer_minimums(nodes):
    el = nodes().healthy_execution(peers=0)
    cl = nodes().healthy_consensus(peers=0)
    assert failed_names(check(el.url, cl.url)) == ["cl_peers", "el_peers"]
    assert check(el.url, cl.url, {"min_execution_peers": 0, "min_consensus_peers": 0})["healthy"]


def test_finality_lag(nodes):
    cl = nodes().healthy_consensus(finality_lag=5)
    report = check(None, cl.url)
    assert failed_names(report) == ["cl_finality"]
    assert "5 epochs behind head epoch" in verdict(report, "cl_finality")["reason"]
    assert check(None, cl.url, {"max_finality_lag_epochs": 5})["healthy"]


def test_chain_id_mismatch(nodes):
    el = nodes().healthy_execution(chain_id=11155111)
    report = check(el.url, criteria={"expected_chain_id": 1})
    assert verdict(report, "el_chain_id")["reason"] == "chain id 11155111, expected 1"
    assert "el_chain_id" not in [v["criterion"] for v in check(el.url)["criteria"]]


def test_optimistic_and_el_offline(nodes):
    cl = nodes().healthy_consensus(el_offline=True)
    cl.set_syncing(is_optimistic=True)
    report = check(None, cl.url)
    assert failed_names(report) == ["cl_el_online", "cl_not_optimistic"]
    assert failed_names(check(None, cl.url, {"allow_optimistic": True})) == ["cl_el_online"]


def test_el_cl_head_comparison(nodes):
    el = nodes().healthy_execution(block=1000)
    cl = nodes().healthy_consensus()

    def payload(n):
        return (200, {"data": {"message": {"slot": "1", "body": {"execution_payload_header": {"block_number": str(n), "block_hash": "0x01"}}}}})

    cl.rest[h.CL_EXEC_HEAD_PATH] = payload(1001)
    assert check(el.url, cl.url, {"max_el_cl_block_lag": 1})["healthy"]
    cl.rest[h.CL_EXEC_HEAD_PATH] = payload(1010)
    report = check(el.url, cl.url, {"max_el_cl_block_lag": 1})
    assert failed_names(report) == ["el_cl_head"]
    assert verdict(report, "el_cl_head")["reason"] == "execution head 1000 vs consensus payload block 1010 (limit 1)"
    cl.rest[h.CL_EXEC_HEAD_PATH] = (200, {"data": {"message": {"slot": "1", "body": {"attestations": []}}}})
    report = check(el.url, cl.url, {"max_el_cl_block_lag": 1})
    assert "pre-merge" in verdict(report, "el_cl_head")["reason"]
    before = len([p for p in cl.paths_seen() if p == h.CL_EXEC_HEAD_PATH])
    check(el.url, cl.url)
    assert len([p for p in cl.paths_seen() if p == h.CL_EXEC_HEAD_PATH]) == before, "not asked unless the criterion is on"


def test_skip_and_unknown_criteria():
    assert h.merge_criteria({"skip": "el_peers, cl_peers"})["skip"] == ["el_peers", "cl_peers"]
    with pytest.raises(ValueError, match="unknown criteria key 'max_distance'"):
        h.merge_criteria({"max_distance": 3})
    with pytest.raises(ValueError, match="unknown criterion in skip: el_peer"):
        h.merge_criteria({"skip": ["el_peer"]})
    with pytest.raises(ValueError, match="must not be negative"):
        h.merge_criteria({"max_sync_distance": -1})
    with pytest.raises(ValueError, match="boolean"):
        h.merge_criteria({"min_execution_peers": True})
    with pytest.raises(ValueError, match="max_head_age must be positive"):
        h.merge_criteria({"max_head_age": 0})
    assert h.merge_criteria({"max_sync_distance": None})["max_sync_distance"] == h.DEFAULT_CRITERIA["max_sync_distance"]


def test_skipped_criteria_are_not_evaluated(nodes):
    el = nodes().healthy_execution(peers=0)
    report = check(el.url, criteria={"skip": ["el_peers"]})
    assert report["healthy"]
    assert "el_peers" not in [v["criterion"] for v in report["criteria"]]


def test_static_chain_data_is_fetched_once_per_endpoint(nodes):
    cl = nodes().healthy_consensus()
    check(None, cl.url)
    check(None, cl.url)
    assert cl.paths_seen().count("/eth/v1/beacon/genesis") == 1
    assert cl.paths_seen().count("/eth/v1/config/spec") == 1
    assert cl.paths_seen().count("/eth/v1/node/syncing") == 2


def test_static_data_failure_is_not_cached(nodes):
    cl = nodes().healthy_consensus()
    good = cl.rest["/eth/v1/config/spec"]
    cl.rest["/eth/v1/config/spec"] = (503, {"code": 503, "message": "starting"})
    assert "HTTP 503" in verdict(check(None, cl.url), "cl_finality")["reason"]
    cl.rest["/eth/v1/config/spec"] = good
    assert check(None, cl.url)["healthy"]


def test_slot_overrides_replace_spec(nodes):
    cl = nodes().healthy_consensus()
    report = check(None, cl.url, {"seconds_per_slot": SECONDS_PER_SLOT * 2})
    assert failed_names(report) == ["cl_head_slot"]
    assert "slots ahead of the wall-clock slot" in verdict(report, "cl_head_slot")["reason"]
    h.clear_static_cache()
    assert check(None, cl.url, {"seconds_per_slot": SECONDS_PER_SLOT})["healthy"]


# ---------------------------------------------------------------------------------------------------------------------
# endpoints: auth, headers, redaction, Kubernetes proxy URLs
# ---------------------------------------------------------------------------------------------------------------------
def test_basic_auth_from_url_and_headers_are_sent_and_redacted(nodes):
    el = nodes().healthy_execution()
    url = el.url.replace("http://", "http://ops:s3cr%40t@") + "/rpc?key=abc"
    ep = h.Endpoint(url, headers={"X-Api-Key": "k1"})
    assert ep.label == "http://127.0.0.1:%d/rpc" % el.port
    report = check(ep)
    assert "s3cr" not in json.dumps(report) and "key=abc" not in json.dumps(report)
    path, headers = el.requests[0][1:3]
    assert path == "/rpc?key=abc"
    assert headers["Authorization"] == "Basic b3BzOnMzY3JAdA=="  # ops:s3cr@t
    assert headers["X-Api-Key"] == "k1"


def test_api_keys_in_url_paths_are_not_shown():
    ep = h.Endpoint("https://mainnet.infura.example/v3/9aa3d95b3bc440fa88ea12eaa4456161")
    assert ep.label == "https://mainnet.infura.example/v3/***"
    assert ep.target("") == "/v3/9aa3d95b3bc440fa88ea12eaa4456161", "the key is still used for the request"
    assert h.Endpoint("http://10.0.0.5:8545/rpc/pair-geth-lighthouse-0").label == "http://10.0.0.5:8545/rpc/pair-geth-lighthouse-0"


def test_a_proxy_error_page_everywhere_is_not_a_reachable_beacon_api(nodes):
    cl = nodes().healthy_consensus()
    for path in list(cl.rest):
        cl.rest[path] = (502, PROXY_502, "text/html")
    report = check(None, cl.url)
    assert report["consensus"]["reachable"] is False
    assert verdict(report, "cl_reachable")["reason"].endswith("HTTP 502 (HTML page instead of JSON (HTTP 502: '502 Bad Gateway'))")
    assert verdict(report, "cl_health")["reason"] == "/eth/v1/node/health: HTTP 502 (not a Beacon API health status)"


def test_an_ingress_refusing_credentials_is_reported_as_such(nodes):
    cl = nodes().healthy_consensus()
    for path in list(cl.rest):
        cl.rest[path] = (401, {"message": "Unauthorized"})
    report = check(None, cl.url)
    assert not report["consensus"]["reachable"]
    assert verdict(report, "cl_reachable")["reason"].endswith("HTTP 401: 'Unauthorized'")


def test_beacon_paths_are_appended_to_the_base_path(nodes):
    cl = nodes().healthy_consensus()
    for path in list(cl.rest):
        cl.rest["/beacon" + path] = cl.rest.pop(path)
    report = check(None, cl.url + "/beacon/", criteria={})
    assert report["healthy"], report["failed"]
    assert "/beacon/eth/v1/node/syncing" in cl.paths_seen()


def test_endpoint_rejects_bad_urls():
    for bad in ("ftp://x", "localhost:8545", "", "http://"):
        with pytest.raises(ValueError):
            h.Endpoint(bad)


@pytest.mark.parametrize("kwargs,expect", [
    (dict(server="https://10.0.0.1:6443", namespace="ethereum", name="geth", port=8545),
     "https://10.0.0.1:6443/api/v1/namespaces/ethereum/services/geth:8545/proxy/"),
    (dict(server="https://10.0.0.1:6443/", namespace="ethereum", name="pair-0", port="5052", kind="pod"),
     "https://10.0.0.1:6443/api/v1/namespaces/ethereum/pods/pair-0:5052/proxy/"),
    (dict(server="https://k8s.example.org", namespace="eth", name="rpc", port="https-rpc", scheme="https", path="/rpc"),
     "https://k8s.example.org/api/v1/namespaces/eth/services/https:rpc:https-rpc/proxy/rpc"),
    (dict(server="https://rancher.example.org/k8s/clusters/c-m-abc", namespace="eth", name="beacon", port=5052),
     "https://rancher.example.org/k8s/clusters/c-m-abc/api/v1/namespaces/eth/services/beacon:5052/proxy/"),
    (dict(server="https://[fd00::1]:6443", namespace="eth", name="b", port=1),
     "https://[fd00::1]:6443/api/v1/namespaces/eth/services/b:1/proxy/"),
])
def test_kube_proxy_url(kwargs, expect):
    server, ns, name, port = kwargs.pop("server"), kwargs.pop("namespace"), kwargs.pop("name"), kwargs.pop("port")
    assert h.kube_proxy_url(server, ns, name, port, **kwargs) == expect


def test_kube_proxy_url_rejects_bad_input():
    with pytest.raises(ValueError):
        h.kube_proxy_url("https://x", "ns", "svc", 1, kind="deployment")
    with pytest.raises(ValueError):
        h.kube_proxy_url("https://x", "ns", "svc", 1, scheme="ws")
    with pytest.raises(ValueError):
        h.kube_proxy_url("10.0.0.1:6443", "ns", "svc", 1)
    with pytest.raises(ValueError):
        h.kube_proxy_url("https://x", "", "svc", 1)
    assert "/services/a%2Fb:1/" in h.kube_proxy_url("https://x", "ns", "a/b", 1)


def test_request_through_a_kube_proxy_url_reaches_the_path(nodes):
    """The proxy path is kept as the base: JSON-RPC posts to .../proxy/, beacon GETs go below it."""
    el = nodes().healthy_execution()
    cl = nodes().healthy_consensus()
    for path in list(cl.rest):
        cl.rest["/api/v1/namespaces/eth/services/beacon:5052/proxy" + path] = cl.rest.pop(path)
    el_url = h.kube_proxy_url(el.url, "eth", "geth", 8545)
    cl_url = h.kube_proxy_url(cl.url, "eth", "beacon", 5052)
    report = check(h.Endpoint(el_url, headers={"Authorization": "Bearer t0ken"}), cl_url)
    assert report["healthy"], report["failed"]
    assert el.requests[0][1] == "/api/v1/namespaces/eth/services/geth:8545/proxy/"
    assert el.requests[0][2]["Authorization"] == "Bearer t0ken"


# ---------------------------------------------------------------------------------------------------------------------
# waiting for health
# ---------------------------------------------------------------------------------------------------------------------
def test_wait_needs_consecutive_healthy_polls(nodes):
    cl = nodes().healthy_consensus()
    good = cl.rest["/eth/v1/node/syncing"]
    state = {"n": 0}

    def flaky():
        state["n"] += 1
        if state["n"] in (2, 4):
            status, doc = good
            doc = json.loads(json.dumps(doc))
            doc["data"]["is_syncing"] = True
            return (status, doc)
        return good

    cl.rest["/eth/v1/node/syncing"] = flaky
    out = h.wait_for_health([h.Pair("p", None, h.Endpoint(cl.url))], consecutive=3, interval=0.05, timeout=10, request_timeout=1)
    assert out["healthy"] and out["streak"] == 3
    # polls 1 ok, 2 bad, 3 ok, 4 bad, 5 6 7 ok
    assert out["polls"] == 7
    assert out["pairs"][0]["consecutive_healthy"] == 3


def test_wait_times_out_with_reasons_and_does_not_raise(nodes):
    cl = nodes().healthy_consensus(head_lag=15)
    out = h.wait_for_health([h.Pair("lagging", None, h.Endpoint(cl.url))], consecutive=1, interval=0.2, timeout=1.0, request_timeout=1)
    assert out["elapsed"] >= 1.0  # not before the timeout (how soon after: benchmarks/bench_health_bounds.py)
    assert not out["healthy"] and out["polls"] >= 3
    lines = h.summarize_failures(out["pairs"])
    assert lines == ["lagging: cl_sync_distance: sync_distance 15 (limit 2); cl_head_slot: head slot %d is 15 slots behind the wall-clock slot %d (limit 2)" % (
        out["pairs"][0]["consensus"]["header_slot"], out["pairs"][0]["consensus"]["wall_slot"])]


def test_wait_min_healthy(nodes):
    good = nodes().healthy_consensus()
    pairs = [h.Pair("good", None, h.Endpoint(good.url)), h.Pair("down", None, h.Endpoint("http://127.0.0.1:%d" % free_port()))]
    out = h.wait_for_health(pairs, min_healthy=1, consecutive=2, interval=0.05, timeout=5, request_timeout=1)
    assert out["healthy"] and out["healthy_pairs"] == 1 and out["polls"] == 2
    out = h.wait_for_health(pairs, consecutive=1, interval=0.1, timeout=0.5, request_timeout=0.3)
    assert not out["healthy"] and out["min_healthy"] == 2
    with pytest.raises(ValueError):
        h.wait_for_health(pairs, min_healthy=3)
    with pytest.raises(ValueError):
        h.wait_for_health(pairs, consecutive=0)
