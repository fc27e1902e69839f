"""The health model, the gate module and the sidecar against real clients: anvil 1.7.1 and two Lodestar 1.5.1 nodes.

The follower pair is (anvil, follower Lodestar); the validating Lodestar is never paused (the README's rule: pausing
the only validator stalls the chain for good).
"""

import json
import os
import subprocess
import sys
import time

import pytest

import devnet_procs as dp

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h

pytestmark = pytest.mark.devnet

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SIDECAR = os.path.join(REPO, "plugins", "module_utils", "_eth_health_sidecar.py")
SYNC_CRITERIA = {"cl_not_syncing", "cl_sync_distance", "cl_head_slot"}


def failing(report):
    return {v["criterion"] for v in report["criteria"] if not v["ok"]}


def test_late_started_node_is_reported_syncing_then_healthy(devnet):
    timeline = devnet.late_start
    assert timeline, "the follower never answered"
    for t, r in timeline:
        sys.stderr.write("late-start %5.2fs healthy=%s %s\n" % (t, r["healthy"], "; ".join(r["failed"])[:200]))
    first_healthy = next(i for i, (_t, r) in enumerate(timeline) if r["healthy"])
    before = [r for _t, r in timeline[:first_healthy]]
    assert before, "the follower was never seen behind (it started at slot %d)" % devnet.late_start[0][1]["consensus"]["wall_slot"]
    behind = [r for r in before if failing(r) & SYNC_CRITERIA]
    assert behind, [r["failed"] for r in before]
    # it was behind by real distance, and the reasons say so
    worst = max(r["consensus"]["head_lag_slots"] or 0 for r in behind)
    assert worst > dp.DEVNET_CRITERIA.get("max_sync_distance", h.DEFAULT_CRITERIA["max_sync_distance"])
    assert any("slots behind the wall-clock slot" in line for r in behind for line in r["failed"])
    # and healthy at the end, on every criterion
    last = timeline[-1][1]
    assert last["healthy"] and last["consensus"]["is_syncing"] is False and last["consensus"]["peers"] >= 1
    assert last["consensus"]["version"].startswith("Lodestar/v1.5.1")


def test_healthy_pairs_pass_every_criterion_on_real_clients(devnet):
    devnet.wait_healthy()
    for pair in (devnet.pair(), devnet.pair("validator-pair", cl=devnet.validator)):
        report = devnet.check(pair)
        assert report["healthy"], report["failed"]
        names = [v["criterion"] for v in report["criteria"]]
        assert "cl_finality" in names and "el_chain_id" in names and "el_peers" not in names
        el, cl = report["execution"], report["consensus"]
        assert el["chain_id"] == 31337 and el["client_version"].startswith("anvil/") and el["head_age"] < 5
        assert "Method not found" in el["errors"]["peers"], "anvil 1.7.1 has no net_peerCount: why el_peers is skipped here"
        assert cl["slots_per_epoch"] == 8 and cl["seconds_per_slot"] == dp.SECONDS_PER_SLOT
        assert cl["el_offline"] is None, "Lodestar 1.5.1 does not report el_offline: why cl_el_online is skipped here"
        assert 0 <= cl["finality_lag_epochs"] <= 4 and cl["head_epoch"] >= 1


def test_old_lodestar_without_el_offline_fails_closed_unless_skipped(devnet):
    report = devnet.check(criteria={"skip": ["el_peers"]})
    assert failing(report) == {"cl_el_online"}
    assert "el_offline not reported" in next(v["reason"] for v in report["criteria"] if v["criterion"] == "cl_el_online")


def test_anvil_with_mining_stopped_fails_head_age(devnet, tmp_path):
    anvil = dp.start_anvil(str(tmp_path), "anvil-stall")
    try:
        pair = devnet.pair("stall", el=anvil, cl=False)
        criteria = {"max_head_age": 4}
        dp.wait_until(lambda: devnet.check(pair, criteria)["healthy"], 10, "fresh anvil healthy")
        assert dp.rpc_ok(anvil.url, "evm_setIntervalMining", [0])
        time.sleep(5.5)
        report = devnet.check(pair, criteria)
        assert failing(report) == {"el_head_age"}, report["failed"]
        assert report["execution"]["syncing"] is False, "eth_syncing stays false: only the head age shows the problem"
        age = report["execution"]["head_age"]
        assert age > 4
        assert dp.rpc_ok(anvil.url, "evm_setIntervalMining", [1])
        dp.wait_until(lambda: devnet.check(pair, criteria)["healthy"], 10, "anvil mining again")
    finally:
        anvil.stop()


@pytest.fixture
def sidecars(devnet, tmp_path):
    started = []

    def start(name, **env_extra):
        port = dp.free_port()
        env = {"PATH": os.environ.get("PATH", ""), "CHAINOPS_HEALTH_EXECUTION_URL": devnet.anvil.url,
               "CHAINOPS_HEALTH_CONSENSUS_URL": devnet.follower.url, "CHAINOPS_HEALTH_LISTEN": "127.0.0.1",
               "CHAINOPS_HEALTH_PORT": str(port), "CHAINOPS_HEALTH_PAIR": name,
               "CHAINOPS_HEALTH_CRITERIA": json.dumps({"skip": ["el_peers", "cl_el_online", "cl_finality"], "expected_chain_id": 31337})}
        env.update(env_extra)
        # -I -S: the single file and the standard library, as in a stock python image
        proc = dp.Proc(name, [sys.executable, "-I", "-S", SIDECAR], str(tmp_path), str(tmp_path / (name + ".log")), env)
        proc.url = "http://127.0.0.1:%d" % port
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def wait_status(url, want, timeout):
    start = time.monotonic()
    dp.wait_until(lambda: dp.http_status(url, 2) == want, timeout, "%s -> %d" % (url, want), interval=0.1)
    return time.monotonic() - start


def test_pausing_the_follower_fails_gate_and_readiness_and_recovery_restores_them(devnet, sidecars):
    devnet.wait_healthy()
    sidecar = sidecars("default")  # default interval, request timeout and liveness grace
    quick = sidecars("short-grace", CHAINOPS_HEALTH_LIVENESS_GRACE="3")
    wait_status(sidecar.url + "/readyz", 200, 30)
    wait_status(quick.url + "/readyz", 200, 30)
    paused_at = time.monotonic()
    devnet.follower.pause()
    try:
        detect = wait_status(sidecar.url + "/readyz", 503, 15)
        sys.stderr.write("sidecar /readyz turned 503 %.2fs after the follower was paused\n" % detect)
        assert detect <= 12, "readiness took %.1fs to notice a paused node (target: one 12 s slot)" % detect
        out = h.wait_for_health([devnet.pair()], dp.DEVNET_CRITERIA, consecutive=1, interval=0.5, timeout=4, request_timeout=1)
        assert not out["healthy"]
        first = out["pairs"][0]["failed"][0]
        assert first.startswith("cl_reachable: /eth/v1/"), first
        assert "timeout after" in first or "no answer within the total timeout" in first, first
        body = dp.http_json(sidecar.url + "/status")[1]
        assert body["ready"] is False and any("timeout" in r for r in body["ready_reasons"])
        # a paused (not merely syncing) node past a 3 s grace is wedged for the short-grace sidecar only
        wait_status(quick.url + "/livez/consensus", 503, 15)
        assert dp.http_status(quick.url + "/livez/execution") == 200
        assert dp.http_status(sidecar.url + "/livez") == 200
        # stay paused long enough to fall several slots behind
        time.sleep(max(0.0, 12 - (time.monotonic() - paused_at)))
    finally:
        devnet.follower.resume()
    wait_status(sidecar.url + "/readyz", 200, 60)
    wait_status(quick.url + "/livez", 200, 15)
    devnet.wait_healthy(consecutive=2)
    text = urllib_get(sidecar.url + "/metrics")
    assert 'chainops_health_ready{pair="default"} 1' in text
    assert 'chainops_consensus_head_slot{pair="default"}' in text and 'chainops_execution_head_block{pair="default"}' in text


def urllib_get(url):
    with dp._OPENER.open(url, timeout=5) as resp:
        return resp.read().decode()


def test_stopping_the_follower_fails_with_connection_refused_and_a_restart_recovers(devnet, sidecars):
    devnet.wait_healthy()
    sidecar = sidecars("stop-test")
    wait_status(sidecar.url + "/readyz", 200, 30)
    devnet.follower.stop()
    report = devnet.check()
    assert not report["healthy"]
    assert any(line.startswith("cl_reachable: /eth/v1/node/") and line.endswith("connection refused") for line in report["failed"])
    assert "cl_reachable" in failing(report) and not failing(report) & {"el_reachable", "el_head_age"}
    wait_status(sidecar.url + "/readyz", 503, 15)
    assert dp.http_status(sidecar.url + "/livez") == 200, "an unreachable client is not wedged before the grace"
    devnet.restart_follower()
    devnet.wait_healthy(timeout=120)
    wait_status(sidecar.url + "/readyz", 200, 30)


def _playbook(tmp_path, name, tasks):
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\nstdout_callback = ansible.posix.json\nretry_files_enabled = false\n")
    (tmp_path / "inventory.ini").write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    path = tmp_path / (name + ".yml")
    path.write_text(json.dumps([{"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}], indent=1))
    return str(path)


def run_playbook(tmp_path, playbook, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_REMOTE_TEMP=str(tmp_path / "tmp"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inventory.ini"), playbook] + list(extra)
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=300)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("ansible-playbook output is not JSON (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    results = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            results[task["task"]["name"]] = task["hosts"]["localhost"]
    return proc.returncode, results


def test_eth_health_gate_through_ansible_playbook(devnet, tmp_path):
    devnet.wait_healthy()
    stalled = dp.start_anvil(str(tmp_path), "anvil-gate-stall")
    try:
        assert dp.rpc_ok(stalled.url, "evm_setIntervalMining", [0])
        criteria = {"expected_chain_id": 31337, "skip": ["el_peers", "cl_el_online"], "max_head_age": 4}
        healthy = {"name": "gate healthy pair", "chainops.ethereum.eth_health_gate": {
            "pairs": [{"name": "follower", "execution": {"url": devnet.anvil.url}, "consensus": {"url": devnet.follower.url}}],
            "criteria": criteria, "consecutive_polls": 2, "poll_interval": 1, "timeout": 60}, "register": "gate"}
        info = {"name": "node info", "chainops.ethereum.eth_node_info": {
            "pairs": [{"name": "validator", "consensus": {"url": devnet.validator.url}}], "criteria": criteria}}
        rc, results = run_playbook(tmp_path, _playbook(tmp_path, "good", [healthy, info]))
        gate = results["gate healthy pair"]
        assert rc == 0, gate
        assert gate["healthy"] is True and gate["changed"] is False and gate["polls"] >= 2 and gate["streak"] == 2
        assert results["node info"]["pairs"][0]["consensus"]["version"].startswith("Lodestar/")
        # the same in check mode
        rc, results = run_playbook(tmp_path, _playbook(tmp_path, "good", [healthy]), "--check")
        assert rc == 0 and results["gate healthy pair"]["changed"] is False

        time.sleep(5)  # the stalled anvil's head is now older than max_head_age
        unhealthy = {"name": "gate unhealthy pair", "chainops.ethereum.eth_health_gate": {
            "pairs": [{"name": "follower", "execution": {"url": devnet.anvil.url}, "consensus": {"url": devnet.follower.url}},
                      {"name": "broken", "execution": {"url": stalled.url}, "consensus": {"url": "http://127.0.0.1:%d" % dp.free_port()}}],
            "criteria": criteria, "consecutive_polls": 1, "poll_interval": 1, "timeout": 4, "request_timeout": 2}}
        rc, results = run_playbook(tmp_path, _playbook(tmp_path, "bad", [unhealthy]))
        gate = results["gate unhealthy pair"]
        assert rc == 2 and gate["failed"] is True and gate["changed"] is False
        assert gate["msg"].startswith("eth_health_gate: 1 of 2 pairs healthy on the last poll, 2 needed for 1 consecutive polls")
        assert "broken: el_head_age: head block" in gate["msg"] and "(limit 4s)" in gate["msg"]
        assert "cl_reachable: /eth/v1/node/" in gate["msg"] and "connection refused" in gate["msg"]
        follower, broken = gate["pairs"]
        assert follower["healthy"] is True and broken["healthy"] is False
        assert {"el_head_age", "cl_reachable"} <= failing(broken)
    finally:
        stalled.stop()
