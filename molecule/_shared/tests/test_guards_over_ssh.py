"""The lockout guards over a real SSH connection from the controller (host-default only).

ansible-playbook connects to the converged container as the admin user with its key (pipelining, sudo) and
runs only the preflight of roles/baseline or roles/firewall: the probe must see the SSH connection through
sudo, and the guards must refuse what would cut this controller off - and allow what would not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import EXPECT, SCENARIO

ROOT = Path(__file__).resolve().parents[3]


def _run_guard(tmp_path, role, extra):
    login = EXPECT[SCENARIO]["ssh_login"]
    key = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], login["key"])
    expect = EXPECT[SCENARIO]
    inventory = {
        "k3s_cluster": {
            "hosts": {
                "guarded": {
                    "ansible_host": expect["address"],
                    "ansible_user": login["user"],
                    "ansible_port": expect["ssh_port"],
                    "ansible_ssh_private_key_file": key,
                    "ansible_connection": "ssh",
                    "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes",
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "chainops_mgmt_address": expect["address"],
                    "chainops_rack": "rack-a",
                    "chainops_zone": "molecule",
                    "chainops_admin_cidrs": ["10.88.0.0/16"],
                    "chainops_mgmt_interface": "eth0",
                    "chainops_p2p_interface": "eth1",
                    "chainops_p2p_address": "10.89.201.11",
                    "chainops_p2p_network": "10.89.201.0/24",
                    "chainops_p2p_gateway": "10.89.201.1",
                    "k3s_cluster_cidr": "10.42.0.0/16",
                    "k3s_service_cidr": "10.43.0.0/16",
                    "baseline_chrony_pools": [],
                    "baseline_chrony_local_stratum": 10,
                    "baseline_admin_users": [{"name": login["user"], "keys": [Path(key + ".pub").read_text().strip()]}],
                    "guard_role": role,
                    **extra,
                }
            }
        }
    }
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"),
        ANSIBLE_PIPELINING="true",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
    )
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(inv),
            "--tags",
            "%s_preflight" % role,
            str(ROOT / "molecule" / "_shared" / "guards-over-ssh.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=str(tmp_path),
        env=env,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(autouse=True)
def _only_with_ssh_login():
    if SCENARIO not in EXPECT or not EXPECT[SCENARIO].get("ssh_login"):
        pytest.skip("this scenario gives the controller no SSH access (see test_firewall)")
    if not shutil.which("ssh"):
        pytest.skip("no ssh client on this machine (Debian package openssh-client)")
    if not os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY"):
        pytest.skip("needs the key prepare.yml made in MOLECULE_EPHEMERAL_DIRECTORY")


def test_firewall_allows_a_controller_inside_the_admin_networks(tmp_path):
    rc, out = _run_guard(tmp_path, "firewall", {})
    assert rc == 0, out[-3000:]
    assert "Refuse a ruleset that would cut off this controller" in out


def test_firewall_refuses_to_cut_off_the_controller(tmp_path):
    rc, out = _run_guard(tmp_path, "firewall", {"chainops_admin_cidrs": ["192.0.2.0/24"]})
    assert rc != 0
    assert "Ansible reaches this host over SSH from 10.88.0.1 to port 22" in out, out[-3000:]


def test_baseline_refuses_to_delete_the_login_account(tmp_path):
    login = EXPECT[SCENARIO]["ssh_login"]
    rc, out = _run_guard(tmp_path, "baseline", {"baseline_admin_users": [{"name": login["user"], "state": "absent"}]})
    assert rc != 0
    assert "SSH hardening stopped before it could lock you out" in out, out[-3000:]
    assert "marks %s absent" % login["user"] in out


def test_baseline_refuses_exclusive_keys_for_the_login_account(tmp_path):
    rc, out = _run_guard(tmp_path, "baseline", {"baseline_admin_exclusive_keys": True})
    assert rc != 0
    assert "baseline_admin_exclusive_keys=true" in out, out[-3000:]


def test_baseline_preflight_passes_over_ssh(tmp_path):
    rc, out = _run_guard(tmp_path, "baseline", {})
    assert rc == 0, out[-3000:]
