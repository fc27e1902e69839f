# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""k3s_upgrade_plan: the order and batches of a rolling k3s node upgrade.

Servers go one at a time (etcd keeps quorum with one member down out of three), then agents in batches.
Nodes already on the target version are left out. The plan refuses what k3s and Kubernetes do not
support: downgrades, skipping a minor version, and nodes that are not registered in the cluster. The target
must pass the collection's one rule for a pinned k3s version (plugins/plugin_utils/_k3s_version.py), the
same rule preflight applies to k3s_version and the k3s roles apply through the k3s_version_problem filter."""

from __future__ import annotations

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _k3s_version

try:
    from ansible.errors import AnsibleFilterError as _FilterError
except ImportError:  # pragma: no cover - plain Python without Ansible
    _FilterError = ValueError


class K3sUpgradePlanError(_FilterError):
    """The requested upgrade cannot be planned safely."""


def parse_k3s_version(version):
    """Return a sortable tuple for a k3s version such as v1.33.5+k3s1 or v1.33.5-rc1+k3s1 (what a node runs)."""
    try:
        return _k3s_version.parse_k3s_version(version)
    except ValueError:
        raise K3sUpgradePlanError("not a pinned k3s version (like v1.33.5+k3s1): %r" % (version,)) from None


def k3s_version_problem(version):
    """'' when ``version`` is a pinned, supported k3s release; else one line: the problem and the fix."""
    reason = _k3s_version.k3s_version_reason(version)
    return "" if reason is None else "k3s_version %s; fix: %s" % reason


def _target(version):
    problem = k3s_version_problem(version)
    if problem:
        raise K3sUpgradePlanError("the target is not a pinned k3s version: %s" % problem)
    return parse_k3s_version(version)


def _unique_hosts(hosts, what):
    hosts = list(hosts or [])
    seen = set()
    for host in hosts:
        if not isinstance(host, str) or not host:
            raise K3sUpgradePlanError("%s holds an empty or non-text host name: %r" % (what, host))
        if host in seen:
            raise K3sUpgradePlanError("%s lists %s twice" % (what, host))
        seen.add(host)
    return hosts


def k3s_upgrade_plan(servers, agents, target_version, agent_batch=1, *, node_versions=None, node_names=None):
    """Plan a rolling upgrade.

    servers, agents: inventory host names in inventory order.
    target_version: the k3s version to reach.
    agent_batch: how many agents are drained and upgraded together.
    node_versions: {node name: kubelet version} read from the cluster; None when no cluster is reachable
      (then every node is planned, and the plan says the versions are unknown).
    node_names: {inventory host: Kubernetes node name} where they differ.

    Returns {batches: [{role, hosts}], upgrade: [...], current: [...], versions_known, warnings}."""
    servers = _unique_hosts(servers, "k3s_servers")
    agents = _unique_hosts(agents, "k3s_agents")
    both = sorted(set(servers) & set(agents))
    if both:
        raise K3sUpgradePlanError("hosts in both k3s_servers and k3s_agents: %s" % ", ".join(both))
    if not servers:
        raise K3sUpgradePlanError("no k3s server to upgrade: k3s_servers is empty")
    try:
        batch = int(agent_batch)
    except (TypeError, ValueError):
        raise K3sUpgradePlanError("k3s_upgrade_agent_batch must be a whole number, got %r" % (agent_batch,)) from None
    if batch < 1 or isinstance(agent_batch, bool):
        raise K3sUpgradePlanError("k3s_upgrade_agent_batch must be at least 1, got %r" % (agent_batch,))
    if len(agents) > 1 and batch >= len(agents):
        raise K3sUpgradePlanError(
            "k3s_upgrade_agent_batch=%d would drain all %d agents at once; use at most %d" % (batch, len(agents), len(agents) - 1))
    target = _target(target_version)
    names = dict(node_names or {})
    known = node_versions is not None
    versions = dict(node_versions or {})

    upgrade, current, missing, problems = [], [], [], []
    for host in servers + agents:
        node = names.get(host, host)
        if not known:
            upgrade.append(host)
            continue
        if node not in versions:
            missing.append(node)
            continue
        have = parse_k3s_version(versions[node])
        if have == target:
            current.append(host)
        elif have > target:
            problems.append("%s runs %s, newer than %s: k3s does not support downgrades" % (node, versions[node], target_version))
        elif (have[0], have[1]) != (target[0], target[1]) and (have[0] != target[0] or target[1] - have[1] > 1):
            problems.append("%s runs %s: upgrade one minor version at a time (next: v%d.%d.x), not straight to %s"
                            % (node, versions[node], have[0], have[1] + 1, target_version))
        else:
            upgrade.append(host)
    if missing:
        problems.append("not registered in the cluster: %s (join them with playbooks/cluster.yml first)" % ", ".join(missing))
    if problems:
        raise K3sUpgradePlanError("; ".join(problems))

    batches = [{"role": "server", "hosts": [host]} for host in servers if host in upgrade]
    pending_agents = [host for host in agents if host in upgrade]
    for start in range(0, len(pending_agents), batch):
        batches.append({"role": "agent", "hosts": pending_agents[start:start + batch]})

    warnings = []
    if len(servers) == 1:
        warnings.append("one server: the Kubernetes API is down while it restarts")
    elif len(servers) % 2 == 0:
        warnings.append("%d servers: etcd tolerates no more failures than with %d; use an odd number" % (len(servers), len(servers) - 1))
    if len(servers) == 2:
        warnings.append("2 servers: etcd loses quorum while either one restarts")
    if not known:
        warnings.append("node versions unknown (no cluster reachable): every node is planned")
    return {
        "target": target_version,
        "batches": batches,
        "upgrade": [host for b in batches for host in b["hosts"]],
        "servers": [host for b in batches if b["role"] == "server" for host in b["hosts"]],
        "agents": [host for b in batches if b["role"] == "agent" for host in b["hosts"]],
        "current": current,
        "versions_known": known,
        "warnings": warnings,
    }


class FilterModule:
    """k3s upgrade planning filters."""

    def filters(self):
        return {
            "k3s_upgrade_plan": k3s_upgrade_plan,
            "k3s_version_tuple": lambda v: list(parse_k3s_version(v)),
            "k3s_version_problem": k3s_version_problem,
        }
