"""k3s_install: which files a node gets, and which sha256 each must have."""

import pytest

from ansible_collections.chainops.ethereum.plugins.filter.k3s_install import (
    FilterModule,
    K3sInstallError,
    k3s_install_artifacts,
    k3s_resolve_checksums,
    k3s_sha256_from_sumfile,
)

A = "a" * 64
B = "b" * 64
SUMFILE = f"""{A}  k3s
{B}  k3s-airgap-images-amd64.tar.zst
{"c" * 64} *k3s-arm64
not a checksum line
{"D" * 64}  dist/artifacts/install.sh
"""
BASE = {"install_mode": "airgap", "arch": "amd64", "bin_dir": "/usr/local/bin", "images_dir": "/var/lib/rancher/k3s/agent/images",
        "share_dir": "/usr/local/lib/chainops", "airgap_images": True, "images_file": "k3s-airgap-images-amd64.tar.zst",
        "install_script_file": "install.sh", "extra_images": [], "binary_sha256": "", "images_sha256": "",
        "install_script_sha256": ""}


def test_sumfile_lookup_handles_both_sha256sum_modes_and_paths():
    assert k3s_sha256_from_sumfile(SUMFILE, "k3s") == A
    assert k3s_sha256_from_sumfile(SUMFILE, "k3s-arm64") == "c" * 64
    assert k3s_sha256_from_sumfile(SUMFILE, "install.sh") == "d" * 64
    assert k3s_sha256_from_sumfile(SUMFILE, "k3s-airgap-images-amd64.tar.gz") == ""
    assert k3s_sha256_from_sumfile("", "k3s") == ""


def test_conflicting_sumfile_entries_are_refused():
    with pytest.raises(K3sInstallError, match="2 different checksums for k3s"):
        k3s_sha256_from_sumfile(f"{A}  k3s\n{B}  k3s\n", "k3s")
    assert k3s_sha256_from_sumfile(f"{A}  k3s\n{A}  ./k3s\n", "k3s") == A


def test_airgap_places_binary_images_and_script():
    arts = k3s_install_artifacts(dict(BASE))
    assert [(a["file"], a["dest"], a["mode"]) for a in arts] == [
        ("k3s", "/usr/local/bin/k3s", "0755"),
        ("k3s-airgap-images-amd64.tar.zst", "/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst", "0644"),
        ("install.sh", "/usr/local/lib/chainops/k3s-install.sh", "0755"),
    ]
    assert all(a["sha256"] == "" for a in arts)


def test_online_places_only_the_binary():
    arts = k3s_install_artifacts(dict(BASE, install_mode="online", binary_sha256=A.upper()))
    assert arts == [{"file": "k3s", "dest": "/usr/local/bin/k3s", "mode": "0755", "sha256": A}]


def test_arch_picks_the_release_asset_and_options_drop_files():
    arts = k3s_install_artifacts(dict(BASE, arch="arm64", airgap_images=False, install_script_file=""))
    assert [a["file"] for a in arts] == ["k3s-arm64"]
    assert arts[0]["dest"] == "/usr/local/bin/k3s"


def test_extra_images_land_next_to_the_k3s_images():
    arts = k3s_install_artifacts(dict(BASE, extra_images=[{"file": "kube-vip-v1.0.1.tar", "sha256": B}]))
    assert arts[-1] == {"file": "kube-vip-v1.0.1.tar", "dest": "/var/lib/rancher/k3s/agent/images/kube-vip-v1.0.1.tar",
                        "mode": "0644", "sha256": B}


@pytest.mark.parametrize("change, reason", [
    ({"install_mode": "usb"}, "online or airgap"),
    ({"binary_sha256": "abc"}, "k3s_binary_sha256 must be 64 hexadecimal"),
    ({"images_sha256": "z" * 64}, "k3s_images_sha256"),
    ({"extra_images": [{"sha256": A}]}, r"extra_images\[0\] needs a file name"),
    ({"extra_images": [{"file": "../k3s"}]}, "plain file name"),
    ({"extra_images": [{"file": "x.tar", "sha256": "12"}]}, r"extra_images\[0\].sha256"),
    ({"extra_images": [{"file": "install.sh"}]}, "listed twice"),
    ({"images_file": ""}, "images_file is empty"),
])
def test_bad_install_requests_are_refused(change, reason):
    with pytest.raises(K3sInstallError, match=reason):
        k3s_install_artifacts(dict(BASE, **change))


def test_operator_checksums_win_over_the_sumfile():
    arts = k3s_install_artifacts(dict(BASE, images_sha256="e" * 64))
    resolved = k3s_resolve_checksums(arts, SUMFILE)
    assert [a["sha256"] for a in resolved] == [A, "e" * 64, "d" * 64]
    assert arts[0]["sha256"] == ""  # input not modified


def test_files_missing_from_the_sumfile_stay_unverified():
    resolved = k3s_resolve_checksums(k3s_install_artifacts(dict(BASE)), f"{A}  k3s\n")
    assert [a["sha256"] for a in resolved] == [A, "", ""]


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"k3s_install_artifacts", "k3s_sha256_from_sumfile", "k3s_resolve_checksums"}
