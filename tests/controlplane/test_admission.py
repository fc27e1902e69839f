"""The cluster layer's admission and audit files (rendered from roles/k3s_server for the inventory) loaded by a
real kube-apiserver: Pod Security "restricted" really rejects a privileged pod, kube-system really is exempt,
and the audit policy records what it promises (bodies of changes, never a Secret's body)."""

import json
import os

import pytest
import workloads as w
from kubernetes import client
from kubernetes.client.exceptions import ApiException

PRIVILEGED = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged"},
    "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "registry.invalid/chainops-test/tool:1",
                                                  "securityContext": {"privileged": True}}]},
}


def _create_pod(cp, namespace, doc):
    return client.CoreV1Api(cp.api_client()).create_namespaced_pod(namespace, doc)


def test_restricted_namespace_rejects_a_privileged_pod(prod):
    """Labelled the way the collection labels its namespaces (pod-security.kubernetes.io/enforce: restricted)."""
    w.create_namespace(prod.api_client(), "labelled", {"pod-security.kubernetes.io/enforce": "restricted"})
    with pytest.raises(ApiException) as err:
        _create_pod(prod, "labelled", PRIVILEGED)
    assert err.value.status == 403
    body = json.loads(err.value.body)
    assert 'violates PodSecurity "restricted:latest"' in body["message"], body["message"]
    assert "privileged" in body["message"] and "host namespaces" in body["message"], body["message"]
    # a pod written for "restricted" is admitted in the same namespace
    ok = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restricted"},
          "spec": {k: v for k, v in w.pod_spec().items() if k not in ("affinity", "topologySpreadConstraints")}}
    assert _create_pod(prod, "labelled", ok).metadata.uid


def test_cluster_default_is_the_collections_level(prod):
    """No label at all: the API server's built-in default would be "privileged"; the collection's psa.yaml makes
    it "restricted" for every namespace except its exemptions."""
    w.create_namespace(prod.api_client(), "unlabelled")
    with pytest.raises(ApiException) as err:
        _create_pod(prod, "unlabelled", PRIVILEGED)
    assert err.value.status == 403 and 'violates PodSecurity "restricted:latest"' in json.loads(err.value.body)["message"]
    # kube-system is exempt (k3s_server psa exemptions): the same pod is admitted there
    assert _create_pod(prod, "kube-system", PRIVILEGED).metadata.uid


def test_audit_policy_records_changes_but_no_secret_bodies(prod):
    core = client.CoreV1Api(prod.api_client())
    w.create_namespace(prod.api_client(), "audited")
    core.create_namespaced_secret("audited", {"metadata": {"name": "token"}, "stringData": {"key": "do-not-log-me"}})
    core.create_namespaced_config_map("audited", {"metadata": {"name": "plain"}, "data": {"k": "v"}})

    path = os.path.join(prod.logs, "audit.log")

    def events():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            found = [json.loads(line) for line in f if '"audited"' in line]
        kinds = {(e["objectRef"]["resource"], e["verb"]) for e in found if e.get("objectRef")}
        return found if {("namespaces", "create"), ("secrets", "create"), ("configmaps", "create")} <= kinds else None

    found = w.wait_for("the audit log to hold the three creates", events, timeout=30)
    by = {(e["objectRef"]["resource"], e["verb"]): e for e in found if e.get("objectRef")}
    assert by[("namespaces", "create")]["level"] == "Request" and "requestObject" in by[("namespaces", "create")]
    for resource in ("secrets", "configmaps"):
        event = by[(resource, "create")]
        assert event["level"] == "Metadata" and "requestObject" not in event, event
    with open(path) as f:
        assert "do-not-log-me" not in f.read()
    assert all(e["stage"] != "RequestReceived" for e in found)
