"""k3s's packaged servicelb and Traefik in the server's rendered config.yaml: left out exactly when the platform layer
provides their replacement (chainops_loadbalancer metallb, chainops_ingress nginx or traefik), kept when the operator
chooses k3s's own, and an explicit k3s_server_disable wins (preflight refuses contradictions, see
tests/preflight/test_checks_platform_components.py)."""

import pytest
import yaml
from role_render import RoleRender

PLAN = {"modes": {"srv1": "cluster-init", "srv2": "join"}, "urls": {host: "https://10.20.0.10:6443" for host in ("srv1", "srv2")}}
INVENTORY = dict(inventory_hostname="srv1", groups={"k3s_servers": ["srv1", "srv2"]}, chainops_mgmt_address="10.20.0.11",
                 chainops_mgmt_interface="eno1", k3s_api_vip="10.20.0.10", __k3s_server_plan=PLAN)


def server_config(**inventory):
    return yaml.safe_load(RoleRender("k3s_common", "k3s_server", **dict(INVENTORY, **inventory)).template("k3s_server", "config.yaml.j2"))


def test_default_platform_replaces_both():
    """No platform choice in the inventory: MetalLB and ingress-nginx run, so both packaged components are left out
    (the same list molecule/cluster-default asserts on the servers' files)."""
    assert server_config()["disable"] == ["servicelb", "traefik"]


@pytest.mark.parametrize(("loadbalancer", "ingress", "disabled"), [
    ("metallb", "nginx", ["servicelb", "traefik"]),
    ("metallb", "traefik", ["servicelb", "traefik"]),
    ("metallb", "k3s", ["servicelb"]),
    ("k3s", "nginx", ["traefik"]),
    ("k3s", "traefik", ["traefik"]),
])
def test_each_choice_leaves_out_what_it_replaces(loadbalancer, ingress, disabled):
    assert server_config(chainops_loadbalancer=loadbalancer, chainops_ingress=ingress)["disable"] == disabled


def test_keeping_both_packaged_components_writes_no_disable_key():
    """k3s reads a missing key as "disable nothing"; an empty list is not written."""
    assert "disable" not in server_config(chainops_loadbalancer="k3s", chainops_ingress="k3s")


def test_explicit_list_wins():
    config = server_config(chainops_loadbalancer="metallb", chainops_ingress="traefik",
                           k3s_server_disable=["servicelb", "traefik", "metrics-server"])
    assert config["disable"] == ["servicelb", "traefik", "metrics-server"]
