"""roles/baseline: the real state of the converged host."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import hosts, in_container, needs_role

needs_role("baseline")
testinfra_hosts = hosts()


def test_distribution(host, expect):
    assert host.system_info.distribution == "debian"
    assert host.system_info.codename == expect["codename"]


@pytest.mark.parametrize("package", ["chrony", "nftables", "openssh-server", "unattended-upgrades", "sudo", "conntrack"])
def test_packages_installed(host, package):
    assert host.package(package).is_installed


def _sysctl_file(host):
    content = host.file("/etc/sysctl.d/90-chainops.conf").content_string
    pairs = {}
    for raw in content.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_sysctls_persisted(host, expect):
    assert _sysctl_file(host) == expect["sysctls"]


def test_sysctl_keys_exist_in_the_kernel(host, expect):
    # every persisted key must be a real key of the running kernel (a typo would be ignored at boot)
    for key in expect["sysctls"]:
        assert host.file("/proc/sys/" + key.replace(".", "/")).exists, key


def test_sysctls_live(host, expect):
    if in_container(host):
        pytest.skip("container: kernel-wide sysctls belong to the host and /proc/sys is read-only; the role only persists them")
    for key, value in expect["sysctls"].items():
        assert " ".join(host.check_output("sysctl -n %s", key).split()) == value, key


def test_kernel_modules_persisted(host, expect):
    content = host.file("/etc/modules-load.d/chainops.conf").content_string
    assert [line for line in content.splitlines() if line and not line.startswith("#")] == expect["modules"]


def test_kernel_modules_in_running_kernel(host):
    # loaded or built in, the running kernel has them; visible read-only from a container as well
    assert host.file("/sys/module/overlay").exists
    assert host.file("/proc/sys/net/bridge/bridge-nf-call-iptables").exists


def test_kernel_modules_loaded_by_role(host, expect):
    if in_container(host):
        pytest.skip("container: modules cannot be loaded from inside (no CAP_SYS_MODULE; the kernel is the host's)")
    modules = host.check_output("cat /proc/modules").split("\n")
    names = {line.split()[0] for line in modules if line}
    for module in expect["modules"]:
        assert module in names or host.file("/sys/module/" + module).exists


def test_swap_off(host, expect):
    assert host.file("/proc/swaps").content_string.strip().splitlines()[1:] == []
    fstab = host.file("/etc/fstab").content_string.splitlines()
    active = [line for line in fstab if line.split()[2:3] == ["swap"] and not line.lstrip().startswith("#")]
    assert active == []
    commented = [line for line in fstab if line.startswith("# disabled by chainops (kubelet):")]
    assert bool(commented) == expect["fstab_swap_commented"]


def test_limits(host, expect):
    content = host.file("/etc/security/limits.d/90-chainops.conf").content_string
    for who in ("*", "root"):
        for kind in ("soft", "hard"):
            assert any(line.split() == [who, kind, "nofile", expect["nofile"]] for line in content.splitlines())


def test_journald(host, expect):
    effective = host.check_output("systemd-analyze cat-config systemd/journald.conf")
    settings = {}
    for line in effective.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            settings[key.strip()] = value.strip()
    for key, value in expect["journald"].items():
        assert settings.get(key) == value, key
    assert host.service("systemd-journald").is_running


def test_chrony(host, expect):
    chrony = host.service("chrony")
    assert chrony.is_running
    assert chrony.is_enabled
    config = host.file("/etc/chrony/chrony.conf").content_string
    for line in expect["chrony_lines"]:
        assert line in config.splitlines()
    for prefix in expect["chrony_absent"]:
        assert not [line for line in config.splitlines() if line.startswith(prefix)], prefix
    cmdline = host.check_output("cat /proc/$(pidof chronyd | cut -d' ' -f1)/cmdline | tr '\\0' ' '")
    if in_container(host):
        # a container must never set the machine's clock
        assert " -x" in " " + cmdline
    else:
        assert " -x" not in " " + cmdline


def test_chrony_reports_synchronised(host, expect):
    if not expect["assert_synced"]:
        pytest.skip("this scenario does not assert synchronisation (container, no reachable time source)")
    tracking = host.check_output("chronyc -n -c tracking").split(",")
    assert tracking[-1].strip() == "Normal"
    assert abs(float(tracking[4])) <= 0.5


def test_unattended_upgrades(host, expect):
    dump = host.check_output("apt-config dump")
    enabled = "1" if expect["upgrades"] else "0"
    assert 'APT::Periodic::Unattended-Upgrade "%s";' % enabled in dump
    origins = [line for line in dump.splitlines() if line.startswith("Unattended-Upgrade::Origins-Pattern:: ")]
    assert origins and all("label=Debian-Security" in line for line in origins)
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in dump
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        assert host.service(timer).is_enabled == expect["upgrades"]
        assert host.service(timer).is_running == expect["upgrades"]


def test_sshd_effective_config(host, expect):
    effective = {}
    for line in host.check_output("sshd -T").splitlines():
        key, _sep, value = line.partition(" ")
        effective.setdefault(key, value)
    for key, value in expect["ssh"].items():
        allowed = value if isinstance(value, set) else {value}
        assert effective.get(key) in allowed, key
    assert effective["port"] == str(expect["ssh_port"])
    assert host.service("ssh").is_running
    assert host.socket("tcp://0.0.0.0:%d" % expect["ssh_port"]).is_listening


def test_admin_users(host, expect):
    for name in expect["admins_present"]:
        user = host.user(name)
        assert user.exists
        assert expect["admin_group"] in user.groups
        keys = host.file("/home/%s/.ssh/authorized_keys" % name)
        assert keys.exists and keys.mode == 0o600 and keys.content_string.strip()
        # keys only: no usable password
        assert host.check_output("getent shadow %s", name).split(":")[1] in ("*", "!", "!*")
    for name in expect["admins_absent"]:
        assert not host.user(name).exists
    sudoers = host.file("/etc/sudoers.d/90-chainops-admin")
    assert sudoers.mode == 0o440
    assert host.run("visudo -cf /etc/sudoers.d/90-chainops-admin").rc == 0
    if expect["admins_present"]:
        assert "NOPASSWD: ALL" in host.check_output("sudo -l -U %s", expect["admins_present"][0])


def test_topology_fact(host, expect):
    fact = json.loads(host.file("/etc/ansible/facts.d/chainops_topology.fact").content_string)
    assert fact == expect["topology"]


def test_ssh_login_with_key_only(expect):
    """From the controller: the admin logs in with the key; password authentication is not even offered."""
    login = expect["ssh_login"]
    if not login:
        pytest.skip("this scenario keeps the controller outside the admin networks (tested in test_firewall)")
    if not shutil.which("ssh"):
        pytest.skip("no ssh client on this machine (Debian package openssh-client)")
    keydir = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
    key = os.path.join(keydir, login["key"])
    if not keydir or not os.path.exists(key):
        pytest.skip("no test key in MOLECULE_EPHEMERAL_DIRECTORY (prepare.yml creates it)")
    base = [
        "ssh",
        "-p",
        str(expect["ssh_port"]),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "LogLevel=ERROR",
    ]
    ok = subprocess.run(
        base + ["-i", key, "-o", "IdentitiesOnly=yes", "%s@%s" % (login["user"], expect["address"]), "id", "-un"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == login["user"]
    refused = subprocess.run(
        base
        + [
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            "%s@%s" % (login["user"], expect["address"]),
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert refused.returncode != 0
    assert "Permission denied (publickey)" in refused.stderr


def test_p2p_source_routing(host, expect):
    routing = expect["firewall"]["routing"]
    unit = host.service("chainops-p2p-routing")
    if routing is None:
        # P2P shares the management interface: neither script nor unit, and no rule at our preference
        assert not host.file("/etc/chainops/p2p-routing.sh").exists
        assert host.run("systemctl is-enabled chainops-p2p-routing").stdout.strip() == "not-found"
        assert [line for line in host.check_output("ip -4 rule show").splitlines() if line.startswith("1000:")] == []
        return
    assert unit.is_enabled
    assert unit.is_running
    rules = "\n".join(line for line in host.check_output("ip -4 rule show").splitlines() if line.startswith("1000:"))
    assert "from %s lookup %s" % (routing["address"], routing["table"]) in rules
    assert "fwmark 0x1000000/0x1000000 lookup %s" % routing["table"] in rules
    table = host.check_output("ip -4 route show table %s", routing["table"])
    assert "default via %s dev %s" % (routing["gateway"], routing["interface"]) in table
    assert "%s dev %s" % (routing["network"], routing["interface"]) in table
    # replies from the P2P address go out of the P2P interface; anything else keeps the main table
    assert "dev %s" % routing["interface"] in host.check_output("ip -4 route get 203.0.113.9 from %s", routing["address"])
    assert "dev eth0" in host.check_output("ip -4 route get 203.0.113.9")
