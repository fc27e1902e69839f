# Private to chainops.ethereum (not a public API): argument spec and endpoint resolution shared by the eth_* modules.
#
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by eth_node_info and eth_health_gate (documented once in the chainops.ethereum.eth_endpoints doc
fragment), and the step from module parameters to ``_eth_health.Pair`` objects, including Kubernetes endpoints
reached through the API server proxy. The kubeconfig is read here (PyYAML) so that ``_eth_health`` stays stdlib-only."""

import base64
import os
import tempfile

from ansible_collections.chainops.ethereum.plugins.module_utils._eth_health import (
    CRITERION_NAMES,
    DEFAULT_CRITERIA,
    Endpoint,
    Pair,
    kube_proxy_url,
    merge_criteria,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:
    HAS_YAML = False


KUBERNETES_OPTIONS = dict(
    namespace=dict(type="str", required=True),
    service=dict(type="str"),
    pod=dict(type="str"),
    port=dict(type="str", required=True),
    scheme=dict(type="str", default="http", choices=["http", "https"]),
    path=dict(type="str", default=""),
)

ENDPOINT_OPTIONS = dict(
    url=dict(type="str"),
    kubernetes=dict(
        type="dict",
        options=KUBERNETES_OPTIONS,
        mutually_exclusive=[["service", "pod"]],
        required_one_of=[["service", "pod"]],
    ),
    headers=dict(type="dict", default={}),
    url_username=dict(type="str"),
    url_password=dict(type="str", no_log=True),
)

ENDPOINT_RULES = dict(mutually_exclusive=[["url", "kubernetes"]], required_one_of=[["url", "kubernetes"]])

CRITERIA_OPTIONS = dict(
    max_sync_distance=dict(type="int", default=DEFAULT_CRITERIA["max_sync_distance"]),
    max_head_age=dict(type="float", default=DEFAULT_CRITERIA["max_head_age"]),
    min_execution_peers=dict(type="int", default=DEFAULT_CRITERIA["min_execution_peers"]),
    min_consensus_peers=dict(type="int", default=DEFAULT_CRITERIA["min_consensus_peers"]),
    allow_optimistic=dict(type="bool", default=DEFAULT_CRITERIA["allow_optimistic"]),
    max_finality_lag_epochs=dict(type="int", default=DEFAULT_CRITERIA["max_finality_lag_epochs"]),
    expected_chain_id=dict(type="int"),
    max_el_cl_block_lag=dict(type="int"),
    slots_per_epoch=dict(type="int"),
    seconds_per_slot=dict(type="int"),
    skip=dict(type="list", elements="str", default=[], choices=list(CRITERION_NAMES)),
)


def eth_endpoints_argument_spec():
    """Options shared by the eth_* modules (see the chainops.ethereum.eth_endpoints doc fragment)."""
    return dict(
        pairs=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                execution=dict(type="dict", options=ENDPOINT_OPTIONS, **ENDPOINT_RULES),
                consensus=dict(type="dict", options=ENDPOINT_OPTIONS, **ENDPOINT_RULES),
            ),
            required_one_of=[["execution", "consensus"]],
        ),
        criteria=dict(type="dict", default={}, options=CRITERIA_OPTIONS),
        request_timeout=dict(type="float", default=5.0),
        poll_timeout=dict(type="float"),
        max_workers=dict(type="int", default=64),
        headers=dict(type="dict", default={}),
        url_username=dict(type="str"),
        url_password=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path"),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
    )


class ConfigError(Exception):
    """The module's configuration is wrong; str(err) tells the operator what to fix."""


def criteria_from_params(params):
    try:
        return merge_criteria(dict((k, v) for k, v in (params.get("criteria") or {}).items()))
    except ValueError as exc:
        raise ConfigError("criteria: %s" % exc) from None


def _b64(data, what):
    try:
        return base64.b64decode(data)
    except (TypeError, ValueError):
        raise ConfigError("kubeconfig: %s is not valid base64" % what) from None


def _named(items, name, what, path):
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item.get(what) or {}
    raise ConfigError("kubeconfig %s: no %s named %r" % (path, what, name))


def load_kube_cluster(path=None, context=None, tmpdir=None):
    """API server access from a kubeconfig file: {server, ca_data, validate_certs, token, client_cert, client_key}.

    ``path`` defaults to the first entry of $KUBECONFIG, then ~/.kube/config. Embedded client certificate data is
    written to files under ``tmpdir`` (the caller removes them) because ssl.load_cert_chain only reads files.
    Exec plugins and auth-providers are not run: they would execute arbitrary commands on the controller.
    """
    if not HAS_YAML:
        raise ConfigError("reading a kubeconfig needs PyYAML on the host that runs the module")
    if not path:
        env = os.environ.get("KUBECONFIG", "")
        path = env.split(os.pathsep)[0] if env else os.path.expanduser("~/.kube/config")
    try:
        with open(path, "rb") as handle:
            doc = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("cannot read kubeconfig %s: %s" % (path, exc)) from None
    if not isinstance(doc, dict):
        raise ConfigError("kubeconfig %s is not a mapping" % path)
    ctx_name = context or doc.get("current-context")
    if not ctx_name:
        raise ConfigError("kubeconfig %s has no current-context; set the context option" % path)
    ctx = _named(doc.get("contexts"), ctx_name, "context", path)
    cluster = _named(doc.get("clusters"), ctx.get("cluster"), "cluster", path)
    user = _named(doc.get("users"), ctx.get("user"), "user", path) if ctx.get("user") else {}
    base = os.path.dirname(os.path.abspath(path))

    def rel(p):
        return p if os.path.isabs(p) else os.path.join(base, p)

    server = cluster.get("server")
    if not server:
        raise ConfigError("kubeconfig %s: cluster %r has no server" % (path, ctx.get("cluster")))
    out = {"server": server, "ca_data": None, "validate_certs": not cluster.get("insecure-skip-tls-verify", False),
           "token": None, "client_cert": None, "client_key": None}
    if cluster.get("certificate-authority-data"):
        out["ca_data"] = _b64(cluster["certificate-authority-data"], "certificate-authority-data").decode("ascii", "replace")
    elif cluster.get("certificate-authority"):
        try:
            with open(rel(cluster["certificate-authority"])) as handle:
                out["ca_data"] = handle.read()
        except OSError as exc:
            raise ConfigError("kubeconfig %s: cannot read certificate-authority: %s" % (path, exc)) from None
    if user.get("exec") or user.get("auth-provider"):
        raise ConfigError("kubeconfig %s: user %r authenticates with an exec plugin or auth-provider, which these modules do not run; "
                          "use a context whose user has a token, tokenFile or client certificate" % (path, ctx.get("user")))
    if user.get("token"):
        out["token"] = user["token"]
    elif user.get("tokenFile"):
        try:
            with open(rel(user["tokenFile"])) as handle:
                out["token"] = handle.read().strip()
        except OSError as exc:
            raise ConfigError("kubeconfig %s: cannot read tokenFile: %s" % (path, exc)) from None
    for key, field in (("client-certificate", "client_cert"), ("client-key", "client_key")):
        if user.get(key + "-data"):
            fd, name = tempfile.mkstemp(prefix="eth-health-", suffix=".pem", dir=tmpdir)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_b64(user[key + "-data"], key + "-data"))
            out[field] = name
        elif user.get(key):
            out[field] = rel(user[key])
    return out


def build_pairs(params, tmpdir=None):
    """``_eth_health.Pair`` objects from the module parameters (raises ConfigError with an actionable message)."""
    cluster = {}
    pairs = []
    names = set()
    for spec in params["pairs"]:
        if spec["name"] in names:
            raise ConfigError("pair names must be unique: %r appears twice" % spec["name"])
        names.add(spec["name"])
        sides = {}
        for side in ("execution", "consensus"):
            ep = spec.get(side)
            if not ep:
                sides[side] = None
                continue
            if ep.get("kubernetes"):
                if not cluster:
                    cluster.update(load_kube_cluster(params.get("kubeconfig"), params.get("context"), tmpdir))
                sides[side] = _kube_endpoint(params, spec["name"], side, ep, cluster)
            else:
                sides[side] = _url_endpoint(params, spec["name"], side, ep)
        pairs.append(Pair(spec["name"], sides["execution"], sides["consensus"]))
    return pairs


def _url_endpoint(params, pair, side, ep):
    headers = dict(params.get("headers") or {})
    headers.update(ep.get("headers") or {})
    username = ep.get("url_username") if ep.get("url_username") is not None else params.get("url_username")
    password = ep.get("url_password") if ep.get("url_username") is not None else params.get("url_password")
    try:
        return Endpoint(ep["url"], headers=headers, username=username, password=password, validate_certs=params["validate_certs"],
                        ca_file=params.get("ca_path"), client_cert=params.get("client_cert"), client_key=params.get("client_key"))
    except ValueError as exc:
        raise ConfigError("pair %s %s: %s" % (pair, side, exc)) from None


def _kube_endpoint(params, pair, side, ep, cluster):
    kube = ep["kubernetes"]
    if ep.get("url_username") or params.get("url_username"):
        raise ConfigError("pair %s %s: basic auth cannot reach a client through the Kubernetes API server proxy "
                          "(the API server consumes the Authorization header)" % (pair, side))
    kind = "pod" if kube.get("pod") else "service"
    name = kube.get("pod") or kube.get("service")
    try:
        url = kube_proxy_url(cluster["server"], kube["namespace"], name, kube["port"], kind=kind, scheme=kube["scheme"], path=kube["path"])
    except ValueError as exc:
        raise ConfigError("pair %s %s: %s" % (pair, side, exc)) from None
    headers = dict(params.get("headers") or {})
    headers.update(ep.get("headers") or {})
    if cluster.get("token"):
        headers["Authorization"] = "Bearer " + cluster["token"]
    label = "k8s:%s/%s/%s:%s%s" % (kind, kube["namespace"], name, kube["port"], ("/" + kube["path"].lstrip("/")) if kube["path"] else "")
    return Endpoint(url, headers=headers, validate_certs=cluster["validate_certs"],
                    ca_data=cluster.get("ca_data"), client_cert=cluster.get("client_cert"), client_key=cluster.get("client_key"),
                    label=label)
