# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: what every preflight checks module shares (controller only).

The value helpers (parsing, short renderings of values), the ``_Problems`` collector and the ``_View`` a check
reads the inventory through. Plain Python over plain data; secret values are never part of a message.
"""

from __future__ import annotations

import difflib
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
HOST_VARS = (
    "chainops_mgmt_address",
    "chainops_p2p_address",
    "chainops_rack",
    "chainops_node_name",
    "ansible_host",
    "ansible_connection",
)

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
    "chainops_allow_open_admin_cidrs",
    "k3s_etcd_s3_endpoint",
    "k3s_install_mode",
    "k3s_airgap_dir",
)

# Variables whose values never appear in a message.
SECRET_VARS = frozenset(("k3s_token", "k3s_etcd_s3_access_key", "k3s_etcd_s3_secret_key"))

# Everything the checks read from a host (role options and the variables that feed them are added to
# this by _checks_variables, from the roles' own defaults and argument specs).
INVENTORY_VARS = HOST_VARS + CLUSTER_VARS

# Inventory-level variables no role default names but a layer or preflight reads.
EXTRA_INVENTORY_VARS = ("preflight_extra_checks", "chainops_kubeconfig")

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


class Unread:
    """A variable the inventory sets but preflight did not template (only its name matters, for spelling)."""

    def __repr__(self):
        return "Unread()"


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
    """Collects problem lines (``add``) and operator notices (``notice``: opt-outs the run summary names)."""

    def __init__(self):
        self.lines = []
        self.notices = []

    def add(self, subject, problem, fix):
        line = "%s: %s; fix: %s" % (subject, problem, fix)
        self.lines.append(" ".join(line.split()))

    def notice(self, text):
        text = " ".join(text.split())
        if text not in self.notices:
            self.notices.append(text)


class _View:
    """Reads cluster-wide variables from one host's variables; unresolved ones are reported once, then skipped.

    Besides ``get`` (one cluster-wide value), a check reaches the whole inventory: ``hostvars`` (every cluster
    host's variables), ``hosts`` (cluster hosts, servers first), ``groups`` and ``context``, a dict where earlier
    checks leave what later ones need (parsed networks, node addresses, the VIP, ...).
    """

    def __init__(self, variables, hostvars=None, hosts=(), groups=None, options=None):
        self.variables = variables
        self.hostvars = hostvars if hostvars is not None else {}
        self.hosts = list(hosts)
        self.groups = groups if groups is not None else {}
        self.options = options if options is not None else {}
        self.context = {}

    def get(self, name):
        if name not in self.variables:
            return _MISSING
        value = self.variables[name]
        if value is None:
            return _MISSING
        if isinstance(value, (Unresolved, Unread)):
            return _SKIP
        return value

    def get_or(self, name, default):
        """``get``, with ``default`` (the role's default) when the variable is not set; _SKIP stays _SKIP."""
        value = self.get(name)
        return default if value is _MISSING else value

    def host_get(self, host, name):
        """A host's own value of ``name`` (same _MISSING/_SKIP conventions as ``get``)."""
        variables = self.hostvars.get(host, {})
        if name not in variables or variables[name] is None:
            return _MISSING
        if isinstance(variables[name], (Unresolved, Unread)):
            return _SKIP
        return variables[name]

    def group(self, name):
        return list(self.groups.get(name) or ())


def scalar_reason(value, name, example="text"):
    """Why ``value`` is not the string ``name`` needs, as (reason, fix); None when it is a string.

    A YAML boolean or number where a string was meant gets a fix that says to quote it."""
    if isinstance(value, str):
        return None
    if isinstance(value, bool):
        return (
            "is the boolean %s: YAML reads an unquoted yes/no/on/off/true/false as a boolean, not as text" % ("true" if value else "false"),
            'quote the value, e.g. %s: "%s"' % (name, example),
        )
    if _is_number(value):
        return (
            "is the number %s: YAML reads an unquoted number as a number, not as text" % show(value),
            'quote the value, e.g. %s: "%s"' % (name, value),
        )
    return ("is %s, not a string" % _type_name(value), 'set it to a string, e.g. %s: "%s"' % (name, example))


def closest_name(name, known, cutoff=0.8):
    """The known name closest to ``name`` (difflib), or None when none is close."""
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def edit_distance(first, second, limit=3):
    """Damerau-Levenshtein distance (adjacent transpositions count once), cut off above ``limit``."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous2 = None
    previous = list(range(len(second) + 1))
    for i, char in enumerate(first, 1):
        current = [i] + [0] * len(second)
        for j, other in enumerate(second, 1):
            cost = 0 if char == other else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and char == second[j - 2] and first[i - 2] == other:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
        if min(previous) > limit:
            return limit + 1
    return previous[-1]


def unknown_key_problems(subject, mapping, known, problems, what):
    """One problem per key of ``mapping`` that is not in ``known`` (with the closest known key)."""
    for key in mapping:
        if key in known:
            continue
        close = closest_name(str(key), known, cutoff=0.6)
        if close is not None:
            problems.add("%s.%s" % (subject, key), "is not a key of %s (did you mean %s?)" % (what, close), "rename it to %s" % close)
        else:
            problems.add(
                "%s.%s" % (subject, key),
                "is not a key of %s; nothing reads it" % what,
                "remove it; the keys are %s" % ", ".join(sorted(known)),
            )


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
