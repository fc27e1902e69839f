"""host_probe module: the readers behind the one-call host probe, on fake /proc and /etc trees."""

import os

from ansible_collections.chainops.ethereum.plugins.modules import host_probe


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as handle:
        handle.write(text)


def test_read_sysctls(tmp_path):
    write(str(tmp_path / "vm" / "overcommit_memory"), "1\n")
    write(str(tmp_path / "net" / "ipv4" / "tcp_rmem"), "4096\t87380\t6291456\n")
    values = host_probe.read_sysctls(["vm.overcommit_memory", "net.ipv4.tcp_rmem", "net.bridge.bridge-nf-call-iptables"], str(tmp_path))
    assert values == {"vm.overcommit_memory": "1", "net.ipv4.tcp_rmem": "4096 87380 6291456", "net.bridge.bridge-nf-call-iptables": None}


def test_active_swap(tmp_path):
    swaps = tmp_path / "swaps"
    write(str(swaps), "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1024 0 -2\n")
    assert host_probe.active_swap(str(swaps)) == ["/swapfile"]
    write(str(swaps), "Filename\tType\tSize\tUsed\tPriority\n")
    assert host_probe.active_swap(str(swaps)) == []
    assert host_probe.active_swap(str(tmp_path / "missing")) == []


def test_fstab_swap_lines(tmp_path):
    fstab = tmp_path / "fstab"
    write(str(fstab), "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n# /old none swap sw 0 0\n\n")
    assert host_probe.fstab_swap_lines(str(fstab)) == ["/swapfile none swap sw 0 0"]


def test_detect_container(tmp_path):
    proc, run = tmp_path / "proc", tmp_path / "run"
    write(str(proc / "1" / "environ"), "PATH=/bin\0container=podman\0")
    assert host_probe.detect_container(str(proc), str(run)) == "podman"
    write(str(proc / "1" / "environ"), "PATH=/bin\0")
    os.makedirs(str(run))
    assert host_probe.detect_container(str(proc), str(run)) in ("none", "docker")
    write(str(run / ".containerenv"), "")
    assert host_probe.detect_container(str(proc), str(run)) == "podman"


def test_ancestor_env_walks_up_to_the_ssh_session(tmp_path):
    proc = tmp_path / "proc"
    # 300 (python, sudo-cleaned env) -> 200 (sudo) -> 100 (the shell sshd started)
    write(str(proc / "300" / "environ"), "PATH=/bin\0")
    write(str(proc / "300" / "stat"), "300 (python3) S 200 300 300 0")
    write(str(proc / "200" / "environ"), "SUDO_USER=ops\0")
    write(str(proc / "200" / "stat"), "200 (sudo (x)) S 100 200 200 0")
    write(str(proc / "100" / "environ"), "SSH_CONNECTION=10.10.0.5 51234 10.10.0.11 22\0")
    write(str(proc / "100" / "stat"), "100 (bash) S 1 100 100 0")
    assert host_probe.ancestor_env("SSH_CONNECTION", 300, str(proc)) == "10.10.0.5 51234 10.10.0.11 22"
    assert host_probe.ancestor_env("NOT_THERE", 300, str(proc)) == ""


def test_login_info_from_sudo(monkeypatch):
    monkeypatch.setattr(host_probe, "ancestor_env", lambda name: "")
    info = host_probe.login_info({"SUDO_USER": "root", "SSH_CONNECTION": "192.0.2.9 40000 192.0.2.1 2222"})
    assert info["login_user"] == "root"
    assert info["ssh_client"] == "192.0.2.9"
    assert info["ssh_server_port"] == 2222
    assert host_probe.login_info({"SUDO_USER": "root"})["ssh_client"] == ""


def test_parse_systemctl_show():
    text = "ActiveState=active\nUnitFileState=enabled\nLoadState=loaded\n\nActiveState=inactive\nUnitFileState=\nLoadState=not-found\n"
    states = host_probe.parse_systemctl_show(text, ["chrony.service", "nope.service"])
    assert states == {"chrony.service": {"active": "active", "enabled": "enabled"}, "nope.service": {"active": "not-found", "enabled": "not-found"}}


def test_parse_dpkg_status():
    out = "chrony installed\nnftables not-installed\nsudo installed\n"
    assert host_probe.parse_dpkg_status(out, ["chrony", "nftables", "sudo", "lvm2"]) == ["nftables", "lvm2"]
    assert host_probe.parse_dpkg_status("libc6:amd64 installed\n", ["libc6"]) == []
