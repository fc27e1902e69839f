"""check_cluster_net: one kube-vip interface, absolute controller paths, NodePort networks, air-gap image sources."""

import pytest

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_cluster_net import check_cluster_net, image_registry
from ansible_collections.chainops.ethereum.plugins.plugin_utils._inventory_checks import _Problems, _View

KUBE_VIP = "ghcr.io/kube-vip/kube-vip:v1.0.1"
SERVERS = ["s1", "s2", "s3"]


def base(**overrides):
    variables = {"chainops_mgmt_interface": "eth0", "chainops_secrets_dir": "/srv/chainops/secrets",
                 "chainops_render_dir": "/srv/chainops/build", "k3s_install_mode": "online"}
    variables.update(overrides)
    return variables


def run(variables, hostvars=None, servers=None):
    problems = _Problems()
    check_cluster_net(_View(variables), problems, hostvars=hostvars, servers=servers)
    return problems.lines


def test_a_good_online_inventory_passes():
    hostvars = {h: base() for h in SERVERS}
    assert run(base(), hostvars, SERVERS) == []


def test_servers_that_name_the_interface_differently_are_refused():
    hostvars = {"s1": base(), "s2": base(chainops_mgmt_interface="ens18"), "s3": base()}
    lines = run(base(), hostvars, SERVERS)
    assert len(lines) == 1
    assert lines[0].startswith("k3s_server_kube_vip_interface: the servers do not agree on the VIP interface (ens18 on s2; eth0 on s1, s3)")
    assert "fix: name the management interface the same on every server" in lines[0]


def test_a_per_host_kube_vip_interface_counts_too():
    hostvars = {"s1": base(), "s2": base(k3s_server_kube_vip_interface="bond0"), "s3": base()}
    assert "bond0 on s2" in run(base(), hostvars, SERVERS)[0]


def test_kube_vip_off_needs_no_interface_agreement():
    hostvars = {"s1": base(k3s_server_kube_vip=False), "s2": base(k3s_server_kube_vip=False, chainops_mgmt_interface="ens18")}
    assert run(base(k3s_server_kube_vip=False), hostvars, ["s1", "s2"]) == []


@pytest.mark.parametrize("value", [None, "", "this-name-is-far-too-long", "eth 0"])
def test_missing_or_bad_interface_names(value):
    variables = base(chainops_mgmt_interface=value)
    lines = run(variables, {"s1": variables}, ["s1"])
    assert len(lines) == 1 and ("is missing for server s1" in lines[0] or "is not an interface name" in lines[0])


def test_without_hostvars_the_cluster_wide_value_is_checked():
    assert run(base()) == []
    assert "is missing" in run(base(chainops_mgmt_interface=None))[0]


@pytest.mark.parametrize("value", [[], "10.0.0.0/24", ["10.0.0.1"], [None]])
def test_nodeport_addresses_must_be_cidrs(value):
    lines = run(base(k3s_common_nodeport_addresses=value))
    assert len(lines) == 1 and lines[0].startswith("k3s_common_nodeport_addresses:")


def test_airgap_without_a_kube_vip_source_is_refused():
    lines = run(base(k3s_install_mode="airgap"))
    assert len(lines) == 1
    assert "no node can get the image %s" % KUBE_VIP in lines[0] and "ghcr.io is not mirrored" in lines[0]


def test_airgap_with_the_kube_vip_tarball_passes():
    extra = [{"file": "kube-vip-v1.0.1.tar", "sha256": "a" * 64, "images": [KUBE_VIP]}]
    assert run(base(k3s_install_mode="airgap", k3s_airgap_extra_images=extra)) == []


def test_a_tarball_of_another_version_does_not_count():
    extra = [{"file": "kube-vip.tar", "sha256": "a" * 64, "images": ["ghcr.io/kube-vip/kube-vip:v0.9.0"]}]
    assert "no node can get the image " + KUBE_VIP in run(base(k3s_install_mode="airgap", k3s_airgap_extra_images=extra))[0]


def test_a_tarball_entry_must_say_what_it_holds():
    extra = [{"file": "kube-vip-v1.0.1.tar", "sha256": "a" * 64}]
    lines = run(base(k3s_install_mode="airgap", k3s_airgap_extra_images=extra))
    assert any(line.startswith("k3s_airgap_extra_images[0]: does not say which images") for line in lines)


def test_airgap_with_a_registry_mirror_passes():
    registries = {"mirrors": {"ghcr.io": {"endpoint": ["https://mirror.example.internal"]}}}
    assert run(base(k3s_install_mode="airgap", k3s_registries=registries)) == []
    wildcard = {"mirrors": {"*": {"endpoint": ["https://mirror.example.internal"]}}}
    assert run(base(k3s_install_mode="airgap", k3s_registries=wildcard)) == []


def test_a_mirror_without_endpoints_does_not_count():
    registries = {"mirrors": {"ghcr.io": {}}}
    lines = run(base(k3s_install_mode="airgap", k3s_registries=registries))
    assert any(line.startswith("k3s_registries.mirrors.ghcr.io: has no endpoint") for line in lines)
    assert any("no node can get the image" in line for line in lines)


def test_images_operators_and_later_layers_add_are_required_too():
    extra = [{"file": "kube-vip-v1.0.1.tar", "sha256": "a" * 64, "images": [KUBE_VIP]}]
    lines = run(base(k3s_install_mode="airgap", k3s_airgap_extra_images=extra, chainops_airgap_images=["quay.io/metallb/speaker:v0.15.2"]))
    assert len(lines) == 1 and "quay.io/metallb/speaker:v0.15.2" in lines[0]


def test_k3s_system_images_need_the_tarball_or_a_docker_io_mirror():
    extra = [{"file": "kube-vip-v1.0.1.tar", "sha256": "a" * 64, "images": [KUBE_VIP]}]
    lines = run(base(k3s_install_mode="airgap", k3s_airgap_extra_images=extra, k3s_airgap_images=False))
    assert len(lines) == 1 and lines[0].startswith("k3s_airgap_images: is false")


def test_kube_vip_off_needs_no_kube_vip_image():
    assert run(base(k3s_install_mode="airgap", k3s_server_kube_vip=False)) == []


def test_image_registry():
    assert image_registry(KUBE_VIP) == "ghcr.io"
    assert image_registry("rancher/mirrored-pause:3.6") == "docker.io"
    assert image_registry("busybox") == "docker.io"
    assert image_registry("localhost:5000/x:1") == "localhost:5000"
