"""roles/firewall: the loaded nftables ruleset, its boot unit, and what it lets through from the outside."""

from __future__ import annotations

import ipaddress
import json

import pytest
from conftest import hosts, needs_role, tcp_state

needs_role("firewall")
testinfra_hosts = hosts()

TABLE = "chainops_host"


@pytest.fixture(scope="module")
def ruleset(host):
    data = json.loads(host.check_output("nft -j list table inet %s", TABLE))["nftables"]
    out = {"table": None, "sets": {}, "chains": {}, "rules": []}
    for item in data:
        if "table" in item:
            out["table"] = item["table"]
        elif "set" in item:
            out["sets"][item["set"]["name"]] = item["set"]
        elif "chain" in item:
            out["chains"][item["chain"]["name"]] = item["chain"]
        elif "rule" in item:
            out["rules"].append(item["rule"])
    return out


def _elements(nft_set):
    """Set elements as text: '10.0.0.0/16', '10.0.0.5' or 'a-b' for ranges."""
    found = []
    for elem in nft_set.get("elem", []):
        if isinstance(elem, dict) and "prefix" in elem:
            found.append("%s/%s" % (elem["prefix"]["addr"], elem["prefix"]["len"]))
        elif isinstance(elem, dict) and "range" in elem:
            found.append("%s-%s" % tuple(elem["range"]))
        else:
            found.append(str(elem))
    return found


def _rule_text(host):
    return host.check_output("nft list chain inet %s input", TABLE)


def test_input_chain_drops_by_default(ruleset):
    chain = ruleset["chains"]["input"]
    assert chain["hook"] == "input"
    assert chain["type"] == "filter"
    assert chain["policy"] == "drop"


def test_established_accepted_first(ruleset):
    first = ruleset["rules"][0]["expr"]
    match = first[0]["match"]
    assert match["left"] == {"ct": {"key": "state"}}
    assert set(match["right"]) == {"established", "related"}
    assert first[-1] == {"accept": None}


def test_address_sets(ruleset, expect):
    for name, wanted in expect["firewall"]["sets"].items():
        got = _elements(ruleset["sets"][name])
        assert sorted(got, key=lambda t: ipaddress.ip_network(t.split("-")[0], strict=False)) == sorted(
            wanted, key=lambda t: ipaddress.ip_network(t.split("-")[0], strict=False)
        ), name


def test_ssh_only_from_admin_sets(host, expect):
    text = _rule_text(host)
    port = expect["ssh_port"]
    assert "ip saddr @admin4 tcp dport %d accept" % port in text
    assert "ip6 saddr @admin6 tcp dport %d accept" % port in text
    # no other rule opens the SSH port
    assert [line for line in text.splitlines() if "dport %d " % port in line and "@admin" not in line] == []


def test_k3s_ports_only_between_nodes(host, expect):
    text = _rule_text(host)
    assert "ip saddr @nodes4 tcp dport { 7946, 10250 } accept" in text
    assert "ip saddr @nodes4 udp dport { 7946, 8472, 51820-51821 } accept" in text
    assert "ip saddr @nodes4 tcp dport { 9100, 9120, 9140-9141 } accept" in text
    # the API and etcd are served by servers only; etcd only to the other servers
    assert ("ip saddr @api4 tcp dport 6443 accept" in text) == expect["firewall"]["server"]
    # (nft lists a one-element set without braces)
    assert ("ip saddr @servers4 tcp dport 2379-2380 accept" in text) == expect["firewall"]["server"]
    for line in text.splitlines():
        if "10250" in line or "8472" in line:
            assert "@nodes" in line, line
        if "2379" in line:
            assert "@servers" in line, line


def _interface_set(line):
    """The interface names of an `iifname [!=] { ... }` match, as a set."""
    inside = line.split("{", 1)[1].split("}", 1)[0]
    return {name.strip().strip('"') for name in inside.split(",")}


def test_pod_sources_tied_to_pod_interfaces(host):
    text = _rule_text(host)
    pod_ifaces = {"cni0", "flannel.1", "flannel-v6.1", "flannel-wg", "flannel-wg-v6"}
    assert "ip saddr @services4 drop" in text
    lines = [line.strip() for line in text.splitlines()]
    drops = [line for line in lines if line.startswith("iifname != {") and line.endswith("ip saddr @pods4 drop")]
    accepts = [line for line in lines if line.startswith("iifname {") and line.endswith("ip saddr @pods4 accept")]
    assert [_interface_set(line) for line in drops] == [pod_ifaces]
    assert [_interface_set(line) for line in accepts] == [pod_ifaces]
    # the drop comes first, and no other rule accepts the pod network
    assert lines.index(drops[0]) < lines.index(accepts[0])
    assert [line for line in lines if "@pods4 accept" in line] == accepts


def test_p2p_guard_before_kube_proxy_dnat(host, ruleset, expect):
    chain = ruleset["chains"].get("p2p_prerouting")
    if not expect["firewall"]["p2p_guard"]:
        assert chain is None
        return
    assert chain["hook"] == "prerouting"
    # kube-proxy's DNAT is at dstnat (-100): the guard must see the original destination
    assert chain["prio"] < -100
    guard = host.check_output("nft list chain inet %s p2p_ingress", TABLE)
    assert "ip daddr @p2p_pool4 tcp dport { 9000, 30303 }" in guard
    assert guard.strip().splitlines()[-3].strip() == "drop"


def test_distribution_nftables_service_masked(host):
    # its /etc/nftables.conf starts with `flush ruleset`: a restart would wipe kube-proxy's and flannel's tables
    assert host.check_output("systemctl is-enabled nftables.service || true").strip() == "masked"


def _ports(values):
    """Expand '9000', '9100-9101' or ints into a set of port numbers."""
    out = set()
    for value in values:
        low, _sep, high = str(value).partition("-")
        out.update(range(int(low), int(high or low) + 1))
    return out


def _iif_dport_rules(ruleset, interface):
    """{protocol: set of ports} accepted by `iifname <interface> <proto> dport {...}` rules (from nft -j)."""
    found = {}
    for rule in ruleset["rules"]:
        expr = rule["expr"]
        matches = [e["match"] for e in expr if "match" in e]
        if not any(m["left"] == {"meta": {"key": "iifname"}} and m["right"] == interface for m in matches):
            continue
        for m in matches:
            left = m["left"].get("payload", {})
            if left.get("field") == "dport":
                right = m["right"]
                items = right["set"] if isinstance(right, dict) and "set" in right else [right]
                ports = set()
                for item in items:
                    if isinstance(item, dict) and "range" in item:
                        ports.update(range(item["range"][0], item["range"][1] + 1))
                    else:
                        ports.add(int(item))
                found.setdefault(left["protocol"], set()).update(ports)
    return found


def test_p2p_ports_on_p2p_interface(ruleset, expect):
    fw = expect["firewall"]
    found = _iif_dport_rules(ruleset, fw["p2p_interface"])
    assert found.get("tcp") == _ports(fw["p2p_tcp"])
    assert found.get("udp") == _ports(fw["p2p_udp"])


def test_ping_and_logging(host, expect):
    text = _rule_text(host)
    assert ("icmp type echo-request" in text) == expect["firewall"]["ping"]
    assert ('log prefix "chainops-drop "' in text) == expect["firewall"]["log"]


def test_loaded_table_is_the_installed_file(host):
    installed = host.file("/etc/chainops/firewall.nft")
    assert installed.mode == 0o640
    assert host.run("nft -c -f /etc/chainops/firewall.nft").rc == 0
    fingerprint = [line.strip() for line in installed.content_string.splitlines() if "chainops ruleset" in line][0]
    # nft's JSON output leaves table comments out; the text listing has it
    assert fingerprint in [line.strip() for line in host.check_output("nft list table inet %s", TABLE).splitlines()]


def test_boot_unit(host):
    unit = host.service("chainops-firewall")
    assert unit.is_enabled
    assert unit.is_running


def test_other_tables_untouched(host):
    # the role replaces its own table only: a table of someone else's (k3s, kube-proxy) survives a reload
    host.run("nft add table inet chainops_test_other")
    try:
        assert host.run("nft -f /etc/chainops/firewall.nft").rc == 0
        assert "table inet chainops_test_other" in host.check_output("nft list tables")
    finally:
        host.run("nft delete table inet chainops_test_other")


@pytest.mark.parametrize("port_state", ["open", "closed", "dropped"])
def test_seen_from_the_controller(expect, port_state):
    """TCP from the controller (10.88.0.1): accepted ports answer (open or RST), everything else is dropped."""
    ports = [p for p, s in expect["firewall"]["probes"].items() if s == port_state]
    if not ports:
        pytest.skip("no port expected %s in this scenario" % port_state)
    for port in ports:
        assert tcp_state(expect["address"], port) == port_state, port
