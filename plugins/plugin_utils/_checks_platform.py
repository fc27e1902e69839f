# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the platform layer (controller only).

MetalLB pools (``metallb_pools``): shape and keys, addresses against the networks, the nodes, the VIP, the
pod/service CIDRs and each other. Reads ``view.context`` left by the hosts checks. Whether the p2p pool is large
enough for the pairs is the chain layer's check (_checks_chain: the usable addresses of the pool named p2p, less
the pairs' pinned p2p_address), the one rule for it.
"""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    POOL_NETWORKS,
    _MISSING,
    _SKIP,
    _not_list_reason,
    _type_name,
    describe_set,
    dns_label_reason,
    netaddr,
    parse_pool_entry,
    show,
    special_addresses,
    suggest_label,
    unknown_key_problems,
)

# The keys of one pool that the platform layer reads.
POOL_KEYS = ("name", "network", "addresses")


def check_pools(view, problems):
    context = view.context
    nets, addresses, vip = context.get("nets", {}), context.get("addresses", {}), context.get("vip")
    cluster, service = context.get("cluster", []), context.get("service", [])
    pools = view.get("metallb_pools")
    if pools is _SKIP:
        return None
    example = "[{name: api, network: mgmt, addresses: [10.10.0.200-10.10.0.220]}, {name: p2p, network: p2p, addresses: [192.0.2.128/28]}]"
    if pools is _MISSING:
        problems.add("metallb_pools", "is missing", "list the LoadBalancer pools, e.g. " + example)
        return None
    if not isinstance(pools, list):
        problems.add("metallb_pools", "is %s, not a list" % _type_name(pools), "list the LoadBalancer pools, e.g. " + example)
        return None

    parsed = []  # (index, name, IPSet)
    names = {}
    complete = True
    node_points = []
    for host, found in addresses.items():
        for kind, address in sorted(found.items()):
            node_points.append((address, "chainops_%s_address of host %s" % (kind, host)))
    for index, pool in enumerate(pools):
        subject = "metallb_pools[%d]" % index
        if not isinstance(pool, dict):
            problems.add(subject, "is %s, not a mapping" % _type_name(pool), "write each pool as {name, network, addresses}")
            complete = False
            continue
        name = pool.get("name")
        unknown_key_problems(subject + (" (pool %s)" % name if isinstance(name, str) and name else ""), pool, POOL_KEYS, problems, "a MetalLB pool")
        if name is not None and not isinstance(name, str):
            problems.add(
                subject + ".name",
                "is %s %s, not a name; quote it if YAML read it as a boolean or number" % (_type_name(name), show(name)),
                'name every pool with a quoted DNS-1123 label such as "api"',
            )
        elif not name:
            problems.add(subject + ".name", "is missing", "name every pool (a DNS-1123 label such as api or p2p)")
        else:
            subject = "metallb_pools[%d] (pool %s)" % (index, name)
            reason = dns_label_reason(name)
            if reason:
                problems.add(subject + ".name", "%s %s" % (show(name), reason), "use a DNS-1123 label, e.g. %s" % show(suggest_label(name), 70))
            names.setdefault(name, []).append(index)
        kind = pool.get("network")
        network = None
        if isinstance(kind, bool) or kind not in POOL_NETWORKS:
            problems.add(
                "metallb_pools[%d].network" % index,
                "%s is not a network the pools are announced on" % show(kind) if kind is not None else "is missing",
                "set network to mgmt (API/ingress) or p2p",
            )
            complete = False
        else:
            network = nets.get(kind)
        entries = pool.get("addresses")
        if not isinstance(entries, list) or not entries:
            problems.add(
                subject + ".addresses",
                "is missing" if entries is None else _not_list_reason(entries),
                "list CIDRs or first-last ranges, e.g. [10.10.0.200-10.10.0.220]",
            )
            complete = False
            continue
        pool_set = netaddr.IPSet()
        for entry_index, entry in enumerate(entries):
            entry_subject = "%s.addresses[%d]" % (subject, entry_index)
            entry_set, reason = parse_pool_entry(entry)
            if entry_set is None:
                problems.add(entry_subject, reason, "use a CIDR (10.10.0.200/29) or a range (10.10.0.200-10.10.0.220)")
                complete = False
                continue
            if pool_set & entry_set:
                problems.add(entry_subject, "overlaps earlier entries of the same pool at %s" % describe_set(pool_set & entry_set), "list each address once")
            pool_set |= entry_set
            if network is not None:
                outside = entry_set - netaddr.IPSet([network])
                if outside:
                    problems.add(
                        entry_subject,
                        "%s is not inside chainops_%s_network %s (%s is outside)" % (show(entry), kind, network, describe_set(outside)),
                        "announce the pool on the network it belongs to, or move it inside chainops_%s_network" % kind,
                    )
                for special, what in special_addresses(network).items():
                    if special in entry_set:
                        problems.add(
                            entry_subject,
                            "includes %s, the %s of chainops_%s_network" % (special, what, kind),
                            "leave the network and broadcast addresses out of the pool",
                        )
        for address, owner in node_points:
            if address in pool_set:
                problems.add(subject + ".addresses", "contains %s, the %s" % (address, owner), "keep node addresses out of MetalLB pools")
        if vip is not None and vip in pool_set:
            problems.add(subject + ".addresses", "contains k3s_api_vip %s" % vip, "keep the API VIP out of MetalLB pools")
        for label, cidrs in (("k3s_cluster_cidr", cluster), ("k3s_service_cidr", service)):
            for cidr in cidrs:
                overlap = pool_set & netaddr.IPSet([cidr])
                if overlap:
                    problems.add(
                        subject + ".addresses", "overlaps %s %s at %s" % (label, cidr, describe_set(overlap)), "move the pool out of the pod/service ranges"
                    )
        for other_index, other_name, other_set in parsed:
            overlap = pool_set & other_set
            if overlap:
                problems.add(
                    subject + ".addresses",
                    "overlaps metallb_pools[%d] (pool %s) at %s" % (other_index, other_name, describe_set(overlap)),
                    "give every pool its own addresses",
                )
        parsed.append((index, name if isinstance(name, str) and name else "?", pool_set))
    for name, indexes in names.items():
        if len(indexes) > 1:
            problems.add(
                "metallb_pools", "pool name %s is used by entries %s" % (show(name), ", ".join(str(i) for i in indexes)), "give every pool a unique name"
            )
    if complete and not any(isinstance(p, dict) and p.get("network") == "mgmt" for p in pools):
        problems.add(
            "metallb_pools",
            "has no pool on network mgmt: the ingress and other management-side LoadBalancer Services get their address from it",
            "add a pool with network: mgmt, e.g. {name: api, network: mgmt, addresses: [10.10.0.200-10.10.0.220]}",
        )
    return None


def check(view, problems):
    check_pools(view, problems)
