"""playbooks/k3s_upgrade.yml fails closed: the gate step against fake client pairs on 127.0.0.1 (several pairs,
min_healthy), and the whole playbook on the lab inventory (which contacts no host before the upgrade plays):
preflight first, refusal without pairs or with a misspelled k3s_upgrade_* name, the explicit opt-out."""

import json
import re
import os
import socket
import subprocess
import sys

import pytest
import yaml
from fixture_playbook import REPO, run_fixture_playbook

sys.path.insert(0, os.path.join(REPO, "tests", "unit", "plugins"))
from eth_fakes import FakeNode  # noqa: E402  (the fake Ethereum nodes of the health-model unit tests)

PLAYBOOK = os.path.join(REPO, "playbooks", "k3s_upgrade.yml")
FAST = {"k3s_upgrade_gate_interval": 1, "k3s_upgrade_gate_consecutive": 1}


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


@pytest.fixture
def fleet():
    """Three healthy fake pairs (execution + consensus) on 127.0.0.1; returns (pairs, nodes by pair name)."""
    started, pairs, by_name = [], [], {}
    for name in ("pair-a", "pair-b", "pair-c"):
        el = FakeNode().start().healthy_execution()
        cl = FakeNode().start().healthy_consensus()
        started += [el, cl]
        by_name[name] = (el, cl)
        pairs.append({"name": name, "execution": {"url": el.url}, "consensus": {"url": cl.url}})
    yield pairs, by_name
    for node in started:
        node.stop()


def _down(pair):
    port = _closed_port()
    return dict(pair, execution={"url": "http://127.0.0.1:%d" % port}, consensus={"url": "http://127.0.0.1:%d" % port})


@pytest.mark.slow
def test_gate_passes_when_every_pair_is_healthy(fleet):
    pairs, nodes = fleet
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=20))
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert rc == 0, result
    assert result["healthy"] is True and result["healthy_pairs"] == 3
    assert result["min_healthy"] == 3  # default: all pairs
    assert all(n.paths_seen() for el, cl in nodes.values() for n in (el, cl))  # the gate really asked every node


@pytest.mark.slow
def test_gate_min_healthy_defaults_to_all_pairs(fleet):
    pairs, _nodes = fleet
    pairs = pairs[:2] + [_down(pairs[2])]
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=3))
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert rc == 2 and result["failed"] is True
    assert result["min_healthy"] == 3 and result["healthy_pairs"] == 2
    assert "pair-c" in result["msg"]


@pytest.mark.slow
def test_gate_passes_with_min_healthy_below_the_pair_count(fleet):
    pairs, _nodes = fleet
    pairs = pairs[:2] + [_down(pairs[2])]
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_min_healthy=2, k3s_upgrade_gate_timeout=20))
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert rc == 0, result
    assert result["healthy"] is True and result["healthy_pairs"] == 2 and result["min_healthy"] == 2


@pytest.mark.slow
def test_gate_applies_the_operators_criteria(fleet):
    """k3s_upgrade_gate_criteria reaches the gate: a wrong expected_chain_id fails every pair, a pair without execution
    peers fails by default and passes once el_peers is skipped, and a misspelled criterion is refused by name."""
    pairs, nodes = fleet
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=3,
                         k3s_upgrade_gate_criteria={"expected_chain_id": 5}))
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert rc == 2 and result["healthy_pairs"] == 0, result
    assert "chain id" in json.dumps(result).lower()
    nodes["pair-a"][0].rpc["net_peerCount"] = {"result": "0x0"}
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=3))
    assert rc == 2 and "pair-a" in _task_results(out, "Wait until enough client pairs are healthy")[0]["msg"]
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=20,
                         k3s_upgrade_gate_criteria={"skip": ["el_peers"]}))
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert rc == 0 and result["healthy_pairs"] == 3, result
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=3,
                         k3s_upgrade_gate_criteria={"skip": ["el_peer"]}))
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert rc == 2 and "el_peer" in result["msg"] and "el_peers" in result["msg"], result["msg"]


@pytest.mark.slow
def test_gate_fails_with_reasons_when_pairs_are_down():
    port = _closed_port()
    pairs = [{"name": "pair-a", "execution": {"url": "http://127.0.0.1:%d" % port}, "consensus": {"url": "http://127.0.0.1:%d" % port}}]
    rc, out = _gate(dict(FAST, k3s_upgrade_health_pairs=pairs, k3s_upgrade_gate_timeout=3))
    assert rc == 2
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    assert result["failed"] is True
    assert "Unsupported parameters" not in result.get("msg", "")
    assert "pair-a" in json.dumps(result)


@pytest.mark.slow
@pytest.mark.parametrize("extra", [{"k3s_upgrade_health_pairs": []}, {}], ids=["empty", "unset"])
def test_gate_step_refuses_when_it_has_nothing_to_check(extra):
    rc, out = _gate(dict(extra, ansible_play_batch=["node1"]))
    assert rc == 2
    result = _task_results(out, "Refuse a gate with nothing to check")[0]
    assert result["failed"] is True and "no pair to check (k3s_upgrade_health_pairs" in result["msg"]
    assert "k3s_upgrade_gate: false" in result["msg"]


@pytest.mark.slow
def test_gate_step_defaults_to_the_chain_layers_pairs_through_the_api_proxy(tmp_path):
    pairs = [{"name": "geth-lighthouse", "execution": {"client": "geth", "version": "v1.17.10"},
              "consensus": {"client": "lighthouse", "version": "v8.3.2"}}]
    rc, out = _gate({"chainops_pairs": pairs, "chainops_secrets_dir": str(tmp_path), "ansible_play_batch": ["node1"],
                     "k3s_upgrade_gate_timeout": 1, "k3s_upgrade_gate_interval": 1, "k3s_upgrade_gate_consecutive": 1})
    assert rc == 2  # no cluster here: the gate fails closed
    result = _task_results(out, "Wait until enough client pairs are healthy")[0]
    args = result["invocation"]["module_args"]
    assert [pair["name"] for pair in args["pairs"]] == ["geth-lighthouse"]
    for side, port in (("execution", "rpc"), ("consensus", "beacon")):
        endpoint = args["pairs"][0][side]
        assert not endpoint.get("url")
        assert {k: endpoint["kubernetes"][k] for k in ("namespace", "service", "port")} == {
            "namespace": "chainops-chain", "service": "geth-lighthouse", "port": port}
    assert args["min_healthy"] == 1 and args["kubeconfig"] == str(tmp_path / "kubeconfig")


@pytest.mark.slow
def test_gate_step_does_nothing_when_the_operator_opted_out():
    rc, out = _gate({"k3s_upgrade_gate": False, "ansible_play_batch": ["node1"]})
    assert rc == 0
    assert _task_results(out, "Wait until enough client pairs are healthy")[0].get("skipped") is True


# --- the whole playbook, on the lab inventory (no kubeconfig there, so no node is queued) ----------------------
def _upgrade(*extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), PLAYBOOK, "-i", os.path.join(REPO, "inventories", "lab")]
    for item in extra:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_playbook_refuses_to_start_without_pairs():
    rc, out = _upgrade('{"k3s_upgrade_health_pairs": []}')
    assert rc != 0, out[-3000:]
    assert "Preflight passed" in out  # the inventory preflight ran first
    assert "k3s upgrade refused: k3s_upgrade_health_pairs is empty" in out and "set k3s_upgrade_gate: false" in out
    assert "UPGRADE PLAN" not in out  # refused before the plan, long before any drain


@pytest.mark.slow
def test_playbook_gates_on_the_chain_layers_pairs_by_default():
    rc, out = _upgrade("{}")
    assert "k3s upgrade refused" not in out, out[-3000:]
    assert "UPGRADE PLAN" in out and rc == 0, out[-3000:]  # the lab has no cluster: the plan is shown, no node touched


@pytest.mark.slow
def test_playbook_refuses_a_misspelled_setting_and_names_the_intended_one():
    rc, out = _upgrade('{"k3s_upgrade_gate": false, "k3s_upgrade_min_heathy": 1, "k3s_upgarde_health_pairs": []}')
    assert rc != 0, out[-3000:]
    # the inventory preflight, imported first, names the intended variables before the upgrade's own settings check
    assert "k3s_upgrade_min_heathy: no role or layer reads this variable (did you mean k3s_upgrade_min_healthy?)" in out
    assert "k3s_upgarde_health_pairs: no role or layer reads this variable (did you mean k3s_upgrade_health_pairs?)" in out
    assert "UPGRADE PLAN" not in out


@pytest.mark.slow
@pytest.mark.parametrize("extra, expected", [
    ('{"k3s_upgrade_gate_timeout": "soon", "k3s_upgrade_gate": false}', "k3s_upgrade_gate_timeout"),
    ('{"k3s_upgrade_health_pairs": [{"name": "a", "exectuion": {"url": "http://127.0.0.1:1"}}]}', "exectuion"),
    ('{"k3s_upgrade_health_pairs": [{"name": "a", "execution": {"url": "http://127.0.0.1:1"}}], "k3s_upgrade_min_healthy": 2}',
     "k3s_upgrade_min_healthy must be between 1 and the 1 pair(s)"),
])
def test_playbook_refuses_bad_settings_before_the_plan(extra, expected):
    rc, out = _upgrade(extra)
    assert rc != 0, out[-3000:]
    assert expected in out, out[-3000:]
    assert "UPGRADE PLAN" not in out


@pytest.mark.slow
@pytest.mark.parametrize("extra, warning, summary", [
    ('{"k3s_upgrade_gate": false}', "WARNING: k3s_upgrade_gate is false",
     "SKIPPED: chain health gate for the whole k3s upgrade — k3s_upgrade_gate is false"),
    ('{"k3s_upgrade_gate_criteria": {"skip": ["el_peers", "cl_peers"]}}',
     "WARNING: k3s_upgrade_gate_criteria.skip switches off el_peers, cl_peers",
     "k3s_upgrade_gate_criteria.skip switches off el_peers, cl_peers"),
], ids=["gate-off", "criteria-skipped"])
def test_playbook_opt_outs_warn_first_and_are_named_in_the_summary(extra, warning, summary):
    rc, out = _upgrade(extra)
    assert rc == 0, out[-3000:]
    assert out.index(warning) < out.index("UPGRADE PLAN")
    assert summary in out[out.index("CHAINOPS SUMMARY"):]


def test_playbook_order_preflight_settings_gate_before_and_after_every_node():
    with open(PLAYBOOK, encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    assert plays[0].get("ansible.builtin.import_playbook") == "preflight.yml"
    plan = plays[1]
    names = [t["name"] for t in plan["tasks"]]
    assert plan["tasks"][0]["ansible.builtin.include_tasks"] == "tasks/k3s_upgrade_settings.yml"
    before = names.index("Chain health gate before the first node is drained")
    assert plan["tasks"][before]["ansible.builtin.include_tasks"] == "tasks/k3s_upgrade_gate.yml"
    assert before > max(names.index("Queue the servers to upgrade"), names.index("Queue the agents to upgrade"))
    for play in plays[2:]:
        steps = [(t["name"], t.get("ansible.builtin.include_tasks")) for t in play["tasks"]]
        assert steps[-1][1] == "tasks/k3s_upgrade_gate.yml", play["name"]  # the gate closes every server / agent batch
        assert play["max_fail_percentage"] == 0
    spec = yaml.safe_load(open(os.path.join(REPO, "roles", "k3s_common", "meta", "argument_specs.yml"), encoding="utf-8"))
    declared = {k for k in spec["argument_specs"]["upgrade"]["options"] if k.startswith("k3s_upgrade_")}
    text = "".join(open(os.path.join(REPO, p), encoding="utf-8").read() for p in (
        "playbooks/k3s_upgrade.yml", "playbooks/tasks/k3s_upgrade_gate.yml", "playbooks/tasks/k3s_upgrade_settings.yml",
        "roles/k3s_common/defaults/main.yml"))
    used = set(re.findall(r"(?<![_\w/])k3s_upgrade_[a-z_]+(?![a-z_.])", text)) - {"k3s_upgrade_servers", "k3s_upgrade_agents", "k3s_upgrade_plan"}
    assert used <= declared, "k3s_upgrade_* read but not declared in the argument spec: %s" % sorted(used - declared)
