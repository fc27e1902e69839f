"""The platform (MetalLB) and chain layers, rendered and applied for real through playbooks/platform.yml and
playbooks/chain.yml (k8s_render, server-side apply, field manager `chainops`) to the control plane fixture of the
production-example inventory.

The fixture has no helm-controller: the test stands in for it. It applies k3s's HelmChart CRD (test data,
../shared/crds/helm-controller-v0.17.7), waits until the play has applied the HelmChart and is held by the
chart file's `wait_after`, then runs the pinned `helm template` on the pinned chart source
(../shared/charts/metallb/0.16.1/chart) with exactly the live HelmChart's valuesContent and applies the output
server-side; only then may the play go on to the pools. The chart's ValidatingWebhookConfiguration is not
applied: its Service would route to kwok pods with no server behind them, so every pool would be refused.
The fixture has no storage provisioner either: the test makes the `local-path` StorageClass k3s ships (here
without a provisioner) and pre-made PersistentVolumes, so the pairs' claims bind and the pods schedule.
"""

import copy
import json
import os
import subprocess
import time

import controlplane
import pytest
import yaml
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException
from workloads import is_ready, wait_for

SHARED = os.path.join(os.path.dirname(controlplane.REPO), "shared")
HELM_CRDS = os.path.join(SHARED, "crds", "helm-controller-v0.17.7")
CHART = os.path.join(SHARED, "charts", "metallb", "0.16.1", "chart")
CHAIN_NS = "chainops-chain"
PART_OF = "app.kubernetes.io/part-of=chainops-chain"
MANAGER = "chainops"
TEST_MANAGER = "chainops-test-standin"
# a wait_after that is never met fails the play in 90 s instead of the default 300 s
EXTRA = {"chainops_apply": True, "k8s_render_wait_timeout": 90}


def _docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def _layer(cp, layer):
    folder = os.path.join(cp.render_dir, layer)
    return [(name, _docs(os.path.join(folder, name))) for name in sorted(os.listdir(folder))]


def _resource(cp, doc):
    return dynamic.DynamicClient(cp.api_client()).resources.get(api_version=doc["apiVersion"], kind=doc["kind"])


def _ssa(cp, doc, namespace=None, dry_run=None):
    res = _resource(cp, doc)
    ns = doc["metadata"].get("namespace") or (namespace if res.namespaced else None)
    kwargs = {"dry_run": dry_run} if dry_run else {}
    return res.server_side_apply(body=doc, name=doc["metadata"]["name"], namespace=ns,
                                 field_manager=TEST_MANAGER, force_conflicts=True, **kwargs)


def _live(cp, doc):
    return _resource(cp, doc).get(name=doc["metadata"]["name"], namespace=doc["metadata"].get("namespace")).to_dict()


def _applied_state(live):
    entry = [m for m in live["metadata"]["managedFields"] if m["manager"] == MANAGER and m["operation"] == "Apply"]
    return live["metadata"].get("generation"), entry


def _shared_or_unavailable():
    for path in (HELM_CRDS, CHART):
        if not os.path.isdir(path):
            reason = "test data missing: %s (the ../shared checkout beside the repo)" % path
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail("CI=true and " + reason, pytrace=False)
            pytest.skip(reason)


def _storage(cp, claims):
    """k3s's `local-path` class, standing in without a provisioner, and one pre-made volume per claim."""
    storage, core = client.StorageV1Api(cp.api_client()), client.CoreV1Api(cp.api_client())
    storage.create_storage_class({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                                  "metadata": {"name": "local-path"}, "provisioner": "kubernetes.io/no-provisioner",
                                  "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Retain"})
    for i, size in enumerate(claims):
        core.create_persistent_volume({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-%02d" % i},
                                       "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                                                "storageClassName": "local-path", "persistentVolumeReclaimPolicy": "Retain",
                                                "hostPath": {"path": "/var/lib/standin/pv-%02d" % i}}})


def _feed_chart(cp, programs, play):
    """Wait for the play to apply the HelmChart; check it is held (no MetalLB CRD yet, the play still running);
    then apply `helm template` of the pinned chart with the live valuesContent. Returns what was seen."""
    seen = {}
    hc_doc = {"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": "metallb", "namespace": "kube-system"}}

    def helmchart():
        if play.poll() is not None:
            raise AssertionError("the play ended before the chart was fed:\n" + play.stdout.read()[-6000:])
        try:
            return _live(cp, hc_doc)
        except Exception:
            return None

    hc = wait_for("the play to apply the HelmChart", helmchart, timeout=240)
    # held: give the play time to run ahead if wait_after did not hold it
    time.sleep(8)
    ext = client.ApiextensionsV1Api(cp.api_client())
    seen["held"] = play.poll() is None
    seen["crds_before"] = [c.metadata.name for c in ext.list_custom_resource_definition().items if c.metadata.name.endswith("metallb.io")]
    values = os.path.join(cp.dir, "metallb-values.yaml")
    with open(values, "w") as f:
        f.write(hc["spec"]["valuesContent"])
    seen["values"] = yaml.safe_load(hc["spec"]["valuesContent"])
    out = subprocess.run([os.path.join(os.path.dirname(programs["kwok"]), "helm"), "template", "metallb", CHART,
                          "--namespace", hc["spec"]["targetNamespace"], "--values", values],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    seen["chart_docs"] = docs
    crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
    for doc in crds:
        _ssa(cp, doc)
    wait_for("MetalLB CRDs Established", lambda: all(
        any(c.type == "Established" and c.status == "True" for c in ext.read_custom_resource_definition(d["metadata"]["name"]).status.conditions or [])
        for d in crds), timeout=60)
    for doc in docs:
        if doc["kind"] in ("CustomResourceDefinition", "ValidatingWebhookConfiguration"):
            continue
        _ssa(cp, doc, namespace=hc["spec"]["targetNamespace"])
    seen["fed_at"] = time.monotonic()
    return seen


@pytest.fixture(scope="module")
def layers(prod, programs):
    _shared_or_unavailable()
    cp = prod
    for name in sorted(os.listdir(HELM_CRDS)):
        for doc in _docs(os.path.join(HELM_CRDS, name)):
            _ssa(cp, doc)
    # four pairs (production example) x {execution, consensus} claims: 2Ti / 300Gi at most, 4Ti volumes fit all
    _storage(cp, ["4Ti"] * 8)
    cmd_env = controlplane.ansible_env()
    cmd = [os.path.join(controlplane.REPO, ".venv", "bin", "ansible-playbook"), os.path.join(controlplane.PLAYBOOKS, "layers.yml"),
           "-i", os.path.join(controlplane.REPO, "inventories", cp.inventory), "-e",
           json.dumps(dict(EXTRA, chainops_secrets_dir=cp.secrets_dir, chainops_render_dir=cp.render_dir))]
    play = subprocess.Popen(cmd, cwd=controlplane.REPO, env=cmd_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen = _feed_chart(cp, programs, play)
        stdout = play.communicate(timeout=600)[0]
    finally:
        if play.poll() is None:
            play.kill()
            play.wait()
    first = subprocess.CompletedProcess(cmd, play.returncode, stdout, "")
    first.ended_at = time.monotonic()
    chain = [d for _n, docs in _layer(cp, "chain") for d in docs] if play.returncode == 0 else []
    platform = [d for _n, docs in _layer(cp, "platform") for d in docs] if play.returncode == 0 else []
    states = {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): _applied_state(_live(cp, d)) for d in chain + platform}
    second = cp.playbook("layers.yml", EXTRA, json_output=True)
    return {"cp": cp, "first": first, "second": second, "seen": seen, "chain": chain, "platform": platform, "states": states}


def test_wait_after_holds_the_play_until_the_chart_is_in(layers):
    """k8s_render's wait_after (CRDs Established, controller Available) kept the pools from being applied before
    the chart's CRDs existed; once fed, the play went on and applied them."""
    first, seen = layers["first"], layers["seen"]
    assert seen["held"] and seen["crds_before"] == [], seen
    assert first.returncode == 0, first.stdout[-8000:]
    assert first.ended_at > seen["fed_at"]
    lines = first.stdout.splitlines()
    pools_at = next(i for i, line in enumerate(lines) if "Apply with server-side apply the file platform/12-metallb-pools.yaml" in line)
    for item in ("CustomResourceDefinition/ipaddresspools.metallb.io Established",
                 "CustomResourceDefinition/l2advertisements.metallb.io Established",
                 "Deployment/metallb-controller Available"):
        waited = [i for i, line in enumerate(lines) if line.startswith("ok: ") and "(item=%s)" % item in line]
        assert len(waited) == 1 and waited[0] < pools_at, (item, first.stdout[-8000:])


def test_every_object_accepted(layers):
    cp = layers["cp"]
    assert layers["first"].returncode == 0, layers["first"].stdout[-8000:]
    kinds = sorted({d["kind"] for d in layers["chain"] + layers["platform"]})
    assert {"StatefulSet", "Service", "NetworkPolicy", "PodDisruptionBudget", "HelmChart", "IPAddressPool", "L2Advertisement"} <= set(kinds), kinds
    for doc in layers["chain"] + layers["platform"]:
        live = _live(cp, doc)
        managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
        assert (MANAGER, "Apply") in managers, (doc["kind"], doc["metadata"]["name"], managers)
        for key, value in (doc["metadata"].get("labels") or {}).items():
            assert live["metadata"]["labels"][key] == value, (doc["kind"], key)
        for key, value in (doc["metadata"].get("annotations") or {}).items():
            assert live["metadata"]["annotations"][key] == value, (doc["kind"], key)


def test_second_apply_changes_nothing(layers):
    second = layers["second"]
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-2000:]
    applies = controlplane.task_results(second.result, "Apply with server-side apply")
    files = len(os.listdir(os.path.join(layers["cp"].render_dir, "chain"))) + len(os.listdir(os.path.join(layers["cp"].render_dir, "platform")))
    assert len(applies) == files, [a.get("invocation", {}).get("module_args", {}).get("src") for a in applies]
    assert [a.get("invocation", {}).get("module_args", {}).get("src") for a in applies if a["changed"]] == []
    for doc in layers["chain"] + layers["platform"]:
        key = (doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"])
        assert _applied_state(_live(layers["cp"], doc)) == layers["states"][key], key


def _pair_pods(cp, want):
    core = client.CoreV1Api(cp.api_client())

    def ready():
        pods = core.list_namespaced_pod(CHAIN_NS, label_selector=PART_OF).items
        return pods if len(pods) == want and all(is_ready(p) for p in pods) else None

    try:
        return wait_for("%d Ready pair pods" % want, ready, timeout=120)
    except AssertionError as exc:
        pods = core.list_namespaced_pod(CHAIN_NS).items
        events = core.list_namespaced_event(CHAIN_NS).items
        listing = [(p.metadata.name, p.status.phase, p.spec.node_name) for p in pods]
        recent = [(e.involved_object.name, e.reason, e.message) for e in events][-20:]
        raise AssertionError("pods: %s\nevents: %s" % (listing, recent)) from exc


def test_pairs_admitted_and_spread(layers):
    """Pod Security `restricted` on chainops-chain admits the pairs' pods (StatefulSet pods exist and are Ready),
    their claims bind, and the scheduler puts them on distinct hosts over every rack."""
    cp = layers["cp"]
    assert layers["first"].returncode == 0
    sts = [d for d in layers["chain"] if d["kind"] == "StatefulSet"]
    ns = client.CoreV1Api(cp.api_client()).read_namespace(CHAIN_NS)
    assert ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
    pods = _pair_pods(cp, len(sts))
    nodes = {n.metadata.name: n.metadata.labels for n in client.CoreV1Api(cp.api_client()).list_node().items}
    hosts = [p.spec.node_name for p in pods]
    assert len(set(hosts)) == len(hosts), hosts
    racks = {nodes[h]["topology.chainops.io/rack"] for h in hosts}
    assert racks == {labels["topology.chainops.io/rack"] for labels in nodes.values()}, (hosts, racks)
    claims = client.CoreV1Api(cp.api_client()).list_namespaced_persistent_volume_claim(CHAIN_NS).items
    assert len(claims) == 2 * len(sts) and all(c.status.phase == "Bound" for c in claims), [(c.metadata.name, c.status.phase) for c in claims]
    apps = client.AppsV1Api(cp.api_client())
    for doc in sts:
        assert apps.read_namespaced_stateful_set(doc["metadata"]["name"], CHAIN_NS).status.ready_replicas == 1


def test_pdb_allows_one_disruption(layers):
    cp = layers["cp"]
    sts = [d for d in layers["chain"] if d["kind"] == "StatefulSet"]
    _pair_pods(cp, len(sts))
    policy = client.PolicyV1Api(cp.api_client())

    def pdb_status():
        status = policy.read_namespaced_pod_disruption_budget("pairs", CHAIN_NS).status
        return status if status.expected_pods == len(sts) else None

    status = wait_for("the PDB status", pdb_status, timeout=60)
    assert (status.disruptions_allowed, status.current_healthy, status.desired_healthy) == (1, len(sts), len(sts) - 1), status


def _slice_ready(cp, service):
    slices = client.DiscoveryV1Api(cp.api_client()).list_namespaced_endpoint_slice(
        CHAIN_NS, label_selector="kubernetes.io/service-name=" + service).items
    return {e.target_ref.name: bool(e.conditions.ready) for s in slices for e in s.endpoints or []}


def test_service_endpoints_follow_readiness(layers):
    """rpc/beacon route only to Ready pods; a pair's P2P Services publish it whatever its readiness
    (publishNotReadyAddresses), so peers keep reaching a syncing client."""
    cp = layers["cp"]
    sts = [d for d in layers["chain"] if d["kind"] == "StatefulSet"]
    pods = _pair_pods(cp, len(sts))
    names = sorted(p.metadata.name for p in pods)
    for svc in ("rpc", "beacon"):
        wait_for("%s endpoints of every Ready pod" % svc, lambda svc=svc: sorted(k for k, v in _slice_ready(cp, svc).items() if v) == names, timeout=60)
    victim = pods[0]
    pair = victim.metadata.labels["chain.chainops.io/pair"]
    conditions = [c for c in victim.status.conditions if c.type not in ("Ready", "ContainersReady")]
    conditions += [client.V1PodCondition(type="Ready", status="False", reason="StandInNotReady"),
                   client.V1PodCondition(type="ContainersReady", status="False", reason="StandInNotReady")]
    client.CoreV1Api(cp.api_client()).patch_namespaced_pod_status(victim.metadata.name, CHAIN_NS, {"status": {"conditions": [
        {"type": c.type, "status": c.status, "reason": c.reason} for c in conditions]}})
    for svc in ("rpc", "beacon"):
        wait_for("%s to drop the not-Ready pod" % svc, lambda svc=svc: _slice_ready(cp, svc).get(victim.metadata.name) is False, timeout=60)
    for proto in ("tcp", "udp"):
        assert _slice_ready(cp, "%s-p2p-%s" % (pair, proto)).get(victim.metadata.name) is True, proto


def test_p2p_load_balancers_accepted(layers):
    cp = layers["cp"]
    core = client.CoreV1Api(cp.api_client())
    p2p = [d for d in layers["chain"] if d["kind"] == "Service" and d["spec"].get("type") == "LoadBalancer"]
    assert len(p2p) == 2 * len([d for d in layers["chain"] if d["kind"] == "StatefulSet"])
    pools = {d["metadata"]["name"]: d for d in layers["platform"] if d["kind"] == "IPAddressPool"}
    for doc in p2p:
        live = core.read_namespaced_service(doc["metadata"]["name"], CHAIN_NS)
        ann = live.metadata.annotations
        assert ann["metallb.io/address-pool"] in pools, ann
        assert live.spec.type == "LoadBalancer" and live.spec.publish_not_ready_addresses
        assert live.spec.allocate_load_balancer_node_ports is False and live.spec.external_traffic_policy == "Local"


def test_metallb_chart_admitted_only_where_privileged(layers):
    """The chart's objects, from the live HelmChart's values, are accepted; its speaker and controller pods are
    admitted in the namespace the collection labels privileged, and the speaker would be refused in a
    `restricted` namespace (chainops-chain), so the label is what lets MetalLB run."""
    cp = layers["cp"]
    seen = layers["seen"]
    assert seen["values"]["speaker"]["frr"]["enabled"] is False and seen["values"]["crds"]["enabled"] is True
    kinds = {d["kind"] for d in seen["chart_docs"]}
    assert {"DaemonSet", "Deployment", "ValidatingWebhookConfiguration", "CustomResourceDefinition"} <= kinds, kinds
    core = client.CoreV1Api(cp.api_client())
    ns = core.read_namespace("metallb-system")
    assert ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "privileged"

    def components_ready():
        pods = core.list_namespaced_pod("metallb-system").items
        return {p.metadata.labels.get("app.kubernetes.io/component") for p in pods if is_ready(p)} >= {"speaker", "controller"}

    wait_for("speaker and controller pods Ready", components_ready, timeout=120)
    ds = next(d for d in seen["chart_docs"] if d["kind"] == "DaemonSet")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "speaker-psa-probe"},
           "spec": copy.deepcopy(ds["spec"]["template"]["spec"])}
    pod["spec"]["nodeName"] = cp.nodes[0]["name"]
    core.create_namespaced_pod("metallb-system", pod, dry_run="All")
    # the same pod in the restricted namespace (its service account lives in metallb-system: the default one here)
    probe = copy.deepcopy(pod)
    probe["spec"].pop("serviceAccountName", None)
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(CHAIN_NS, probe, dry_run="All")
    assert refused.value.status == 403 and "violates PodSecurity" in refused.value.body, refused.value.body


def test_pools_and_announcements_accepted(layers):
    cp = layers["cp"]
    assert layers["first"].returncode == 0
    for doc in [d for d in layers["platform"] if d["kind"] in ("IPAddressPool", "L2Advertisement")]:
        live = _live(cp, doc)
        assert live["spec"] == {**live["spec"], **doc["spec"]}, (doc["metadata"]["name"], live["spec"], doc["spec"])
