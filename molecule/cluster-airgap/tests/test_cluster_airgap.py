"""cluster-airgap: air-gap file placement, validated admission/audit files, vault token, S3 target, refusals."""

import hashlib
import importlib
import os
import subprocess
import sys

import pytest
import testinfra.utils.ansible_runner
import yaml

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
SCENARIO = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(SCENARIO)))
# the schema validator shared with tests/unit/k3s (schemas written from the upstream Go types)
sys.path.insert(0, os.path.join(PROJECT, "tests", "unit", "k3s"))
k3s_files = importlib.import_module("k3s_files")

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
SERVERS = RUNNER.get_hosts("k3s_servers")
testinfra_hosts = ["podman://" + name for name in RUNNER.get_hosts("k3s_cluster")]
AIRGAP = os.path.join(EPHEMERAL, "airgap")
IMAGES = "/var/lib/rancher/k3s/agent/images"


def _sha(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _is_server(host):
    return host.backend.get_hostname() in SERVERS


def _yaml(host, path):
    f = host.file(path)
    assert f.exists, path
    return yaml.safe_load(f.content_string)


@pytest.mark.parametrize("name, dest, mode", [
    ("k3s", "/usr/local/bin/k3s", 0o755),
    ("k3s-airgap-images-amd64.tar.zst", IMAGES + "/k3s-airgap-images-amd64.tar.zst", 0o644),
    ("kube-vip-v1.0.1.tar", IMAGES + "/kube-vip-v1.0.1.tar", 0o644),
    ("install.sh", "/usr/local/lib/chainops/k3s-install.sh", 0o755),
])
def test_airgap_files_are_placed_verified(host, name, dest, mode):
    placed = host.file(dest)
    assert placed.exists and placed.user == "root" and placed.mode == mode
    assert placed.sha256sum == _sha(os.path.join(AIRGAP, name))


def test_vault_token_is_used_and_nothing_is_generated(host):
    assert host.file("/etc/rancher/k3s/token").content_string.strip() == "molecule-vault-token-0123456789abcdef"
    assert host.file("/etc/rancher/k3s/token").mode == 0o600
    assert not os.path.exists(os.path.join(EPHEMERAL, "secrets", "k3s-token"))


def test_admission_configuration_is_valid_and_restricted(host):
    if not _is_server(host):
        pytest.skip("admission configuration lives on servers")
    f = host.file("/var/lib/rancher/k3s/server/psa.yaml")
    assert f.mode == 0o600
    doc = yaml.safe_load(f.content_string)
    assert k3s_files.validate_admission_config(doc) == ["PodSecurity", "EventRateLimit"]
    psa = doc["plugins"][0]["configuration"]
    assert psa["defaults"] == {"enforce": "restricted", "enforce-version": "latest", "audit": "restricted",
                               "audit-version": "latest", "warn": "restricted", "warn-version": "latest"}
    assert psa["exemptions"]["namespaces"] == ["kube-system", "metallb-system"]


def test_audit_policy_is_valid_and_never_records_secret_bodies(host):
    if not _is_server(host):
        pytest.skip("audit policy lives on servers")
    doc = _yaml(host, "/var/lib/rancher/k3s/server/audit.yaml")
    assert k3s_files.validate_audit_policy(doc) >= 2
    assert doc["omitStages"] == ["RequestReceived"]
    first_secret_rule = next(r for r in doc["rules"] if any("secrets" in g.get("resources", []) for g in r.get("resources", [])))
    assert first_secret_rule["level"] == "Metadata"
    assert doc["rules"][-1] == {"level": "Metadata"}


def test_etcd_snapshots_go_to_s3_with_credentials_kept_apart(host):
    if not _is_server(host):
        pytest.skip("snapshots are taken on servers")
    snap = _yaml(host, "/etc/rancher/k3s/config.yaml.d/50-etcd-snapshots.yaml")
    assert snap["etcd-s3"] is True
    assert snap["etcd-s3-endpoint"] == "s3.molecule.invalid" and snap["etcd-s3-bucket"] == "etcd-snapshots"
    assert snap["etcd-s3-folder"] == "chainops-molecule"
    assert not any("key" in k for k in snap)
    creds = host.file("/etc/rancher/k3s/config.yaml.d/51-etcd-s3-credentials.yaml")
    assert creds.mode == 0o600
    assert yaml.safe_load(creds.content_string) == {"etcd-s3-access-key": "molecule-access-key",
                                                    "etcd-s3-secret-key": "molecule-secret-key-not-real"}


def test_labels_and_taints_reach_the_node_config(host):
    config = _yaml(host, "/etc/rancher/k3s/config.yaml.d/20-node.yaml")
    assert "chainops.io/role=chain" in config["node-label"]
    assert "topology.kubernetes.io/zone=molecule-airgap" in config["node-label"]
    if _is_server(host):
        assert "node-taint" not in config
    else:
        assert config["node-taint"] == ["chainops.io/dedicated=chain:NoSchedule"]


def test_agent_joins_through_the_vip_with_its_own_unit(host):
    if _is_server(host):
        pytest.skip("agent side")
    assert _yaml(host, "/etc/rancher/k3s/config.yaml") == {"server": "https://127.89.251.10:6443", "token-file": "/etc/rancher/k3s/token"}
    node = _yaml(host, "/etc/rancher/k3s/config.yaml.d/20-node.yaml")
    assert node["node-name"] == "agent-one" and node["node-ip"] == "127.89.251.21" and node["flannel-iface"] == "eth0"
    assert node["protect-kernel-defaults"] is True and "streaming-connection-idle-timeout=5m" in node["kubelet-arg"]
    unit = host.file("/etc/systemd/system/k3s-agent.service").content_string.splitlines()
    assert "Type=exec" in unit and "ExecStart=/usr/local/bin/k3s agent" in unit
    verify = host.run("systemd-analyze verify /etc/systemd/system/k3s-agent.service")
    assert verify.rc == 0, verify.stderr
    service = host.service("k3s-agent")
    assert not service.is_enabled and not service.is_running
    assert not host.file("/etc/systemd/system/k3s.service").exists
    for path in ["/var/lib/rancher/k3s/server/psa.yaml", "/etc/rancher/k3s/config.yaml.d/40-cis.yaml",
                 "/var/lib/rancher/k3s/agent/pod-manifests/kube-vip.yaml"]:
        assert not host.file(path).exists, path


def _refuse(**extra_vars):
    """Run refuse.yml with extra vars; return (rc, output)."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", os.path.join(EPHEMERAL, "ansible.cfg"))
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(PROJECT, "collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", INVENTORY, os.path.join(SCENARIO, "refuse.yml")]
    for key, value in extra_vars.items():
        cmd += ["-e", "%s=%s" % (key, value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


@pytest.mark.parametrize("extra_vars, message", [
    ({"k3s_binary_sha256": "0" * 64}, "checksum mismatch for %s/k3s: expected %s" % (AIRGAP, "0" * 64)),
    ({"k3s_airgap_dir": os.path.join(EPHEMERAL, "airgap-tampered")}, "checksum mismatch for %s/airgap-tampered/k3s" % EPHEMERAL),
    ({"k3s_airgap_dir": os.path.join(EPHEMERAL, "airgap-nosum")}, "no expected sha256 for install.sh"),
    ({"k3s_airgap_dir": os.path.join(EPHEMERAL, "missing")}, "is not a directory on the controller"),
    ({"k3s_etcd_s3_secret_key": ""}, "k3s_server_etcd_s3_secret_key (k3s_etcd_s3_secret_key) is empty"),
    ({"k3s_version": "latest"}, "k3s_version must be a pinned, supported release like v1.33.5+k3s1 (got 'latest'"),
])
def test_bad_inputs_are_refused_before_the_host_changes(host, extra_vars, message):
    if not _is_server(host):
        pytest.skip("refusals run once, against the server")
    before = host.file("/usr/local/bin/k3s").sha256sum
    rc, output = _refuse(**extra_vars)
    assert rc != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert host.file("/usr/local/bin/k3s").sha256sum == before == _sha(os.path.join(AIRGAP, "k3s"))
