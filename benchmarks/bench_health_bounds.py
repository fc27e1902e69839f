"""Benchmark: how soon the health model gives up, against fake nodes on 127.0.0.1 (no real clients needed).

The unit tests check what the model concludes in each case (a timeout reason, every pair healthy within one
round); the wall-clock figures live here instead of in timed unit tests:

  health_request_timeout_s=<s>     one pair whose every answer takes 3 s, request_timeout 0.5 s   (bound ~0.5 + overhead)
  health_trickle_timeout_s=<s>     one request whose body trickles in over ~2 s, timeout 0.5 s     (bound ~0.5)
  health_total_timeout_s=<s>       3 slow consensus endpoints through 2 workers, total_timeout 1 s  (bound ~1)
  health_concurrent_8_pairs_s=<s>  8 pairs x 9 requests of 0.5 s each (36 s one after another)    (bound ~0.5-1)
  health_wait_timeout_s=<s>        wait_for_health on a lagging pair, timeout 1 s                 (bound ~1-2)

Each figure is the worst of 3 runs. Exit status 1 when a case did not end the way the unit tests require.
"""

import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "collections"))
sys.path.insert(0, os.path.join(REPO, "tests", "unit", "plugins"))
sys.path.insert(0, os.path.join(REPO, "tests", "unit", "plugins", "module_utils"))

from eth_fakes import FakeNode  # noqa: E402
from test_eth_health_mutants import TrickleServer  # noqa: E402

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h  # noqa: E402

RUNS = 3


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def main():
    started = []

    def node():
        fake = FakeNode().start()
        started.append(fake)
        return fake

    figures = {}
    try:
        slow_el = node().healthy_execution()
        slow_el.delay["*"] = 3

        def request_timeout():
            report = h.check_pairs([h.Pair("slow", h.Endpoint(slow_el.url), None)], request_timeout=0.5)[0]
            assert not report["healthy"] and report["execution"]["error"] == "timeout after 0.5s", report["failed"]

        trickle = TrickleServer(gap=0.05)

        def trickle_timeout():
            try:
                h.http_request(h.Endpoint("http://127.0.0.1:%d" % trickle.port), "POST", "/", body=b"{}", timeout=0.5)
            except h.ProbeError as exc:
                assert str(exc) == "timeout after 0.5s", exc
            else:
                raise AssertionError("a trickling response was accepted past its deadline")

        slow_cl = [node().healthy_consensus() for _i in range(3)]
        for fake in slow_cl:
            fake.delay["*"] = 0.4

        def total_timeout():
            h.clear_static_cache()
            reports = h.check_pairs([h.Pair("p%d" % i, None, h.Endpoint(n.url)) for i, n in enumerate(slow_cl)],
                                    request_timeout=10, total_timeout=1.0, max_workers=2)
            assert not any(r["healthy"] for r in reports)

        fleet = []
        for _i in range(8):
            el, cl = node().healthy_execution(), node().healthy_consensus()
            el.delay["*"] = cl.delay["*"] = 0.5
            fleet.append(h.Pair("p%d" % len(fleet), h.Endpoint(el.url), h.Endpoint(cl.url)))

        def concurrent():
            h.clear_static_cache()
            reports = h.check_pairs(fleet, request_timeout=3)
            assert all(r["healthy"] for r in reports), [r["failed"] for r in reports]

        lagging = node().healthy_consensus(head_lag=15)

        def wait_timeout():
            out = h.wait_for_health([h.Pair("lagging", None, h.Endpoint(lagging.url))], consecutive=1, interval=0.2, timeout=1.0,
                                    request_timeout=1)
            assert not out["healthy"]

        cases = [("health_request_timeout_s", request_timeout), ("health_trickle_timeout_s", trickle_timeout),
                 ("health_total_timeout_s", total_timeout), ("health_concurrent_8_pairs_s", concurrent),
                 ("health_wait_timeout_s", wait_timeout)]
        try:
            for name, fn in cases:
                figures[name] = round(max(timed(fn) for _run in range(RUNS)), 3)
        finally:
            trickle.stop()
    except AssertionError as exc:
        sys.stderr.write("bench_health_bounds: a case ended wrongly: %s\n" % exc)
        return 1
    finally:
        for fake in started:
            fake.stop()
    for name, value in figures.items():
        sys.stdout.write("%s=%s\n" % (name, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
