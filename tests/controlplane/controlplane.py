"""A real Kubernetes control plane on 127.0.0.1 for tests: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (the fake kubelet), built by scripts/k8s-tools.sh.

The API server is configured with the cluster layer's own admission and audit files and CIS arguments, rendered
from roles/k3s_server for one inventory (playbooks/config.yml beside this file). Nodes are registered with the
names and labels roles/k3s_common gives the inventory's hosts; kwok marks them Ready, keeps their leases and
marks pods scheduled on them Running and Ready. Every process is started here and stopped by its PID.
"""

import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from kubernetes import client, config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
PROGRAMS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
# kwok manages only nodes carrying this annotation (never a real node)
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
# The inventories do not state machine sizes. A fake node gets the "full node" row of
# ../shared/research/chain-clients.md (4c/8t, 32 GB RAM, 4 TB NVMe): what one execution + consensus pair needs.
MACHINE = {"cpu": "8", "memory": "32Gi", "ephemeral-storage": "4Ti", "pods": "110"}
# k3s labels its servers with these roles (the kube-vip DaemonSet selects node-role.kubernetes.io/control-plane)
K3S_SERVER_ROLE_LABELS = {"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true",
                          "node-role.kubernetes.io/etcd": "true"}


class ControlPlaneUnavailable(Exception):
    """The programs are not built (run scripts/k8s-tools.sh)."""


def ansible_env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"), ANSIBLE_LOCALHOST_WARNING="false",
                ANSIBLE_NOCOLOR="1")


def run_playbook(playbook, inventory, extra_vars, *, timeout=600, json_output=False, limit=None):
    """ansible-playbook <playbook> -i inventories/<inventory> -e <json>; returns the CompletedProcess, with
    .result the parsed JSON callback output when json_output (repo callbacks off, as tests/repo does)."""
    env = ansible_env()
    if json_output:
        env.update(ANSIBLE_CONFIG=os.path.join(REPO, "tests", "repo", "fixtures", "plain.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), playbook, "-i", os.path.join(REPO, "inventories", inventory),
           "-e", json.dumps(extra_vars)] + (["--limit", limit] if limit else [])
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    proc.result = None
    if json_output and "{" in proc.stdout:
        try:
            proc.result = json.loads(proc.stdout[proc.stdout.find("{"):])
        except ValueError:
            pass
    return proc


def task_results(result, name_part):
    """Every host result of the tasks whose name contains name_part, from the json callback's output."""
    out = []
    for play in (result or {}).get("plays", []):
        for task in play["tasks"]:
            if name_part in task["task"]["name"]:
                out.extend(task["hosts"].values())
    return out


def bin_dir():
    """Where scripts/k8s-tools.sh puts the programs (it owns the pinned versions and the cache layout)."""
    proc = subprocess.run(["bash", os.path.join(REPO, "scripts", "k8s-tools.sh"), "--bin-dir"], capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()


def find_programs():
    """Absolute paths of the programs; ControlPlaneUnavailable names what is missing and how to build it."""
    directory = bin_dir()
    stamp = os.path.join(directory, ".versions")
    missing = [p for p in PROGRAMS if not os.access(os.path.join(directory, p), os.X_OK)]
    if missing or not os.path.isfile(stamp):
        raise ControlPlaneUnavailable(
            "control plane programs missing in %s (%s): run `bash scripts/k8s-tools.sh` (or `make bootstrap`)"
            % (directory, ", ".join(missing) or "no version stamp"))
    return {p: os.path.join(directory, p) for p in PROGRAMS}


def free_ports(count):
    """count distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        while len(socks) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# --- certificates ------------------------------------------------------------------------------------------

def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(key, path):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    os.chmod(path, 0o600)


def _write_cert(cert, path):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _name(cn, orgs=()):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] + [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs])


def _builder(subject, issuer, public_key):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2)))


def make_pki(directory, service_ip):
    """A CA, the API server's serving certificate, client certificates and the service-account key pair."""
    ca_key = _key()
    ca_name = _name("chainops-test-ca")
    ca = (_builder(ca_name, ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    _write_key(ca_key, os.path.join(directory, "ca.key"))
    _write_cert(ca, os.path.join(directory, "ca.crt"))

    def leaf(name, cn, *, orgs=(), dns=(), ips=(), server=False):
        key = _key()
        b = _builder(_name(cn, orgs), ca_name, key.public_key()).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        if dns or ips:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]
                                                            + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), critical=False)
        _write_key(key, os.path.join(directory, name + ".key"))
        _write_cert(b.sign(ca_key, hashes.SHA256()), os.path.join(directory, name + ".crt"))

    leaf("apiserver", "kube-apiserver", server=True,
         dns=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"),
         ips=("127.0.0.1", service_ip))
    leaf("admin", "chainops-test-admin", orgs=("system:masters",))
    leaf("controller-manager", "system:kube-controller-manager")
    leaf("scheduler", "system:kube-scheduler")
    sa = _key()
    _write_key(sa, os.path.join(directory, "sa.key"))
    with open(os.path.join(directory, "sa.pub"), "wb") as f:
        f.write(sa.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def write_kubeconfig(path, server, ca, cert, key):
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "controlplane", "cluster": {"server": server, "certificate-authority": ca}}],
        "users": [{"name": "user", "user": {"client-certificate": cert, "client-key": key}}],
        "contexts": [{"name": "controlplane", "context": {"cluster": "controlplane", "user": "user"}}],
        "current-context": "controlplane",
    }
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    os.chmod(path, 0o600)


# --- the control plane -------------------------------------------------------------------------------------

class ControlPlane:
    """start() brings the whole control plane up for one inventory; stop() ends every process by PID."""

    def __init__(self, inventory, workdir):
        self.inventory = inventory
        self.dir = str(workdir)
        self.pki = os.path.join(self.dir, "pki")
        self.logs = os.path.join(self.dir, "logs")
        self.config_dir = os.path.join(self.dir, "config")
        self.render_dir = os.path.join(self.dir, "rendered")
        self.procs = {}
        # the collection reads the admin kubeconfig from <chainops_secrets_dir>/kubeconfig
        self.secrets_dir = os.path.join(self.dir, "secrets")
        self.kubeconfig = os.path.join(self.secrets_dir, "kubeconfig")
        self.config = None
        self.nodes = []
        self.server = None

    # --- lifecycle
    def start(self, programs):
        for d in (self.pki, self.logs, self.config_dir, self.render_dir, self.secrets_dir):
            os.makedirs(d, exist_ok=True)
        self._render_config()
        etcd_client, etcd_peer, api, kcm, sched, kwok = free_ports(6)
        service_net = ipaddress.ip_network(self.config["service_cidr"])
        make_pki(self.pki, str(service_net[1]))
        self.server = "https://127.0.0.1:%d" % api
        ca = os.path.join(self.pki, "ca.crt")
        kubeconfigs = {}
        for who, name in (("admin", self.kubeconfig), ("controller-manager", None), ("scheduler", None)):
            path = name or os.path.join(self.dir, who + ".kubeconfig")
            write_kubeconfig(path, self.server, ca, os.path.join(self.pki, who + ".crt"), os.path.join(self.pki, who + ".key"))
            kubeconfigs[who] = path

        self._spawn("etcd", [
            programs["etcd"], "--name=controlplane", "--data-dir=" + os.path.join(self.dir, "etcd"),
            "--listen-client-urls=http://127.0.0.1:%d" % etcd_client, "--advertise-client-urls=http://127.0.0.1:%d" % etcd_client,
            "--listen-peer-urls=http://127.0.0.1:%d" % etcd_peer, "--initial-advertise-peer-urls=http://127.0.0.1:%d" % etcd_peer,
            "--initial-cluster=controlplane=http://127.0.0.1:%d" % etcd_peer, "--listen-metrics-urls=",
            "--unsafe-no-fsync", "--log-level=warn",
        ])
        self._wait_http("etcd", "http://127.0.0.1:%d/health" % etcd_client, 60)

        self._spawn("kube-apiserver", [
            programs["kube-apiserver"],
            "--etcd-servers=http://127.0.0.1:%d" % etcd_client,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=%d" % api,
            "--cert-dir=" + self.pki,
            "--tls-cert-file=" + os.path.join(self.pki, "apiserver.crt"), "--tls-private-key-file=" + os.path.join(self.pki, "apiserver.key"),
            "--client-ca-file=" + ca,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=" + os.path.join(self.pki, "sa.pub"),
            "--service-account-signing-key-file=" + os.path.join(self.pki, "sa.key"),
            "--service-cluster-ip-range=" + self.config["service_cidr"],
            "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            # the API server's own address is loopback, which Endpoints may not hold: no "kubernetes" endpoints
            "--endpoint-reconciler-type=none",
        ] + self._role_args("kube_apiserver_args"))
        self._wait_http("kube-apiserver", self.server + "/readyz", 120)

        self._spawn("kube-controller-manager", [
            programs["kube-controller-manager"],
            "--kubeconfig=" + kubeconfigs["controller-manager"],
            "--authentication-kubeconfig=" + kubeconfigs["controller-manager"],
            "--authorization-kubeconfig=" + kubeconfigs["controller-manager"],
            "--bind-address=127.0.0.1", "--secure-port=%d" % kcm, "--leader-elect=false",
            "--use-service-account-credentials=true",
            "--service-account-private-key-file=" + os.path.join(self.pki, "sa.key"), "--root-ca-file=" + ca,
            "--cluster-signing-cert-file=" + ca, "--cluster-signing-key-file=" + os.path.join(self.pki, "ca.key"),
            "--service-cluster-ip-range=" + self.config["service_cidr"], "--cluster-cidr=" + self.config["cluster_cidr"],
            # a starved CI machine can delay kwok's lease renewals; nodes must not flap to Unknown meanwhile
            "--node-monitor-grace-period=120s",
        ] + self._role_args("kube_controller_manager_args"))
        self._spawn("kube-scheduler", [
            programs["kube-scheduler"],
            "--kubeconfig=" + kubeconfigs["scheduler"],
            "--authentication-kubeconfig=" + kubeconfigs["scheduler"],
            "--authorization-kubeconfig=" + kubeconfigs["scheduler"],
            "--bind-address=127.0.0.1", "--secure-port=%d" % sched, "--leader-elect=false",
        ])
        self._spawn("kwok", [
            programs["kwok"], "--kubeconfig=" + self.kubeconfig,
            "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=%s=fake" % KWOK_ANNOTATION,
            "--cidr=" + self.config["cluster_cidr"], "--node-ip=127.0.0.1",
            # kwok renews a Lease per node (what the node lifecycle controller watches, as with real kubelets)
            "--node-lease-duration-seconds=40",
            "--server-address=127.0.0.1:%d" % kwok,
        ])
        self.register_nodes()

    def stop(self):
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs = {}

    def keep_logs(self, dest):
        """Copy the logs (and rendered config) somewhere that outlives the temp dir."""
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        shutil.copytree(self.logs, os.path.join(dest, "logs"))
        shutil.copytree(self.config_dir, os.path.join(dest, "config"))
        return dest

    # --- pieces
    def _render_config(self):
        proc = run_playbook(os.path.join(PLAYBOOKS, "config.yml"), self.inventory,
                            {"controlplane_out": self.config_dir, "chainops_render_dir": self.render_dir})
        if proc.returncode != 0:
            raise RuntimeError("config.yml failed for %s:\n%s\n%s" % (self.inventory, proc.stdout[-4000:], proc.stderr[-2000:]))
        with open(os.path.join(self.config_dir, "apiserver.json")) as f:
            self.config = json.load(f)
        self.nodes = []
        for name in sorted(os.listdir(self.config_dir)):
            if name.startswith("node-") and name.endswith(".json"):
                with open(os.path.join(self.config_dir, name)) as f:
                    self.nodes.append(json.load(f))
        if not self.nodes:
            raise RuntimeError("config.yml wrote no node for inventory %s" % self.inventory)

    def _role_args(self, key):
        """The role's arguments with its host paths moved into the temp dir; a path left over is an error."""
        moved = {self.config["host_paths"]["psa"]: os.path.join(self.config_dir, "psa.yaml"),
                 self.config["host_paths"]["audit"]: os.path.join(self.config_dir, "audit.yaml"),
                 self.config["host_paths"]["audit_log_dir"]: self.logs}
        args = []
        for original in self.config[key]:
            arg = original
            for old, new in moved.items():
                arg = arg.replace(old, new)
            if "/var/lib/rancher" in arg or "/etc/rancher" in arg:
                raise RuntimeError("role argument %r names a host path the fixture does not provide" % original)
            args.append("--" + arg)
        return args

    def _spawn(self, name, cmd):
        log = open(os.path.join(self.logs, name + ".log"), "wb")  # noqa: SIM115 - closed when the process ends
        with open(os.path.join(self.logs, name + ".cmd"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            cwd=self.dir, start_new_session=True)
        log.close()

    def check_alive(self):
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise RuntimeError("control plane process(es) exited: %s; logs in %s:\n%s" % (dead, self.logs, self.log_tail(next(iter(dead)))))

    def log_tail(self, name, lines=30):
        with open(os.path.join(self.logs, name + ".log"), errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.pki, "admin.crt"), os.path.join(self.pki, "admin.key"))
        return ctx

    def _wait_http(self, name, url, timeout):
        deadline = time.monotonic() + timeout
        ctx = self.ssl_context() if url.startswith("https") else None
        last = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(url, timeout=5, context=ctx) as resp:  # noqa: S310 - loopback only
                    if resp.status == 200:
                        return
            except OSError as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError("%s not ready at %s after %ds (%s); log:\n%s" % (name, url, timeout, last, self.log_tail(name)))

    # --- nodes
    def node_objects(self):
        objs = []
        for node in self.nodes:
            labels = {"kubernetes.io/hostname": node["name"], "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                      "type": "kwok"}
            for item in node["labels"]:
                key, value = item.split("=", 1)
                labels[key] = value
            if node["role"] == "server":
                labels.update(K3S_SERVER_ROLE_LABELS)
            taints = []
            for item in node["taints"]:
                kv, effect = item.rsplit(":", 1)
                key, value = kv.split("=", 1) if "=" in kv else (kv, "")
                taints.append({"key": key, "value": value, "effect": effect} if value else {"key": key, "effect": effect})
            objs.append({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": node["name"], "labels": labels, "annotations": {KWOK_ANNOTATION: "fake"}},
                "spec": {"taints": taints} if taints else {},
                "status": {"capacity": dict(MACHINE), "allocatable": dict(MACHINE),
                           "nodeInfo": {"kubeletVersion": self.config["k3s_version"], "architecture": "amd64",
                                        "operatingSystem": "linux"}},
            })
        return objs

    def api_client(self):
        return config.new_client_from_config(config_file=self.kubeconfig)

    def playbook(self, name, extra_vars=None, **kwargs):
        """Run playbooks/<name> beside this file for this control plane's inventory, kubeconfig and render dir."""
        evars = {"chainops_secrets_dir": self.secrets_dir, "chainops_render_dir": self.render_dir}
        evars.update(extra_vars or {})
        return run_playbook(os.path.join(PLAYBOOKS, name), self.inventory, evars, **kwargs)

    def register_nodes(self):
        api = client.CoreV1Api(self.api_client())
        for obj in self.node_objects():
            api.create_node(obj)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            self.check_alive()
            nodes = api.list_node().items
            ready = [n.metadata.name for n in nodes
                     if any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))]
            if len(ready) == len(self.nodes):
                return
            time.sleep(1)
        raise RuntimeError("kwok did not mark the nodes Ready (ready: %s); kwok log:\n%s" % (ready, self.log_tail("kwok")))
