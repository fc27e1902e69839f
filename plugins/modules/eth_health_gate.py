#!/usr/bin/python
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eth_health_gate
short_description: Wait until Ethereum client pairs are at head and healthy, or fail with the reasons
version_added: 0.1.0
description:
  - Polls every listed execution + consensus pair concurrently until the health criteria hold on every pair (or on at
    least O(min_healthy) of them) for O(consecutive_polls) polls in a row.
  - At O(timeout) it fails, reporting for every pair which criterion failed and why. Use it before and after each step
    of a rolling or canary upgrade so the upgrade stops before it hurts.
  - Never reports C(changed); it only reads.
author:
  - chainops maintainers (@chainops)
extends_documentation_fragment:
  - chainops.ethereum.eth_endpoints
options:
  min_healthy:
    description:
      - How many pairs must pass on a poll for it to count. Defaults to all listed pairs.
    type: int
  consecutive_polls:
    description:
      - Number of polls in a row on which at least O(min_healthy) pairs must pass. More than one rides out a lucky
        sample right after a restart.
    type: int
    default: 3
  poll_interval:
    description: Seconds between the starts of two polls.
    type: float
    default: 5.0
  timeout:
    description: Seconds to wait in total before failing with the per-pair, per-criterion report.
    type: float
    default: 300.0
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; it waits and decides the same way in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
seealso:
  - module: chainops.ethereum.eth_node_info
notes:
  - Runs on the host it is delegated to (usually the controller, with C(delegate_to=localhost)); only that host needs to
    reach the endpoints.
"""

EXAMPLES = r"""
- name: Wait for the canary pair to be at head for three polls before touching the rest
  chainops.ethereum.eth_health_gate:
    pairs:
      - name: geth-lighthouse-0
        execution:
          url: http://10.20.0.11:8545
        consensus:
          url: http://10.20.0.11:5052
    criteria:
      expected_chain_id: 1
    consecutive_polls: 3
    poll_interval: 12
    timeout: 900
  delegate_to: localhost

- name: Keep at least three of four pairs ready, checked through the Kubernetes API server proxy
  chainops.ethereum.eth_health_gate:
    kubeconfig: "{{ chainops_kubeconfig }}"
    pairs: "{{ __pairs_to_check }}"
    min_healthy: 3
    consecutive_polls: 2
    timeout: 600
  delegate_to: localhost
  vars:
    __pairs_to_check:
      - name: pair-0
        execution: {kubernetes: {namespace: ethereum, pod: pair-0, port: "8545"}}
        consensus: {kubernetes: {namespace: ethereum, pod: pair-0, port: "5052"}}
      - name: pair-1
        execution: {kubernetes: {namespace: ethereum, pod: pair-1, port: "8545"}}
        consensus: {kubernetes: {namespace: ethereum, pod: pair-1, port: "5052"}}
      - name: pair-2
        execution: {kubernetes: {namespace: ethereum, pod: pair-2, port: "8545"}}
        consensus: {kubernetes: {namespace: ethereum, pod: pair-2, port: "5052"}}
      - name: pair-3
        execution: {kubernetes: {namespace: ethereum, pod: pair-3, port: "8545"}}
        consensus: {kubernetes: {namespace: ethereum, pod: pair-3, port: "5052"}}

- name: A devnet with anvil (no net_peerCount) and an old Lodestar (no el_offline)
  chainops.ethereum.eth_health_gate:
    pairs:
      - name: devnet
        execution: {url: "http://127.0.0.1:8545"}
        consensus: {url: "http://127.0.0.1:9596"}
    criteria:
      expected_chain_id: 31337
      skip: [el_peers, cl_el_online]
    consecutive_polls: 1
    timeout: 60
"""

RETURN = r"""
healthy:
  description: True when the gate held; the module fails otherwise, so this is only false in the failure result.
  returned: always
  type: bool
  sample: true
polls:
  description: Number of polls made.
  returned: always
  type: int
  sample: 3
streak:
  description: Consecutive passing polls at the end.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 10.7
healthy_pairs:
  description: Pairs that passed on the last poll.
  returned: always
  type: int
  sample: 4
min_healthy:
  description: Pairs that had to pass on each poll.
  returned: always
  type: int
  sample: 4
unhealthy:
  description: "C(<pair>: <criterion>: <reason>; ...) for every pair that failed the last poll."
  returned: always
  type: list
  elements: str
  sample: ["pair-1: cl_sync_distance: sync_distance 15 (limit 2); cl_head_slot: head slot 90 is 15 slots behind the wall-clock slot 105 (limit 2)"]
pairs:
  description:
    - The last poll's report per pair, as returned by M(chainops.ethereum.eth_node_info) (C(name), C(healthy), C(failed),
      C(criteria), C(execution), C(consensus), C(checked_at), C(duration)), plus C(consecutive_healthy), the pair's own
      streak of passing polls.
  returned: always
  type: list
  elements: dict
  sample:
    - name: pair-1
      healthy: false
      consecutive_healthy: 0
      failed: ["cl_reachable: /eth/v1/node/syncing: timeout after 5.0s"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.chainops.ethereum.plugins.module_utils._eth_health import summarize_failures, wait_for_health
from ansible_collections.chainops.ethereum.plugins.module_utils._eth_health_args import (
    ConfigError,
    build_pairs,
    criteria_from_params,
    eth_endpoints_argument_spec,
)


def argument_spec():
    spec = eth_endpoints_argument_spec()
    spec.update(
        min_healthy=dict(type="int"),
        consecutive_polls=dict(type="int", default=3),
        poll_interval=dict(type="float", default=5.0),
        timeout=dict(type="float", default=300.0),
    )
    return spec


def run(params, tmpdir):
    """(ok, result dict, message) for the gate described by the module parameters."""
    for key in ("request_timeout", "poll_interval", "timeout"):
        if params[key] <= 0:
            raise ConfigError("%s must be positive" % key)
    criteria = criteria_from_params(params)
    pairs = build_pairs(params, tmpdir)
    outcome = wait_for_health(pairs, criteria, min_healthy=params["min_healthy"], consecutive=params["consecutive_polls"],
                              interval=params["poll_interval"], timeout=params["timeout"], request_timeout=params["request_timeout"],
                              poll_timeout=params["poll_timeout"], max_workers=params["max_workers"])
    outcome["unhealthy"] = summarize_failures(outcome["pairs"])
    outcome["changed"] = False
    if outcome["healthy"]:
        return True, outcome, None
    msg = "eth_health_gate: %d of %d pairs healthy on the last poll, %d needed for %d consecutive polls; gave up after %.1fs and %d polls. %s" % (
        outcome["healthy_pairs"], len(pairs), outcome["min_healthy"], outcome["consecutive"], outcome["elapsed"], outcome["polls"],
        " | ".join(summarize_failures(outcome["pairs"], limit=4)) or "every pair passed the last poll but not for long enough")
    return False, outcome, msg


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        ok, result, msg = run(module.params, module.tmpdir)
    except (ConfigError, ValueError) as exc:
        module.fail_json(msg="eth_health_gate: %s" % exc)
    if not ok:
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
