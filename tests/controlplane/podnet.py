"""Pod addresses with real processes behind them, for the API server's proxy (tests/controlplane).

kube-apiserver proxies `services/NAME:PORT/proxy/` and `pods/NAME:PORT/proxy/` by dialing the pod's IP itself (not
through a kubelet), and refuses loopback and link-local pod IPs. So a pod whose status carries an address of this
machine that is neither reaches a process listening there. PodNetwork makes such addresses, on a network namespace
of its own: a veth pair, the host end with the subnet's first address, the namespace end with one address per pod.
The clients run inside the namespace (no default route: they can reach nothing but that subnet), the API server
on the host reaches them over the veth. Deleting the namespace removes the veth and every address with it.
Needs CAP_NET_ADMIN (root); PodNetworkUnavailable says why when it cannot be made.
"""

import ipaddress
import os
import subprocess

# candidate /24s: private, not loopback or link-local, away from the inventories' pod/service CIDRs (10.42/16,
# 10.43/16), their node networks (10.10.0.0/24, ...) and podman's 10.88/16; one in use on this machine is skipped
CANDIDATES = ipaddress.ip_network("10.231.0.0/16")


class PodNetworkUnavailable(Exception):
    """The namespace or the veth could not be made (no CAP_NET_ADMIN, no `ip`)."""


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def _used_networks():
    out = _ip("-4", "-o", "addr", "show").stdout + _ip("-4", "route", "show", "table", "all").stdout
    nets = []
    for word in out.split():
        try:
            nets.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            continue
    return nets


class PodNetwork:
    """A namespace `cpgate<pid>` and its veth; addresses() hands out the pod addresses; run() starts a command inside."""

    def __init__(self, count, *, avoid=()):
        tag = "cpg%d" % os.getpid()
        self.ns = tag
        self.host_if, self.ns_if = tag + "h", tag + "n"
        self.count = count
        self.subnet = None
        self.made = False
        self.avoid = [ipaddress.ip_network(n) for n in avoid]

    def create(self):
        try:
            used = _used_networks() + self.avoid
            start = os.getpid() % 256
            for i in range(256):
                cand = list(CANDIDATES.subnets(new_prefix=24))[(start + i) % 256]
                if not any(cand.overlaps(u) for u in used if u.prefixlen > 0):
                    self.subnet = cand
                    break
            else:
                raise PodNetworkUnavailable("no free /24 in %s" % CANDIDATES)
            hosts = list(self.subnet.hosts())
            self.host_addr = str(hosts[0])
            self.pod_addrs = [str(h) for h in hosts[10:10 + self.count]]
            _ip("netns", "add", self.ns)
            self.made = True
            _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if, "netns", self.ns)
            _ip("addr", "add", "%s/24" % self.host_addr, "dev", self.host_if)
            _ip("link", "set", self.host_if, "up")
            for cmd in (["link", "set", "lo", "up"], ["link", "set", self.ns_if, "up"]):
                _ip("netns", "exec", self.ns, "ip", *cmd)
            for addr in self.pod_addrs:
                _ip("netns", "exec", self.ns, "ip", "addr", "add", "%s/24" % addr, "dev", self.ns_if)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            self.delete()
            raise PodNetworkUnavailable("cannot make network namespace %s with a veth (needs root/CAP_NET_ADMIN and "
                                        "iproute2): %s" % (self.ns, detail.strip())) from None
        return self

    def wrap(self, argv):
        """argv run inside the namespace: `ip netns exec` switches namespace and execs (the PID stays the program's)."""
        return ["ip", "netns", "exec", self.ns] + list(argv)

    def delete(self):
        if self.made:
            # the namespace end goes with the namespace, and a veth pair dies with either end
            _ip("netns", "del", self.ns, check=False)
            _ip("link", "del", self.host_if, check=False)
            self.made = False
