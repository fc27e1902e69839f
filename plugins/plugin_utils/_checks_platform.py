# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the platform layer (controller only).

The k3s packaged components the cluster layer leaves out (``k3s_server_disable``, derived from the platform layer
unless set) against what the platform layer runs (MetalLB always, the ``chainops_ingress`` choice); the air-gapped
chart archives of every chart of the layer (``check_chart``); MetalLB pools (``metallb_pools``): shape and keys,
addresses against the networks, the nodes, the VIP, the pod/service CIDRs and each other. Reads ``view.context``
left by the hosts checks. Whether the p2p pool is large enough for the pairs is the chain layer's check
(_checks_chain: the usable addresses of the pool named p2p, less the pairs' pinned p2p_address), the one rule for it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile

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

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

# The keys of one pool that the platform layer reads.
POOL_KEYS = ("name", "network", "addresses")
# chainops_ingress: the collection's controllers, k3s (k3s's packaged Traefik stays) or none (no ingress at all).
OWN_INGRESSES = ("nginx", "traefik")
INGRESS_CHOICES = OWN_INGRESSES + ("k3s", "none")


SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# the collection's charts: variable prefix -> (chart name in Chart.yaml, role whose defaults pin the version)
CHARTS = {
    "metallb_chart": ("metallb", "metallb"),
    "cert_manager_chart": ("cert-manager", "cert_manager"),
    "ingress_nginx_chart": ("ingress-nginx", "ingress"),
    "ingress_traefik_chart": ("traefik", "ingress"),
}


def _pinned_version(view, prefix):
    """<prefix>_version from the inventory, else the role's default (None when neither is readable)."""
    version = view.get(prefix + "_version")
    if isinstance(version, str):
        return version
    if yaml is None:  # pragma: no cover
        return None
    root = view.options.get("collection_root") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "roles", CHARTS[prefix][1], "defaults", "main.yml")
    try:
        with open(path, encoding="utf-8") as handle:
            version = (yaml.safe_load(handle) or {}).get(prefix + "_version")
    except OSError:
        return None
    return version if isinstance(version, str) else None


def _archive_chart(path):
    """(name, version) from the archive's <chart>/Chart.yaml, or (None, reason)."""
    if yaml is None:  # pragma: no cover
        return None, "cannot be read without PyYAML"
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                parts = member.name.strip("/").split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    meta = yaml.safe_load(archive.extractfile(member).read()) or {}
                    return meta.get("name"), str(meta.get("version"))
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError) as exc:
        return None, "cannot be read as a gzip tar archive (%s)" % type(exc).__name__
    return None, "holds no <chart>/Chart.yaml (not a packaged Helm chart)"


def check_chart(view, problems, prefix):
    """An air-gapped chart (<prefix>_file, <prefix>_sha256): the checksum given, the archive on the controller with that
    checksum, and inside it the chart and version the collection pins. Nothing to check without <prefix>_file."""
    chart_file = view.get_or(prefix + "_file", "")
    chart_sum = view.get_or(prefix + "_sha256", "")
    if not chart_file or chart_file is _SKIP or chart_sum is _SKIP:
        return
    if not isinstance(chart_file, str):
        problems.add(prefix + "_file", "is %s, not a path" % _type_name(chart_file), "give the chart archive's path on the controller")
        return
    if not isinstance(chart_sum, str) or not SHA256_RE.match(chart_sum):
        problems.add(prefix + "_sha256", "is %s; an air-gapped %s_file needs its checksum" % ("missing" if not chart_sum else show(chart_sum), prefix),
                     "set %s_sha256 to the output of sha256sum %s (64 lowercase hex characters)" % (prefix, chart_file))
        return
    version = _pinned_version(view, prefix)
    bring = "bring the %s chart archive%s (helm pull) to the controller" % (CHARTS[prefix][0], " of version %s" % version if version else "")
    if not os.path.isfile(chart_file):
        problems.add(prefix + "_file", "%s is not a file on the controller" % show(chart_file), bring + " and give its path")
        return
    digest = hashlib.sha256()
    with open(chart_file, "rb") as handle:
        for block in iter(lambda: handle.read(1048576), b""):
            digest.update(block)
    if digest.hexdigest() != chart_sum:
        problems.add(prefix + "_sha256", "is not the sha256 of %s (that file has %s)" % (chart_file, digest.hexdigest()),
                     "check where the archive came from, then set %s_sha256 to the checksum of the archive you trust" % prefix)
        return
    name, found = _archive_chart(chart_file)
    if name is None:
        problems.add(prefix + "_file", "%s %s" % (show(chart_file), found), bring)
    elif name != CHARTS[prefix][0] or (version and found != version):
        problems.add(prefix + "_file", "%s holds chart %s %s, not %s %s" % (show(chart_file), show(name), found, CHARTS[prefix][0], version),
                     bring + " (or set %s_version to the archive's version)" % prefix)


def _disable_problem(problems, disabled, component, *, replaced, choice, fix):
    """One contradiction between k3s_server_disable and a platform choice."""
    if replaced and component not in disabled:
        problems.add("k3s_server_disable", "keeps k3s's packaged %s although %s" % (component, choice),
                     "add %s to k3s_server_disable, or remove k3s_server_disable so the cluster layer derives it (%s)" % (component, fix))
    elif not replaced and component in disabled:
        problems.add("k3s_server_disable", "leaves out k3s's packaged %s although %s" % (component, choice),
                     "remove %s from k3s_server_disable, or remove k3s_server_disable so the cluster layer derives it (%s)" % (component, fix))


def check_components(view, problems):
    """The platform layer always runs MetalLB (the pairs' P2P addresses come from its p2p pool), so k3s's servicelb is
    left out; chainops_ingress chooses the ingress, and k3s's packaged Traefik is left out unless it is k3s. An explicit
    k3s_server_disable must agree with that, and every server must see the same values."""
    for name in ("chainops_ingress", "k3s_server_disable"):
        seen = {}
        for host in view.hosts:
            value = view.host_get(host, name)
            if value is not _SKIP:
                seen.setdefault("unset" if value is _MISSING else show(value), []).append(host)
        if len(seen) > 1:
            problems.add(name, "differs between hosts (%s)" % "; ".join("%s: %s" % (v, ", ".join(h)) for v, h in sorted(seen.items())),
                         "set it once in group_vars/all: the servers' k3s disable list follows it")
    ingress = view.get_or("chainops_ingress", "nginx")
    if ingress is not _SKIP and ingress not in INGRESS_CHOICES:
        ingress = _SKIP  # _checks_edge names it
    disabled = view.get("k3s_server_disable")
    if disabled in (_MISSING, _SKIP):
        return  # derived by roles/k3s_server, consistent by construction
    if not isinstance(disabled, list) or not all(isinstance(item, str) for item in disabled):
        problems.add("k3s_server_disable", "is %s, not a list of component names" % show(disabled),
                     "list k3s packaged components such as servicelb, traefik, metrics-server (or remove it to derive it)")
        return
    if "servicelb" not in disabled:
        problems.add("k3s_server_disable", "keeps k3s's packaged servicelb although the platform layer runs MetalLB: both would answer for "
                     "every LoadBalancer Service, and only MetalLB gives each pair its fixed P2P address",
                     "add servicelb to k3s_server_disable, or remove k3s_server_disable so the cluster layer derives it")
    if ingress is _SKIP:
        return
    replaced = ingress != "k3s"
    if ingress in OWN_INGRESSES:
        choice = "chainops_ingress is %s: both controllers would claim ports 80 and 443, and k3s's Traefik CRDs clash with the chart's" % ingress
    elif ingress == "none":
        choice = "chainops_ingress is none (no ingress controller at all)"
    else:
        choice = "chainops_ingress is k3s, so no ingress controller would run"
    fix = "or set chainops_ingress: %s" % ("k3s" if replaced else "nginx or traefik")
    _disable_problem(problems, disabled, "traefik", replaced=replaced, choice=choice, fix=fix)


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
    check_components(view, problems)
    check_pools(view, problems)
