"""The platform layer (MetalLB) as rendered: values against the pinned chart, objects that reference each other by
the right names, the two networks each on its own interface, and refusals before anything is rendered."""

import base64
import glob
import hashlib
import os
import subprocess

import chart_values
import pytest
import validate
import yaml

REPO = validate.REPO
PRODUCTION = "inventories/production-example"
BGP_VARS = {
    "metallb_mode": "bgp",
    "metallb_bgp_my_asn": 64512,
    "metallb_bgp_peers": [
        {"name": "tor-a", "address": "10.10.0.1", "asn": 64600, "bfd": True, "pools": ["api"]},
        {"name": "edge-b", "address": "192.0.2.1", "asn": 64601, "pools": ["p2p"]},
        {"name": "core-c", "address": "10.10.0.2", "asn": 64602},
    ],
}


def _run(playbook, inventory, dest, extra=None, tmp=None):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"))
    extra = dict(extra or {}, chainops_render_dir=str(dest), chainops_apply=False)
    path = os.path.join(tmp or os.path.dirname(str(dest)), "extra-vars.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(extra, handle)
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), playbook, "-i", inventory, "-e", "@%s" % path]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)


def _objects(root, pattern="[0-9][0-9]-metallb-*.yaml"):
    """The objects of MetalLB's files (the platform folder also holds cert-manager's and the ingress's, see test_edge.py)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "platform", pattern))):
        for _index, doc in validate.iter_documents(path):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


@pytest.fixture(scope="module", params=["l2", "bgp"])
def platform(request, tmp_path_factory):
    dest = tmp_path_factory.mktemp("platform-%s" % request.param)
    extra_dir = tmp_path_factory.mktemp("extra-%s" % request.param)
    proc = _run("playbooks/platform.yml", PRODUCTION, str(dest), BGP_VARS if request.param == "bgp" else None, str(extra_dir))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return request.param, _objects(str(dest)), str(dest)


def _require_charts():
    if not os.path.isdir(chart_values.CHARTS):
        message = "pinned chart defaults not found at %s (set CHAINOPS_CHARTS)" % chart_values.CHARTS
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_every_object_validates(platform):
    _mode, _objs, dest = platform
    counts = validate.validate_paths([os.path.join(dest, "platform")])
    assert counts["core"] >= 1 and counts["crd"] >= 4, counts


def test_chart_values_exist_in_the_pinned_chart(platform):
    _require_charts()
    _mode, objs, _dest = platform
    charts = [doc for (kind, _name), doc in objs.items() if kind == "HelmChart"]
    assert [doc["metadata"]["name"] for doc in charts] == ["metallb"]
    for doc in charts:
        assert chart_values.check_helmchart(doc) == []


def test_helmchart_never_reinstalls(platform):
    _mode, objs, _dest = platform
    spec = objs[("HelmChart", "metallb")]["spec"]
    assert spec["failurePolicy"] == "abort"
    assert spec["createNamespace"] is False
    assert spec["targetNamespace"] == "metallb-system"
    assert spec["version"] == "0.16.1"


def test_backend_follows_the_mode(platform):
    mode, objs, _dest = platform
    values = yaml.safe_load(objs[("HelmChart", "metallb")]["spec"]["valuesContent"])
    assert values["speaker"]["frr"]["enabled"] is False
    assert values["frrk8s"]["enabled"] is (mode == "bgp")


def test_only_metallb_namespace_is_privileged(platform):
    _mode, objs, _dest = platform
    namespaces = {name: doc for (kind, name), doc in objs.items() if kind == "Namespace"}
    assert list(namespaces) == ["metallb-system"]
    labels = namespaces["metallb-system"]["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")} == {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/audit": "privileged",
        "pod-security.kubernetes.io/warn": "privileged",
    }


def test_pools_follow_the_inventory(platform):
    _mode, objs, _dest = platform
    pools = {name: doc["spec"] for (kind, name), doc in objs.items() if kind == "IPAddressPool"}
    assert pools == {
        "api": {"addresses": ["10.10.0.200-10.10.0.220"], "autoAssign": True, "avoidBuggyIPs": True},
        "p2p": {"addresses": ["192.0.2.128/28"], "autoAssign": False, "avoidBuggyIPs": True},
    }
    assert {doc["metadata"]["namespace"] for (kind, _n), doc in objs.items() if kind not in {"Namespace", "HelmChart"}} == {"metallb-system"}


def test_every_pool_is_announced_where_it_belongs(platform):
    mode, objs, _dest = platform
    pools = {name for (kind, name) in objs if kind == "IPAddressPool"}
    if mode == "l2":
        ads = {name: doc["spec"] for (kind, name), doc in objs.items() if kind == "L2Advertisement"}
        assert {p for spec in ads.values() for p in spec["ipAddressPools"]} == pools
        assert ads["api"]["interfaces"] == ["eth0"] and ads["p2p"]["interfaces"] == ["eth1"]
        assert not [k for k, _n in objs if k.startswith("BGP")]
        return
    peers = {name: doc["spec"] for (kind, name), doc in objs.items() if kind == "BGPPeer"}
    assert peers["tor-a"] == {"myASN": 64512, "peerASN": 64600, "peerAddress": "10.10.0.1", "bfdProfile": "chainops"}
    assert "bfdProfile" not in peers["edge-b"]
    assert ("BFDProfile", "chainops") in objs
    ads = {name: doc["spec"] for (kind, name), doc in objs.items() if kind == "BGPAdvertisement"}
    assert {p for spec in ads.values() for p in spec["ipAddressPools"]} == pools
    # a peer restricted to some pools hears only those; an empty peer list (= every peer) is never rendered
    assert ads["api"]["peers"] == ["core-c", "tor-a"]
    assert ads["p2p"]["peers"] == ["core-c", "edge-b"]
    assert not [k for k, _n in objs if k == "L2Advertisement"]


def test_lab_renders_the_platform_layer(tmp_path):
    proc = _run("playbooks/render.yml", "inventories/lab", str(tmp_path / "out"), tmp=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    objs = _objects(str(tmp_path / "out"))
    assert ("HelmChart", "metallb") in objs and ("IPAddressPool", "p2p") in objs


@pytest.mark.parametrize(("extra", "words"), [
    ({"metallb_mode": "bgp"}, ["metallb_mode bgp needs metallb_bgp_my_asn", "metallb_bgp_peers"]),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [{"name": "a", "address": "10.10.0.1", "asn": 1, "pools": ["api"]}]},
     ["pools [\"p2p\"] are advertised to no peer"]),
    ({"metallb_mode": "bgp", "metallb_bgp_my_asn": 64512, "metallb_bgp_peers": [{"name": "a", "address": "10.10.0.1", "asn": 1, "pools": ["api", "pp2"]}]},
     ["pools [\"pp2\"] are not in metallb_pools"]),
    ({"metallb_pools": [{"name": "api", "network": "mgmt", "addresses": ["10.10.0.200/30"]}]},
     ["metallb_pools must have a pool with network: mgmt and one with network: p2p"]),
    ({"metallb_chart_file": "/nonexistent/metallb-0.16.1.tgz"}, ["metallb_chart_sha256 must be the sha256 of metallb_chart_file"]),
    ({"metallb_mode": "l3"}, ["metallb_mode", "l2, bgp"]),
])
def test_refusals_name_the_variable(tmp_path, extra, words):
    _assert_refused(tmp_path, extra, words, "12-metallb-pools.yaml")


def _assert_refused(tmp_path, extra, words, never_written):
    """playbooks/platform.yml on the production example with ``extra`` fails, its output holds every one of ``words``,
    and the platform file ``never_written`` was not rendered."""
    proc = _run("playbooks/platform.yml", PRODUCTION, str(tmp_path / "out"), extra, str(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    for word in words:
        assert word in out, (word, out[-3000:])
    assert not os.path.exists(os.path.join(str(tmp_path / "out"), "platform", never_written))


# every chart of the platform layer: (variable prefix, HelmChart name, chart, file in the platform folder, extra variables)
AIRGAP = [
    ("metallb_chart", "metallb", "metallb", "11-metallb-chart.yaml", {}),
    ("cert_manager_chart", "cert-manager", "cert-manager", "21-cert-manager-chart.yaml", {}),
    ("ingress_nginx_chart", "ingress-nginx", "ingress-nginx", "31-ingress-chart.yaml", {"chainops_ingress": "nginx"}),
    ("ingress_traefik_chart", "chainops-traefik", "traefik", "31-ingress-chart.yaml", {"chainops_ingress": "traefik"}),
]


@pytest.mark.parametrize("case", AIRGAP, ids=[a[0] for a in AIRGAP])
def test_every_chart_travels_as_chart_content_after_its_checksum(tmp_path, case):
    """One code path (roles/k8s_render tasks/chart_content.yml) for every chart: a wrong checksum is refused before the
    chart's file is rendered, the right one embeds the archive byte for byte in place of repo, chart and version."""
    prefix, name, chart, filename, extra = case
    archive = tmp_path / ("%s.tgz" % chart)
    archive.write_bytes(b"\x1f\x8b stand-in bytes with a known checksum for " + chart.encode())
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    wrong = _run("playbooks/platform.yml", PRODUCTION, str(tmp_path / "bad"),
                 dict(extra, **{prefix + "_file": str(archive), prefix + "_sha256": "0" * 64}), str(tmp_path))
    assert wrong.returncode != 0 and "not %s_sha256 %s" % (prefix, "0" * 64) in wrong.stdout, wrong.stdout[-3000:]
    assert not os.path.exists(str(tmp_path / "bad" / "platform" / filename))
    good = _run("playbooks/platform.yml", PRODUCTION, str(tmp_path / "good"),
                dict(extra, **{prefix + "_file": str(archive), prefix + "_sha256": digest}), str(tmp_path))
    assert good.returncode == 0, good.stdout[-3000:]
    charts = {}
    for path in glob.glob(str(tmp_path / "good" / "platform" / "[0-9][0-9]-*-chart.yaml")):
        for _index, doc in validate.iter_documents(path):
            charts[doc["metadata"]["name"]] = doc
    spec = charts[name]["spec"]
    assert base64.b64decode(spec["chartContent"]) == archive.read_bytes()
    assert "repo" not in spec and "chart" not in spec and "version" not in spec
    assert charts[name]["metadata"]["annotations"]["chainops.io/chart"] == chart
    # the other charts still come from their repositories: one embedded archive never leaks into another chart
    for other, doc in charts.items():
        if other != name:
            assert "chartContent" not in doc["spec"] and doc["spec"]["repo"].startswith("https://"), other


def test_k3s_traefik_renders_no_ingress(tmp_path):
    """chainops_ingress k3s: the platform layer renders MetalLB and cert-manager, says that k3s's packaged Traefik serves,
    and removes the ingress files an earlier render left."""
    dest = tmp_path / "out"
    first = _run("playbooks/platform.yml", PRODUCTION, str(dest), None, str(tmp_path))
    assert first.returncode == 0, first.stdout[-3000:]
    assert glob.glob(str(dest / "platform" / "3[0-9]-ingress-*.yaml"))
    packaged = {"chainops_ingress": "k3s", "chainops_edge_routes": [], "cert_manager_issuers": ["private-ca"]}
    proc = _run("playbooks/platform.yml", PRODUCTION, str(dest), packaged, str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    names = sorted(os.path.basename(p) for p in glob.glob(str(dest / "platform" / "*.yaml")))
    assert names and all(n[0] in "12" for n in names), names
    assert any("-metallb-" in n for n in names) and any("-cert-manager-" in n for n in names), names
    assert "chainops_ingress is k3s: no ingress controller of the collection is installed; k3s's packaged Traefik serves" in proc.stdout
