"""host_network filters: address sets, controller membership and P2P ports for the nftables ruleset."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.chainops.ethereum.plugins.filter.host_network import (
    host_bgp_peers,
    host_cidrs_by_family,
    host_ip_in_networks,
    host_p2p_ports,
    host_pool_cidrs,
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


POOLS = [
    {"name": "api", "network": "mgmt", "addresses": ["10.10.0.200-10.10.0.220"]},
    {"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/28", "192.0.2.144-192.0.2.150"]},
    {"name": "p2p6", "network": "p2p", "addresses": ["2001:db8:2::/64"]},
]


def test_pool_cidrs_only_the_asked_network_ranges_as_cidrs():
    out = host_pool_cidrs(POOLS, "p2p")
    # the range .144-.150 becomes .144/30, .148/31 and .150
    assert out == {"ipv4": ["192.0.2.128/28", "192.0.2.144/30", "192.0.2.148/31", "192.0.2.150"], "ipv6": ["2001:db8:2::/64"]}
    assert host_pool_cidrs(POOLS, "mgmt")["ipv4"] == ["10.10.0.200/29", "10.10.0.208/29", "10.10.0.216/30", "10.10.0.220"]
    assert host_pool_cidrs([], "p2p") == {"ipv4": [], "ipv6": []}


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([{"name": "x", "network": "p2p", "addresses": []}], r"metallb_pools\[x\]\.addresses: needs a non-empty list"),
        ([{"name": "x", "network": "p2p", "addresses": ["192.0.2.10-2001:db8::1"]}], r"metallb_pools\[x\]\.addresses: .* not a first-last range"),
        ([{"name": "x", "network": "p2p", "addresses": ["192.0.2.0/33"]}], r"metallb_pools\[x\]\.addresses"),
        (["p2p"], r"metallb_pools\[0\]: every pool must be a mapping"),
    ],
)
def test_pool_cidrs_errors_name_the_pool(pools, message):
    with pytest.raises(AnsibleFilterError, match=message):
        host_pool_cidrs(pools, "p2p")


def test_bgp_peers_split_bgp_and_bfd():
    peers = [{"address": "10.10.0.1", "asn": 64512, "bfd": True}, {"address": "2001:db8::1", "asn": 4200000000, "name": "r2"}]
    assert host_bgp_peers(peers) == {
        "bgp": {"ipv4": ["10.10.0.1"], "ipv6": ["2001:db8::1"]},
        "bfd": {"ipv4": ["10.10.0.1"], "ipv6": []},
    }
    assert host_bgp_peers(None) == {"bgp": {"ipv4": [], "ipv6": []}, "bfd": {"ipv4": [], "ipv6": []}}


@pytest.mark.parametrize(
    ("peers", "message"),
    [
        ({"address": "10.0.0.1"}, r"must be a list"),
        ([{"address": "10.0.0.0/24", "asn": 1}], r"\[0\]\.address: .* not an IP address"),
        ([{"address": "10.0.0.1", "asn": 0}], r"\[0\]\.asn: .* not an AS number"),
        ([{"address": "10.0.0.1", "asn": "64512"}], r"\[0\]\.asn"),
        ([{"address": "10.0.0.1", "asn": True}], r"\[0\]\.asn"),
        ([{"address": "10.0.0.1", "asn": 1, "bfd": "yes"}], r"\[0\]\.bfd: .* not true or false"),
        ([{"address": "10.0.0.1", "asn": 1, "peer_asn": 2}], r"unknown keys peer_asn"),
    ],
)
def test_bgp_peer_errors_name_the_entry(peers, message):
    with pytest.raises(AnsibleFilterError, match="metallb_bgp_peers.*" + message):
        host_bgp_peers(peers)
