"""Inventories an operator may legitimately write pass the new checks: the shapes issue 8 names (five servers,
pairs on agents only, a single-node lab) and the boundaries of each new rule, accepted on the right side."""

import copy
import os
import re

import pytest
from _corpus import BASE, flatten, load_yaml

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _checks_base as base
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _k3s_version


def _tree():
    return load_yaml(BASE)


def _check(tree):
    hostvars, groups = flatten(tree)
    return checks.check_inventory_report(hostvars, groups)


def _hosts(tree, group):
    return tree["all"]["children"]["k3s_cluster"]["children"][group]["hosts"]


def test_five_servers_pass():
    tree = _tree()
    servers = _hosts(tree, "k3s_servers")
    servers["srv4"] = {"chainops_mgmt_address": "10.20.0.14", "chainops_p2p_address": "203.0.113.14", "chainops_rack": "rack-a"}
    servers["srv5"] = {"chainops_mgmt_address": "10.20.0.15", "chainops_p2p_address": "203.0.113.15", "chainops_rack": "rack-b"}
    servers["srv4"]["ansible_host"] = "10.20.0.14"
    servers["srv5"]["ansible_host"] = "srv5.example.net"
    assert _check(tree) == ([], [])


def test_pairs_on_agents_only_pass():
    """Dedicated control plane: servers tainted NoExecute, the pairs go to the untainted agents."""
    tree = _tree()
    tree["all"]["vars"]["k3s_server_node_taints"] = ["CriticalAddonsOnly=true:NoExecute"]
    tree["all"]["vars"]["k3s_agent_node_taints"] = ["chainops.io/pairs=true:PreferNoSchedule"]
    assert _check(tree) == ([], [])


def test_single_node_lab_passes():
    tree = _tree()
    for host in ("srv2", "srv3"):
        del _hosts(tree, "k3s_servers")[host]
    _hosts(tree, "k3s_agents").clear()
    _hosts(tree, "k3s_servers")["srv1"].update(ansible_connection="local", ansible_host="127.0.0.1")
    variables = tree["all"]["vars"]
    variables.update(chainops_lab=True, chainops_diversity_max_share=1.0, k3s_cluster_cidr="10.42.0.0/24", k3s_etcd_s3_enabled=False)
    variables["chainops_pairs"] = variables["chainops_pairs"][:1]
    variables["metallb_pools"][1]["addresses"] = ["203.0.113.128/32"]
    assert _check(tree) == ([], [])


def test_single_node_with_agents_tainted_needs_the_server():
    """One untainted node is enough for the pairs, whichever it is."""
    tree = _tree()
    tree["all"]["vars"]["k3s_agent_node_taints"] = ["dedicated=storage:NoSchedule"]
    assert _check(tree) == ([], [])


def test_ipv6_only_inventory_passes():
    tree = _tree()
    variables = tree["all"]["vars"]
    variables.update(
        chainops_mgmt_network="2001:db8:20::/64",
        chainops_p2p_network="2001:db8:30::/64",
        chainops_p2p_gateway="2001:db8:30::1",
        chainops_admin_cidrs=["2001:db8:20::/64"],
        k3s_api_vip="2001:db8:20::10",
        k3s_cluster_cidr="fd42::/56",
        k3s_service_cidr="fd43::/112",
        metallb_pools=[
            {"name": "api", "network": "mgmt", "addresses": ["2001:db8:20::200-2001:db8:20::220"]},
            {"name": "p2p", "network": "p2p", "addresses": ["2001:db8:30::100/124"]},
        ],
    )
    for group in ("k3s_servers", "k3s_agents"):
        for host_vars in _hosts(tree, group).values():
            last = host_vars["chainops_mgmt_address"].rsplit(".", 1)[1]
            host_vars.update(chainops_mgmt_address="2001:db8:20::%s" % last, chainops_p2p_address="2001:db8:30::%s" % last)
            host_vars["ansible_host"] = host_vars["chainops_mgmt_address"]
    assert _check(tree) == ([], [])


def test_open_admin_cidr_with_the_opt_in_passes_and_is_named():
    tree = _tree()
    tree["all"]["vars"].update(chainops_admin_cidrs=["0.0.0.0/0", "::/0"], chainops_allow_open_admin_cidrs=True)
    problems, notices = _check(tree)
    assert problems == []
    assert len(notices) == 2
    for notice in notices:
        assert notice.startswith("SKIPPED:") and "chainops_allow_open_admin_cidrs: true" in notice


def test_role_options_with_valid_values_pass():
    tree = _tree()
    tree["all"]["vars"].update(
        k3s_server_api_port=6443,
        baseline_ssh_port="2222",
        k3s_server_flannel_backend="wireguard-native",
        k3s_install_mode="airgap",
        k3s_airgap_dir="/srv/chainops/k3s-airgap",
        k3s_upgrade_agent_batch=1,
        k3s_start_service=False,
        storage_mount_options=["noatime", "nodiscard"],
        k3s_server_controller_manager_extra_args=["node-cidr-mask-size-ipv4=25"],
        k3s_etcd_s3_endpoint="https://s3.eu-central-1.amazonaws.com",
        # air-gap: every image the layers run comes from a mirror
        k3s_registries={"mirrors": {"*": {"endpoint": ["https://mirror.example.net"]}}},
    )
    assert _check(tree) == ([], [])


def test_private_directory_below_tmp_is_accepted(tmp_path):
    tree = _tree()
    os.chmod(str(tmp_path), 0o700)
    tree["all"]["vars"].update(chainops_render_dir=str(tmp_path / "out" / "rendered"), chainops_secrets_dir=str(tmp_path / "out" / "secrets"))
    top = "/" + str(tmp_path).strip("/").split("/", maxsplit=1)[0]
    if top not in ("/tmp", "/var"):
        pytest.skip("pytest's temporary directory is not below a shared temporary directory here")
    assert _check(tree)[0] == []


def test_site_variables_of_other_names_are_left_alone():
    tree = _tree()
    tree["all"]["vars"].update(site_owner="ops-team", backup_window="02:00", vault_k3s_token_old="x")
    assert _check(tree) == ([], [])


@pytest.mark.parametrize("version", ["v1.33.0+k3s1", "v1.33.5+k3s1", "v1.34.1+k3s2", "v1.35.8+k3s1", "v1.36.4+k3s1"])
def test_supported_k3s_versions_pass_the_one_rule(version):
    assert _k3s_version.k3s_version_reason(version) is None
    tree = _tree()
    tree["all"]["vars"]["k3s_version"] = version
    assert _check(tree) == ([], [])


@pytest.mark.parametrize(
    "version", ["v1.32.9+k3s1", "v1.37.0+k3s1", "v1.33.5-rc1+k3s1", "v1.33.5", "1.33.5+k3s1", "stable", " v1.33.5+k3s1", True, 1.33, None, ""]
)
def test_the_one_rule_refuses(version):
    assert _k3s_version.k3s_version_reason(version) is not None


def test_edit_distance_and_closest_name():
    assert base.edit_distance("metalb_pools", "metallb_pools") == 1
    assert base.edit_distance("k3s_etcd_s3_enable", "k3s_etcd_s3_enabled") == 1
    assert base.edit_distance("chainops_raack", "chainops_rack") == 1
    assert base.edit_distance("chianops_rack", "chainops_rack") == 1  # a transposition is one edit
    assert base.edit_distance("site_owner", "chainops_zone", 2) > 2
    assert base.closest_name("metallb_pool", ["metallb_pools", "chainops_pairs"]) == "metallb_pools"
    assert base.closest_name("something_else", ["metallb_pools"]) is None


def test_every_example_inventory_variable_is_known():
    """The example inventories use only variables the collection reads (the spelling check would refuse them)."""
    catalogue = checks._checks_variables.catalogue()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for inventory in ("lab", "production-example"):
        for folder, _dirs, files in os.walk(os.path.join(repo, "inventories", inventory)):
            for name in files:
                if not name.endswith(".yml"):
                    continue
                data = load_yaml(os.path.join(folder, name)) or {}
                if name == "hosts.yml":
                    continue
                for variable in data:
                    assert variable in catalogue.known or variable.startswith("ansible_"), "%s/%s: %s" % (inventory, name, variable)


def test_the_catalogue_reads_the_roles():
    catalogue = checks._checks_variables.catalogue()
    assert "k3s_server_api_port" in catalogue.specs and catalogue.specs["k3s_server_api_port"][1]["type"] == "int"
    assert "k3s_common_install_mode" in catalogue.feeds["k3s_install_mode"]
    assert "k3s_upgrade_health_pairs" in catalogue.known  # read by playbooks/k3s_upgrade.yml only
    assert "k3s_etcd_s3_enable" not in catalogue.known


def test_copy_of_base_is_untouched():
    """The helpers above work on copies: the base still passes."""
    before = copy.deepcopy(_tree())
    assert _check(before) == ([], [])


@pytest.mark.parametrize(
    "slot, client, version",
    [
        ("consensus", "nimbus", "multiarch-v26.10.2"),
        ("consensus", "nimbus", "v26.10.2"),
        ("execution", "nethermind", "2.2.1-chiseled"),
        ("consensus", "teku", "26.10.2-jdk25"),
        ("consensus", "lighthouse", "v8.3.2@sha256:" + "ab" * 32),
    ],
)
def test_client_tag_conventions_of_the_profiles_pass(slot, client, version):
    tree = _tree()
    pairs = tree["all"]["vars"]["chainops_pairs"]
    index = next(i for i, pair in enumerate(pairs) if pair[slot]["client"] == client) if any(p[slot]["client"] == client for p in pairs) else 0
    pairs[index][slot] = {"client": client, "version": version}
    tree["all"]["vars"]["chainops_diversity_max_share"] = 1.0
    assert _check(tree) == ([], [])


def test_every_variable_a_check_reads_is_templated_by_the_action_plugin():
    """The action plugin templates only collected_names(); a check reading anything else would see Unread in a
    real run (and silently skip) while the in-process corpus, which has every value, passes."""
    folder = os.path.dirname(checks.__file__)
    collected = checks.collected_names()
    groups = {checks.SERVERS, checks.AGENTS, checks.CLUSTER}
    pattern = re.compile(r'"((?:chainops|k3s|metallb|baseline|firewall|storage|k8s_render|preflight)_[a-z0-9_]*[a-z0-9])"')
    names = set()
    for name in os.listdir(folder):
        if name.startswith("_checks_") and name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                names.update(pattern.findall(handle.read()))
    assert len(names) > 40
    missing = sorted(name for name in names - groups if name not in collected)
    assert not missing, missing


def test_argument_spec_suboptions_are_checked():
    """Dict and list-of-dict options with `options` in their spec: unknown keys, required keys, types."""
    spec_problems = checks._checks_variables.spec_problems
    spec = {
        "type": "list",
        "elements": "dict",
        "options": {"port": {"type": "int", "required": True}, "protocols": {"type": "list", "elements": "str", "choices": ["tcp", "udp"]}},
    }
    assert spec_problems("firewall_p2p_ports", "firewall_p2p_ports", [{"port": 30303, "protocols": ["tcp"]}], spec) == []
    found = spec_problems("firewall_p2p_ports", "firewall_p2p_ports", [{"prot": 1, "protocols": ["sctp"]}, {"port": "x"}], spec)
    texts = [text for text, _fix in found]
    assert "item 0 has the key 'prot', which the role does not read (did you mean port?)" in texts
    assert "item 0 has no port" in texts
    assert "item 0 key protocols item 0 'sctp' is not one of tcp, udp" in texts
    assert "item 1 key port is a string 'x', not a whole number" in texts
    mapping = {"type": "dict", "options": {"name": {"type": "str", "required": True}}}
    assert [t for t, _f in spec_problems("x_config", "x_config", {"nmae": "a"}, mapping)] == [
        "has the key 'nmae', which the role does not read (did you mean name?)",
        "has no name",
    ]


def test_pair_keys_the_chain_layer_reads_pass():
    tree = _tree()
    pair = tree["all"]["vars"]["chainops_pairs"][0]
    pair["p2p_address"] = "203.0.113.130"
    pair["execution"]["volume_size"] = "2Ti"
    pair["consensus"]["checkpoint_sync_url"] = "https://checkpoint.example.org"
    assert _check(tree) == ([], [])
