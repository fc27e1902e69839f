"""host_storage filters: a data device is only ever formatted when blank, or forced by name."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.chainops.ethereum.plugins.filter.host_storage import (
    host_blkid_parse,
    host_partition_node,
    host_pvs_parse,
    host_storage_verdict,
)


def settings(**overrides):
    base = {
        "whole": {},
        "part": None,
        "pv_vgs": {},
        "mounts": [],
        "partition": True,
        "lvm": True,
        "vg_name": "chainops",
        "fs_type": "xfs",
        "fs_label": "chain-data",
        "part_name": "chainops-data",
        "force": False,
        "data_path": "/var/lib/chainops",
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    ("device", "node"),
    [("/dev/sdb", "/dev/sdb1"), ("/dev/nvme0n1", "/dev/nvme0n1p1"), ("/dev/loop3", "/dev/loop3p1"), ("/dev/vdc", "/dev/vdc1")],
)
def test_partition_node(device, node):
    assert host_partition_node(device) == node


def test_partition_node_refuses_non_dev_paths():
    with pytest.raises(AnsibleFilterError):
        host_partition_node("sdb")


def test_blkid_parse():
    assert host_blkid_parse("DEVNAME=/dev/sdb\nTYPE=ext4\nLABEL=precious\n\n") == {"DEVNAME": "/dev/sdb", "TYPE": "ext4", "LABEL": "precious"}
    assert host_blkid_parse("") == {}


def test_pvs_parse():
    assert host_pvs_parse("  /dev/sdb1|chainops\n  /dev/sdc|\n") == {"/dev/sdb1": "chainops", "/dev/sdc": ""}


def test_blank_device_is_created():
    verdict = host_storage_verdict("/dev/sdb", settings())
    assert verdict["action"] == "create"
    assert verdict["target"] == "/dev/sdb1"


@pytest.mark.parametrize(
    ("whole", "part", "found"),
    [
        ({"TYPE": "ext4", "LABEL": "precious"}, None, "ext4 signature labelled precious"),
        ({"TYPE": "xfs"}, None, "xfs signature"),
        ({"PTTYPE": "dos"}, {"TYPE": "ntfs"}, "dos partition table"),
        ({"PTTYPE": "gpt"}, {"PART_ENTRY_NAME": "data"}, "gpt partition table"),
        ({"TYPE": "LVM2_member"}, None, "LVM2_member signature"),
        ({"TYPE": "zfs_member"}, None, "zfs_member"),
    ],
)
def test_anything_not_blank_is_refused(whole, part, found):
    verdict = host_storage_verdict("/dev/sdb", settings(whole=whole, part=part))
    assert verdict["action"] == "refuse"
    assert found in verdict["reason"]
    assert "storage_force_devices" in verdict["reason"]


def test_forced_device_is_wiped():
    verdict = host_storage_verdict("/dev/sdb", settings(whole={"TYPE": "ext4"}, force=True))
    assert verdict["action"] == "wipe"
    assert verdict["wipe"] == ["/dev/sdb"]  # no partition 1 node: only the disk


def test_forced_partitioned_device_wipes_the_partition_first():
    verdict = host_storage_verdict("/dev/nvme1n1", settings(whole={"PTTYPE": "gpt"}, part={"TYPE": "ext4"}, force=True))
    assert verdict["action"] == "wipe"
    assert verdict["wipe"] == ["/dev/nvme1n1p1", "/dev/nvme1n1"]


def test_mounted_device_is_refused_even_when_forced():
    verdict = host_storage_verdict("/dev/sdb", settings(whole={"TYPE": "ext4"}, force=True, mounts=["/srv/old"]))
    assert verdict["action"] == "refuse"
    assert "/srv/old" in verdict["reason"] and "forced or not" in verdict["reason"]


def test_our_lvm_partition_is_kept():
    s = settings(whole={"PTTYPE": "gpt"}, part={"TYPE": "LVM2_member", "PART_ENTRY_NAME": "chainops-data"}, pv_vgs={"/dev/sdb1": "chainops"})
    assert host_storage_verdict("/dev/sdb", s)["action"] == "keep"
    # even when forced: a rerun with the force still set never wipes what the role made
    assert host_storage_verdict("/dev/sdb", dict(s, force=True, mounts=["/var/lib/chainops"]))["action"] == "keep"


def test_a_pv_of_another_volume_group_is_refused():
    s = settings(whole={"PTTYPE": "gpt"}, part={"TYPE": "LVM2_member"}, pv_vgs={"/dev/sdb1": "vg_home"})
    assert host_storage_verdict("/dev/sdb", s)["action"] == "refuse"


def test_our_filesystem_without_lvm_is_kept():
    s = settings(partition=False, lvm=False, whole={"TYPE": "xfs", "LABEL": "chain-data"}, mounts=["/var/lib/chainops"])
    assert host_storage_verdict("/dev/sdb", s)["action"] == "keep"


def test_same_type_other_label_is_refused():
    s = settings(partition=False, lvm=False, whole={"TYPE": "xfs", "LABEL": "backup"})
    assert host_storage_verdict("/dev/sdb", s)["action"] == "refuse"


def test_our_empty_partition_from_an_interrupted_run_is_resumed():
    s = settings(whole={"PTTYPE": "gpt"}, part={"PART_ENTRY_NAME": "chainops-data"})
    assert host_storage_verdict("/dev/sdb", s)["action"] == "create"


def test_someone_elses_empty_partition_is_refused():
    s = settings(whole={"PTTYPE": "gpt"}, part={"PART_ENTRY_NAME": "scratch"})
    assert host_storage_verdict("/dev/sdb", s)["action"] == "refuse"


def test_settings_must_be_a_dict():
    with pytest.raises(AnsibleFilterError):
        host_storage_verdict("/dev/sdb", None)
