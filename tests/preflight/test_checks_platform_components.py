"""Preflight checks called directly: k3s's packaged servicelb and Traefik against what the platform layer runs
(MetalLB always, chainops_ingress) and k3s_server_disable, the ingress's fixed address, and the air-gapped chart archives of every
chart of the platform layer (one check, _checks_platform.check_chart)."""

import hashlib
import io
import tarfile

import pytest

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_edge as edge
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_platform as platform
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

POOLS = [
    {"name": "api", "network": "mgmt", "addresses": ["10.10.0.200-10.10.0.220"]},
    {"name": "p2p", "network": "p2p", "addresses": ["192.0.2.128/28"]},
]
PAIRS = [{"name": "geth-lighthouse", "p2p_address": "192.0.2.130"}]


def _view(**variables):
    return checks._View(variables)


def _components(**variables):
    problems = checks._Problems()
    platform.check_components(_view(**variables), problems)
    return problems.lines


def _edge(**variables):
    variables.setdefault("metallb_pools", POOLS)
    problems = checks._Problems()
    edge.check_edge(_view(**variables), problems)
    return problems.lines


@pytest.mark.parametrize("variables", [
    {},
    {"chainops_ingress": "traefik"},
    {"chainops_ingress": "k3s"},
    {"k3s_server_disable": ["servicelb", "traefik", "metrics-server"]},
    {"chainops_ingress": "k3s", "k3s_server_disable": ["servicelb", "local-storage"]},
    {"chainops_ingress": "none", "k3s_server_disable": ["servicelb", "traefik"]},
])
def test_consistent_choices_pass(variables):
    assert _components(**variables) == []


@pytest.mark.parametrize(("variables", "words"), [
    ({"k3s_server_disable": ["traefik"]}, "keeps k3s's packaged servicelb although the platform layer runs MetalLB"),
    ({"chainops_ingress": "k3s", "k3s_server_disable": []}, "keeps k3s's packaged servicelb although the platform layer runs MetalLB"),
    ({"chainops_ingress": "nginx", "k3s_server_disable": ["servicelb"]}, "keeps k3s's packaged traefik although chainops_ingress is nginx"),
    ({"chainops_ingress": "none", "k3s_server_disable": ["servicelb"]}, "keeps k3s's packaged traefik although chainops_ingress is none"),
    ({"chainops_ingress": "k3s", "k3s_server_disable": ["servicelb", "traefik"]}, "leaves out k3s's packaged traefik although chainops_ingress is k3s"),
    ({"k3s_server_disable": "servicelb,traefik"}, "not a list of component names"),
])
def test_contradictions_name_k3s_server_disable_and_the_choice(variables, words):
    lines = _components(**variables)
    assert len(lines) == 1, lines
    assert lines[0].startswith("k3s_server_disable:") and words in lines[0], lines
    assert "remove k3s_server_disable so the cluster layer derives it" in lines[0] or "not a list" in lines[0]


def test_one_value_for_the_cluster():
    hostvars = {"srv1": {"chainops_ingress": "k3s"}, "srv2": {}}
    problems = checks._Problems()
    platform.check_components(checks._View({"chainops_ingress": "k3s"}, hostvars=hostvars, hosts=["srv1", "srv2"]), problems)
    assert problems.lines == ["chainops_ingress: differs between hosts ('k3s': srv1; unset: srv2); fix: set it once in group_vars/all: "
                              "the servers' k3s disable list follows it"]


# --- the ingress's fixed address ----------------------------------------------------------------------------

@pytest.mark.parametrize(("entries", "first"), [
    (["10.10.0.200-10.10.0.220"], "10.10.0.200"),
    (["10.10.0.200/29", "10.10.0.240/32"], "10.10.0.201"),
    (["10.10.0.240/32"], "10.10.0.240"),
    (["10.10.0.240/31"], "10.10.0.240"),
])
def test_default_address_is_the_pools_first(entries, first):
    """The same first address the chain layer would hand out (tests/render checks the role renders the same)."""
    assert edge.ingress_address(_view(), entries) == (None, first)


def test_address_inside_the_pool_passes():
    assert _edge(chainops_ingress_address="10.10.0.210") == []
    assert _edge(ingress_address="10.10.0.220") == []


@pytest.mark.parametrize(("variables", "subject", "words"), [
    ({"chainops_ingress_address": "10.10.0.221"}, "chainops_ingress_address", "10.10.0.221 is outside the api pool (10.10.0.200-10.10.0.220)"),
    ({"chainops_ingress_address": "10.10.0.205/32"}, "chainops_ingress_address", "has a prefix length"),
    ({"chainops_ingress_address": "ingress.example.net"}, "chainops_ingress_address", "is not an IP address"),
    ({"ingress_address": "10.10.0.250"}, "ingress_address", "outside the api pool"),
])
def test_bad_addresses_are_refused(variables, subject, words):
    lines = _edge(**variables)
    assert len(lines) == 1, lines
    assert lines[0].startswith(subject + ":") and words in lines[0], lines


def test_address_pinned_by_something_else_is_refused():
    """A BGP peer inside the api pool (the pools checks keep the VIP and the nodes out of pools) is named."""
    peers = [{"name": "tor-a", "address": "10.10.0.205", "asn": 64600}]
    lines = _edge(chainops_ingress_address="10.10.0.205", metallb_bgp_peers=peers)
    assert lines == ["chainops_ingress_address: 10.10.0.205 is also metallb_bgp_peers[0].address; fix: give the ingress an address nothing else uses"]
    lines = _edge(chainops_ingress_address="192.0.2.130", chainops_pairs=PAIRS)
    assert any("is also chainops_pairs[0].p2p_address" in line for line in lines), lines


@pytest.mark.parametrize("ingress", ["k3s", "none"])
def test_without_the_collections_controller_nothing_may_ask_for_it(ingress):
    assert _edge(chainops_ingress=ingress) == []
    lines = _edge(chainops_ingress=ingress, chainops_ingress_address="10.10.0.210", cert_manager_issuers=["acme-http01"],
                  cert_manager_acme_email="ops@example.net",
                  chainops_edge_routes=[{"name": "a", "kind": "rpc", "host": "a.example.net", "tls_issuer": "private-ca", "allow_cidrs": ["10.0.0.0/8"]}])
    subjects = sorted(line.split(":")[0] for line in lines)
    assert subjects == ["cert_manager_issuers", "chainops_edge_routes", "chainops_ingress_address"], lines


# --- air-gapped charts ---------------------------------------------------------------------------------------

def _archive(path, name, version):
    meta = ("apiVersion: v2\nname: %s\nversion: %s\n" % (name, version)).encode()
    with tarfile.open(str(path), "w:gz") as archive:
        info = tarfile.TarInfo("%s/Chart.yaml" % name)
        info.size = len(meta)
        archive.addfile(info, io.BytesIO(meta))
    return hashlib.sha256(path.read_bytes()).hexdigest()


CHARTS = [
    ("metallb_chart", "metallb", "0.16.1", {}),
    ("cert_manager_chart", "cert-manager", "v1.21.1", {}),
    ("ingress_nginx_chart", "ingress-nginx", "4.15.1", {"chainops_ingress": "nginx"}),
    ("ingress_traefik_chart", "traefik", "41.3.0", {"chainops_ingress": "traefik"}),
]


def _chart_problems(prefix, extra, **variables):
    variables = dict(extra, **variables)
    problems = checks._Problems()
    if prefix == "metallb_chart":
        from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_metallb  # noqa: PLC0415 - only here

        _checks_metallb.check_metallb(_view(**variables), problems)
    else:
        edge.check_edge(_view(metallb_pools=POOLS, **variables), problems)
    return problems.lines


@pytest.mark.parametrize(("prefix", "chart", "version", "extra"), CHARTS, ids=[c[0] for c in CHARTS])
def test_the_pinned_archive_with_its_checksum_passes(tmp_path, prefix, chart, version, extra):
    path = tmp_path / ("%s-%s.tgz" % (chart, version))
    digest = _archive(path, chart, version)
    assert _chart_problems(prefix, extra, **{prefix + "_file": str(path), prefix + "_sha256": digest}) == []


@pytest.mark.parametrize(("prefix", "chart", "version", "extra"), CHARTS, ids=[c[0] for c in CHARTS])
def test_every_chart_archive_is_checked(tmp_path, prefix, chart, version, extra):
    path = tmp_path / ("%s-%s.tgz" % (chart, version))
    digest = _archive(path, chart, version)

    def only(subject, words, **variables):
        lines = _chart_problems(prefix, extra, **variables)
        assert len(lines) == 1, lines
        assert lines[0].startswith(subject + ":") and words in lines[0], lines

    only(prefix + "_sha256", "an air-gapped %s_file needs its checksum" % prefix, **{prefix + "_file": str(path)})
    only(prefix + "_sha256", "64 lowercase hex", **{prefix + "_file": str(path), prefix + "_sha256": digest.upper()})
    only(prefix + "_file", "is not a file on the controller", **{prefix + "_file": str(tmp_path / "gone.tgz"), prefix + "_sha256": digest})
    only(prefix + "_sha256", "is not the sha256 of", **{prefix + "_file": str(path), prefix + "_sha256": "0" * 64})
    old = tmp_path / "old.tgz"
    only(prefix + "_file", "holds chart '%s' 0.0.1, not %s %s" % (chart, chart, version),
         **{prefix + "_file": str(old), prefix + "_sha256": _archive(old, chart, "0.0.1")})
    other = tmp_path / "other.tgz"
    only(prefix + "_file", "holds chart 'other'", **{prefix + "_file": str(other), prefix + "_sha256": _archive(other, "other", version)})
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"\x1f\x8b not a chart")
    only(prefix + "_file", "cannot be read as a gzip tar archive",
         **{prefix + "_file": str(junk), prefix + "_sha256": hashlib.sha256(junk.read_bytes()).hexdigest()})
    # an archive of another version is right when the inventory pins that version
    assert _chart_problems(prefix, extra, **{prefix + "_file": str(old), prefix + "_sha256": hashlib.sha256(old.read_bytes()).hexdigest(),
                                             prefix + "_version": "0.0.1"}) == []


# --- the whole preflight accepts each legitimate choice (the variable-name check knows every new variable) -----

def _whole(tmp_path, **variables):
    from _corpus import BASE, flatten, load_yaml  # noqa: PLC0415 - the corpus helpers live beside this file

    tree = load_yaml(BASE)
    tree["all"]["vars"].update(variables)
    hostvars, groups = flatten(tree)
    return checks.check_inventory_report(hostvars, groups)


def test_whole_preflight_accepts_each_choice(tmp_path):
    archive = tmp_path / "cert-manager-v1.21.1.tgz"
    digest = _archive(archive, "cert-manager", "v1.21.1")
    traefik = tmp_path / "traefik-41.3.0.tgz"
    traefik_digest = _archive(traefik, "traefik", "41.3.0")
    for variables in (
        {"chainops_ingress": "k3s"},
        {"chainops_ingress": "none", "k3s_server_disable": ["servicelb", "traefik", "metrics-server"]},
        {"chainops_ingress": "traefik", "chainops_ingress_address": "10.20.0.215",
         "cert_manager_chart_file": str(archive), "cert_manager_chart_sha256": digest,
         "ingress_traefik_chart_file": str(traefik), "ingress_traefik_chart_sha256": traefik_digest},
    ):
        assert _whole(tmp_path, **variables) == ([], []), variables
    # and a misspelt new variable is named with the intended one
    problems, _notices = _whole(tmp_path, chainops_ingres_address="10.20.0.215")
    assert any(line.startswith("chainops_ingres_address:") and "chainops_ingress_address" in line for line in problems), problems
