"""Preflight checks of the MetalLB settings (mode, BGP peers, air-gapped chart), called directly."""

import pytest

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_metallb as metallb
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

POOLS = [
    {"name": "api", "network": "mgmt", "addresses": ["10.10.0.200-10.10.0.220"]},
    {"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/28"]},
]
PEERS = [{"name": "tor-a", "address": "10.10.0.1", "asn": 64600, "bfd": True}]


def _problems(**variables):
    variables.setdefault("metallb_pools", POOLS)
    problems = checks._Problems()
    metallb.check_metallb(checks._View(variables), problems)
    return problems.lines


def test_defaults_pass():
    assert _problems() == []


def test_bgp_with_peers_passes():
    assert _problems(metallb_mode="bgp", metallb_bgp_my_asn=64512, metallb_bgp_peers=PEERS) == []
    restricted = [dict(PEERS[0], pools=["api"]), {"name": "edge", "address": "2001:db8::1", "asn": 65000, "pools": ["p2p"]}]
    assert _problems(metallb_mode="bgp", metallb_bgp_my_asn=64512, metallb_bgp_peers=restricted) == []


@pytest.mark.parametrize(("variables", "subject", "words"), [
    ({"metallb_mode": "L2"}, "metallb_mode", "l2 (ARP/NDP per interface) or bgp"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512}, "metallb_bgp_peers", "no address would be announced"),
    ({"metallb_mode": "bgp", "metallb_bgp_peers": PEERS}, "metallb_bgp_my_asn", "is missing"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 0, "metallb_bgp_peers": PEERS}, "metallb_bgp_my_asn", "outside 1-4294967295"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": "64512", "metallb_bgp_peers": PEERS}, "metallb_bgp_my_asn", "not a number"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], asn=4294967296)]}, "metallb_bgp_peers[0].asn", "outside"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], address="10.10.0.1/24")]},
     "metallb_bgp_peers[0].address", "router's IP address"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], name="Tor_A")]}, "metallb_bgp_peers[0].name", "DNS-1123"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], bfd="yes")]}, "metallb_bgp_peers[0].bfd", "unquoted"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], peerASN=1)]},
     "metallb_bgp_peers[0].peerASN", "not a peer setting"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], pools=["api", "p2p", "ppp"])]},
     "metallb_bgp_peers[0].pools", "which metallb_pools does not have"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [dict(PEERS[0], pools=["api"])]},
     "metallb_bgp_peers", "no peer advertises pool 'p2p'"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": PEERS + [dict(PEERS[0], address="10.10.0.9")]},
     "metallb_bgp_peers", "unique name"),
    ({"metallb_bgp_peers": PEERS}, "metallb_bgp_peers", "metallb_mode is l2, so they would be ignored"),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [PEERS[0], dict(PEERS[0], name="tor-b")]},
     "metallb_bgp_peers[1].address", "list each peer once"),
    ({"metallb_chart_file": "/srv/charts/metallb-0.16.1.tgz"}, "metallb_chart_sha256", "sha256sum /srv/charts/metallb-0.16.1.tgz"),
    ({"metallb_chart_file": "/srv/charts/metallb-0.16.1.tgz", "metallb_chart_sha256": "ABC"}, "metallb_chart_sha256", "64 lowercase hex"),
    ({"metallb_chart_repo": "http://charts.example.net/metallb"}, "metallb_chart_repo", "https mirror"),
])
def test_bad_settings_name_the_variable_and_fix(variables, subject, words):
    lines = _problems(**variables)
    assert len(lines) == 1, lines
    assert lines[0].startswith(subject + ":"), lines
    assert "fix:" in lines[0] and words in lines[0], lines
