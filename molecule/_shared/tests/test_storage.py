"""roles/storage: the data path, and on the storage-* scenarios the data device, refusals and forced wipes."""

from __future__ import annotations

import json

import pytest
from conftest import hosts, needs_role

needs_role("storage")
testinfra_hosts = hosts()


@pytest.fixture(scope="module")
def disks(host, expect):
    if "device" not in expect:
        pytest.skip("no data device in this scenario (unprivileged container: no block device); see storage-loop/storage-force")
    return json.loads(host.file("/etc/chainops-test/disks.json").content_string)


def _probe(host, device):
    result = host.run("blkid -p -o export %s", device)
    assert result.rc in (0, 2), result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def _kernel_has_dm(host):
    return host.file("/sys/class/misc/device-mapper").exists


def test_data_path(host, expect):
    path = host.file(expect["data_path"])
    assert path.is_directory
    assert path.user == expect["data_owner"]
    assert path.mode == expect["data_mode"]


def test_no_device_touched(host, expect):
    if "device" in expect:
        pytest.skip("this scenario has a data device")
    # nothing mounted there and no fstab entry: with storage_devices empty the role touches no disk
    assert not host.mount_point(expect["data_path"]).exists
    assert expect["data_path"] not in host.file("/etc/fstab").content_string


def test_volume_mounted_noatime(host, expect, disks):
    dev = expect["device"]
    mount = host.mount_point(expect["data_path"])
    assert mount.exists
    assert mount.filesystem == dev["fstype"]
    assert dev["options"] <= set(mount.options)
    assert "noatime" in mount.options


def test_fstab_by_uuid(host, expect, disks):
    findmnt = json.loads(host.check_output("findmnt --fstab --json --target %s", expect["data_path"]))
    entry = findmnt["filesystems"][0]
    assert entry["source"].startswith("UUID=")
    uuid = entry["source"].split("=", 1)[1]
    source = host.check_output("findmnt -n -o SOURCE %s", expect["data_path"])
    assert _probe(host, source)["UUID"] == uuid
    assert set(entry["options"].split(",")) >= expect["device"]["options"]


def test_layout(host, expect, disks):
    dev = expect["device"]
    disk = disks[dev["disk"]]["device"]
    whole = _probe(host, disk)
    source = host.check_output("findmnt -n -o SOURCE %s", expect["data_path"])
    if dev["partition"]:
        assert whole.get("PTTYPE") == "gpt"
        part = _probe(host, disk + "p1")
        assert part.get("PART_ENTRY_NAME") == "chainops-data"
    else:
        assert "PTTYPE" not in whole
    lvm = dev["lvm"] == "if-kernel-has-device-mapper" and _kernel_has_dm(host)
    if lvm:
        assert host.check_output("lvs --noheadings -o vg_name,lv_name").split() == ["chainops", "data"]
        assert source in ("/dev/mapper/chainops-data", "/dev/chainops/data")
    else:
        assert source == (disk + "p1" if dev["partition"] else disk)
    fs = _probe(host, source)
    assert fs["TYPE"] == dev["fstype"]
    assert fs["LABEL"] == dev["label"]


def test_lvm_layout(host, expect, disks):
    if expect["device"]["lvm"] is False:
        pytest.skip("this scenario asks for no LVM")
    if not _kernel_has_dm(host):
        pytest.skip(
            "this kernel has no device-mapper (/sys/class/misc/device-mapper): LVM cannot activate; the role "
            "refuses storage_lvm there, and the filesystem went on the partition instead"
        )
    assert "chainops" in host.check_output("vgs --noheadings -o vg_name")


def test_refused_device_untouched(host, expect, disks):
    refused = expect["refused"]
    before = disks[refused["disk"]]
    after = _probe(host, before["device"])
    for key in ("TYPE", "UUID", "LABEL", "PTTYPE", "PTUUID"):
        assert after.get(key) == before["probe"].get(key), key
    assert refused["reason"] in host.file("/etc/chainops-test/refusal.txt").content_string
    if before["probe"].get("TYPE"):
        host.run_test("mkdir -p /mnt/chainops-verify")
        assert host.run("mount -o ro %s /mnt/chainops-verify", before["device"]).rc == 0
        try:
            marker = host.file("/mnt/chainops-verify/marker").content_string
        finally:
            host.run("umount /mnt/chainops-verify")
        assert marker.strip() == "%s data that must survive" % refused["disk"]


def test_forced_device_was_wiped(host, expect, disks):
    wiped = expect["wiped"]
    if not wiped:
        pytest.skip("nothing forced in this scenario")
    before = disks[wiped["disk"]]
    assert before["probe"]["LABEL"] == wiped["old_label"]
    now = _probe(host, host.check_output("findmnt -n -o SOURCE %s", expect["data_path"]))
    assert now["UUID"] != before["probe"]["UUID"]
    assert not host.file(expect["data_path"] + "/marker").exists
