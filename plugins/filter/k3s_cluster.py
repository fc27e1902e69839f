# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for forming the k3s cluster: which server (if any) may bootstrap etcd with cluster-init, where the
others join, and the secure join token that pins the cluster CA."""

from __future__ import annotations

import re

try:
    from ansible.errors import AnsibleFilterError as _FilterError
except ImportError:  # pragma: no cover - plain Python without Ansible
    _FilterError = ValueError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# K10<sha256 of the cluster CA bundle>::<user>:<password> (k3s docs, "Token types": the secure format)
_SECURE = re.compile(r"^K10([0-9a-f]{64})::([^:\s]+):(\S+)$")


class K3sClusterError(_FilterError):
    """Raised when the probes describe a state the roles must not act on."""


def _url(host, port):
    host = str(host)
    return "https://%s:%s" % ("[%s]" % host if ":" in host else host, port)


def k3s_bootstrap_plan(probes, servers, vip, port=6443, addresses=None):
    """Decide, from what every server saw, whether an existing cluster answers and who may bootstrap.

    ``servers``: the server group in inventory order. ``probes``: host -> {data: the host has an etcd data
    directory, marker: it was configured with cluster-init before, ca_sha256: sha256 of its cluster CA or None,
    answers: {"addr:port": bool} TCP answers it saw from the VIP and the other servers}. ``addresses``: host ->
    management address (to name a server that answers when the VIP does not).

    Rules: a server that already holds etcd data keeps how it was formed (cluster-init if it bootstrapped,
    else join), so a re-run changes nothing. A server without data joins whenever anything shows that a cluster
    exists (another server holds data, or the VIP or another server answers on the API port); only when no
    server holds data and nothing answers does the first server bootstrap. Servers that hold different CAs are
    two clusters: refused.
    """
    servers = list(servers or [])
    if not servers:
        raise K3sClusterError("k3s_servers is empty: there is no server to form a cluster")
    probes = probes or {}
    missing = [host for host in servers if not isinstance(probes.get(host), dict)]
    probed = [host for host in servers if host not in missing]
    if not probed:
        raise K3sClusterError("no probe result from any server: run playbooks/cluster.yml, whose first play probes every server")
    addresses = addresses or {}
    vip_endpoint = "%s:%s" % ("[%s]" % vip if ":" in str(vip) else vip, port)
    holders = [host for host in probed if probes[host].get("data")]
    cas = {}
    for host in holders:
        ca = probes[host].get("ca_sha256")
        if ca:
            cas.setdefault(ca, []).append(host)
    if len(cas) > 1:
        groups = "; ".join("%s (CA %s...)" % (", ".join(hosts), ca[:12]) for ca, hosts in sorted(cas.items()))
        raise K3sClusterError(
            "the servers hold data of different clusters: %s. Refusing to touch them: keep the cluster you want, "
            "stop k3s on the others and remove their data (k3s-killall.sh, /var/lib/rancher/k3s/server/db) so they "
            "join it" % groups)
    vip_answers = any(probes[host].get("answers", {}).get(vip_endpoint) for host in probed)
    answering = []
    for host in servers:
        endpoint = "%s:%s" % (addresses.get(host, ""), port)
        if addresses.get(host) and any(probes[other].get("answers", {}).get(endpoint) for other in probed if other != host):
            answering.append(host)
    existing = bool(holders) or vip_answers or bool(answering)
    if missing and not existing:
        # a server not probed (left out with --limit, or unreachable) may hold the cluster: never bootstrap blind
        raise K3sClusterError(
            "no probe result from %s and nothing the probed servers see shows a cluster: cluster-init would be a guess "
            "that can start a second cluster. Include every server in the run (no --limit on k3s_servers) or make it "
            "reachable" % ", ".join(missing))
    vip_url = _url(vip, port)
    join_url = vip_url
    if not vip_answers and answering:
        join_url = _url(addresses[answering[0]], port)
    modes, urls = {}, {}
    for host in probed:
        if probes[host].get("data"):
            modes[host] = "cluster-init" if probes[host].get("marker") else "join"
            urls[host] = vip_url
        elif existing:
            modes[host] = "join"
            urls[host] = join_url
        else:
            modes[host] = "cluster-init" if host == servers[0] else "join"
            urls[host] = vip_url
    if not existing:
        reason = "no server holds etcd data and nothing answers on %s or the servers' API port: %s bootstraps" % (vip_endpoint, servers[0])
    else:
        seen = []
        if holders:
            seen.append("etcd data on %s" % ", ".join(holders))
        if vip_answers:
            seen.append("the VIP %s answers" % vip_endpoint)
        if answering:
            seen.append("the API answers on %s" % ", ".join(answering))
        reason = "a cluster exists (%s): servers without data join %s" % ("; ".join(seen), join_url)
    return {
        "existing": existing,
        "modes": modes,
        "urls": urls,
        "bootstrap": [host for host in probed if modes[host] == "cluster-init" and not probes[host].get("data")],
        "ca_sha256": next(iter(cas), ""),
        "reason": reason,
    }


def k3s_secure_token(secret, ca_sha256, user="server"):
    """The join token that pins the cluster CA: K10<ca sha256>::<user>:<secret>.

    ``secret`` may itself be a secure token; then its CA must be ``ca_sha256`` and its password is kept."""
    secret = "" if secret is None else str(secret)
    ca = (ca_sha256 or "").strip().lower()
    if not _SHA256.match(ca):
        raise K3sClusterError("the cluster CA hash must be a sha256 (64 hexadecimal characters), got %r" % (ca_sha256,))
    match = _SECURE.match(secret)
    if match:
        if match.group(1) != ca:
            raise K3sClusterError(
                "k3s_token pins CA %s..., but the cluster's CA is %s...: the token belongs to another cluster" % (match.group(1)[:12], ca[:12]))
        return secret
    if len(secret) < 16 or re.search(r"\s", secret) or ":" in secret:
        raise K3sClusterError("the join secret must be at least 16 characters without whitespace or ':'")
    return "K10%s::%s:%s" % (ca, user, secret)


def k3s_token_secret(token):
    """The password part of a secure token, or the token itself when it is a plain one."""
    match = _SECURE.match(str(token or ""))
    return match.group(3) if match else str(token or "")


def k3s_files_to_copy(artifacts, probe):
    """The artifacts ({dest, sha256, mode}) whose copy on the host differs in content, mode or owner (root)
    from what a host_probe call (with sha256 and modes of every dest) reported."""
    hashes = (probe or {}).get("sha256") or {}
    modes = (probe or {}).get("modes") or {}
    differ = []
    for item in artifacts or []:
        dest = item["dest"]
        stat = modes.get(dest)
        same = (
            hashes.get(dest) is not None
            and hashes.get(dest) == str(item.get("sha256", "")).lower()
            and stat is not None
            and int(str(stat.get("mode")), 8) == int(str(item.get("mode", "0644")), 8)
            and stat.get("uid") == 0
            and stat.get("gid") == 0
        )
        if not same:
            differ.append(item)
    return differ


class FilterModule:
    """k3s cluster-forming filters."""

    def filters(self):
        return {
            "k3s_bootstrap_plan": k3s_bootstrap_plan,
            "k3s_secure_token": k3s_secure_token,
            "k3s_token_secret": k3s_token_secret,
            "k3s_files_to_copy": k3s_files_to_copy,
        }
