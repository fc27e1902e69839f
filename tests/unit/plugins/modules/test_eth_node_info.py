"""eth_node_info run as Ansible runs it (AnsibleModule, argument validation, exit_json/fail_json) against fake nodes."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args


from ansible_collections.chainops.ethereum.plugins.modules import eth_node_info


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        eth_node_info.main()
    result = json.loads(capsys.readouterr().out)
    result["_rc"] = exc.value.code
    return result


def test_reports_healthy_and_unhealthy_pairs_without_failing(capsys, nodes):
    el, cl = nodes().healthy_execution(), nodes().healthy_consensus()
    lagging = nodes().healthy_consensus(head_lag=20)
    result = run(capsys, {"pairs": [{"name": "good", "execution": {"url": el.url}, "consensus": {"url": cl.url}},
                                    {"name": "behind", "consensus": {"url": lagging.url}}]})
    assert result["_rc"] == 0 and not result.get("failed")
    assert result["changed"] is False
    assert result["healthy"] is False and result["healthy_pairs"] == 1
    good, behind = result["pairs"]
    assert good["name"] == "good" and good["healthy"] and good["execution"]["block_number"] == 19_000_000
    assert behind["execution"] is None
    assert behind["failed"] == ["cl_sync_distance: sync_distance 20 (limit 2)",
                                "cl_head_slot: head slot 8999980 is 20 slots behind the wall-clock slot 9000000 (limit 2)"]


def test_check_mode_reads_the_same(capsys, nodes):
    cl = nodes().healthy_consensus()
    result = run(capsys, {"pairs": [{"name": "p", "consensus": {"url": cl.url}}], "_ansible_check_mode": True})
    assert result["_rc"] == 0 and result["healthy"] is True and result["changed"] is False
    assert "/eth/v1/node/syncing" in cl.paths_seen()


def test_criteria_options_reach_the_model(capsys, nodes):
    el = nodes().healthy_execution(peers=0, chain_id=5)
    result = run(capsys, {"pairs": [{"name": "p", "execution": {"url": el.url}}],
                          "criteria": {"expected_chain_id": 1, "skip": ["el_peers"]}})
    assert result["pairs"][0]["failed"] == ["el_chain_id: chain id 5, expected 1"]


def test_secrets_are_not_echoed(capsys, nodes):
    el = nodes().healthy_execution()
    result = run(capsys, {"pairs": [{"name": "p", "execution": {"url": el.url.replace("://", "://u:hunter2@"), "headers": {"X-Key": "k"}}}],
                          "url_password": "hunter2"})
    assert result["healthy"] is True, result["pairs"][0]["failed"]
    assert "hunter2" not in json.dumps(result)
    assert el.requests[0][2]["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("pairs,msg", [
    ([{"name": "p"}], "one of the following is required: execution, consensus"),
    ([{"name": "p", "execution": {"url": "http://x:1", "kubernetes": {"namespace": "e", "service": "s", "port": "1"}}}],
     "parameters are mutually exclusive: url|kubernetes"),
    ([{"name": "p", "execution": {"headers": {}}}], "one of the following is required: url, kubernetes"),
    ([{"name": "p", "consensus": {"kubernetes": {"namespace": "e", "port": "1"}}}], "one of the following is required: service, pod"),
    ([{"name": "p", "consensus": {"url": "http://x:1"}}, {"name": "p", "consensus": {"url": "http://y:1"}}], "pair names must be unique"),
])
def test_configuration_errors_fail_with_a_message(capsys, pairs, msg):
    result = run(capsys, {"pairs": pairs})
    assert result["_rc"] == 1 and result["failed"] is True
    assert msg in result["msg"]


def test_unknown_criterion_in_skip_is_rejected(capsys):
    result = run(capsys, {"pairs": [{"name": "p", "consensus": {"url": "http://127.0.0.1:1"}}], "criteria": {"skip": ["el_peer"]}})
    assert result["failed"] is True and "el_peer" in result["msg"]
