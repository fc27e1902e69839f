"""A two-node lab in network namespaces for the host firewall and P2P routing (built and removed by the tests).

    far (203.0.113.50) -- p2pgw (203.0.113.1 / 192.0.2.1) --+-- brp --+ eth1 192.0.2.11
                                                             |        node-a (server, the host under test)
    out (10.10.0.99), mgmtgw (10.10.0.1), node-b eth0 -------+-- brm --+ eth0 10.10.0.11, default via 10.10.0.1
    node-b (agent) 10.10.0.12, cni0 10.42.1.1 -- bpod 10.42.1.5 (masqueraded to 10.10.0.12, as flannel does)
    node-a cni0 10.42.0.1 -- apod 10.42.0.5 (a pod: TCP 8080 and 30303)

node-a loads the ruleset roles/firewall renders for it and runs the P2P routing script roles/baseline renders;
a table `kpimit` imitates kube-proxy's DNAT (a NodePort 30080 and LoadBalancer address 192.0.2.200 of the
p2p pool). mgmtgw does not forward: a reply that leaves node-a by the management default route is lost, so a
P2P reply only arrives when it leaves by eth1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

# A TCP server that answers every connection with one line, and a UDP server that appends each datagram's
# source to a file: both run inside a namespace, started and stopped (by PID) by the tests.
_TCP_SERVER = r"""
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"hello %d\n" % port); c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""
_UDP_SERVER = r"""
import socket, sys, threading
def serve(port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        data, src = s.recvfrom(2048)
        with open(path, "a") as f:
            f.write("%s %s\n" % (src[0], data.decode(errors="replace")))
for item in sys.argv[1:]:
    port, path = item.split("=", 1)
    threading.Thread(target=serve, args=(int(port), path), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""
_TCP_CLIENT = r"""
import socket, sys
s = socket.socket(); s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); data = s.recv(64)
    print("open" if data.startswith(b"hello") else "open-silent")
except ConnectionRefusedError:
    print("closed")
except (socket.timeout, TimeoutError):
    print("dropped")
except OSError as exc:
    print("error %s" % exc)
"""
_UDP_SEND = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0)); s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))
"""

KPIMIT = """
table ip kpimit {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        tcp dport 30080 dnat to 10.42.0.5:8080
        ip daddr 192.0.2.200 tcp dport 30303 dnat to 10.42.0.5:30303
        ip daddr 192.0.2.200 tcp dport 8080 dnat to 10.42.0.5:8080
    }
}
"""
FLANNEL_MASQ = """
table ip flannelimit {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 10.42.0.0/16 ip daddr != 10.42.0.0/16 masquerade
    }
}
"""


def missing_prerequisites():
    """Why these tests cannot run here (empty string: they can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, nftables)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return "needs the %s command" % tool
    probe = "chainops-probe-%d" % os.getpid()
    proc = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return "cannot create a network namespace: %s" % proc.stderr.strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return ""


class Lab:
    """The namespaces above; every name carries a per-run prefix so parallel runs never collide."""

    NAMES = ("sw", "a", "apod", "b", "bpod", "out", "mgmtgw", "p2pgw", "far")

    def __init__(self, workdir):
        self.prefix = "cofw%d-" % (os.getpid() % 100000)
        self.workdir = workdir
        self.procs = []
        self.created = []

    def ns(self, name):
        return self.prefix + name

    def run(self, name, *cmd, check=True, stdin=None):
        proc = subprocess.run(["ip", "netns", "exec", self.ns(name), *cmd], input=stdin, capture_output=True, text=True, timeout=30, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError("in %s: %s failed (%d): %s" % (name, " ".join(cmd), proc.returncode, proc.stderr.strip()))
        return proc

    def nft(self, name, text):
        return self.run(name, "nft", "-f", "-", stdin=text)

    def _link(self, ns1, if1, ns2, if2):
        subprocess.run(["ip", "link", "add", if1, "netns", self.ns(ns1), "type", "veth", "peer", "name", if2, "netns", self.ns(ns2)], check=True)

    def build(self):
        for name in self.NAMES:
            subprocess.run(["ip", "netns", "add", self.ns(name)], check=True)
            self.created.append(name)
            self.run(name, "ip", "link", "set", "lo", "up")
        self.run("sw", "ip", "link", "add", "brm", "type", "bridge")
        self.run("sw", "ip", "link", "add", "brp", "type", "bridge")
        links = [
            ("a", "eth0", "brm"), ("a", "eth1", "brp"), ("b", "eth0", "brm"), ("out", "eth0", "brm"),
            ("mgmtgw", "eth0", "brm"), ("p2pgw", "eth0", "brp"),
        ]
        for index, (name, ifname, bridge) in enumerate(links):
            port = "p%d" % index
            self._link(name, ifname, "sw", port)
            self.run("sw", "ip", "link", "set", port, "master", bridge, "up")
        for bridge in ("brm", "brp"):
            self.run("sw", "ip", "link", "set", bridge, "up")
        self._link("a", "cni0", "apod", "eth0")
        self._link("b", "cni0", "bpod", "eth0")
        self._link("p2pgw", "eth1", "far", "eth0")
        addresses = {
            "a": [("eth0", "10.10.0.11/24"), ("eth1", "192.0.2.11/24"), ("cni0", "10.42.0.1/24")],
            "apod": [("eth0", "10.42.0.5/24")],
            "b": [("eth0", "10.10.0.12/24"), ("cni0", "10.42.1.1/24")],
            "bpod": [("eth0", "10.42.1.5/24")],
            "out": [("eth0", "10.10.0.99/24")],
            "mgmtgw": [("eth0", "10.10.0.1/24")],
            "p2pgw": [("eth0", "192.0.2.1/24"), ("eth1", "203.0.113.1/24")],
            "far": [("eth0", "203.0.113.50/24")],
        }
        for name, items in addresses.items():
            for ifname, cidr in items:
                self.run(name, "ip", "addr", "add", cidr, "dev", ifname)
                self.run(name, "ip", "link", "set", ifname, "up")
        routes = {
            "a": ["default via 10.10.0.1"],
            "apod": ["default via 10.42.0.1"],
            "b": ["default via 10.10.0.1"],
            "bpod": ["default via 10.42.1.1"],
            "p2pgw": ["192.0.2.192/28 via 192.0.2.11"],
            "far": ["default via 203.0.113.1"],
        }
        for name, items in routes.items():
            for route in items:
                self.run(name, "ip", "route", "add", *route.split())
        for name in ("a", "b", "p2pgw"):
            self.run(name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        # the kernel's own reverse-path filter stays off here: the tests judge the firewall alone
        for name in self.NAMES:
            self.run(name, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
        self.nft("a", KPIMIT)
        self.nft("b", FLANNEL_MASQ)

    def start_tcp(self, name, *ports):
        self._start(name, _TCP_SERVER, [str(p) for p in ports])

    def start_udp(self, name, port):
        path = os.path.join(self.workdir, "udp-%s-%d.log" % (name, port))
        open(path, "w").close()
        self._start(name, _UDP_SERVER, ["%d=%s" % (port, path)])
        return path

    def _start(self, name, script, args):
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(name), sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
        self.procs.append(proc)
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError("listener in %s did not start" % name)

    def tcp(self, name, address, port, timeout=1.5):
        """'open', 'closed' (RST) or 'dropped' for a TCP connection from namespace name."""
        return self.run(name, sys.executable, "-c", _TCP_CLIENT, address, str(port), str(timeout)).stdout.strip()

    def udp_send(self, name, source, address, port, payload):
        self.run(name, sys.executable, "-c", _UDP_SEND, source, address, str(port), payload)

    @staticmethod
    def udp_received(path, payload, wait=1.0):
        """The source addresses that delivered payload to the UDP listener writing path."""
        deadline = time.monotonic() + wait
        while True:
            with open(path) as handle:
                found = [line.split()[0] for line in handle if line.split()[1:] == [payload]]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def destroy(self):
        for proc in self.procs:
            proc.kill()
            proc.wait(timeout=10)
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "del", self.ns(name)], capture_output=True, check=False)
        self.created = []
