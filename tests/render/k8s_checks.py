"""Pure-Python checks over rendered Kubernetes objects (used by test_chain.py; each checker has tests that feed it a
violating object):

- ``restricted_violations(pod_spec)``: the Pod Security Standards "restricted" profile (Kubernetes 1.33), baseline
  rules included, evaluated on one pod template;
- ``NetworkModel``: who may reach which port of which pod under a set of NetworkPolicies (ingress side), with
  podSelector / namespaceSelector / ipBlock peers and numeric or named ports;
- ``selects(selector, labels)``: label selector matching (matchLabels and matchExpressions).
"""

import ipaddress

RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}


def _containers(spec):
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            yield key, container


def restricted_violations(spec):
    """Every rule of the restricted profile that this pod spec breaks, as text (empty list = admitted)."""
    out = []
    pod_sc = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            out.append("%s is true" % field)
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if "hostPath" in kinds:
            out.append("volume %s is a hostPath" % volume["name"])
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            out.append("volume %s has a type the restricted profile does not allow: %s" % (volume["name"], sorted(kinds - RESTRICTED_VOLUME_TYPES)))
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            out.append("unsafe sysctl %s" % sysctl.get("name"))
    if (pod_sc.get("seLinuxOptions") or {}).get("type") not in (None, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"):
        out.append("pod seLinuxOptions.type not allowed")
    if (pod_sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        out.append("pod AppArmor profile Unconfined")
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_sc.get("runAsUser") == 0:
        out.append("pod runAsUser is 0")
    if pod_seccomp == "Unconfined":
        out.append("pod seccompProfile Unconfined")
    for key, container in _containers(spec):
        where = "%s %s" % (key, container.get("name"))
        sc = container.get("securityContext") or {}
        if sc.get("privileged"):
            out.append("%s is privileged" % where)
        if sc.get("procMount") not in (None, "Default"):
            out.append("%s procMount %s" % (where, sc.get("procMount")))
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                out.append("%s uses hostPort %s" % (where, port["hostPort"]))
        if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
            out.append("%s AppArmor profile Unconfined" % where)
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append("%s: allowPrivilegeEscalation must be false" % where)
        run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if run_as_non_root is not True:
            out.append("%s: runAsNonRoot must be true (pod or container)" % where)
        if sc.get("runAsNonRoot") is False:
            out.append("%s: runAsNonRoot is false" % where)
        if sc.get("runAsUser") == 0:
            out.append("%s: runAsUser is 0" % where)
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append("%s: seccompProfile must be RuntimeDefault or Localhost (pod or container), got %s" % (where, seccomp))
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append("%s: capabilities must drop ALL" % where)
        added = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            out.append("%s: adds capabilities %s" % (where, sorted(added)))
    return out


def selects(selector, labels):
    """Does a LabelSelector select these labels? An empty selector selects everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Pod:
    def __init__(self, name, namespace, labels, spec):
        self.name, self.namespace, self.labels, self.spec = name, namespace, labels, spec

    def ports(self):
        """{(name or None, number, protocol)} of every container port."""
        found = set()
        for _key, container in _containers(self.spec):
            for port in container.get("ports") or []:
                found.add((port.get("name"), port["containerPort"], port.get("protocol", "TCP")))
        return found

    def resolve(self, port):
        """Numbers a NetworkPolicy port (number or name) stands for on this pod."""
        if isinstance(port, int):
            return {port}
        return {number for name, number, _proto in self.ports() if name == port}


class Source:
    """A client: a pod (namespace + labels) or an address outside the pod network."""

    def __init__(self, label, namespace=None, pod_labels=None, address=None):
        self.label, self.namespace, self.pod_labels, self.address = label, namespace, pod_labels or {}, address

    def namespace_labels(self):
        return {"kubernetes.io/metadata.name": self.namespace} if self.namespace else {}


class NetworkModel:
    def __init__(self, policies):
        self.policies = [p for p in policies if p.get("kind") == "NetworkPolicy"]

    def _peer_matches(self, peer, source, target):
        if "ipBlock" in peer:
            if source.address is None:
                return False
            address = ipaddress.ip_address(source.address)
            block = peer["ipBlock"]
            net = ipaddress.ip_network(block["cidr"])
            if address.version != net.version or address not in net:
                return False
            return not any(address in ipaddress.ip_network(e) for e in block.get("except") or [] if ipaddress.ip_network(e).version == address.version)
        if source.namespace is None:
            return False
        if "namespaceSelector" in peer:
            if not selects(peer["namespaceSelector"], source.namespace_labels()):
                return False
        elif source.namespace != target.namespace:
            return False
        if "podSelector" in peer:
            return selects(peer["podSelector"], source.pod_labels)
        return True

    def _port_matches(self, rule_port, target, number, protocol):
        if rule_port.get("protocol", "TCP") != protocol:
            return False
        if "port" not in rule_port:
            return True
        numbers = target.resolve(rule_port["port"])
        if "endPort" in rule_port and isinstance(rule_port["port"], int):
            return rule_port["port"] <= number <= rule_port["endPort"]
        return number in numbers

    def allowed(self, source, target, number, protocol="TCP"):
        """May source open (number, protocol) on target (ingress policies of the target's namespace)?"""
        selecting = [
            p for p in self.policies
            if p["metadata"].get("namespace") == target.namespace and selects(p["spec"].get("podSelector", {}), target.labels)
            and "Ingress" in (p["spec"].get("policyTypes") or ["Ingress"])
        ]
        if not selecting:
            return True
        for policy in selecting:
            for rule in policy["spec"].get("ingress") or []:
                peers = rule.get("from")
                if peers and not any(self._peer_matches(peer, source, target) for peer in peers):
                    continue
                ports = rule.get("ports")
                if ports and not any(self._port_matches(p, target, number, protocol) for p in ports):
                    continue
                return True
        return False
