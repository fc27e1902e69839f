"""The collection builds into an artifact that ansible-galaxy installs, and the installed copy runs."""

import os
import subprocess
import tarfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(REPO, ".venv", "bin")


PLAIN_ENV = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "tests", "repo", "fixtures", "plain.cfg"))
PLAIN_ENV.pop("ANSIBLE_COLLECTIONS_PATH", None)


def _run(args, **kwargs):
    kwargs.setdefault("env", PLAIN_ENV)
    kwargs.setdefault("cwd", "/")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert proc.returncode == 0, "%s\n%s\n%s" % (" ".join(args), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("artifact")
    dest = tmp_path_factory.mktemp("installed")
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), REPO])
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)
    artifact = out / ("chainops-ethereum-%s.tar.gz" % meta["version"])
    assert artifact.is_file()
    # --no-deps: the dependencies come from the pinned ansible package (no Galaxy server is reachable here)
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(dest), str(artifact)])
    return artifact, dest / "ansible_collections" / "chainops" / "ethereum"


def test_artifact_leaves_out_dev_files(installed):
    artifact, _dest = installed
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    assert not [n for n in names if n.startswith((".venv", "build/", "collections/", ".ci"))], names


def test_installed_collection_has_layers(installed):
    _artifact, dest = installed
    for rel in ("playbooks/site.yml", "playbooks/render.yml", "roles/k8s_render/tasks/main.yml", "meta/runtime.yml"):
        assert (dest / rel).is_file(), rel


def test_installed_site_playbook_parses(installed):
    _artifact, dest = installed
    env = dict(PLAIN_ENV, ANSIBLE_COLLECTIONS_PATH=str(dest.parent.parent.parent))
    proc = _run([os.path.join(BIN, "ansible-playbook"), "chainops.ethereum.site", "--syntax-check",
                 "-i", os.path.join(REPO, "inventories", "production-example")], env=env, cwd=str(dest.parent.parent.parent))
    assert "playbook: %s" % (dest / "playbooks" / "site.yml") in proc.stdout
