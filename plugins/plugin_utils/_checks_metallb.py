# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the platform layer's MetalLB settings (announcement mode,
BGP peers, the air-gapped chart through _checks_platform.check_chart). The pools themselves are checked with the
networks in _inventory_checks.

``check_metallb(view, problems)`` reads cluster-wide variables through the preflight's view and adds one line per
problem, naming the variable and the fix.
"""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_platform
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    _MISSING,
    _SKIP,
    dns_label_reason,
    parse_address,
    show,
    _type_name,
)

MODES = ("l2", "bgp")
ASN_MAX = 4294967295
PEER_KEYS = ("name", "address", "asn", "bfd", "pools")


def _asn_reason(value):
    if isinstance(value, bool) or not isinstance(value, int):
        return "is %s %s, not a number" % (_type_name(value), show(value))
    if not 1 <= value <= ASN_MAX:
        return "is %d, outside 1-%d" % (value, ASN_MAX)
    return None


def _pool_names(view):
    pools = view.get("metallb_pools")
    if not isinstance(pools, list):
        return None
    return [pool.get("name") for pool in pools if isinstance(pool, dict) and isinstance(pool.get("name"), str)]


def _check_peer(index, peer, pool_names, problems):
    subject = "metallb_bgp_peers[%d]" % index
    if not isinstance(peer, dict):
        problems.add(subject, "is %s, not a mapping" % _type_name(peer), "write each peer as {name, address, asn}")
        return None, None
    for key in sorted(set(peer) - set(PEER_KEYS)):
        problems.add("%s.%s" % (subject, key), "is not a peer setting", "use only %s" % ", ".join(PEER_KEYS))
    name = peer.get("name")
    reason = dns_label_reason(name) if isinstance(name, str) and name else "is missing"
    if reason:
        problems.add(subject + ".name", reason if name is None else "%s %s" % (show(name), reason), "name the peer with a DNS-1123 label, e.g. tor-a")
    address, why = parse_address(peer.get("address")) if peer.get("address") is not None else (None, "is missing")
    if address is None:
        problems.add(subject + ".address", why, "give the router's IP address, e.g. 10.10.0.1")
    reason = _asn_reason(peer.get("asn")) if peer.get("asn") is not None else "is missing"
    if reason:
        problems.add(subject + ".asn", reason, "set the router's ASN (1-%d)" % ASN_MAX)
    if "bfd" in peer and not isinstance(peer["bfd"], bool):
        problems.add(subject + ".bfd", "is %s %s, not a boolean" % (_type_name(peer["bfd"]), show(peer["bfd"])), "set bfd to true or false (unquoted)")
    pools = peer.get("pools")
    if pools is not None:
        if not isinstance(pools, list) or not pools:
            problems.add(subject + ".pools", "is %s, not a non-empty list" % _type_name(pools), "list pool names, or drop pools to advertise every pool")
            pools = None
        elif pool_names is not None:
            for pool in pools:
                if pool not in pool_names:
                    problems.add(subject + ".pools", "names pool %s, which metallb_pools does not have (%s)" % (show(pool), ", ".join(pool_names)),
                                 "name pools from metallb_pools")
    return (name if isinstance(name, str) else None), pools


def check_metallb(view, problems):
    mode = view.get("metallb_mode")
    if mode is _SKIP:
        return
    if mode is _MISSING:
        mode = "l2"
    if mode not in MODES:
        problems.add("metallb_mode", "%s is not an announcement mode" % show(mode), "set metallb_mode to l2 (ARP/NDP per interface) or bgp")
        return

    _checks_platform.check_chart(view, problems, "metallb_chart")
    repo = view.get_or("metallb_chart_repo", "https://")
    if isinstance(repo, str) and not repo.startswith(("https://", "oci://")):
        problems.add("metallb_chart_repo", "%s is not an https:// or oci:// chart repository" % show(repo),
                     "point it at an https mirror (charts over plain http can be swapped in transit)")

    peers = view.get_or("metallb_bgp_peers", [])
    if peers is _SKIP:
        return
    if not isinstance(peers, list):
        problems.add("metallb_bgp_peers", "is %s, not a list" % _type_name(peers), "list the BGP routers as [{name, address, asn}]")
        return
    if mode == "l2":
        if peers:
            problems.add("metallb_bgp_peers", "lists %d peer(s) but metallb_mode is l2, so they would be ignored" % len(peers),
                         "set metallb_mode: bgp, or remove metallb_bgp_peers")
        return
    asn = view.get("metallb_bgp_my_asn")
    reason = "is missing" if asn is _MISSING else (_asn_reason(asn) if asn is not _SKIP else None)
    if reason:
        problems.add("metallb_bgp_my_asn", reason, "set the cluster's own ASN (1-%d) for metallb_mode bgp" % ASN_MAX)
    if not peers:
        problems.add("metallb_bgp_peers", "is empty but metallb_mode is bgp, so no address would be announced", "list the routers MetalLB peers with")
        return
    pool_names = _pool_names(view)
    names = {}
    addresses = {}
    covered = set()
    everything = False
    for index, peer in enumerate(peers):
        name, pools = _check_peer(index, peer, pool_names, problems)
        if name:
            names.setdefault(name, []).append(index)
        address, _why = parse_address(peer.get("address")) if isinstance(peer, dict) and peer.get("address") is not None else (None, None)
        if address is not None:
            if address in addresses:
                problems.add("metallb_bgp_peers[%d].address" % index, "%s is also metallb_bgp_peers[%d]" % (address, addresses[address]), "list each peer once")
            else:
                addresses[address] = index
        if isinstance(peer, dict) and "pools" not in peer:
            everything = True
        elif pools:
            covered.update(pools)
    for name, indexes in sorted(names.items()):
        if len(indexes) > 1:
            problems.add("metallb_bgp_peers", "peer name %s is used by entries %s" % (show(name), ", ".join(map(str, indexes))),
                         "give every peer a unique name")
    if pool_names is not None and not everything:
        for pool in pool_names:
            if pool not in covered:
                problems.add("metallb_bgp_peers", "no peer advertises pool %s" % show(pool),
                             "add %s to a peer's pools (or drop pools from a peer to advertise every pool)" % pool)
