"""The platform layer (MetalLB, cert-manager, the ingress controller and the API edge routes) and the chain layer,
rendered and applied for real through playbooks/platform.yml and playbooks/chain.yml (k8s_render, server-side
apply, field manager `chainops`) to a control plane fixture per inventory: the production example (Traefik, ACME
HTTP-01 and private-CA issuers) and the lab (ingress-nginx, private CA only).

The fixture runs no helm-controller and no cert-manager: standins.py stands in for both while the play runs (see
its docstring for exactly what each does and does not do). Every HelmChart the play applies is fed with the pinned
`helm template` of ../shared/charts with the live object's valuesContent, so a values key a chart's schema refuses,
or a chart pod that Pod Security refuses in the namespace the collection gives it, fails here. Webhook
configurations are only dry-run: their Services would route to kwok pods with no server behind them.
The fixture has no storage provisioner either: the test makes the `local-path` StorageClass k3s ships (here
without a provisioner) and pre-made PersistentVolumes, so the pairs' claims bind and the pods schedule.
"""

import base64
import copy
import json
import os
import re
import subprocess
import time

import controlplane
import pytest
import standins
import yaml
from cryptography import x509
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException
from workloads import is_ready, wait_for

SHARED = os.path.join(os.path.dirname(controlplane.REPO), "shared")
HELM_CRDS = os.path.join(SHARED, "crds", "helm-controller-v0.17.7")
CHARTS = os.path.join(SHARED, "charts")
CHAIN_NS = "chainops-chain"
PART_OF = "app.kubernetes.io/part-of=chainops-chain"
MANAGER = "chainops"
TEST_MANAGER = standins.TEST_MANAGER
# a wait_after that is never met fails the play in 90 s instead of the default 300 s
EXTRA = {"chainops_apply": True, "k8s_render_wait_timeout": 90}
INVENTORIES = ("production-example", "lab")
# what the two ingress choices render the routes as
ROUTE_KINDS = {"nginx": {"Ingress"}, "traefik": {"IngressRoute", "Middleware"}}


def _docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def _layer(cp, layer):
    folder = os.path.join(cp.render_dir, layer)
    return [(name, _docs(os.path.join(folder, name))) for name in sorted(os.listdir(folder))]


def _resource(cp, doc):
    return dynamic.DynamicClient(cp.api_client()).resources.get(api_version=doc["apiVersion"], kind=doc["kind"])


def _ssa(cp, doc, namespace=None, dry_run=None):
    return standins.ssa(dynamic.DynamicClient(cp.api_client()), doc, namespace=namespace, dry_run=dry_run)


def _live(cp, doc):
    return _resource(cp, doc).get(name=doc["metadata"]["name"], namespace=doc["metadata"].get("namespace")).to_dict()


def _present(api, docs):
    """The docs that exist live, by plain GETs: one discovery request per API group version (a kind that is not
    served yet counts as absent) - the dynamic client would rediscover every group on each unknown kind."""
    served, present = {}, []
    for doc in docs:
        gv = doc["apiVersion"]
        if gv not in served:
            try:
                found = api.call_api("/api/v1" if gv == "v1" else "/apis/" + gv, "GET", response_type="object",
                                     auth_settings=["BearerToken"], _return_http_data_only=True)
                served[gv] = {r["kind"]: r for r in found["resources"] if "/" not in r["name"]}
            except ApiException as exc:
                if exc.status != 404:
                    raise
                served[gv] = {}
        res = served[gv].get(doc["kind"])
        if res is None:
            continue
        ns = doc["metadata"].get("namespace")
        path = ("/api/v1" if gv == "v1" else "/apis/" + gv) + ("/namespaces/%s" % ns if res["namespaced"] and ns else "")
        try:
            api.call_api("%s/%s/%s" % (path, res["name"], doc["metadata"]["name"]), "GET", response_type="object",
                         auth_settings=["BearerToken"], _return_http_data_only=True)
            present.append(doc)
        except ApiException as exc:
            if exc.status != 404:
                raise
    return present


def _applied_state(live):
    entry = [m for m in live["metadata"]["managedFields"] if m["manager"] == MANAGER and m["operation"] == "Apply"]
    return live["metadata"].get("generation"), entry


def _shared_or_unavailable():
    for path in [HELM_CRDS] + [os.path.join(CHARTS, c, v, "chart") for c, v in
                               (("metallb", "0.16.1"), ("cert-manager", "v1.21.1"), ("ingress-nginx", "4.15.1"), ("traefik", "41.3.0"))]:
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


def _later_objects_present(cp, chart_name):
    """Which objects of the platform files after the one holding HelmChart chart_name exist already (the play
    rendered every file before it applies the first). Must be none while the play waits for the chart."""
    files = _layer(cp, "platform")
    index = next(i for i, (_n, docs) in enumerate(files)
                 if any(d["kind"] == "HelmChart" and d["metadata"]["name"] == chart_name for d in docs))
    return [(d["kind"], d["metadata"]["name"]) for d in _present(cp.api_client(), [d for _n, docs in files[index + 1:] for d in docs])]


def _run_layers(cp, programs, play_cmd_env):
    """The first play with the stand-ins beside it; returns (CompletedProcess, StandIns)."""
    cmd = [os.path.join(controlplane.REPO, ".venv", "bin", "ansible-playbook"), os.path.join(controlplane.PLAYBOOKS, "layers.yml"),
           "-i", os.path.join(controlplane.REPO, "inventories", cp.inventory), "-e",
           json.dumps(dict(EXTRA, chainops_secrets_dir=cp.secrets_dir, chainops_render_dir=cp.render_dir))]
    play = subprocess.Popen(cmd, cwd=controlplane.REPO, env=play_cmd_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop_play(_text):
        if play.poll() is None:
            play.terminate()

    def before_feed(name):
        return {"play_running": play.poll() is None, "later_present": _later_objects_present(cp, name)}

    kube_version = re.sub(r"\+.*$", "", cp.config["k3s_version"])
    helm = os.path.join(os.path.dirname(programs["kwok"]), "helm")
    stand = standins.StandIns(cp, helm, CHARTS, kube_version, before_feed=before_feed, on_error=stop_play).start()
    try:
        stdout = play.communicate(timeout=900)[0]
    finally:
        if play.poll() is None:
            play.kill()
            play.wait()
    first = subprocess.CompletedProcess(cmd, play.returncode, stdout, "")
    first.ended_at = time.monotonic()
    return first, stand


@pytest.fixture(scope="module", params=INVENTORIES)
def layers(request, start_controlplane, programs):
    _shared_or_unavailable()
    cp = start_controlplane(request.param)
    stand = None
    try:
        for name in sorted(os.listdir(HELM_CRDS)):
            for doc in _docs(os.path.join(HELM_CRDS, name)):
                _ssa(cp, doc)
        # production example: four pairs x {execution, consensus} claims of 2Ti / 300Gi at most; 4Ti volumes fit all
        _storage(cp, ["4Ti"] * 8)
        first, stand = _run_layers(cp, programs, controlplane.ansible_env())
        assert not stand.errors, "a stand-in failed (the play was stopped):\n" + stand.errors[0] + "\nplay:\n" + first.stdout[-4000:]
        chain = [d for _n, docs in _layer(cp, "chain") for d in docs] if first.returncode == 0 else []
        platform = [d for _n, docs in _layer(cp, "platform") for d in docs] if first.returncode == 0 else []
        states = {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): _applied_state(_live(cp, d)) for d in chain + platform}
        second = cp.playbook("layers.yml", EXTRA, json_output=True)
        ingress = next((d["metadata"]["annotations"]["chainops.io/chart"] for d in platform
                        if d["kind"] == "HelmChart" and d["metadata"]["name"] in ("ingress-nginx", "chainops-traefik")), None)
        yield {"cp": cp, "first": first, "second": second, "stand": stand, "chain": chain, "platform": platform,
               "states": states, "ingress": {"ingress-nginx": "nginx", "traefik": "traefik"}.get(ingress)}
    finally:
        if stand:
            stand.stop()
        start_controlplane.finish(cp)


def test_wait_after_holds_the_play_until_each_chart_is_in(layers):
    """k8s_render's wait_after (CRDs Established, controllers Available) kept every later platform object from being
    applied before the stand-in had fed the chart: when it did (after holding back a few seconds), the play was
    still running and nothing after the chart's file existed; once fed, the play went on and applied them."""
    first, stand = layers["first"], layers["stand"]
    assert first.returncode == 0, first.stdout[-8000:]
    charts = {d["metadata"]["name"] for d in layers["platform"] if d["kind"] == "HelmChart"}
    assert set(stand.fed) == charts and len(charts) == 3, (sorted(stand.fed), sorted(charts))
    for name, record in stand.fed.items():
        assert record["before"] == {"play_running": True, "later_present": []}, (name, record["before"])
        assert first.ended_at > record["fed_at"], name
        # the same look now sees the later files' objects: the check above could have seen them
        assert _later_objects_present(layers["cp"], name), name
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
    expected = {"StatefulSet", "Service", "NetworkPolicy", "PodDisruptionBudget", "HelmChart", "IPAddressPool",
                "L2Advertisement", "ClusterIssuer", "Certificate"} | ROUTE_KINDS[layers["ingress"]]
    assert expected <= set(kinds), kinds
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
    their claims bind, and the scheduler puts them on distinct hosts over as many racks as there are (every rack,
    or one rack per pair when there are fewer pairs than racks)."""
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
    every_rack = {labels["topology.chainops.io/rack"] for labels in nodes.values()}
    assert racks <= every_rack and len(racks) == min(len(hosts), len(every_rack)), (hosts, racks)
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


def _chart(layers, chart):
    """(HelmChart name, what the stand-in fed) of the chart the collection rendered, by its chainops.io/chart."""
    name = next(d["metadata"]["name"] for d in layers["platform"]
                if d["kind"] == "HelmChart" and d["metadata"]["annotations"]["chainops.io/chart"] == chart)
    return name, layers["stand"].fed[name]


def _pods_ready(cp, namespace, docs):
    """Every Deployment/DaemonSet of docs has its pods (all replicas, one per schedulable node) Ready: the pods were
    admitted in namespace. Fails with the controllers' FailedCreate events (a Pod Security refusal shows there)."""
    core, apps = client.CoreV1Api(cp.api_client()), client.AppsV1Api(cp.api_client())

    def ready():
        for doc in docs:
            if doc["kind"] == "Deployment":
                status = apps.read_namespaced_deployment(doc["metadata"]["name"], namespace).status
                if not status.ready_replicas or status.ready_replicas != doc["spec"].get("replicas", 1):
                    return None
            elif doc["kind"] == "DaemonSet":
                status = apps.read_namespaced_daemon_set(doc["metadata"]["name"], namespace).status
                if not status.desired_number_scheduled or status.number_ready != status.desired_number_scheduled:
                    return None
        return True

    try:
        wait_for("the chart's pods Ready in %s" % namespace, ready, timeout=120)
    except AssertionError as exc:
        events = [(e.involved_object.kind, e.involved_object.name, e.reason, e.message)
                  for e in core.list_namespaced_event(namespace).items if e.type == "Warning"]
        raise AssertionError("events in %s: %s" % (namespace, events[-15:])) from exc


def _pod_templates(docs):
    for doc in docs:
        if doc["kind"] in ("Deployment", "DaemonSet", "StatefulSet", "Job"):
            yield doc["kind"], doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def test_metallb_chart_admitted_only_where_privileged(layers):
    """The chart's objects, from the live HelmChart's values, are accepted; its speaker and controller pods are
    admitted in the namespace the collection labels privileged, and the speaker would be refused in a
    `restricted` namespace (chainops-chain), so the label is what lets MetalLB run."""
    cp = layers["cp"]
    _name, fed = _chart(layers, "metallb")
    assert fed["values"]["speaker"]["frr"]["enabled"] is False and fed["values"]["crds"]["enabled"] is True
    kinds = {d["kind"] for d in fed["docs"]}
    assert {"DaemonSet", "Deployment", "ValidatingWebhookConfiguration", "CustomResourceDefinition"} <= kinds, kinds
    assert [k for k, _n in fed["webhooks_dry_run"]] == ["ValidatingWebhookConfiguration"], fed["webhooks_dry_run"]
    core = client.CoreV1Api(cp.api_client())
    ns = core.read_namespace(fed["namespace"])
    assert fed["namespace"] == "metallb-system" and ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "privileged"
    _pods_ready(cp, fed["namespace"], fed["docs"])
    ds = next(d for d in fed["docs"] if d["kind"] == "DaemonSet")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "speaker-psa-probe"},
           "spec": copy.deepcopy(ds["spec"]["template"]["spec"])}
    pod["spec"]["nodeName"] = cp.nodes[0]["name"]
    core.create_namespaced_pod(fed["namespace"], pod, dry_run="All")
    # the same pod in the restricted namespace (its service account lives in metallb-system: the default one here)
    probe = copy.deepcopy(pod)
    probe["spec"].pop("serviceAccountName", None)
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(CHAIN_NS, probe, dry_run="All")
    assert refused.value.status == 403 and "violates PodSecurity" in refused.value.body, refused.value.body


@pytest.mark.parametrize("chart", ["cert-manager", "ingress"])
def test_chart_pods_admitted_under_restricted(layers, chart):
    """cert-manager's and the ingress controller's charts, templated with exactly the values the collection
    rendered, are accepted (webhook configurations in dry-run) and every pod they make is admitted under Pod
    Security `restricted` in the namespace the collection gives the chart: Deployments reach their replicas, and
    each pod template (hook Jobs included) passes a dry-run create there. `restricted` is the strictest level, so
    no other label could refuse them; the label itself must be exactly that (never relaxed)."""
    cp = layers["cp"]
    chart_name = {"cert-manager": "cert-manager", "ingress": {"nginx": "ingress-nginx", "traefik": "traefik"}[layers["ingress"]]}[chart]
    _name, fed = _chart(layers, chart_name)
    core = client.CoreV1Api(cp.api_client())
    labels = core.read_namespace(fed["namespace"]).metadata.labels
    assert {k: labels.get(k) for k in ("pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/warn")} == {
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"}, labels
    assert [d for d in fed["docs"] if d["kind"] == "Deployment"], [d["kind"] for d in fed["docs"]]
    _pods_ready(cp, fed["namespace"], fed["docs"])
    templates = list(_pod_templates(fed["docs"]))
    for _kind, name, spec in templates:
        probe = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s-psa-probe" % name[:40]}, "spec": copy.deepcopy(spec)}
        probe["spec"]["nodeName"] = cp.nodes[-1]["name"]
        core.create_namespaced_pod(fed["namespace"], probe, dry_run="All")
    if chart == "cert-manager":
        assert {d["metadata"]["name"] for d in fed["docs"] if d["kind"] == "Deployment"} == {
            "cert-manager", "cert-manager-cainjector", "cert-manager-webhook"}
        assert {k for k, _n in fed["webhooks_dry_run"]} == set(standins.WEBHOOK_KINDS), fed["webhooks_dry_run"]
        assert any(k == "Job" for k, _n, _s in templates)  # startupapicheck, a Helm hook: admitted too


def test_ingress_chart_values_take_effect(layers):
    """The values the collection sets are not just accepted but land where the controller reads them (a misspelled
    key in a chart without a schema, ingress-nginx, is silently ignored by Helm): replicas, the LoadBalancer
    Service from the MetalLB api pool with no node ports and externalTrafficPolicy Local, and the IngressClass."""
    cp = layers["cp"]
    chart_name = {"nginx": "ingress-nginx", "traefik": "traefik"}[layers["ingress"]]
    _name, fed = _chart(layers, chart_name)
    apps, core = client.AppsV1Api(cp.api_client()), client.CoreV1Api(cp.api_client())
    deployments = [d["metadata"]["name"] for d in fed["docs"] if d["kind"] == "Deployment"]
    assert len(deployments) == 1, deployments
    # ingress_replicas: 2 (the role default; neither inventory changes it)
    assert apps.read_namespaced_deployment(deployments[0], fed["namespace"]).spec.replicas == 2
    lbs = [s for s in core.list_namespaced_service(fed["namespace"]).items if s.spec.type == "LoadBalancer"]
    assert len(lbs) == 1, [(s.metadata.name, s.spec.type) for s in core.list_namespaced_service(fed["namespace"]).items]
    svc = lbs[0]
    assert svc.metadata.annotations.get("metallb.io/address-pool") == "api", svc.metadata.annotations
    assert svc.spec.external_traffic_policy == "Local" and svc.spec.allocate_load_balancer_node_ports is False
    classes = {c.metadata.name: c.spec.controller for c in client.NetworkingV1Api(cp.api_client()).list_ingress_class().items}
    assert layers["ingress"] in classes, classes
    ingress_ns = {d["metadata"]["name"] for d in layers["platform"] if d["kind"] == "Namespace"
                  and d["metadata"]["name"] == fed["namespace"]}
    assert ingress_ns, "the ingress chart's namespace is not one the collection renders"


def _secret_cert(cp, namespace, name):
    data = client.CoreV1Api(cp.api_client()).read_namespaced_secret(name, namespace).data
    return (x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"])),
            x509.load_pem_x509_certificate(base64.b64decode(data["ca.crt"])))


def test_certificates_issue_through_the_rendered_issuers(layers):
    """With cert-manager's controller stood in for (standins.py: it issues from selfSigned and ca ClusterIssuers
    only, and says so in each Certificate's Ready message), the private CA chain the collection renders holds
    together: the CA Certificate the play waited for is Ready with a CA certificate in the Secret the CA
    ClusterIssuer reads, and every route Certificate naming the private CA is signed by it for the route's host.
    ACME Certificates stay pending (no ACME server here)."""
    cp = layers["cp"]
    stand = layers["stand"]
    issuers = {d["metadata"]["name"]: d["spec"] for d in layers["platform"] if d["kind"] == "ClusterIssuer"}
    certs = [d for d in layers["platform"] if d["kind"] == "Certificate"]
    custom = client.CustomObjectsApi(cp.api_client())
    ca_doc = next(d for d in certs if d["metadata"]["name"] == "chainops-private-ca")
    assert issuers["chainops-private-ca"]["ca"]["secretName"] == ca_doc["spec"]["secretName"]
    ca_cert = _secret_cert(cp, ca_doc["metadata"]["namespace"], ca_doc["spec"]["secretName"])[0]
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    for doc in certs:
        ns, name = doc["metadata"]["namespace"], doc["metadata"]["name"]
        issuer = doc["spec"]["issuerRef"]["name"]
        live = custom.get_namespaced_custom_object("cert-manager.io", "v1", ns, "certificates", name)
        ready = [c for c in (live.get("status") or {}).get("conditions", []) if c["type"] == "Ready"]
        if "acme" in issuers[issuer]:
            assert (ns, name) in stand.acme_pending and not ready, (name, ready)
            continue
        assert ready and ready[0]["status"] == "True" and ready[0]["message"] == standins.STANDIN_MESSAGE, (name, ready)
        assert stand.issued[(ns, name)] == {"issuer": issuer, "secret": doc["spec"]["secretName"]}
        if issuer == "chainops-private-ca":
            leaf, chain = _secret_cert(cp, ns, doc["spec"]["secretName"])
            leaf.verify_directly_issued_by(ca_cert)
            assert chain == ca_cert
            sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
            assert sans == doc["spec"]["dnsNames"], (name, sans)
    routes = [d for d in certs if d["metadata"]["name"] != "chainops-private-ca"]
    assert routes and any(d["spec"]["issuerRef"]["name"] == "chainops-private-ca" for d in routes), routes


def test_pools_and_announcements_accepted(layers):
    cp = layers["cp"]
    assert layers["first"].returncode == 0
    for doc in [d for d in layers["platform"] if d["kind"] in ("IPAddressPool", "L2Advertisement")]:
        live = _live(cp, doc)
        assert live["spec"] == {**live["spec"], **doc["spec"]}, (doc["metadata"]["name"], live["spec"], doc["spec"])
