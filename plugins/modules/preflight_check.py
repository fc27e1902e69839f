#!/usr/bin/python
# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin of the same name (plugins/action/preflight_check.py),
# which does all the work on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_check
short_description: Validate a chainops.ethereum inventory before any host changes
version_added: "0.1.0"
description:
  - Reads the variables of every host in C(k3s_servers), C(k3s_agents) and C(k3s_cluster) through C(hostvars),
    on the controller, without connecting to any host.
  - Checks types and cross-field rules of the inventory contract, among them an odd number of k3s servers,
    the identity of every machine (unique node names and addresses, C(ansible_host) as the management
    address), addresses inside their networks, the API VIP, MetalLB pools against node addresses, the VIP,
    pod/service CIDRs and each other, address families and sizes of the pod and service CIDRs, absolute
    controller paths apart from each other, admin CIDRs that do not open the hosts to the Internet, pinned
    k3s and client versions (tag convention and minimum from the client profiles), known client names, the
    client-diversity policy, DNS-1123 pair names and required secrets.
  - Refuses variables the collection does not read when they look like a misspelling of one it does (naming
    the intended one), and checks every role option the inventory sets against that role's argument spec.
  - Returns the operator opt-outs in force in C(notices) (and as C(SKIPPED) lines of C(msg), which the
    run_summary callback repeats).
  - Collects every problem and fails once with the whole list, one line per problem naming the variable
    (and the host, for host variables) and how to fix it. Secret values are never shown.
  - The full list of checks is in C(docs/preflight.md) of the collection.
author:
  - chainops maintainers (@chainops)
options:
  execution_clients:
    description:
      - Execution client names that the chain layer knows how to run.
    type: list
    elements: str
    default: [geth, nethermind, besu, erigon, reth]
  consensus_clients:
    description:
      - Consensus client names that the chain layer knows how to run.
    type: list
    elements: str
    default: [lighthouse, teku, prysm, nimbus, lodestar]
  extra_checks:
    description:
      - Site-specific checks, each a mapping with C(that) (a condition, or a template that renders to a boolean)
        and C(msg) (what to fix). A false C(that) adds C(msg) to the list of problems.
    type: list
    elements: raw
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  connection:
    support: none
  delegation:
    support: none
    details: Runs on the controller; nothing is delegated.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - Run it once per play (C(run_once=true)); it inspects the whole inventory, not only the current host.
  - Needs the C(netaddr) Python library on the controller.
seealso:
  - name: Preflight checks
    description: Every check, the variable it names and how to fix it (docs/preflight.md in the collection).
    link: https://example.invalid/chainops/ethereum/docs/preflight.md
"""

EXAMPLES = r"""
- name: Validate the inventory
  chainops.ethereum.preflight_check:
  run_once: true

- name: Validate the inventory with a site-specific rule
  chainops.ethereum.preflight_check:
    extra_checks:
      - that: "{{ chainops_pairs | length >= 4 }}"
        msg: "chainops_pairs: production runs at least four pairs"
  run_once: true
"""

RETURN = r"""
problems:
  description: 'One line per problem: "variable: problem; fix: what to do". Present only when the check failed.'
  returned: failure
  type: list
  elements: str
  sample:
    - "k3s_servers: 2 servers (srv1, srv2): embedded etcd needs an odd number of servers to keep quorum; fix: use an odd number of servers"
notices:
  description: 'Operator opt-outs in force, one line each, starting with C(SKIPPED:).'
  returned: always
  type: list
  elements: str
  sample:
    - >-
      SKIPPED: the admin-CIDR exposure check: chainops_admin_cidrs[0] 0.0.0.0/0 opens SSH and the Kubernetes API to
      the whole Internet, allowed by chainops_allow_open_admin_cidrs: true
summary:
  description: The servers and agents that were checked, and how many problems were found.
  returned: always
  type: dict
  sample: {"servers": ["srv1", "srv2", "srv3"], "agents": ["agent1"], "problems": 0}
"""
