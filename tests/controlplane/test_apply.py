"""The cluster layer's rendered object - kube-vip's static pod, which the kubelet runs from k3s's pod-manifests
folder on every server - judged by a real API server configured like the k3s servers: accepted by schema validation
and admission in kube-system (the namespace the collection exempts from Pod Security), refused in a namespace that
enforces "restricted" (it needs host networking), and pointing at the local API through k3s's own kubeconfig."""

import os

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

INVENTORIES = ["production-example", "lab"]


def _objects(render_dir):
    layer = os.path.join(render_dir, "cluster")
    docs = []
    for name in sorted(os.listdir(layer)):
        with open(os.path.join(layer, name)) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    return docs


@pytest.fixture(scope="module", params=INVENTORIES)
def rendered(request, start_controlplane):
    cp = start_controlplane(request.param)
    result = cp.playbook("apply.yml", {}, json_output=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    yield cp, _objects(cp.render_dir)
    start_controlplane.finish(cp)


def test_the_cluster_layer_is_one_static_pod(rendered):
    cp, docs = rendered
    assert [(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs] == [("Pod", "kube-system", "kube-vip")]
    spec = docs[0]["spec"]
    assert spec["hostNetwork"] is True
    env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
    assert env["address"] == cp.config["api_vip"] and env["vip_arp"] == "true", env
    paths = [v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v]
    assert paths == ["/etc/rancher/k3s/k3s.yaml"], paths  # the local API, not the in-cluster Service


def _as_mirror_pod(doc, node):
    """What the kubelet submits for a static pod: the same pod, bound to its node, marked as a mirror pod."""
    annotations = dict(doc["metadata"].get("annotations") or {}, **{"kubernetes.io/config.mirror": "static"})
    return dict(doc, metadata=dict(doc["metadata"], annotations=annotations), spec=dict(doc["spec"], nodeName=node))


def test_the_static_pod_is_accepted_in_kube_system(rendered):
    cp, docs = rendered
    core = client.CoreV1Api(cp.api_client())
    node = core.list_node().items[0].metadata.name
    created = core.create_namespaced_pod("kube-system", _as_mirror_pod(docs[0], node), dry_run="All", field_manager="chainops")
    assert created.metadata.name == "kube-vip" and created.spec.host_network is True


def test_the_static_pod_is_refused_where_restricted_is_enforced(rendered):
    cp, docs = rendered
    core = client.CoreV1Api(cp.api_client())
    name = "restricted-check"
    core.create_namespace({"metadata": {"name": name, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    node = core.list_node().items[0].metadata.name
    pod = _as_mirror_pod(dict(docs[0], metadata=dict(docs[0]["metadata"], namespace=name)), node)
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(name, pod, dry_run="All")
    assert refused.value.status == 403 and "violates PodSecurity" in refused.value.body
