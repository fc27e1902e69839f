"""The rendered host ruleset and P2P routing of node-a, loaded into network namespaces (see netns_topology.py).

Each refusal has a counterpart that is accepted, so a test cannot pass because the path is broken.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.netns


def test_nodeport_on_the_p2p_interface_is_refused(lab):
    # kube-proxy DNATs the NodePort on every local address; forwarded afterwards, it never meets the input chain
    assert lab.tcp("p2pgw", "192.0.2.11", 30080) == "dropped"
    assert lab.tcp("far", "192.0.2.11", 30080) == "dropped"
    # the same NodePort from the management network reaches the pod: the DNAT works, only P2P is refused
    assert lab.tcp("out", "10.10.0.11", 30080) == "open"


def test_p2p_pool_address_only_on_p2p_ports(lab):
    # a LoadBalancer address of the p2p pool on a pair's P2P port is admitted, and its reply (from the pod,
    # forwarded) leaves by the P2P interface thanks to the connection mark and the P2P routing table
    assert lab.tcp("far", "192.0.2.200", 30303) == "open"
    # another port DNATed on the same address is refused
    assert lab.tcp("far", "192.0.2.200", 8080) == "dropped"


def test_spoofed_pod_source_on_the_p2p_interface_is_dropped(lab):
    lab.run("p2pgw", "ip", "addr", "add", "10.42.0.77/32", "dev", "eth0")
    try:
        lab.udp_send("p2pgw", "10.42.0.77", "192.0.2.11", 8472, "spoof-vxlan")
        lab.udp_send("p2pgw", "10.42.0.77", "192.0.2.11", 30303, "spoof-p2p")
        lab.udp_send("p2pgw", "192.0.2.1", "192.0.2.11", 30303, "real-p2p")
        # the genuine source on the open P2P port arrives; both forged pod sources do not
        assert lab.udp_received(lab.udp_logs[30303], "real-p2p") == ["192.0.2.1"]
        assert lab.udp_received(lab.udp_logs[30303], "spoof-p2p", wait=0.3) == []
        assert lab.udp_received(lab.udp_logs[8472], "spoof-vxlan", wait=0.3) == []
    finally:
        lab.run("p2pgw", "ip", "addr", "del", "10.42.0.77/32", "dev", "eth0")


def test_spoofed_pod_source_on_the_management_interface_is_dropped(lab):
    # pod sources are accepted only from the pod interfaces (cni0, flannel.*): VXLAN from a forged pod
    # address on eth0 is dropped, from a real node it is accepted
    lab.run("out", "ip", "addr", "add", "10.42.0.78/32", "dev", "eth0")
    try:
        lab.udp_send("out", "10.42.0.78", "10.10.0.11", 8472, "spoof-mgmt")
        lab.udp_send("b", "10.10.0.12", "10.10.0.11", 8472, "node-vxlan")
        assert lab.udp_received(lab.udp_logs[8472], "node-vxlan") == ["10.10.0.12"]
        assert lab.udp_received(lab.udp_logs[8472], "spoof-mgmt", wait=0.3) == []
    finally:
        lab.run("out", "ip", "addr", "del", "10.42.0.78/32", "dev", "eth0")


def test_pods_on_this_node_reach_host_ports(lab):
    assert lab.tcp("apod", "10.42.0.1", 10250) == "open"


def test_scrape_from_another_nodes_pod_network_is_accepted(lab):
    # node-b's pod is masqueraded to node-b's management address (as flannel does) and reaches node-exporter
    assert lab.tcp("bpod", "10.10.0.11", 9100) == "open"
    # a machine on the management network that is not a node does not
    assert lab.tcp("out", "10.10.0.11", 9100) == "dropped"


def test_etcd_only_between_servers_api_for_agents(lab):
    # node-b is an agent: it reaches the API on the server, never etcd
    assert lab.tcp("b", "10.10.0.11", 6443) == "open"
    assert lab.tcp("b", "10.10.0.11", 2379) == "dropped"


def test_p2p_replies_leave_by_the_p2p_interface(lab, rendered):
    route = lab.run("a", "ip", "-4", "route", "get", "203.0.113.50", "from", "192.0.2.11").stdout
    assert " dev eth1 " in route, route
    assert lab.tcp("far", "192.0.2.11", 30303) == "open"
    # without the rules the reply takes the management default route and is lost
    lab.run("a", "sh", "-c", "while ip -4 rule del pref 1000 2>/dev/null; do :; done")
    try:
        assert " dev eth0 " in lab.run("a", "ip", "-4", "route", "get", "203.0.113.50", "from", "192.0.2.11").stdout
        assert lab.tcp("far", "192.0.2.11", 30303) == "dropped"
    finally:
        # the script restores them, and running it twice leaves exactly one copy of each rule
        lab.run("a", "sh", "-c", rendered["node-a.p2p-routing.sh"])
        lab.run("a", "sh", "-c", rendered["node-a.p2p-routing.sh"])
    rules = [line for line in lab.run("a", "ip", "-4", "rule", "show").stdout.splitlines() if line.startswith("1000:")]
    assert len(rules) == 2, rules
    assert lab.tcp("far", "192.0.2.11", 30303) == "open"


def test_reload_keeps_other_tables(lab, rendered):
    # loading the file again replaces only our table: kube-proxy's (imitated) table and its DNAT survive
    lab.nft("a", rendered["node-a.nft"])
    assert "table ip kpimit" in lab.run("a", "nft", "list", "tables").stdout
    assert lab.tcp("out", "10.10.0.11", 30080) == "open"
