"""Shared testinfra material for the host-layer scenarios (each molecule/<scenario>/ verifies with ../_shared/tests).

What each scenario converged, and with which values, is spelled out here on purpose: the tests do not read
the role defaults or the scenario's inventory, so a wrong default or a template that ignores a variable
fails them.
"""

from __future__ import annotations

import os
import socket

import pytest

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "")

_K3S_SYSCTLS = {
    "vm.panic_on_oom": "0",
    "vm.overcommit_memory": "1",
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "kernel.keys.root_maxkeys": "1000000",
    "kernel.keys.root_maxbytes": "25000000",
}
_DEFAULT_SYSCTLS = {
    "net.ipv4.conf.all.rp_filter": "2",
    "net.ipv4.conf.default.rp_filter": "2",
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "fs.inotify.max_user_instances": "8192",
    "fs.inotify.max_user_watches": "1048576",
    "fs.file-max": "2097152",
    **_K3S_SYSCTLS,
}

EXPECT = {
    "host-default": {
        "container": "chainops-host-default",
        "address": "10.88.200.11",
        "codename": "bookworm",
        "roles": {"baseline", "storage", "firewall"},
        "sysctls": _DEFAULT_SYSCTLS,
        "modules": ["overlay", "br_netfilter"],
        "nofile": "1048576",
        "journald": {"Storage": "persistent", "SystemMaxUse": "2G", "RuntimeMaxUse": "256M", "MaxRetentionSec": "1month"},
        "chrony_lines": ["local stratum 10"],
        "chrony_absent": ["pool ", "server ", "allow "],
        "assert_synced": False,
        "upgrades": True,
        "ssh_port": 22,
        "ssh": {
            "passwordauthentication": "no",
            "kbdinteractiveauthentication": "no",
            "pubkeyauthentication": "yes",
            "permitrootlogin": {"without-password", "prohibit-password"},
            "maxauthtries": "3",
            "x11forwarding": "no",
            "allowtcpforwarding": "no",
            "permitemptypasswords": "no",
        },
        "admins_present": ["opsadmin"],
        "admins_absent": [],
        "admin_group": "chainops-admin",
        "topology": {
            "node_name": "chainops-host-default",
            "zone": "molecule",
            "rack": "rack-a",
            "labels": {"topology.kubernetes.io/zone": "molecule", "topology.chainops.io/rack": "rack-a"},
        },
        "fstab_swap_commented": False,
        "data_path": "/var/lib/chainops",
        "data_owner": "root",
        "data_mode": 0o755,
        "firewall": {
            "sets": {
                "admin4": ["10.88.0.0/16"],
                "api4": ["10.88.0.0/16"],
                "nodes4": ["10.88.200.11"],
                "servers4": ["10.88.200.11"],
                "pods4": ["10.42.0.0/16"],
                "services4": ["10.43.0.0/16"],
                "ntp4": [],
                "p2p_pool4": ["10.89.201.192/28"],
                "bgp_peers4": ["10.88.0.254"],
                "bfd_peers4": [],
            },
            "server": True,
            # P2P on eth1 (a veth prepare.yml adds), apart from the management eth0: prerouting guard and routing
            "p2p_guard": True,
            "routing": {"table": "200", "address": "10.89.201.11", "gateway": "10.89.201.1", "interface": "eth1", "network": "10.89.201.0/24"},
            "p2p_interface": "eth1",
            "p2p_tcp": ["9000", "30303"],
            "p2p_udp": ["9000", "9001", "30303"],
            "ping": True,
            "log": False,
            # from the controller (10.88.0.1): port -> "open" (accepted, answered), "closed" (accepted, nothing
            # listens: RST), "dropped" (no answer at all)
            "probes": {22: "open", 6443: "closed", 10250: "dropped", 30303: "dropped", 9100: "dropped", 2379: "dropped"},
        },
        "ssh_login": {"user": "opsadmin", "key": "id_opsadmin"},
    },
    "host-trixie": {
        "container": "chainops-host-trixie",
        "address": "10.88.201.11",
        "codename": "trixie",
        "roles": {"baseline", "storage", "firewall"},
        "sysctls": {**_DEFAULT_SYSCTLS, "net.core.somaxconn": "4096", "fs.inotify.max_user_watches": "524288"},
        "modules": ["overlay", "br_netfilter"],
        "nofile": "524288",
        "journald": {"Storage": "volatile", "SystemMaxUse": "1G", "RuntimeMaxUse": "128M", "MaxRetentionSec": "2week"},
        "chrony_lines": ["local stratum 8", "allow 10.88.0.0/16"],
        "chrony_absent": ["pool ", "server "],
        "assert_synced": True,
        "upgrades": False,
        "ssh_port": 2222,
        "ssh": {
            "passwordauthentication": "no",
            "kbdinteractiveauthentication": "no",
            "pubkeyauthentication": "yes",
            "permitrootlogin": {"no"},
            "maxauthtries": "2",
            "x11forwarding": "no",
            "allowtcpforwarding": "yes",
            "port": "2222",
        },
        "admins_present": ["alice", "bob"],
        "admins_absent": ["mallory"],
        "admin_group": "ethops",
        "topology": {
            "node_name": "eth-node-7",
            "zone": "dc2",
            "rack": "r12",
            "labels": {"topology.kubernetes.io/zone": "dc2", "topology.chainops.io/rack": "r12", "chainops.io/role": "validator-host"},
        },
        "fstab_swap_commented": True,
        "data_path": "/srv/ethereum",
        "data_owner": "alice",
        "data_mode": 0o750,
        "firewall": {
            "sets": {
                "admin4": ["192.0.2.0/24"],
                "admin6": ["2001:db8::/32"],
                "api4": ["10.88.201.11", "198.51.100.0/24"],
                "nodes4": ["10.88.201.11"],
                "pods4": ["10.52.0.0/16"],
                "services4": ["10.60.0.0/16"],
                "ntp4": ["10.88.0.0/16"],
            },
            "server": False,
            # P2P shares the management interface: no prerouting guard, no second routing table
            "p2p_guard": False,
            "routing": None,
            "p2p_interface": "eth0",
            "p2p_tcp": ["9000", "30303", "30304", "9100-9101"],
            "p2p_udp": ["9000", "9001", "30303", "30304"],
            "ping": False,
            "log": True,
            # the controller is outside the admin networks here: even SSH is dropped for it, while Ansible,
            # which goes through podman exec, is unaffected
            "probes": {2222: "dropped", 22: "dropped", 6443: "dropped", 30304: "closed", 9101: "closed", 10250: "dropped"},
        },
        "ssh_login": None,
    },
}

EXPECT.update(
    {
        "storage-loop": {
            "container": "chainops-storage-loop",
            "roles": {"storage"},
            "data_path": "/srv/chain",
            "data_owner": "root",
            "data_mode": 0o750,
            "device": {"disk": "data", "partition": True, "lvm": "if-kernel-has-device-mapper", "fstype": "xfs", "label": "chain-data", "options": {"noatime"}},
            "refused": {"disk": "foreign", "reason": "already holds ext4 signature labelled precious"},
            "wiped": None,
        },
        "storage-force": {
            "container": "chainops-storage-force",
            "roles": {"storage"},
            "data_path": "/var/lib/chain13",
            "data_owner": "root",
            "data_mode": 0o755,
            "device": {"disk": "old", "partition": False, "lvm": False, "fstype": "ext4", "label": "chaindata-13", "options": {"noatime", "commit=60"}},
            "refused": {"disk": "partitioned", "reason": "already holds gpt partition table"},
            "wiped": {"disk": "old", "old_label": "old-data"},
        },
    }
)


@pytest.fixture(scope="session")
def expect():
    """Expectations for the scenario under test."""
    if SCENARIO not in EXPECT:
        pytest.skip("no host-layer expectations for scenario %r" % SCENARIO)
    return EXPECT[SCENARIO]


def needs_role(role):
    """Skip a test module whose role this scenario does not converge."""
    if SCENARIO in EXPECT and role not in EXPECT[SCENARIO]["roles"]:
        pytest.skip("scenario %s does not converge roles/%s" % (SCENARIO, role), allow_module_level=True)
    if SCENARIO not in EXPECT:
        pytest.skip("no host-layer expectations for scenario %r" % SCENARIO, allow_module_level=True)


def hosts():
    """testinfra_hosts for the scenario: the podman backend (podman exec) on its container."""
    if SCENARIO in EXPECT:
        return ["podman://" + EXPECT[SCENARIO]["container"]]
    return []


def tcp_state(address, port, timeout=3.0):
    """'open' (connected), 'closed' (refused: a RST came back) or 'dropped' (no answer within timeout)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
        return "open"
    except ConnectionRefusedError:
        return "closed"
    except (socket.timeout, TimeoutError):
        return "dropped"
    finally:
        sock.close()


def in_container(host):
    """True when the test host is a container (kernel-wide settings then belong to the machine)."""
    return host.run("systemd-detect-virt --container").rc == 0
