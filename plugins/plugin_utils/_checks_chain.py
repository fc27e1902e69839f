# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the chain layer's inventory variables (controller only).

``check_chain(view, problems)`` reads the cluster-wide variables through ``_inventory_checks._View`` and adds one
line per problem to ``_inventory_checks._Problems``, naming the variable and the fix. The pair list itself (names,
clients, versions, diversity) is checked by ``_inventory_checks``; this adds what the chain role needs on top:
the P2P address of every pair, volume sizes, the sidecar image, the disruption budget and devnet mode.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_cluster_net
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles as cp
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import _MISSING, _SKIP, show

# Every chain-layer variable the inventory may set (a misspelled one is an error naming the intended one).
CHAIN_VARS = (
    "chainops_chain_sidecar_image",
    "chainops_chain_storage_class",
    "chainops_chain_volume_sizes",
    "chainops_chain_sidecar_criteria",
    "chainops_chain_mode",
    "chainops_checkpoint_sync_url",
    "chainops_min_ready_pairs",
    "chainops_ingress_namespace",
    "chainops_monitoring_namespace",
    "chainops_beacon_clients",
    "chainops_beacon_ingress",
    "chainops_health_check_cidrs",
    "chainops_rpc_hostnames",
    "chainops_devnet",
    "chainops_test_inventory",
)
PAIR_NAME_MAX = 40  # Services add "-p2p-tcp"; StatefulSet pods add "-0" and a revision hash label
QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
FLOATING_TAGS = ("latest", "slim", "alpine", "3", "3-slim")
DEVNET_KEYS = ("config_file", "genesis_file", "genesis_state_file", "network_id", "bootnodes", "chain_id")


def _closest(word, known):
    match = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return match[0] if match else None


def pool_addresses(entries):
    """Every usable address of a MetalLB pool's ``addresses`` (CIDRs or first-last ranges), in order, as ip objects;
    the chain layer assigns each pair its P2P address from this list, the preflight checks against it."""
    out = []
    for entry in entries:
        text = str(entry).strip()
        if "-" in text:
            first, last = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
            out.extend(ipaddress.ip_address(n) for n in range(int(first), int(last) + 1))
        else:
            net = ipaddress.ip_network(text, strict=False)
            out.extend(net.hosts() if net.num_addresses > 2 else net)
    return out


def _check_names(view, problems):
    for name in sorted(view.variables):
        if not isinstance(name, str) or not name.startswith("chainops_chain_") or name in CHAIN_VARS:
            continue
        close = _closest(name, CHAIN_VARS)
        problems.add(name, "is not a chain-layer variable", "did you mean %s?" % close if close else "remove it (see docs/chain.md)")


def _check_image(view, problems):
    image = view.get("chainops_chain_sidecar_image")
    fix = "pin a stock Python image by release, e.g. docker.io/library/python:3.12.12-slim (optionally @sha256:<digest>)"
    if image is _SKIP:
        return
    if image is _MISSING or not isinstance(image, str) or not image.strip():
        problems.add("chainops_chain_sidecar_image", "is missing" if image is _MISSING else "is %s, not an image reference" % show(image), fix)
        return
    name, _sep, tag = image.split("@", 1)[0].rpartition(":")
    if "@sha256:" in image:
        return
    if not name or "/" in tag or tag in FLOATING_TAGS or not re.match(r"^3\.\d+\.\d+", tag):
        problems.add("chainops_chain_sidecar_image", "%s is not pinned to a Python release (X.Y.Z)" % show(image), fix)


def _check_sizes(view, pairs, problems):
    sizes = view.get("chainops_chain_volume_sizes")
    if sizes is _SKIP:
        return
    fix = "give a size per client, e.g. {geth: 2Ti, lighthouse: 300Gi}"
    if sizes is _MISSING or not isinstance(sizes, dict):
        problems.add("chainops_chain_volume_sizes", "is missing" if sizes is _MISSING else "is %s, not a mapping" % show(sizes), fix)
        return
    known = sorted(cp.load_profiles())
    for client, size in sorted(sizes.items()):
        if client not in known:
            close = _closest(str(client), known)
            fix = "did you mean %s?" % close if close else "use one of " + ", ".join(known)
            problems.add("chainops_chain_volume_sizes.%s" % client, "is not a known client", fix)
        elif not isinstance(size, str) or not QUANTITY_RE.match(size):
            problems.add("chainops_chain_volume_sizes.%s" % client, "%s is not a Kubernetes quantity" % show(size), "write it like 2Ti or 300Gi")
    for index, pair in enumerate(pairs):
        for side in ("execution", "consensus"):
            spec = pair.get(side) if isinstance(pair.get(side), dict) else {}
            client = spec.get("client")
            if "volume_size" in spec:
                if not isinstance(spec["volume_size"], str) or not QUANTITY_RE.match(spec["volume_size"]):
                    problems.add("chainops_pairs[%d].%s.volume_size" % (index, side), "%s is not a Kubernetes quantity" % show(spec["volume_size"]),
                                 "write it like 2Ti or 300Gi")
            elif isinstance(client, str) and client in known and client not in sizes:
                problems.add("chainops_chain_volume_sizes", "has no size for %s (used by pair %s)" % (client, pair.get("name")),
                             "add %s: <size> or set chainops_pairs[%d].%s.volume_size" % (client, index, side))


def _check_p2p(view, pairs, problems):
    pools = view.get("metallb_pools")
    if pools in (_SKIP, _MISSING) or not isinstance(pools, list):
        return  # _inventory_checks reports it
    pool = [p for p in pools if isinstance(p, dict) and p.get("name") == "p2p"]
    if not pool:
        problems.add("metallb_pools", "has no pool named p2p (the chain layer's P2P Services name it)", "add {name: p2p, network: p2p, addresses: [...]}")
        return
    try:
        addresses = pool_addresses(pool[0].get("addresses") or [])
    except ValueError:
        return  # _inventory_checks reports malformed entries
    in_pool = set(addresses)
    seen = {}
    for index, pair in enumerate(pairs):
        if "p2p_address" not in pair:
            continue
        subject = "chainops_pairs[%d].p2p_address" % index
        try:
            address = ipaddress.ip_address(str(pair["p2p_address"]))
        except ValueError:
            problems.add(subject, "%s is not an IP address" % show(pair["p2p_address"]), "give one address of the p2p pool")
            continue
        if address not in in_pool:
            problems.add(subject, "%s is outside the MetalLB p2p pool %s" % (address, ", ".join(map(str, pool[0]["addresses"]))),
                         "pick an address of the p2p pool or enlarge the pool")
        if address in seen:
            problems.add(subject, "%s is also pair %s's address" % (address, seen[address]), "give every pair its own P2P address")
        seen[address] = pair.get("name")
    free = len(in_pool - set(seen))
    needing = sum(1 for p in pairs if "p2p_address" not in p)
    if needing > free:
        # the one check of the pool's size (the platform checks leave it here): usable addresses of the pool the P2P
        # Services name, less those pinned by a pair's p2p_address
        problems.add("metallb_pools", "the p2p pool (%s) has %d free addresses for %d pairs without p2p_address (each pair needs its own "
                     "stable P2P address)" % (", ".join(map(str, pool[0]["addresses"])), free, needing),
                     "enlarge the p2p pool to at least %d usable addresses" % (needing + len(seen)))


def _check_pair_names(pairs, problems):
    for index, pair in enumerate(pairs):
        name = pair.get("name")
        if isinstance(name, str) and len(name) > PAIR_NAME_MAX:
            problems.add("chainops_pairs[%d].name" % index,
                         "%s has %d characters; the chain layer's object names need at most %d" % (show(name), len(name), PAIR_NAME_MAX),
                         "shorten the pair name")


def _check_min_ready(view, pairs, problems):
    value = view.get("chainops_min_ready_pairs")
    if value in (_MISSING, _SKIP):
        return
    fix = "set it between 0 and %d (one pair must be allowed down for node drains and upgrades)" % (len(pairs) - 1)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("chainops_min_ready_pairs", "is %s, not a whole number" % show(value), fix)
    elif not 0 <= value <= len(pairs) - 1:
        problems.add("chainops_min_ready_pairs", "%d leaves no pair that may be down among %d pairs" % (value, len(pairs))
                     if value >= len(pairs) else "%d is negative" % value, fix)


def _check_access(view, problems):
    for name in ("chainops_ingress_namespace", "chainops_monitoring_namespace"):
        value = view.get(name)
        if value not in (_MISSING, _SKIP) and (not isinstance(value, str) or not DNS_LABEL_RE.match(value)):
            problems.add(name, "%s is not a namespace name" % show(value), "give a DNS-1123 label, e.g. monitoring")
    clients = view.get("chainops_beacon_clients")
    if clients not in (_MISSING, _SKIP):
        if not isinstance(clients, list):
            problems.add("chainops_beacon_clients", "is %s, not a list" % show(clients), "list {namespace, pod_labels} of the validator clients")
        else:
            for index, entry in enumerate(clients):
                ok = isinstance(entry, dict) and isinstance(entry.get("namespace"), str) and DNS_LABEL_RE.match(entry["namespace"]) \
                    and set(entry) <= {"namespace", "pod_labels"} and isinstance(entry.get("pod_labels", {}), dict)
                if not ok:
                    problems.add("chainops_beacon_clients[%d]" % index, "%s is not {namespace, pod_labels}" % show(entry),
                                 "write {namespace: chainops-validators, pod_labels: {app: vc}} (pod_labels optional)")
    cidrs = view.get("chainops_health_check_cidrs")
    if cidrs not in (_MISSING, _SKIP):
        if not isinstance(cidrs, list) or not cidrs:
            problems.add("chainops_health_check_cidrs", "is %s, not a non-empty list" % show(cidrs), "list the networks the health checks come from")
        else:
            for index, cidr in enumerate(cidrs):
                try:
                    ipaddress.ip_network(str(cidr))
                except ValueError:
                    problems.add("chainops_health_check_cidrs[%d]" % index, "%s is not a CIDR" % show(cidr), "write it like 10.10.0.0/24")
    beacon_ingress = view.get("chainops_beacon_ingress")
    if beacon_ingress not in (_MISSING, _SKIP) and not isinstance(beacon_ingress, bool):
        problems.add("chainops_beacon_ingress", "is %s, not true or false" % show(beacon_ingress), "set true or false")
    routes = view.get("chainops_edge_routes")
    if beacon_ingress is False and isinstance(routes, list):
        beacon_routes = [r.get("name", "?") for r in routes if isinstance(r, dict) and r.get("kind") == "beacon"]
        if beacon_routes:
            problems.add("chainops_beacon_ingress", "is false, so the NetworkPolicies keep the ingress from the Beacon API that the edge "
                         "routes %s serve" % ", ".join(map(str, beacon_routes)), "set it to true, or drop it (it follows the routes by default)")
    storage = view.get("chainops_chain_storage_class")
    if storage not in (_MISSING, _SKIP) and (not isinstance(storage, str) or not DNS_SUBDOMAIN_RE.match(storage)):
        problems.add("chainops_chain_storage_class", "%s is not a StorageClass name" % show(storage), "e.g. local-path")


def _check_mode(view, pairs, problems):
    mode = view.get("chainops_chain_mode")
    if mode in (_MISSING, _SKIP):
        mode = "public"
    if mode not in cp.MODES:
        problems.add("chainops_chain_mode", "%s is not a mode" % show(mode), "use public (a public network) or devnet (test inventories only)")
        return
    network = view.get("chainops_network")
    test_inventory = view.get("chainops_test_inventory") is True
    profiles = cp.load_profiles()
    for index, pair in enumerate(pairs):
        for side in ("execution", "consensus"):
            client = (pair.get(side) or {}).get("client") if isinstance(pair.get(side), dict) else None
            if client not in profiles:
                continue
            reason = cp.mode_reason(profiles[client], mode, network if network not in (_MISSING, _SKIP) else None, test_inventory)
            if reason:
                problems.add("chainops_pairs[%d].%s (%s)" % (index, side, client), reason[0], reason[1])
    devnet = view.get("chainops_devnet")
    if mode == "devnet":
        if not isinstance(devnet, dict) or not devnet:
            problems.add("chainops_devnet", "is missing in devnet mode", "give %s" % ", ".join(DEVNET_KEYS))
        else:
            for key in sorted(set(devnet) - set(DEVNET_KEYS)):
                close = _closest(str(key), DEVNET_KEYS)
                problems.add("chainops_devnet.%s" % key, "is not a devnet setting", "did you mean %s?" % close if close else "use " + ", ".join(DEVNET_KEYS))
    elif devnet not in (_MISSING, _SKIP):
        problems.add("chainops_devnet", "is set but chainops_chain_mode is %s" % mode, "remove chainops_devnet, or use devnet mode in a test inventory")


def check_chain(view, problems):
    """Add the chain layer's inventory problems to ``problems`` (see the module docstring)."""
    _check_names(view, problems)
    _check_image(view, problems)
    _check_access(view, problems)
    pairs = view.get("chainops_pairs")
    if not isinstance(pairs, list) or not pairs:
        return  # _inventory_checks reports a missing or empty pair list
    pairs = [p for p in pairs if isinstance(p, dict)]
    _check_pair_names(pairs, problems)
    _check_sizes(view, pairs, problems)
    _check_p2p(view, pairs, problems)
    _check_min_ready(view, pairs, problems)
    _check_mode(view, pairs, problems)


def chain_images(view):
    """Images the chain layer runs: each pair's pinned clients and the sidecar image (for the air-gap check).
    Versions that do not parse are left to the pair checks, which name them."""
    images = []
    sidecar = view.get("chainops_chain_sidecar_image")
    if isinstance(sidecar, str) and sidecar:
        images.append(sidecar)
    pairs = view.get("chainops_pairs")
    if not isinstance(pairs, list):
        return images
    try:
        profiles = cp.load_profiles()
    except (OSError, ValueError):
        return images
    for pair in pairs:
        for side in ("execution", "consensus"):
            spec = pair.get(side) if isinstance(pair, dict) else None
            profile = profiles.get(spec.get("client")) if isinstance(spec, dict) else None
            if profile is None:
                continue
            try:
                images.append(cp.image_ref(profile, spec.get("version")))
            except (TypeError, ValueError):
                continue
    return images


# air-gap mode: every image the chain layer runs needs a tarball or a mirror (checked with the cluster layer's)
_checks_cluster_net.IMAGE_SOURCES.append(chain_images)
