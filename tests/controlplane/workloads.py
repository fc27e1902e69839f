"""Generic stand-ins for the client pairs (the chain layer renders the real ones later): one StatefulSet per
pair, one pod each, all pairs carrying one label that the anti-affinity, the topology spread and the PDB select.
The pod specs meet Pod Security "restricted", the level the collection enforces by default."""

import time

from kubernetes import client, utils

PAIR_LABEL = "chainops.io/test-pair-fleet"
RACK_LABEL = "topology.chainops.io/rack"
HOST_LABEL = "kubernetes.io/hostname"


def pod_spec():
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": 2,
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {PAIR_LABEL: "fleet"}}, "topologyKey": HOST_LABEL}]}},
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": RACK_LABEL, "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": {PAIR_LABEL: "fleet"}}}],
        "containers": [{
            "name": "pair", "image": "registry.invalid/chainops-test/pair:1",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "2", "memory": "8Gi"}},
        }],
    }


def pair_statefulset(name):
    labels = {"app.kubernetes.io/name": name, PAIR_LABEL: "fleet"}
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": 1, "serviceName": name, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                 "template": {"metadata": {"labels": labels}, "spec": pod_spec()}},
    }


def fleet_pdb(max_unavailable=1):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pairs"},
            "spec": {"maxUnavailable": max_unavailable, "selector": {"matchLabels": {PAIR_LABEL: "fleet"}}}}


def create_namespace(api_client, name, labels=None):
    core = client.CoreV1Api(api_client)
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})
    # pods are admitted only once the controller manager made the namespace's default service account
    wait_for("the default service account in %s" % name,
             lambda: [sa for sa in core.list_namespaced_service_account(name).items if sa.metadata.name == "default"], timeout=60)


def create(api_client, namespace, docs):
    for doc in docs:
        utils.create_from_dict(api_client, doc, namespace=namespace)


def pods(api_client, namespace):
    return client.CoreV1Api(api_client).list_namespaced_pod(namespace, label_selector=PAIR_LABEL + "=fleet").items


def is_ready(pod):
    return pod.status.phase == "Running" and any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def wait_for(what, check, timeout=90, interval=1.0):
    """Poll check() until it returns a truthy value; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))
