# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of what the host firewall and P2P routing read.

``check_firewall(view, problems)`` reads cluster-wide variables through the preflight's ``_View`` (one host's
templated variables) and adds one line per problem to ``_Problems``, naming the variable and the fix:

- ``chainops_p2p_gateway``: required when P2P traffic has an interface of its own (``chainops_p2p_interface``
  other than ``chainops_mgmt_interface``): replies to P2P traffic are routed through it (roles/baseline); an
  address inside ``chainops_p2p_network`` that is neither its network nor its broadcast address.
- ``metallb_bgp_peers`` is read by the firewall (BGP from each address, BFD from those with ``bfd: true``) but
  checked with the rest of MetalLB's settings in ``_checks_metallb``.
- ``k3s_embedded_registry``: a boolean (opens spegel's ports between nodes).
- ``firewall_trusted_cidrs``: replaced by ``firewall_pod_cidrs``; setting it is an error, never ignored.

``FIREWALL_VARS`` lists the variables these checks read beyond the preflight's own, for the caller to template.
"""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    _MISSING,
    _SKIP,
    _type_name,
    parse_address,
    parse_network,
    show,
    special_addresses,
)

FIREWALL_VARS = ("chainops_p2p_gateway", "metallb_bgp_peers", "k3s_embedded_registry", "firewall_trusted_cidrs")


def _value(view, name):
    value = view.get(name)
    return None if value in (_MISSING, _SKIP) else value


def _check_gateway(view, problems):
    gateway = view.get("chainops_p2p_gateway")
    if gateway is _SKIP:
        return
    p2p_if = _value(view, "chainops_p2p_interface")
    mgmt_if = _value(view, "chainops_mgmt_interface")
    own_interface = isinstance(p2p_if, str) and p2p_if and p2p_if != mgmt_if
    if gateway is _MISSING or (isinstance(gateway, str) and not gateway.strip()):
        if own_interface:
            problems.add(
                "chainops_p2p_gateway",
                "is missing while P2P traffic has its own interface (%s, management %s)" % (p2p_if, mgmt_if),
                "set the P2P network's router address (replies to P2P traffic leave by %s through it); set "
                "baseline_p2p_routing: false only if they may leave by the management default route" % p2p_if,
            )
        return
    address, reason = parse_address(gateway)
    if address is None:
        problems.add("chainops_p2p_gateway", reason, "set the P2P router's address, e.g. 192.0.2.1")
        return
    network_value = view.get("chainops_p2p_network")
    if network_value in (_MISSING, _SKIP):
        return
    network, _reason = parse_network(network_value)
    if network is None:
        return
    if address not in network:
        problems.add("chainops_p2p_gateway", "%s is outside chainops_p2p_network %s" % (address, network), "use the router address on the P2P network")
    elif address in special_addresses(network):
        problems.add(
            "chainops_p2p_gateway",
            "%s is the %s of chainops_p2p_network %s" % (address, special_addresses(network)[address], network),
            "use the router's own address",
        )


def check_firewall(view, problems):
    """Add the firewall's and P2P routing's problems (see the module docstring) to ``problems``."""
    _check_gateway(view, problems)
    registry = view.get("k3s_embedded_registry")
    if registry not in (_MISSING, _SKIP) and not isinstance(registry, bool):
        problems.add("k3s_embedded_registry", "is %s %s, not a boolean" % (_type_name(registry), show(registry)), "set it to true or false (unquoted)")
    if view.get("firewall_trusted_cidrs") is not _MISSING:
        problems.add(
            "firewall_trusted_cidrs",
            "is no longer read (pod sources are accepted only from the pod interfaces, service addresses never)",
            "remove it; set firewall_pod_cidrs if the pod network is not k3s_cluster_cidr",
        )
