"""Devnet fixtures: real anvil and two real Lodestar v1.5.1 nodes on 127.0.0.1 (one validating, one started late and
syncing from it), shared by the whole session to keep it short, stopped by PID at the end."""

import sys
import tempfile
import time

import pytest

import devnet_procs as dp

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h

LATE_START_SLOT = 14  # the second node starts once the chain is this far along, so it has to sync


def pytest_configure(config):
    config.addinivalue_line("markers", "devnet: needs real Lodestar/anvil on 127.0.0.1")


class Devnet:
    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []
        self.anvil = self.validator = self.follower = None
        self.late_start = []  # (seconds since the follower started, report) while it caught up

    def track(self, proc):
        self.procs.append(proc)
        return proc

    def pair(self, name="follower-pair", el=None, cl=None):
        el = self.anvil if el is None else el
        cl = self.follower if cl is None else cl
        return h.Pair(name, h.Endpoint(el.url) if el else None, h.Endpoint(cl.url) if cl else None)

    def check(self, pair=None, criteria=None, timeout=3.0):
        merged = dict(dp.DEVNET_CRITERIA)
        merged.update(criteria or {})
        return h.check_pairs([pair or self.pair()], merged, request_timeout=timeout)[0]

    def wait_healthy(self, pair=None, timeout=90, consecutive=2):
        out = h.wait_for_health([pair or self.pair()], dp.DEVNET_CRITERIA, consecutive=consecutive, interval=0.5, timeout=timeout, request_timeout=3)
        assert out["healthy"], "pair did not become healthy: %s\n%s" % (h.summarize_failures(out["pairs"]), self.follower.log_tail())
        return out

    def restart_follower(self):
        old = self.follower
        old.stop()
        enr = dp.enr(self.validator.url)
        self.follower = self.track(dp.start_lodestar(self.workdir, "follower-2", self.genesis_time, validating=False, bootnode_enr=enr,
                                                     rest_port=old.rest_port, p2p_port=old.p2p_port))
        return self.follower

    def stop(self):
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture(scope="session")
def devnet():
    reason = dp.missing_clients()
    if reason:
        pytest.skip("devnet clients " + reason)
    workdir = tempfile.mkdtemp(prefix="chainops-devnet-")
    net = Devnet(workdir)
    try:
        net.anvil = net.track(dp.start_anvil(workdir))
        net.genesis_time = int(time.time()) + 10
        net.validator = net.track(dp.start_lodestar(workdir, "validator", net.genesis_time, validating=True))
        dp.wait_until(lambda: dp.head_slot(net.validator.url) is not None, 60, "validator REST API", net.validator)
        dp.wait_until(lambda: (dp.head_slot(net.validator.url) or 0) >= LATE_START_SLOT, 120, "validator at slot %d" % LATE_START_SLOT,
                      net.validator)
        # the follower starts late: record what the health model says from its first answer until it is at head
        enr = dp.enr(net.validator.url)
        started = time.monotonic()
        net.follower = net.track(dp.start_lodestar(workdir, "follower", net.genesis_time, validating=False, bootnode_enr=enr))
        pair = net.pair("late", el=False)
        healthy_streak = 0
        while time.monotonic() - started < 120 and healthy_streak < 3:
            report = h.check_pairs([pair], dp.DEVNET_CRITERIA, request_timeout=1.0)[0]
            if report["consensus"]["reachable"]:
                net.late_start.append((round(time.monotonic() - started, 2), report))
                healthy_streak = healthy_streak + 1 if report["healthy"] else 0
            time.sleep(0.1)
        yield net
    finally:
        net.stop()
        for proc in net.procs:
            sys.stderr.write("devnet: stopped %s (pid %d)\n" % (proc.name, proc.pid))
