"""Validate rendered Kubernetes objects: core kinds with kubernetes-validate (strict, pinned minor),
custom resources against the JSON schemas of their CRDs (tests/render/schemas/crds, in the repository, or the folder
CHAINOPS_CRD_SCHEMAS names). Core kinds need no CRD schema and are always validated.

Usable as a library (tests/render) and as a script: python tests/render/validate.py DIR_OR_FILE...
"""

import json
import os
import sys

import jsonschema
import kubernetes_validate
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KUBERNETES_VERSION = os.environ.get("CHAINOPS_KUBERNETES_VERSION", "1.33.0")
CRD_SCHEMAS = os.environ.get("CHAINOPS_CRD_SCHEMAS") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas", "crds")
# API groups served by Kubernetes itself (kubernetes-validate ships their schemas)
CORE_GROUPS = {
    "", "apps", "batch", "policy", "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io",
    "scheduling.k8s.io", "coordination.k8s.io", "autoscaling", "admissionregistration.k8s.io",
    "apiextensions.k8s.io", "certificates.k8s.io", "discovery.k8s.io", "node.k8s.io", "events.k8s.io",
}


class ValidationProblem(Exception):
    """A rendered object that Kubernetes (or its CRD) would reject."""


def iter_documents(path):
    with open(path, encoding="utf-8") as handle:
        for index, doc in enumerate(yaml.safe_load_all(handle)):
            if doc is not None:
                yield index, doc


def crd_schema_path(api_version, kind):
    group, _sep, version = api_version.rpartition("/")
    return os.path.join(CRD_SCHEMAS, group, "%s_%s.json" % (kind.lower(), version))


def validate_document(doc, where):
    """Validate one object; returns 'core' or 'crd'. Raises ValidationProblem with the reason."""
    if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
        raise ValidationProblem("%s: not a Kubernetes object (apiVersion/kind missing)" % where)
    api_version, kind = doc["apiVersion"], doc["kind"]
    group = api_version.rpartition("/")[0]
    if group in CORE_GROUPS:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise ValidationProblem("%s: %s %s: %s at %s" % (where, api_version, kind, exc.message, "/".join(map(str, exc.path)))) from exc
        except kubernetes_validate.SchemaNotFoundError as exc:
            raise ValidationProblem("%s: %s %s is not a Kubernetes %s kind" % (where, api_version, kind, KUBERNETES_VERSION)) from exc
        return "core"
    schema_file = crd_schema_path(api_version, kind)
    if not os.path.isfile(schema_file):
        raise ValidationProblem("%s: no CRD schema for %s %s (looked for %s)" % (where, api_version, kind, schema_file))
    with open(schema_file, encoding="utf-8") as handle:
        schema = json.load(handle)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        raise ValidationProblem("%s: %s %s: %s at %s" % (where, api_version, kind, first.message, "/".join(map(str, first.path))))
    # metadata is not described by CRD schemas: check the name as the API server would
    name = (doc.get("metadata") or {}).get("name", "")
    if not name:
        raise ValidationProblem("%s: %s %s has no metadata.name" % (where, api_version, kind))
    return "crd"


def rendered_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, files in sorted(os.walk(path)):
                for name in sorted(files):
                    if name.endswith(".yaml"):
                        yield os.path.join(root, name)
        else:
            yield path


def validate_paths(paths):
    """Validate every object under paths; returns {'core': n, 'crd': n} or raises ValidationProblem."""
    counts = {"core": 0, "crd": 0}
    for path in rendered_files(paths):
        for index, doc in iter_documents(path):
            counts[validate_document(doc, "%s#%d" % (path, index))] += 1
    return counts


if __name__ == "__main__":
    try:
        print(validate_paths(sys.argv[1:]))
    except ValidationProblem as problem:
        print("invalid: %s" % problem, file=sys.stderr)
        sys.exit(1)
