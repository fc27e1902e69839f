"""host_sysctl_drift: which sysctls differ in the running kernel."""

from ansible_collections.chainops.ethereum.plugins.filter.host_kernel import host_sysctl_drift


def test_no_drift():
    assert host_sysctl_drift({"vm.overcommit_memory": 1, "kernel.panic": "10"}, {"vm.overcommit_memory": "1", "kernel.panic": "10"}) == []


def test_drift_lists_wanted_values():
    drift = host_sysctl_drift({"vm.overcommit_memory": 1, "kernel.panic": 10}, {"vm.overcommit_memory": "0", "kernel.panic": "10"})
    assert drift == ["vm.overcommit_memory=1"]


def test_whitespace_is_normalised():
    wanted = {"net.ipv4.tcp_rmem": "4096 87380  6291456"}
    assert host_sysctl_drift(wanted, {"net.ipv4.tcp_rmem": "4096\t87380\t6291456"}) == []
    assert host_sysctl_drift(wanted, {"net.ipv4.tcp_rmem": "4096\t87380\t4194304"}) == ["net.ipv4.tcp_rmem=4096 87380 6291456"]


def test_missing_keys_are_left_to_the_refusal():
    assert host_sysctl_drift({"net.bridge.bridge-nf-call-iptables": 1}, {"net.bridge.bridge-nf-call-iptables": None}) == []
