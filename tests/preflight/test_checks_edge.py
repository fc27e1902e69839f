"""Preflight checks of the edge settings (ingress choice, issuers and their credentials, API routes), called directly."""

import os

import pytest
import yaml

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_edge as edge
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

POOLS = [
    {"name": "api", "network": "mgmt", "addresses": ["10.10.0.200-10.10.0.220"]},
    {"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/28"]},
]
BCRYPT = "alice:$2y$05$" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ"
PUBLIC = {"name": "rpc-public", "kind": "rpc", "host": "rpc.example.net", "public": True, "tls_issuer": "acme-http01",
          "auth": {"basic": "partners"}, "rate_limit": {"rps": 10, "burst": 20}, "max_connections": 20, "max_body_size": "256k"}
PRIVATE = {"name": "rpc-internal", "kind": "rpc", "host": "rpc.internal.example.net", "tls_issuer": "private-ca",
           "allow_cidrs": ["10.10.0.0/24"]}
GOOD = {
    "cert_manager_issuers": ["acme-http01", "private-ca"],
    "cert_manager_acme_email": "ops@example.net",
    "chainops_edge_htpasswd": {"partners": [BCRYPT]},
    "chainops_edge_routes": [PUBLIC, PRIVATE],
}


def _problems(**variables):
    variables.setdefault("metallb_pools", POOLS)
    problems = checks._Problems()
    edge.check_edge(checks._View(variables), problems)
    return problems.lines


def _route(**changes):
    route = dict(PUBLIC, **changes)
    return {k: v for k, v in route.items() if v is not None}


def test_defaults_pass():
    assert _problems() == []


def test_a_full_edge_passes():
    assert _problems(**GOOD) == []
    dns = {**GOOD, "cert_manager_issuers": ["acme-dns01"], "cert_manager_dns01_cloudflare_api_token": "cf-9f8e7d6c5b4a39281706",
           "chainops_edge_routes": [_route(tls_issuer="acme-dns01")], "cert_manager_dns01_zones": ["example.net"]}
    assert _problems(**dns) == []
    rfc = {**dns, "cert_manager_dns01_provider": "rfc2136", "cert_manager_dns01_cloudflare_api_token": None,
           "cert_manager_dns01_rfc2136": {"nameserver": "10.10.0.53:53", "tsig_key_name": "acme."},
           "cert_manager_dns01_rfc2136_tsig_secret": "bXktdHNpZy1rZXktZm9yLXRlc3RzLW9ubHk="}
    assert _problems(**rfc) == []
    open_route = _route(auth=None, rate_limit=None, allow_unauthenticated=True, allow_unlimited=True)
    assert _problems(**{**GOOD, "chainops_edge_routes": [open_route]}) == []


@pytest.mark.parametrize(("variables", "subject", "words"), [
    ({"chainops_ingress": "haproxy"}, "chainops_ingress", "traefik (maintained) or nginx"),
    ({"ingress_traefik_chart_repo": "http://charts.example.net"}, "ingress_traefik_chart_repo", "https mirror"),
    ({"cert_manager_chart_repo": "http://charts.example.net"}, "cert_manager_chart_repo", "https mirror"),
    ({"ingress_rpc_port": 70000}, "ingress_rpc_port", "outside 1-65535"),
    ({"ingress_beacon_service": "Beacon_API"}, "ingress_beacon_service", "DNS-1123"),
    ({"cert_manager_issuers": ["letsencrypt"]}, "cert_manager_issuers", "acme-http01, acme-dns01 and/or private-ca"),
    ({"cert_manager_issuers": []}, "cert_manager_issuers", "not a non-empty list"),
    ({"cert_manager_issuers": ["acme-http01"]}, "cert_manager_acme_email", "is missing"),
    ({"cert_manager_issuers": ["acme-http01"], "cert_manager_acme_email": "ops"}, "cert_manager_acme_email", "not an e-mail address"),
    ({"cert_manager_issuers": ["acme-http01"], "cert_manager_acme_email": "ops@example.net", "cert_manager_acme_environment": "prod"},
     "cert_manager_acme_environment", "staging or production"),
    ({"cert_manager_issuers": ["acme-http01"], "cert_manager_acme_email": "ops@example.net", "cert_manager_acme_server": "http://ca.internal/dir"},
     "cert_manager_acme_server", "https"),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net"}, "cert_manager_dns01_cloudflare_api_token", "is not set"),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net", "cert_manager_dns01_cloudflare_api_token": "<token>"},
     "cert_manager_dns01_cloudflare_api_token", "placeholder"),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net", "cert_manager_dns01_provider": "route53"},
     "cert_manager_dns01_provider", "cloudflare or rfc2136"),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net", "cert_manager_dns01_provider": "rfc2136",
      "cert_manager_dns01_rfc2136": {"nameserver": "10.10.0.53:53", "tsig_key_name": "acme."}}, "cert_manager_dns01_rfc2136_tsig_secret", "is not set"),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net", "cert_manager_dns01_provider": "rfc2136",
      "cert_manager_dns01_rfc2136": {"tsig_key_name": "acme."}, "cert_manager_dns01_rfc2136_tsig_secret": "bXktdHNpZy1rZXktZm9yLXRlc3Rz"},
     "cert_manager_dns01_rfc2136.nameserver", "is missing"),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net",
      "cert_manager_dns01_cloudflare_api_token": "cf-9f8e7d6c5b4a39281706", "cert_manager_dns01_zones": ["example_net"]},
     "cert_manager_dns01_zones", "not a fully qualified name"),
    ({"ingress_address_pool": "p2p"}, "ingress_address_pool", "never auto-assigns"),
    ({"ingress_address_pool": "edge"}, "ingress_address_pool", "which metallb_pools does not have"),
    ({"chainops_edge_routes": {"name": "x"}}, "chainops_edge_routes", "not a list"),
])
def test_bad_settings_name_the_variable_and_fix(variables, subject, words):
    lines = _problems(**variables)
    assert len(lines) == 1, lines
    assert lines[0].startswith(subject + ":"), lines
    assert "fix:" in lines[0] and words in lines[0], lines


R0 = "chainops_edge_routes[0] (rpc-public)"


@pytest.mark.parametrize(("route", "subject", "words"), [
    (_route(name="RPC_Public"), "chainops_edge_routes[0].name", "DNS-1123"),
    (_route(kind="grpc"), R0 + ".kind", "rpc, ws or beacon"),
    (_route(host="rpc"), R0 + ".host", "not a fully qualified name"),
    (_route(host="*.example.net"), R0 + ".host", "wildcard"),
    (_route(host="10.10.0.5"), R0 + ".host", "IP address"),
    (_route(host="rpc_1.example.net"), R0 + ".host", "label 'rpc_1'"),
    (_route(public="yes"), R0 + ".public", "unquoted"),
    (_route(tls_issuer=None), R0 + ".tls_issuer", "is missing"),
    (_route(tls_issuer="acme-dns01"), R0 + ".tls_issuer", "not an enabled issuer"),
    (_route(tls_issuer="private-ca"), R0 + ".tls_issuer", "would not trust"),
    (_route(rate_limit={"rps": 10}), R0 + ".rate_limit", "not {rps, burst}"),
    (_route(rate_limit={"rps": 0, "burst": 20}), R0 + ".rate_limit.rps", "outside 1-10000"),
    (_route(rate_limit={"rps": "10", "burst": 20}), R0 + ".rate_limit.rps", "not a whole number"),
    (_route(rate_limit={"rps": 10, "burst": 25}), R0 + ".rate_limit.burst", "a burst of 20"),
    (_route(rate_limit={"rps": 10, "burst": 5}), R0 + ".rate_limit.burst", "not a multiple of rps"),
    (_route(max_connections=0), R0 + ".max_connections", "outside 1-10000"),
    (_route(max_body_size="1g"), R0 + ".max_body_size", "1 byte to 64m"),
    (_route(max_body_size="65m"), R0 + ".max_body_size", "1 byte to 64m"),
    (_route(auth={"basic": "partners", "api_key_header": "X-Api-Key"}), R0 + ".auth", "API-key headers are not supported"),
    (_route(auth={"basic": "others"}), "chainops_edge_htpasswd", "has no set 'others'"),
    (_route(api_key_header="X-Api-Key"), R0 + ".api_key_header", "Authorization: Basic"),
    (_route(ratelimit={"rps": 1}), R0 + ".ratelimit", "not a route setting"),
    (_route(allow_cidrs="10.0.0.0/8"), R0 + ".allow_cidrs", "not a list"),
    (_route(allow_cidrs=["10.0.0.1/8"]), R0 + ".allow_cidrs", "host bits set"),
    (_route(public=None), R0, "not public but has no allow_cidrs"),
    (_route(public=False), R0, "not public but has no allow_cidrs"),
    (_route(auth=None), R0, "public without auth"),
    (_route(auth=None, allow_unauthenticated="true"), R0 + ".allow_unauthenticated", "not a boolean"),
    (_route(rate_limit=None), R0, "public without rate_limit"),
    (_route(rate_limit=None, allow_unlimited=False), R0, "allow_unlimited: true"),
    (_route(beacon_read_only=True), R0 + ".beacon_read_only", "restricts beacon routes only"),
])
def test_bad_routes_name_the_route_and_fix(route, subject, words):
    lines = _problems(**{**GOOD, "chainops_edge_routes": [route]})
    assert len(lines) == 1, lines
    assert lines[0].startswith(subject + ":"), lines
    assert "fix:" in lines[0] and words in lines[0], lines


@pytest.mark.parametrize(("htpasswd", "subject", "words"), [
    (None, "chainops_edge_htpasswd", "is not set"),
    ({"partners": []}, "chainops_edge_htpasswd.partners", "non-empty list"),
    ({"partners": ["alice:secret"]}, "chainops_edge_htpasswd.partners[0]", "bcrypt"),
    ({"partners": ["alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="]}, "chainops_edge_htpasswd.partners[0]", "refused"),
])
def test_htpasswd_from_the_vault(htpasswd, subject, words):
    lines = _problems(**{**GOOD, "chainops_edge_htpasswd": htpasswd})
    assert len(lines) == 1, lines
    assert lines[0].startswith(subject + ":") and words in lines[0], lines
    assert "secret" not in lines[0] and "W6ph5" not in lines[0]


def test_names_and_hosts_are_unique():
    lines = _problems(**{**GOOD, "chainops_edge_routes": [PUBLIC, dict(PRIVATE, name="rpc-public", host="rpc.example.net")]})
    assert len(lines) == 2, lines
    assert any("route name 'rpc-public' is used by entries 0, 1" in line for line in lines)
    assert any("host 'rpc.example.net' is used by entries 0, 1" in line for line in lines)


def test_apr1_hashes_are_accepted():
    apr1 = "bob:$apr1$abcdefgh$" + "0123456789abcdefghijkl"
    assert _problems(**{**GOOD, "chainops_edge_htpasswd": {"partners": [apr1]}}) == []


def test_sizes():
    assert edge.body_bytes("256k") == 262144 and edge.body_bytes("2M") == 2097152 and edge.body_bytes(1000) == 1000
    assert edge.body_bytes("1.5m") is None and edge.body_bytes(True) is None


@pytest.mark.parametrize("inventory", ["production-example", "lab"])
def test_the_example_inventories_pass(inventory):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(repo, "inventories", inventory, "group_vars", "all", "main.yml"), encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)
    assert variables["chainops_edge_routes"], "the example shows routes"
    assert _problems(**variables) == []
