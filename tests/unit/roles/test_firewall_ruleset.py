"""The ruleset roles/firewall renders and the routing script roles/baseline renders, read as text.

Rendered by the roles themselves (tasks_from: render) for the two-node inventory of tests/netns/fixtures;
tests/netns loads the same files into network namespaces and proves their behaviour.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIXTURES = os.path.join(REPO, "tests", "netns", "fixtures")
POD_IFACES = '{ "cni0", "flannel.1", "flannel-v6.1", "flannel-wg", "flannel-wg-v6" }'

pytestmark = pytest.mark.slow


def render(tmp_path, **extra):
    """Run the fixture playbook; returns (returncode, {file name: text}, output)."""
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(REPO, "tests", "repo", "fixtures", "plain.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
        ANSIBLE_LOCALHOST_WARNING="false",
    )
    variables = dict(extra, render_dir=str(tmp_path))
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), os.path.join(FIXTURES, "render.yml"), "-i", os.path.join(FIXTURES, "hosts.yml"),
           "-e", json.dumps(variables)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    files = {name: (tmp_path / name).read_text() for name in os.listdir(tmp_path)}
    return proc.returncode, files, proc.stdout + proc.stderr


def chain(text, name):
    """The body of one chain of the rendered ruleset."""
    match = re.search(r"\tchain %s \{\n(.*?)\n\t\}" % re.escape(name), text, re.S)
    assert match, "chain %s not rendered" % name
    return match.group(1)


def set_elements(text, name):
    match = re.search(r"\tset %s \{\n[^}]*?(?:elements = \{ ([^}]*) \}\n)?\t\}" % re.escape(name), text)
    assert match, "set %s not rendered" % name
    return match.group(1).split(", ") if match.group(1) else []


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    rc, files, output = render(tmp_path_factory.mktemp("default"))
    assert rc == 0, output[-3000:]
    return files


def test_server_serves_api_to_nodes_and_etcd_to_servers_only(default):
    inp = chain(default["node-a.nft"], "input")
    assert "ip saddr @api4 tcp dport 6443 accept" in inp
    assert "ip saddr @servers4 tcp dport { 2379-2380 } accept" in inp
    assert set_elements(default["node-a.nft"], "servers4") == ["10.10.0.11"]
    assert set_elements(default["node-a.nft"], "nodes4") == ["10.10.0.11", "10.10.0.12"]
    assert "6443" not in re.sub(r".*@api[46] tcp dport 6443 accept\n", "", inp)
    assert [line for line in inp.splitlines() if "2379" in line and "@servers" not in line] == []


def test_agent_opens_neither_api_nor_etcd(default):
    inp = chain(default["node-b.nft"], "input")
    assert "6443" not in inp
    assert "2379" not in inp
    assert "ip saddr @nodes4 tcp dport { 7946, 10250 } accept" in inp


def test_exporters_open_to_the_nodes(default):
    for node in ("node-a.nft", "node-b.nft"):
        assert "ip saddr @nodes4 tcp dport { 9100, 9120, 9140-9141 } accept" in chain(default[node], "input")


def test_pod_sources_only_from_pod_interfaces_and_no_service_sources(default):
    text = default["node-a.nft"]
    inp = chain(text, "input")
    assert set_elements(text, "pods4") == ["10.42.0.0/16"]
    assert set_elements(text, "services4") == ["10.43.0.0/16"]
    drop = inp.index("iifname != %s ip saddr @pods4 drop" % POD_IFACES)
    assert inp.index("ip saddr @services4 drop") < drop
    # the forged-source drops come before any accept a source address could earn
    assert drop < inp.index("ip saddr @admin4")
    assert "iifname %s ip saddr @pods4 accept" % POD_IFACES in inp
    assert "@services4 accept" not in text
    assert "trusted" not in text


def test_bgp_and_bfd_from_the_configured_peers(default):
    text = default["node-a.nft"]
    assert set_elements(text, "bgp_peers4") == ["10.10.0.1", "10.10.0.2"]
    assert set_elements(text, "bfd_peers4") == ["10.10.0.1"]
    inp = chain(text, "input")
    assert "ip saddr @bgp_peers4 tcp dport 179 accept" in inp
    assert "ip saddr @bfd_peers4 udp dport { 3784, 4784 } accept" in inp


def test_p2p_guard_sits_before_kube_proxys_dnat(default):
    text = default["node-a.nft"]
    hook = chain(text, "p2p_prerouting")
    assert "type filter hook prerouting priority dstnat - 10; policy accept;" in hook
    assert 'iifname "eth1" jump p2p_ingress' in hook
    guard = chain(text, "p2p_ingress").splitlines()
    assert guard[-1].strip() == "drop"
    body = "\n".join(guard)
    for source in ("pods4", "services4", "nodes4"):
        assert "ip saddr @%s drop" % source in body
    assert set_elements(text, "p2p_pool4") == ["192.0.2.192/28"]
    assert "ip daddr @p2p_pool4 tcp dport { 9000, 30303 } ct mark set ct mark or 0x01000000 accept" in body
    assert "ip daddr @p2p_pool4 udp dport { 9000, 9001, 30303 } ct mark set ct mark or 0x01000000 accept" in body
    assert "fib daddr type local tcp dport { 9000, 30303 } ct mark set ct mark or 0x01000000 accept" in body
    accepts = [line.strip() for line in guard if line.strip().endswith("accept")]
    # every accept for a new flow names a P2P port, SSH from admins, BGP/BFD from peers, or is ICMP/ND/established
    for line in accepts:
        assert re.search(r"dport \{ 9000|@admin|@bgp_peers|@bfd_peers|icmpv6 type|l4proto \{ 1, 58 \}|ct state established", line), line
    assert "ct direction reply ct mark and 0x01000000 == 0x01000000 meta mark set meta mark or 0x01000000" in hook


def test_routing_script(default):
    script = default["node-a.p2p-routing.sh"]
    assert "ip -4 route replace 192.0.2.0/24 dev eth1 src 192.0.2.11 table 200" in script
    assert "ip -4 route replace default via 192.0.2.1 dev eth1 src 192.0.2.11 table 200" in script
    assert "ip -4 rule add pref 1000 from 192.0.2.11 lookup 200" in script
    assert "ip -4 rule add pref 1000 fwmark 0x1000000/0x1000000 lookup 200" in script
    # the old rules go first, so a rerun never stacks duplicates
    assert script.index("rule del pref 1000") < script.index("rule add")


def test_embedded_registry_and_no_mark(tmp_path):
    rc, files, output = render(tmp_path, k3s_embedded_registry=True, baseline_p2p_route_mark=0)
    assert rc == 0, output[-3000:]
    for node in ("node-a.nft", "node-b.nft"):
        assert "ip saddr @nodes4 tcp dport { 5001, 6443 } accept" in chain(files[node], "input")
    assert "ct mark" not in files["node-a.nft"]
    assert "fwmark" not in files["node-a.p2p-routing.sh"]


def test_no_guard_when_p2p_shares_the_management_interface(tmp_path):
    rc, files, output = render(tmp_path, chainops_p2p_interface="eth0", render_routing=False)
    assert rc == 0, output[-3000:]
    assert "p2p_prerouting" not in files["node-a.nft"]
    assert 'iifname "eth0" tcp dport { 9000, 30303 } accept' in chain(files["node-a.nft"], "input")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"metallb_bgp_peers": [{"address": "10.0.0.1", "asn": "x"}]}, r"firewall_bgp_peers\[0\]\.asn"),
        ({"metallb_pools": [{"name": "p", "network": "p2p", "addresses": ["192.0.2.9-192.0.2.1"]}]}, r"firewall_p2p_pools\[p\]\.addresses"),
    ],
)
def test_bad_values_stop_the_render_naming_the_variable(tmp_path, extra, message):
    rc, files, output = render(tmp_path, render_routing=False, **extra)
    assert rc != 0
    assert re.search(message, output), output[-2000:]
    assert "node-a.nft" not in files
