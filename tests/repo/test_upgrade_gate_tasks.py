"""The upgrade playbook's chain gate step passes valid options to eth_health_gate and fails closed with reasons."""

import json
import socket

import pytest
from fixture_playbook import run_fixture_playbook


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _gate(extra_vars):
    returncode, result, output = run_fixture_playbook("upgrade_gate.yml", json.dumps(extra_vars))
    assert result is not None, output[-3000:]
    return returncode, result


def _task_results(out, name_part):
    return [t["hosts"]["localhost"] for p in out["plays"] for t in p["tasks"] if name_part in t["task"]["name"] and "localhost" in t["hosts"]]


@pytest.mark.slow
def test_gate_fails_with_reasons_when_pairs_are_down():
    port = _closed_port()
    pairs = [{"name": "pair-a", "execution": {"url": "http://127.0.0.1:%d" % port}, "consensus": {"url": "http://127.0.0.1:%d" % port}}]
    rc, out = _gate({"k3s_upgrade_health_pairs": pairs, "k3s_upgrade_gate_timeout": 3, "k3s_upgrade_gate_interval": 1,
                     "k3s_upgrade_gate_consecutive": 1})
    assert rc == 2
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert result["failed"] is True
    assert "Unsupported parameters" not in result.get("msg", "")
    assert "pair-a" in json.dumps(result)


@pytest.mark.slow
def test_gate_is_skipped_visibly_without_pairs():
    rc, out = _gate({"k3s_upgrade_health_pairs": [], "ansible_play_batch": ["node1"]})
    assert rc == 0
    notice = _task_results(out, "Say the chain gate was skipped")[0]
    assert notice["msg"].startswith("SKIPPED: chain health gate")
