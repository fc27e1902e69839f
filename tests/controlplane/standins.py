"""Stand-ins for the two cluster controllers the control plane fixture does not run, used while the collection's own
platform play (playbooks/platform.yml through k8s_render, chainops_apply true) applies the platform layer.

HelmControllerStandIn plays k3s's helm-controller: for each HelmChart object in kube-system (helm.cattle.io/v1, the
CRD applied from ../shared/crds as test data) it runs the pinned `helm template` on the pinned chart source in
../shared/charts/<chart>/<version>/chart with exactly the object's valuesContent, the release name helm-controller
uses (the HelmChart's name) and its targetNamespace, then applies the output server-side: CRDs first and waited
for until Established, then every other object in the order `helm template` prints them (Helm's install order).
Admission webhook configurations are only dry-run (accepted by the API server, not stored): the chart's webhook
Service would route to kwok pods that serve nothing, so a stored webhook would refuse every object it guards.
Unlike helm-controller it does not run Helm hooks as hooks (hook Jobs are applied like any other object), keeps no
release history and never uninstalls.

CertManagerStandIn plays cert-manager's controller for the issuers that need no network: for each Certificate
whose ClusterIssuer is `selfSigned` or `ca` it makes the key pair and certificate (signed by itself, or by the CA
in the issuer's Secret in cert-manager's namespace), writes the Secret the Certificate names (type
kubernetes.io/tls: tls.crt, tls.key, ca.crt) and sets the Certificate's Ready condition through the status
subresource. ACME issuers are never served (that needs an ACME server and a solver reachable from it): their
Certificates stay not Ready and are listed in `acme_pending`. Nothing here proves that cert-manager itself would
issue; it proves the objects the collection renders reference each other so that an issuer can.

Both run in one polling thread (StandIns) while the play runs; any error is recorded and `on_error` is called
(the fixture stops the play with it, so a broken chart fails in seconds rather than at the play's wait timeout).
"""

import base64
import datetime
import os
import subprocess
import threading
import time
import traceback

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException

TEST_MANAGER = "chainops-test-standin"
WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
STANDIN_MESSAGE = "issued by the test's cert-manager stand-in (tests/controlplane/standins.py), not by cert-manager"


def chart_dir(charts_root, helmchart):
    """The pinned chart source for a HelmChart: its chainops.io/chart and chart-version annotations (set also when
    the chart travels as chartContent), which must agree with spec.chart/spec.version where those are given."""
    ann = helmchart["metadata"].get("annotations") or {}
    chart, version = ann.get("chainops.io/chart"), ann.get("chainops.io/chart-version")
    spec = helmchart["spec"]
    if not chart or not version:
        raise AssertionError("HelmChart %s lacks the chainops.io/chart(-version) annotations" % helmchart["metadata"]["name"])
    if ("chart" in spec and spec["chart"] != chart) or ("version" in spec and str(spec["version"]) != str(version)):
        raise AssertionError("HelmChart %s: spec %s@%s disagrees with its annotations %s@%s"
                             % (helmchart["metadata"]["name"], spec.get("chart"), spec.get("version"), chart, version))
    path = os.path.join(charts_root, chart, version, "chart")
    if not os.path.isdir(path):
        raise AssertionError("no pinned chart source %s for HelmChart %s" % (path, helmchart["metadata"]["name"]))
    return path


def helm_template(helm, charts_root, helmchart, workdir, kube_version):
    """`helm template` of the pinned chart with exactly the HelmChart's valuesContent; returns the documents."""
    spec = helmchart["spec"]
    unsupported = sorted(set(spec) & {"set", "valuesSecrets", "helmVersion", "bootstrap"})
    if unsupported:
        raise AssertionError("the stand-in does not model HelmChart fields %s" % unsupported)
    name = helmchart["metadata"]["name"]
    values = os.path.join(workdir, "%s-values.yaml" % name)
    with open(values, "w") as f:
        f.write(spec.get("valuesContent", ""))
    proc = subprocess.run([helm, "template", name, chart_dir(charts_root, helmchart), "--namespace", spec["targetNamespace"],
                           "--values", values, "--include-crds", "--kube-version", kube_version],
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise AssertionError("helm template of HelmChart %s failed:\n%s" % (name, proc.stderr[-4000:]))
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def ssa(dyn, doc, namespace=None, dry_run=None):
    res = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    ns = doc["metadata"].get("namespace") or (namespace if res.namespaced else None)
    kwargs = {"dry_run": dry_run} if dry_run else {}
    return res.server_side_apply(body=doc, name=doc["metadata"]["name"], namespace=ns,
                                 field_manager=TEST_MANAGER, force_conflicts=True, **kwargs)


def crd_established(ext, name):
    try:
        crd = ext.read_custom_resource_definition(name)
    except ApiException:
        return False
    return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])


# --- certificates ------------------------------------------------------------------------------------------

def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _private_key(spec):
    algorithm = ((spec.get("privateKey") or {}).get("algorithm") or "RSA").upper()
    if algorithm == "ECDSA":
        return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[int(spec["privateKey"].get("size", 256))])
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(spec, signer=None):
    """(certificate PEM, key PEM, CA PEM) for a Certificate spec; signer = (ca_cert, ca_key) or None (self-signed)."""
    key = _private_key(spec)
    cn = spec.get("commonName") or (spec.get("dnsNames") or [""])[0]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    issuer_name, signing_key = (signer[0].subject, signer[1]) if signer else (subject, key)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(_now() - datetime.timedelta(minutes=5))
               .not_valid_after(_now() + datetime.timedelta(days=90))
               .add_extension(x509.BasicConstraints(ca=bool(spec.get("isCA")), path_length=None), critical=True))
    if spec.get("dnsNames"):
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in spec["dnsNames"]]), critical=False)
    cert = builder.sign(signing_key, hashes.SHA256())
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ca_pem = signer[0].public_bytes(serialization.Encoding.PEM) if signer else pem
    return pem, key_pem, ca_pem


# --- the stand-ins -----------------------------------------------------------------------------------------

class StandIns:
    """One polling thread: HelmChart -> chart objects (helm-controller), Certificate -> Secret + Ready (cert-manager).

    fed[name] = {"values", "docs", "namespace", "before" (what before_feed returned), "fed_at", "webhooks_dry_run"}
    issued[(namespace, name)] = {"issuer", "secret"}; acme_pending = {(namespace, name)}; errors = [text]."""

    def __init__(self, cp, helm, charts_root, kube_version, *, before_feed=None, on_error=None, hold=2.0):
        self.cp = cp
        self.helm = helm
        self.charts_root = charts_root
        self.kube_version = kube_version
        self.before_feed = before_feed or (lambda name: None)
        self.on_error = on_error or (lambda text: None)
        self.hold = hold
        self.fed = {}
        self.issued = {}
        self.acme_pending = set()
        self.errors = []
        self.cert_manager_namespace = None
        self._seen = {}
        self._stop = threading.Event()
        self._thread = None
        self._api = cp.api_client()

    def start(self):
        self._thread = threading.Thread(target=self._run, name="controlplane-standins", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=60)

    def _run(self):
        while not self._stop.is_set():
            try:
                self._helm_controller()
                self._cert_manager()
            except Exception:  # noqa: BLE001 - recorded and reported by the test
                text = traceback.format_exc()
                self.errors.append(text)
                self.on_error(text)
                return
            self._stop.wait(1.0)

    # --- helm-controller
    def _helm_controller(self):
        custom = client.CustomObjectsApi(self._api)
        try:
            charts = custom.list_namespaced_custom_object("helm.cattle.io", "v1", "kube-system", "helmcharts")["items"]
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        for hc in charts:
            key = (hc["metadata"]["uid"], hc["metadata"].get("generation"))
            name = hc["metadata"]["name"]
            if self._seen.get(name) == key:
                continue
            if name not in self._seen and self.hold:
                # give the play the chance to run ahead of its wait_after, as a slow helm-controller would
                self._seen[name] = None
                time.sleep(self.hold)
            self._feed(hc)
            self._seen[name] = key

    def _feed(self, hc):
        name, ns = hc["metadata"]["name"], hc["spec"]["targetNamespace"]
        record = {"namespace": ns, "values": yaml.safe_load(hc["spec"].get("valuesContent") or "") or {},
                  "before": self.before_feed(name)}
        docs = helm_template(self.helm, self.charts_root, hc, self.cp.dir, self.kube_version)
        record["docs"] = docs
        dyn = dynamic.DynamicClient(self._api)
        ext = client.ApiextensionsV1Api(self._api)
        crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
        for doc in crds:
            ssa(dyn, doc)
        deadline = time.monotonic() + 60
        while not all(crd_established(ext, d["metadata"]["name"]) for d in crds):
            if time.monotonic() > deadline:
                raise AssertionError("CRDs of chart %s not Established after 60 s" % name)
            time.sleep(0.5)
        if crds:
            dyn = dynamic.DynamicClient(self._api)  # rediscover: the new kinds
        record["webhooks_dry_run"] = []
        for doc in docs:
            if doc["kind"] == "CustomResourceDefinition":
                continue
            if doc["kind"] in WEBHOOK_KINDS:
                ssa(dyn, doc, namespace=ns, dry_run="All")
                record["webhooks_dry_run"].append((doc["kind"], doc["metadata"]["name"]))
                continue
            ssa(dyn, doc, namespace=ns)
        if hc["metadata"]["annotations"].get("chainops.io/chart") == "cert-manager":
            self.cert_manager_namespace = ns
        record["fed_at"] = time.monotonic()
        self.fed[name] = record

    # --- cert-manager
    def _cert_manager(self):
        if self.cert_manager_namespace is None:
            return  # no controller before its chart is in
        custom = client.CustomObjectsApi(self._api)
        core = client.CoreV1Api(self._api)
        for cert in custom.list_cluster_custom_object("cert-manager.io", "v1", "certificates")["items"]:
            ns, name = cert["metadata"]["namespace"], cert["metadata"]["name"]
            if (ns, name) in self.issued or (ns, name) in self.acme_pending:
                continue
            ref = cert["spec"]["issuerRef"]
            if ref.get("kind") != "ClusterIssuer":
                raise AssertionError("Certificate %s/%s: the stand-in serves ClusterIssuers only (issuerRef %s)" % (ns, name, ref))
            try:
                issuer = custom.get_cluster_custom_object("cert-manager.io", "v1", "clusterissuers", ref["name"])
            except ApiException as exc:
                if exc.status == 404:
                    continue  # cert-manager waits for the issuer too
                raise
            spec = issuer["spec"]
            if "acme" in spec:
                self.acme_pending.add((ns, name))
                continue
            if "selfSigned" in spec:
                signer = None
            elif "ca" in spec:
                try:
                    secret = core.read_namespaced_secret(spec["ca"]["secretName"], self.cert_manager_namespace)
                except ApiException as exc:
                    if exc.status == 404:
                        continue  # the CA is not issued yet: cert-manager marks the issuer not Ready and retries
                    raise
                ca_cert = x509.load_pem_x509_certificate(base64.b64decode(secret.data["tls.crt"]))
                ca_key = serialization.load_pem_private_key(base64.b64decode(secret.data["tls.key"]), password=None)
                signer = (ca_cert, ca_key)
            else:
                raise AssertionError("ClusterIssuer %s: the stand-in knows selfSigned, ca and acme only" % ref["name"])
            pem, key_pem, ca_pem = issue(cert["spec"], signer)
            core.create_namespaced_secret(ns, {
                "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": cert["spec"]["secretName"], "namespace": ns,
                             "annotations": {"cert-manager.io/certificate-name": name, "cert-manager.io/issuer-name": ref["name"],
                                             "cert-manager.io/issuer-kind": "ClusterIssuer"}},
                "stringData": {"tls.crt": pem.decode(), "tls.key": key_pem.decode(), "ca.crt": ca_pem.decode()}})
            stamp = _now().strftime("%Y-%m-%dT%H:%M:%SZ")
            custom.patch_namespaced_custom_object_status("cert-manager.io", "v1", ns, "certificates", name, {"status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": STANDIN_MESSAGE,
                                "lastTransitionTime": stamp, "observedGeneration": cert["metadata"].get("generation", 1)}],
                "notBefore": stamp}})
            self.issued[(ns, name)] = {"issuer": ref["name"], "secret": cert["spec"]["secretName"]}
