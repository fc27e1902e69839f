# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: the inventory checks behind the preflight role (controller only).

Everything here is plain Python over plain data, so it is unit-tested without Ansible:
``check_inventory(hostvars, groups)`` takes each cluster host's variables (already templated) and the
group membership, and returns every problem it finds as one line naming the variable (and the host,
for host variables) and how to fix it. An empty list means the inventory passed.
Secret values are never part of a message.

The checks live in one module per layer; ``LAYER_CHECKS`` below runs them in order. A check is a function
``check(view, problems)``: ``view`` is a ``_checks_base._View`` (``view.get(name)`` for cluster-wide values,
``view.hostvars``/``view.hosts``/``view.groups`` for the rest, ``view.context`` for what earlier checks parsed)
and ``problems`` a ``_checks_base._Problems`` (``problems.add(variable, problem, fix)``). Adding a module is
one line in ``LAYER_CHECKS``.
"""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils import (
    _checks_chain,
    _checks_cluster,
    _checks_cluster_net,
    _checks_controller,
    _checks_edge,
    _checks_firewall,
    _checks_hosts,
    _checks_metallb,
    _checks_pairs,
    _checks_platform,
    _checks_secrets,
    _checks_variables,
)
from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    AGENTS,
    CLUSTER,
    CLUSTER_VARS,
    CONSENSUS_CLIENTS,
    EXECUTION_CLIENTS,
    HOST_VARS,
    INVENTORY_VARS,
    NETADDR_IMPORT_ERROR,
    SECRET_VARS,
    SERVERS,
    _MISSING,
    _SKIP,
    Unread,
    Unresolved,
    _Problems,
    _type_name,
    _View,
    cluster_hosts,
    dns_label_reason,
    netaddr,
    parse_address,
    parse_network,
    parse_pool_entry,
    placeholder_reason,
    show,
    special_addresses,
    suggest_label,
    to_plain,
    version_reason,
)

__all__ = [
    "_SKIP",
    "_MISSING",
    "_type_name",
    "parse_address",
    "parse_network",
    "parse_pool_entry",
    "special_addresses",
    "show",
    "AGENTS",
    "CLUSTER",
    "CLUSTER_VARS",
    "CONSENSUS_CLIENTS",
    "EXECUTION_CLIENTS",
    "HOST_VARS",
    "INVENTORY_VARS",
    "SECRET_VARS",
    "SERVERS",
    "Unread",
    "Unresolved",
    "cluster_hosts",
    "dns_label_reason",
    "placeholder_reason",
    "suggest_label",
    "to_plain",
    "version_reason",
    "LAYER_CHECKS",
    "check_inventory",
    "check_inventory_report",
    "collected_names",
]

# Other check modules import the helpers above from here (_MISSING, _SKIP, show, parse_address, ...): keep them.

# (layer, check) in the order they run: later checks read what earlier ones left in view.context
# (hosts: nets, addresses, vip, cluster, service; chain: pair_count).
LAYER_CHECKS = [
    ("hosts", _checks_hosts.check),
    ("hosts", _checks_firewall.check_firewall),
    ("controller", _checks_controller.check),
    ("cluster", _checks_cluster.check),
    ("cluster", _checks_cluster_net.check),
    ("platform", _checks_platform.check),
    ("platform", _checks_metallb.check_metallb),
    ("platform", _checks_edge.check_edge),
    ("chain", _checks_pairs.check),
    ("chain", _checks_chain.check_chain),
    ("cluster", _checks_cluster.check_taints),
    ("secrets", _checks_secrets.check),
    ("variables", _checks_variables.check),
]


def collected_names(collection_root=None):
    """The variables whose values the checks read; the action plugin templates these and passes only the names
    of the others (as ``Unread``), which the spelling check needs."""
    return _checks_variables.catalogue(collection_root).collected()


def _check_consistency(hostvars, hosts, problems):
    """Cluster-wide variables must have one value on every host (values are not shown)."""
    for name in CLUSTER_VARS:
        seen = []  # list of (value, [hosts])
        for host in hosts:
            value = hostvars.get(host, {}).get(name, _MISSING)
            for known, members in seen:
                if known == value and type(known) is type(value):
                    members.append(host)
                    break
            else:
                seen.append((value, [host]))
        if len(seen) > 1:
            groups_text = " vs ".join(", ".join(members) for _value, members in seen[:3])
            problems.add(
                name,
                "differs between hosts (%s)%s" % (groups_text, ", set on some hosts only" if any(v is _MISSING for v, _m in seen) else ""),
                "a cluster-wide variable must have one value: set it once in group_vars/all (or k3s_cluster), not per host or per group",
            )


def _check_unresolved(hostvars, hosts, problems):
    """One problem per variable and reason: named once when every host has it, else with the hosts."""
    found = {}
    for host in hosts:
        for name, value in sorted(hostvars.get(host, {}).items()):
            if isinstance(value, Unresolved):
                found.setdefault((name, value.message), []).append(host)
    for (name, message), owners in found.items():
        everywhere = name in CLUSTER_VARS or len(owners) == len(hosts)
        subject = name if everywhere else "%s (host %s)" % (name, ", ".join(owners))
        problems.add(subject, "could not be templated: %s" % message, "define the variables it refers to (vault files loaded?) or fix the expression")


def _check_extra(extra_checks, problems):
    for index, entry in enumerate(extra_checks or ()):
        subject = "preflight_extra_checks[%d]" % index
        if not isinstance(entry, dict) or "that" not in entry:
            problems.add(subject, "is %s without 'that'" % _type_name(entry), "write each extra check as {that: <condition>, msg: <what to fix>}")
            continue
        that = entry.get("that")
        msg = entry.get("msg") or "an extra check failed"
        if isinstance(that, Unresolved):
            problems.add(subject, "could not be evaluated: %s" % that.message, "fix the condition")
        elif not isinstance(that, bool):
            problems.add(subject, "'that' is %s %s, not a boolean" % (_type_name(that), show(that)), "write a condition that renders to true or false")
        elif not that:
            problems.add(subject, str(msg), "see preflight_extra_checks in the inventory")


def check_inventory_report(
    hostvars, groups, execution_clients=EXECUTION_CLIENTS, consensus_clients=CONSENSUS_CLIENTS, extra_checks=None, *, collection_root=None
):
    """Check an inventory; return (problems, notices): one line per problem (empty means it passed), and the
    operator opt-outs in force (lines starting with SKIPPED, for the run summary)."""
    if netaddr is None:
        return (
            ["netaddr: the Python library is not installed on the controller (%s); fix: pip install netaddr (see requirements.txt)" % NETADDR_IMPORT_ERROR],
            [],
        )
    problems = _Problems()
    hosts = cluster_hosts(groups)
    _check_extra(extra_checks, problems)
    if hosts:
        _check_unresolved(hostvars, hosts, problems)
        _check_consistency(hostvars, hosts, problems)
    options = {"execution_clients": tuple(execution_clients), "consensus_clients": tuple(consensus_clients), "collection_root": collection_root}
    view = _View(hostvars.get(hosts[0], {}) if hosts else {}, hostvars=hostvars, hosts=hosts, groups=groups, options=options)
    if not hosts:
        _checks_hosts.check_groups(view, problems)
        return problems.lines, problems.notices
    for _layer, function in LAYER_CHECKS:
        function(view, problems)
    return problems.lines, problems.notices


def check_inventory(
    hostvars, groups, execution_clients=EXECUTION_CLIENTS, consensus_clients=CONSENSUS_CLIENTS, extra_checks=None, *, collection_root=None
):
    """Check an inventory; return the list of problems (one line each; empty means it passed).

    ``hostvars`` maps each cluster host to its variables (templated, plain data; a variable that could not be
    templated is an ``Unresolved``, one the checks do not read may be an ``Unread``). ``groups`` maps group
    names to host lists (k3s_servers, k3s_agents, k3s_cluster). Cluster-wide values are read from the first server.
    """
    return check_inventory_report(hostvars, groups, execution_clients, consensus_clients, extra_checks, collection_root=collection_root)[0]
