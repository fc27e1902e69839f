# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the host layer and the networks (controller only).

Groups, the identity of every machine (addresses, ``ansible_host``, names), the management and P2P networks,
the pod and service CIDRs (families and sizes), the admin CIDRs (and their exposure) and the API VIP.
Every ``check_*`` takes ``(view, problems)``; the parsed networks and addresses are left in ``view.context``
for the checks that run later (platform pools, cluster taints).
"""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    AGENTS,
    CLUSTER,
    DNS_SUBDOMAIN_RE,
    INTERFACE_RE,
    LABEL_VALUE_RE,
    NETWORKS,
    SERVERS,
    _MISSING,
    _SKIP,
    Unread,
    Unresolved,
    _hosts_phrase,
    _not_list_reason,
    _type_name,
    closest_name,
    netaddr,
    parse_address,
    parse_network,
    scalar_reason,
    show,
    special_addresses,
    suggest_label,
)

# Connections that reach a host over the network at ansible_host (the others name a container or run locally).
NETWORK_CONNECTIONS = ("ssh", "smart", "paramiko", "paramiko_ssh", "ansible.builtin.ssh", "ansible.builtin.paramiko_ssh", "ansible.netcommon.libssh")
# k3s's per-node pod CIDR masks (kube-controller-manager --node-cidr-mask-size-ipv4 / -ipv6 defaults).
DEFAULT_NODE_MASK = {4: 24, 6: 64}
# kubelet's default max-pods (110): a node's pod range needs that many addresses besides its network address
# and the bridge's gateway.
PODS_PER_NODE = 110
# kube-apiserver refuses larger service ranges (mask >= 12 for IPv4, >= 108 for IPv6); k3s puts CoreDNS at
# the tenth address, so the range needs more than ten.
SERVICE_MIN_PREFIX = {4: 12, 6: 108}
SERVICE_MIN_SIZE = 16
# kube-controller-manager: an IPv6 cluster CIDR may be at most 16 bits wider than the per-node mask.
IPV6_NODE_MASK_SPAN = 16
ALLOW_OPEN_ADMIN = "chainops_allow_open_admin_cidrs"
# Lists of networks the hosts open a service to: (variable, required). SSH and the API (admin), and NTP.
EXPOSED_LISTS = (
    ("chainops_admin_cidrs", True),
    ("firewall_admin_cidrs", False),
    ("firewall_api_cidrs", False),
    ("firewall_ntp_cidrs", False),
    ("baseline_chrony_allow", False),
)


def _required_string(view, name, problems, fix, example="text"):
    value = view.get(name)
    if value is _SKIP:
        return None
    if value is _MISSING or (isinstance(value, str) and not value.strip()):
        problems.add(name, "is missing", fix)
        return None
    reason = scalar_reason(value, name, example)
    if reason:
        problems.add(name, reason[0], reason[1])
        return None
    return value


def _network_var(view, name, problems, example):
    value = view.get(name)
    if value is _SKIP:
        return None
    if value is _MISSING:
        problems.add(name, "is missing", "set it to a network in CIDR form, e.g. %s" % example)
        return None
    network, reason = parse_network(value)
    if network is None:
        problems.add(name, reason, "set it to a network in CIDR form, e.g. %s" % example)
    return network


def _cidr_list_var(view, name, problems, example, required=True):
    """k3s_cluster_cidr / k3s_service_cidr: one CIDR, or a comma-separated dual-stack pair."""
    value = view.get(name)
    if value is _SKIP:
        return None
    if value is _MISSING:
        if required:
            problems.add(name, "is missing", "set it explicitly, e.g. %s (k3s's default), outside every host network" % example)
        return None
    if not isinstance(value, str):
        problems.add(name, "is %s, not a CIDR string" % _type_name(value), "set it to a CIDR such as %s" % example)
        return None
    networks = []
    for part in value.split(","):
        network, reason = parse_network(part)
        if network is None:
            problems.add(name, reason, "set it to a CIDR such as %s (dual-stack: IPv4 CIDR,IPv6 CIDR)" % example)
            return None
        networks.append(network)
    versions = [network.version for network in networks]
    if len(networks) > 2 or len(set(versions)) != len(versions):
        problems.add(name, "%s lists %d CIDRs of the same family" % (show(value), len(networks)), "give one CIDR, or one IPv4 and one IPv6 CIDR for dual-stack")
        return None
    return networks


# ---------------------------------------------------------------------------------------------------
# groups


def check_groups(view, problems):
    servers = view.group(SERVERS)
    agents = view.group(AGENTS)
    cluster = view.group(CLUSTER)
    if not servers:
        problems.add(SERVERS, "the group has no hosts", "put 1, 3 or 5 hosts in group k3s_servers (a child of k3s_cluster)")
    elif len(servers) % 2 == 0:
        problems.add(
            SERVERS,
            "%d servers (%s): embedded etcd needs an odd number of servers to keep quorum" % (len(servers), ", ".join(servers)),
            "use an odd number of servers (1, 3 or 5): move one to k3s_agents or add one",
        )
    for host in servers:
        if host in agents:
            problems.add(
                SERVERS,
                "host %s is in both k3s_servers and k3s_agents (the same machine cannot be a server and an agent)" % host,
                "keep each host in exactly one of the two groups",
            )
    for group, members in ((SERVERS, servers), (AGENTS, agents)):
        outside = [host for host in members if host not in cluster]
        if outside:
            problems.add(
                group,
                "%s not in k3s_cluster" % _hosts_phrase(outside),
                "make k3s_servers and k3s_agents children of k3s_cluster",
            )
    stray = [host for host in cluster if host not in servers and host not in agents]
    if stray:
        problems.add(
            CLUSTER,
            "%s in k3s_cluster but in neither k3s_servers nor k3s_agents" % _hosts_phrase(stray),
            "put every cluster host in k3s_servers or k3s_agents",
        )
    for name in sorted(view.groups):
        if name in (SERVERS, AGENTS, CLUSTER, "all", "ungrouped"):
            continue
        close = closest_name(name, (SERVERS, AGENTS, CLUSTER), cutoff=0.8)
        if close is not None and (view.groups.get(name) or close in (SERVERS, AGENTS) and not view.group(close)):
            problems.add(
                "group %s" % name,
                "is not a group the collection reads (did you mean %s?)%s"
                % (close, "; its hosts %s get no role from it" % ", ".join(view.groups[name]) if view.groups.get(name) else ""),
                "rename the group to %s" % close,
            )
    by_lower = {}
    for host in view.hosts:
        by_lower.setdefault(host.lower(), []).append(host)
    for names in by_lower.values():
        if len(names) > 1:
            problems.add(
                CLUSTER,
                "hosts %s differ only in case: DNS and Kubernetes node names ignore case, so they name one machine" % ", ".join(names),
                "give every machine one inventory name (lowercase), and remove the duplicate",
            )


# ---------------------------------------------------------------------------------------------------
# cluster-wide scalars


def check_basic_vars(view, problems):
    network = view.get("chainops_network")
    if network is _MISSING:
        problems.add("chainops_network", "is missing", "set the Ethereum network every pair joins: one of %s" % ", ".join(NETWORKS))
    elif network is not _SKIP and network not in NETWORKS:
        reason = scalar_reason(network, "chainops_network", "mainnet")
        if reason:
            problems.add("chainops_network", reason[0], "use one of %s (a string)" % ", ".join(NETWORKS))
        else:
            problems.add("chainops_network", "%s is not a supported network" % show(network), "use one of %s" % ", ".join(NETWORKS))

    zone = _required_string(view, "chainops_zone", problems, "set the failure domain above racks (a label value such as dc1)", "dc1")
    if zone is not None and (len(zone) > 63 or not LABEL_VALUE_RE.match(zone)):
        problems.add(
            "chainops_zone",
            "%s is not a valid Kubernetes label value" % show(zone),
            "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        )

    for name in ("chainops_apply", "chainops_lab", ALLOW_OPEN_ADMIN):
        value = view.get(name)
        if value not in (_MISSING, _SKIP) and not isinstance(value, bool):
            problems.add(name, "is %s %s, not a boolean" % (_type_name(value), show(value)), "set it to true or false (unquoted)")

    for name in ("chainops_mgmt_interface", "chainops_p2p_interface"):
        value = _required_string(view, name, problems, "set the host interface name, e.g. eth0", "eth0")
        if value is not None and (not INTERFACE_RE.match(value) or value in (".", "..")):
            problems.add(name, "%s is not a valid Linux interface name" % show(value), "use the interface name as `ip link` shows it (at most 15 characters)")


# ---------------------------------------------------------------------------------------------------
# identity of machines


def _connection(view, host):
    value = view.host_get(host, "ansible_connection")
    return "ssh" if value in (_MISSING, _SKIP) or not isinstance(value, str) else value


def check_host_identity(view, problems):
    """Host variables: addresses, rack, node name, ansible_host. Leaves view.context["addresses"]."""
    nets = view.context.get("nets", {})
    addresses = {}
    by_address = {"mgmt": {}, "p2p": {}}
    node_names = {}
    for host in view.hosts:
        hv = view.hostvars.get(host, {})
        addresses[host] = {}
        for kind, name, net_name in (("mgmt", "chainops_mgmt_address", "chainops_mgmt_network"), ("p2p", "chainops_p2p_address", "chainops_p2p_network")):
            subject = "%s (host %s)" % (name, host)
            value = hv.get(name)
            if isinstance(value, (Unresolved, Unread)):
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                problems.add(subject, "is missing", "set the host's %s address in the inventory, inside %s" % (kind, net_name))
                continue
            address, reason = parse_address(value)
            if address is None:
                problems.add(subject, reason, "set a single IP address inside %s" % net_name)
                continue
            addresses[host][kind] = address
            by_address[kind].setdefault(address, []).append(host)
            network = nets.get(kind)
            if address.is_loopback() or address.is_link_local() or address.is_multicast() or address.value == 0:
                problems.add(subject, "%s is not an address other machines can reach" % address, "use the host's address on %s" % net_name)
                continue
            if network is None:
                continue
            if address not in network:
                problems.add(subject, "%s is outside %s %s" % (address, net_name, network), "use an address inside %s, or correct %s" % (net_name, net_name))
            elif address in special_addresses(network):
                problems.add(subject, "%s is the %s of %s %s" % (address, special_addresses(network)[address], net_name, network), "use a usable host address")

        rack = hv.get("chainops_rack")
        if not isinstance(rack, (Unresolved, Unread)):
            subject = "chainops_rack (host %s)" % host
            if rack is None or (isinstance(rack, str) and not rack.strip()):
                problems.add(subject, "is missing", "set the host's rack (a label value such as rack-a; use one value everywhere if you have one rack)")
            elif scalar_reason(rack, "chainops_rack", "rack-a"):
                reason = scalar_reason(rack, "chainops_rack", "rack-a")
                problems.add(subject, reason[0], reason[1])
            elif len(rack) > 63 or not LABEL_VALUE_RE.match(rack):
                problems.add(
                    subject,
                    "%s is not a valid Kubernetes label value" % show(rack),
                    "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                )

        node_name = hv.get("chainops_node_name")
        if not isinstance(node_name, (Unresolved, Unread)):
            explicit = node_name is not None
            node_name = node_name if explicit else host
            subject = "chainops_node_name (host %s)" % host
            source = "" if explicit else " (defaulted from inventory_hostname)"
            if not isinstance(node_name, str):
                reason = scalar_reason(node_name, "chainops_node_name", suggest_label(host))
                problems.add(subject, reason[0], reason[1])
            else:
                if len(node_name) > 253 or not DNS_SUBDOMAIN_RE.match(node_name):
                    problems.add(
                        subject,
                        "node name %s%s is not a valid Kubernetes node name (DNS-1123 subdomain)" % (show(node_name), source),
                        "set chainops_node_name to lowercase letters, digits, '-' and '.', e.g. %s" % show(suggest_label(node_name)),
                    )
                node_names.setdefault(node_name.lower(), []).append(host)

    for node_name, owners in node_names.items():
        if len(owners) > 1:
            problems.add(
                "chainops_node_name",
                "node name %s is used by hosts %s" % (show(node_name), ", ".join(owners)),
                "give every host its own chainops_node_name (it defaults to inventory_hostname)",
            )
    servers, agents = view.group(SERVERS), view.group(AGENTS)
    for kind, name in (("mgmt", "chainops_mgmt_address"), ("p2p", "chainops_p2p_address")):
        for address, owners in by_address[kind].items():
            if len(owners) > 1:
                both = [h for h in owners if h in servers] and [h for h in owners if h in agents]
                what = " (the same machine listed as server and as agent)" if both else ""
                problems.add(
                    name,
                    "%s is used by hosts %s%s" % (address, ", ".join(owners), what),
                    "give every host its own %s; list each machine once, in k3s_servers or k3s_agents" % name,
                )
    view.context["addresses"] = addresses
    _check_ansible_host(view, addresses, problems)


def _check_ansible_host(view, addresses, problems):
    """ansible_host must be the machine's management address (or a name); no two hosts share one."""
    seen = {}
    for host in view.hosts:
        value = view.host_get(host, "ansible_host")
        if value in (_MISSING, _SKIP):
            continue
        subject = "ansible_host (host %s)" % host
        if not isinstance(value, str) or not value.strip():
            reason = scalar_reason(value, "ansible_host", "10.10.0.11") or ("is empty", "set it to the host's chainops_mgmt_address, or remove it")
            problems.add(subject, reason[0], reason[1])
            continue
        if _connection(view, host) not in NETWORK_CONNECTIONS:
            continue
        text = value.strip()
        seen.setdefault(text.lower(), []).append(host)
        mgmt = addresses.get(host, {}).get("mgmt")
        address, _reason = parse_address(text)
        if address is None:
            others = [other for other in view.hosts if other != host and other.lower() == text.lower()]
            if text.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
                problems.add(subject, "%s is the controller itself, not the machine" % show(text), "set ansible_host to the host's chainops_mgmt_address")
            elif others:
                problems.add(
                    subject,
                    "%s is the inventory name of host %s: both entries would reach one machine" % (show(text), others[0]),
                    "set ansible_host to this host's own chainops_mgmt_address, or remove the duplicate entry",
                )
            continue
        if mgmt is not None and address != mgmt:
            owner = ""
            for other, found in addresses.items():
                for kind, other_address in found.items():
                    if other_address == address and (other != host or kind != "mgmt"):
                        owner = " (it is chainops_%s_address of host %s)" % (kind, other)
            problems.add(
                subject,
                "%s is not the host's management address %s%s: Ansible would configure another machine, or reach this one over another network"
                % (address, mgmt, owner),
                "set ansible_host to %s (chainops_mgmt_address), or remove it" % mgmt,
            )
    for owners in seen.values():
        if len(owners) > 1:
            problems.add(
                "ansible_host",
                "%s is used by hosts %s: they are one machine" % (show(view.host_get(owners[0], "ansible_host")), ", ".join(owners)),
                "give every host its own ansible_host (its chainops_mgmt_address); list each machine once",
            )


# ---------------------------------------------------------------------------------------------------
# networks


def _node_mask(view, version):
    """The per-node pod CIDR mask kube-controller-manager uses for ``version`` (4 or 6), and where it came from."""
    sources = []
    args = view.get("k3s_server_controller_manager_extra_args")
    if isinstance(args, list):
        sources.extend(("k3s_server_controller_manager_extra_args", item) for item in args if isinstance(item, str))
    extra = view.get("k3s_server_extra_config")
    if isinstance(extra, dict):
        for key in ("kube-controller-manager-arg", "kube-controller-manager-arg+"):
            items = extra.get(key)
            items = [items] if isinstance(items, str) else items
            if isinstance(items, list):
                sources.extend(("k3s_server_extra_config", item) for item in items if isinstance(item, str))
    mask, origin = DEFAULT_NODE_MASK[version], "k3s's default /%d" % DEFAULT_NODE_MASK[version]
    for variable, item in sources:
        key, _sep, value = item.lstrip("-").partition("=")
        if key in ("node-cidr-mask-size", "node-cidr-mask-size-ipv%d" % version) and value.strip().isdigit():
            mask, origin = int(value), "/%s from %s (%s)" % (value.strip(), variable, key)
    return mask, origin


def check_networks(view, problems):
    nets = {}
    nets["mgmt"] = _network_var(view, "chainops_mgmt_network", problems, "10.10.0.0/24")
    nets["p2p"] = _network_var(view, "chainops_p2p_network", problems, "192.0.2.0/24")
    cluster = _cidr_list_var(view, "k3s_cluster_cidr", problems, "10.42.0.0/16")
    service = _cidr_list_var(view, "k3s_service_cidr", problems, "10.43.0.0/16")

    if nets["mgmt"] is not None and nets["p2p"] is not None:
        overlap = netaddr.IPSet([nets["mgmt"]]) & netaddr.IPSet([nets["p2p"]])
        if overlap:
            problems.add(
                "chainops_p2p_network",
                "%s overlaps chainops_mgmt_network %s" % (nets["p2p"], nets["mgmt"]),
                "keep P2P traffic on its own network, apart from the management/API network",
            )
    if cluster and service:
        for pod in cluster:
            for svc in service:
                if netaddr.IPSet([pod]) & netaddr.IPSet([svc]):
                    problems.add(
                        "k3s_service_cidr",
                        "%s overlaps k3s_cluster_cidr %s" % (svc, pod),
                        "give pods and services separate ranges (k3s defaults: 10.42.0.0/16 and 10.43.0.0/16)",
                    )
        if sorted(n.version for n in cluster) != sorted(n.version for n in service):
            problems.add(
                "k3s_service_cidr",
                "has the families %s but k3s_cluster_cidr has %s" % (_families(service), _families(cluster)),
                "give pods and services the same address families (both single-stack, or both IPv4,IPv6)",
            )
    for name, cidrs in (("k3s_cluster_cidr", cluster), ("k3s_service_cidr", service)):
        for cidr in cidrs or ():
            for label, host_net in (("chainops_mgmt_network", nets["mgmt"]), ("chainops_p2p_network", nets["p2p"])):
                if host_net is not None and netaddr.IPSet([cidr]) & netaddr.IPSet([host_net]):
                    problems.add(name, "%s overlaps %s %s" % (cidr, label, host_net), "pick a %s range that no host network uses" % name.split("_")[1])
    view.context.update(nets=nets, cluster=cluster or [], service=service or [])
    _check_admin_cidrs(view, problems)


def _families(networks):
    return "+".join("IPv%d" % version for version in sorted(set(n.version for n in networks))) or "none"


def _check_admin_cidrs(view, problems):
    cluster, service = view.context["cluster"], view.context["service"]
    allow_open = view.get(ALLOW_OPEN_ADMIN) is True
    for name, required in EXPOSED_LISTS:
        admin = view.get(name)
        if admin is _SKIP or (admin is _MISSING and not required):
            continue
        if isinstance(admin, str) and "{{" in admin:
            continue  # the firewall role's own default, a template over chainops_admin_cidrs (checked above)
        example = "list the networks SSH and the API are allowed from, e.g. [10.10.0.0/24]"
        if admin is _MISSING:
            problems.add(name, "is missing", example)
            continue
        if not isinstance(admin, list) or not admin:
            problems.add(name, _not_list_reason(admin), example)
            continue
        admin_nets = []
        for index, entry in enumerate(admin):
            network, reason = parse_network(entry)
            if network is None:
                address, _ignored = parse_address(entry)
                if address is None:
                    problems.add("%s[%d]" % (name, index), reason, "use a CIDR such as 198.51.100.0/28 (or a single address)")
                    continue
                network = netaddr.IPNetwork(address)
            admin_nets.append(network)
            if network.prefixlen == 0:
                if allow_open:
                    problems.notice(
                        "SKIPPED: the admin-CIDR exposure check: %s[%d] %s opens SSH and the Kubernetes API to the whole Internet, "
                        "allowed by %s: true" % (name, index, network, ALLOW_OPEN_ADMIN)
                    )
                elif name in ("firewall_ntp_cidrs", "baseline_chrony_allow"):
                    problems.add(
                        "%s[%d]" % (name, index),
                        "%s lets every address on the Internet query this host's NTP server (an amplification source)" % network,
                        "list only the networks that take time from these hosts",
                    )
                else:
                    problems.add(
                        "%s[%d]" % (name, index),
                        "%s admits every address on the Internet to SSH and the Kubernetes API" % network,
                        "list only the networks you administer from (e.g. a bastion's /32); if you really mean the whole Internet, "
                        "set %s: true (the run summary will name it)" % ALLOW_OPEN_ADMIN,
                    )
        for network in admin_nets:
            for label, cidrs in (("k3s_cluster_cidr", cluster), ("k3s_service_cidr", service)):
                for cidr in cidrs or ():
                    if name in ("firewall_ntp_cidrs", "baseline_chrony_allow"):
                        continue
                    if network.prefixlen and netaddr.IPSet([network]) & netaddr.IPSet([cidr]):
                        problems.add(
                            name,
                            "%s overlaps %s %s" % (network, label, cidr),
                            "admin networks are outside the cluster: move %s or the admin range" % label,
                        )


def check_families_and_sizes(view, problems):
    """Address families of nodes vs pod/service CIDRs; CIDR sizes vs node count and per-node mask."""
    cluster, service = view.context.get("cluster") or [], view.context.get("service") or []
    addresses = view.context.get("addresses", {})
    node_families = set(found["mgmt"].version for found in addresses.values() if "mgmt" in found)
    nodes = len(view.hosts)
    for name, cidrs in (("k3s_cluster_cidr", cluster), ("k3s_service_cidr", service)):
        if not cidrs or not node_families:
            continue
        cidr_families = set(n.version for n in cidrs)
        missing = node_families - cidr_families
        if missing:
            only = "IPv%d-only" % min(node_families) if len(node_families) == 1 else "dual-stack"
            problems.add(
                name,
                "has no IPv%d range but the hosts are %s (chainops_mgmt_address, the node IP k3s uses, is IPv%d)"
                % (min(missing), only, min(missing)),
                "add an IPv%d CIDR (dual-stack: IPv4 CIDR,IPv6 CIDR), or give the hosts management addresses of the CIDR's family" % min(missing),
            )
    for network in cluster:
        mask, origin = _node_mask(view, network.version)
        width = network.version == 4 and 32 or 128
        if mask < network.prefixlen or mask > width:
            problems.add(
                "k3s_cluster_cidr",
                "%s cannot be cut into per-node ranges of /%d (%s)" % (network, mask, origin),
                "use a pod CIDR wider than /%d, e.g. 10.42.0.0/16, or a larger node-cidr-mask-size" % mask,
            )
            continue
        capacity = 2 ** (mask - network.prefixlen)
        if capacity < nodes:
            problems.add(
                "k3s_cluster_cidr",
                "%s holds %d per-node ranges of /%d (%s) but the inventory has %d nodes" % (network, capacity, mask, origin, nodes),
                "widen the pod CIDR to at least /%d (k3s gives every node its own /%d)" % (mask - (nodes - 1).bit_length(), mask),
            )
        if network.version == 6 and mask - network.prefixlen > IPV6_NODE_MASK_SPAN:
            problems.add(
                "k3s_cluster_cidr",
                "%s is more than %d bits wider than the per-node mask /%d (%s); kube-controller-manager refuses it"
                % (network, IPV6_NODE_MASK_SPAN, mask, origin),
                "use an IPv6 pod CIDR of /%d or narrower, e.g. fd42::/%d" % (mask - IPV6_NODE_MASK_SPAN, mask - IPV6_NODE_MASK_SPAN),
            )
        if 2 ** (width - mask) < PODS_PER_NODE + 2:
            problems.add(
                "k3s_cluster_cidr",
                "the per-node range /%d (%s) holds %d addresses, fewer than kubelet's %d pods per node need"
                % (mask, origin, 2 ** (width - mask), PODS_PER_NODE),
                "use a node-cidr-mask-size of at most /%d" % (width - (PODS_PER_NODE + 1).bit_length()),
            )
    for network in service:
        if network.prefixlen < SERVICE_MIN_PREFIX[network.version]:
            problems.add(
                "k3s_service_cidr",
                "%s is larger than kube-apiserver accepts (the mask must be /%d or narrower)" % (network, SERVICE_MIN_PREFIX[network.version]),
                "use a service CIDR such as 10.43.0.0/16 (IPv6: a /112)",
            )
        elif network.size < SERVICE_MIN_SIZE:
            problems.add(
                "k3s_service_cidr",
                "%s holds %d addresses; k3s needs the tenth one for CoreDNS and one per Service" % (network, network.size),
                "use a service CIDR of at least /%d, e.g. 10.43.0.0/16" % (network.version == 4 and 24 or 112),
            )


def check_vip(view, problems):
    nets = view.context.get("nets", {})
    addresses = view.context.get("addresses", {})
    view.context["vip"] = None
    value = view.get("k3s_api_vip")
    if value is _SKIP:
        return
    fix = "pick a free address inside chainops_mgmt_network that is neither a node address nor in a MetalLB pool"
    if value is _MISSING:
        problems.add("k3s_api_vip", "is missing", "set the API server VIP: " + fix)
        return
    vip, reason = parse_address(value)
    if vip is None:
        problems.add("k3s_api_vip", reason, fix)
        return
    network = nets.get("mgmt")
    if network is not None:
        if vip not in network:
            problems.add("k3s_api_vip", "%s is outside chainops_mgmt_network %s" % (vip, network), fix)
        elif vip in special_addresses(network):
            problems.add("k3s_api_vip", "%s is the %s of chainops_mgmt_network %s" % (vip, special_addresses(network)[vip], network), fix)
    for host, found in addresses.items():
        for kind, address in sorted(found.items()):
            if address == vip:
                problems.add("k3s_api_vip", "%s is also chainops_%s_address of host %s" % (vip, kind, host), fix)
    view.context["vip"] = vip


# In order: networks first (identity checks addresses against them), then hosts, then what depends on both.
CHECKS = (check_groups, check_basic_vars, check_networks, check_host_identity, check_families_and_sizes, check_vip)


def check(view, problems):
    for function in CHECKS:
        function(view, problems)
