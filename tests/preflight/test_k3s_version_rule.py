"""One rule for a pinned k3s version: preflight, the upgrade plan and the k3s roles give the same verdict."""

import os
import re

import pytest
from _corpus import BASE, REPO, flatten, load_yaml

from ansible_collections.chainops.ethereum.plugins.filter.k3s_upgrade import FilterModule, K3sUpgradePlanError, k3s_upgrade_plan
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _k3s_version

VERSIONS = [
    "v1.33.0+k3s1",
    "v1.33.5+k3s1",
    "v1.36.4+k3s2",
    "v1.32.9+k3s1",
    "v1.37.0+k3s1",
    "v1.33.5-rc1+k3s1",
    "v1.33.5",
    "1.33.5+k3s1",
    "v1.33",
    "latest",
    "stable",
    "v1.33.5+k3s1 ",
    "",
]


def _preflight_accepts(version):
    hostvars, groups = flatten(load_yaml(BASE))
    for host_vars in hostvars.values():
        host_vars["k3s_version"] = version
    return not [line for line in checks.check_inventory(hostvars, groups) if line.startswith("k3s_version")]


def _plan_accepts(version):
    try:
        k3s_upgrade_plan(["srv1"], [], version)
    except K3sUpgradePlanError:
        return False
    return True


@pytest.mark.parametrize("version", VERSIONS)
def test_preflight_plan_and_role_filter_agree(version):
    role_filter = FilterModule().filters()["k3s_version_problem"]
    verdicts = {
        "rule": _k3s_version.k3s_version_reason(version) is None,
        "preflight": _preflight_accepts(version),
        "upgrade plan": _plan_accepts(version),
        "role filter": role_filter(version) == "",
    }
    assert len(set(verdicts.values())) == 1, "%r: %s" % (version, verdicts)


def test_the_roles_use_the_filter_and_keep_no_pattern_of_their_own():
    """No k3s version regular expression is left in the roles: they ask the shared rule."""
    preflight = os.path.join(REPO, "roles", "k3s_common", "tasks", "preflight.yml")
    with open(preflight, encoding="utf-8") as handle:
        assert "chainops.ethereum.k3s_version_problem" in handle.read()
    pattern = re.compile(r"\+k3s\[0-9\]|k3s\\d|\\\+k3s")
    for folder, _dirs, files in os.walk(os.path.join(REPO, "roles")):
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                assert not pattern.search(handle.read()), "%s keeps its own k3s version pattern" % os.path.join(folder, name)
