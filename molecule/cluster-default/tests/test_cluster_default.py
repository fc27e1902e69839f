"""cluster-default: what the k3s roles leave on two servers when k3s itself cannot run."""

import hashlib
import os
import subprocess
import sys

import pytest
import testinfra.utils.ansible_runner
import yaml

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
# podman exec straight into the molecule containers: much faster than one ansible run per check
testinfra_hosts = ["podman://" + name for name in RUNNER.get_hosts("k3s_cluster")]

VIP_URL = "https://127.89.250.10:6443"
VERSION = "v1.33.5+k3s1"
NODES = {
    "chainops-cluster-srv1": {"ip": "127.89.250.11", "rack": "rack-a", "name": "chainops-cluster-srv1"},
    "chainops-cluster-srv2": {"ip": "127.89.250.12", "rack": "rack-b", "name": "server-two"},
}


def _name(host):
    return host.backend.get_hostname()


def _is_server(host):
    return _name(host) in RUNNER.get_hosts("k3s_servers")


def _yaml(host, path):
    f = host.file(path)
    assert f.exists, path
    return yaml.safe_load(f.content_string)


def _unit(host):
    return "k3s" if _is_server(host) else "k3s-agent"


def test_first_server_bootstraps_others_join_through_the_vip(host):
    """No server holds etcd data and nothing answers on the VIP or the servers' API port: srv1 bootstraps."""
    config = _yaml(host, "/etc/rancher/k3s/config.yaml")
    assert config["token-file"] == "/etc/rancher/k3s/token"
    marker = host.file("/var/lib/rancher/k3s/server/chainops-cluster-init")
    if _name(host) == "chainops-cluster-srv1":
        assert config["cluster-init"] is True
        assert "server" not in config
        assert marker.exists and marker.mode == 0o600
    else:
        assert config["server"] == VIP_URL
        assert "cluster-init" not in config
        assert not marker.exists


def test_a_rebuilt_first_server_joins_an_existing_cluster_instead_of_starting_a_second(host):
    """srv2 holds etcd data (an existing member) while srv1 has none (reinstalled): srv1 must join, not cluster-init.
    Then, with the data gone again, a converge restores the bootstrap path (and changes srv1's config back)."""
    if _name(host) != "chainops-cluster-srv1":
        pytest.skip("runs once")
    srv2 = host.get_host("podman://chainops-cluster-srv2")
    srv2.run_test("mkdir -p /var/lib/rancher/k3s/server/db/etcd/member")
    host.run_test("rm -rf /var/lib/rancher/k3s/server/db")
    try:
        returncode, output = _side_playbook("../../playbooks/cluster.yml")
        assert returncode == 0, output[-3000:]
        assert "a cluster exists (etcd data on chainops-cluster-srv2): servers without data join " + VIP_URL in output, output[-3000:]
        config = _yaml(host, "/etc/rancher/k3s/config.yaml")
        assert config["server"] == VIP_URL and "cluster-init" not in config
        assert not host.file("/var/lib/rancher/k3s/server/chainops-cluster-init").exists
    finally:
        srv2.run_test("rm -rf /var/lib/rancher/k3s/server/db")
        returncode, output = _side_playbook("../../playbooks/cluster.yml")
    assert returncode == 0, output[-3000:]
    assert "no server holds etcd data and nothing answers" in output, output[-3000:]
    assert _yaml(host, "/etc/rancher/k3s/config.yaml")["cluster-init"] is True


def test_server_config_carries_cluster_wide_settings(host):
    if not _is_server(host):
        pytest.skip("agents carry no cluster-wide settings")
    config = _yaml(host, "/etc/rancher/k3s/config.yaml")
    assert config["advertise-address"] == NODES[_name(host)]["ip"]
    assert config["tls-san"] == ["127.89.250.10"]
    assert config["disable"] == ["servicelb", "traefik"]
    assert config["cluster-cidr"] == "10.42.0.0/16" and config["service-cidr"] == "10.43.0.0/16"
    assert config["secrets-encryption"] is True
    assert config["write-kubeconfig-mode"] == "0600"


def test_node_config_identity_topology_and_kubelet_hardening(host):
    node = NODES[_name(host)]
    config = _yaml(host, "/etc/rancher/k3s/config.yaml.d/20-node.yaml")
    assert config["node-name"] == node["name"]
    assert config["node-ip"] == node["ip"]
    assert config["flannel-iface"] == "eth0"
    assert config["node-label"] == ["topology.kubernetes.io/zone=molecule", "topology.chainops.io/rack=" + node["rack"]]
    assert "node-taint" not in config
    assert config["protect-kernel-defaults"] is True
    args = config["kubelet-arg"]
    assert "streaming-connection-idle-timeout=5m" in args
    assert any(a.startswith("tls-cipher-suites=TLS_ECDHE_") for a in args)
    # NodePorts answer on the management network only, never on a public P2P address
    assert config["kube-proxy-arg"] == ["nodeport-addresses=127.89.250.0/24"]


def test_config_files_are_root_only(host):
    for path in ["/etc/rancher/k3s/config.yaml", "/etc/rancher/k3s/config.yaml.d/20-node.yaml", "/etc/rancher/k3s/token"]:
        f = host.file(path)
        assert f.user == "root" and f.mode == 0o600, path
    assert host.file("/etc/rancher/k3s").mode == 0o700


def test_token_is_the_controller_token_everywhere(host):
    secrets = os.path.join(EPHEMERAL, "secrets")
    token_path = os.path.join(secrets, "k3s-token")
    assert os.stat(secrets).st_mode & 0o777 == 0o700
    assert os.stat(token_path).st_mode & 0o777 == 0o600
    with open(token_path, encoding="utf-8") as handle:
        token = handle.read().strip()
    assert len(token) >= 32
    assert host.file("/etc/rancher/k3s/token").content_string.strip() == token


def test_binary_is_the_verified_release_and_tools_link_to_it(host):
    release = os.path.join(EPHEMERAL, "release/releases/download", VERSION, "k3s")
    with open(release, "rb") as handle:
        expected = hashlib.sha256(handle.read()).hexdigest()
    binary = host.file("/usr/local/bin/k3s")
    assert binary.mode == 0o755 and binary.sha256sum == expected
    assert host.check_output("/usr/local/bin/k3s --version").startswith("k3s version " + VERSION)
    for tool in ["kubectl", "crictl", "ctr"]:
        assert host.file("/usr/local/bin/" + tool).linked_to == "/usr/local/bin/k3s"
    # online mode ships neither the images tarball nor the install script
    assert not host.file("/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst").exists


def test_online_download_went_through_the_cache(host):
    cached = os.path.join(EPHEMERAL, "k3s-cache", VERSION)
    assert sorted(os.listdir(cached)) == ["k3s", "sha256sum-amd64.txt"]


def test_unit_is_rendered_by_the_role_and_valid(host):
    unit = _unit(host)
    path = "/etc/systemd/system/%s.service" % unit
    content = host.file(path).content_string
    role = "server" if _is_server(host) else "agent"
    assert "ExecStart=/usr/local/bin/k3s %s" % role in content.splitlines()
    assert ("Type=notify" if role == "server" else "Type=exec") in content
    assert "TimeoutStartSec=infinity" in content and "Delegate=yes" in content and "KillMode=process" in content
    verify = host.run("systemd-analyze verify %s", path)
    assert verify.rc == 0, verify.stderr
    assert host.run("systemctl show -p LoadState --value %s", unit).stdout.strip() == "loaded"


def test_k3s_is_not_started_when_start_service_is_false(host):
    service = host.service(_unit(host))
    assert not service.is_enabled
    assert not service.is_running


def test_kernel_parameters_for_protect_kernel_defaults(host):
    content = host.file("/etc/sysctl.d/90-kubelet.conf").content_string
    for line in ["vm.panic_on_oom=0", "vm.overcommit_memory=1", "kernel.panic=10", "kernel.panic_on_oops=1",
                 "kernel.keys.root_maxkeys=1000000", "kernel.keys.root_maxbytes=25000000"]:
        assert line in content.splitlines()


def test_servers_carry_cis_and_snapshot_configuration(host):
    if not _is_server(host):
        for path in ["40-cis.yaml", "50-etcd-snapshots.yaml"]:
            assert not host.file("/etc/rancher/k3s/config.yaml.d/" + path).exists
        assert not host.file("/var/lib/rancher/k3s/server/psa.yaml").exists
        return
    cis = _yaml(host, "/etc/rancher/k3s/config.yaml.d/40-cis.yaml")
    api = cis["kube-apiserver-arg"]
    for arg in ["enable-admission-plugins=NodeRestriction,EventRateLimit",
                "admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml",
                "audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml",
                "audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log",
                "audit-log-maxage=30", "audit-log-maxbackup=10", "audit-log-maxsize=100",
                "service-account-extend-token-expiration=false"]:
        assert arg in api
    assert cis["kube-controller-manager-arg"] == ["terminated-pod-gc-threshold=100"]
    snap = _yaml(host, "/etc/rancher/k3s/config.yaml.d/50-etcd-snapshots.yaml")
    assert snap == {"etcd-snapshot-schedule-cron": "0 */6 * * *", "etcd-snapshot-retention": 28, "etcd-snapshot-compress": True}
    assert not host.file("/etc/rancher/k3s/config.yaml.d/51-etcd-s3-credentials.yaml").exists
    assert host.file("/var/lib/rancher/k3s/server/logs").mode == 0o700
    assert _yaml(host, "/var/lib/rancher/k3s/server/psa.yaml")["kind"] == "AdmissionConfiguration"
    assert _yaml(host, "/var/lib/rancher/k3s/server/audit.yaml")["kind"] == "Policy"


def test_kube_vip_is_rendered_once_and_placed_as_a_static_pod_on_servers(host):
    rendered = os.path.join(EPHEMERAL, "rendered", "cluster")
    assert sorted(os.listdir(rendered)) == ["11-kube-vip.yaml"]
    placed = host.file("/var/lib/rancher/k3s/agent/pod-manifests/kube-vip.yaml")
    for old in ["10-kube-vip-rbac", "11-kube-vip"]:
        assert not host.file("/var/lib/rancher/k3s/server/manifests/chainops-%s.yaml" % old).exists
    if not _is_server(host):
        assert not placed.exists
        return
    with open(os.path.join(rendered, "11-kube-vip.yaml"), "rb") as handle:
        assert placed.sha256sum == hashlib.sha256(handle.read()).hexdigest()
    assert placed.mode == 0o600
    with open(os.path.join(rendered, "11-kube-vip.yaml"), encoding="utf-8") as handle:
        pod = yaml.safe_load(handle)
    assert pod["kind"] == "Pod" and pod["spec"]["hostNetwork"] is True
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["address"] == "127.89.250.10" and env["vip_interface"] == "eth0" and env["vip_arp"] == "true"
    assert env["cp_enable"] == "true" and env["vip_leaderelection"] == "true" and env["svc_enable"] == "false"
    assert container["image"] == "ghcr.io/kube-vip/kube-vip:v1.0.1"
    assert pod["spec"]["volumes"][0]["hostPath"]["path"] == "/etc/rancher/k3s/k3s.yaml"


def test_kubeconfig_is_not_fetched_without_a_running_k3s(host):
    assert not os.path.exists(os.path.join(EPHEMERAL, "secrets", "kubeconfig"))


def test_upgrade_against_an_unreachable_api_stops_and_touches_nothing(host, tmp_path):
    if _name(host) != "chainops-cluster-srv2":
        pytest.skip("runs once, against one server")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        # TCP port 9 (discard) on loopback: nothing listens, every API call fails fast
        "clusters": [{"name": "dead", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "dead", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "dead"}}],
    }))
    before = host.file("/usr/local/bin/k3s").sha256sum
    returncode, output = _side_playbook("upgrade-unreachable.yml", "-e", "k3s_common_kubeconfig=%s" % kubeconfig,
                                        "-e", "k3s_upgrade_drain_retries=0")
    assert returncode != 0, output[-2000:]
    assert "k3s upgrade stopped at server-two (task 'Cordon and drain server-two'" in output, output[-3000:]
    assert "UNCORDON FAILED TOO" in output and "Nodes after it were not touched" in output, output[-3000:]
    assert host.file("/usr/local/bin/k3s").sha256sum == before
    assert not host.service("k3s").is_running


def test_online_download_with_a_wrong_checksum_is_refused(host):
    if _name(host) != "chainops-cluster-srv1":
        pytest.skip("runs once, against one server")
    before = host.file("/usr/local/bin/k3s").sha256sum
    # every server in the run: the cluster-init decision refuses to guess with servers left out
    returncode, output = _side_playbook("refuse.yml", "-e", "k3s_binary_sha256=" + "0" * 64)
    assert returncode != 0, output[-2000:]
    assert "k3s online install: could not fetch and verify" in output, output[-3000:]
    assert "did not match" in output and "0" * 64 in output, output[-3000:]
    assert host.file("/usr/local/bin/k3s").sha256sum == before
    cached = os.path.join(EPHEMERAL, "k3s-cache", VERSION, "k3s")
    release = os.path.join(EPHEMERAL, "release/releases/download", VERSION, "k3s")
    assert _sha_file(cached) == _sha_file(release)


def _side_playbook(playbook, *args):
    """Run one of this scenario's side playbooks against the molecule inventory; returns (rc, folded output)."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    project = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(scenario)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(project, "collections"), ANSIBLE_NOCOLOR="1")
    env.setdefault("ANSIBLE_CONFIG", os.path.join(EPHEMERAL, "ansible.cfg"))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", INVENTORY, os.path.join(scenario, playbook), *args],
        capture_output=True, text=True, timeout=300, env=env, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def _sha_file(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
