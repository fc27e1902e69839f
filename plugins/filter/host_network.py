# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of roles/firewall: address families, membership tests and port lists for nftables."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

_PROTOCOLS = ("tcp", "udp")


def _network(value, what):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError as exc:
        raise AnsibleFilterError("%s: %r is not an IP address or CIDR (%s)" % (what, value, exc)) from exc


def host_cidrs_by_family(values, what="address list"):
    """Split addresses/CIDRs into {'ipv4': [...], 'ipv6': [...]}, validated, merged and sorted.

    Overlapping or adjacent entries are merged (an nftables interval set refuses overlaps), host bits are
    cleared (10.0.0.5/24 -> 10.0.0.0/24) and a single address is written without its /32 or /128.
    """
    if values is None:
        values = []
    if isinstance(values, (str, bytes)):
        values = [values]
    nets = {4: [], 6: []}
    for value in values:
        net = _network(value, what)
        nets[net.version].append(net)
    out = {}
    for version, family in ((4, "ipv4"), (6, "ipv6")):
        out[family] = [str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net) for net in ipaddress.collapse_addresses(nets[version])]
    return out


def host_ip_in_networks(address, networks):
    """True when address (an IP) lies inside any of networks (CIDRs or addresses)."""
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError as exc:
        raise AnsibleFilterError("host_ip_in_networks: %r is not an IP address" % (address,)) from exc
    for value in networks or []:
        net = _network(value, "host_ip_in_networks")
        if net.version == ip.version and ip in net:
            return True
    return False


def _port_item(value, what):
    """Validate a port (int or 'a-b' range) and return it as nftables text."""
    text = str(value).strip()
    parts = text.split("-")
    if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
        raise AnsibleFilterError("%s: %r is not a port or a port range (a-b)" % (what, value))
    numbers = [int(p) for p in parts]
    if not all(1 <= n <= 65535 for n in numbers) or (len(numbers) == 2 and numbers[0] >= numbers[1]):
        raise AnsibleFilterError("%s: %r is outside 1-65535 or an empty range" % (what, value))
    return text


def _sort_key(text):
    return int(text.split("-")[0]), text


def host_p2p_ports(base_ports, pairs=None):
    """Ports to open on the P2P interface, as {'tcp': [...], 'udp': [...]} (nftables text, sorted, unique).

    base_ports: list of {port, protocols: [tcp, udp]} (the clients' standard ports).
    pairs: chainops_pairs; a pair may carry `p2p_ports`, a list of the same shape, for ports of its own
    (needed when pairs share a host network namespace; pairs behind their own MetalLB address do not).
    """
    out = {proto: [] for proto in _PROTOCOLS}
    entries = [("firewall_p2p_ports", entry) for entry in (base_ports or [])]
    for pair in pairs or []:
        if not isinstance(pair, dict):
            raise AnsibleFilterError("chainops_pairs: every pair must be a dict, got %r" % (pair,))
        for entry in pair.get("p2p_ports") or []:
            entries.append(("chainops_pairs[%s].p2p_ports" % pair.get("name", "?"), entry))
    for what, entry in entries:
        if not isinstance(entry, dict) or "port" not in entry:
            raise AnsibleFilterError("%s: %r needs a `port` (and optional `protocols`)" % (what, entry))
        protocols = entry.get("protocols", list(_PROTOCOLS))
        if isinstance(protocols, str):
            protocols = [protocols]
        for proto in protocols:
            if proto not in _PROTOCOLS:
                raise AnsibleFilterError("%s: protocol %r is not tcp or udp" % (what, proto))
            port = _port_item(entry["port"], what)
            if port not in out[proto]:
                out[proto].append(port)
    return {proto: sorted(ports, key=_sort_key) for proto, ports in out.items()}


def host_pool_cidrs(pools, network="p2p", what="metallb_pools"):
    """Addresses of the MetalLB pools announced on ``network``, as {'ipv4': [...], 'ipv6': [...]} CIDRs.

    Each pool is {name, network, addresses: [CIDR or first-last range]}; ranges become the smallest list of
    CIDRs that covers them exactly, overlapping entries are merged (an nftables interval set refuses overlaps).
    """
    cidrs = []
    for index, pool in enumerate(pools or []):
        if not isinstance(pool, dict):
            raise AnsibleFilterError("%s[%d]: every pool must be a mapping {name, network, addresses}, got %r" % (what, index, pool))
        if pool.get("network") != network:
            continue
        subject = "%s[%s].addresses" % (what, pool.get("name", index))
        addresses = pool.get("addresses")
        if not isinstance(addresses, list) or not addresses:
            raise AnsibleFilterError("%s: needs a non-empty list of CIDRs or first-last ranges" % subject)
        for entry in addresses:
            text = str(entry).strip()
            if "-" in text:
                first, _sep, last = text.partition("-")
                try:
                    low, high = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
                    cidrs.extend(str(net) for net in ipaddress.summarize_address_range(low, high))
                except (ValueError, TypeError) as exc:
                    raise AnsibleFilterError("%s: %r is not a first-last range of one address family (%s)" % (subject, entry, exc)) from exc
            else:
                cidrs.append(str(_network(text, subject)))
    return host_cidrs_by_family(cidrs, what)


def host_bgp_peers(peers, what="metallb_bgp_peers"):
    """BGP peers of MetalLB as {'bgp': {ipv4, ipv6}, 'bfd': {ipv4, ipv6}}: who may open TCP 179 and send BFD.

    Each peer is {address, asn, bfd (optional bool), name (optional)}; ``address`` is one IP, ``asn`` an
    integer 1-4294967295. A peer with ``bfd: true`` may also send BFD control packets.
    """
    bgp, bfd = [], []
    if peers is None:
        peers = []
    if not isinstance(peers, list):
        raise AnsibleFilterError("%s: must be a list of {address, asn, bfd}, got %r" % (what, peers))
    for index, peer in enumerate(peers):
        subject = "%s[%d]" % (what, index)
        if not isinstance(peer, dict):
            raise AnsibleFilterError("%s: must be a mapping {address, asn, bfd}, got %r" % (subject, peer))
        unknown = sorted(set(peer) - {"address", "asn", "bfd", "name", "pools"})
        if unknown:
            raise AnsibleFilterError("%s: unknown keys %s (allowed: address, asn, bfd, name, pools)" % (subject, ", ".join(unknown)))
        try:
            address = ipaddress.ip_address(str(peer.get("address", "")).strip())
        except ValueError as exc:
            raise AnsibleFilterError("%s.address: %r is not an IP address (give the peer router's address)" % (subject, peer.get("address"))) from exc
        asn = peer.get("asn")
        if isinstance(asn, bool) or not isinstance(asn, int) or not 1 <= asn <= 4294967295:
            raise AnsibleFilterError("%s.asn: %r is not an AS number (an integer 1-4294967295)" % (subject, asn))
        use_bfd = peer.get("bfd", False)
        if not isinstance(use_bfd, bool):
            raise AnsibleFilterError("%s.bfd: %r is not true or false" % (subject, use_bfd))
        bgp.append(str(address))
        if use_bfd:
            bfd.append(str(address))
    return {"bgp": host_cidrs_by_family(bgp, what), "bfd": host_cidrs_by_family(bfd, what)}


def host_port_list(values, what="port list"):
    """Validate a list of ports / 'a-b' ranges and return them as sorted, unique nftables text."""
    seen = []
    for value in values or []:
        port = _port_item(value, what)
        if port not in seen:
            seen.append(port)
    return sorted(seen, key=_sort_key)


class FilterModule:
    """Network filters for the host layer."""

    def filters(self):
        return {
            "host_cidrs_by_family": host_cidrs_by_family,
            "host_bgp_peers": host_bgp_peers,
            "host_ip_in_networks": host_ip_in_networks,
            "host_p2p_ports": host_p2p_ports,
            "host_pool_cidrs": host_pool_cidrs,
            "host_port_list": host_port_list,
        }
