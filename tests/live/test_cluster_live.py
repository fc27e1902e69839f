"""Live-cluster checks of the cluster layer: what only a real k3s can prove (docs/testing.md, docs/cluster.md).

Opt-in: CHAINOPS_LIVE_KUBECONFIG=<chainops_secrets_dir>/kubeconfig of a cluster built by playbooks/cluster.yml.
Optional: CHAINOPS_LIVE_K3S_VERSION (expected kubelet version on every node), CHAINOPS_LIVE_API_VIP (the VIP the
kubeconfig must point at). Every check is read-only; the Pod Security check uses a server-side dry run."""

import os

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

KUBECONFIG = os.environ.get("CHAINOPS_LIVE_KUBECONFIG", "")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not KUBECONFIG, reason="CHAINOPS_LIVE_KUBECONFIG is not set: no live cluster to check (opt-in)"),
]


@pytest.fixture(scope="module")
def api():
    config.load_kube_config(config_file=KUBECONFIG)
    return client


@pytest.fixture(scope="module")
def nodes(api):
    return api.CoreV1Api().list_node().items


def _servers(nodes):
    return [n for n in nodes if "node-role.kubernetes.io/control-plane" in (n.metadata.labels or {})]


def test_kubeconfig_points_at_the_vip(api):
    server = api.Configuration.get_default_copy().host
    vip = os.environ.get("CHAINOPS_LIVE_API_VIP")
    if vip:
        assert server == "https://%s:6443" % vip
    assert "127.0.0.1" not in server and "localhost" not in server


def test_every_node_is_ready_on_the_pinned_version(nodes):
    expected = os.environ.get("CHAINOPS_LIVE_K3S_VERSION")
    for node in nodes:
        ready = [c.status for c in node.status.conditions if c.type == "Ready"]
        assert ready == ["True"], node.metadata.name
        if expected:
            assert node.status.node_info.kubelet_version == expected, node.metadata.name


def test_ha_control_plane_with_an_odd_number_of_etcd_members(nodes):
    servers = _servers(nodes)
    assert len(servers) >= 3 and len(servers) % 2 == 1, [n.metadata.name for n in servers]
    assert all("node-role.kubernetes.io/etcd" in n.metadata.labels for n in servers)


def test_topology_labels_on_every_node(nodes):
    for node in nodes:
        labels = node.metadata.labels or {}
        assert labels.get("topology.kubernetes.io/zone"), node.metadata.name
        assert labels.get("topology.chainops.io/rack"), node.metadata.name


def test_kube_vip_runs_on_every_server_and_one_holds_the_lease(api, nodes):
    ds = api.AppsV1Api().read_namespaced_daemon_set("kube-vip", "kube-system")
    assert ds.status.number_ready == ds.status.desired_number_scheduled == len(_servers(nodes))
    lease = api.CoordinationV1Api().read_namespaced_lease("plndr-cp-lock", "kube-system")
    assert lease.spec.holder_identity in {n.metadata.name for n in _servers(nodes)}


def test_servicelb_and_traefik_are_not_deployed(api):
    apps = api.AppsV1Api()
    names = {d.metadata.name for d in apps.list_namespaced_deployment("kube-system").items}
    assert "traefik" not in names
    assert not [d for d in apps.list_namespaced_daemon_set("kube-system").items if d.metadata.name.startswith("svclb-")]


def test_pod_security_restricted_is_enforced_by_default(api):
    pod = api.V1Pod(
        metadata=api.V1ObjectMeta(name="chainops-psa-probe"),
        spec=api.V1PodSpec(containers=[api.V1Container(
            name="probe", image="registry.invalid/probe:1",
            security_context=api.V1SecurityContext(privileged=True))]),
    )
    with pytest.raises(ApiException) as refused:
        api.CoreV1Api().create_namespaced_pod("default", pod, dry_run="All")
    assert refused.value.status == 403 and "PodSecurity" in refused.value.body
