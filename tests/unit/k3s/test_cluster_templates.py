"""The cluster layer's rendered files: kube-vip as a static pod bound to the local API, the unit's start timeout,
the kernel settings protect-kernel-defaults checks, and an audit policy that drops lease renewals."""

import ipaddress
import os

import jinja2
import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SERVER = os.path.join(REPO, "roles", "k3s_server")
COMMON = os.path.join(REPO, "roles", "k3s_common")


def _is_ipv4(value):
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def render(role, name, **variables):
    # YAML and unit files, not HTML: no autoescaping (the roles render them the same way)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(role, "templates")), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, autoescape=jinja2.select_autoescape(default=False, default_for_string=False))
    env.tests["ansible.utils.ipv4_address"] = _is_ipv4
    return env.get_template(name).render(ansible_managed="managed", **variables)


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


KUBE_VIP = {
    "k3s_server_api_vip": "10.0.0.10", "k3s_server_api_port": 6443, "k3s_server_kube_vip_interface": "ens18",
    "k3s_server_kube_vip_image": "ghcr.io/kube-vip/kube-vip", "k3s_server_kube_vip_version": "v1.0.1",
    "k3s_server_kube_vip_lease_duration": 15, "k3s_server_kube_vip_renew_deadline": 10, "k3s_server_kube_vip_retry_period": 2,
    "_k3s_server_pod_manifests_dir": "/var/lib/rancher/k3s/agent/pod-manifests", "_k3s_server_config_dir": "/etc/rancher/k3s",
}


@pytest.fixture
def pod():
    return yaml.safe_load(render(SERVER, "kube-vip.yaml.j2", **KUBE_VIP))


def test_kube_vip_is_a_static_pod_on_the_host_network(pod):
    assert pod["apiVersion"] == "v1" and pod["kind"] == "Pod"
    assert pod["metadata"]["namespace"] == "kube-system"
    spec = pod["spec"]
    assert spec["hostNetwork"] is True
    assert "serviceAccountName" not in spec, "a static pod cannot use a ServiceAccount token"
    container = spec["containers"][0]
    assert container["image"] == "ghcr.io/kube-vip/kube-vip:v1.0.1"
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]}


def test_kube_vip_talks_to_the_local_api_only(pod):
    """k3s's admin kubeconfig (server https://127.0.0.1:6443) is mounted where kube-vip reads its kubeconfig."""
    spec = pod["spec"]
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert mounts["kubeconfig"]["mountPath"] == "/etc/kubernetes/admin.conf"
    assert mounts["kubeconfig"]["readOnly"] is True
    assert volumes["kubeconfig"]["hostPath"] == {"path": "/etc/rancher/k3s/k3s.yaml", "type": "File"}
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    assert "KUBECONFIG" not in env and "inCluster" not in env and "in_cluster" not in env


def test_kube_vip_announces_the_vip_on_the_one_interface_with_leader_election(pod):
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["address"] == "10.0.0.10" and env["port"] == "6443"
    assert env["vip_interface"] == "ens18" and env["vip_subnet"] == "32"
    assert env["vip_arp"] == "true" and env["cp_enable"] == "true" and env["svc_enable"] == "false"
    assert env["vip_leaderelection"] == "true" and env["vip_leasename"] == "plndr-cp-lock"
    assert (env["vip_leaseduration"], env["vip_renewdeadline"], env["vip_retryperiod"]) == ("15", "10", "2")
    node = [e for e in pod["spec"]["containers"][0]["env"] if e["name"] == "vip_nodename"][0]
    assert node["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"


def test_ipv6_vip_gets_a_128_subnet():
    pod = yaml.safe_load(render(SERVER, "kube-vip.yaml.j2", **{**KUBE_VIP, "k3s_server_api_vip": "fd00::10"}))
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["vip_subnet"] == "128"


def test_unit_never_kills_a_server_waiting_for_quorum():
    defaults = _load(os.path.join(COMMON, "defaults", "main.yml"))
    assert defaults["k3s_common_start_timeout"] == "infinity"
    unit = render(COMMON, "k3s.service.j2", k3s_common_role="server", k3s_common_config_dir="/etc/rancher/k3s",
                  _k3s_common_unit_type="notify", k3s_common_start_timeout="infinity", k3s_common_bin_dir="/usr/local/bin")
    assert "TimeoutStartSec=infinity" in unit.splitlines()
    assert "Restart=always" in unit.splitlines()


def test_kernel_settings_cover_everything_the_kubelet_checks():
    """pkg/kubelet/cm setupKernelTunables with protect-kernel-defaults: these six, written by k3s_common itself."""
    sysctl = _load(os.path.join(COMMON, "vars", "main.yml"))["_k3s_common_sysctl"]
    assert sysctl == {"vm.overcommit_memory": 1, "vm.panic_on_oom": 0, "kernel.panic": 10, "kernel.panic_on_oops": 1,
                      "kernel.keys.root_maxkeys": 1000000, "kernel.keys.root_maxbytes": 25000000}
    text = render(COMMON, "90-kubelet.conf.j2", _k3s_common_sysctl=sysctl)
    assert "kernel.keys.root_maxbytes=25000000" in text.splitlines()


def _audit_level(rules, user_groups, verb, group, resource):
    """First-match evaluation of an audit policy for one resource request (what the API server does)."""
    for rule in rules:
        if "nonResourceURLs" in rule:
            continue
        if "userGroups" in rule and not set(rule["userGroups"]) & set(user_groups):
            continue
        if "verbs" in rule and verb not in rule["verbs"]:
            continue
        if "resources" in rule and not any(r.get("group", "") == group and resource in r.get("resources", []) for r in rule["resources"]):
            continue
        return rule["level"]
    return "None"


@pytest.mark.parametrize("groups", [["system:nodes"], ["system:masters"], ["system:serviceaccounts", "system:authenticated"]])
def test_audit_policy_drops_lease_renewals_of_every_client(groups):
    rules = _load(os.path.join(SERVER, "defaults", "main.yml"))["k3s_server_audit_policy_rules"]
    for verb in ("get", "update", "patch"):
        assert _audit_level(rules, groups, verb, "coordination.k8s.io", "leases") == "None"
    assert _audit_level(rules, groups, "delete", "coordination.k8s.io", "leases") == "Request"
    assert _audit_level(rules, groups, "update", "", "secrets") == "Metadata"
    assert _audit_level(rules, groups, "update", "apps", "deployments") == "Request"
