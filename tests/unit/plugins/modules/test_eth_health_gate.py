"""eth_health_gate run as Ansible runs it: waits for consecutive healthy polls, fails at the timeout with reasons."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from eth_fakes import FakeNode

from ansible_collections.chainops.ethereum.plugins.modules import eth_health_gate


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        eth_health_gate.main()
    result = json.loads(capsys.readouterr().out)
    result["_rc"] = exc.value.code
    return result


def pair(name, el=None, cl=None):
    out = {"name": name}
    if el:
        out["execution"] = {"url": el.url}
    if cl:
        out["consensus"] = {"url": cl.url}
    return out


def test_passes_after_consecutive_healthy_polls_and_never_changes(capsys, nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    result = run(capsys, {"pairs": [pair("p", el, cl)], "consecutive_polls": 3, "poll_interval": 0.1, "timeout": 10})
    assert result["_rc"] == 0 and not result.get("failed")
    assert result["changed"] is False and result["healthy"] is True
    assert result["polls"] == 3 and result["streak"] == 3
    assert result["unhealthy"] == [] and result["pairs"][0]["consecutive_healthy"] == 3
    assert el.rpc_methods_seen().count(el.rpc_methods_seen()[0]) == 3


def test_waits_for_a_node_to_catch_up(capsys, nodes):
    cl = nodes().healthy_consensus(head_lag=30)
    cl.set_syncing(is_syncing=True)
    caught_up = FakeNode().healthy_consensus()
    calls = {"n": 0}

    def syncing():
        calls["n"] += 1
        return cl.rest_syncing_late if calls["n"] > 3 else cl.rest_syncing_early

    cl.rest_syncing_early = cl.rest["/eth/v1/node/syncing"]
    cl.rest_syncing_late = caught_up.rest["/eth/v1/node/syncing"]
    cl.rest["/eth/v1/beacon/headers/head"] = caught_up.rest["/eth/v1/beacon/headers/head"]
    caught_up.server.server_close()
    cl.rest["/eth/v1/node/syncing"] = syncing
    result = run(capsys, {"pairs": [pair("catching-up", cl=cl)], "consecutive_polls": 2, "poll_interval": 0.1, "timeout": 10})
    assert result["_rc"] == 0 and result["healthy"] is True
    assert result["polls"] == 5  # 3 syncing, then 2 healthy in a row


def test_fails_at_timeout_with_a_per_pair_per_criterion_report(capsys, nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    stale = nodes().healthy_execution(head_age=600)
    behind = nodes().healthy_consensus(head_lag=15)
    result = run(capsys, {"pairs": [pair("ok", el, cl), pair("bad", stale, behind)], "consecutive_polls": 2, "poll_interval": 0.2,
                          "timeout": 1.0, "_ansible_check_mode": True})
    assert result["elapsed"] >= 1.0  # gave up at the timeout, not before (how soon after: benchmarks/bench_health_bounds.py)
    assert result["_rc"] == 1 and result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("eth_health_gate: 1 of 2 pairs healthy on the last poll, 2 needed for 2 consecutive polls; gave up after")
    assert "bad: el_head_age: head block 19000000 is 60" in result["msg"]
    assert "cl_sync_distance: sync_distance 15 (limit 2)" in result["msg"]
    ok, bad = result["pairs"]
    assert ok["healthy"] and ok["consecutive_healthy"] == result["polls"]
    assert sorted(v["criterion"] for v in bad["criteria"] if not v["ok"]) == ["cl_head_slot", "cl_sync_distance", "el_head_age"]
    assert result["unhealthy"] == ["bad: " + "; ".join(bad["failed"])]


def test_min_healthy_lets_the_gate_pass_with_one_pair_down(capsys, nodes):
    cl = nodes().healthy_consensus()
    down = {"name": "down", "consensus": {"url": "http://127.0.0.1:9"}}
    result = run(capsys, {"pairs": [pair("up", cl=cl), down], "min_healthy": 1, "consecutive_polls": 2, "poll_interval": 0.1,
                          "timeout": 5, "request_timeout": 0.5})
    assert result["_rc"] == 0 and result["healthy_pairs"] == 1
    assert result["unhealthy"] == ["down: " + "; ".join(result["pairs"][1]["failed"])]
    assert "connection refused" in result["unhealthy"][0]


@pytest.mark.parametrize("args,msg", [
    ({"min_healthy": 3}, "min_healthy must be between 1 and the number of pairs (1), got 3"),
    ({"consecutive_polls": 0}, "consecutive polls must be at least 1"),
    ({"timeout": 0}, "timeout must be positive"),
])
def test_bad_gate_settings_fail_with_a_message(capsys, args, msg):
    base = {"pairs": [{"name": "p", "consensus": {"url": "http://127.0.0.1:9"}}]}
    base.update(args)
    result = run(capsys, base)
    assert result["failed"] is True and msg in result["msg"]
