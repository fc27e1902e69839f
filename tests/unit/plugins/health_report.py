"""Helpers shared by the health-model unit tests (no tests in this file): run one pair through check_pairs and read
its per-criterion verdicts."""

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h


def check(el=None, cl=None, criteria=None, **kw):
    """One pair's report; ``el``/``cl`` are URLs, Endpoint objects or None."""
    pair = h.Pair("p", h.Endpoint(el) if isinstance(el, str) else el, h.Endpoint(cl) if isinstance(cl, str) else cl)
    kw.setdefault("request_timeout", 2.0)
    return h.check_pairs([pair], criteria, **kw)[0]


def verdict(report, name):
    found = [v for v in report["criteria"] if v["criterion"] == name]
    assert found, "criterion %s not evaluated: %s" % (name, [v["criterion"] for v in report["criteria"]])
    return found[0]


def failed_names(report):
    return sorted(v["criterion"] for v in report["criteria"] if not v["ok"])
