# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the cluster layer (controller only).

The pinned k3s version (the one rule in ``_k3s_version``), the install mode and what it needs, node taints
(and whether any node is left where the client pairs can be scheduled), and the rolling-upgrade batch size.
The roles' argument specs (types, choices) are checked by ``_checks_variables``; these are the cross-field rules.
"""

from __future__ import annotations

import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    AGENTS,
    SERVERS,
    _MISSING,
    _SKIP,
    _is_number,
    _type_name,
    show,
)
from ansible_collections.chainops.ethereum.plugins.plugin_utils._k3s_version import k3s_version_reason

KUBE_VIP_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+$")
# The k3s_server defaults, used for the timings the inventory does not set (client-go's leader election
# refuses a lease not longer than the renew deadline, and a deadline not above 1.2 x the retry period).
KUBE_VIP_TIMINGS = {"k3s_server_kube_vip_lease_duration": 15, "k3s_server_kube_vip_renew_deadline": 10, "k3s_server_kube_vip_retry_period": 2}
TAINT_RE = re.compile(r"^[^=:\s]+(=[^:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$")
BLOCKING_EFFECTS = (":NoSchedule", ":NoExecute")
INSTALL_MODES = ("online", "airgap")
# Role options that take effect cluster-wide although a role reads them per host: one value everywhere.
# (issue 11: kube-vip is rendered once for all servers, so the servers must agree on its interface.)
ONE_VALUE_OPTIONS = (
    ("k3s_server_kube_vip_interface", SERVERS),
    ("k3s_server_api_port", SERVERS),
    ("k3s_server_flannel_backend", SERVERS),
    ("k3s_agent_api_port", AGENTS),
)


def check_k3s_version(view, problems):
    value = view.get("k3s_version")
    if value is _SKIP:
        return
    reason = k3s_version_reason(None if value is _MISSING else value)
    if reason:
        problems.add("k3s_version", "is missing" if value is _MISSING else reason[0], reason[1])


def check_install_mode(view, problems):
    mode = view.get("k3s_install_mode")
    if mode in (_SKIP, _MISSING):
        return
    if isinstance(mode, bool) or mode not in INSTALL_MODES:
        problems.add(
            "k3s_install_mode",
            "%s is not one of online, airgap (read by role k3s_common as k3s_common_install_mode)" % show(mode),
            "set online (the controller downloads and verifies the release) or airgap (files in k3s_airgap_dir)",
        )
        return
    if mode == "airgap":
        directory = view.get("k3s_airgap_dir")
        if directory is _MISSING or (isinstance(directory, str) and not directory.strip()):
            problems.add(
                "k3s_airgap_dir",
                "is missing while k3s_install_mode is airgap",
                "set the absolute controller directory holding the k3s release files (binary, images, sha256sum-<arch>.txt), or use k3s_install_mode: online",
            )


def _taints(view, host, names):
    found = []
    for name in names:
        value = view.host_get(host, name)
        if value in (_MISSING, _SKIP):
            continue
        if isinstance(value, list):
            found.extend((name, item) for item in value)
    return found


def check_taints(view, problems):
    """Taint syntax, and at least one node the client pairs can be scheduled on."""
    servers = view.group(SERVERS)
    reported = set()
    free = []
    blocked = {}
    for host in view.hosts:
        names = ("k3s_server_node_taints", "k3s_common_node_taints") if host in servers else ("k3s_agent_node_taints", "k3s_common_node_taints")
        blocking = False
        for name, taint in _taints(view, host, names):
            if not isinstance(taint, str) or not TAINT_RE.match(taint):
                if (name, show(taint)) not in reported:
                    reported.add((name, show(taint)))
                    problems.add(
                        "%s (host %s)" % (name, host),
                        "%s is not a taint (key[=value]:Effect, Effect one of NoSchedule, PreferNoSchedule, NoExecute)" % show(taint),
                        "write it like CriticalAddonsOnly=true:NoExecute",
                    )
                continue
            if taint.endswith(BLOCKING_EFFECTS):
                blocking = True
                blocked.setdefault(name, set()).add(taint)
        if not blocking:
            free.append(host)
    pair_count = view.context.get("pair_count")
    if view.hosts and not free and pair_count:
        names = sorted(blocked)
        taints = "; ".join("%s: %s" % (name, ", ".join(sorted(blocked[name]))) for name in names)
        problems.add(
            names[0],
            "every node carries a NoSchedule or NoExecute taint (%s) and none of the client pairs (%d) tolerates them, so they could never be scheduled"
            % (taints, pair_count),
            "leave at least one node without such taints (e.g. taint only the servers and add agents), or use PreferNoSchedule",
        )


def check_upgrade_batch(view, problems):
    value = view.get("k3s_upgrade_agent_batch")
    if value in (_MISSING, _SKIP):
        return
    agents = len(view.group(AGENTS))
    fix = "set k3s_upgrade_agent_batch to a whole number of at least 1%s (the agents drained together)" % (
        " and at most %d, so that some agents keep running" % (agents - 1) if agents > 1 else ""
    )
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not _is_number(value) or int(value) != value:
        problems.add("k3s_upgrade_agent_batch", "is %s %s, not a whole number" % (_type_name(value), show(value)), fix)
    elif value < 1:
        problems.add("k3s_upgrade_agent_batch", "is %s; at least one agent is upgraded at a time" % show(value), fix)
    elif agents > 1 and value >= agents:
        problems.add(
            "k3s_upgrade_agent_batch",
            "is %s, which drains all %d agents at once: the client pairs would have nowhere to run" % (show(value), agents),
            fix,
        )


def check_kube_vip(view, problems):
    """The kube-vip rules the k3s_server role asserts on the first server, checked before any host changes."""
    version = view.get("k3s_server_kube_vip_version")
    if version not in (_MISSING, _SKIP) and (not isinstance(version, str) or not KUBE_VIP_VERSION_RE.match(version)):
        problems.add(
            "k3s_server_kube_vip_version",
            "%s is not a pinned kube-vip release tag (vX.Y.Z)" % show(version),
            'pin a kube-vip release, e.g. "v1.0.1" (see https://github.com/kube-vip/kube-vip/releases)',
        )
    timings = {}
    for name in ("k3s_server_kube_vip_lease_duration", "k3s_server_kube_vip_renew_deadline", "k3s_server_kube_vip_retry_period"):
        value = view.get(name)
        if value is _MISSING:
            value = KUBE_VIP_TIMINGS[name]
        if _is_number(value):
            timings[name] = value
    if len(timings) == 3:
        lease, renew, retry = (timings[name] for name in KUBE_VIP_TIMINGS)
        if not lease > renew > retry * 1.2:
            problems.add(
                "k3s_server_kube_vip_renew_deadline",
                "leader election needs lease_duration > renew_deadline > 1.2 x retry_period (got %s, %s, %s seconds)" % (lease, renew, retry),
                "keep the defaults 15, 10 and 2, or scale all three together",
            )


def check_one_value_options(view, problems):
    for name, group in ONE_VALUE_OPTIONS:
        values = {}
        for host in view.group(group):
            value = view.host_get(host, name)
            if value is _SKIP:
                continue
            values.setdefault(show(value) if value is not _MISSING else "(unset)", []).append(host)
        if len(values) > 1:
            problems.add(
                name,
                "differs between hosts (%s)" % " vs ".join(", ".join(hosts) for hosts in values.values()),
                "it must be the same on every node: set it once in group_vars/all (or per group for the servers' interface, only if the names match)",
            )


CHECKS = (check_k3s_version, check_install_mode, check_upgrade_batch, check_kube_vip, check_one_value_options)


def check(view, problems):
    for function in CHECKS:
        function(view, problems)
