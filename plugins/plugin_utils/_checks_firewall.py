# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of what the host firewall and P2P routing read.

``check_firewall(view, problems)`` reads cluster-wide variables through the preflight's ``_View`` (one host's
templated variables) and adds one line per problem to ``_Problems``, naming the variable and the fix:

- ``chainops_p2p_gateway``: required when P2P traffic has an interface of its own (``chainops_p2p_interface``
  other than ``chainops_mgmt_interface``): replies to P2P traffic are routed through it (roles/baseline); an
  address inside ``chainops_p2p_network`` that is neither its network nor its broadcast address.
- ``metallb_bgp_peers``: ``[{address, asn, bfd, name}]``; the firewall admits BGP (TCP 179) from each address
  and BFD (UDP 3784/4784) from those with ``bfd: true``.
- ``k3s_embedded_registry``: a boolean (opens spegel's ports between nodes).
- ``firewall_trusted_cidrs``: replaced by ``firewall_pod_cidrs``; setting it is an error, never ignored.

``FIREWALL_VARS`` lists the variables these checks read beyond the preflight's own, for the caller to template.
"""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils._inventory_checks import (
    _MISSING,
    _SKIP,
    _type_name,
    parse_address,
    parse_network,
    show,
    special_addresses,
)

FIREWALL_VARS = ("chainops_p2p_gateway", "metallb_bgp_peers", "k3s_embedded_registry", "firewall_trusted_cidrs")

BGP_PEER_KEYS = ("address", "asn", "bfd", "name")
ASN_MAX = 4294967295


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


def _check_bgp_peers(view, problems):
    peers = view.get("metallb_bgp_peers")
    if peers in (_MISSING, _SKIP):
        return
    fix = "list each router as {address: 10.10.0.1, asn: 64512, bfd: false}"
    if not isinstance(peers, list):
        problems.add("metallb_bgp_peers", "is %s, not a list" % _type_name(peers), fix)
        return
    seen = {}
    for index, peer in enumerate(peers):
        subject = "metallb_bgp_peers[%d]" % index
        if not isinstance(peer, dict):
            problems.add(subject, "is %s, not a mapping" % _type_name(peer), fix)
            continue
        unknown = sorted(set(peer) - set(BGP_PEER_KEYS))
        if unknown:
            problems.add(subject, "has unknown keys %s" % ", ".join(unknown), "use only %s" % ", ".join(BGP_PEER_KEYS))
        if "address" not in peer:
            problems.add(subject + ".address", "is missing", "give the peer router's IP address")
        else:
            address, reason = parse_address(peer["address"])
            if address is None:
                problems.add(subject + ".address", reason, "give the peer router's IP address (no prefix length)")
            elif address in seen:
                problems.add(subject + ".address", "%s is also metallb_bgp_peers[%d]" % (address, seen[address]), "list each peer once")
            else:
                seen[address] = index
        asn = peer.get("asn")
        if isinstance(asn, bool) or not isinstance(asn, int) or not 1 <= asn <= ASN_MAX:
            problems.add(subject + ".asn", "%s is not an AS number" % show(asn), "use the peer's AS number, an integer 1-%d" % ASN_MAX)
        if "bfd" in peer and not isinstance(peer["bfd"], bool):
            problems.add(subject + ".bfd", "is %s %s, not a boolean" % (_type_name(peer["bfd"]), show(peer["bfd"])), "set it to true or false (unquoted)")


def check_firewall(view, problems):
    """Add the firewall's and P2P routing's problems (see the module docstring) to ``problems``."""
    _check_gateway(view, problems)
    _check_bgp_peers(view, problems)
    registry = view.get("k3s_embedded_registry")
    if registry not in (_MISSING, _SKIP) and not isinstance(registry, bool):
        problems.add("k3s_embedded_registry", "is %s %s, not a boolean" % (_type_name(registry), show(registry)), "set it to true or false (unquoted)")
    if view.get("firewall_trusted_cidrs") is not _MISSING:
        problems.add(
            "firewall_trusted_cidrs",
            "is no longer read (pod sources are accepted only from the pod interfaces, service addresses never)",
            "remove it; set firewall_pod_cidrs if the pod network is not k3s_cluster_cidr",
        )
