"""Render + validate: every example inventory renders, re-renders byte-identically, and every object is valid."""

import filecmp
import os
import re
import subprocess

import pytest
import validate

REPO = validate.REPO
INVENTORIES = ["lab", "production-example"]


def _render(inventory, dest):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"))
    cmd = [
        os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "playbooks/render.yml",
        "-i", "inventories/%s" % inventory, "-e", "chainops_render_dir=%s" % dest,
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc.stdout


def _tree(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _s, fs in os.walk(root) for f in fs)


@pytest.fixture(scope="module", params=INVENTORIES)
def rendered(request, tmp_path_factory):
    first = tmp_path_factory.mktemp("render-%s-1" % request.param)
    second = tmp_path_factory.mktemp("render-%s-2" % request.param)
    out = _render(request.param, str(first))
    _render(request.param, str(second))
    return request.param, str(first), str(second), out


def test_render_produces_layers(rendered):
    _inventory, first, _second, out = rendered
    files = _tree(first)
    assert files, "render.yml produced no files"
    assert all(f.split(os.sep)[0] in {"cluster", "platform", "chain", "observability", "operations"} for f in files), files
    assert all(os.path.basename(f)[:2].isdigit() for f in files), files
    # the run summary names exactly the rendered files
    match = re.search(r"RENDERED: (\d+) file\(s\) under \S+: ([^\"]*)", out)
    assert match, out[-2000:]
    assert int(match.group(1)) == len(files)
    assert sorted(match.group(2).split(", ")) == sorted(files)


def test_rerender_is_byte_identical(rendered):
    _inventory, first, second, _out = rendered
    assert _tree(first) == _tree(second)
    match, mismatch, errors = filecmp.cmpfiles(first, second, _tree(first), shallow=False)
    assert not mismatch and not errors, (mismatch, errors)
    assert len(match) == len(_tree(first))


def test_rendered_objects_validate(rendered):
    _inventory, first, _second, _out = rendered
    counts = validate.validate_paths([first])
    assert counts["core"] > 0  # kube-vip's DaemonSet and RBAC at least: core kinds are always validated


class TestValidatorRejects:
    """The validator itself must catch what the API server would reject."""

    def test_unknown_core_field(self):
        doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dataa": {}}
        with pytest.raises(validate.ValidationProblem, match="dataa"):
            validate.validate_document(doc, "t")

    def test_wrong_type(self):
        doc = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"}, "spec": {"selector": "app=x"}}
        with pytest.raises(validate.ValidationProblem):
            validate.validate_document(doc, "t")

    def test_crd_missing_required(self):
        doc = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": {"name": "p"}, "spec": {}}
        with pytest.raises(validate.ValidationProblem, match="addresses"):
            validate.validate_document(doc, "t")

    def test_unknown_custom_kind(self):
        doc = {"apiVersion": "example.invalid/v1", "kind": "Nope", "metadata": {"name": "p"}}
        with pytest.raises(validate.ValidationProblem, match="no CRD schema"):
            validate.validate_document(doc, "t")

    def test_crd_valid_object_passes(self):
        doc = {"apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": "metallb", "namespace": "kube-system"},
               "spec": {"chart": "metallb", "repo": "https://metallb.github.io/metallb", "version": "0.15.2"}}
        assert validate.validate_document(doc, "t") == "crd"
        doc["spec"]["version"] = 15
        with pytest.raises(validate.ValidationProblem, match="spec/version"):
            validate.validate_document(doc, "t")

    def test_core_kinds_are_validated_without_any_crd_schema(self, monkeypatch, tmp_path):
        monkeypatch.setattr(validate, "CRD_SCHEMAS", str(tmp_path / "missing"))
        good = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "kube-vip", "namespace": "kube-system"}}
        assert validate.validate_document(good, "t") == "core"
        with pytest.raises(validate.ValidationProblem, match="automountServiceAccountTokn"):
            validate.validate_document(dict(good, automountServiceAccountTokn=False), "t")
        crd = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": {"name": "p"}, "spec": {"addresses": ["10.0.0.0/24"]}}
        with pytest.raises(validate.ValidationProblem, match="no CRD schema"):
            validate.validate_document(crd, "t")

    def test_valid_objects_pass(self):
        doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ethereum", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
        assert validate.validate_document(doc, "t") == "core"


def test_an_object_rendered_twice_is_rendered_the_same(rendered):
    """Layers that share an object (the chain namespace: the edge routes need it before the chain layer runs) must
    render it identically: one field manager applies both files, so a difference would flip on every run."""
    _inventory, first, _second, _out = rendered
    seen = {}
    for path in _tree(first):
        for _index, doc in validate.iter_documents(os.path.join(first, path)):
            meta = doc.get("metadata", {})
            key = (doc.get("apiVersion"), doc.get("kind"), meta.get("namespace"), meta.get("name"))
            if key in seen:
                assert doc == seen[key][1], "%s rendered differently in %s and %s" % (key, seen[key][0], path)
            else:
                seen[key] = (path, doc)
    assert seen


def test_schemas_live_in_the_repository():
    assert os.path.commonpath([validate.CRD_SCHEMAS, REPO]) == REPO or "CHAINOPS_CRD_SCHEMAS" in os.environ
    assert os.path.isfile(validate.crd_schema_path("helm.cattle.io/v1", "HelmChart"))
    assert os.path.isfile(validate.crd_schema_path("metallb.io/v1beta1", "IPAddressPool"))


def test_every_schema_file_has_provenance():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    groups = sorted(os.listdir(os.path.join(folder, "crds")))
    assert groups
    for group in groups:
        row = [line for line in readme.splitlines() if line.startswith("| `crds/%s`" % group)]
        assert row, "tests/render/schemas/README.md has no row for %s (source and licence)" % group
        assert "Apache-2.0" in row[0] or "MIT" in row[0] or "BSD" in row[0], row[0]
