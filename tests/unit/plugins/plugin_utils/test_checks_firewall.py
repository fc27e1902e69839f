"""check_firewall: the preflight checks of the host firewall and P2P routing, called directly."""

import pytest

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_firewall import FIREWALL_VARS, check_firewall
from ansible_collections.chainops.ethereum.plugins.plugin_utils._inventory_checks import Unresolved, _Problems, _View

GOOD = {
    "chainops_mgmt_interface": "eth0",
    "chainops_p2p_interface": "eth1",
    "chainops_p2p_network": "192.0.2.0/24",
    "chainops_p2p_gateway": "192.0.2.1",
    "metallb_bgp_peers": [{"address": "10.10.0.1", "asn": 64512, "bfd": True}, {"address": "10.10.0.2", "asn": 4200000000, "name": "r2"}],
    "k3s_embedded_registry": True,
}


def problems_for(**changes):
    variables = dict(GOOD)
    for name, value in changes.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    problems = _Problems()
    check_firewall(_View(variables), problems)
    return problems.lines


def test_good_inventory_passes():
    assert problems_for() == []


def test_the_variables_it_reads_are_listed():
    assert set(FIREWALL_VARS) == {"chainops_p2p_gateway", "metallb_bgp_peers", "k3s_embedded_registry", "firewall_trusted_cidrs"}


def test_gateway_required_only_with_a_separate_p2p_interface():
    lines = problems_for(chainops_p2p_gateway=None)
    assert len(lines) == 1
    assert lines[0].startswith("chainops_p2p_gateway: is missing while P2P traffic has its own interface (eth1, management eth0)")
    assert "baseline_p2p_routing: false" in lines[0]
    assert problems_for(chainops_p2p_gateway="") == lines
    # P2P on the management interface: one routing table, no gateway needed
    assert problems_for(chainops_p2p_gateway=None, chainops_p2p_interface="eth0") == []


@pytest.mark.parametrize(
    ("gateway", "expected"),
    [
        ("192.0.2.1/24", "chainops_p2p_gateway: '192.0.2.1/24' has a prefix length"),
        ("gateway", "chainops_p2p_gateway: 'gateway' is not an IP address"),
        ("10.10.0.1", "chainops_p2p_gateway: 10.10.0.1 is outside chainops_p2p_network 192.0.2.0/24"),
        ("192.0.2.0", "chainops_p2p_gateway: 192.0.2.0 is the network address of chainops_p2p_network"),
        ("192.0.2.255", "chainops_p2p_gateway: 192.0.2.255 is the broadcast address of chainops_p2p_network"),
    ],
)
def test_bad_gateway(gateway, expected):
    lines = problems_for(chainops_p2p_gateway=gateway)
    assert len(lines) == 1
    assert lines[0].startswith(expected), lines


def test_unresolved_gateway_is_left_to_the_unresolved_report():
    assert problems_for(chainops_p2p_gateway=Unresolved("undefined variable")) == []


def test_embedded_registry_must_be_a_boolean():
    assert problems_for(k3s_embedded_registry="true") == ["k3s_embedded_registry: is a string 'true', not a boolean; fix: set it to true or false (unquoted)"]


def test_replaced_variable_is_an_error_naming_its_successor():
    lines = problems_for(firewall_trusted_cidrs=["10.42.0.0/16"])
    assert len(lines) == 1
    assert lines[0].startswith("firewall_trusted_cidrs: is no longer read")
    assert "firewall_pod_cidrs" in lines[0]
