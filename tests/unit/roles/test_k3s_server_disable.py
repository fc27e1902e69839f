"""k3s's packaged servicelb and Traefik in the server's rendered config.yaml: servicelb always left out (the platform
layer always runs MetalLB), Traefik left out unless chainops_ingress keeps k3s's own, and an explicit
k3s_server_disable wins (preflight refuses contradictions, see tests/preflight/test_checks_platform_components.py)."""

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


@pytest.mark.parametrize(("ingress", "disabled"), [
    ("nginx", ["servicelb", "traefik"]),
    ("traefik", ["servicelb", "traefik"]),
    ("none", ["servicelb", "traefik"]),
    ("k3s", ["servicelb"]),
])
def test_each_ingress_choice_leaves_out_what_it_replaces(ingress, disabled):
    assert server_config(chainops_ingress=ingress)["disable"] == disabled


def test_explicit_list_wins():
    config = server_config(chainops_ingress="traefik", k3s_server_disable=["servicelb", "traefik", "metrics-server"])
    assert config["disable"] == ["servicelb", "traefik", "metrics-server"]


def test_an_empty_explicit_list_writes_no_disable_key():
    """k3s reads a missing key as "disable nothing" (preflight refuses this list while MetalLB runs)."""
    assert "disable" not in server_config(k3s_server_disable=[])
