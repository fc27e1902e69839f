"""Live-cluster checks of the cluster layer: what only a real k3s can prove (docs/testing.md, docs/cluster.md).

Opt-in: CHAINOPS_LIVE_KUBECONFIG=<chainops_secrets_dir>/kubeconfig of a cluster built by playbooks/cluster.yml.
Optional: CHAINOPS_LIVE_K3S_VERSION (expected kubelet version on every node), CHAINOPS_LIVE_API_VIP (the VIP the
kubeconfig must point at). Every check is read-only; the Pod Security check uses a server-side dry run.

Node-side checks (opt-in on top): CHAINOPS_LIVE_SSH=<user> lets the tests run `ssh <user>@<node InternalIP> sudo ...`
on the servers (key-based, non-interactive): the join token's CA pin is compared with each server's CA. The VIP
failover check stops k3s on the server holding the VIP and starts it again; it also needs
CHAINOPS_LIVE_DISRUPT=1."""

import hashlib
import os
import subprocess
import time

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


def _mirror_pods(api):
    pods = api.CoreV1Api().list_namespaced_pod("kube-system", label_selector="app.kubernetes.io/name=kube-vip").items
    return {p.spec.node_name: p for p in pods}


def test_kube_vip_runs_as_a_static_pod_on_every_server_and_one_holds_the_lease(api, nodes):
    pods = _mirror_pods(api)
    for server in _servers(nodes):
        pod = pods.get(server.metadata.name)
        assert pod is not None, "no kube-vip static pod on %s" % server.metadata.name
        # a mirror pod: the kubelet runs it from its static pod folder, not a controller
        assert (pod.metadata.annotations or {}).get("kubernetes.io/config.source") == "file", pod.metadata.name
        assert pod.status.phase == "Running", pod.metadata.name
    lease = api.CoordinationV1Api().read_namespaced_lease("plndr-cp-lock", "kube-system")
    assert lease.spec.holder_identity in {n.metadata.name for n in _servers(nodes)}


SSH_USER = os.environ.get("CHAINOPS_LIVE_SSH", "")
needs_ssh = pytest.mark.skipif(not SSH_USER, reason="CHAINOPS_LIVE_SSH is not set: no node access for node-side checks (opt-in)")


def _address(node):
    return [a.address for a in node.status.addresses if a.type == "InternalIP"][0]


def _ssh(node, command):
    proc = subprocess.run(["ssh", "-o", "BatchMode=yes", "%s@%s" % (SSH_USER, _address(node)), "sudo " + command],
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


@needs_ssh
def test_every_server_joined_with_a_token_that_pins_the_cluster_ca(nodes):
    for server in _servers(nodes):
        ca = hashlib.sha256(_ssh(server, "cat /var/lib/rancher/k3s/server/tls/server-ca.crt")).hexdigest()
        token = _ssh(server, "cat /etc/rancher/k3s/token").decode().strip()
        assert token.startswith("K10%s::server:" % ca), "%s: token does not pin the cluster CA" % server.metadata.name


@needs_ssh
@pytest.mark.skipif(os.environ.get("CHAINOPS_LIVE_DISRUPT") != "1", reason="CHAINOPS_LIVE_DISRUPT=1 not set: the failover check stops k3s on a server")
def test_the_vip_leaves_a_server_whose_k3s_stopped(api, nodes):
    leases = api.CoordinationV1Api()
    holder = leases.read_namespaced_lease("plndr-cp-lock", "kube-system").spec.holder_identity
    node = [n for n in _servers(nodes) if n.metadata.name == holder][0]
    _ssh(node, "systemctl stop k3s")
    try:
        deadline = time.monotonic() + 60
        new_holder = holder
        while time.monotonic() < deadline:
            time.sleep(2)
            try:
                new_holder = leases.read_namespaced_lease("plndr-cp-lock", "kube-system").spec.holder_identity
            except ApiException:
                continue
            if new_holder != holder:
                break
        assert new_holder != holder, "the VIP stayed with %s after its k3s stopped" % holder
        # the VIP answers again, from a server whose API runs
        api.CoreV1Api().list_node()
    finally:
        _ssh(node, "systemctl start --no-block k3s")


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
