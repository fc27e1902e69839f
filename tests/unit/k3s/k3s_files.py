"""Validate the k3s server's admission (psa.yaml) and audit (audit.yaml) files against the JSON schemas in
./schemas (written from the upstream Go types; see schemas/README.md). Used by the unit tests here and by the
molecule verifiers, which read the files back from the test hosts."""

import json
import os

import jsonschema

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
# admission plugin name -> schema of its embedded configuration
PLUGIN_SCHEMAS = {"PodSecurity": "podsecurityconfiguration.json", "EventRateLimit": "eventratelimit.json"}


class FileProblem(Exception):
    """A k3s server file the API server would refuse."""


def _schema(name):
    with open(os.path.join(SCHEMAS, name), encoding="utf-8") as handle:
        return json.load(handle)


def _check(doc, schema_name, where):
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise FileProblem("%s: %s at /%s" % (where, first.message, "/".join(map(str, first.absolute_path))))


def validate_admission_config(doc):
    """AdmissionConfiguration with embedded PodSecurity / EventRateLimit configurations. Returns plugin names."""
    _check(doc, "admissionconfiguration.json", "AdmissionConfiguration")
    names = []
    for plugin in doc.get("plugins") or []:
        name = plugin["name"]
        if name in names:
            raise FileProblem("AdmissionConfiguration: plugin %s configured twice" % name)
        names.append(name)
        if name in PLUGIN_SCHEMAS:
            if "configuration" not in plugin:
                raise FileProblem("AdmissionConfiguration: plugin %s has no embedded configuration" % name)
            _check(plugin["configuration"], PLUGIN_SCHEMAS[name], "%s configuration" % name)
    return names


def validate_audit_policy(doc):
    """audit.k8s.io/v1 Policy. Returns the number of rules."""
    _check(doc, "auditpolicy.json", "audit Policy")
    return len(doc["rules"])
