"""Chain layer: render playbooks/chain.yml for every example inventory (twice), validate every object, and check what
the objects promise: Pod Security "restricted", selectors and named ports, P2P exposure, who can reach which port."""

import filecmp
import ipaddress
import os
import subprocess

import checkov_scan
import k8s_checks as kc
import pytest
import validate
import yaml

REPO = validate.REPO
INVENTORIES = ["lab", "production-example"]
NS = "chainops-chain"
PART_OF = {"app.kubernetes.io/part-of": "chainops-chain"}


def render_chain(inventory, dest, extra=()):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"))
    cmd = [
        os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "playbooks/chain.yml", "-i", inventory,
        "-e", "chainops_render_dir=%s" % dest, "-e", "chainops_apply=false",
    ]
    for item in extra:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc


def load_objects(folder):
    objects = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            objects.extend((name, doc) for doc in yaml.safe_load_all(handle) if doc)
    return objects


def inventory_vars(inventory):
    with open(os.path.join(REPO, "inventories", inventory, "group_vars", "all", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module", params=INVENTORIES)
def rendered(request, tmp_path_factory):
    first = tmp_path_factory.mktemp("chain-%s-1" % request.param)
    second = tmp_path_factory.mktemp("chain-%s-2" % request.param)
    for dest in (first, second):
        proc = render_chain("inventories/%s" % request.param, str(dest))
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    folder = os.path.join(str(first), "chain")
    return {
        "inventory": request.param, "first": folder, "second": os.path.join(str(second), "chain"),
        "objects": load_objects(folder), "vars": inventory_vars(request.param),
    }


def of_kind(rendered, kind):
    return [doc for _f, doc in rendered["objects"] if doc["kind"] == kind]


def pods(rendered):
    return [kc.Pod(s["metadata"]["name"], s["metadata"]["namespace"], s["spec"]["template"]["metadata"]["labels"], s["spec"]["template"]["spec"])
            for s in of_kind(rendered, "StatefulSet")]


def test_files_and_byte_identical_rerender(rendered):
    names = sorted(os.listdir(rendered["first"]))
    pairs = rendered["vars"]["chainops_pairs"]
    assert sorted("50-pair-%s.yaml" % p["name"] for p in pairs) == [n for n in names if n.startswith("50-")]
    assert names == sorted(os.listdir(rendered["second"]))
    match, mismatch, errors = filecmp.cmpfiles(rendered["first"], rendered["second"], names, shallow=False)
    assert not mismatch and not errors and len(match) == len(names)


def test_every_object_validates_strictly(rendered):
    counts = validate.validate_paths([rendered["first"]])
    assert counts["core"] == len(rendered["objects"]) and counts["crd"] == 0


def test_namespace_enforces_restricted(rendered):
    (ns,) = of_kind(rendered, "Namespace")
    for mode in ("enforce", "audit", "warn"):
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/%s" % mode] == "restricted"
    assert all(doc["metadata"].get("namespace", NS) == NS for _f, doc in rendered["objects"] if doc["kind"] not in ("Namespace", "PriorityClass"))


def test_every_pod_template_is_restricted(rendered):
    checked = 0
    for pod in pods(rendered):
        assert kc.restricted_violations(pod.spec) == [], pod.name
        checked += 1
    assert checked == len(rendered["vars"]["chainops_pairs"])


def test_pair_statefulsets(rendered):
    pairs = {p["name"]: p for p in rendered["vars"]["chainops_pairs"]}
    sizes = rendered["vars"]["chainops_chain_volume_sizes"]
    for sts in of_kind(rendered, "StatefulSet"):
        pair = pairs[sts["metadata"]["name"]]
        spec = sts["spec"]
        tpl = spec["template"]
        assert spec["replicas"] == 1
        assert kc.selects(spec["selector"], tpl["metadata"]["labels"])
        pod = tpl["spec"]
        assert [c["name"] for c in pod["containers"]] == ["execution", "consensus", "health"]
        assert pod["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
        assert pod["priorityClassName"] == of_kind(rendered, "PriorityClass")[0]["metadata"]["name"]
        anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert anti[0]["topologyKey"] == "kubernetes.io/hostname" and anti[0]["labelSelector"]["matchLabels"] == PART_OF
        assert {t["topologyKey"] for t in pod["topologySpreadConstraints"]} == {"topology.chainops.io/rack", "topology.kubernetes.io/zone"}
        claims = {c["metadata"]["name"]: c for c in spec["volumeClaimTemplates"]}
        assert claims["execution-data"]["spec"]["resources"]["requests"]["storage"] == sizes[pair["execution"]["client"]]
        assert claims["consensus-data"]["spec"]["resources"]["requests"]["storage"] == sizes[pair["consensus"]["client"]]
        assert {c["spec"]["storageClassName"] for c in claims.values()} == {rendered["vars"]["chainops_chain_storage_class"]}
        # images are the pinned versions
        assert pod["containers"][0]["image"].endswith(":" + pair["execution"]["version"].lstrip("v")) or \
            pod["containers"][0]["image"].endswith(":" + pair["execution"]["version"])
        # every volume mount names a volume or a claim
        volumes = {v["name"] for v in pod["volumes"]} | set(claims)
        for _k, container in kc._containers(pod):
            for mount in container.get("volumeMounts") or []:
                assert mount["name"] in volumes, (sts["metadata"]["name"], container["name"], mount)
        # grace period covers the slower client's shutdown
        assert pod["terminationGracePeriodSeconds"] >= 120


def test_jwt_generated_in_pod_memory_never_stored(rendered):
    assert not of_kind(rendered, "Secret")
    for pod in pods(rendered):
        jwt = [v for v in pod.spec["volumes"] if v["name"] == "jwt"][0]
        assert jwt["emptyDir"]["medium"] == "Memory"
        init = pod.spec["initContainers"][0]
        assert init["name"] == "jwt" and "secrets.token_hex(32)" in init["command"][-1]
        for container in pod.spec["containers"][:2]:
            assert {"name": "jwt", "mountPath": "/var/run/chainops/jwt", "readOnly": True} in container["volumeMounts"]
            assert any("/var/run/chainops/jwt/jwt.hex" in a for a in container["args"]), container["name"]


def test_engine_api_is_loopback_only(rendered):
    for pod in pods(rendered):
        assert 8551 not in {number for _n, number, _p in pod.ports()}
        el_args = " ".join(pod.spec["containers"][0]["args"])
        cl_args = " ".join(pod.spec["containers"][1]["args"])
        assert "http://127.0.0.1:8551" in cl_args
        # every EL binds its engine API to loopback except Besu, whose engine follows --rpc-http-host (the policy test
        # below shows 8551 is closed to every peer)
        assert "127.0.0.1" in el_args


# JSON-RPC namespace flags: HTTP, and WebSocket where the client has a flag of its own for it
HTTP_API_FLAGS = ("--http.api=", "--rpc-http-api=", "--JsonRpc.EnabledModules=")
WS_API_FLAGS = ("--ws.api=", "--rpc-ws-api=")
# clients whose WebSocket endpoint serves the HTTP namespaces (no flag of its own; data/clients/<name>.yml says where)
WS_SHARES_HTTP_API = {"erigon", "nethermind"}


def test_only_eth_net_web3_on_routed_rpc(rendered):
    for pod in pods(rendered):
        client = pod.labels["chain.chainops.io/execution"]
        args = pod.spec["containers"][0]["args"]
        apis = [a.split("=", 1)[1] for a in args if a.startswith(HTTP_API_FLAGS)]
        ws_apis = [a.split("=", 1)[1] for a in args if a.startswith(WS_API_FLAGS)]
        assert len(apis) == 1, (pod.name, args)
        assert len(ws_apis) == (0 if client in WS_SHARES_HTTP_API else 1), (pod.name, args)
        for value in apis + ws_apis:
            assert sorted(value.lower().split(",")) == ["eth", "net", "web3"], (pod.name, value)
        assert not any(a.startswith(("--JsonRpc.EnabledModules=Admin", "--JsonRpc.AdditionalRpcUrls")) for a in args)


def test_websocket_json_rpc_port(rendered):
    """Every execution client opens JSON-RPC over WebSocket on el-ws; the rpc Service and each pair's Service carry it
    as port ws, on the number the edge's WebSocket routes send to (roles/ingress ingress_ws_port)."""
    with open(os.path.join(REPO, "roles", "ingress", "defaults", "main.yml"), encoding="utf-8") as handle:
        ingress = yaml.safe_load(handle)
    services = {s["metadata"]["name"]: s for s in of_kind(rendered, "Service")}
    shared = {p["name"]: p for p in services[ingress["ingress_rpc_service"]]["spec"]["ports"]}
    assert shared["rpc"]["port"] == ingress["ingress_rpc_port"] and shared["rpc"]["targetPort"] == "el-rpc"
    assert shared["ws"]["port"] == ingress["ingress_ws_port"] and shared["ws"]["targetPort"] == "el-ws"
    assert ingress["ingress_ws_port"] != ingress["ingress_rpc_port"]
    for pod in pods(rendered):
        el = pod.spec["containers"][0]
        by_name = {p["name"]: p["containerPort"] for p in el["ports"]}
        assert "el-ws" in by_name and by_name["el-ws"] != by_name["el-rpc"], (pod.name, by_name)
        # the client is told to listen on that port, on every interface
        assert any(a.endswith("=%d" % by_name["el-ws"]) and ("ws" in a.lower() or "websocket" in a.lower()) for a in el["args"]), (pod.name, el["args"])
        own = {p["name"]: p for p in services[pod.name]["spec"]["ports"]}
        assert own["ws"]["targetPort"] == "el-ws" and own["ws"]["port"] == by_name["el-ws"]


def _run_init_once(command, marker, binary_body, tmp):
    """Run a rendered init container's command (/bin/sh -c <guard> ...) here, with the marker moved into tmp and the
    client binary replaced by a stand-in script; returns (exit code, calls the stand-in logged)."""
    log = os.path.join(tmp, "calls.log")
    fake = os.path.join(tmp, "client")
    with open(fake, "w", encoding="utf-8") as handle:
        handle.write('#!/bin/sh\necho "$*" >> %s\n%s\n' % (log, binary_body))
    os.chmod(fake, 0o700)
    argv = list(command)
    assert argv[:2] == ["/bin/sh", "-c"]
    argv[4] = marker
    argv[5] = fake
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    calls = open(log, encoding="utf-8").read().splitlines() if os.path.exists(log) else []
    return proc.returncode, calls


def test_nimbus_checkpoint_sync_runs_once_per_data_volume(rendered, tmp_path):
    """The rendered Nimbus init container runs trustedNodeSync only while the marker under its data dir is absent and
    writes the marker only after success (the rendered guard is run here with a stand-in binary)."""
    nimbus = [p for p in pods(rendered) if p.labels["chain.chainops.io/consensus"] == "nimbus"]
    if rendered["inventory"] == "production-example":
        assert nimbus, "the production example runs a Nimbus pair"
    for pod in nimbus:
        (init,) = [c for c in pod.spec["initContainers"] if c["name"] == "consensus-init"]
        command, args = init["command"], init["args"]
        mount = [m["mountPath"] for m in init["volumeMounts"] if m["name"] == "consensus-data"][0]
        assert command[3] == "chainops-init-once" and command[4] == mount + "/nimbus/.chainops-trusted-node-sync", command
        assert command[5:] == ["/home/user/nimbus_beacon_node"] and args[0] == "trustedNodeSync", (command, args)
        assert "--data-dir=%s/nimbus" % mount in args
        full = command + args
        marker = str(tmp_path / "marker")
        # a failing sync writes no marker and fails the init container (the kubelet retries it)
        code, calls = _run_init_once(full, marker, "exit 3", str(tmp_path))
        assert code == 3 and len(calls) == 1 and not os.path.exists(marker)
        # the first successful start runs it and writes the marker ...
        code, calls = _run_init_once(full, marker, "exit 0", str(tmp_path))
        assert code == 0 and len(calls) == 2 and calls[-1] == " ".join(args) and os.path.exists(marker)
        # ... and every later start skips it
        for _restart in range(2):
            code, calls = _run_init_once(full, marker, "exit 0", str(tmp_path))
            assert code == 0 and len(calls) == 2
        os.remove(marker)
        os.remove(str(tmp_path / "calls.log"))


def test_probes(rendered):
    for pod in pods(rendered):
        names = {name for name, _n, _p in pod.ports()}
        containers = pod.spec["containers"]
        for container in containers:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe in container:
                    action = container[probe].get("httpGet") or container[probe].get("tcpSocket")
                    assert action["port"] in names, (pod.name, container["name"], probe)
        health = containers[2]
        assert health["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert [c for c in containers if "readinessProbe" in c] == [health]
        assert containers[0]["livenessProbe"]["httpGet"]["path"] == "/livez/execution"
        assert containers[1]["livenessProbe"]["httpGet"]["path"] == "/livez/consensus"
        for container in containers[:2]:
            # a slow first start gets the profile's startup_seconds before the kubelet gives up
            startup = container["startupProbe"]
            assert startup["periodSeconds"] * startup["failureThreshold"] >= 300


def test_services_select_pairs_and_named_ports_exist(rendered):
    all_pods = pods(rendered)
    for svc in of_kind(rendered, "Service"):
        selected = [p for p in all_pods if kc.selects({"matchLabels": svc["spec"]["selector"]}, p.labels)]
        name = svc["metadata"]["name"]
        if name in ("rpc", "beacon"):
            assert len(selected) == len(all_pods), name
        else:
            assert len(selected) == 1, name
        for port in svc["spec"]["ports"]:
            for pod in selected:
                target = port["targetPort"]
                match = [p for p in pod.ports() if (p[0] == target if isinstance(target, str) else p[1] == target) and p[2] == port["protocol"]]
                assert match, (name, port, pod.name)
    (pdb,) = of_kind(rendered, "PodDisruptionBudget")
    assert all(kc.selects(pdb["spec"]["selector"], p.labels) for p in all_pods)
    min_ready = rendered["vars"].get("chainops_min_ready_pairs")
    assert pdb["spec"]["maxUnavailable"] == 1 and len(all_pods) - 1 >= (min_ready or 0)


def _pool(rendered):
    pool = [p for p in rendered["vars"]["metallb_pools"] if p["name"] == "p2p"][0]["addresses"]
    nets = []
    for entry in pool:
        if "-" in entry:
            a, b = entry.split("-")
            nets.extend(ipaddress.summarize_address_range(ipaddress.ip_address(a), ipaddress.ip_address(b)))
        else:
            nets.append(ipaddress.ip_network(entry))
    return nets


def test_p2p_load_balancers(rendered):
    nets = _pool(rendered)
    lbs = [s for s in of_kind(rendered, "Service") if s["spec"]["type"] == "LoadBalancer"]
    addresses = {}
    for pod in pods(rendered):
        mine = [s for s in lbs if kc.selects({"matchLabels": s["spec"]["selector"]}, pod.labels)]
        assert mine, pod.name
        address = {s["metadata"]["annotations"]["metallb.io/loadBalancerIPs"] for s in mine}
        assert len(address) == 1, "TCP and UDP on one address"
        address = address.pop()
        assert any(ipaddress.ip_address(address) in n for n in nets), address
        addresses[pod.name] = address
        exposed = set()
        for svc in mine:
            spec = svc["spec"]
            assert svc["metadata"]["annotations"]["metallb.io/address-pool"] == "p2p"
            assert svc["metadata"]["annotations"]["metallb.io/allow-shared-ip"] == "%s-p2p" % pod.name
            assert spec["externalTrafficPolicy"] == "Local" and spec["publishNotReadyAddresses"] is True
            assert spec["allocateLoadBalancerNodePorts"] is False
            for port in spec["ports"]:
                # the same number outside as the client listens on
                assert port["port"] == port["targetPort"]
                assert (port["name"], port["port"], port["protocol"]) in pod.ports()
                exposed.add((port["port"], port["protocol"]))
        # every P2P listener is exposed (QUIC included) and every client announces the address
        for container in pod.spec["containers"][:2]:
            for port in container["ports"]:
                if "p2p" in port["name"] or "quic" in port["name"] or "disc" in port["name"] or "torrent" in port["name"]:
                    assert (port["containerPort"], port["protocol"]) in exposed, (pod.name, port)
            assert any(address in arg for arg in container["args"]), (pod.name, container["name"], "announces", address)
    assert len(set(addresses.values())) == len(addresses), addresses


def test_reachability_matrix(rendered):
    model = kc.NetworkModel(of_kind(rendered, "NetworkPolicy"))
    mgmt = rendered["vars"]["chainops_health_check_cidrs"][0]
    node_ip = str(next(ipaddress.ip_network(mgmt).hosts()))
    sources = {
        "internet": kc.Source("internet", address="203.0.113.7"),
        "ingress": kc.Source("ingress", namespace=rendered["vars"].get("chainops_ingress_namespace", "chainops-edge"),
                             pod_labels={"app": "ingress"}),
        "monitoring": kc.Source("monitoring", namespace="monitoring", pod_labels={"app": "prometheus"}),
        "validator": kc.Source("validator", namespace="chainops-validators", pod_labels={"app": "vc"}),
        "other-pod": kc.Source("other-pod", namespace="default", pod_labels={"app": "x"}),
        "same-ns": kc.Source("same-ns", namespace=NS, pod_labels={"app": "x"}),
        "health-check": kc.Source("health-check", address=node_ip),
    }
    # the Beacon API is open to the ingress only when an edge route serves it (chainops_beacon_ingress follows the routes)
    beacon_routes = [r for r in rendered["vars"].get("chainops_edge_routes", []) if r.get("kind") == "beacon"]
    expect = {
        "rpc": {"ingress", "health-check"},
        "ws": {"ingress", "health-check"},
        "rest": {"monitoring", "validator", "health-check"} | ({"ingress"} if beacon_routes else set()),
        "metrics": {"monitoring"},
        "health": {"monitoring", "health-check"},
        "p2p": set(sources),
        "engine": set(),
    }
    for pod in pods(rendered):
        by_name = {name: (number, proto) for name, number, proto in pod.ports()}
        kinds = {
            "rpc": [by_name["el-rpc"]], "ws": [by_name["el-ws"]], "rest": [by_name["cl-rest"]], "health": [by_name["health"]],
            "metrics": [v for k, v in by_name.items() if k.endswith("-metrics")],
            "p2p": [v for k, v in by_name.items() if "p2p" in k or "quic" in k or "disc" in k or "torrent" in k],
            "engine": [(8551, "TCP")],
        }
        for kind, ports in kinds.items():
            assert ports, (pod.name, kind)
            for number, proto in ports:
                got = {label for label, src in sources.items() if model.allowed(src, pod, number, proto)}
                assert got == expect[kind], (pod.name, kind, number, proto, got)


def test_default_deny_and_dns(rendered):
    policies = {p["metadata"]["name"]: p for p in of_kind(rendered, "NetworkPolicy")}
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"} and "ingress" not in deny and "egress" not in deny
    dns = policies["allow-dns"]["spec"]["egress"][0]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}


def test_sidecar_configmap_is_the_health_module(rendered):
    (cm,) = of_kind(rendered, "ConfigMap")
    assert sorted(cm["data"]) == ["_eth_health.py", "_eth_health_sidecar.py"]
    for name in cm["data"]:
        with open(os.path.join(REPO, "plugins", "module_utils", name), encoding="utf-8") as handle:
            assert cm["data"][name] == handle.read()
    for pod in pods(rendered):
        health = pod.spec["containers"][2]
        assert health["command"] == ["python3", "/opt/chainops/health/_eth_health_sidecar.py"]
        assert health["image"] == rendered["vars"]["chainops_chain_sidecar_image"]
        assert pod.spec["initContainers"][0]["image"] == health["image"]


def test_checkov_on_the_chain_objects(rendered):
    """scripts/checkov.sh (the skips of tests/render/checkov-skips.yml, each with its reason) finds nothing on the chain
    objects; and every skip is still needed: run without skips, each skipped check fails on these objects."""
    proc, reports = checkov_scan.scan([rendered["first"]], "chain")
    failed = [(c["check_id"], c["resource"], c["check_name"]) for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    passed = [c for r in reports for c in r.get("results", {}).get("passed_checks", [])]
    assert failed == [], failed
    # a scan that checked nothing proves nothing: the StatefulSets and Services were checked
    checked = {c["resource"].split(".")[0] for c in passed}
    assert {"StatefulSet", "Service"} <= checked and len(passed) > 100, checked
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(os.path.join(REPO, "tests", "render", "checkov-skips.yml"), encoding="utf-8") as handle:
        skips = [s["id"] for s in yaml.safe_load(handle)["skips"] if "chain" in s["layers"]]
    venv = os.path.join(os.environ.get("CHAINOPS_CACHE") or os.path.expanduser("~/.cache/chainops"), "checkov-venv")
    bare = subprocess.run([os.path.join(venv, "bin", "checkov"), "--skip-download", "--framework", "kubernetes", "-o", "json",
                           "--check", ",".join(skips), "-d", rendered["first"]], cwd=REPO, env=dict(os.environ, BC_SKIP_MAPPING="TRUE"),
                          capture_output=True, text=True, timeout=600, check=False)
    fired = {c["check_id"] for r in checkov_scan.reports(bare.stdout) for c in r.get("results", {}).get("failed_checks", [])}
    assert fired == set(skips), ("skips that no longer fire on the chain objects", set(skips) - fired)


class TestCheckersReject:
    """The pure checkers catch what they are meant to catch."""

    GOOD = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
        "volumes": [{"name": "v", "emptyDir": {}}],
    }

    def _bad(self, change):
        spec = yaml.safe_load(yaml.safe_dump(self.GOOD))
        change(spec)
        return kc.restricted_violations(spec)

    def test_good_passes(self):
        assert kc.restricted_violations(self.GOOD) == []

    @pytest.mark.parametrize("change, text", [
        (lambda s: s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
        (lambda s: s["securityContext"].pop("runAsNonRoot"), "runAsNonRoot"),
        (lambda s: s["securityContext"].pop("seccompProfile"), "seccompProfile"),
        (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(drop=[]), "drop ALL"),
        (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["NET_ADMIN"]), "NET_ADMIN"),
        (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath"),
        (lambda s: s.update(hostNetwork=True), "hostNetwork"),
        (lambda s: s["containers"][0].update(ports=[{"containerPort": 1, "hostPort": 1}]), "hostPort"),
        (lambda s: s["containers"][0]["securityContext"].update(runAsUser=0), "runAsUser is 0"),
        (lambda s: s.setdefault("initContainers", []).append({"name": "i"}), "initContainers i"),
    ])
    def test_violation_found(self, change, text):
        assert any(text in v for v in self._bad(change))

    def test_network_model(self):
        pod = kc.Pod("p", "ns", {"a": "b"}, {"containers": [{"name": "c", "ports": [{"name": "web", "containerPort": 80}]}]})
        deny = {"kind": "NetworkPolicy", "metadata": {"namespace": "ns"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
        allow = {"kind": "NetworkPolicy", "metadata": {"namespace": "ns"}, "spec": {"podSelector": {"matchLabels": {"a": "b"}}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mon"}}}], "ports": [{"port": "web"}]},
            {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]},
        ]}}
        mon = kc.Source("mon", namespace="mon")
        other = kc.Source("o", namespace="other")
        assert kc.NetworkModel([]).allowed(other, pod, 80)
        assert not kc.NetworkModel([deny]).allowed(mon, pod, 80)
        model = kc.NetworkModel([deny, allow])
        assert model.allowed(mon, pod, 80) and not model.allowed(mon, pod, 81) and not model.allowed(mon, pod, 80, "UDP")
        assert not model.allowed(other, pod, 80)
        assert model.allowed(kc.Source("ip", address="10.2.3.4"), pod, 9999)
        assert not model.allowed(kc.Source("ip", address="10.1.3.4"), pod, 9999)
