"""The hand-written schemas accept valid kube-apiserver config files and reject what the API server refuses."""

import copy

import k3s_files
import pytest

ADMISSION = {
    "apiVersion": "apiserver.config.k8s.io/v1",
    "kind": "AdmissionConfiguration",
    "plugins": [
        {
            "name": "PodSecurity",
            "configuration": {
                "apiVersion": "pod-security.admission.config.k8s.io/v1",
                "kind": "PodSecurityConfiguration",
                "defaults": {"enforce": "restricted", "enforce-version": "latest", "audit": "restricted",
                             "audit-version": "v1.33", "warn": "restricted", "warn-version": "latest"},
                "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system", "metallb-system"]},
            },
        },
        {
            "name": "EventRateLimit",
            "configuration": {"apiVersion": "eventratelimit.admission.k8s.io/v1alpha1", "kind": "Configuration",
                              "limits": [{"type": "Server", "qps": 5000, "burst": 20000}]},
        },
    ],
}
AUDIT = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "None", "nonResourceURLs": ["/healthz*", "/version"]},
        {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets"]}]},
        {"level": "Request", "verbs": ["create", "update"]},
        {"level": "Metadata"},
    ],
}


def _psa(doc):
    return doc["plugins"][0]["configuration"]


def test_valid_files_pass():
    assert k3s_files.validate_admission_config(copy.deepcopy(ADMISSION)) == ["PodSecurity", "EventRateLimit"]
    assert k3s_files.validate_audit_policy(copy.deepcopy(AUDIT)) == 4


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d.update(apiVersion="apiserver.config.k8s.io/v1alpha1"), "apiserver.config.k8s.io/v1"),
    (lambda d: d["plugins"][0].update(nmae="x"), "nmae"),
    (lambda d: _psa(d).update(apiVersion="pod-security.admission.config.k8s.io/v1beta1"), "pod-security"),
    (lambda d: _psa(d)["defaults"].update(enforce="strict"), "strict"),
    (lambda d: _psa(d)["defaults"].update({"warn-version": "1.33"}), "1.33"),
    (lambda d: _psa(d)["exemptions"]["namespaces"].append("Kube_System"), "Kube_System"),
    (lambda d: _psa(d)["exemptions"]["namespaces"].append("kube-system"), "non-unique"),
    (lambda d: _psa(d)["exemptions"]["usernames"].append(""), "usernames/0"),
    (lambda d: d["plugins"][1]["configuration"]["limits"][0].update(type="Cluster"), "Cluster"),
    (lambda d: d["plugins"][1]["configuration"].update(limits=[]), "non-empty"),
    (lambda d: d["plugins"][1]["configuration"]["limits"][0].pop("burst"), "burst"),
    (lambda d: d["plugins"].append(copy.deepcopy(d["plugins"][0])), "twice"),
])
def test_admission_problems_are_refused(mutate, reason):
    doc = copy.deepcopy(ADMISSION)
    mutate(doc)
    with pytest.raises(k3s_files.FileProblem, match=reason):
        k3s_files.validate_admission_config(doc)


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d.update(apiVersion="audit.k8s.io/v1beta1"), "audit.k8s.io/v1"),
    (lambda d: d["rules"][0].update(level="Everything"), "Everything"),
    (lambda d: d["rules"][1].update(nonResourceURLs=["/metrics"]), "should not be valid"),
    (lambda d: d["rules"][0].update(nonResourceURLs=["/api/*/x"]), "does not match"),
    (lambda d: d.update(omitStages=["Received"]), "Received"),
    (lambda d: d["rules"][1].update(resources=[{"group": "", "resourceNames": ["x"]}]), "'resources' is a dependency"),
    (lambda d: d.pop("rules"), "rules"),
])
def test_audit_problems_are_refused(mutate, reason):
    doc = copy.deepcopy(AUDIT)
    mutate(doc)
    with pytest.raises(k3s_files.FileProblem, match=reason):
        k3s_files.validate_audit_policy(doc)
