"""The k3s CIS profile as the roles render it (roles/k3s_server config.yaml, config.yaml.d/40-cis.yaml, psa.yaml;
roles/k3s_common 20-node.yaml and 90-kubelet.conf): each flag of the k3s CIS hardening guide that the collection sets is
asserted on the rendered file, one test each, without a host (molecule checks the same files on Debian containers)."""

import pytest
import yaml
from role_render import RoleRender

# the run's bootstrap decision (filter k3s_bootstrap_plan, tested on its own): a new cluster, srv1 bootstraps it
PLAN = {"modes": {"srv1": "cluster-init", "srv2": "join", "srv3": "join"},
        "urls": {host: "https://10.20.0.10:6443" for host in ("srv1", "srv2", "srv3")}}
INVENTORY = dict(inventory_hostname="srv1", groups={"k3s_servers": ["srv1", "srv2", "srv3"]}, chainops_mgmt_address="10.20.0.11",
                 chainops_mgmt_interface="eno1", k3s_api_vip="10.20.0.10", chainops_zone="zone-a", chainops_rack="rack-1",
                 __k3s_server_plan=PLAN)


def render():
    return RoleRender("k3s_common", "k3s_server", **INVENTORY)


def fragment(variable, about="test"):
    r = render()
    text = r.template("k3s_server", "config-fragment.yaml.j2", _k3s_server_fragment=r.var(variable), _k3s_server_fragment_about=about)
    return yaml.safe_load(text)


def server_config():
    return yaml.safe_load(render().template("k3s_server", "config.yaml.j2"))


def node_config():
    return yaml.safe_load(render().template("k3s_common", "node-config.yaml.j2"))


def args(values):
    """['key=value', ...] -> {key: value}; a key given twice is an error (k3s passes both, the last one wins)."""
    out = {}
    for item in values:
        key, _sep, value = item.partition("=")
        assert key not in out, "%s given twice" % key
        out[key] = value
    return out


# kube-apiserver-arg in 40-cis.yaml (k3s CIS hardening guide, "API server" section)
APISERVER = [
    ("enable-admission-plugins", "NodeRestriction,EventRateLimit"),
    ("admission-control-config-file", "/var/lib/rancher/k3s/server/psa.yaml"),
    ("audit-log-path", "/var/lib/rancher/k3s/server/logs/audit.log"),
    ("audit-policy-file", "/var/lib/rancher/k3s/server/audit.yaml"),
    ("audit-log-maxage", "30"),
    ("audit-log-maxbackup", "10"),
    ("audit-log-maxsize", "100"),
    ("service-account-extend-token-expiration", "false"),
]


@pytest.mark.parametrize("flag, value", APISERVER, ids=[f for f, _v in APISERVER])
def test_apiserver_cis_flag(flag, value):
    assert args(fragment("_k3s_server_cis_config")["kube-apiserver-arg"]).get(flag) == value


def test_controller_manager_cis_flag():
    assert args(fragment("_k3s_server_cis_config")["kube-controller-manager-arg"]) == {"terminated-pod-gc-threshold": "100"}


def test_extra_apiserver_args_come_after_the_cis_set_without_replacing_it():
    r = RoleRender("k3s_common", "k3s_server", k3s_server_apiserver_extra_args=["request-timeout=300s"], **INVENTORY)
    rendered = yaml.safe_load(r.template("k3s_server", "config-fragment.yaml.j2", _k3s_server_fragment=r.var("_k3s_server_cis_config"),
                                         _k3s_server_fragment_about="x"))
    flags = args(rendered["kube-apiserver-arg"])
    assert flags["request-timeout"] == "300s" and all(flags[f] == v for f, v in APISERVER)


# config.yaml (every server): secrets encryption and a private admin kubeconfig
@pytest.mark.parametrize("key, value", [("secrets-encryption", True), ("write-kubeconfig-mode", "0600")])
def test_server_config_cis_setting(key, value):
    assert server_config()[key] == value


def test_first_server_bootstraps_and_others_join_through_the_vip():
    assert server_config()["cluster-init"] is True
    other = yaml.safe_load(RoleRender("k3s_common", "k3s_server", **{**INVENTORY, "inventory_hostname": "srv2"})
                           .template("k3s_server", "config.yaml.j2"))
    assert "cluster-init" not in other and other["server"] == "https://10.20.0.10:6443"
    assert other["secrets-encryption"] is True and other["write-kubeconfig-mode"] == "0600"


# 20-node.yaml (every node): kubelet hardening
def test_protect_kernel_defaults():
    assert node_config()["protect-kernel-defaults"] is True


KUBELET = [
    ("streaming-connection-idle-timeout", "5m"),
    ("tls-cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,"
                          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"),
    ("pod-max-pids", "16384"),
]


@pytest.mark.parametrize("flag, value", KUBELET, ids=[f for f, _v in KUBELET])
def test_kubelet_cis_flag(flag, value):
    assert args(node_config()["kubelet-arg"]).get(flag) == value


# 90-kubelet.conf: the kernel tunables protect-kernel-defaults requires (k3s CIS guide, "Set kernel parameters")
@pytest.mark.parametrize("key, value", [("vm.panic_on_oom", "0"), ("vm.overcommit_memory", "1"), ("kernel.panic", "10"),
                                        ("kernel.panic_on_oops", "1")])
def test_kubelet_kernel_tunable(key, value):
    text = render().template("k3s_common", "90-kubelet.conf.j2")
    lines = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert lines.get(key) == value


# psa.yaml: Pod Security Admission restricted everywhere but kube-system, and EventRateLimit configured
def test_pod_security_defaults_are_restricted():
    doc = yaml.safe_load(render().template("k3s_server", "psa.yaml.j2"))
    plugins = {p["name"]: p["configuration"] for p in doc["plugins"]}
    defaults = plugins["PodSecurity"]["defaults"]
    assert {defaults[k] for k in ("enforce", "audit", "warn")} == {"restricted"}
    assert plugins["PodSecurity"]["exemptions"]["namespaces"] == ["kube-system"]
    assert plugins["EventRateLimit"]["limits"], "EventRateLimit without limits"
