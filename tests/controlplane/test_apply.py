"""The cluster layer's rendered objects, applied for real through k8s_render (server-side apply, field manager
`chainops`) to a real API server configured like the k3s servers: every object accepted, a second apply changes
nothing, and what the controllers derive from them exists."""

import os
import time

import controlplane
import pytest
import yaml
from kubernetes import client, dynamic

INVENTORIES = ["production-example", "lab"]
MANAGER = "chainops"


def _objects(render_dir):
    layer = os.path.join(render_dir, "cluster")
    docs = []
    for name in sorted(os.listdir(layer)):
        with open(os.path.join(layer, name)) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    return docs


def _live(cp, doc):
    resource = dynamic.DynamicClient(cp.api_client()).resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    return resource.get(name=doc["metadata"]["name"], namespace=doc["metadata"].get("namespace")).to_dict()


def _applied_state(live):
    """What a no-op apply leaves alone: the spec generation and the chainops field manager's entry (its fields
    and timestamp). Controllers' status writes change resourceVersion, so it is not compared."""
    entry = [m for m in live["metadata"]["managedFields"] if m["manager"] == MANAGER and m["operation"] == "Apply"]
    return live["metadata"].get("generation"), entry


@pytest.fixture(scope="module", params=INVENTORIES)
def applied(request, start_controlplane):
    cp = start_controlplane(request.param)
    # the lab inventory renders only (chainops_apply: false); the operator's switch turns the apply on
    first = cp.playbook("apply.yml", {"chainops_apply": True}, json_output=True)
    docs = _objects(cp.render_dir) if first.returncode == 0 else []
    versions = {(d["kind"], d["metadata"]["name"]): _applied_state(_live(cp, d)) for d in docs}
    second = cp.playbook("apply.yml", {"chainops_apply": True}, json_output=True)
    yield cp, first, second, docs, versions
    start_controlplane.finish(cp)


def test_every_object_accepted(applied):
    cp, first, _second, docs, _versions = applied
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    # k8s_render applies one file per task (apply_one.yml): two files, two task results
    applies = controlplane.task_results(first.result, "Apply with server-side apply")
    assert len(applies) == 2, applies
    assert all(r["changed"] for r in applies), "the first apply must create the objects"
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "DaemonSet", "ServiceAccount"], kinds
    for doc in docs:
        live = _live(cp, doc)
        managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
        assert (MANAGER, "Apply") in managers, (doc["kind"], managers)
        # the server kept what was sent (nothing pruned as unknown, nothing rewritten)
        for key, value in (doc.get("metadata", {}).get("labels") or {}).items():
            assert live["metadata"]["labels"][key] == value
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    env = {e["name"]: e.get("value") for e in _live(cp, ds)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["address"] == cp.config["api_vip"] and env["vip_arp"] == "true", env


def test_second_apply_changes_nothing(applied):
    cp, _first, second, docs, versions = applied
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-2000:]
    applies = controlplane.task_results(second.result, "Apply with server-side apply")
    assert [r["changed"] for r in applies] == [False, False], applies
    for doc in docs:
        assert _applied_state(_live(cp, doc)) == versions[(doc["kind"], doc["metadata"]["name"])], doc["kind"]


def test_kube_vip_runs_on_every_server_and_only_there(applied):
    """The DaemonSet controller and the scheduler place one kube-vip pod per control-plane node; kwok makes
    them Ready; the DaemonSet status counts them."""
    cp, first, _second, _docs, _versions = applied
    assert first.returncode == 0
    servers = sorted(n["name"] for n in cp.nodes if n["role"] == "server")
    apps, core = client.AppsV1Api(cp.api_client()), client.CoreV1Api(cp.api_client())
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = apps.read_namespaced_daemon_set("kube-vip", "kube-system").status
        if status.number_ready == len(servers) and status.desired_number_scheduled == len(servers):
            break
        time.sleep(1)
    pods = core.list_namespaced_pod("kube-system", label_selector="app.kubernetes.io/name=kube-vip").items
    assert sorted(p.spec.node_name for p in pods) == servers, [(p.metadata.name, p.spec.node_name, p.status.phase) for p in pods]
    assert all(p.status.phase == "Running" for p in pods)
    assert status.number_ready == len(servers), status


def test_kube_vip_rbac_is_what_it_needs(applied):
    """The real authorizer, asked as kube-vip's service account: leader-election leases yes, anything else no."""
    cp, first, _second, _docs, _versions = applied
    assert first.returncode == 0
    authz = client.AuthorizationV1Api(cp.api_client())
    user = "system:serviceaccount:kube-system:kube-vip"

    def allowed(verb, resource, group="", namespace="kube-system"):
        review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
            user=user, groups=["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
            resource_attributes=client.V1ResourceAttributes(verb=verb, resource=resource, group=group, namespace=namespace)))
        return authz.create_subject_access_review(review).status.allowed

    assert allowed("update", "leases", "coordination.k8s.io")
    assert allowed("watch", "nodes", namespace="")
    assert allowed("list", "endpointslices", "discovery.k8s.io")
    assert not allowed("delete", "leases", "coordination.k8s.io")
    assert not allowed("update", "services")
    assert not allowed("get", "secrets")
