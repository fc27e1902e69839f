"""Unit tests of the check helpers: what is accepted matters as much as what is rejected."""

import copy
import random

import pytest
from _corpus import BASE, flatten, load_yaml

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks


def _base():
    return flatten(load_yaml(BASE))


def _with_vars(**overrides):
    hostvars, groups = _base()
    for host_vars in hostvars.values():
        host_vars.update(copy.deepcopy(overrides))
    return hostvars, groups


@pytest.mark.parametrize(
    "version",
    ["v1.17.10", "26.9.0", "2.2.1", "v1.2.3-rc.1", "v7.2.0-alpine", "v26.10.2@sha256:" + "ab" * 32, "1.2.3+build.7"],
)
def test_pinned_client_versions_are_accepted(version):
    assert checks.version_reason(version, "geth") is None


@pytest.mark.parametrize(
    "version",
    ["latest", "stable", "edge", "nightly", "master", "main", "", None, "v1", "1.16", "1.16.*", "1.16.x", ">=1.16.0", "~1.16.5", "v1.17.10-latest", 1.16, 25],
)
def test_floating_client_versions_are_rejected(version):
    assert checks.version_reason(version, "geth") is not None


@pytest.mark.parametrize(
    "version,ok", [("v1.33.5+k3s1", True), ("v1.33.5+k3s12", True), ("v1.33.5-rc1+k3s1", False), ("1.33.5+k3s1", False), ("v1.33.5", False)]
)
def test_k3s_version_pattern(version, ok):
    hostvars, groups = _with_vars(k3s_version=version)
    problems = checks.check_inventory(hostvars, groups)
    assert (problems == []) is ok, problems


def test_random_tokens_are_not_placeholders():
    rng = random.Random(20261126)
    for _attempt in range(500):
        token = "%064x" % rng.getrandbits(256)
        assert checks.placeholder_reason(token) is None, token
    assert checks.placeholder_reason("K10" + "%064x" % rng.getrandbits(256) + "::server:" + "%032x" % rng.getrandbits(128)) is None


@pytest.mark.parametrize("token", ["changeme", "CHANGE_ME", "<token>", "${K3S_TOKEN}", "{{ vault_k3s_token }}", "x" * 40, "my-secret-token-for-the-cluster-42"])
def test_placeholder_tokens_are_recognised(token):
    assert checks.placeholder_reason(token) is not None


def test_diversity_boundary_is_inclusive():
    """2 of 4 pairs is exactly 0.5: allowed at 0.5, rejected just below."""
    hostvars, groups = _base()
    pairs = hostvars["srv1"]["chainops_pairs"]
    pairs[1]["execution"] = {"client": "geth", "version": "v1.17.10"}
    for host_vars in hostvars.values():
        host_vars["chainops_pairs"] = copy.deepcopy(pairs)
    assert checks.check_inventory(hostvars, groups) == []
    for host_vars in hostvars.values():
        host_vars["chainops_diversity_max_share"] = 0.49
    problems = checks.check_inventory(hostvars, groups)
    assert len(problems) == 1 and "execution client geth runs in 2 of 4 pairs (50%)" in problems[0]


def test_single_pair_is_allowed_with_share_one():
    hostvars, groups = _with_vars(chainops_diversity_max_share=1.0)
    for host_vars in hostvars.values():
        host_vars["chainops_pairs"] = host_vars["chainops_pairs"][:1]
    assert checks.check_inventory(hostvars, groups) == []
    for host_vars in hostvars.values():
        host_vars["chainops_diversity_max_share"] = 0.99
    assert len(checks.check_inventory(hostvars, groups)) == 2  # execution and consensus


def test_thirds_do_not_trip_on_float_rounding():
    hostvars, groups = _with_vars(chainops_diversity_max_share=1 / 3)
    for host_vars in hostvars.values():
        host_vars["chainops_pairs"] = host_vars["chainops_pairs"][:3]
    assert checks.check_inventory(hostvars, groups) == []


def test_ipv6_and_dual_stack_inventory_passes():
    hostvars, groups = _with_vars(
        chainops_mgmt_network="2001:db8:20::/64",
        chainops_admin_cidrs=["2001:db8:20::/64"],
        k3s_api_vip="2001:db8:20::10",
        k3s_cluster_cidr="10.42.0.0/16,2001:db8:42::/56",
        k3s_service_cidr="10.43.0.0/16,2001:db8:43::/112",
        metallb_pools=[
            {"name": "api", "network": "mgmt", "addresses": ["2001:db8:20::200-2001:db8:20::220"]},
            {"name": "p2p", "network": "p2p", "addresses": ["203.0.113.128/28"]},
        ],
    )
    for index, host in enumerate(sorted(hostvars)):
        hostvars[host]["chainops_mgmt_address"] = "2001:db8:20::%x" % (index + 0x11)
    assert checks.check_inventory(hostvars, groups) == []


def test_every_problem_is_reported_in_one_pass():
    """Problems in independent areas do not hide each other."""
    hostvars, groups = _with_vars(k3s_version="latest", chainops_network="goerli", k3s_token="changeme", chainops_diversity_max_share=2)
    hostvars["agent2"]["chainops_rack"] = ""
    subjects = [line.split(":", 1)[0] for line in checks.check_inventory(hostvars, groups)]
    for subject in ("k3s_version", "chainops_network", "k3s_token", "chainops_diversity_max_share", "chainops_rack (host agent2)"):
        assert subject in subjects
    # the cluster-wide ones are reported once, not once per host
    assert subjects.count("k3s_version") == 1


def test_unresolved_variables_are_reported_once_and_not_rechecked():
    hostvars, groups = _with_vars(k3s_api_vip=checks.Unresolved("'vip_from_dns' is undefined"))
    problems = checks.check_inventory(hostvars, groups)
    assert problems == [
        "k3s_api_vip: could not be templated: 'vip_from_dns' is undefined; fix: define the variables it refers to (vault files loaded?) or fix the expression"
    ]


def test_host_override_of_cluster_variable_is_reported_without_values():
    hostvars, groups = _base()
    hostvars["agent2"]["k3s_token"] = "f" * 8 + "%056x" % random.Random(1).getrandbits(224)
    problems = checks.check_inventory(hostvars, groups)
    assert len(problems) == 1
    assert problems[0].startswith("k3s_token: differs between hosts (srv1, srv2, srv3, agent1 vs agent2)")
    assert hostvars["agent2"]["k3s_token"] not in problems[0] and hostvars["srv1"]["k3s_token"] not in problems[0]


def test_extra_checks():
    hostvars, groups = _base()
    extra = [
        {"that": True, "msg": "never shown"},
        {"that": False, "msg": "chainops_pairs: production runs at least six pairs"},
        {"that": "chainops_pairs | length > 5", "msg": "not rendered"},
        {"msg": "no condition"},
        {"that": checks.Unresolved("'foo' is undefined"), "msg": "broken"},
    ]
    problems = checks.check_inventory(hostvars, groups, extra_checks=extra)
    assert problems == [
        "preflight_extra_checks[1]: chainops_pairs: production runs at least six pairs; fix: see preflight_extra_checks in the inventory",
        "preflight_extra_checks[2]: 'that' is a string 'chainops_pairs | length > 5', not a boolean; fix: write a condition that renders to true or false",
        "preflight_extra_checks[3]: is a mapping without 'that'; fix: write each extra check as {that: <condition>, msg: <what to fix>}",
        "preflight_extra_checks[4]: could not be evaluated: 'foo' is undefined; fix: fix the condition",
    ]


def test_custom_client_lists():
    hostvars, groups = _base()
    problems = checks.check_inventory(hostvars, groups, execution_clients=("geth", "nethermind", "besu", "reth", "erigon"), consensus_clients=("lighthouse",))
    assert [line.split(":")[0] for line in problems] == [
        "chainops_pairs[1] (pair nethermind-teku).consensus.client",
        "chainops_pairs[2] (pair besu-prysm).consensus.client",
        "chainops_pairs[3] (pair reth-nimbus).consensus.client",
    ]


def test_to_plain_copies_mappings_and_sequences():
    class Lazy(dict):
        pass

    value = Lazy(a=(1, 2), b=Lazy(c={"x"}))
    plain = checks.to_plain(value)
    assert plain == {"a": [1, 2], "b": {"c": ["x"]}}
    assert not isinstance(plain, Lazy) and not isinstance(plain["b"], Lazy)


@pytest.mark.parametrize("name,suggestion", [("Geth_Lighthouse", "geth-lighthouse"), ("-x-", "x"), ("1-geth", "geth"), ("a" * 80, "a" * 63)])
def test_suggested_labels_are_valid(name, suggestion):
    assert checks.suggest_label(name) == suggestion
    assert checks.dns_label_reason(suggestion) is None
