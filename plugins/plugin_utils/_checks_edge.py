# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the platform layer's edge - the ingress controller choice and
its fixed address, cert-manager's issuers and their credentials, the air-gapped charts, and the API routes
(chainops_edge_routes).

``check_edge(view, problems)`` reads cluster-wide variables through the preflight's view and adds one line per
problem, naming the variable and the fix. Secret values are never shown.
"""

from __future__ import annotations

import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_chain, _checks_platform
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    _MISSING,
    _SKIP,
    dns_label_reason,
    parse_address,
    parse_network,
    netaddr,
    parse_pool_entry,
    placeholder_reason,
    show,
    _type_name,
)

INGRESSES = _checks_platform.OWN_INGRESSES
INGRESS_CHOICES = _checks_platform.INGRESS_CHOICES
ISSUERS = ("acme-http01", "acme-dns01", "private-ca")
ACME_ENVIRONMENTS = ("staging", "production")
DNS01_PROVIDERS = ("cloudflare", "rfc2136")
TSIG_ALGORITHMS = ("HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512")
KINDS = ("rpc", "ws", "beacon")
ROUTE_KEYS = ("name", "kind", "host", "public", "tls_issuer", "rate_limit", "max_connections", "max_body_size", "auth",
              "allow_cidrs", "beacon_read_only", "allow_unauthenticated", "allow_unlimited")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIZE_RE = re.compile(r"^([0-9]+)([km]?)$")
# htpasswd hashes both controllers verify: bcrypt and Apache MD5 (apr1); plain text, unsalted {SHA} and DES crypt are refused
HTPASSWD_RE = re.compile(r"^[^:\s]+:(\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}|\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22})$")
RPS_MAX = 10000
CONNECTIONS_MAX = 10000
BODY_MAX = 64 * 1048576
DEFAULT_BODY = "1m"


def hostname_reason(host):
    """Why ``host`` is not a DNS name a certificate can be issued for (None when it is one)."""
    if not isinstance(host, str) or not host:
        return "is %s, not a hostname" % _type_name(host)
    if host.endswith("."):
        host = host[:-1]
    if len(host) > 253:
        return "is longer than 253 characters"
    if "*" in host:
        return "%s is a wildcard (one route serves one hostname)" % show(host)
    labels = host.split(".")
    if len(labels) < 2:
        return "%s is not a fully qualified name" % show(host)
    if all(label.isdigit() for label in labels):
        return "%s is an IP address, not a hostname" % show(host)
    for label in labels:
        reason = dns_label_reason(label)
        if reason:
            return "%s: label %s %s" % (show(host), show(label), reason)
    return None


def body_bytes(value):
    """Bytes of a max_body_size (int bytes, or a string with k/m suffix); None when it does not parse."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    match = SIZE_RE.match(value.strip().lower())
    if not match:
        return None
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1048576}[match.group(2)]


def _int_reason(value, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        return "is %s %s, not a whole number" % (_type_name(value), show(value))
    if not low <= value <= high:
        return "is %d, outside %d-%d" % (value, low, high)
    return None


def _secret_set(view, name, problems, fix):
    value = view.get(name)
    if value is _SKIP:
        return
    if value is _MISSING or value == "":
        problems.add(name, "is not set", fix)
    elif not isinstance(value, str):
        problems.add(name, "is %s, not a string" % _type_name(value), fix)
    else:
        reason = placeholder_reason(value)
        if reason:
            problems.add(name, reason, fix)


def _check_issuers(view, ingress, problems):
    """Returns the enabled issuer names (None when unknown)."""
    issuers = view.get_or("cert_manager_issuers", ["private-ca"])
    if issuers is _SKIP:
        return None
    if not isinstance(issuers, list) or not issuers:
        problems.add("cert_manager_issuers", "is %s, not a non-empty list" % _type_name(issuers),
                     "list the issuers routes may use: acme-http01, acme-dns01 and/or private-ca")
        return None
    for name in issuers:
        if name not in ISSUERS:
            problems.add("cert_manager_issuers", "%s is not an issuer of this collection" % show(name), "use acme-http01, acme-dns01 and/or private-ca")
    acme = [name for name in issuers if name in ("acme-http01", "acme-dns01")]
    if acme:
        email = view.get("cert_manager_acme_email")
        if email is not _SKIP and (not isinstance(email, str) or not EMAIL_RE.match(email)):
            problems.add("cert_manager_acme_email", "is missing" if email is _MISSING else "%s is not an e-mail address" % show(email),
                         "set the ACME account's contact address (expiry notices go there), required with %s" % ", ".join(acme))
        environment = view.get_or("cert_manager_acme_environment", "staging")
        if environment is not _SKIP and environment not in ACME_ENVIRONMENTS:
            problems.add("cert_manager_acme_environment", "%s is not staging or production" % show(environment),
                         "set staging while testing, production for trusted certificates")
        server = view.get_or("cert_manager_acme_server", "")
        if isinstance(server, str) and server and not server.startswith("https://"):
            problems.add("cert_manager_acme_server", "%s is not an https:// ACME directory" % show(server), "give the ACME directory URL over https")
    if "acme-dns01" in issuers:
        provider = view.get_or("cert_manager_dns01_provider", "cloudflare")
        if provider == "cloudflare":
            _secret_set(view, "cert_manager_dns01_cloudflare_api_token", problems,
                        "put the Cloudflare API token (Zone:DNS:Edit) in the vault (see vault.yml.example)")
        elif provider == "rfc2136":
            rfc = view.get_or("cert_manager_dns01_rfc2136", {})
            if isinstance(rfc, dict):
                if not isinstance(rfc.get("nameserver"), str) or not rfc.get("nameserver"):
                    problems.add("cert_manager_dns01_rfc2136.nameserver", "is missing", "give the DNS server that accepts updates, e.g. 10.10.0.53:53")
                if not isinstance(rfc.get("tsig_key_name"), str) or not rfc.get("tsig_key_name"):
                    problems.add("cert_manager_dns01_rfc2136.tsig_key_name", "is missing", "give the TSIG key's name, e.g. acme.")
                algorithm = rfc.get("tsig_algorithm", "HMACSHA256")
                if algorithm not in TSIG_ALGORITHMS:
                    problems.add("cert_manager_dns01_rfc2136.tsig_algorithm", "%s is not a TSIG algorithm cert-manager knows" % show(algorithm),
                                 "use one of %s" % ", ".join(TSIG_ALGORITHMS))
            elif rfc is not _SKIP:
                problems.add("cert_manager_dns01_rfc2136", "is %s, not a mapping" % _type_name(rfc), "write {nameserver, tsig_key_name, tsig_algorithm}")
            _secret_set(view, "cert_manager_dns01_rfc2136_tsig_secret", problems, "put the TSIG key (base64) in the vault")
        elif provider is not _SKIP:
            problems.add("cert_manager_dns01_provider", "%s is not a supported DNS-01 provider" % show(provider), "use cloudflare or rfc2136")
        zones = view.get_or("cert_manager_dns01_zones", [])
        if isinstance(zones, list):
            for zone in zones:
                reason = hostname_reason(zone)
                if reason:
                    problems.add("cert_manager_dns01_zones", reason, "list DNS zones such as example.net")
    return [name for name in issuers if name in ISSUERS]


def _check_htpasswd(view, wanted, problems):
    sets = view.get("chainops_edge_htpasswd")
    if sets is _SKIP or not wanted:
        return
    fix = "put the htpasswd lines in the vault as chainops_edge_htpasswd: {%s: [\"user:<bcrypt hash>\"]} (htpasswd -nbB user password)" % wanted[0]
    if sets is _MISSING:
        problems.add("chainops_edge_htpasswd", "is not set but routes use auth.basic %s" % ", ".join(show(w) for w in wanted), fix)
        return
    if not isinstance(sets, dict):
        problems.add("chainops_edge_htpasswd", "is %s, not a mapping" % _type_name(sets), fix)
        return
    for name in wanted:
        if name not in sets:
            problems.add("chainops_edge_htpasswd", "has no set %s, which a route's auth.basic names" % show(name), fix)
            continue
        lines = sets[name]
        if not isinstance(lines, list) or not lines:
            problems.add("chainops_edge_htpasswd.%s" % name, "is %s, not a non-empty list of htpasswd lines" % _type_name(lines), fix)
            continue
        for index, line in enumerate(lines):
            if not isinstance(line, str) or not HTPASSWD_RE.match(line):
                # the value is a secret: say what is wrong, never show it
                problems.add("chainops_edge_htpasswd.%s[%d]" % (name, index), "is not a user:hash line with a bcrypt ($2y$) or apr1 hash",
                             "generate it with htpasswd -nbB user password (plain text, {SHA} and DES hashes are refused)")


def _check_route(index, route, issuers, problems):
    subject = "chainops_edge_routes[%d]" % index
    if not isinstance(route, dict):
        problems.add(subject, "is %s, not a mapping" % _type_name(route), "write each route as {name, kind, host, tls_issuer, ...}")
        return None
    name = route.get("name")
    reason = dns_label_reason(name) if isinstance(name, str) and name else "is missing"
    if reason:
        problems.add(subject + ".name", reason if not isinstance(name, str) else "%s %s" % (show(name), reason),
                     "name the route with a DNS-1123 label, e.g. rpc-public")
        name = None
    else:
        subject = "chainops_edge_routes[%d] (%s)" % (index, name)
    for key in sorted(set(route) - set(ROUTE_KEYS)):
        fix = "use only %s" % ", ".join(ROUTE_KEYS)
        if key == "api_key_header":
            fix = ("drop it: neither controller checks an API-key header safely (ingress-nginx would need configuration snippets, "
                   "which stay disabled; Traefik's apiKey middleware is Traefik Hub only) - use auth.basic; a client that can only "
                   "send a header can send Authorization: Basic <base64 user:key>")
        problems.add("%s.%s" % (subject, key), "is not a route setting", fix)
    kind = route.get("kind")
    if kind not in KINDS:
        problems.add(subject + ".kind", "is missing" if kind is None else "%s is not a route kind" % show(kind), "set kind to rpc, ws or beacon")
    host = route.get("host")
    reason = hostname_reason(host) if host is not None else "is missing"
    if reason:
        problems.add(subject + ".host", reason, "give the route's fully qualified hostname, e.g. rpc.example.net")
    for flag in ("public", "beacon_read_only", "allow_unauthenticated", "allow_unlimited"):
        if flag in route and not isinstance(route[flag], bool):
            problems.add("%s.%s" % (subject, flag), "is %s %s, not a boolean" % (_type_name(route[flag]), show(route[flag])),
                         "set it to true or false (unquoted)")
    bad_flags = [flag for flag in ("public", "allow_unauthenticated", "allow_unlimited") if flag in route and not isinstance(route[flag], bool)]
    public = route.get("public") is True
    issuer = route.get("tls_issuer")
    if issuer is None:
        problems.add(subject + ".tls_issuer", "is missing", "name the issuer of the route's certificate: one of %s" % ", ".join(issuers or ISSUERS))
    elif issuers is not None and issuer not in issuers:
        problems.add(subject + ".tls_issuer", "%s is not an enabled issuer (cert_manager_issuers: %s)" % (show(issuer), ", ".join(issuers)),
                     "name one of them, or add %s to cert_manager_issuers" % issuer)
    elif issuer == "private-ca" and public:
        problems.add(subject + ".tls_issuer", "is private-ca on a public route, whose clients would not trust the certificate",
                     "use acme-http01 or acme-dns01 for a public route")
    rate = route.get("rate_limit")
    if rate is not None:
        if not isinstance(rate, dict) or set(rate) != {"rps", "burst"}:
            problems.add(subject + ".rate_limit", "is %s, not {rps, burst}" % show(rate), "write rate_limit: {rps: 10, burst: 20}")
        else:
            rps_reason = _int_reason(rate["rps"], 1, RPS_MAX)
            burst_reason = _int_reason(rate["burst"], 1, RPS_MAX * 100)
            if rps_reason:
                problems.add(subject + ".rate_limit.rps", rps_reason, "give requests per second per client address (1-%d)" % RPS_MAX)
            if burst_reason:
                problems.add(subject + ".rate_limit.burst", burst_reason, "give the burst in requests, a multiple of rps")
            if not rps_reason and not burst_reason and (rate["burst"] < rate["rps"] or rate["burst"] % rate["rps"]):
                problems.add(subject + ".rate_limit.burst", "is %d, not a multiple of rps %d" % (rate["burst"], rate["rps"]),
                             "use a burst of %d (ingress-nginx expresses burst as a multiple of rps)" % (max(1, rate["burst"] // rate["rps"]) * rate["rps"]))
    if "max_connections" in route:
        reason = _int_reason(route["max_connections"], 1, CONNECTIONS_MAX)
        if reason:
            problems.add(subject + ".max_connections", reason, "give concurrent connections per client address (1-%d)" % CONNECTIONS_MAX)
    size = body_bytes(route.get("max_body_size", DEFAULT_BODY))
    if size is None or not 1 <= size <= BODY_MAX:
        problems.add(subject + ".max_body_size", "%s is not a size of 1 byte to 64m" % show(route.get("max_body_size")),
                     "give bytes or a k/m size such as 256k (small bodies stop huge JSON-RPC batches)")
    auth = route.get("auth")
    basic = None
    if auth is not None:
        if not isinstance(auth, dict) or set(auth) != {"basic"} or not isinstance(auth.get("basic"), str) or not auth["basic"]:
            extra = " (API-key headers are not supported, see docs/platform.md)" if isinstance(auth, dict) and "api_key_header" in auth else ""
            problems.add(subject + ".auth", "is %s, not {basic: <set of chainops_edge_htpasswd>}%s" % (show(auth), extra),
                         "write auth: {basic: partners} and put the htpasswd lines in the vault as chainops_edge_htpasswd.partners")
        else:
            basic = auth["basic"]
    cidrs = route.get("allow_cidrs", [])
    if not isinstance(cidrs, list):
        problems.add(subject + ".allow_cidrs", "is %s, not a list" % _type_name(cidrs), "list source networks in CIDR form")
        cidrs = []
    for cidr in cidrs:
        network, reason = parse_network(cidr)
        if network is None:
            problems.add(subject + ".allow_cidrs", reason, "list source networks in CIDR form, e.g. 198.51.100.0/24")
    # with a flag that is not a boolean (reported above) it is unknown whether the route is public or opted out
    if not bad_flags and not public and not cidrs:
        problems.add(subject, "is not public but has no allow_cidrs, so nobody could reach it",
                     "list the sources allowed in allow_cidrs, or set public: true (with auth and rate_limit)")
    if not bad_flags and public and basic is None and auth is None and route.get("allow_unauthenticated") is not True:
        problems.add(subject, "is public without auth", "add auth: {basic: <set>}, or set allow_unauthenticated: true (every run then names this route)")
    if not bad_flags and public and rate is None and route.get("allow_unlimited") is not True:
        problems.add(subject, "is public without rate_limit", "add rate_limit: {rps, burst}, or set allow_unlimited: true (every run then names this route)")
    if route.get("beacon_read_only") is not None and kind in ("rpc", "ws"):
        problems.add(subject + ".beacon_read_only", "is set on a %s route" % kind, "drop it: it restricts beacon routes only")
    return {"name": name, "host": host if isinstance(host, str) else None, "basic": basic}


def _check_pool(view, problems):
    """The controller's LoadBalancer Service takes one address from ingress_address_pool (an auto-assigned mgmt pool).
    Returns the pool's addresses entries when they parse (None otherwise)."""
    pool_name = view.get_or("ingress_address_pool", "api")
    pools = view.get("metallb_pools")
    if pool_name is _SKIP or not isinstance(pools, list):
        return None
    found = [pool for pool in pools if isinstance(pool, dict) and pool.get("name") == pool_name]
    if not found:
        names = ", ".join(str(pool.get("name")) for pool in pools if isinstance(pool, dict))
        problems.add("ingress_address_pool", "names pool %s, which metallb_pools does not have (%s)" % (show(pool_name), names),
                     "name the management network's pool, usually api")
        return None
    pool = found[0]
    if pool.get("network") != "mgmt":
        problems.add("ingress_address_pool", "names pool %s on the %s network; the p2p pool never auto-assigns" % (show(pool_name), pool.get("network")),
                     "use the management network's pool (api)")
        return None
    size = 0
    entries = pool.get("addresses") if isinstance(pool.get("addresses"), list) else []
    for entry in entries:
        parsed, _reason = parse_pool_entry(entry)
        if parsed is None:
            return None  # the pool checks report it
        size += parsed.size
    if size < 1:
        problems.add("metallb_pools (%s)" % pool_name, "has no address for the ingress controller's LoadBalancer Service",
                     "give the pool at least one address")
        return None
    return entries


def _pinned_elsewhere(view):
    """{address: what pins it}: the API VIP, node addresses, pairs' P2P addresses, BGP peers."""
    pinned = {}
    vip = view.get("k3s_api_vip")
    if isinstance(vip, str):
        pinned[vip.strip()] = "k3s_api_vip"
    for host in view.hosts:
        for kind in ("mgmt", "p2p"):
            address = view.host_get(host, "chainops_%s_address" % kind)
            if isinstance(address, str):
                pinned.setdefault(address.strip(), "chainops_%s_address of host %s" % (kind, host))
    pairs = view.get("chainops_pairs")
    for index, pair in enumerate(pairs if isinstance(pairs, list) else []):
        if isinstance(pair, dict) and isinstance(pair.get("p2p_address"), str):
            pinned.setdefault(pair["p2p_address"].strip(), "chainops_pairs[%d].p2p_address" % index)
    peers = view.get("metallb_bgp_peers")
    for index, peer in enumerate(peers if isinstance(peers, list) else []):
        if isinstance(peer, dict) and isinstance(peer.get("address"), str):
            pinned.setdefault(peer["address"].strip(), "metallb_bgp_peers[%d].address" % index)
    out = {}
    for text, owner in pinned.items():
        address, _why = parse_address(text)
        if address is not None:
            out.setdefault(address, owner)
    return out


def ingress_address(view, entries):
    """(variable, address) the controller's Service pins: ingress_address or chainops_ingress_address when set, else the
    first address of its pool in the order the chain layer hands out P2P addresses (None when unknown)."""
    for name in ("ingress_address", "chainops_ingress_address"):
        value = view.get(name)
        if value not in (_MISSING, _SKIP, ""):
            return name, value
        if value is _SKIP:
            return name, None
    if not entries:
        return None, None
    try:
        return None, str(_checks_chain.pool_addresses(entries)[0])
    except (ValueError, IndexError):
        return None, None


def _check_address(view, entries, problems):
    """A fixed address inside ingress_address_pool that nothing else pins."""
    name, value = ingress_address(view, entries)
    if name is None or value is None:
        return  # the default: the pool's first address (the pool checks keep the VIP and nodes out of it)
    address, why = parse_address(value)
    if address is None:
        example = ingress_address(view, entries)[1] if entries else "10.10.0.200"
        problems.add(name, why, "give one address of the %s pool, e.g. %s" % (view.get_or("ingress_address_pool", "api"), example))
        return
    if entries is not None:
        pool = netaddr.IPSet()
        for entry in entries:
            pool |= parse_pool_entry(entry)[0]
        if address not in pool:
            problems.add(name, "%s is outside the %s pool (%s)" % (address, view.get_or("ingress_address_pool", "api"), ", ".join(map(str, entries))),
                         "pick an address of that pool, or leave it empty for the pool's first address")
    owner = _pinned_elsewhere(view).get(address)
    if owner:
        problems.add(name, "%s is also %s" % (address, owner), "give the ingress an address nothing else uses")


def _check_without_controller(view, ingress, problems):
    """chainops_ingress k3s or none: the collection renders no controller, so nothing may ask for one."""
    routes = view.get("chainops_edge_routes")
    if isinstance(routes, list) and routes:
        problems.add("chainops_edge_routes", "lists %d route(s) but chainops_ingress is %s, so no controller of the collection would carry "
                     "their TLS, limits and authentication" % (len(routes), ingress),
                     "set chainops_ingress to traefik (or nginx), or remove the routes")
    for name in ("chainops_ingress_address", "ingress_address"):
        if view.get(name) not in (_MISSING, ""):
            problems.add(name, "is set but chainops_ingress is %s, so no controller of the collection takes it" % ingress,
                         "remove %s, or set chainops_ingress to traefik (or nginx)" % name)
    issuers = view.get("cert_manager_issuers")
    if isinstance(issuers, list) and "acme-http01" in issuers:
        problems.add("cert_manager_issuers", "has acme-http01 but chainops_ingress is %s: the HTTP-01 challenges are answered through the "
                     "collection's controller" % ingress, "set chainops_ingress to traefik (or nginx), or use acme-dns01 or private-ca")


def check_edge(view, problems):
    ingress = view.get_or("chainops_ingress", "nginx")
    if ingress is not _SKIP and ingress not in INGRESS_CHOICES:
        problems.add("chainops_ingress", "%s is not an ingress choice of this collection" % show(ingress),
                     "set chainops_ingress to traefik (maintained) or nginx (ingress-nginx, retired in March 2026), "
                     "k3s (keep k3s's packaged Traefik) or none")
    _checks_platform.check_chart(view, problems, "cert_manager_chart")
    for controller in INGRESSES:
        prefix = "ingress_%s_chart" % controller
        if ingress == controller:
            _checks_platform.check_chart(view, problems, prefix)
        elif view.get(prefix + "_file") not in (_MISSING, ""):
            problems.add(prefix + "_file", "is set but chainops_ingress is %s, so that chart is not installed" % show(ingress),
                         "remove %s_file and %s_sha256, or set chainops_ingress: %s" % (prefix, prefix, controller))
    for name in ("ingress_nginx_chart_repo", "ingress_traefik_chart_repo", "cert_manager_chart_repo"):
        repo = view.get_or(name, "https://")
        if isinstance(repo, str) and not repo.startswith(("https://", "oci://")):
            problems.add(name, "%s is not an https:// or oci:// chart repository" % show(repo),
                         "point it at an https mirror (charts over plain http can be swapped in transit)")
    for name in ("ingress_rpc_port", "ingress_ws_port", "ingress_beacon_port"):
        port = view.get(name)
        if port not in (_MISSING, _SKIP):
            reason = _int_reason(port, 1, 65535)
            if reason:
                problems.add(name, reason, "give the chain layer Service's port (1-65535)")
    for name in ("ingress_rpc_service", "ingress_beacon_service", "ingress_backend_namespace"):
        value = view.get(name)
        if value not in (_MISSING, _SKIP):
            reason = dns_label_reason(value) if isinstance(value, str) else "is %s, not a name" % _type_name(value)
            if reason:
                problems.add(name, reason, "give the chain layer's Service or namespace name (DNS-1123 label)")
    issuers = _check_issuers(view, ingress, problems)
    if ingress in ("k3s", "none"):
        _check_without_controller(view, ingress, problems)
        return
    _check_address(view, _check_pool(view, problems), problems)

    routes = view.get_or("chainops_edge_routes", [])
    if routes is _SKIP:
        return
    if not isinstance(routes, list):
        problems.add("chainops_edge_routes", "is %s, not a list" % _type_name(routes),
                     "list the routes as [{name, kind, host, tls_issuer, ...}] (or [] for none)")
        return
    names, hosts, wanted = {}, {}, []
    for index, route in enumerate(routes):
        found = _check_route(index, route, issuers, problems)
        if not found:
            continue
        if found["name"]:
            names.setdefault(found["name"], []).append(index)
        if found["host"]:
            hosts.setdefault(found["host"].rstrip(".").lower(), []).append(index)
        if found["basic"] and found["basic"] not in wanted:
            wanted.append(found["basic"])
    for name, indexes in sorted(names.items()):
        if len(indexes) > 1:
            problems.add("chainops_edge_routes", "route name %s is used by entries %s" % (show(name), ", ".join(map(str, indexes))),
                         "give every route a unique name")
    for host, indexes in sorted(hosts.items()):
        if len(indexes) > 1:
            problems.add("chainops_edge_routes", "host %s is used by entries %s" % (show(host), ", ".join(map(str, indexes))),
                         "give every route its own hostname (one policy per hostname)")
    _check_htpasswd(view, wanted, problems)
