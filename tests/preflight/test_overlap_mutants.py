"""Admin CIDRs against the pod and service networks, through the public entry point check_inventory: every way two
ranges can overlap (inside, around, a single address, either cluster network, a custom cluster range) is refused with
the variable and the fix, and ranges that only touch are accepted. Written to catch small bugs in the overlap test
(subset-only comparison, one network forgotten, the default range hard-coded, a wrong netmask edge)."""

import copy

import pytest
from _corpus import BASE, flatten, load_yaml

from ansible_collections.chainops.ethereum.plugins.plugin_utils._inventory_checks import check_inventory


def _problems(**overrides):
    hostvars, groups = flatten(load_yaml(BASE))
    for host_vars in hostvars.values():
        host_vars.update(copy.deepcopy(overrides))
    return check_inventory(hostvars, groups)


def _admin_problems(problems):
    return [p for p in problems if p.startswith("chainops_admin_cidrs") and "overlaps" in p]


def test_the_base_inventory_has_no_overlap():
    assert _problems() == []


@pytest.mark.parametrize("admin, network, cidr", [
    ("10.42.5.0/24", "k3s_cluster_cidr", "10.42.0.0/16"),  # inside the pod network
    ("10.0.0.0/8", "k3s_cluster_cidr", "10.42.0.0/16"),  # around it (a subset-only test misses this)
    ("10.42.0.7", "k3s_cluster_cidr", "10.42.0.0/16"),  # a single address
    ("10.42.255.255/32", "k3s_cluster_cidr", "10.42.0.0/16"),  # the last address of the range
    ("10.42.0.0/16", "k3s_cluster_cidr", "10.42.0.0/16"),  # the same range
    ("10.43.200.0/24", "k3s_service_cidr", "10.43.0.0/16"),  # the service network too
    ("10.43.0.1", "k3s_service_cidr", "10.43.0.0/16"),
])
def test_an_admin_range_overlapping_a_cluster_network_is_refused(admin, network, cidr):
    problems = _problems(chainops_admin_cidrs=["198.51.100.0/28", admin])
    found = [p for p in _admin_problems(problems) if network in p]
    assert len(found) == 1, problems
    assert network in found[0] and cidr in found[0]
    assert "fix:" in found[0] and network in found[0].split("fix:", 1)[1]


def test_a_range_over_both_cluster_networks_names_both():
    found = _admin_problems(_problems(chainops_admin_cidrs=["10.42.0.0/15"]))
    assert sorted("k3s_cluster_cidr" in p for p in found) == [False, True]
    assert any("k3s_service_cidr" in p for p in found)


@pytest.mark.parametrize("admin", ["10.41.255.0/24", "10.44.0.0/24", "10.41.255.255", "10.44.0.0"])
def test_ranges_that_only_touch_the_cluster_networks_are_accepted(admin):
    assert _admin_problems(_problems(chainops_admin_cidrs=["198.51.100.0/28", admin])) == []


def test_the_operators_cluster_ranges_are_used_not_the_k3s_defaults():
    moved = {"k3s_cluster_cidr": "10.100.0.0/16", "k3s_service_cidr": "10.101.0.0/16"}
    assert _admin_problems(_problems(chainops_admin_cidrs=["10.42.0.0/24", "10.43.0.0/24"], **moved)) == []
    found = _admin_problems(_problems(chainops_admin_cidrs=["10.100.7.0/24"], **moved))
    assert len(found) == 1 and "10.100.0.0/16" in found[0]
