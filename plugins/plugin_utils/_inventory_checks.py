# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: the inventory checks behind the preflight role (controller only).

Everything here is plain Python over plain data, so it is unit-tested without Ansible:
``check_inventory(hostvars, groups)`` takes each cluster host's variables (already templated) and the
group membership, and returns every problem it finds as one line naming the variable (and the host,
for host variables) and how to fix it. An empty list means the inventory passed.
Secret values are never part of a message.
"""

from __future__ import annotations

import math
import re

try:
    import netaddr
except ImportError as exc:  # pragma: no cover - exercised only without netaddr
    netaddr = None
    NETADDR_IMPORT_ERROR = exc
else:
    NETADDR_IMPORT_ERROR = None

SERVERS = "k3s_servers"
AGENTS = "k3s_agents"
CLUSTER = "k3s_cluster"

EXECUTION_CLIENTS = ("geth", "nethermind", "besu", "erigon", "reth")
CONSENSUS_CLIENTS = ("lighthouse", "teku", "prysm", "nimbus", "lodestar")
NETWORKS = ("mainnet", "hoodi", "sepolia")
POOL_NETWORKS = ("mgmt", "p2p")

# Host-level variables (one value per host).
HOST_VARS = ("chainops_mgmt_address", "chainops_p2p_address", "chainops_rack", "chainops_node_name")

# Cluster-wide variables: every host of the cluster must see the same value.
CLUSTER_VARS = (
    "chainops_mgmt_network",
    "chainops_mgmt_interface",
    "chainops_p2p_network",
    "chainops_p2p_interface",
    "chainops_admin_cidrs",
    "chainops_zone",
    "chainops_network",
    "chainops_render_dir",
    "chainops_secrets_dir",
    "chainops_apply",
    "chainops_lab",
    "k3s_version",
    "k3s_api_vip",
    "k3s_cluster_cidr",
    "k3s_service_cidr",
    "k3s_token",
    "k3s_etcd_s3_enabled",
    "k3s_etcd_s3_bucket",
    "k3s_etcd_s3_access_key",
    "k3s_etcd_s3_secret_key",
    "metallb_pools",
    "chainops_pairs",
    "chainops_diversity_max_share",
)

# Variables whose values never appear in a message.
SECRET_VARS = frozenset(("k3s_token", "k3s_etcd_s3_access_key", "k3s_etcd_s3_secret_key"))

# Everything the checks read from a host.
INVENTORY_VARS = HOST_VARS + CLUSTER_VARS

K3S_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+\+k3s\d+$")
# A concrete release: [v]X.Y.Z, an optional pre-release/build suffix, an optional image digest.
CLIENT_VERSION_RE = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z][0-9A-Za-z.+-]*)?(?:@sha256:[0-9a-f]{64})?$")
PARTIAL_VERSION_RE = re.compile(r"^v?\d+(?:\.\d+)?$")
WILDCARD_CHARS = frozenset("*?^~<>=|, ")
FLOATING_WORDS = frozenset(
    ("latest", "stable", "edge", "nightly", "master", "main", "develop", "dev", "unstable", "head", "snapshot", "current", "rolling", "canary")
)
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
INTERFACE_RE = re.compile(r"^[^\s/:]{1,15}$")

TOKEN_MIN_LENGTH = 32
PLACEHOLDER_WORDS = (
    "changeme",
    "replaceme",
    "placeholder",
    "example",
    "password",
    "secret",
    "yourtoken",
    "insertyour",
    "fixme",
    "notset",
    "redacted",
)
PLACEHOLDER_MIN_DISTINCT = 8

_JOIN_KEY_FIX = "generate one with `openssl rand -hex 32` and keep it in an ansible-vault file, or leave k3s_token unset so the first server generates it"


class Unresolved:
    """A variable whose template could not be rendered; ``message`` says why (never a secret value)."""

    def __init__(self, message):
        self.message = message

    def __eq__(self, other):
        return isinstance(other, Unresolved) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return "Unresolved(%r)" % self.message


_MISSING = object()
_SKIP = object()


def to_plain(value):
    """Deep-copy ``value`` into plain dict/list/str/int/float/bool/None (drops Ansible's lazy/tagged types)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        return dict((str(k), to_plain(value[k])) for k in value.keys())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(item) for item in value]
    return str(value)


def show(value, limit=60):
    """A short one-line rendering of a (non-secret) value for a message."""
    if isinstance(value, str):
        text = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        if len(text) > limit:
            text = text[:limit] + "..."
        return "'%s'" % text
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "..."


def _type_name(value):
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _hosts_phrase(hosts):
    """'host a is' / 'hosts a, b are'."""
    if len(hosts) == 1:
        return "host %s is" % hosts[0]
    return "hosts %s are" % ", ".join(hosts)


def _article(word):
    return "an" if word[:1] in "aeiou" else "a"


def _not_list_reason(value):
    """'is empty' for an empty list, else what the value is instead of a list."""
    if isinstance(value, list):
        return "is an empty list"
    return "is %s, not a non-empty list" % _type_name(value)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Problems:
    def __init__(self):
        self.lines = []

    def add(self, subject, problem, fix):
        line = "%s: %s; fix: %s" % (subject, problem, fix)
        self.lines.append(" ".join(line.split()))


class _View:
    """Reads cluster-wide variables from one host's variables; unresolved ones are reported once, then skipped."""

    def __init__(self, variables):
        self.variables = variables

    def get(self, name):
        if name not in self.variables:
            return _MISSING
        value = self.variables[name]
        if value is None:
            return _MISSING
        if isinstance(value, Unresolved):
            return _SKIP
        return value


# ---------------------------------------------------------------------------------------------------
# parsing helpers (return (parsed, reason); parsed is None when the value does not parse)


def parse_address(value):
    """One IP address, no prefix length."""
    if not isinstance(value, str):
        return None, "is %s, not an IP address string" % _type_name(value)
    text = value.strip()
    if "/" in text:
        return None, "%s has a prefix length (give the bare address)" % show(value)
    try:
        return netaddr.IPAddress(text, flags=netaddr.INET_PTON), None
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None, "%s is not an IP address" % show(value)


def parse_network(value):
    """A network in CIDR form (prefix length required, host bits clear)."""
    if not isinstance(value, str):
        return None, "is %s, not a CIDR string" % _type_name(value)
    text = value.strip()
    if "/" not in text:
        return None, "%s has no prefix length (expected CIDR such as 10.10.0.0/24)" % show(value)
    address, _sep, prefix = text.partition("/")
    if not prefix.isdigit():
        return None, "%s is not a network in CIDR form" % show(value)
    try:
        ip = netaddr.IPAddress(address, flags=netaddr.INET_PTON)
        network = netaddr.IPNetwork("%s/%s" % (ip, int(prefix)))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None, "%s is not a network in CIDR form" % show(value)
    if network.network != network.ip:
        return None, "%s has host bits set (did you mean %s?)" % (show(value), network.cidr)
    return network, None


def parse_pool_entry(value):
    """A MetalLB pool entry: CIDR or 'first-last' range. Returns (IPSet, reason)."""
    if not isinstance(value, str):
        return None, "is %s, not a CIDR or range string" % _type_name(value)
    text = value.strip()
    if "-" in text:
        parts = [part.strip() for part in text.split("-")]
        if len(parts) != 2:
            return None, "%s is not a range (expected first-last, e.g. 10.10.0.200-10.10.0.220)" % show(value)
        first, reason = parse_address(parts[0])
        last, reason_last = parse_address(parts[1])
        if first is None or last is None:
            return None, "%s is not a range of two IP addresses (%s)" % (show(value), reason or reason_last)
        if first.version != last.version:
            return None, "%s mixes IPv4 and IPv6" % show(value)
        if first > last:
            return None, "%s starts after it ends" % show(value)
        return netaddr.IPSet(netaddr.IPRange(first, last)), None
    if "/" in text:
        network, reason = parse_network(text)
        if network is None:
            return None, reason
        return netaddr.IPSet([network]), None
    address, _reason = parse_address(text)
    if address is not None:
        suffix = "/32" if address.version == 4 else "/128"
        return None, "%s is a bare address (write %s%s, or a range)" % (show(value), address, suffix)
    return None, "%s is neither a CIDR nor a first-last range" % show(value)


def describe_set(ipset):
    """A short text for an IPSet: its first range (and how many more)."""
    ranges = list(ipset.iter_ipranges())
    if not ranges:
        return "nothing"
    first = ranges[0]
    text = str(first[0]) if first.size == 1 else "%s-%s" % (first[0], first[-1])
    if len(ranges) > 1:
        text += " (and %d more ranges)" % (len(ranges) - 1)
    return text


def special_addresses(network):
    """The network and broadcast addresses of an IPv4 network that has them."""
    if network.version != 4 or network.prefixlen >= 31:
        return {}
    return {network.network: "network address", network.broadcast: "broadcast address"}


def dns_label_reason(name, max_length=63):
    """Why ``name`` is not a DNS-1123 label (None when it is one)."""
    if not name:
        return "is empty"
    reasons = []
    if len(name) > max_length:
        reasons.append("is %d characters long (at most %d)" % (len(name), max_length))
    if name != name.lower():
        reasons.append("has uppercase letters")
    bad = sorted(set(ch for ch in name.lower() if not (ch.isascii() and (ch.isalnum() or ch == "-"))))
    if bad:
        reasons.append("contains %s" % ", ".join(show(ch) for ch in bad))
    if name.startswith("-") or name.endswith("-"):
        reasons.append("starts or ends with '-'")
    if reasons:
        return " and ".join(reasons)
    if not DNS_LABEL_RE.match(name):
        return "is not a DNS-1123 label"
    return None


def suggest_label(name, max_length=63):
    """A DNS-1123 label close to ``name`` (for the fix text)."""
    text = re.sub(r"[^a-z0-9-]+", "-", str(name).lower())
    text = re.sub(r"-{2,}", "-", text).strip("-")
    text = text.lstrip("0123456789-") or "pair"
    return text[:max_length].rstrip("-")


def version_reason(value, what):
    """Why ``value`` is not a pinned release (None when it is one)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "is missing or empty", "pin a concrete release of %s, e.g. 1.2.3" % what
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return "is %s, not a version string" % _type_name(value), 'quote a concrete release of %s, e.g. "1.2.3"' % what
    if _is_number(value):
        return (
            "is the number %s (YAML reads an unquoted version as a number, and it has no patch version)" % show(value),
            'write the full X.Y.Z release of %s as a quoted string, e.g. "%s.<patch>"' % (what, value),
        )
    text = value.strip()
    lowered = text.lower()
    if lowered.lstrip("v") in FLOATING_WORDS or lowered in FLOATING_WORDS:
        return "%s is a floating tag, not a release" % show(value), "pin a concrete release of %s (X.Y.Z)" % what
    if any(ch in WILDCARD_CHARS for ch in text) or re.search(r"(^|\.)[xX](\.|$)", text):
        return "%s is a wildcard or range, not a release" % show(value), "pin one concrete release of %s (X.Y.Z)" % what
    if PARTIAL_VERSION_RE.match(text):
        return "%s has no patch version and floats with new releases" % show(value), "pin the full X.Y.Z release of %s" % what
    if not CLIENT_VERSION_RE.match(text):
        return (
            "%s is not a release version (expected [v]X.Y.Z, optionally with a -suffix or @sha256 digest)" % show(value),
            "pin a concrete release of %s" % what,
        )
    suffix_words = set(re.split(r"[-+.@:]", lowered.split("@")[0])) & FLOATING_WORDS
    if suffix_words:
        return "%s carries the floating marker %s" % (show(value), show(sorted(suffix_words)[0])), "pin a published release of %s" % what
    return None


def placeholder_reason(value):
    """Why a secret looks like a placeholder (None when it does not). Never includes the value."""
    text = value.strip()
    lowered = text.lower()
    compact = re.sub(r"[^a-z0-9]", "", lowered)
    if "{{" in text or "{%" in text:
        return "contains an unrendered template"
    if (text.startswith("<") and text.endswith(">")) or (text.startswith("${") and text.endswith("}")):
        return "looks like a placeholder"
    for word in PLACEHOLDER_WORDS:
        if word in compact:
            return "looks like a placeholder"
    if compact in ("token", "k3stoken", "todo", "test", "default", "xxx", "none", "null"):
        return "looks like a placeholder"
    if len(set(text)) < PLACEHOLDER_MIN_DISTINCT:
        return "has fewer than %d distinct characters, so it is not random" % PLACEHOLDER_MIN_DISTINCT
    return None


# ---------------------------------------------------------------------------------------------------
# the checks


def cluster_hosts(groups):
    """Cluster hosts in a stable order: servers, agents, then any other host of k3s_cluster."""
    ordered = []
    for group in (SERVERS, AGENTS, CLUSTER):
        for host in groups.get(group) or ():
            if host not in ordered:
                ordered.append(host)
    return ordered


def _check_groups(groups, problems):
    servers = list(groups.get(SERVERS) or ())
    agents = list(groups.get(AGENTS) or ())
    cluster = list(groups.get(CLUSTER) or ())
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
            problems.add(SERVERS, "host %s is in both k3s_servers and k3s_agents" % host, "keep each host in exactly one of the two groups")
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


def _check_consistency(hostvars, hosts, problems):
    """Cluster-wide variables must have one value on every host (values are not shown)."""
    for name in CLUSTER_VARS:
        seen = []  # list of (value, [hosts])
        for host in hosts:
            value = hostvars.get(host, {}).get(name, _MISSING)
            for known, members in seen:
                if known == value and type(known) is type(value):
                    members.append(host)
                    break
            else:
                seen.append((value, [host]))
        if len(seen) > 1:
            groups_text = " vs ".join(", ".join(members) for _value, members in seen[:3])
            problems.add(
                name,
                "differs between hosts (%s)%s" % (groups_text, ", set on some hosts only" if any(v is _MISSING for v, _m in seen) else ""),
                "a cluster-wide variable must have one value: set it once in group_vars/all (or k3s_cluster), not per host or per group",
            )


def _check_unresolved(hostvars, hosts, problems):
    reported = set()
    for host in hosts:
        for name, value in sorted(hostvars.get(host, {}).items()):
            if not isinstance(value, Unresolved):
                continue
            key = name if name in CLUSTER_VARS else (name, host)
            if key in reported:
                continue
            reported.add(key)
            subject = name if name in CLUSTER_VARS else "%s (host %s)" % (name, host)
            problems.add(subject, "could not be templated: %s" % value.message, "define the variables it refers to (vault files loaded?) or fix the expression")


def _required_string(view, name, problems, fix):
    value = view.get(name)
    if value is _SKIP:
        return None
    if value is _MISSING or (isinstance(value, str) and not value.strip()):
        problems.add(name, "is missing", fix)
        return None
    if not isinstance(value, str):
        problems.add(name, "is %s, not a string" % _type_name(value), fix)
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
    return networks


def _check_basic_vars(view, problems):
    network = view.get("chainops_network")
    if network is _MISSING:
        problems.add("chainops_network", "is missing", "set the Ethereum network every pair joins: one of %s" % ", ".join(NETWORKS))
    elif network is not _SKIP and network not in NETWORKS:
        problems.add("chainops_network", "%s is not a supported network" % show(network), "use one of %s" % ", ".join(NETWORKS))

    zone = _required_string(view, "chainops_zone", problems, "set the failure domain above racks (a label value such as dc1)")
    if zone is not None and (len(zone) > 63 or not LABEL_VALUE_RE.match(zone)):
        problems.add(
            "chainops_zone",
            "%s is not a valid Kubernetes label value" % show(zone),
            "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        )

    for name in ("chainops_render_dir", "chainops_secrets_dir"):
        _required_string(view, name, problems, "set a controller directory path (see inventories/production-example)")

    for name in ("chainops_apply", "chainops_lab"):
        value = view.get(name)
        if value not in (_MISSING, _SKIP) and not isinstance(value, bool):
            problems.add(name, "is %s %s, not a boolean" % (_type_name(value), show(value)), "set it to true or false (unquoted)")

    for name in ("chainops_mgmt_interface", "chainops_p2p_interface"):
        value = _required_string(view, name, problems, "set the host interface name, e.g. eth0")
        if value is not None and (not INTERFACE_RE.match(value) or value in (".", "..")):
            problems.add(name, "%s is not a valid Linux interface name" % show(value), "use the interface name as `ip link` shows it (at most 15 characters)")


def _check_networks(view, problems):
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
    for name, cidrs in (("k3s_cluster_cidr", cluster), ("k3s_service_cidr", service)):
        for cidr in cidrs or ():
            for label, host_net in (("chainops_mgmt_network", nets["mgmt"]), ("chainops_p2p_network", nets["p2p"])):
                if host_net is not None and netaddr.IPSet([cidr]) & netaddr.IPSet([host_net]):
                    problems.add(name, "%s overlaps %s %s" % (cidr, label, host_net), "pick a %s range that no host network uses" % name.split("_")[1])

    admin = view.get("chainops_admin_cidrs")
    admin_nets = []
    if admin is _MISSING:
        problems.add("chainops_admin_cidrs", "is missing", "list the networks SSH is allowed from, e.g. [10.10.0.0/24]")
    elif admin is not _SKIP:
        if not isinstance(admin, list) or not admin:
            problems.add("chainops_admin_cidrs", _not_list_reason(admin), "list the networks SSH is allowed from, e.g. [10.10.0.0/24]")
        else:
            for index, entry in enumerate(admin):
                network, reason = parse_network(entry)
                if network is None:
                    address, _ignored = parse_address(entry)
                    if address is None:
                        problems.add("chainops_admin_cidrs[%d]" % index, reason, "use a CIDR such as 198.51.100.0/28 (or a single address)")
                        continue
                    network = netaddr.IPNetwork(address)
                admin_nets.append(network)
            for network in admin_nets:
                for name, cidrs in (("k3s_cluster_cidr", cluster), ("k3s_service_cidr", service)):
                    for cidr in cidrs or ():
                        if netaddr.IPSet([network]) & netaddr.IPSet([cidr]):
                            problems.add(
                                "chainops_admin_cidrs",
                                "%s overlaps %s %s" % (network, name, cidr),
                                "admin networks are outside the cluster: move %s or the admin range" % name,
                            )
    return nets, cluster or [], service or []


def _check_k3s_version(view, problems):
    value = view.get("k3s_version")
    if value is _SKIP:
        return
    fix = "pin a k3s release such as v1.33.5+k3s1 (see https://github.com/k3s-io/k3s/releases)"
    if value is _MISSING:
        problems.add("k3s_version", "is missing", fix)
    elif not isinstance(value, str):
        problems.add("k3s_version", "is %s, not a string" % _type_name(value), fix)
    elif not K3S_VERSION_RE.match(value.strip()):
        if value.strip().lower() in FLOATING_WORDS or value.strip().lower() in ("testing",):
            reason = "%s is a release channel, not a pinned release" % show(value)
        else:
            reason = "%s is not a pinned k3s release (expected vX.Y.Z+k3sN)" % show(value)
        problems.add("k3s_version", reason, fix)


def _check_hosts(hostvars, hosts, nets, problems):
    """Host variables; returns {host: {"mgmt": ip, "p2p": ip}} for the addresses that parsed."""
    addresses = {}
    by_address = {"mgmt": {}, "p2p": {}}
    node_names = {}
    for host in hosts:
        hv = hostvars.get(host, {})
        addresses[host] = {}
        for kind, name, net_name in (("mgmt", "chainops_mgmt_address", "chainops_mgmt_network"), ("p2p", "chainops_p2p_address", "chainops_p2p_network")):
            subject = "%s (host %s)" % (name, host)
            value = hv.get(name)
            if isinstance(value, Unresolved):
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
            if network is None:
                continue
            if address not in network:
                problems.add(subject, "%s is outside %s %s" % (address, net_name, network), "use an address inside %s, or correct %s" % (net_name, net_name))
            elif address in special_addresses(network):
                problems.add(subject, "%s is the %s of %s %s" % (address, special_addresses(network)[address], net_name, network), "use a usable host address")

        rack = hv.get("chainops_rack")
        if not isinstance(rack, Unresolved):
            subject = "chainops_rack (host %s)" % host
            if rack is None or (isinstance(rack, str) and not rack.strip()):
                problems.add(subject, "is missing", "set the host's rack (a label value such as rack-a; use one value everywhere if you have one rack)")
            elif not isinstance(rack, str) or len(rack) > 63 or not LABEL_VALUE_RE.match(rack):
                problems.add(
                    subject,
                    "%s is not a valid Kubernetes label value" % show(rack),
                    "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                )

        node_name = hv.get("chainops_node_name")
        if isinstance(node_name, Unresolved):
            continue
        explicit = node_name is not None
        node_name = node_name if explicit else host
        subject = "chainops_node_name (host %s)" % host
        source = "" if explicit else " (defaulted from inventory_hostname)"
        if not isinstance(node_name, str):
            problems.add(subject, "is %s, not a string" % _type_name(node_name), "set a DNS-1123 name such as %s" % show(suggest_label(host)))
            continue
        if len(node_name) > 253 or not DNS_SUBDOMAIN_RE.match(node_name):
            problems.add(
                subject,
                "node name %s%s is not a valid Kubernetes node name (DNS-1123 subdomain)" % (show(node_name), source),
                "set chainops_node_name to lowercase letters, digits, '-' and '.', e.g. %s" % show(suggest_label(node_name)),
            )
        node_names.setdefault(node_name, []).append(host)

    for node_name, owners in node_names.items():
        if len(owners) > 1:
            problems.add(
                "chainops_node_name",
                "node name %s is used by hosts %s" % (show(node_name), ", ".join(owners)),
                "give every host its own chainops_node_name (it defaults to inventory_hostname)",
            )
    for kind, name in (("mgmt", "chainops_mgmt_address"), ("p2p", "chainops_p2p_address")):
        for address, owners in by_address[kind].items():
            if len(owners) > 1:
                problems.add(name, "%s is used by hosts %s" % (address, ", ".join(owners)), "give every host its own %s" % name)
    return addresses


def _check_vip(view, nets, addresses, problems):
    value = view.get("k3s_api_vip")
    if value is _SKIP:
        return None
    fix = "pick a free address inside chainops_mgmt_network that is neither a node address nor in a MetalLB pool"
    if value is _MISSING:
        problems.add("k3s_api_vip", "is missing", "set the API server VIP: " + fix)
        return None
    vip, reason = parse_address(value)
    if vip is None:
        problems.add("k3s_api_vip", reason, fix)
        return None
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
    return vip


def _check_pools(view, context, problems):
    """Returns the number of addresses in pools announced on the p2p network (None if unknown)."""
    nets, addresses, vip = context["nets"], context["addresses"], context["vip"]
    cluster, service = context["cluster"], context["service"]
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
    p2p_size = 0
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
        if not isinstance(name, str) or not name:
            problems.add(subject + ".name", "is missing", "name every pool (a DNS-1123 label such as api or p2p)")
        else:
            subject = "metallb_pools[%d] (pool %s)" % (index, name)
            reason = dns_label_reason(name)
            if reason:
                problems.add(subject + ".name", "%s %s" % (show(name), reason), "use a DNS-1123 label, e.g. %s" % show(suggest_label(name), 70))
            names.setdefault(name, []).append(index)
        kind = pool.get("network")
        network = None
        if kind not in POOL_NETWORKS:
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
        if kind == "p2p":
            p2p_size += pool_set.size
    for name, indexes in names.items():
        if len(indexes) > 1:
            problems.add(
                "metallb_pools", "pool name %s is used by entries %s" % (show(name), ", ".join(str(i) for i in indexes)), "give every pool a unique name"
            )
    return p2p_size if complete else None


def _check_client(pair_subject, slot, client, clients, problems):
    """``clients`` is (known for this slot, known for the other slot)."""
    known, other = clients
    subject = "%s.%s.client" % (pair_subject, slot)
    if client is None:
        problems.add(subject, "is missing", "set one of %s" % ", ".join(known))
        return None
    if not isinstance(client, str):
        problems.add(subject, "is %s, not a client name" % _type_name(client), "set one of %s" % ", ".join(known))
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
        problems.add(subject, "%s is not a known %s client" % (show(client), slot), "use one of %s" % ", ".join(known))
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


def _check_pairs(view, execution_clients, consensus_clients, problems):
    """Returns the number of pairs (None when chainops_pairs is unusable)."""
    pairs = view.get("chainops_pairs")
    share = _check_share(view, problems)
    if pairs is _SKIP:
        return None
    example = "[{name: geth-lighthouse, execution: {client: geth, version: v1.16.5}, consensus: {client: lighthouse, version: v8.0.0}}]"
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
        name = pair.get("name")
        if name is None or name == "":
            problems.add(subject + ".name", "is missing", "name the pair with a DNS-1123 label, e.g. geth-lighthouse")
        elif not isinstance(name, str):
            problems.add(subject + ".name", "is %s, not a string" % _type_name(name), "name the pair with a DNS-1123 label, e.g. geth-lighthouse")
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
            client = _check_client(subject, slot, side.get("client"), (known, other), problems)
            if client is not None:
                chosen[slot].append(client)
            reason = version_reason(side.get("version"), client or "the client")
            if reason:
                problems.add("%s.%s.version" % (subject, slot), reason[0], reason[1])

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


def _check_secrets(view, problems):
    token = view.get("k3s_token")
    if token not in (_MISSING, _SKIP) and token != "":
        if not isinstance(token, str):
            problems.add("k3s_token", "is %s, not a string (value not shown)" % _type_name(token), _JOIN_KEY_FIX)
        else:
            reason = placeholder_reason(token)
            if reason:
                problems.add("k3s_token", "%s (value not shown)" % reason, _JOIN_KEY_FIX)
            elif len(token.strip()) < TOKEN_MIN_LENGTH:
                problems.add(
                    "k3s_token", "is %d characters long, at least %d are required (value not shown)" % (len(token.strip()), TOKEN_MIN_LENGTH), _JOIN_KEY_FIX
                )

    enabled = view.get("k3s_etcd_s3_enabled")
    if enabled in (_MISSING, _SKIP):
        return
    if not isinstance(enabled, bool):
        problems.add("k3s_etcd_s3_enabled", "is %s %s, not a boolean" % (_type_name(enabled), show(enabled)), "set it to true or false (unquoted)")
        return
    if not enabled:
        return
    bucket = view.get("k3s_etcd_s3_bucket")
    if bucket is _MISSING or (isinstance(bucket, str) and not bucket.strip()):
        problems.add(
            "k3s_etcd_s3_bucket", "is missing while k3s_etcd_s3_enabled is true", "set the bucket for etcd snapshots, or set k3s_etcd_s3_enabled: false"
        )
    elif bucket is not _SKIP and not isinstance(bucket, str):
        problems.add("k3s_etcd_s3_bucket", "is %s, not a string" % _type_name(bucket), "set the bucket name as a string")
    for name in ("k3s_etcd_s3_access_key", "k3s_etcd_s3_secret_key"):
        value = view.get(name)
        fix = "put %s in an ansible-vault file (group_vars/all/vault.yml), or set k3s_etcd_s3_enabled: false" % name
        if value is _SKIP:
            continue
        if value is _MISSING or (isinstance(value, str) and not value.strip()):
            problems.add(name, "is missing while k3s_etcd_s3_enabled is true", fix)
        elif not isinstance(value, str):
            problems.add(name, "is %s, not a string (value not shown)" % _type_name(value), fix)
        else:
            reason = placeholder_reason(value)
            if reason:
                problems.add(name, "%s (value not shown)" % reason, fix)


def _check_extra(extra_checks, problems):
    for index, entry in enumerate(extra_checks or ()):
        subject = "preflight_extra_checks[%d]" % index
        if not isinstance(entry, dict) or "that" not in entry:
            problems.add(subject, "is %s without 'that'" % _type_name(entry), "write each extra check as {that: <condition>, msg: <what to fix>}")
            continue
        that = entry.get("that")
        msg = entry.get("msg") or "an extra check failed"
        if isinstance(that, Unresolved):
            problems.add(subject, "could not be evaluated: %s" % that.message, "fix the condition")
        elif not isinstance(that, bool):
            problems.add(subject, "'that' is %s %s, not a boolean" % (_type_name(that), show(that)), "write a condition that renders to true or false")
        elif not that:
            problems.add(subject, str(msg), "see preflight_extra_checks in the inventory")


def check_inventory(hostvars, groups, execution_clients=EXECUTION_CLIENTS, consensus_clients=CONSENSUS_CLIENTS, extra_checks=None):
    """Check an inventory; return the list of problems (one line each; empty means it passed).

    ``hostvars`` maps each cluster host to its variables (templated, plain data; a variable that could not be
    templated is an ``Unresolved``). ``groups`` maps group names to host lists (k3s_servers, k3s_agents,
    k3s_cluster). Cluster-wide values are read from the first server.
    """
    if netaddr is None:
        return ["netaddr: the Python library is not installed on the controller (%s); fix: pip install netaddr (see requirements.txt)" % NETADDR_IMPORT_ERROR]
    problems = _Problems()
    _check_groups(groups, problems)
    hosts = cluster_hosts(groups)
    _check_extra(extra_checks, problems)
    if not hosts:
        return problems.lines
    _check_unresolved(hostvars, hosts, problems)
    _check_consistency(hostvars, hosts, problems)
    view = _View(hostvars.get(hosts[0], {}))
    _check_basic_vars(view, problems)
    nets, cluster, service = _check_networks(view, problems)
    _check_k3s_version(view, problems)
    addresses = _check_hosts(hostvars, hosts, nets, problems)
    vip = _check_vip(view, nets, addresses, problems)
    context = {"nets": nets, "addresses": addresses, "vip": vip, "cluster": cluster, "service": service}
    p2p_size = _check_pools(view, context, problems)
    pair_count = _check_pairs(view, tuple(execution_clients), tuple(consensus_clients), problems)
    if p2p_size is not None and pair_count and p2p_size < pair_count:
        problems.add(
            "metallb_pools",
            "the pools announced on p2p hold %d addresses but chainops_pairs has %d pairs (each pair needs its own stable P2P address)"
            % (p2p_size, pair_count),
            "add a pool with network: p2p, or enlarge it to at least %d addresses" % pair_count,
        )
    _check_secrets(view, problems)
    return problems.lines
