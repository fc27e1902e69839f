"""A p2p pool too small for the pairs is reported once, by the chain layer's check (the usable addresses of the pool
named p2p less the pairs' pinned p2p_address), not again by a platform-layer total of the pools on network p2p."""

import os

import pytest
from _corpus import build_tree, flatten, load_case

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

HERE = os.path.dirname(os.path.abspath(__file__))


def _lines(case):
    hostvars, groups = flatten(build_tree(case))
    return checks.check_inventory(hostvars, groups)


@pytest.mark.parametrize("name, pool, free", [
    ("062-pool-p2p-too-small.yml", "203.0.113.128/31", 2),
    ("188-p2p-range-too-small.yml", "203.0.113.130-203.0.113.132", 3),
])
def test_too_small_pool_is_reported_once(name, pool, free):
    lines = _lines(load_case(os.path.join(HERE, "cases", name)))
    about_size = [line for line in lines if "free addresses" in line or "addresses but chainops_pairs" in line]
    assert about_size == [
        "metallb_pools: the p2p pool (%s) has %d free addresses for 4 pairs without p2p_address (each pair needs its own stable "
        "P2P address); fix: enlarge the p2p pool to at least 4 usable addresses" % (pool, free)
    ], lines


def test_a_second_pool_on_the_p2p_network_does_not_hide_a_small_p2p_pool():
    """The P2P Services take their addresses from the pool named p2p only: another pool announced on the p2p network
    adds nothing for them (the removed platform total counted it)."""
    case = load_case(os.path.join(HERE, "cases", "062-pool-p2p-too-small.yml"))
    case["vars"]["metallb_pools"].append({"name": "p2p-extra", "network": "p2p", "addresses": ["203.0.113.160/28"]})
    lines = _lines(case)
    assert any(line.startswith("metallb_pools: the p2p pool (203.0.113.128/31) has 2 free addresses for 4 pairs") for line in lines), lines
