"""MetalLB's own controller (built from go.universe.tf/metallb at the pinned chart's version by
scripts/metallb-controller.sh) assigning the P2P addresses from the pools the collection renders, against the
control plane fixture of the production example.

The platform layer is rendered by the `metallb` role (tests/controlplane/playbooks/layers.yml, render only); its
namespace, pools and L2Advertisements are applied server-side with the CRDs of the pinned chart's `helm template`
(the HelmChart itself needs k3s's helm-controller, which the fixture does not run). The chain layer is applied by
playbooks/chain.yml as written. The controller runs on this machine with the admin kubeconfig, its webhooks
disabled; it only writes Service status (addresses are announced by the speaker, which does not run here).

Opt-in: collected when CHAINOPS_METALLB_CONTROLLER=1 (conftest.py); the controller must then be built, or the test
fails with the command that builds it.
"""

import ipaddress
import os
import re
import signal
import subprocess

import controlplane
import pytest
import standins
import yaml
from kubernetes import client, dynamic
from workloads import wait_for

SHARED = os.path.join(os.path.dirname(controlplane.REPO), "shared")
CHARTS = os.path.join(SHARED, "charts")
CHART = os.path.join(CHARTS, "metallb", "0.16.1", "chart")
NS = "chainops-chain"


def controller_binary():
    proc = subprocess.run(["bash", os.path.join(controlplane.REPO, "scripts", "metallb-controller.sh"), "--bin-dir"],
                          capture_output=True, text=True, check=True)
    return os.path.join(proc.stdout.strip(), "controller")


def _docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def _ingress(core, name, namespace=NS, proc=None):
    if proc is not None and proc.poll() is not None:
        raise AssertionError("the MetalLB controller exited with %s (log: metallb-controller.log)" % proc.returncode)
    status = core.read_namespaced_service(name, namespace).status.load_balancer
    return [i.ip for i in (status.ingress or [])] if status else []


@pytest.fixture(scope="module")
def metallb(prod, programs):
    binary = controller_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail("CHAINOPS_METALLB_CONTROLLER=1 but %s is not built: run `bash scripts/metallb-controller.sh`" % binary, pytrace=False)
    if not os.path.isdir(CHART):
        pytest.fail("test data missing: %s (the ../shared checkout beside the repo)" % CHART, pytrace=False)
    cp = prod
    rendered = cp.playbook("layers.yml", {"chainops_apply": False})
    assert rendered.returncode == 0, rendered.stdout[-4000:]
    platform = os.path.join(cp.render_dir, "platform")
    chart_doc = _docs(os.path.join(platform, "11-metallb-chart.yaml"))[0]
    helm = os.path.join(os.path.dirname(programs["kwok"]), "helm")
    kube_version = re.sub(r"\+.*$", "", cp.config["k3s_version"])
    out = standins.helm_template(helm, CHARTS, chart_doc, cp.dir, kube_version)
    crds = [d for d in out if d["kind"] == "CustomResourceDefinition"]
    assert {c["metadata"]["name"] for c in crds} >= {"ipaddresspools.metallb.io", "l2advertisements.metallb.io"}
    dyn = dynamic.DynamicClient(cp.api_client())
    for doc in crds:
        standins.ssa(dyn, doc)
    ext = client.ApiextensionsV1Api(cp.api_client())
    wait_for("MetalLB CRDs Established", lambda: all(standins.crd_established(ext, d["metadata"]["name"]) for d in crds), timeout=60)
    pools = []
    for name in ("10-metallb-namespace.yaml", "12-metallb-pools.yaml", "13-metallb-announce.yaml"):
        for doc in _docs(os.path.join(platform, name)):
            standins.ssa(dyn, doc)
            if doc["kind"] == "IPAddressPool":
                pools.append(doc)
    applied = controlplane.run_playbook(os.path.join(controlplane.REPO, "playbooks", "chain.yml"), cp.inventory,
                                        {"chainops_apply": True, "chainops_secrets_dir": cp.secrets_dir, "chainops_render_dir": cp.render_dir})
    assert applied.returncode == 0, applied.stdout[-4000:]
    # the controller reads its own pod at startup (owner of what it creates): a stand-in pod, run by kwok
    core = client.CoreV1Api(cp.api_client())
    core.create_namespaced_pod("metallb-system", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "metallb-controller-standin", "labels": {"app": "metallb-controller-standin"}},
        "spec": {"containers": [{"name": "controller", "image": "registry.invalid/chainops-test/metallb-controller:standin"}]}})
    # no flag binds these to loopback: they listen on every address of the host (they only answer, never dial)
    metrics_port, probe_port = controlplane.free_ports(2)
    log = open(os.path.join(cp.logs, "metallb-controller.log"), "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([binary, "--namespace=metallb-system", "--webhook-mode=disabled", "--disable-cert-rotation=true",
                             "--pod-name=metallb-controller-standin", "--port=%d" % metrics_port, "--health-probe-port=%d" % probe_port, "--log-level=info"],
                            env=dict(os.environ, KUBECONFIG=cp.kubeconfig), stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=cp.dir, start_new_session=True)
    try:
        chain = [d for name in sorted(os.listdir(os.path.join(cp.render_dir, "chain")))
                 for d in _docs(os.path.join(cp.render_dir, "chain", name))]
        yield {"cp": cp, "proc": proc, "pools": pools, "chain": chain}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def _pool(pools, name):
    doc = next(p for p in pools if p["metadata"]["name"] == name)
    nets = []
    for entry in doc["spec"]["addresses"]:
        if "-" in entry:
            first, last = (ipaddress.ip_address(x) for x in entry.split("-"))
            nets.extend(ipaddress.summarize_address_range(first, last))
        else:
            nets.append(ipaddress.ip_network(entry))
    return doc, nets


def _in(nets, ip):
    return any(ipaddress.ip_address(ip) in n for n in nets)


def test_p2p_services_get_their_pinned_addresses(metallb):
    """Every pair's P2P Services (TCP and UDP) get the address the chain layer pinned for the pair, from the p2p
    pool, one address shared by both protocols, a different one per pair."""
    cp = metallb["cp"]
    core = client.CoreV1Api(cp.api_client())
    p2p = [d for d in metallb["chain"] if d["kind"] == "Service" and d["spec"].get("type") == "LoadBalancer"]
    assert len(p2p) == 8, [d["metadata"]["name"] for d in p2p]
    pool_doc, p2p_nets = _pool(metallb["pools"], "p2p")
    assert pool_doc["spec"]["autoAssign"] is False
    by_pair = {}
    for doc in p2p:
        ann = doc["metadata"]["annotations"]
        assert ann["metallb.io/address-pool"] == "p2p"
        pinned = ann["metallb.io/loadBalancerIPs"]
        got = wait_for("%s assigned" % doc["metadata"]["name"], lambda doc=doc: _ingress(core, doc["metadata"]["name"], proc=metallb["proc"]), timeout=120)
        assert got == [pinned] and _in(p2p_nets, pinned), (doc["metadata"]["name"], got, pinned)
        by_pair.setdefault(ann["metallb.io/allow-shared-ip"], set()).add(pinned)
    assert all(len(v) == 1 for v in by_pair.values()), by_pair
    addresses = [next(iter(v)) for v in by_pair.values()]
    assert len(set(addresses)) == len(by_pair) == 4, by_pair
    assert metallb["proc"].poll() is None, cp.log_tail("metallb-controller")


def _probe_service(name, annotations=None, protocol="TCP", port=80):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "lb-probe", "annotations": annotations or {}},
            "spec": {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False, "selector": {"app": name},
                     "ports": [{"name": "p", "port": port, "protocol": protocol}]}}


def test_the_p2p_pool_is_not_auto_assigned(metallb):
    """A LoadBalancer Service that names no pool gets an address from the auto-assigned `api` pool, never from p2p;
    one that asks for a pair's pinned address without the pair's sharing key gets none."""
    cp = metallb["cp"]
    core = client.CoreV1Api(cp.api_client())
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lb-probe"}})
    api_nets = _pool(metallb["pools"], "api")[1]
    p2p_nets = _pool(metallb["pools"], "p2p")[1]
    plain = []
    for i in range(3):
        core.create_namespaced_service("lb-probe", _probe_service("plain-%d" % i))
        got = wait_for("plain-%d assigned" % i, lambda i=i: _ingress(core, "plain-%d" % i, "lb-probe", metallb["proc"]), timeout=60)
        assert len(got) == 1 and _in(api_nets, got[0]) and not _in(p2p_nets, got[0]), got
        plain.append(got[0])
    assert len(set(plain)) == 3
    taken = next(d for d in metallb["chain"] if d["kind"] == "Service" and d["spec"].get("type") == "LoadBalancer")
    pinned = taken["metadata"]["annotations"]["metallb.io/loadBalancerIPs"]
    core.create_namespaced_service("lb-probe", _probe_service("thief", {"metallb.io/address-pool": "p2p", "metallb.io/loadBalancerIPs": pinned},
                                                              port=taken["spec"]["ports"][0]["port"]))

    def refused():
        events = core.list_namespaced_event("lb-probe", field_selector="involvedObject.name=thief").items
        return [e.message for e in events if e.reason == "AllocationFailed"]

    messages = wait_for("the controller to refuse the taken address", refused, timeout=60)
    owner = taken["metadata"]["annotations"]["metallb.io/allow-shared-ip"].rsplit("-p2p", 1)[0]
    assert _ingress(core, "thief", "lb-probe") == [], messages
    assert "address also in use by %s/%s-p2p-" % (NS, owner) in " ".join(messages), messages
    assert _ingress(core, taken["metadata"]["name"]) == [pinned]
