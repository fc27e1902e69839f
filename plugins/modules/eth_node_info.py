#!/usr/bin/python
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eth_node_info
short_description: Chain-aware state of Ethereum execution and consensus endpoints, without waiting
version_added: 0.1.0
description:
  - Asks each listed execution client (JSON-RPC) and consensus client (Beacon API) once, concurrently, and returns what
    they report together with a verdict and a reason for every health criterion.
  - Read-only; an unhealthy or unreachable endpoint is reported, not a failure. Use M(chainops.ethereum.eth_health_gate)
    to wait for health.
author:
  - chainops maintainers (@chainops)
extends_documentation_fragment:
  - chainops.ethereum.eth_endpoints
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; it does the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
seealso:
  - module: chainops.ethereum.eth_health_gate
notes:
  - Runs on the host it is delegated to (usually the controller, with C(delegate_to=localhost)); only that host needs to
    reach the endpoints.
"""

EXAMPLES = r"""
- name: Read the state of two pairs
  chainops.ethereum.eth_node_info:
    pairs:
      - name: geth-lighthouse-0
        execution:
          url: http://10.20.0.11:8545
        consensus:
          url: http://10.20.0.11:5052
      - name: nethermind-teku-0
        execution:
          url: https://rpc.eth.example.org/
          headers:
            X-Api-Key: "{{ vault_rpc_api_key }}"
        consensus:
          url: https://beacon.eth.example.org
          url_username: monitor
          url_password: "{{ vault_beacon_password }}"
    criteria:
      expected_chain_id: 1
  delegate_to: localhost
  register: __eth_state

- name: Show the failing criteria
  ansible.builtin.debug:
    msg: "{{ __eth_state.pairs | selectattr('healthy', 'equalto', false) | map(attribute='failed') | list }}"

- name: A consensus client inside the cluster, through the API server proxy
  chainops.ethereum.eth_node_info:
    kubeconfig: "{{ playbook_dir }}/kubeconfig"
    pairs:
      - name: pair-reth-nimbus-1
        consensus:
          kubernetes:
            namespace: ethereum
            pod: pair-reth-nimbus-1
            port: "5052"
  delegate_to: localhost
"""

RETURN = r"""
healthy:
  description: True when every listed pair passes every criterion.
  returned: always
  type: bool
  sample: false
healthy_pairs:
  description: Number of pairs that pass every criterion.
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds the concurrent round over all endpoints took.
  returned: always
  type: float
  sample: 0.41
pairs:
  description: One report per pair, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The pair's name.
      type: str
      sample: geth-lighthouse-0
    healthy:
      description: True when every criterion passed.
      type: bool
      sample: false
    failed:
      description: "C(<criterion>: <reason>) for each criterion that failed."
      type: list
      elements: str
      sample: ["cl_sync_distance: sync_distance 15 (limit 2)", "el_head_age: head block 812 is 75.0s old (limit 60s)"]
    criteria:
      description: Every evaluated criterion with its verdict.
      type: list
      elements: dict
      sample:
        - criterion: cl_sync_distance
          client: consensus
          ok: false
          reason: sync_distance 15 (limit 2)
          value: 15
          limit: 2
    execution:
      description:
        - What the execution client reported (null when the pair has none). Values that could not be read are null,
          with the reason under C(errors).
      type: dict
      sample:
        endpoint: http://10.20.0.11:8545
        reachable: true
        error: null
        errors: {}
        client_version: Geth/v1.16.7-stable/linux-amd64/go1.24.4
        chain_id: 1
        syncing: false
        block_number: 23456789
        head_timestamp: 1795694064
        head_age: 3.2
        peers: 50
    consensus:
      description:
        - What the consensus client reported (null when the pair has none). C(el_offline) and C(is_optimistic) are null
          when the client does not report them.
      type: dict
      sample:
        endpoint: http://10.20.0.11:5052
        reachable: true
        error: null
        errors: {}
        version: Lighthouse/v8.0.0
        health_status: 200
        head_slot: 12950000
        sync_distance: 0
        is_syncing: false
        is_optimistic: false
        el_offline: false
        peers: 80
        header_slot: 12950000
        wall_slot: 12950000
        head_lag_slots: 0
        finalized_epoch: 404685
        head_epoch: 404687
        finality_lag_epochs: 2
    checked_at:
      description: Unix time of the observation.
      type: float
      sample: 1795694065.25
    duration:
      description: Seconds the round took.
      type: float
      sample: 0.41
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.chainops.ethereum.plugins.module_utils._eth_health import check_pairs
from ansible_collections.chainops.ethereum.plugins.module_utils._eth_health_args import (
    ConfigError,
    build_pairs,
    criteria_from_params,
    eth_endpoints_argument_spec,
)


def run(params, tmpdir):
    criteria = criteria_from_params(params)
    pairs = build_pairs(params, tmpdir)
    poll_timeout = params.get("poll_timeout") or params["request_timeout"] + 1.0
    reports = check_pairs(pairs, criteria, request_timeout=params["request_timeout"], total_timeout=poll_timeout,
                          max_workers=params["max_workers"])
    return dict(
        changed=False,
        healthy=all(r["healthy"] for r in reports),
        healthy_pairs=sum(1 for r in reports if r["healthy"]),
        elapsed=max([r["duration"] for r in reports] or [0.0]),
        pairs=reports,
    )


def main():
    module = AnsibleModule(argument_spec=eth_endpoints_argument_spec(), supports_check_mode=True)
    try:
        result = run(module.params, module.tmpdir)
    except (ConfigError, ValueError) as exc:
        module.fail_json(msg="eth_node_info: %s" % exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
