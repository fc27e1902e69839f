"""chainops.ethereum.eth_health_gate's Kubernetes endpoint form through the real kube-apiserver's proxy.

The chain layer of the production example is applied for real (playbooks/chain.yml, server-side apply); kwok makes
its four pair pods Running and Ready. Then each pod's status gets an address of this machine that the API server
may proxy to (podnet.PodNetwork: a network namespace of the test's own, reached over a veth), and real clients
listen there on the pod's ports: anvil on the execution port, a validating Lodestar dev node on the beacon port,
each pair its own. kube-apiserver proxies `services/<pair>:rpc/proxy/` (and `pods/<pod>:<port>/proxy/`) by dialing
that address itself, so the gate's requests go through the same authentication, authorization and Endpoints
lookup as on a real cluster; only the kubelet and the container runtime are stood in for.

A pair whose pod is not Ready or gone has no endpoint: the proxy answers 503 and the gate names it. No request
may ever leave the machine: every gate run first checks that the pairs' Endpoints hold only the test's own
addresses (a pod kwok re-creates gets an address of the cluster CIDR, which would route off the host).
"""

import copy
import ipaddress
import os
import sys
import time
import urllib.error
import urllib.request

import controlplane
import podnet
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from kubernetes import client
from workloads import is_ready, wait_for

sys.path.insert(0, os.path.join(controlplane.REPO, "tests", "integration", "devnet"))
import devnet_procs as dp  # noqa: E402

NS = "chainops-chain"
PART_OF = "app.kubernetes.io/part-of=chainops-chain"
# what the test's clients can meet: anvil has no net_peerCount, Lodestar 1.5.1 reports no el_offline, and each
# Lodestar here is a lone validating node (no peers)
CRITERIA = {"expected_chain_id": 31337, "min_consensus_peers": 0, "skip": ["el_peers", "cl_el_online"]}
SLOT_SECONDS = 2


def _unavailable(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and the gate-proxy test cannot run: %s" % reason, pytrace=False)
    pytest.skip(reason)


def _storage(cp, count):
    """k3s's `local-path` class (no provisioner here) and one pre-made volume per claim."""
    storage, core = client.StorageV1Api(cp.api_client()), client.CoreV1Api(cp.api_client())
    storage.create_storage_class({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local-path"},
                                  "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"})
    for i in range(count):
        core.create_persistent_volume({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "gate-pv-%02d" % i},
                                       "spec": {"capacity": {"storage": "4Ti"}, "accessModes": ["ReadWriteOnce"],
                                                "storageClassName": "local-path", "persistentVolumeReclaimPolicy": "Retain",
                                                "hostPath": {"path": "/var/lib/standin/gate-pv-%02d" % i}}})


def _port(pod, service, port_name):
    """The container port a Service port reaches on the pod (the Service's targetPort is a port name)."""
    target = next(p.target_port for p in service.spec.ports if p.name == port_name)
    return next(c.container_port for ctr in pod.spec.containers for c in ctr.ports or [] if c.name == target)


def _set_pod_ip(core, pod_name, address):
    client_patch = [{"op": "replace", "path": "/status/podIP", "value": address},
                    {"op": "replace", "path": "/status/podIPs", "value": [{"ip": address}]}]
    core.patch_namespaced_pod_status(pod_name, NS, client_patch)


def _set_ready(core, pod, ready):
    value = "True" if ready else "False"
    conditions = [{"type": c.type, "status": c.status} for c in pod.status.conditions if c.type not in ("Ready", "ContainersReady")]
    conditions += [{"type": t, "status": value, "reason": "GateProxyTest"} for t in ("Ready", "ContainersReady")]
    core.patch_namespaced_pod_status(pod.metadata.name, NS, {"status": {"conditions": conditions}})


class Pair:
    """One chain-layer pair: its pod, the address the test gave it, and the clients listening there."""

    def __init__(self, name, pod, address, el_port, cl_port):
        self.name, self.pod, self.address, self.el_port, self.cl_port = name, pod, address, el_port, cl_port
        self.anvil = self.lodestar = None

    @property
    def el_url(self):
        return "http://%s:%d" % (self.address, self.el_port)

    @property
    def cl_url(self):
        return "http://%s:%d" % (self.address, self.cl_port)


class Fleet:
    def __init__(self, cp, net, workdir):
        self.cp, self.net, self.workdir = cp, net, workdir
        self.core = client.CoreV1Api(cp.api_client())
        self.pairs = []
        self.procs = []

    def start_anvil(self, pair):
        argv = self.net.wrap([dp.anvil_path(), "--host", pair.address, "--port", str(pair.el_port), "--block-time", "1"])
        pair.anvil = dp.Proc("anvil-" + pair.name, argv, self.workdir, os.path.join(self.workdir, "anvil-%s.log" % pair.name), dp._client_env())
        self.procs.append(pair.anvil)
        dp.wait_until(lambda: dp.rpc(pair.el_url, "eth_chainId") == "0x7a69", 60, "anvil of %s" % pair.name, pair.anvil)

    def start_lodestar(self, pair, genesis_time):
        node_dir = os.path.join(self.workdir, "lodestar-" + pair.name)
        os.makedirs(node_dir, exist_ok=True)
        argv = self.net.wrap([
            dp.lodestar_path(), "dev", "--genesisValidators", "8", "--startValidators", "0..7", "--genesisTime", str(genesis_time),
            "--dataDir", os.path.join(node_dir, "data"), "--params.SECONDS_PER_SLOT", str(SLOT_SECONDS),
            "--rest.address", pair.address, "--rest.port", str(pair.cl_port), "--beaconNodes", pair.cl_url,
            "--listenAddress", pair.address, "--port", "9000", "--enr.ip", pair.address, "--enr.tcp", "9000", "--enr.udp", "9000",
            "--logFile", "none"])
        pair.lodestar = dp.Proc("lodestar-" + pair.name, argv, node_dir, os.path.join(self.workdir, "lodestar-%s.log" % pair.name), dp._client_env())
        self.procs.append(pair.lodestar)

    def stop(self):
        for proc in reversed(self.procs):
            proc.stop()

    def pair(self, name):
        return next(p for p in self.pairs if p.name == name)

    def endpoints_only_ours(self):
        """Every address of the pairs' Services is one of the test's own (the guard before any proxied request)."""
        for pair in self.pairs:
            ep = self.core.read_namespaced_endpoints(pair.name, NS)
            for subset in ep.subsets or []:
                for addr in (subset.addresses or []) + (subset.not_ready_addresses or []):
                    assert ipaddress.ip_address(addr.ip) in self.net.subnet, (
                        "Service %s routes to %s, outside the test's own network %s: refusing to proxy there"
                        % (pair.name, addr.ip, self.net.subnet))

    def ready_addresses(self, service):
        ep = self.core.read_namespaced_endpoints(service, NS)
        return sorted(a.ip for s in ep.subsets or [] for a in s.addresses or [])

    def gate(self, timeout, **extra):
        self.endpoints_only_ours()
        evars = {"controlplane_gate_criteria": CRITERIA, "controlplane_gate_timeout": timeout}
        evars.update(extra)
        proc = self.cp.playbook("gate.yml", evars, json_output=True)
        results = controlplane.task_results(proc.result, "Wait until enough client pairs are healthy")
        proc.gate = results[0] if results else None
        return proc


@pytest.fixture(scope="module")
def fleet(prod, tmp_path_factory):
    reason = dp.missing_clients()
    if reason:
        _unavailable(reason)
    cp = prod
    _storage(cp, 8)
    applied = controlplane.run_playbook(os.path.join(controlplane.REPO, "playbooks", "chain.yml"), cp.inventory,
                                        {"chainops_apply": True, "chainops_secrets_dir": cp.secrets_dir, "chainops_render_dir": cp.render_dir})
    assert applied.returncode == 0, applied.stdout[-6000:] + applied.stderr[-2000:]
    core = client.CoreV1Api(cp.api_client())
    with open(os.path.join(controlplane.REPO, "inventories", cp.inventory, "group_vars", "all", "main.yml")) as f:
        names = [p["name"] for p in yaml.safe_load(f)["chainops_pairs"]]

    def all_ready():
        pods = core.list_namespaced_pod(NS, label_selector=PART_OF).items
        return pods if len(pods) == len(names) and all(is_ready(p) for p in pods) else None

    pods = {p.metadata.labels["chain.chainops.io/pair"]: p for p in wait_for("the pair pods Ready", all_ready, timeout=180)}
    assert sorted(pods) == sorted(names)
    try:
        net = podnet.PodNetwork(len(names), avoid=(cp.config["cluster_cidr"], cp.config["service_cidr"])).create()
    except podnet.PodNetworkUnavailable as exc:
        _unavailable(str(exc))
    workdir = str(tmp_path_factory.mktemp("gate-clients"))
    fl = Fleet(cp, net, workdir)
    try:
        genesis = int(time.time()) + 15
        for name, address in zip(names, net.pod_addrs):
            svc = core.read_namespaced_service(name, NS)
            pair = Pair(name, pods[name].metadata.name, address, _port(pods[name], svc, "rpc"), _port(pods[name], svc, "beacon"))
            fl.pairs.append(pair)
            fl.start_anvil(pair)
            fl.start_lodestar(pair, genesis)
        for pair in fl.pairs:
            dp.wait_until(lambda pair=pair: (dp.head_slot(pair.cl_url) or 0) >= 2, 120, "Lodestar of %s at slot 2" % pair.name, pair.lodestar)
            _set_pod_ip(core, pair.pod, pair.address)
        for pair in fl.pairs:
            wait_for("Endpoints of %s at %s" % (pair.name, pair.address), lambda pair=pair: fl.ready_addresses(pair.name) == [pair.address], timeout=60)
        yield fl
    finally:
        fl.stop()
        net.delete()


def _proxy_answer(fleet, path):
    """(status, body) of a GET on the API server's proxy path (namespace chainops-chain) with the admin identity."""
    url = "%s/api/v1/namespaces/%s/%s" % (fleet.cp.server, NS, path)
    try:
        with urllib.request.urlopen(url, timeout=10, context=fleet.cp.ssl_context()) as resp:  # noqa: S310 - loopback API server
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _failed(gate, pair):
    """{criterion: reason} of the pair's failed criteria in the gate's result."""
    entry = next(p for p in gate["pairs"] if p["name"] == pair)
    return {c["criterion"]: c["reason"] for c in entry["criteria"] if not c["ok"]}


def test_gate_passes_through_the_service_proxy(fleet):
    """The upgrade's own pair discovery (chainops_pairs -> each pair's Service, ports rpc and beacon) and the gate,
    through kube-apiserver's service proxy to real clients: every pair healthy, with what the clients report."""
    run = fleet.gate(timeout=120)
    assert run.returncode == 0, run.stdout[-6000:]
    gate = run.gate
    assert gate["healthy"] is True and gate["healthy_pairs"] == len(fleet.pairs), gate.get("msg")
    for entry in gate["pairs"]:
        assert entry["execution"]["endpoint"] == "k8s:service/%s/%s:rpc" % (NS, entry["name"])
        assert entry["consensus"]["endpoint"] == "k8s:service/%s/%s:beacon" % (NS, entry["name"])
        assert entry["execution"]["chain_id"] == 31337 and entry["execution"]["head_number"] > 0, entry["execution"]
        assert entry["consensus"]["head_slot"] >= 2 and "Lodestar" in entry["consensus"]["version"], entry["consensus"]
    assert sorted(p["name"] for p in gate["pairs"]) == sorted(p.name for p in fleet.pairs)


def test_gate_passes_through_the_pod_proxy(fleet):
    """The pod form (pods/<pod>:<port>/proxy/): the API server dials the pod's own address."""
    pairs = [{"name": p.name, "execution": {"kubernetes": {"namespace": NS, "pod": p.pod, "port": str(p.el_port)}},
              "consensus": {"kubernetes": {"namespace": NS, "pod": p.pod, "port": str(p.cl_port)}}} for p in fleet.pairs]
    run = fleet.gate(timeout=120, controlplane_gate_pairs=pairs)
    assert run.returncode == 0, run.stdout[-6000:]
    assert run.gate["healthy_pairs"] == len(fleet.pairs)
    for entry in run.gate["pairs"]:
        pair = fleet.pair(entry["name"])
        assert entry["execution"]["endpoint"] == "k8s:pod/%s/%s:%d" % (NS, pair.pod, pair.el_port)
        assert entry["execution"]["chain_id"] == 31337


def test_upgrade_gate_with_default_criteria_reaches_the_clients(fleet):
    """playbooks/k3s_upgrade.yml itself (preflight, plan, the gate before the first node) with a newer k3s_version:
    the gate reaches every pair through the proxy and holds the upgrade on the default criteria these devnet
    clients cannot meet (no execution peers, no el_offline, no consensus peers); no node is touched."""
    fleet.endpoints_only_ours()
    run = controlplane.run_playbook(
        os.path.join(controlplane.REPO, "playbooks", "k3s_upgrade.yml"), fleet.cp.inventory,
        {"chainops_secrets_dir": fleet.cp.secrets_dir, "chainops_render_dir": fleet.cp.render_dir, "k3s_version": "v1.33.6+k3s1",
         "k3s_upgrade_gate_timeout": 12, "k3s_upgrade_gate_interval": 2, "k3s_upgrade_gate_consecutive": 1}, json_output=True)
    assert run.returncode != 0, run.stdout[-4000:]
    gates = controlplane.task_results(run.result, "Wait until enough client pairs are healthy")
    assert len(gates) == 1 and gates[0].get("failed"), gates
    gate = gates[0]
    assert gate["healthy_pairs"] == 0 and gate["min_healthy"] == len(fleet.pairs), gate["msg"]
    for pair in fleet.pairs:
        failed = _failed(gate, pair.name)
        assert set(failed) == {"el_peers", "cl_el_online", "cl_peers"}, (pair.name, failed)
        assert "net_peerCount" in failed["el_peers"] and "0 connected peers" in failed["cl_peers"], failed
    assert not controlplane.task_results(run.result, "Upgrade this server"), "a node was upgraded past a failed gate"
    nodes = client.CoreV1Api(fleet.cp.api_client()).list_node().items
    assert [n.metadata.name for n in nodes if n.spec.unschedulable] == []


def test_a_stopped_client_fails_its_pair_only(fleet):
    """anvil of one pair stopped: the proxy cannot reach it, the gate fails that pair with the reason and passes the
    others; with min_healthy one fewer it holds."""
    victim = fleet.pairs[0]
    victim.anvil.stop()
    try:
        run = fleet.gate(timeout=10, controlplane_gate_consecutive=1)
        assert run.returncode != 0 and run.gate["healthy_pairs"] == len(fleet.pairs) - 1, run.stdout[-4000:]
        failed = _failed(run.gate, victim.name)
        assert "el_reachable" in failed and not any(c.startswith("cl_") for c in failed), failed
        # the API server's own answer when its dial is refused
        assert "HTTP 503" in failed["el_reachable"], failed["el_reachable"]
        status, body = _proxy_answer(fleet, "services/%s:rpc/proxy/" % victim.name)
        assert status == 503 and "connection refused" in body, (status, body)
        assert victim.name in run.gate["msg"] and all(p.name not in run.gate["msg"] for p in fleet.pairs[1:]), run.gate["msg"]
        held = fleet.gate(timeout=60, controlplane_gate_min_healthy=len(fleet.pairs) - 1)
        assert held.returncode == 0 and held.gate["healthy_pairs"] == len(fleet.pairs) - 1, held.stdout[-4000:]
    finally:
        fleet.procs.remove(victim.anvil)
        fleet.start_anvil(victim)
    assert fleet.gate(timeout=60).returncode == 0


def test_a_pod_not_ready_has_no_endpoint(fleet):
    """A pair whose pod is not Ready drops out of its Service: the proxy answers 503 and the gate fails that pair,
    though its clients still run."""
    victim = fleet.pairs[1]
    core = fleet.core
    _set_ready(core, core.read_namespaced_pod(victim.pod, NS), False)
    try:
        wait_for("%s without a ready endpoint" % victim.name, lambda: fleet.ready_addresses(victim.name) == [], timeout=60)
        run = fleet.gate(timeout=10, controlplane_gate_consecutive=1)
        assert run.returncode != 0 and run.gate["healthy_pairs"] == len(fleet.pairs) - 1, run.stdout[-4000:]
        failed = _failed(run.gate, victim.name)
        assert {"el_reachable", "cl_reachable"} <= set(failed), failed
        assert "HTTP 503" in failed["el_reachable"], failed
        assert 'no endpoints available for service "%s' % victim.name in failed["cl_reachable"], failed
        assert dp.rpc(victim.el_url, "eth_chainId") == "0x7a69", "the client itself must still answer"
    finally:
        _set_ready(core, core.read_namespaced_pod(victim.pod, NS), True)
    wait_for("%s ready again" % victim.name, lambda: fleet.ready_addresses(victim.name) == [victim.address], timeout=60)
    assert fleet.gate(timeout=60).returncode == 0


def _kubeconfig(cp, name, cn, *, foreign_ca=False):
    """A client certificate for user `cn` (signed by the fixture's CA, or by a CA the API server does not trust)."""
    directory = os.path.join(cp.dir, "users", name)
    os.makedirs(directory, exist_ok=True)
    if foreign_ca:
        signer_key = controlplane._key()
        signer = controlplane._name("not-the-cluster-ca")
    else:
        with open(os.path.join(cp.pki, "ca.key"), "rb") as f:
            signer_key = serialization.load_pem_private_key(f.read(), None)
        with open(os.path.join(cp.pki, "ca.crt"), "rb") as f:
            signer = x509.load_pem_x509_certificate(f.read()).subject
    key = controlplane._key()
    cert = (controlplane._builder(controlplane._name(cn), signer, key.public_key())
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(signer_key, hashes.SHA256()))
    controlplane._write_key(key, os.path.join(directory, "user.key"))
    controlplane._write_cert(cert, os.path.join(directory, "user.crt"))
    path = os.path.join(directory, "kubeconfig")
    controlplane.write_kubeconfig(path, cp.server, os.path.join(cp.pki, "ca.crt"), os.path.join(directory, "user.crt"),
                                  os.path.join(directory, "user.key"))
    return path


def test_the_proxy_enforces_authentication_and_rbac(fleet):
    """The gate's requests carry the kubeconfig's identity: a user the API server does not know gets 401, a known
    user without rights 403 naming the missing permission, and the same user with a Role granting only
    services/proxy (get for the Beacon API, create for JSON-RPC POSTs) in the chain namespace passes."""
    cp = fleet.cp
    stranger = _kubeconfig(cp, "stranger", "chainops-test-stranger", foreign_ca=True)
    run = fleet.gate(timeout=6, controlplane_gate_consecutive=1, controlplane_gate_kubeconfig=stranger)
    assert run.returncode != 0 and run.gate["healthy_pairs"] == 0, run.stdout[-3000:]
    failed = _failed(run.gate, fleet.pairs[0].name)
    assert "HTTP 401" in failed["el_reachable"] and "HTTP 401" in failed["cl_reachable"], failed
    assert "Unauthorized" in failed["cl_reachable"], failed

    viewer = _kubeconfig(cp, "gate-user", "chainops-gate-user")
    run = fleet.gate(timeout=6, controlplane_gate_consecutive=1, controlplane_gate_kubeconfig=viewer)
    assert run.returncode != 0 and run.gate["healthy_pairs"] == 0, run.stdout[-3000:]
    failed = _failed(run.gate, fleet.pairs[0].name)
    assert "HTTP 403" in failed["el_reachable"], failed
    # the module shortens the API server's message after about 100 characters
    assert 'is forbidden: User "chainops-gate-user" cannot get resource' in failed["cl_reachable"], failed

    rbac = client.RbacAuthorizationV1Api(cp.api_client())
    rbac.create_namespaced_role(NS, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "chain-gate"},
                                     "rules": [{"apiGroups": [""], "resources": ["services/proxy"], "verbs": ["get", "create"]}]})
    rbac.create_namespaced_role_binding(NS, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                             "metadata": {"name": "chain-gate"},
                                             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "chain-gate"},
                                             "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "chainops-gate-user"}]})
    run = fleet.gate(timeout=60, controlplane_gate_kubeconfig=viewer)
    assert run.returncode == 0 and run.gate["healthy_pairs"] == len(fleet.pairs), run.stdout[-3000:]


def test_an_absent_pod_is_refused(fleet):
    """The pair's StatefulSet scaled to zero: no pod, no endpoint; the service form answers 503 and the pod form
    404, and the gate fails that pair. (Last: the pod is not brought back, since kwok would give it an address of
    the cluster CIDR, which routes off this machine.)"""
    victim = fleet.pairs[-1]
    apps = client.AppsV1Api(fleet.cp.api_client())
    apps.patch_namespaced_stateful_set_scale(victim.name, NS, {"spec": {"replicas": 0}})
    wait_for("%s pod gone" % victim.pod, lambda: victim.pod not in [p.metadata.name for p in fleet.core.list_namespaced_pod(NS).items], timeout=90)
    wait_for("%s without endpoints" % victim.name, lambda: fleet.ready_addresses(victim.name) == [], timeout=60)
    run = fleet.gate(timeout=6, controlplane_gate_consecutive=1)
    assert run.returncode != 0 and run.gate["healthy_pairs"] == len(fleet.pairs) - 1, run.stdout[-3000:]
    failed = _failed(run.gate, victim.name)
    assert "HTTP 503" in failed["el_reachable"], failed
    assert 'no endpoints available for service "%s' % victim.name in failed["cl_reachable"], failed
    pairs = [{"name": victim.name, "execution": {"kubernetes": {"namespace": NS, "pod": victim.pod, "port": str(victim.el_port)}},
              "consensus": {"kubernetes": {"namespace": NS, "pod": victim.pod, "port": str(victim.cl_port)}}}]
    run = fleet.gate(timeout=6, controlplane_gate_consecutive=1, controlplane_gate_pairs=copy.deepcopy(pairs))
    assert run.returncode != 0 and run.gate["healthy_pairs"] == 0, run.stdout[-3000:]
    failed = _failed(run.gate, victim.name)
    assert "HTTP 404" in failed["el_reachable"], failed
    assert 'pods "%s" not found' % victim.pod in failed["cl_reachable"], failed
