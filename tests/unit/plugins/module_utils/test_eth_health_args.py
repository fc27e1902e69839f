"""Shared module options: argument spec = doc fragment = model defaults, kubeconfig reading, endpoint building."""

import base64
import os

import pytest
import yaml

from eth_fakes import FakeNode

from ansible_collections.chainops.ethereum.plugins.doc_fragments.eth_endpoints import ModuleDocFragment
from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health as h
from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health_args as a

DOC = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def _compare(spec, doc, where):
    assert sorted(spec) == sorted(doc), where
    for name, opt in spec.items():
        d = doc[name]
        assert d["type"] == opt.get("type", "str"), "%s.%s type" % (where, name)
        assert d.get("default") == opt.get("default"), "%s.%s default" % (where, name)
        assert bool(d.get("required")) == bool(opt.get("required")), "%s.%s required" % (where, name)
        assert d.get("choices") == opt.get("choices"), "%s.%s choices" % (where, name)
        assert d.get("elements") == opt.get("elements"), "%s.%s elements" % (where, name)
        if "options" in opt:
            _compare(opt["options"], d["suboptions"], "%s.%s" % (where, name))


def test_argument_spec_matches_the_doc_fragment():
    _compare(a.eth_endpoints_argument_spec(), DOC, "options")


def test_criteria_defaults_are_the_model_defaults():
    spec = a.CRITERIA_OPTIONS
    assert sorted(spec) == sorted(h.DEFAULT_CRITERIA)
    for key, value in h.DEFAULT_CRITERIA.items():
        assert spec[key].get("default") == value, key
    assert spec["skip"]["choices"] == list(h.CRITERION_NAMES)


def test_criteria_from_params():
    params = {"criteria": {k: v.get("default") for k, v in a.CRITERIA_OPTIONS.items()}}
    params["criteria"]["expected_chain_id"] = 17000
    crit = a.criteria_from_params(params)
    assert crit["expected_chain_id"] == 17000 and crit["max_sync_distance"] == 2
    with pytest.raises(a.ConfigError, match="criteria: max_sync_distance must not be negative"):
        a.criteria_from_params({"criteria": {"max_sync_distance": -2}})


def _params(**kw):
    base = {k: v.get("default") for k, v in a.eth_endpoints_argument_spec().items()}
    base.update(kw)
    return base


def _ep(**kw):
    out = {k: v.get("default") for k, v in a.ENDPOINT_OPTIONS.items()}
    out.update(kw)
    return out


def test_url_endpoints_merge_headers_and_auth():
    params = _params(headers={"X-A": "1", "X-B": "top"}, url_username="top", url_password="tp",
                     pairs=[{"name": "p", "execution": _ep(url="http://10.0.0.1:8545", headers={"X-B": "ep"}),
                             "consensus": _ep(url="https://beacon.example.org/api", url_username="me", url_password="pw")}])
    pair = a.build_pairs(params)[0]
    assert pair.execution.headers["X-A"] == "1" and pair.execution.headers["X-B"] == "ep"
    assert pair.execution.headers["Authorization"] == "Basic " + base64.b64encode(b"top:tp").decode()
    assert pair.consensus.headers["Authorization"] == "Basic " + base64.b64encode(b"me:pw").decode()
    assert pair.consensus.label == "https://beacon.example.org/api"


def test_duplicate_pair_names_and_bad_urls_are_config_errors():
    with pytest.raises(a.ConfigError, match="pair names must be unique: 'p'"):
        a.build_pairs(_params(pairs=[{"name": "p", "execution": _ep(url="http://x:1")}, {"name": "p", "execution": _ep(url="http://y:1")}]))
    with pytest.raises(a.ConfigError, match="pair p execution: endpoint URL must be http"):
        a.build_pairs(_params(pairs=[{"name": "p", "execution": _ep(url="10.0.0.1:8545")}]))


def _kubeconfig(tmp_path, server, user, cluster_extra=None, name="kc"):
    cluster = {"server": server}
    cluster.update(cluster_extra or {})
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "main",
           "clusters": [{"name": "c1", "cluster": cluster}],
           "contexts": [{"name": "main", "context": {"cluster": "c1", "user": "u1"}},
                        {"name": "other", "context": {"cluster": "c1", "user": "u2"}}],
           "users": [{"name": "u1", "user": user}, {"name": "u2", "user": {"token": "other-token"}}]}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_kubeconfig_token_ca_and_context(tmp_path):
    ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    path = _kubeconfig(tmp_path, "https://10.0.0.1:6443", {"token": "t0k"},
                       {"certificate-authority-data": base64.b64encode(ca.encode()).decode()})
    got = a.load_kube_cluster(path)
    assert got["server"] == "https://10.0.0.1:6443" and got["token"] == "t0k" and got["ca_data"] == ca and got["validate_certs"]
    assert a.load_kube_cluster(path, "other")["token"] == "other-token"
    with pytest.raises(a.ConfigError, match="no context named 'missing'"):
        a.load_kube_cluster(path, "missing")


def test_kubeconfig_token_file_insecure_and_client_cert_data(tmp_path):
    (tmp_path / "token").write_text("from-file\n")
    path = _kubeconfig(tmp_path, "https://k8s:6443", {"tokenFile": "token", "client-certificate-data": base64.b64encode(b"CERT").decode(),
                                                      "client-key-data": base64.b64encode(b"KEY").decode()},
                       {"insecure-skip-tls-verify": True})
    got = a.load_kube_cluster(path, tmpdir=str(tmp_path))
    assert got["token"] == "from-file" and got["validate_certs"] is False
    with open(got["client_cert"], "rb") as handle:
        assert handle.read() == b"CERT"
    with open(got["client_key"], "rb") as handle:
        assert handle.read() == b"KEY"
    assert os.path.dirname(got["client_cert"]) == str(tmp_path)


def test_kubeconfig_exec_users_are_refused(tmp_path):
    path = _kubeconfig(tmp_path, "https://k8s:6443", {"exec": {"command": "aws", "args": ["eks", "get-token"]}})
    with pytest.raises(a.ConfigError, match="exec plugin or auth-provider, which these modules do not run"):
        a.load_kube_cluster(path)


def test_kubeconfig_default_path_from_env(tmp_path, monkeypatch):
    path = _kubeconfig(tmp_path, "https://from-env:6443", {"token": "x"})
    monkeypatch.setenv("KUBECONFIG", path + os.pathsep + "/nonexistent")
    assert a.load_kube_cluster()["server"] == "https://from-env:6443"
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(a.ConfigError, match="cannot read kubeconfig"):
        a.load_kube_cluster()


def test_kubernetes_endpoint_through_a_fake_api_server(tmp_path):
    """The whole path: kubeconfig -> proxy URL -> bearer token -> client answers come back through the 'API server'."""
    api = FakeNode().start()
    try:
        api.healthy_execution()
        healthy = FakeNode().healthy_consensus()
        prefix = "/api/v1/namespaces/ethereum/pods/https:pair-0:beacon/proxy"
        for path, answer in healthy.rest.items():
            api.rest[prefix + path] = answer
        healthy.server.server_close()
        path = _kubeconfig(tmp_path, api.url, {"token": "sa-token"})
        kube_el = {"namespace": "ethereum", "service": "geth", "pod": None, "port": "8545", "scheme": "http", "path": ""}
        kube_cl = {"namespace": "ethereum", "service": None, "pod": "pair-0", "port": "beacon", "scheme": "https", "path": ""}
        params = _params(kubeconfig=path, pairs=[{"name": "k", "execution": _ep(kubernetes=kube_el), "consensus": _ep(kubernetes=kube_cl)}])
        pair = a.build_pairs(params, str(tmp_path))[0]
        assert pair.execution.label == "k8s:service/ethereum/geth:8545"
        assert pair.consensus.label == "k8s:pod/ethereum/pair-0:beacon"
        report = h.check_pairs([pair], request_timeout=2)[0]
        assert report["healthy"], report["failed"]
        posts = [r for r in api.requests if r[0] == "POST"]
        assert posts[0][1] == "/api/v1/namespaces/ethereum/services/geth:8545/proxy/"
        assert all(r[2]["Authorization"] == "Bearer sa-token" for r in api.requests)
        assert prefix + "/eth/v1/node/syncing" in api.paths_seen("GET")
    finally:
        api.stop()


def test_basic_auth_cannot_go_through_the_api_server(tmp_path):
    path = _kubeconfig(tmp_path, "https://k8s:6443", {"token": "x"})
    kube = {"namespace": "e", "service": "s", "pod": None, "port": "1", "scheme": "http", "path": ""}
    with pytest.raises(a.ConfigError, match="basic auth cannot reach a client through the Kubernetes API server proxy"):
        a.build_pairs(_params(kubeconfig=path, pairs=[{"name": "p", "execution": _ep(kubernetes=kube, url_username="u")}]))
