"""host_network filters: address sets, controller membership and P2P ports for the nftables ruleset."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.chainops.ethereum.plugins.filter.host_network import (
    host_cidrs_by_family,
    host_ip_in_networks,
    host_p2p_ports,
    host_port_list,
)


def test_split_by_family_and_normalise():
    out = host_cidrs_by_family(["10.1.0.5/24", "2001:db8::1", "192.0.2.7/32", "2001:db8:1::/48"])
    assert out == {"ipv4": ["10.1.0.0/24", "192.0.2.7"], "ipv6": ["2001:db8::1", "2001:db8:1::/48"]}


def test_overlaps_are_merged_for_interval_sets():
    # nft refuses overlapping elements in an interval set: a node address inside an admin network
    out = host_cidrs_by_family(["10.88.0.0/16", "10.88.200.11", "10.88.0.0/16"])
    assert out["ipv4"] == ["10.88.0.0/16"]
    assert host_cidrs_by_family(["10.0.0.0/25", "10.0.0.128/25"])["ipv4"] == ["10.0.0.0/24"]


def test_empty_and_single_string():
    assert host_cidrs_by_family(None) == {"ipv4": [], "ipv6": []}
    assert host_cidrs_by_family("10.0.0.1") == {"ipv4": ["10.0.0.1"], "ipv6": []}


def test_invalid_address_names_the_variable():
    with pytest.raises(AnsibleFilterError, match="firewall_admin_cidrs"):
        host_cidrs_by_family(["10.0.0.0/33"], "firewall_admin_cidrs")


@pytest.mark.parametrize(
    ("address", "networks", "inside"),
    [
        ("10.10.0.5", ["10.10.0.0/24"], True),
        ("10.10.1.5", ["10.10.0.0/24"], False),
        ("10.10.1.5", ["10.10.0.0/24", "10.10.1.5"], True),
        ("2001:db8::5", ["10.10.0.0/24", "2001:db8::/32"], True),
        ("10.10.0.5", ["2001:db8::/32"], False),
        ("10.10.0.5", [], False),
    ],
)
def test_ip_in_networks(address, networks, inside):
    assert host_ip_in_networks(address, networks) is inside


def test_ip_in_networks_refuses_garbage():
    with pytest.raises(AnsibleFilterError):
        host_ip_in_networks("", ["10.0.0.0/8"])


BASE = [{"port": 30303, "protocols": ["tcp", "udp"]}, {"port": 9000, "protocols": ["tcp", "udp"]}, {"port": 9001, "protocols": ["udp"]}]


def test_p2p_base_ports():
    assert host_p2p_ports(BASE) == {"tcp": ["9000", "30303"], "udp": ["9000", "9001", "30303"]}


def test_p2p_pair_ports_are_added_and_deduplicated():
    pairs = [
        {"name": "a", "p2p_ports": [{"port": 30304}, {"port": "9100-9101", "protocols": "tcp"}]},
        {"name": "b"},
        {"name": "c", "p2p_ports": [{"port": 30303}]},
    ]
    out = host_p2p_ports(BASE, pairs)
    assert out["tcp"] == ["9000", "9100-9101", "30303", "30304"]
    assert out["udp"] == ["9000", "9001", "30303", "30304"]


@pytest.mark.parametrize(
    "entry",
    [{"port": 0}, {"port": 70000}, {"port": "9002-9001"}, {"port": "x"}, {"port": 1, "protocols": ["sctp"]}, {"protocols": ["tcp"]}],
)
def test_p2p_port_errors_name_the_pair(entry):
    with pytest.raises(AnsibleFilterError, match=r"chainops_pairs\[bad\]"):
        host_p2p_ports([], [{"name": "bad", "p2p_ports": [entry]}])


def test_port_list():
    assert host_port_list([10250, "2379-2380", 6443, 6443]) == ["2379-2380", "6443", "10250"]
    with pytest.raises(AnsibleFilterError, match="firewall_cluster_tcp_ports"):
        host_port_list(["6443-"], "firewall_cluster_tcp_ports")
