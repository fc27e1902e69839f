# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the chain layer's client pairs (controller only).

The client pairs (``chainops_pairs``): shape and keys, names, known clients, pinned client versions, the P2P
ports a pair opens, and the client-diversity policy. Leaves ``view.context["pair_count"]``.
"""

from __future__ import annotations

import math
import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    CONSENSUS_CLIENTS,
    EXECUTION_CLIENTS,
    NETWORKS,
    _MISSING,
    _SKIP,
    _article,
    _is_number,
    _not_list_reason,
    _type_name,
    closest_name,
    dns_label_reason,
    scalar_reason,
    show,
    suggest_label,
    unknown_key_problems,
    version_reason,
)

# The keys of a pair and of one side (execution/consensus) that a layer reads: the chain layer (name, the two
# sides, client, version, p2p_address; a side's checkpoint_sync_url and volume_size: plugins/filter/chain_objects.py)
# and the firewall (p2p_ports). Extend these together with the layer that reads a key.
PAIR_KEYS = ("name", "execution", "consensus", "p2p_ports", "p2p_address")
SIDE_KEYS = ("client", "version", "checkpoint_sync_url", "volume_size")
PORT_KEYS = ("port", "protocols")
PORT_PROTOCOLS = ("tcp", "udp")


def _check_client(pair_subject, slot, client, clients, problems):
    """``clients`` is (known for this slot, known for the other slot)."""
    known, other = clients
    subject = "%s.%s.client" % (pair_subject, slot)
    if client is None:
        problems.add(subject, "is missing", "set one of %s" % ", ".join(known))
        return None
    if not isinstance(client, str):
        reason = scalar_reason(client, "client", known[0])
        problems.add(subject, reason[0], "set one of %s (a string)" % ", ".join(known))
        return None
    if client in known:
        return client
    if client.lower() in known:
        problems.add(subject, "%s must be lowercase" % show(client), "write %s" % show(client.lower()))
    elif client.lower() in other:
        other_slot = "consensus" if slot == "execution" else "execution"
        problems.add(
            subject,
            "%s is %s %s client, not %s %s client" % (show(client), _article(other_slot), other_slot, _article(slot), slot),
            "put it under %s, and pick one of %s here" % (other_slot, ", ".join(known)),
        )
    else:
        close = closest_name(client.lower(), known, cutoff=0.7)
        hint = " (did you mean %s?)" % close if close else ""
        problems.add(subject, "%s is not a known %s client%s" % (show(client), slot, hint), "use one of %s" % ", ".join(known))
    return None


def _check_share(view, problems):
    share = view.get("chainops_diversity_max_share")
    if share is _SKIP:
        return None
    fix = "set a number in (0, 1], e.g. 0.5 (no client in more than half of the pairs); 1.0 disables the policy"
    if share is _MISSING:
        problems.add("chainops_diversity_max_share", "is missing", fix)
        return None
    if not _is_number(share) or math.isnan(share):
        problems.add("chainops_diversity_max_share", "is %s %s, not a number" % (_type_name(share), show(share)), fix)
        return None
    if not 0 < share <= 1:
        problems.add("chainops_diversity_max_share", "%s is outside (0, 1]" % show(share), fix)
        return None
    return float(share)


def _check_p2p_ports(subject, ports, problems):
    fix = "list the extra ports as [{port: 30304, protocols: [tcp, udp]}]"
    if not isinstance(ports, list):
        problems.add(subject, "is %s, not a list" % _type_name(ports), fix)
        return
    for index, entry in enumerate(ports):
        where = "%s[%d]" % (subject, index)
        if not isinstance(entry, dict):
            problems.add(where, "is %s, not a mapping" % _type_name(entry), fix)
            continue
        unknown_key_problems(where, entry, PORT_KEYS, problems, "a P2P port")
        port = entry.get("port")
        if not _is_number(port) or int(port) != port or not 1 <= port <= 65535:
            problems.add(where + ".port", "%s is not a port number (1-65535)" % show(port), fix)
        protocols = entry.get("protocols")
        if not isinstance(protocols, list) or not protocols or any(p not in PORT_PROTOCOLS for p in protocols):
            problems.add(where + ".protocols", "%s is not a list of tcp/udp" % show(protocols), fix)


def check(view, problems):
    """Leaves view.context["pair_count"] (None when chainops_pairs is unusable)."""
    execution_clients = tuple(view.options.get("execution_clients", EXECUTION_CLIENTS))
    consensus_clients = tuple(view.options.get("consensus_clients", CONSENSUS_CLIENTS))
    view.context["pair_count"] = _check_pairs(view, execution_clients, consensus_clients, problems)


def _check_pairs(view, execution_clients, consensus_clients, problems):
    """Returns the number of pairs (None when chainops_pairs is unusable)."""
    pairs = view.get("chainops_pairs")
    share = _check_share(view, problems)
    if pairs is _SKIP:
        return None
    example = "[{name: geth-lighthouse, execution: {client: geth, version: v1.17.10}, consensus: {client: lighthouse, version: v8.3.2}}]"
    if pairs is _MISSING:
        problems.add("chainops_pairs", "is missing", "list the client pairs, e.g. " + example)
        return None
    if not isinstance(pairs, list) or not pairs:
        problems.add("chainops_pairs", _not_list_reason(pairs), "list at least one client pair, e.g. " + example)
        return None

    names = {}
    chosen = {"execution": [], "consensus": []}
    for index, pair in enumerate(pairs):
        subject = "chainops_pairs[%d]" % index
        if not isinstance(pair, dict):
            problems.add(
                subject, "is %s, not a mapping" % _type_name(pair), "write each pair as {name, execution: {client, version}, consensus: {client, version}}"
            )
            continue
        unknown_key_problems(subject, pair, PAIR_KEYS, problems, "a pair")
        name = pair.get("name")
        if name is None or name == "":
            problems.add(subject + ".name", "is missing", "name the pair with a DNS-1123 label, e.g. geth-lighthouse")
        elif not isinstance(name, str):
            reason = scalar_reason(name, "name", "geth-lighthouse")
            problems.add(subject + ".name", reason[0], reason[1] + " (a DNS-1123 label)")
        else:
            reason = dns_label_reason(name)
            if reason is None and not name[0].isalpha():
                reason = "starts with a digit (Services are named after pairs and must start with a letter)"
            if reason:
                problems.add(
                    subject + ".name",
                    "%s is not a valid pair name: it %s" % (show(name), reason),
                    "use a DNS-1123 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters), e.g. %s"
                    % show(suggest_label(name), 70),
                )
            names.setdefault(name, []).append(index)
            subject = "chainops_pairs[%d] (pair %s)" % (index, name)
        for slot, known, other in (("execution", execution_clients, consensus_clients), ("consensus", consensus_clients, execution_clients)):
            side = pair.get(slot)
            if not isinstance(side, dict):
                problems.add(
                    "%s.%s" % (subject, slot),
                    "is missing" if side is None else "is %s, not a mapping" % _type_name(side),
                    "add %s: {client: <one of %s>, version: <pinned release>}" % (slot, ", ".join(known)),
                )
                continue
            unknown_key_problems("%s.%s" % (subject, slot), side, SIDE_KEYS, problems, "a pair's %s side" % slot)
            client = _check_client(subject, slot, side.get("client"), (known, other), problems)
            if client is not None:
                chosen[slot].append(client)
            reason = version_reason(side.get("version"), client or "the client")
            reasons = [reason] if reason else []
            if client is not None and (reason is None or "is not a release version" in reason[0]):
                # the client's profile knows its tag convention (e.g. nimbus's multiarch-v) and its minimum release
                reasons = client_version_reasons(view, client, side.get("version"))
            for text, fix in reasons:
                problems.add("%s.%s.version" % (subject, slot), text, fix)
        if "p2p_ports" in pair:
            _check_p2p_ports(subject + ".p2p_ports", pair.get("p2p_ports"), problems)

    for name, indexes in names.items():
        if len(indexes) > 1:
            problems.add(
                "chainops_pairs", "pair name %s is used by entries %s" % (show(name), ", ".join(str(i) for i in indexes)), "give every pair a unique name"
            )

    total = len(pairs)
    if share is not None:
        for slot in ("execution", "consensus"):
            counts = {}
            for client in chosen[slot]:
                counts[client] = counts.get(client, 0) + 1
            allowed = int(math.floor(share * total + 1e-9))
            for client in sorted(counts):
                count = counts[client]
                if count > share * total + 1e-9:
                    if total == 1:
                        fix = "a single pair is only allowed with chainops_diversity_max_share: 1.0; add pairs with other %s clients or set 1.0" % slot
                    else:
                        fix = "run %s in at most %d of the %d pairs (switch pairs to other %s clients) or raise chainops_diversity_max_share" % (
                            client,
                            allowed,
                            total,
                            slot,
                        )
                    problems.add(
                        "chainops_diversity_max_share",
                        "%s client %s runs in %d of %d pairs (%.0f%%), above the allowed share %s"
                        % (slot, client, count, total, 100.0 * count / total, show(share)),
                        fix,
                    )
    return total


_PROFILES = {}


def _profiles(view):
    """The client profiles (data/clients), loaded once per controller process (they are files of the installed
    collection); a ProfileError becomes one problem per pinned version, never a skip."""
    root = view.options.get("collection_root")
    if root not in _PROFILES:
        try:
            _PROFILES[root] = _client_profiles.load_profiles(root)
        except (_client_profiles.ProfileError, OSError) as exc:
            return exc
    return _PROFILES[root]


def client_version_reasons(view, client, version):
    """What the client's profile says against ``version``: its tag convention, then the profile's own verdict
    (floating tags, pre-releases, variants, the minimum release); a list of (reason, fix)."""
    profiles = _profiles(view)
    if isinstance(profiles, Exception):
        return [
            (
                "cannot be judged: the client profiles do not load (%s)" % " ".join(str(profiles).split()),
                "restore data/clients/ of the collection (reinstall it)",
            )
        ]
    written = version.strip() if isinstance(version, str) else version
    reasons = []
    prefix_reason = _tag_prefix_reason(profiles.get(client), written)
    if prefix_reason:
        reasons.append(prefix_reason)
    network = view.get("chainops_network")
    network = network if isinstance(network, str) and network in NETWORKS else None
    # with the network, the profile applies its floor there (a release that would fork off hoodi or sepolia)
    reason = _client_profiles.version_reason(client, version, profiles, network=network)
    if reason is not None:
        text = reason[0]
        if isinstance(written, str) and show(written) not in text and written not in text:
            # name the version as the inventory wrote it (v1.10.17), not only the release it parsed (1.10.17)
            text = "%s: %s" % (show(written), text)
        reasons.append((text, reason[1]))
    return reasons


def _tag_prefix_reason(profile, written):
    """The profile accepts a bare X.Y.Z for every client; preflight asks for the client's own tag convention, so
    that what the inventory pins is the image tag that exists (geth: v1.17.10, not 1.17.10)."""
    if not profile or not isinstance(written, str):
        return None
    prefix = profile["version"]["tag_prefix"]
    match = re.match(r"^(.*?)(\d+\.\d+\.\d+.*)$", written)
    if not prefix or not match or match.group(1):
        return None
    tag = prefix + match.group(2)
    return (
        "%s lacks the %s prefix of %s's image tags (the tag is %s)" % (show(written), show(prefix), profile["name"], tag),
        'write "%s"' % tag,
    )
