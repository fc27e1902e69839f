# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: the client profiles under data/clients (controller only).

One YAML file per Ethereum client describes its image, the version tag convention, the accepted versions and the
container's command and flags. This module loads and validates those files (``load_profiles``), judges a version
an inventory pins (``version_reason``), and renders a client's argument list for a given version and context
(``render_args``). Plain Python over plain data: unit-tested without Ansible. data/clients/README.md documents
the file format; every error names the file and the key at fault.
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import yaml
except ImportError as exc:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None
    YAML_IMPORT_ERROR = exc
else:
    YAML_IMPORT_ERROR = None

KINDS = ("execution", "consensus")
MODES = ("public", "devnet")
PUBLIC_NETWORKS = ("mainnet", "hoodi", "sepolia")
PORT_PROTOCOLS = ("TCP", "UDP")
PORT_SCOPES = ("p2p", "cluster", "loopback")

TOP_REQUIRED = ("name", "kind", "image", "version")
TOP_OPTIONAL = (
    "description",
    "docs",
    "sources",
    "verified",
    "p2p",
    "run_as",
    "command",
    "args",
    "env",
    "ports",
    "probes",
    "resources",
    "shutdown",
    "init",
    "devnet",
    "quirks",
)
VERSION_REQUIRED = ("tag_prefix", "minimum", "recommended", "source")
VERSION_OPTIONAL = ("next_fork_ready", "note", "variants", "networks")
VERSION_NETWORK_KEYS = ("minimum", "reason")
ARG_KEYS = ("arg", "args", "source", "since", "until", "modes", "networks", "when", "note")
ENV_KEYS = ("name", "value", "source", "since", "until", "modes", "networks", "when", "note")
PORT_KEYS = ("name", "var", "default", "protocols", "scope", "note", "since", "until")
RUN_AS_KEYS = ("uid", "gid", "image_default_user", "note", "source")
PROBE_KEYS = ("startup_seconds", "health", "note", "source")
RESOURCE_KEYS = ("requests", "limits", "jvm_heap", "source", "note")
P2P_KEYS = ("announce_other_port", "note", "source")
SHUTDOWN_KEYS = ("grace_seconds", "signal", "note", "source")
INIT_KEYS = ("command", "args", "when", "note", "source", "marker")
DEVNET_KEYS = ("test_only", "requires", "since", "note")
QUIRK_KEYS = ("id", "text", "source")
VERIFIED_VALUES = ("docs", "binary")

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
PORT_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$")
VAR_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
RELEASE_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
FLOATING_WORDS = frozenset(
    ("latest", "stable", "edge", "nightly", "master", "main", "develop", "dev", "unstable", "head", "snapshot", "current", "rolling", "canary")
)
PRERELEASE_RE = re.compile(r"(alpha|beta|rc|pre|preview)", re.IGNORECASE)


class ProfileError(ValueError):
    """A client profile file is malformed (the message names the file and the key)."""


class RenderError(ValueError):
    """A client's arguments cannot be rendered from the given version and context."""


def collection_root():
    """The collection's root folder (this file is plugins/plugin_utils/_client_profiles.py)."""
    return Path(__file__).resolve().parents[2]


def profiles_dir(root=None):
    return Path(root) / "data" / "clients" if root is not None else collection_root() / "data" / "clients"


# --- loading and validation -------------------------------------------------------------------------------


def _fail(where, key, problem):
    raise ProfileError("%s: %s %s" % (where, key, problem))


def _require_mapping(where, key, value):
    if not isinstance(value, dict):
        _fail(where, key, "must be a mapping, not %s" % type(value).__name__)


def _require_str(where, key, value, allow_empty=False):
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        _fail(where, key, "must be a non-empty string" if not allow_empty else "must be a string")


def _check_keys(where, prefix, data, required, optional):
    for key in required:
        if key not in data:
            _fail(where, prefix + key, "is missing")
    known = set(required) | set(optional)
    for key in data:
        if key not in known:
            close = _closest(str(key), sorted(known))
            hint = " (did you mean %r?)" % close if close else ""
            _fail(where, prefix + str(key), "is not a known key%s; known: %s" % (hint, ", ".join(sorted(known))))


def _closest(word, candidates):
    best, best_score = None, 0.0
    for cand in candidates:
        score = _similarity(word, cand)
        if score > best_score:
            best, best_score = cand, score
    return best if best_score >= 0.6 else None


def _similarity(a, b):
    if not a or not b:
        return 0.0
    # longest-common-subsequence ratio: good enough for a misspelling hint
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b):
            cur.append(prev[j] + 1 if ch == other else max(prev[j + 1], cur[j]))
        prev = cur
    return 2.0 * prev[-1] / (len(a) + len(b))


def parse_release(text):
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything else raises ValueError."""
    match = RELEASE_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError("%r is not a X.Y.Z release" % (text,))
    return tuple(int(part) for part in match.groups())


def _check_release_field(where, key, value):
    _require_str(where, key, value)
    try:
        return parse_release(value)
    except ValueError:
        _fail(where, key, "must be a bare X.Y.Z release (no prefix), got %r" % (value,))
    return None  # pragma: no cover


def _check_range(where, prefix, entry):
    since = until = None
    if "since" in entry:
        since = _check_release_field(where, prefix + "since", entry["since"])
    if "until" in entry:
        until = _check_release_field(where, prefix + "until", entry["until"])
    if since and until and since >= until:
        _fail(where, prefix + "until", "must be later than since")


def _check_selectors(where, prefix, entry):
    _check_range(where, prefix, entry)
    if "modes" in entry:
        modes = entry["modes"]
        if not isinstance(modes, list) or not modes or any(m not in MODES for m in modes):
            _fail(where, prefix + "modes", "must be a non-empty list of %s" % "/".join(MODES))
    if "networks" in entry:
        nets = entry["networks"]
        if not isinstance(nets, list) or not nets or any(n not in PUBLIC_NETWORKS for n in nets):
            _fail(where, prefix + "networks", "must be a non-empty list of %s" % "/".join(PUBLIC_NETWORKS))
    if "when" in entry and (not isinstance(entry["when"], str) or not VAR_RE.match(entry["when"])):
        _fail(where, prefix + "when", "must name one context variable (lowercase, digits, _)")
    for key in ("source", "note"):
        if key in entry:
            _require_str(where, prefix + key, entry[key])


def _check_strings_with_placeholders(where, key, values):
    for value in values:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            _fail(where, key, "items must be strings, got %r" % (value,))
        for name in PLACEHOLDER_RE.findall(str(value)):
            if not VAR_RE.match(name):
                _fail(where, key, "placeholder {{ %s }} must be lowercase (letters, digits, _)" % name)


def _check_args(where, key, args):
    if not isinstance(args, list):
        _fail(where, key, "must be a list")
    for index, entry in enumerate(args):
        prefix = "%s[%d]." % (key, index)
        _require_mapping(where, prefix[:-1], entry)
        _check_keys(where, prefix, entry, (), ARG_KEYS)
        if ("arg" in entry) == ("args" in entry):
            _fail(where, prefix[:-1], "needs exactly one of arg (one argv item) or args (a list of argv items)")
        values = [entry["arg"]] if "arg" in entry else entry["args"]
        if "args" in entry and (not isinstance(values, list) or not values):
            _fail(where, prefix + "args", "must be a non-empty list")
        _check_strings_with_placeholders(where, prefix + ("arg" if "arg" in entry else "args"), values)
        if "source" not in entry:
            _fail(where, prefix + "source", "is missing (every flag names where it is documented)")
        _check_selectors(where, prefix, entry)


def _check_version(where, version):
    _require_mapping(where, "version", version)
    _check_keys(where, "version.", version, VERSION_REQUIRED, VERSION_OPTIONAL)
    prefix = version["tag_prefix"]
    _require_str(where, "version.tag_prefix", prefix, allow_empty=True)
    if prefix and not re.match(r"^[A-Za-z][A-Za-z0-9._-]*$", prefix):
        _fail(where, "version.tag_prefix", "must be letters, digits, '.', '_' or '-' (or empty), got %r" % prefix)
    minimum = _check_release_field(where, "version.minimum", version["minimum"])
    recommended = _check_release_field(where, "version.recommended", version["recommended"])
    if recommended < minimum:
        _fail(where, "version.recommended", "(%s) is older than version.minimum (%s)" % (version["recommended"], version["minimum"]))
    _require_str(where, "version.source", version["source"])
    if "next_fork_ready" in version and not isinstance(version["next_fork_ready"], bool):
        _fail(where, "version.next_fork_ready", "must be true or false")
    if "note" in version:
        _require_str(where, "version.note", version["note"])
    if "networks" in version:
        networks = version["networks"]
        _require_mapping(where, "version.networks", networks)
        for net, entry in networks.items():
            key = "version.networks.%s" % net
            if net not in PUBLIC_NETWORKS:
                _fail(where, key, "names an unknown network; use one of %s" % ", ".join(PUBLIC_NETWORKS))
            _require_mapping(where, key, entry)
            _check_keys(where, key + ".", entry, VERSION_NETWORK_KEYS, ())
            net_min = _check_release_field(where, key + ".minimum", entry["minimum"])
            if net_min <= minimum:
                _fail(where, key + ".minimum", "(%s) must be later than version.minimum (%s); drop it otherwise" % (entry["minimum"], version["minimum"]))
            if net_min > recommended:
                _fail(where, "version.recommended", "(%s) is older than %s.minimum (%s)" % (version["recommended"], key, entry["minimum"]))
            _require_str(where, key + ".reason", entry["reason"])
    if "variants" in version:
        variants = version["variants"]
        if not isinstance(variants, list) or any(not isinstance(v, str) or not re.match(r"^-[a-z0-9][a-z0-9.-]*$", v) for v in variants):
            _fail(where, "version.variants", "must be a list of tag suffixes such as '-chiseled'")


def _check_ports(where, ports):
    if not isinstance(ports, list) or not ports:
        _fail(where, "ports", "must be a non-empty list")
    names, variables = set(), set()
    for index, port in enumerate(ports):
        prefix = "ports[%d]." % index
        _require_mapping(where, prefix[:-1], port)
        _check_keys(where, prefix, port, ("name", "var", "default", "protocols", "scope"), ("note", "since", "until"))
        if not isinstance(port["name"], str) or not PORT_NAME_RE.match(port["name"]):
            _fail(where, prefix + "name", "must be a Kubernetes port name (at most 15 lowercase letters, digits, '-')")
        if port["name"] in names:
            _fail(where, prefix + "name", "%r is used twice" % port["name"])
        names.add(port["name"])
        if not isinstance(port["var"], str) or not VAR_RE.match(port["var"]) or not port["var"].endswith("_port"):
            _fail(where, prefix + "var", "must be a context variable ending in _port")
        if port["var"] in variables:
            _fail(where, prefix + "var", "%r is used twice" % port["var"])
        variables.add(port["var"])
        default = port["default"]
        if isinstance(default, bool) or not isinstance(default, int) or not 1 <= default <= 65535:
            _fail(where, prefix + "default", "must be a port number 1-65535")
        protocols = port["protocols"]
        if not isinstance(protocols, list) or not protocols or any(p not in PORT_PROTOCOLS for p in protocols):
            _fail(where, prefix + "protocols", "must be a non-empty list of TCP/UDP")
        if port["scope"] not in PORT_SCOPES:
            _fail(where, prefix + "scope", "must be one of %s" % ", ".join(PORT_SCOPES))
        _check_range(where, prefix, port)


def _check_section(where, key, value, keys):
    _require_mapping(where, key, value)
    _check_keys(where, key + ".", value, (), keys)


def _check_profile(where, data, stem):
    if not isinstance(data, dict):
        raise ProfileError("%s: the file must hold one mapping (a client profile), not %s" % (where, type(data).__name__))
    _check_keys(where, "", data, TOP_REQUIRED, TOP_OPTIONAL)
    name = data["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        _fail(where, "name", "must be a lowercase client name, got %r" % (name,))
    if name != stem:
        _fail(where, "name", "is %r but the file is %s.yml (one file per client, named after it)" % (name, stem))
    if data["kind"] not in KINDS:
        _fail(where, "kind", "must be execution or consensus, got %r" % (data["kind"],))
    image = data["image"]
    _require_str(where, "image", image)
    if ":" in image.rsplit("/", 1)[-1] or "@" in image or "/" not in image:
        _fail(where, "image", "must be a registry/repository without tag or digest, got %r" % image)
    _check_version(where, data["version"])
    for key in ("description", "docs"):
        if key in data:
            _require_str(where, key, data[key])
    if "sources" in data:
        sources = data["sources"]
        _require_mapping(where, "sources", sources)
        for key, value in sources.items():
            if not isinstance(key, str) or not re.match(r"^[a-z0-9][a-z0-9-]*$", key):
                _fail(where, "sources", "keys must be short lowercase names, got %r" % (key,))
            _require_str(where, "sources." + key, value)
    if "p2p" in data:
        _check_section(where, "p2p", data["p2p"], P2P_KEYS)
        if not isinstance(data["p2p"].get("announce_other_port"), bool):
            _fail(where, "p2p.announce_other_port", "must be true or false (and is required)")
    if "verified" in data and data["verified"] not in VERIFIED_VALUES:
        _fail(where, "verified", "must be docs or binary")
    if "command" in data:
        command = data["command"]
        if not isinstance(command, list) or not command:
            _fail(where, "command", "must be a non-empty list")
        _check_strings_with_placeholders(where, "command", command)
    if "args" in data:
        _check_args(where, "args", data["args"])
    if "env" in data:
        env = data["env"]
        if not isinstance(env, list):
            _fail(where, "env", "must be a list")
        for index, entry in enumerate(env):
            prefix = "env[%d]." % index
            _require_mapping(where, prefix[:-1], entry)
            _check_keys(where, prefix, entry, ("name", "value", "source"), tuple(k for k in ENV_KEYS if k not in ("name", "value", "source")))
            if not isinstance(entry["name"], str) or not re.match(r"^[A-Z_][A-Z0-9_]*$", entry["name"]):
                _fail(where, prefix + "name", "must be an environment variable name")
            _check_strings_with_placeholders(where, prefix + "value", [entry["value"]])
            _check_selectors(where, prefix, entry)
    if "ports" in data:
        _check_ports(where, data["ports"])
    if "run_as" in data:
        _check_section(where, "run_as", data["run_as"], RUN_AS_KEYS)
        for key in ("uid", "gid"):
            value = data["run_as"].get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                _fail(where, "run_as." + key, "must be a non-root numeric id (>= 1)")
    if "probes" in data:
        _check_section(where, "probes", data["probes"], PROBE_KEYS)
        seconds = data["probes"].get("startup_seconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1):
            _fail(where, "probes.startup_seconds", "must be a positive number of seconds")
    if "resources" in data:
        _check_section(where, "resources", data["resources"], RESOURCE_KEYS)
        for part in ("requests", "limits"):
            if part in data["resources"]:
                _check_section(where, "resources." + part, data["resources"][part], ("cpu", "memory"))
        if "jvm_heap" in data["resources"] and not re.match(r"^\d+[mg]$", str(data["resources"]["jvm_heap"])):
            _fail(where, "resources.jvm_heap", "must be a JVM size such as 8g")
    if "shutdown" in data:
        _check_section(where, "shutdown", data["shutdown"], SHUTDOWN_KEYS)
        grace = data["shutdown"].get("grace_seconds")
        if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int) or grace < 1):
            _fail(where, "shutdown.grace_seconds", "must be a positive number of seconds")
    if "init" in data:
        _check_section(where, "init", data["init"], INIT_KEYS)
        init = data["init"]
        for key in ("command", "args"):
            if key not in init:
                _fail(where, "init." + key, "is missing")
        _check_strings_with_placeholders(where, "init.command", init["command"])
        _check_args(where, "init.args", init["args"])
    if "devnet" in data:
        _check_section(where, "devnet", data["devnet"], DEVNET_KEYS)
        devnet = data["devnet"]
        if not isinstance(devnet.get("test_only"), bool):
            _fail(where, "devnet.test_only", "must be true or false (and is required)")
        if "since" in devnet:
            _check_release_field(where, "devnet.since", devnet["since"])
        requires = devnet.get("requires", [])
        if not isinstance(requires, list) or any(not isinstance(v, str) or not VAR_RE.match(v) for v in requires):
            _fail(where, "devnet.requires", "must be a list of context variable names")
    if "quirks" in data:
        quirks = data["quirks"]
        if not isinstance(quirks, list):
            _fail(where, "quirks", "must be a list")
        seen = set()
        for index, quirk in enumerate(quirks):
            prefix = "quirks[%d]." % index
            _require_mapping(where, prefix[:-1], quirk)
            _check_keys(where, prefix, quirk, QUIRK_KEYS, ())
            for key in QUIRK_KEYS:
                _require_str(where, prefix + key, quirk[key])
            if quirk["id"] in seen:
                _fail(where, prefix + "id", "%r is used twice" % quirk["id"])
            seen.add(quirk["id"])
    _check_placeholders_known(where, data)
    _check_source_refs(where, data)
    return data


def _check_source_refs(where, data):
    """Flag, env, port and quirk sources must name an entry of the profile's sources mapping."""
    sources = data.get("sources") or {}
    refs = []
    for index, entry in enumerate(data.get("args", [])):
        refs.append(("args[%d].source" % index, entry.get("source")))
    for index, entry in enumerate(data.get("env", [])):
        refs.append(("env[%d].source" % index, entry.get("source")))
    for index, entry in enumerate((data.get("init") or {}).get("args", [])):
        refs.append(("init.args[%d].source" % index, entry.get("source")))
    for index, entry in enumerate(data.get("quirks", [])):
        refs.append(("quirks[%d].source" % index, entry.get("source")))
    for section in ("run_as", "probes", "resources", "shutdown", "init", "p2p"):
        if isinstance(data.get(section), dict) and "source" in data[section]:
            refs.append((section + ".source", data[section]["source"]))
    for key, ref in refs:
        if ref is None:
            continue
        for part in str(ref).split(","):
            name = part.strip()
            if name not in sources:
                known = ", ".join(sorted(sources)) or "none defined"
                _fail(where, key, "names the source %r, which the sources mapping does not define (known: %s)" % (name, known))


def _check_placeholders_known(where, data):
    """Every {{ x }} in the args must be a port variable or a documented context variable."""
    known = set(CONTEXT_VARS) | {p["var"] for p in data.get("ports", [])}
    sections = [("command", data.get("command", []))]
    for index, entry in enumerate(data.get("args", [])):
        sections.append(("args[%d]" % index, [entry.get("arg")] if "arg" in entry else entry.get("args", [])))
    for index, entry in enumerate(data.get("env", [])):
        sections.append(("env[%d].value" % index, [entry.get("value")]))
    init = data.get("init")
    if init:
        sections.append(("init.command", init.get("command", [])))
        for index, entry in enumerate(init.get("args", [])):
            sections.append(("init.args[%d]" % index, [entry.get("arg")] if "arg" in entry else entry.get("args", [])))
    for key, values in sections:
        for value in values:
            for name in PLACEHOLDER_RE.findall(str(value)):
                if name not in known:
                    close = _closest(name, sorted(known))
                    hint = " (did you mean {{ %s }}?)" % close if close else ""
                    _fail(where, key, "uses the unknown placeholder {{ %s }}%s" % (name, hint))
    for index, entry in enumerate(data.get("args", [])):
        when = entry.get("when")
        if when is not None and when not in known:
            _fail(where, "args[%d].when" % index, "names the unknown context variable %r" % when)


# Context variables a profile may use as {{ placeholders }} (data/clients/README.md describes each); the port
# variables each profile declares under ports[].var come on top.
CONTEXT_VARS = (
    "network",
    "data_dir",
    "jwt_file",
    "listen_address",
    "external_ip",
    "allowed_hosts",
    "cors_origins",
    "execution_endpoint",
    "checkpoint_sync_url",
    "heap",
    "genesis_file",
    "config_file",
    "genesis_state_file",
    "bootnodes",
    "network_id",
)


def load_profile_file(path):
    """Load and validate one profile file; returns its mapping."""
    path = Path(path)
    where = str(path)
    if yaml is None:  # pragma: no cover
        raise ProfileError("PyYAML is required to read %s: %s" % (where, YAML_IMPORT_ERROR))
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise ProfileError("%s: cannot be read: %s" % (where, exc)) from exc
    except yaml.YAMLError as exc:
        raise ProfileError("%s: is not valid YAML: %s" % (where, " ".join(str(exc).split()))) from exc
    return _check_profile(where, data, path.stem)


def load_profiles(root=None):
    """Every client profile under ``<root>/data/clients`` (root defaults to this collection), by name."""
    folder = profiles_dir(root)
    if not folder.is_dir():
        raise ProfileError("%s: the client profile folder is missing" % folder)
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    if not files:
        raise ProfileError("%s: holds no client profile (*.yml)" % folder)
    profiles = {}
    for path in files:
        data = load_profile_file(path)
        if data["name"] in profiles:
            raise ProfileError("%s: name %r is already defined by another file" % (path, data["name"]))
        profiles[data["name"]] = data
    return profiles


def clients_of_kind(profiles, kind):
    return tuple(sorted(name for name, data in profiles.items() if data["kind"] == kind))


# --- versions ---------------------------------------------------------------------------------------------


class Version:
    """A parsed client version: the release, the image tag and an optional digest."""

    __slots__ = ("digest", "release", "tag", "text", "variant")

    def __init__(self, release, tag, text, variant="", digest=None):
        self.release = release
        self.tag = tag
        self.text = text
        self.variant = variant
        self.digest = digest

    @property
    def release_text(self):
        return "%d.%d.%d" % self.release

    def __repr__(self):
        return "Version(%s, tag=%s)" % (self.release_text, self.tag)


def _accepted_prefixes(prefix):
    """Prefixes a version may be written with: none, the tag prefix, and 'v' when the tag prefix ends with v."""
    accepted = {"", prefix}
    if prefix.endswith("v"):
        accepted.add("v")
    return accepted


def parse_version(profile, value):
    """Parse an inventory version for ``profile`` into a Version, or raise ValueError with (reason, fix) args."""
    name = profile["name"]
    spec = profile["version"]
    prefix = spec["tag_prefix"]
    example = prefix + spec["recommended"]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("is missing or empty", 'pin a release of %s, e.g. "%s"' % (name, example))
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, (int, float)):
            raise ValueError(
                "is the number %s (YAML reads an unquoted version as a number)" % value,
                'write the full release of %s as a quoted string, e.g. "%s"' % (name, example),
            )
        raise ValueError("is %s, not a version string" % type(value).__name__, 'write a release of %s, e.g. "%s"' % (name, example))
    text = value.strip()
    digest = None
    if "@" in text:
        text, _sep, digest = text.partition("@")
        if not DIGEST_RE.match(digest):
            raise ValueError("%r has a malformed digest (expected @sha256:<64 hex>)" % value, 'write "%s@sha256:<digest>" or drop the digest' % example)
    lowered = text.lower()
    words = set(re.split(r"[-+._:]", lowered))
    if lowered in FLOATING_WORDS or words & FLOATING_WORDS:
        raise ValueError("%r is a floating tag, not a release" % value, 'pin a release of %s, e.g. "%s"' % (name, example))
    match = re.match(r"^(.*?)(\d+)\.(\d+)(?:\.(\d+))?(.*)$", text)
    if not match:
        raise ValueError("%r is not a release version" % value, 'pin a release of %s, e.g. "%s"' % (name, example))
    written_prefix, major, minor, patch, rest = match.groups()
    if patch is None:
        raise ValueError(
            "%r has no patch version and floats with new releases" % value, 'pin the full X.Y.Z release of %s, e.g. "%s"' % (name, example)
        )
    if written_prefix not in _accepted_prefixes(prefix):
        if prefix:
            fix = 'write "%s%s.%s.%s" or "%s.%s.%s" (%s image tags start with %r)' % (prefix, major, minor, patch, major, minor, patch, name, prefix)
        else:
            fix = 'write "%s.%s.%s" (%s image tags have no prefix)' % (major, minor, patch, name)
        raise ValueError("%r has the prefix %r, which %s's tags do not use" % (value, written_prefix, name), fix)
    variant = ""
    if rest:
        if rest in spec.get("variants", []):
            variant = rest
        elif PRERELEASE_RE.search(rest):
            raise ValueError("%r is a pre-release" % value, 'pin a published release of %s, e.g. "%s"' % (name, example))
        else:
            known = ", ".join(spec.get("variants", [])) or "none"
            raise ValueError(
                "%r carries the suffix %r, which is not a known %s image variant (known: %s)" % (value, rest, name, known),
                'pin a plain release of %s, e.g. "%s"' % (name, example),
            )
    release = (int(major), int(minor), int(patch))
    tag = "%s%d.%d.%d%s" % (prefix, release[0], release[1], release[2], variant)
    return Version(release, tag, value, variant, digest)


def minimum_for(profile, network=None):
    """(minimum release text, why) for ``network``: the profile's minimum, or the network's stricter one."""
    spec = profile["version"]
    entry = (spec.get("networks") or {}).get(network)
    if entry:
        return entry["minimum"], entry["reason"]
    return spec["minimum"], "ready for the current fork"


def version_reason(client, value, profiles=None, network=None):
    """Why ``value`` is not an acceptable version of ``client`` (None when it is), as (reason, fix).

    Refuses unknown clients, floating tags, partial versions, pre-releases, a prefix the client's image tags
    do not use, and anything older than the profile's minimum, or than the stricter minimum the profile sets for
    ``network`` (version.networks) when a network is given.
    """
    if profiles is None:
        profiles = load_profiles()
    profile = profiles.get(client) if isinstance(client, str) else None
    if profile is None:
        known = ", ".join(sorted(profiles))
        return ("names the unknown client %r" % (client,), "use one of %s (or add data/clients/<name>.yml)" % known)
    try:
        parsed = parse_version(profile, value)
    except ValueError as exc:
        return exc.args[0], exc.args[1]
    spec = profile["version"]
    minimum_text, why = minimum_for(profile, network)
    if parsed.release < parse_release(minimum_text):
        where = " on %s" % network if minimum_text != spec["minimum"] else ""
        return (
            "%s is older than the oldest %s release this collection accepts%s (%s: %s)" % (parsed.release_text, client, where, minimum_text, why),
            'pin %s %s or later, e.g. the recommended "%s%s"' % (client, minimum_text, spec["tag_prefix"], spec["recommended"]),
        )
    return None


def image_ref(profile, value):
    """The full image reference for a version of ``profile`` (raises ValueError for a bad version)."""
    parsed = parse_version(profile, value)
    ref = "%s:%s" % (profile["image"], parsed.tag)
    return ref + "@" + parsed.digest if parsed.digest else ref


def mode_reason(profile, mode, network, test_inventory=False):
    """Why ``profile`` cannot run in ``mode`` on ``network`` (None when it can), as (reason, fix)."""
    name = profile["name"]
    if mode not in MODES:
        return ("mode %r is unknown" % (mode,), "use one of %s" % ", ".join(MODES))
    if mode == "public":
        if network not in PUBLIC_NETWORKS:
            return ("network %r is not a public network" % (network,), "use one of %s" % ", ".join(PUBLIC_NETWORKS))
        return None
    devnet = profile.get("devnet")
    if not devnet:
        return ("%s has no devnet mode in its profile" % name, "use a public network or add a devnet section to data/clients/%s.yml" % name)
    if devnet["test_only"] and not test_inventory:
        return ("%s's devnet mode is test-only" % name, "run %s on a public network (%s)" % (name, ", ".join(PUBLIC_NETWORKS)))
    return None


# --- rendering --------------------------------------------------------------------------------------------


def _in_range(entry, release):
    if "since" in entry and release < parse_release(entry["since"]):
        return False
    return not ("until" in entry and release >= parse_release(entry["until"]))


def _selected(entry, release, context):
    if not _in_range(entry, release):
        return False
    if "modes" in entry and context["mode"] not in entry["modes"]:
        return False
    if "networks" in entry and context.get("network") not in entry["networks"]:
        return False
    if "when" in entry:
        value = context.get(entry["when"])
        if value is None or value is False or value in ("", []):
            return False
    return True


def _substitute(text, context, where):
    def replace(match):
        name = match.group(1)
        if name not in context or context[name] is None or context[name] == "":
            raise RenderError("%s needs the context variable %r, which is missing or empty" % (where, name))
        value = context[name]
        if isinstance(value, bool):
            raise RenderError("%s: context variable %r is a boolean; give a string or number" % (where, name))
        if isinstance(value, (list, tuple)):
            if not value or any(not isinstance(v, str) or not v for v in value):
                raise RenderError("%s: context variable %r must be a non-empty list of strings" % (where, name))
            return ",".join(value)
        if not isinstance(value, (str, int)):
            raise RenderError("%s: context variable %r is %s, not a string or number" % (where, name, type(value).__name__))
        return str(value)

    return PLACEHOLDER_RE.sub(replace, str(text))


def render_context(profile, context):
    """The context with the profile's default ports filled in for port variables the caller did not give."""
    merged = {port["var"]: port["default"] for port in profile.get("ports", [])}
    heap = (profile.get("resources") or {}).get("jvm_heap")
    if heap:
        merged["heap"] = heap
    merged.update({key: value for key, value in context.items() if value is not None})
    return merged


def _release_of(profile, version):
    if isinstance(version, Version):
        return version.release
    if isinstance(version, tuple):
        return version
    try:
        return parse_version(profile, version).release
    except ValueError as exc:
        raise RenderError("%s version %r: %s" % (profile["name"], version, exc.args[0])) from exc


def _check_context_keys(profile, context):
    """Refuse context variables the profile does not know: a misspelled optional one would silently drop its flag."""
    if not isinstance(context, dict):
        raise RenderError("%s: the context must be a mapping, not %s" % (profile["name"], type(context).__name__))
    known = {"mode"} | set(CONTEXT_VARS) | {p["var"] for p in profile.get("ports", [])}
    for key in context:
        if key in known:
            continue
        close = _closest(str(key), sorted(known))
        hint = " (did you mean %r?)" % close if close else ""
        raise RenderError("%s: context variable %r is not known%s" % (profile["name"], key, hint))


def _check_mode(profile, context, release=None):
    _check_context_keys(profile, context)
    mode = context.get("mode")
    if mode not in MODES:
        raise RenderError("%s: context mode must be one of %s, got %r" % (profile["name"], ", ".join(MODES), mode))
    if mode == "public" and context.get("network") not in PUBLIC_NETWORKS:
        raise RenderError("%s: public mode needs network in %s, got %r" % (profile["name"], ", ".join(PUBLIC_NETWORKS), context.get("network")))
    if mode == "devnet":
        devnet = profile.get("devnet")
        if not devnet:
            raise RenderError("%s has no devnet mode in its profile" % profile["name"])
        for name in devnet.get("requires", []):
            if context.get(name) in (None, "", []):
                raise RenderError("%s devnet mode needs the context variable %r" % (profile["name"], name))
        if release is not None and "since" in devnet and release < parse_release(devnet["since"]):
            raise RenderError(
                "%s devnet mode needs version %s or later, got %s" % (profile["name"], devnet["since"], "%d.%d.%d" % release)
            )


def _render_entries(profile, entries, release, context, label):
    rendered = []
    for index, entry in enumerate(entries):
        if not _selected(entry, release, context):
            continue
        where = "%s %s[%d]" % (profile["name"], label, index)
        values = [entry["arg"]] if "arg" in entry else entry["args"]
        rendered.extend(_substitute(value, context, where) for value in values)
    return rendered


def render_args(profile, version, context):
    """The container argument list of ``profile`` at ``version`` for ``context`` (see data/clients/README.md).

    ``context`` must hold ``mode`` (public or devnet) and, for public mode, ``network``; each placeholder an
    included flag uses must be present. Flags outside their since/until range, mode, networks or ``when`` are left
    out. A missing value is an error, never a silently dropped flag.
    """
    release = _release_of(profile, version)
    _check_mode(profile, context, release)
    merged = render_context(profile, context)
    return _render_entries(profile, profile.get("args", []), release, merged, "args")


def render_command(profile, context):
    merged = render_context(profile, context)
    return [_substitute(value, merged, "%s command" % profile["name"]) for value in profile.get("command", [])]


def render_env(profile, version, context):
    """The container environment as a list of {name, value}."""
    release = _release_of(profile, version)
    _check_mode(profile, context, release)
    merged = render_context(profile, context)
    env = []
    for index, entry in enumerate(profile.get("env", [])):
        if _selected(entry, release, merged):
            env.append({"name": entry["name"], "value": _substitute(entry["value"], merged, "%s env[%d]" % (profile["name"], index))})
    return env


def render_init(profile, version, context):
    """The one-shot init command (command + args) when the profile has one and its ``when`` holds, else None."""
    init = profile.get("init")
    if not init:
        return None
    release = _release_of(profile, version)
    _check_mode(profile, context, release)
    merged = render_context(profile, context)
    if "when" in init and merged.get(init["when"]) in (None, "", []):
        return None
    command = [_substitute(value, merged, "%s init.command" % profile["name"]) for value in init["command"]]
    return command + _render_entries(profile, init["args"], release, merged, "init.args")


def render_ports(profile, version, context):
    """The ports the client opens at ``version``: [{name, port, protocols, scope}], numbers from the context."""
    release = _release_of(profile, version)
    merged = render_context(profile, context)
    ports = []
    for port in profile.get("ports", []):
        if not _in_range(port, release):
            continue
        number = merged[port["var"]]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
            raise RenderError("%s: context variable %r must be a port number 1-65535, got %r" % (profile["name"], port["var"], number))
        ports.append({"name": port["name"], "port": number, "protocols": list(port["protocols"]), "scope": port["scope"]})
    return ports


def flag_names(argv):
    """The flag names in an argv list (``--a=b`` -> ``--a``; values after a separate flag are skipped)."""
    names = []
    for item in argv:
        if item.startswith("-"):
            names.append(item.split("=", 1)[0])
    return names
