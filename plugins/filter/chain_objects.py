# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""chain_objects / chain_yaml: the chain layer's Kubernetes objects, built from the inventory's pairs and the client
profiles (data/clients), and written as stable YAML.

``chain_objects(settings)`` returns ``[{name: "NN-name", objects: [...]}, ...]`` in apply order; the role renders each
entry through k8s_render. Everything a client needs (args, env, ports, run_as, probes, resources, shutdown) comes from
its profile through ``_client_profiles``; this file only places it into objects. See docs/chain.md."""

from __future__ import annotations

import json
import math

import yaml

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health_sidecar as _sidecar
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_chain
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles as cp
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import to_plain

try:
    from ansible.errors import AnsibleFilterError as _FilterError
except ImportError:  # pragma: no cover - plain Python without Ansible
    _FilterError = ValueError


class ChainRenderError(_FilterError):
    """The chain layer cannot be rendered from these settings."""


# The pair-health sidecar: its files (module_utils/_eth_health_sidecar.SIDECAR_FILES) land in one ConfigMap mounted in
# one folder, and this one is the program.
SIDECAR_PROGRAM = "_eth_health_sidecar.py"
SIDECAR_DIR = "/opt/chainops/health"
SIDECAR_PORT = 8575
JWT_DIR = "/var/run/chainops/jwt"
JWT_FILE = JWT_DIR + "/jwt.hex"
DATA_MOUNT = "/data"
ENGINE_URL = "http://127.0.0.1:8551"
CHAIN_IDS = {"mainnet": 1, "hoodi": 560048, "sepolia": 11155111}
PART_OF = "chainops-chain"
# the shared Services' ports: what the edge routes (roles/ingress ingress_rpc_port / _ws_port) send to
RPC_PORT = 8545
WS_PORT = 8546
PAIR_LABEL = "chain.chainops.io/pair"
APP_LABELS = {"app.kubernetes.io/name": "chainops-pair", "app.kubernetes.io/part-of": PART_OF}

# Writes a fresh 32-byte secret unless the pod's memory volume already holds one (a restarted init container must not
# change the secret under running clients). Never stored anywhere else.
JWT_SCRIPT = (
    "import os, re, secrets\n"
    "p = %r\n"
    "try:\n"
    "    old = open(p).read().strip()\n"
    "except FileNotFoundError:\n"
    "    old = ''\n"
    "if not re.fullmatch('[0-9a-f]{64}', old):\n"
    "    fd = os.open(p + '.new', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o440)\n"
    "    os.write(fd, secrets.token_hex(32).encode())\n"
    "    os.close(fd)\n"
    "    os.replace(p + '.new', p)\n" % JWT_FILE
)

# A profile's one-shot init step (Nimbus trustedNodeSync) runs once per data volume: the step runs only while the marker
# file the profile names is absent under the client's data dir, and the marker is written only after the step
# succeeded. Arguments: $1 the marker, then the init command and its args. Needs /bin/sh in the client's image.
INIT_ONCE_SCRIPT = (
    'marker="$1"; shift\n'
    'if [ -e "$marker" ]; then echo "chainops: $marker exists, the one-shot init step already ran; skipping it"; exit 0; fi\n'
    '"$@" || exit $?\n'
    ': > "$marker"\n'
    'echo "chainops: init step done, wrote $marker"\n'
)

REQUIRED = (
    "namespace", "network", "mode", "pairs", "p2p_pool", "storage_class", "volume_sizes", "sidecar_image", "sidecar_run_as",
    "priority_class", "priority_value", "ingress_namespace", "monitoring_namespace", "beacon_clients", "beacon_ingress",
    "health_check_cidrs", "cluster_cidr", "p2p_pool_name", "rpc_hostnames", "read_only_root", "spread", "min_ready_pairs", "cluster_domain",
)


def _need(settings, key):
    if key not in settings:
        raise ChainRenderError("chain_objects: setting %r is missing" % key)
    return settings[key]


def pool_addresses(ranges):
    """Every usable address of a MetalLB pool's ``addresses`` list (CIDRs or a-b ranges), in order."""
    return [str(a) for a in _checks_chain.pool_addresses(ranges)]


def assign_p2p_addresses(pairs, pool):
    """{pair name: address}: a pair's own ``p2p_address`` or the next free pool address, in inventory order."""
    addresses = pool_addresses(pool)
    taken = {p["p2p_address"] for p in pairs if p.get("p2p_address")}
    free = [a for a in addresses if a not in taken]
    out = {}
    for pair in pairs:
        if pair.get("p2p_address"):
            out[pair["name"]] = str(pair["p2p_address"])
            continue
        if not free:
            raise ChainRenderError(
                "chainops_pairs: the MetalLB p2p pool (%s) has no free address left for pair %r; enlarge the p2p entry of "
                "metallb_pools or give the pair a p2p_address" % (", ".join(map(str, pool)), pair["name"]))
        out[pair["name"]] = free.pop(0)
    return out


def _client_context(settings, pair, side, profile, *, address, allowed_hosts):
    ctx = {
        "mode": settings["mode"], "data_dir": "%s/%s" % (DATA_MOUNT, profile["name"]), "jwt_file": JWT_FILE,
        "listen_address": "0.0.0.0", "external_ip": address,  # noqa: S104 - pod address; NetworkPolicies restrict
    }
    if settings["mode"] == "public":
        ctx["network"] = settings["network"]
    if "allowed_hosts" in _placeholders(profile):
        ctx["allowed_hosts"] = allowed_hosts
    if profile["kind"] == "consensus":
        ctx["execution_endpoint"] = ENGINE_URL
        checkpoint = pair[side].get("checkpoint_sync_url", settings.get("checkpoint_sync_url"))
        if checkpoint:
            ctx["checkpoint_sync_url"] = checkpoint
    if settings["mode"] == "devnet":
        for key, value in (settings.get("devnet") or {}).items():
            if key in cp.CONTEXT_VARS and key in _placeholders(profile):
                ctx[key] = value
    return ctx


def _placeholders(profile):
    found = set()
    for section in (profile.get("args", []), profile.get("env", []), (profile.get("init") or {}).get("args", [])):
        for entry in section:
            for text in ([entry["arg"]] if "arg" in entry else entry.get("args", [entry.get("value", "")])):
                found.update(cp.PLACEHOLDER_RE.findall(str(text)))
    return found


def _security(run_as, read_only):
    return {
        "runAsNonRoot": True, "runAsUser": run_as["uid"], "runAsGroup": run_as["gid"], "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": bool(read_only), "seccompProfile": {"type": "RuntimeDefault"},
    }


def _ports(rendered):
    out = []
    for port in rendered:
        if port["scope"] == "loopback":
            continue
        for proto in port["protocols"]:
            # a port name is unique in the pod: a second protocol of the same port gets a suffix
            name = port["name"] if proto == port["protocols"][0] else "%s-%s" % (port["name"][:11], proto.lower())
            out.append({"name": name[:15], "containerPort": port["port"], "protocol": proto})
    return out


def _port_named(rendered, suffix):
    for port in rendered:
        if port["name"].endswith(suffix):
            return port
    return None


class _Client:
    def __init__(self, settings, pair, side, *, address, allowed_hosts, profiles):
        spec = pair[side]
        self.side = side
        self.name = spec["client"]
        if self.name not in profiles:
            raise ChainRenderError("chainops_pairs %s: %s client %r has no profile" % (pair["name"], side, self.name))
        self.profile = profiles[self.name]
        self.version = spec["version"]
        try:
            self.image = cp.image_ref(self.profile, self.version)
            ctx = _client_context(settings, pair, side, self.profile, address=address, allowed_hosts=allowed_hosts)
            self.args = cp.render_args(self.profile, self.version, ctx)
            self.env = cp.render_env(self.profile, self.version, ctx)
            self.command = cp.render_command(self.profile, ctx)
            self.init = cp.render_init(self.profile, self.version, ctx)
            self.ports = cp.render_ports(self.profile, self.version, ctx)
        except (ValueError, cp.RenderError) as exc:
            raise ChainRenderError("chainops_pairs %s (%s %s): %s" % (pair["name"], self.name, self.version, exc)) from exc
        ro = settings["read_only_root"]
        if self.name not in ro:
            raise ChainRenderError("chain_pairs_read_only_root has no entry for %s; add %s: true or false" % (self.name, self.name))
        self.read_only = ro[self.name]
        sizes = settings["volume_sizes"]
        if self.name not in sizes:
            raise ChainRenderError("chainops_chain_volume_sizes has no size for %s; add e.g. %s: 2Ti" % (self.name, self.name))
        self.size = spec.get("volume_size", sizes[self.name])
        self.api = _port_named(self.ports, "-rpc") if side == "execution" else _port_named(self.ports, "-rest")
        # JSON-RPC over WebSocket: every execution profile opens it on a port of its own (the ws Service port)
        self.ws = _port_named(self.ports, "-ws") if side == "execution" else None
        if side == "execution" and self.ws is None:
            raise ChainRenderError("client profile %s opens no WebSocket port (el-ws): the rpc Service's ws port and the edge's "
                                   "WebSocket routes need one; add it to data/clients/%s.yml" % (self.name, self.name))
        self.metrics = _port_named(self.ports, "-metrics")

    def container(self, container_name, volume):
        profile = self.profile
        res = profile["resources"]
        startup = int(profile["probes"]["startup_seconds"])
        container = {
            "name": container_name,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "args": list(self.args),
            "ports": _ports(self.ports),
            "resources": {"requests": dict(res["requests"]), "limits": dict(res["limits"])},
            "securityContext": _security(profile["run_as"], self.read_only),
            "volumeMounts": [
                {"name": volume, "mountPath": DATA_MOUNT},
                {"name": "jwt", "mountPath": JWT_DIR, "readOnly": True},
                {"name": "tmp-" + container_name, "mountPath": "/tmp"},  # noqa: S108 - a per-container emptyDir
            ],
            # the client has opened its API port; a slow first start gets startup_seconds before the kubelet restarts it
            "startupProbe": {"tcpSocket": {"port": self.api["name"]}, "periodSeconds": 10, "failureThreshold": max(1, math.ceil(startup / 10))},
            # wedged, never merely syncing: the sidecar's per-client liveness
            "livenessProbe": {
                "httpGet": {"path": "/livez/" + self.side, "port": "health"}, "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3,
            },
        }
        if self.command:
            container["command"] = list(self.command)
        if self.env:
            container["env"] = [dict(e) for e in self.env]
        return container


def _pair_objects(settings, pair, clients, address, index):
    ns = settings["namespace"]
    el, cl = clients["execution"], clients["consensus"]
    labels = dict(APP_LABELS, **{PAIR_LABEL: pair["name"], "chain.chainops.io/execution": el.name, "chain.chainops.io/consensus": cl.name})
    selector = {PAIR_LABEL: pair["name"], "app.kubernetes.io/part-of": PART_OF}
    startup = max(int(c.profile["probes"]["startup_seconds"]) for c in (el, cl))
    grace = max(int(c.profile["shutdown"]["grace_seconds"]) for c in (el, cl))
    criteria = dict(settings.get("sidecar_criteria") or {})
    chain_id = settings.get("expected_chain_id") or CHAIN_IDS.get(settings["network"])
    if chain_id and "expected_chain_id" not in criteria:
        criteria["expected_chain_id"] = chain_id
    sidecar_args = [
        "--execution-url=http://127.0.0.1:%d" % el.api["port"],
        "--consensus-url=http://127.0.0.1:%d" % cl.api["port"],
        "--pair=%s" % pair["name"],
        "--listen=0.0.0.0",
        "--port=%d" % SIDECAR_PORT,
        "--liveness-grace=%d" % max(300, startup),
        "--criteria=%s" % json.dumps(criteria, sort_keys=True, separators=(",", ":")),
    ]
    sidecar_run_as = settings["sidecar_run_as"]
    sidecar = {
        "name": "health",
        "image": settings["sidecar_image"],
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "%s/%s" % (SIDECAR_DIR, SIDECAR_PROGRAM)],
        "args": sidecar_args,
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}],
        "ports": [{"name": "health", "containerPort": SIDECAR_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": _security(sidecar_run_as, True),
        "volumeMounts": [{"name": "health-code", "mountPath": SIDECAR_DIR, "readOnly": True}],
        # the pair is Ready only when it is at the head of the chain (docs/health.md)
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "health"}, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2},
        "livenessProbe": {"httpGet": {"path": "/metrics", "port": "health"}, "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3},
    }
    jwt_init = {
        "name": "jwt",
        "image": settings["sidecar_image"],
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-c", JWT_SCRIPT],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
        "securityContext": _security(sidecar_run_as, True),
        "volumeMounts": [{"name": "jwt", "mountPath": JWT_DIR}],
    }
    init_containers = [jwt_init]
    for client, volume in ((el, "execution-data"), (cl, "consensus-data")):
        if client.init:
            init = client.container(client.side + "-init", volume)
            for key in ("ports", "startupProbe", "livenessProbe"):
                init.pop(key)
            marker = client.profile["init"].get("marker")
            if marker:
                # run once per data volume: the command must be explicit (no image entrypoint) to run under the guard
                if not client.profile["init"]["command"]:
                    raise ChainRenderError("client profile %s: init.marker needs init.command (the binary to run under the "
                                           "run-once guard)" % client.name)
                size = len(client.profile["init"]["command"])
                init["command"] = ["/bin/sh", "-c", INIT_ONCE_SCRIPT, "chainops-init-once", "%s/%s/%s" % (DATA_MOUNT, client.name, marker)] \
                    + client.init[:size]
                init["args"] = client.init[size:]
            elif client.profile["init"]["command"]:
                init["command"], init["args"] = client.init[:len(client.profile["init"]["command"])], client.init[len(client.profile["init"]["command"]):]
            else:
                init.pop("command", None)
                init["args"] = client.init
            init["volumeMounts"][-1]["name"] = "tmp-" + client.side
            init_containers.append(init)
    volumes = [
        {"name": "jwt", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        {"name": "health-code", "configMap": {"name": "chainops-health-sidecar", "defaultMode": 0o444}},
        {"name": "tmp-execution", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "tmp-consensus", "emptyDir": {"sizeLimit": "1Gi"}},
    ]
    spread = settings["spread"]
    pod_spec = {
        "priorityClassName": settings["priority_class"],
        "terminationGracePeriodSeconds": grace,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "fsGroup": el.profile["run_as"]["gid"],
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app.kubernetes.io/part-of": PART_OF}}, "topologyKey": "kubernetes.io/hostname"},
        ]}},
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": spread[key],
             "labelSelector": {"matchLabels": {"app.kubernetes.io/part-of": PART_OF}}}
            for key in ("topology.chainops.io/rack", "topology.kubernetes.io/zone")
        ],
        "initContainers": init_containers,
        "containers": [el.container("execution", "execution-data"), cl.container("consensus", "consensus-data"), sidecar],
        "volumes": volumes,
    }
    # the tmp emptyDir of each client container follows its side
    pod_spec["containers"][0]["volumeMounts"][2]["name"] = "tmp-execution"
    pod_spec["containers"][1]["volumeMounts"][2]["name"] = "tmp-consensus"
    claims = [
        {"metadata": {"name": vol}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": settings["storage_class"],
                                             "resources": {"requests": {"storage": str(client.size)}}}}
        for client, vol in ((el, "execution-data"), (cl, "consensus-data"))
    ]
    sts = {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": pair["name"], "namespace": ns, "labels": labels},
        "spec": {
            "replicas": 1,
            "serviceName": pair["name"],
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels, "annotations": {"chain.chainops.io/p2p-address": address}},
                "spec": pod_spec,
            },
            "volumeClaimTemplates": claims,
        },
    }
    service_ports = [
        {"name": "rpc", "port": el.api["port"], "targetPort": el.api["name"], "protocol": "TCP"},
        {"name": "ws", "port": el.ws["port"], "targetPort": el.ws["name"], "protocol": "TCP"},
        {"name": "beacon", "port": cl.api["port"], "targetPort": cl.api["name"], "protocol": "TCP"},
        {"name": "health", "port": SIDECAR_PORT, "targetPort": "health", "protocol": "TCP"},
    ]
    for client in (el, cl):
        if client.metrics:
            service_ports.append({"name": client.metrics["name"], "port": client.metrics["port"], "targetPort": client.metrics["name"], "protocol": "TCP"})
    direct = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": pair["name"], "namespace": ns, "labels": labels},
        "spec": {"type": "ClusterIP", "selector": selector, "ports": service_ports},
    }
    p2p = {"TCP": [], "UDP": []}
    for client in (el, cl):
        for port in client.ports:
            if port["scope"] != "p2p":
                continue
            for proto in port["protocols"]:
                container_name = [p for p in _ports([port]) if p["protocol"] == proto][0]["name"]
                # the same number outside as inside: most clients cannot announce another port
                p2p[proto].append({"name": container_name, "port": port["port"], "targetPort": port["port"], "protocol": proto})
    services = [direct]
    for proto in ("TCP", "UDP"):
        if not p2p[proto]:
            continue
        services.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {
                "name": "%s-p2p-%s" % (pair["name"], proto.lower()), "namespace": ns, "labels": labels,
                "annotations": {
                    "metallb.io/address-pool": settings["p2p_pool_name"],
                    "metallb.io/loadBalancerIPs": address,
                    "metallb.io/allow-shared-ip": "%s-p2p" % pair["name"],
                },
            },
            "spec": {
                "type": "LoadBalancer", "selector": selector, "ports": p2p[proto], "externalTrafficPolicy": "Local",
                "publishNotReadyAddresses": True, "allocateLoadBalancerNodePorts": False,
            },
        })
    return [sts] + services


def _policies(settings, clients_by_pair):
    ns = settings["namespace"]
    pairs_selector = {"matchLabels": {"app.kubernetes.io/part-of": PART_OF}}

    def ns_peer(name, pod_labels=None):
        peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}
        if pod_labels:
            peer["podSelector"] = {"matchLabels": dict(pod_labels)}
        return peer

    health_peers = [{"ipBlock": {"cidr": c}} for c in settings["health_check_cidrs"]]
    named = {"rpc": set(), "rest": set(), "metrics": set()}
    p2p_ports = set()
    for clients in clients_by_pair:
        for client in clients.values():
            named["rpc" if client.side == "execution" else "rest"].add(client.api["name"])
            if client.ws:
                named["rpc"].add(client.ws["name"])  # WebSocket JSON-RPC: the same sources as HTTP JSON-RPC
            if client.metrics:
                named["metrics"].add(client.metrics["name"])
            for port in _ports([p for p in client.ports if p["scope"] == "p2p"]):
                p2p_ports.add((port["containerPort"], port["protocol"]))

    def port_list(names):
        return [{"port": n, "protocol": "TCP"} for n in sorted(names)]

    def policy(name, spec):
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}

    beacon_from = [ns_peer(c["namespace"], c.get("pod_labels")) for c in settings["beacon_clients"]]
    beacon_from.append(ns_peer(settings["monitoring_namespace"]))
    if settings["beacon_ingress"]:
        beacon_from.append(ns_peer(settings["ingress_namespace"]))
    egress_except = [c for c in (settings["cluster_cidr"],) if c]
    return [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy("allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }]}),
        policy("pairs-egress-outside", {"podSelector": pairs_selector, "policyTypes": ["Egress"], "egress": [{
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": egress_except}}, {"ipBlock": {"cidr": "::/0"}}],
        }]}),
        policy("p2p-from-anywhere", {"podSelector": pairs_selector, "policyTypes": ["Ingress"], "ingress": [{
            "ports": [{"port": port, "protocol": proto} for port, proto in sorted(p2p_ports)],
        }]}),
        policy("rpc-from-ingress-and-health", {"podSelector": pairs_selector, "policyTypes": ["Ingress"], "ingress": [{
            "from": [ns_peer(settings["ingress_namespace"])] + health_peers,
            "ports": port_list(named["rpc"]),
        }]}),
        policy("beacon-from-clients", {"podSelector": pairs_selector, "policyTypes": ["Ingress"], "ingress": [
            {"from": beacon_from, "ports": port_list(named["rest"])},
            {"from": list(health_peers), "ports": port_list(named["rest"])},
        ]}),
        policy("health-from-checks", {"podSelector": pairs_selector, "policyTypes": ["Ingress"], "ingress": [{
            "from": list(health_peers), "ports": [{"port": "health", "protocol": "TCP"}],
        }]}),
        policy("metrics-from-monitoring", {"podSelector": pairs_selector, "policyTypes": ["Ingress"], "ingress": [{
            "from": [ns_peer(settings["monitoring_namespace"])],
            "ports": port_list(named["metrics"] | {"health"}),
        }]}),
    ]


def sidecar_files():
    """{file name: text} of the sidecar's ConfigMap; the program must be one of them."""
    files = _sidecar.sidecar_files()
    if SIDECAR_PROGRAM not in files:
        raise ChainRenderError("the sidecar's files %s do not hold its program %s" % (sorted(files), SIDECAR_PROGRAM))
    return files


def chain_objects(settings):
    """The chain layer in apply order: [{name, objects}] (see the module docstring)."""
    for key in REQUIRED:
        _need(settings, key)
    pairs = settings["pairs"]
    if not pairs:
        raise ChainRenderError("chainops_pairs is empty: the chain layer has nothing to run; list at least one pair")
    ns = settings["namespace"]
    profiles = settings.get("profiles") or cp.load_profiles()
    addresses = assign_p2p_addresses(pairs, settings["p2p_pool"])
    domain = settings["cluster_domain"]
    pair_files = []
    clients_by_pair = []
    for index, pair in enumerate(pairs):
        hosts = ["localhost"]
        for svc in ("rpc", pair["name"]):
            hosts += [svc, "%s.%s" % (svc, ns), "%s.%s.svc" % (svc, ns), "%s.%s.svc.%s" % (svc, ns, domain)]
        hosts += list(settings["rpc_hostnames"])
        allowed = ",".join(hosts)
        clients = {
            side: _Client(settings, pair, side, address=addresses[pair["name"]], allowed_hosts=allowed, profiles=profiles)
            for side in ("execution", "consensus")
        }
        clients_by_pair.append(clients)
        pair_files.append({"name": "50-pair-%s" % pair["name"], "objects": _pair_objects(settings, pair, clients, addresses[pair["name"]], index)})
    labels = dict(APP_LABELS)
    # the platform layer's edge routes (roles/ingress) create the same Namespace first, with exactly these labels:
    # both files are applied by one field manager, so any difference would flip on every run
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": dict(
        {"app.kubernetes.io/part-of": "chainops"},
        **{"pod-security.kubernetes.io/%s" % mode: "restricted" for mode in ("enforce", "audit", "warn")})}}
    priority = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": settings["priority_class"], "labels": labels},
                "value": int(settings["priority_value"]), "globalDefault": False,
                "description": "Ethereum client pairs: scheduled before and evicted after ordinary workloads."}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chainops-health-sidecar", "namespace": ns, "labels": labels},
                 "data": sidecar_files()}
    selector = {"app.kubernetes.io/part-of": PART_OF}
    shared = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "rpc", "namespace": ns, "labels": labels},
         "spec": {"type": "ClusterIP", "selector": selector, "ports": [
             {"name": "rpc", "port": RPC_PORT, "targetPort": "el-rpc", "protocol": "TCP"},
             {"name": "ws", "port": WS_PORT, "targetPort": "el-ws", "protocol": "TCP"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "beacon", "namespace": ns, "labels": labels},
         "spec": {"type": "ClusterIP", "selector": selector, "ports": [
             {"name": "beacon", "port": 5052, "targetPort": "cl-rest", "protocol": "TCP"}]}},
    ]
    min_ready = settings["min_ready_pairs"]
    max_unavailable = 1 if min_ready in (None, "") else min(1, len(pairs) - int(min_ready))
    if max_unavailable < 1:
        raise ChainRenderError(
            "chainops_min_ready_pairs (%s) leaves no pair that may be down among %d pairs: node drains would block forever; "
            "lower it below %d or add pairs" % (min_ready, len(pairs), len(pairs)))
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pairs", "namespace": ns, "labels": labels},
           "spec": {"maxUnavailable": max_unavailable, "selector": {"matchLabels": selector}, "unhealthyPodEvictionPolicy": "IfHealthyBudget"}}
    return [
        {"name": "00-namespace", "objects": [namespace]},
        {"name": "01-priorityclass", "objects": [priority]},
        {"name": "10-networkpolicies", "objects": _policies(settings, clients_by_pair)},
        {"name": "20-health-sidecar", "objects": [configmap]},
        {"name": "30-services", "objects": shared},
        {"name": "31-disruption-budget", "objects": [pdb]},
    ] + pair_files


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


def chain_yaml(objects):
    """Objects as one YAML stream (keys in the order built, multi-line strings as literal blocks)."""
    parts = []
    for obj in objects:
        parts.append("---\n" + yaml.dump(to_plain(obj), Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=4096, allow_unicode=True))
    return "".join(parts)


def chain_gate_pairs(pairs, namespace="chainops-chain"):
    """eth_health_gate / eth_node_info ``pairs`` for the rendered pairs: each pair's own Service through the API-server
    proxy (ports ``rpc`` and ``beacon``), so a gate checks exactly the pairs this layer deploys."""
    return [
        {
            "name": pair["name"],
            "execution": {"kubernetes": {"namespace": namespace, "service": pair["name"], "port": "rpc"}},
            "consensus": {"kubernetes": {"namespace": namespace, "service": pair["name"], "port": "beacon"}},
        }
        for pair in pairs
    ]


def chain_render_items(files, template):
    """k8s_render_objects for the files of chain_objects: [{name, template}] (the objects stay out of the items)."""
    return [{"name": entry["name"], "template": template} for entry in files]


class FilterModule:
    """Chain layer object filters."""

    def filters(self):
        return {"chain_objects": chain_objects, "chain_yaml": chain_yaml, "chain_render_items": chain_render_items,
                "chain_gate_pairs": chain_gate_pairs}
