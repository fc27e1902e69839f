"""The platform layer's edge as rendered: cert-manager and its issuers, the ingress controller (ingress-nginx or
Traefik) and the API routes. Both controllers must carry the same policy for every route, and that policy must be
what the inventory asked."""

import glob
import hashlib
import os
import re

import chart_values
import checkov_scan
import pytest
import validate
import yaml
from test_platform import PRODUCTION, _assert_refused, _objects, _require_charts, _run

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_edge, _checks_base

REPO = validate.REPO
# test-only stand-ins for vault values (never real credentials): a bcrypt-shaped htpasswd line and a DNS token
HTPASSWD = ["alice:$2y$05$" + "a" * 53, "bob:$2y$05$" + "b" * 53]
ROUTES = [
    {"name": "rpc-internal", "kind": "rpc", "host": "rpc.internal.example.net", "tls_issuer": "private-ca",
     "allow_cidrs": ["10.10.0.0/24", "198.51.100.0/28"], "rate_limit": {"rps": 50, "burst": 250}, "max_connections": 50,
     "max_body_size": "2m"},
    {"name": "beacon-public", "kind": "beacon", "host": "beacon.example.net", "public": True, "tls_issuer": "acme-http01",
     "beacon_read_only": True, "allow_unauthenticated": True, "rate_limit": {"rps": 5, "burst": 10}, "max_connections": 10,
     "max_body_size": "64k"},
    {"name": "rpc-partners", "kind": "rpc", "host": "rpc.example.net", "public": True, "tls_issuer": "acme-dns01",
     "auth": {"basic": "partners"}, "rate_limit": {"rps": 20, "burst": 40}, "max_connections": 20, "max_body_size": "256k"},
    {"name": "ws-partners", "kind": "ws", "host": "ws.example.net", "public": True, "tls_issuer": "acme-http01",
     "auth": {"basic": "partners"}, "allow_unlimited": True, "allow_cidrs": ["203.0.113.0/24"]},
    {"name": "beacon-full", "kind": "beacon", "host": "beacon.internal.example.net", "tls_issuer": "private-ca",
     "beacon_read_only": False, "allow_cidrs": ["10.10.0.0/24"], "max_body_size": 1000},
]
FULL = {
    "cert_manager_issuers": ["acme-http01", "acme-dns01", "private-ca"],
    "cert_manager_acme_email": "ops@example.net",
    "cert_manager_dns01_cloudflare_api_token": "test-token-not-a-secret",
    "cert_manager_dns01_zones": ["example.net"],
    "chainops_edge_htpasswd": {"partners": HTPASSWD},
    "chainops_edge_routes": ROUTES,
}
READ_ONLY = ["/eth/v1/beacon/genesis", "/eth/v1/beacon/headers", "/eth/v1/beacon/states/", "/eth/v1/config/", "/eth/v1/node/"]
BACKENDS = {"rpc": ("rpc", 8545), "ws": ("rpc", 8546), "beacon": ("beacon", 5052)}
NS = "chainops-chain"
NGINX = "nginx.ingress.kubernetes.io/"
# keys the chart's templates read although its values.yaml only mentions them in a comment, or places under a map the
# chart renders as is: each with the template text that proves the chart reads it
TEMPLATE_READ = {
    ("ingress-nginx", "controller.service.allocateLoadBalancerNodePorts"):
        ("templates/controller-service.yaml", 'hasKey .Values.controller.service "allocateLoadBalancerNodePorts"'),
    ("traefik", "service.spec.externalTrafficPolicy"): ("templates/_service.tpl", "with .service.spec }}"),
    ("traefik", "service.spec.allocateLoadBalancerNodePorts"): ("templates/_service.tpl", "with .service.spec }}"),
}


def _hashes(root):
    return {os.path.basename(p): hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in sorted(glob.glob(os.path.join(root, "platform", "*.yaml")))}


_RENDERED = {}


def _render(ingress, tmp_path_factory):
    """Render the production example with every issuer and the full route set once per controller."""
    if ingress not in _RENDERED:
        dest = tmp_path_factory.mktemp("edge-%s" % ingress)
        extra_dir = tmp_path_factory.mktemp("edge-extra-%s" % ingress)
        proc = _run("playbooks/platform.yml", PRODUCTION, str(dest), dict(FULL, chainops_ingress=ingress), str(extra_dir))
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        _RENDERED[ingress] = (ingress, _objects_ns(str(dest)), str(dest), proc.stdout)
    return _RENDERED[ingress]


@pytest.fixture(scope="module", params=["nginx", "traefik"])
def edge(request, tmp_path_factory):
    return _render(request.param, tmp_path_factory)


def _objects_ns(root):
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "platform", "*.yaml"))):
        for _index, doc in validate.iter_documents(path):
            found[(doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])] = doc
    return found


def _of(objs, kind):
    return {(ns, name): doc for (k, ns, name), doc in objs.items() if k == kind}


def test_every_object_validates(edge):
    _ingress, _objs, dest, _out = edge
    counts = validate.validate_paths([os.path.join(dest, "platform")])
    assert counts["core"] >= 6 and counts["crd"] >= 12, counts


def test_rerender_is_byte_identical(edge, tmp_path):
    ingress, _objs, dest, _out = edge
    before = _hashes(dest)
    proc = _run("playbooks/platform.yml", PRODUCTION, dest, dict(FULL, chainops_ingress=ingress), str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert _hashes(dest) == before


def _template_reads(chart, version, key):
    if (chart, key) not in TEMPLATE_READ:
        return False
    template, evidence = TEMPLATE_READ[(chart, key)]
    with open(os.path.join(chart_values.chart_dir(chart, version), "chart", template), encoding="utf-8") as handle:
        return evidence in handle.read()


def test_chart_values_exist_in_the_pinned_charts(edge):
    _require_charts()
    ingress, objs, _dest, _out = edge
    charts = _of(objs, "HelmChart")
    expected = {"metallb", "cert-manager", "ingress-nginx" if ingress == "nginx" else "chainops-traefik"}
    assert {name for _ns, name in charts} == expected
    for doc in charts.values():
        spec = doc["spec"]
        assert spec["failurePolicy"] == "abort" and spec["createNamespace"] is False
        chart = doc["metadata"]["annotations"]["chainops.io/chart"]
        version = doc["metadata"]["annotations"]["chainops.io/chart-version"]
        values = yaml.safe_load(spec["valuesContent"])
        defaults = chart_values.load_defaults(chart, version)
        unknown = [key for key in chart_values.unknown_keys(values, defaults) if not _template_reads(chart, version, key)]
        assert unknown == [], (chart, unknown)
        assert chart_values.schema_errors(chart_values.coalesce(defaults, values), chart_values.load_schema(chart, version)) == []


def test_pinned_versions_and_crds(edge):
    ingress, objs, _dest, _out = edge
    charts = {name: doc for (_ns, name), doc in _of(objs, "HelmChart").items()}
    assert charts["cert-manager"]["spec"]["version"] == "v1.21.1"
    assert yaml.safe_load(charts["cert-manager"]["spec"]["valuesContent"])["crds"] == {"enabled": True, "keep": True}
    name, version = ("ingress-nginx", "4.15.1") if ingress == "nginx" else ("chainops-traefik", "41.3.0")
    assert charts[name]["spec"]["version"] == version


def test_controller_service_takes_the_api_pool_and_keeps_client_addresses(edge):
    ingress, objs, _dest, _out = edge
    charts = {name: doc for (_ns, name), doc in _of(objs, "HelmChart").items()}
    if ingress == "nginx":
        values = yaml.safe_load(charts["ingress-nginx"]["spec"]["valuesContent"])["controller"]
        service, spec = values["service"], values["service"]
        assert values["allowSnippetAnnotations"] is False
    else:
        values = yaml.safe_load(charts["chainops-traefik"]["spec"]["valuesContent"])
        service, spec = values["service"], values["service"]["spec"]
    # the fixed address: the api pool's first address (10.10.0.200-10.10.0.220 in the production example)
    assert service["annotations"] == {"metallb.io/address-pool": "api", "metallb.io/loadBalancerIPs": "10.10.0.200"}
    assert spec["externalTrafficPolicy"] == "Local" and spec["allocateLoadBalancerNodePorts"] is False
    pools = {name: doc for (_ns, name), doc in _of(objs, "IPAddressPool").items()}
    assert service["annotations"]["metallb.io/address-pool"] in pools
    assert pools["api"]["spec"]["addresses"] == ["10.10.0.200-10.10.0.220"]


def _service_annotations(objs, ingress):
    charts = {name: doc for (_ns, name), doc in _of(objs, "HelmChart").items()}
    values = yaml.safe_load(charts["ingress-nginx" if ingress == "nginx" else "chainops-traefik"]["spec"]["valuesContent"])
    return (values["controller"] if ingress == "nginx" else values)["service"]["annotations"]


# (ingress, api pool entries, chainops_ingress_address or None, the address the Service must pin)
ADDRESSES = [
    ("traefik", ["10.10.0.192/28", "10.10.0.230-10.10.0.231"], None, "10.10.0.193"),
    ("nginx", ["10.10.0.240/32"], None, "10.10.0.240"),
    ("nginx", ["10.10.0.200-10.10.0.220"], "10.10.0.215", "10.10.0.215"),
]


@pytest.mark.parametrize(("ingress", "entries", "address", "pinned"), ADDRESSES)
def test_controller_takes_a_fixed_address_of_the_api_pool(tmp_path, ingress, entries, address, pinned):
    """The role's default (the pool's first address) is the one the preflight computes, the chain layer's order."""
    pools = [{"name": "api", "network": "mgmt", "addresses": entries}, {"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/28"]}]
    extra = {"chainops_ingress": ingress, "metallb_pools": pools}
    if address:
        extra["chainops_ingress_address"] = address
    proc = _run("playbooks/platform.yml", PRODUCTION, str(tmp_path / "out"), extra, str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    annotations = _service_annotations(_objects_ns(str(tmp_path / "out")), ingress)
    assert annotations["metallb.io/loadBalancerIPs"] == pinned
    assert annotations["metallb.io/address-pool"] == "api"
    view = _checks_base._View(dict(chainops_ingress_address=address) if address else {})
    assert _checks_edge.ingress_address(view, entries)[1] == pinned
    assert "answers on %s" % pinned in proc.stdout


def test_namespaces_are_restricted_except_metallb(edge):
    _ingress, objs, _dest, _out = edge
    for (_ns, name), doc in _of(objs, "Namespace").items():
        level = doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        assert level == ("privileged" if name == "metallb-system" else "restricted"), name


def test_issuers_and_their_secrets_resolve(edge):
    _ingress, objs, _dest, _out = edge
    issuers = {name: doc["spec"] for (_ns, name), doc in _of(objs, "ClusterIssuer").items()}
    assert set(issuers) == {"chainops-acme-http01", "chainops-acme-dns01", "chainops-private-ca", "chainops-selfsigned-bootstrap"}
    for name in ("chainops-acme-http01", "chainops-acme-dns01"):
        assert issuers[name]["acme"]["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"
        assert issuers[name]["acme"]["email"] == "ops@example.net"
    http01 = issuers["chainops-acme-http01"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"]
    assert http01 == _ingress
    secrets = _of(objs, "Secret")
    dns = issuers["chainops-acme-dns01"]["acme"]["solvers"][0]
    ref = dns["dns01"]["cloudflare"]["apiTokenSecretRef"]
    assert ref["key"] in secrets[("cert-manager", ref["name"])]["stringData"]
    assert dns["selector"] == {"dnsZones": ["example.net"]}
    # the CA issuer's secret is the CA Certificate's, which the bootstrap issuer signs
    ca = _of(objs, "Certificate")[("cert-manager", "chainops-private-ca")]["spec"]
    assert ca["isCA"] is True and ca["secretName"] == issuers["chainops-private-ca"]["ca"]["secretName"]
    assert ca["issuerRef"]["name"] == "chainops-selfsigned-bootstrap"
    # every Certificate names an issuer that is rendered; every route's TLS secret is a Certificate's
    certs = _of(objs, "Certificate")
    for doc in certs.values():
        assert doc["spec"]["issuerRef"]["kind"] == "ClusterIssuer" and doc["spec"]["issuerRef"]["name"] in issuers


def test_acme_production_by_one_variable(tmp_path):
    extra = dict(FULL, cert_manager_acme_environment="production", chainops_edge_routes=[])
    proc = _run("playbooks/platform.yml", PRODUCTION, str(tmp_path / "out"), extra, str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    issuers = {name: doc for (kind, name), doc in _objects(str(tmp_path / "out"), "*.yaml").items() if kind == "ClusterIssuer"}
    assert issuers["chainops-acme-http01"]["spec"]["acme"]["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert not os.path.exists(str(tmp_path / "out" / "platform" / "32-ingress-routes.yaml"))


def _size(value):
    text = str(value).lower()
    return int(text[:-1]) * {"k": 1024, "m": 1048576}[text[-1]] if text[-1] in "km" else int(text)


def _expected(route):
    service, port = BACKENDS[route["kind"]]
    read_only = route["kind"] == "beacon" and route.get("beacon_read_only", True)
    return {
        "host": route["host"], "service": service, "port": port, "paths": READ_ONLY if read_only else ["/"],
        "tls_issuer": "chainops-" + route["tls_issuer"],
        "rps": route.get("rate_limit", {}).get("rps"), "burst": route.get("rate_limit", {}).get("burst"),
        "max_connections": route.get("max_connections", 20), "max_body_bytes": _size(route.get("max_body_size", "1m")),
        "htpasswd": sorted(HTPASSWD) if "auth" in route else None, "allow_cidrs": sorted(route.get("allow_cidrs", [])),
    }


def _tls_issuer(objs, secret):
    certs = [doc for (ns, _n), doc in _of(objs, "Certificate").items() if ns == NS and doc["spec"]["secretName"] == secret]
    assert len(certs) == 1, secret
    return certs[0]["spec"]["issuerRef"]["name"]


def _policy_nginx(objs, name):
    ing = _of(objs, "Ingress")[(NS, name)]
    ann = ing["metadata"]["annotations"]
    assert ing["spec"]["ingressClassName"] == "nginx"
    [rule] = ing["spec"]["rules"]
    backends = {(p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"]) for p in rule["http"]["paths"]}
    assert len(backends) == 1 and {p["pathType"] for p in rule["http"]["paths"]} == {"Prefix"}
    [(service, port)] = backends
    [tls] = ing["spec"]["tls"]
    assert tls["hosts"] == [rule["host"]]
    htpasswd = None
    if ann.get(NGINX + "auth-type") == "basic":
        assert ann[NGINX + "auth-secret-type"] == "auth-file"
        htpasswd = sorted(_of(objs, "Secret")[(NS, ann[NGINX + "auth-secret"])]["stringData"]["auth"].split("\n"))
    rps = int(ann[NGINX + "limit-rps"]) if NGINX + "limit-rps" in ann else None
    return {
        "host": rule["host"], "service": service, "port": port, "paths": sorted(p["path"] for p in rule["http"]["paths"]),
        "tls_issuer": _tls_issuer(objs, tls["secretName"]),
        "rps": rps, "burst": rps * int(ann[NGINX + "limit-burst-multiplier"]) if rps else None,
        "max_connections": int(ann[NGINX + "limit-connections"]), "max_body_bytes": int(ann[NGINX + "proxy-body-size"]),
        "htpasswd": htpasswd,
        "allow_cidrs": sorted(ann[NGINX + "whitelist-source-range"].split(",")) if NGINX + "whitelist-source-range" in ann else [],
    }


def _policy_traefik(objs, name):
    route = _of(objs, "IngressRoute")[(NS, name)]["spec"]
    assert route["entryPoints"] == ["websecure"]
    [rule] = route["routes"]
    match = re.fullmatch(r"Host\(`([^`]+)`\)(?: && \((.*)\))?", rule["match"])
    assert match, rule["match"]
    paths = re.findall(r"PathPrefix\(`([^`]+)`\)", match.group(2) or "") or ["/"]
    [svc] = rule["services"]
    mws = {m["name"]: _of(objs, "Middleware")[(NS, m["name"])]["spec"] for m in rule["middlewares"]}
    found = {key: spec[key] for spec in mws.values() for key in spec}
    assert len(found) == len(mws), "one policy per middleware"
    htpasswd = None
    if "basicAuth" in found:
        htpasswd = sorted(_of(objs, "Secret")[(NS, found["basicAuth"]["secret"])]["stringData"]["users"].split("\n"))
    for key in ("rateLimit", "inFlightReq"):
        if key in found:  # per client address, not per request host
            assert found[key]["sourceCriterion"] == {"ipStrategy": {"depth": 0}}
    if "rateLimit" in found:
        assert found["rateLimit"]["period"] == "1s"
    return {
        "host": match.group(1), "service": svc["name"], "port": svc["port"], "paths": sorted(paths),
        "tls_issuer": _tls_issuer(objs, route["tls"]["secretName"]),
        "rps": found.get("rateLimit", {}).get("average"), "burst": found.get("rateLimit", {}).get("burst"),
        "max_connections": found["inFlightReq"]["amount"], "max_body_bytes": found["buffering"]["maxRequestBodyBytes"],
        "htpasswd": htpasswd, "allow_cidrs": sorted(found.get("ipAllowList", {}).get("sourceRange", [])),
    }


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return {ingress: _render(ingress, tmp_path_factory)[1] for ingress in ("nginx", "traefik")}


@pytest.mark.parametrize("route", ROUTES, ids=[r["name"] for r in ROUTES])
def test_both_controllers_carry_the_inventory_policy(both, route):
    nginx = _policy_nginx(both["nginx"], route["name"])
    traefik = _policy_traefik(both["traefik"], route["name"])
    assert nginx == traefik
    assert nginx == _expected(route)


def test_routes_reach_the_chain_layer_backends(edge):
    ingress, objs, _dest, _out = edge
    kinds = {"nginx": "Ingress", "traefik": "IngressRoute"}
    assert {name for (_ns, name) in _of(objs, kinds[ingress])} == {r["name"] for r in ROUTES}
    assert {ns for (k, ns, _n) in objs if k in ("Ingress", "IngressRoute", "Middleware")} <= {NS}
    # nothing of the other controller is rendered
    other = {"nginx": ("IngressRoute", "Middleware"), "traefik": ("Ingress",)}[ingress]
    assert not [key for key in objs if key[0] in other]


def test_warnings_name_the_retired_controller_and_open_routes(edge):
    ingress, _objs, _dest, out = edge
    assert ("WARNING: chainops_ingress is nginx" in out) is (ingress == "nginx")
    assert "retired ingress-nginx in March 2026" in out or ingress == "traefik"
    assert "WARNING: public route beacon-public (beacon.example.net) runs without authentication" in out
    assert "WARNING: public route ws-partners (ws.example.net) runs without a rate limit" in out
    assert "WARNING: public route rpc-partners" not in out


def test_lab_renders_the_edge(tmp_path):
    proc = _run("playbooks/platform.yml", "inventories/lab", str(tmp_path / "out"), tmp=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    objs = _objects_ns(str(tmp_path / "out"))
    assert (_of(objs, "Ingress")[(NS, "rpc-lab")]["metadata"]["annotations"][NGINX + "whitelist-source-range"] == "10.89.100.0/24")
    assert set(name for (_ns, name) in _of(objs, "ClusterIssuer")) == {"chainops-private-ca", "chainops-selfsigned-bootstrap"}
    validate.validate_paths([str(tmp_path / "out" / "platform")])


@pytest.mark.parametrize(("extra", "words"), [
    ({"chainops_edge_routes": [dict(ROUTES[1], allow_unauthenticated=False)]}, ["is public without auth", "allow_unauthenticated: true"]),
    ({"chainops_edge_routes": [{k: v for k, v in ROUTES[0].items() if k != "allow_cidrs"}]}, ["not public but has no allow_cidrs"]),
    ({"chainops_edge_routes": [ROUTES[2]], "cert_manager_issuers": ["acme-http01"], "cert_manager_acme_email": "ops@example.net"},
     ["chainops_edge_htpasswd does not hold"]),
    ({"cert_manager_issuers": ["acme-dns01"], "cert_manager_acme_email": "ops@example.net"}, ["cert_manager_dns01_cloudflare_api_token is not set"]),
    ({"chainops_ingress": "haproxy"}, ["chainops_ingress must be nginx, traefik, k3s or none"]),
    ({"chainops_ingress_address": "10.10.0.205/32"}, ["chainops_ingress_address (got 10.10.0.205/32) one IP address of the api pool"]),
    ({"chainops_ingress": "k3s", "chainops_edge_routes": [ROUTES[0]], "cert_manager_issuers": ["private-ca"]},
     ["chainops_edge_routes lists 1 route(s) but chainops_ingress is k3s"]),
    ({"chainops_ingress": "none", "cert_manager_issuers": ["acme-http01"], "cert_manager_acme_email": "ops@example.net"},
     ["cert_manager_issuers has acme-http01 but chainops_ingress is none"]),
])
def test_refusals_name_the_variable(tmp_path, extra, words):
    _assert_refused(tmp_path, extra, words, "32-ingress-routes.yaml")


def test_checkov_finds_nothing_on_the_rendered_layer(tmp_path_factory):
    # scripts/checkov.sh installs checkov into its own venv on first use (pip from PyPI), so this never skips
    dests = [os.path.join(_render(ingress, tmp_path_factory)[2], "platform") for ingress in ("nginx", "traefik")]
    proc, reports = checkov_scan.scan(dests, "platform")
    failed = [(c["check_id"], c["resource"], c["check_name"]) for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    passed = sum(len(r.get("results", {}).get("passed_checks", [])) for r in reports)
    assert failed == [], failed
    # a scan that checked nothing proves nothing: the Ingresses and Secrets must have been checked
    assert passed >= 5, proc.stdout[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]


def _secret_refs(objs):
    """(namespace, name, who) of every Secret the rendered objects reference."""
    refs = []
    for (kind, ns, name), doc in objs.items():
        spec = doc.get("spec", {})
        if kind == "Ingress":
            refs += [(ns, tls["secretName"], name) for tls in spec.get("tls", [])]
            auth = doc["metadata"].get("annotations", {}).get(NGINX + "auth-secret")
            if auth:
                refs.append((ns, auth, name))
        elif kind == "IngressRoute":
            refs.append((ns, spec["tls"]["secretName"], name))
        elif kind == "Middleware" and "basicAuth" in spec:
            refs.append((ns, spec["basicAuth"]["secret"], name))
        elif kind == "ClusterIssuer":  # a ClusterIssuer reads Secrets from cert-manager's namespace
            if "ca" in spec:
                refs.append(("cert-manager", spec["ca"]["secretName"], name))
            for solver in spec.get("acme", {}).get("solvers", []):
                for provider in solver.get("dns01", {}).values():
                    for key, ref in provider.items():
                        if key.endswith("SecretRef"):
                            refs.append(("cert-manager", ref["name"], name))
    return refs


def test_every_referenced_secret_is_rendered_or_issued(edge):
    _ingress, objs, _dest, _out = edge
    rendered = {(ns, name) for (kind, ns, name) in objs if kind == "Secret"}
    issued = {(ns, doc["spec"]["secretName"]) for (kind, ns, _n), doc in objs.items() if kind == "Certificate"}
    refs = _secret_refs(objs)
    # a TLS secret per route, a basic-auth secret per route with auth, the CA key and the DNS-01 credential
    assert len(refs) == len(ROUTES) + len([r for r in ROUTES if "auth" in r]) + 2, refs
    missing = [ref for ref in refs if ref[:2] not in rendered | issued]
    assert missing == [], missing
    # the ACME account keys are the only Secrets cert-manager creates on its own (docs/platform.md says so)
    accounts = {doc["spec"]["acme"]["privateKeySecretRef"]["name"] for (kind, _ns, _n), doc in objs.items()
                if kind == "ClusterIssuer" and "acme" in doc["spec"]}
    assert accounts == {"chainops-acme-http01-account", "chainops-acme-dns01-account"}
