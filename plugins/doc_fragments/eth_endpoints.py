# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by chainops.ethereum.eth_node_info and chainops.ethereum.eth_health_gate.

The matching argument spec is ``eth_endpoints_argument_spec()`` in plugins/module_utils/_eth_health_args.py; the
criteria defaults are ``DEFAULT_CRITERIA`` in plugins/module_utils/_eth_health.py (a unit test keeps the three in step).
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  pairs:
    description:
      - The execution + consensus client pairs to check. A pair may list only one of the two clients.
      - Every request to every endpoint runs concurrently, each bounded by O(request_timeout) and the whole round by
        O(poll_timeout).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the pair in results and messages. Must be unique.
        type: str
        required: true
      execution:
        description:
          - The execution client (JSON-RPC). Asked C(eth_syncing), C(eth_blockNumber), C(eth_getBlockByNumber(latest)),
            C(net_peerCount), C(eth_chainId) and C(web3_clientVersion) in one JSON-RPC batch (one call at a time when a
            proxy refuses batches).
          - Give exactly one of O(pairs[].execution.url) and O(pairs[].execution.kubernetes).
        type: dict
        suboptions: &endpoint_suboptions
          url:
            description:
              - For an execution client, the JSON-RPC URL, for example V(http://10.0.0.5:8545) or V(https://rpc.example.org/).
              - For a consensus client, the Beacon API base URL; C(/eth/v1/...) paths are appended to it.
              - User and password in the URL are sent as basic auth and never shown in results. The query string and
                key-like path segments (24 or more letters and digits, as in C(/v3/<api key>)) are used for requests but
                not shown.
            type: str
          kubernetes:
            description:
              - Reach the client through the Kubernetes API server's service/pod proxy
                (C(<server>/api/v1/namespaces/<namespace>/services/[https:]<name>:<port>/proxy/<path>)), so in-cluster pairs
                can be checked from the controller without exposing them.
              - The API server and credentials come from O(kubeconfig) and O(context). Needs RBAC C(get) and C(create) on
                C(services/proxy) (or C(pods/proxy)) in the namespace.
            type: dict
            suboptions:
              namespace:
                description: Namespace of the service or pod.
                type: str
                required: true
              service:
                description: Service name. Give exactly one of C(service) and C(pod).
                type: str
              pod:
                description: Pod name, to check one replica rather than whichever the service picks.
                type: str
              port:
                description: Port number or port name on the service or pod.
                type: str
                required: true
              scheme:
                description: Scheme the client itself speaks behind the proxy.
                type: str
                choices: [http, https]
                default: http
              path:
                description: Path of the API on the client (for example V(rpc) when the client serves JSON-RPC under C(/rpc)).
                type: str
                default: ""
          headers:
            description:
              - Extra HTTP headers for this endpoint, merged over the top-level O(headers) (for example an API key header of an
                authenticated ingress).
            type: dict
            default: {}
          url_username:
            description:
              - Basic auth user for this endpoint; overrides the top-level O(url_username). Not possible through the
                Kubernetes API server proxy, which consumes the C(Authorization) header.
            type: str
          url_password:
            description: Basic auth password for this endpoint.
            type: str
      consensus:
        description:
          - The consensus client (Beacon API). Asked C(/eth/v1/node/syncing), C(/eth/v1/node/health),
            C(/eth/v1/node/peer_count), C(/eth/v1/node/version), C(/eth/v1/beacon/headers/head) and
            C(/eth/v1/beacon/states/head/finality_checkpoints), plus C(/eth/v1/beacon/genesis) and C(/eth/v1/config/spec)
            once per run.
          - Give exactly one of O(pairs[].consensus.url) and O(pairs[].consensus.kubernetes).
        type: dict
        suboptions: *endpoint_suboptions
  criteria:
    description:
      - What "healthy" means. Every criterion fails closed - a timeout, refused connection, TLS error, HTML error page,
        malformed JSON, JSON-RPC error, a hex quantity given as decimal (or the reverse) or a missing field fails the
        criteria that need that value, with the reason.
      - See docs/health.md in the collection for what each criterion means per client family.
    type: dict
    default: {}
    suboptions:
      max_sync_distance:
        description:
          - Maximum slots the consensus head may trail. Applied both to the client's own C(sync_distance) (criterion
            C(cl_sync_distance)) and to the distance from the wall-clock slot computed from genesis time (criterion
            C(cl_head_slot)), so a client that wrongly claims to be synced is still caught.
        type: int
        default: 2
      max_head_age:
        description:
          - Maximum age in seconds of the execution head block (criterion C(el_head_age)). C(eth_syncing) being false
            does not mean "at head" - geth reports false between sync cycles.
        type: float
        default: 60.0
      min_execution_peers:
        description: Minimum C(net_peerCount) (criterion C(el_peers)).
        type: int
        default: 1
      min_consensus_peers:
        description: Minimum connected consensus peers (criterion C(cl_peers)).
        type: int
        default: 1
      allow_optimistic:
        description: Accept a head imported optimistically (criterion C(cl_not_optimistic)).
        type: bool
        default: false
      max_finality_lag_epochs:
        description:
          - Maximum epochs between the head epoch and the finalized epoch (criterion C(cl_finality)). Normal is 2; the
            protocol's inactivity leak starts after 4.
        type: int
        default: 4
      expected_chain_id:
        description: Chain id the execution client must report (criterion C(el_chain_id)). Not checked when unset.
        type: int
      max_el_cl_block_lag:
        description:
          - Maximum difference between the execution head block number and the block number of the consensus head's
            execution payload (criterion C(el_cl_head), from C(/eth/v1/beacon/blinded_blocks/head)). Not checked when unset.
        type: int
      slots_per_epoch:
        description: Override C(SLOTS_PER_EPOCH); by default it is read from C(/eth/v1/config/spec).
        type: int
      seconds_per_slot:
        description: Override C(SECONDS_PER_SLOT); by default it is read from C(/eth/v1/config/spec).
        type: int
      skip:
        description:
          - Criteria to leave out, for example V(el_peers) for a client without C(net_peerCount) or V(cl_el_online) for a
            consensus client too old to report C(el_offline).
        type: list
        elements: str
        default: []
        choices: [el_reachable, el_chain_id, el_not_syncing, el_head_age, el_peers, cl_reachable, cl_health, cl_not_syncing,
                  cl_sync_distance, cl_head_slot, cl_not_optimistic, cl_el_online, cl_peers, cl_finality, el_cl_head]
  request_timeout:
    description: Seconds allowed for one HTTP request (connect, send and the whole answer).
    type: float
    default: 5.0
  poll_timeout:
    description:
      - Seconds allowed for one round over all endpoints; a request still running then fails with "no answer within the
        total timeout". Defaults to O(request_timeout) + 1.
    type: float
  max_workers:
    description: Maximum concurrent requests.
    type: int
    default: 64
  headers:
    description: HTTP headers sent to every URL endpoint (and through the Kubernetes proxy).
    type: dict
    default: {}
  url_username:
    description: Basic auth user for every URL endpoint that does not set its own.
    type: str
  url_password:
    description: Basic auth password for O(url_username).
    type: str
  validate_certs:
    description: Verify TLS certificates of https URL endpoints. Kubernetes endpoints follow the kubeconfig instead.
    type: bool
    default: true
  ca_path:
    description: PEM CA bundle for https URL endpoints (default - the system trust store).
    type: path
  client_cert:
    description: PEM client certificate for https URL endpoints that require mutual TLS.
    type: path
  client_key:
    description: PEM private key for O(client_cert).
    type: path
  kubeconfig:
    description:
      - Kubeconfig for O(pairs[].execution.kubernetes) and O(pairs[].consensus.kubernetes) endpoints. Defaults to the first
        file in E(KUBECONFIG), then C(~/.kube/config).
      - Token, token file and client certificate users are supported; exec plugins and auth-providers are not run.
    type: path
  context:
    description: Kubeconfig context to use instead of its current-context.
    type: str
requirements:
  - PyYAML, only for Kubernetes endpoints (to read the kubeconfig).
"""
