"""path_info: type and permission bits of controller paths, never following a final symlink."""

import os

import pytest

from ansible_collections.chainops.ethereum.plugins.lookup import path_info


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "dir").mkdir()
    os.chmod(tmp_path / "dir", 0o700)
    (tmp_path / "file").write_text("x")
    os.chmod(tmp_path / "file", 0o640)
    (tmp_path / "link-to-dir").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    os.mkfifo(tmp_path / "fifo", 0o600)
    return tmp_path


def test_types_and_modes_in_order(tree, load_lookup):
    names = ["dir", "file", "missing", "fifo"]
    assert load_lookup(path_info).run([str(tree / name) for name in names], {}) == [
        {"exists": True, "type": "directory", "mode": "0700"},
        {"exists": True, "type": "file", "mode": "0640"},
        {"exists": False, "type": None, "mode": None},
        {"exists": True, "type": "other", "mode": "0600"},
    ]


def test_special_bits_are_part_of_the_mode(tree, load_lookup):
    os.chmod(tree / "dir", 0o2700)
    assert load_lookup(path_info).run([str(tree / "dir")], {})[0]["mode"] == "2700"


def test_symlinks_are_links_not_what_they_point_at(tree, load_lookup):
    got = load_lookup(path_info).run([str(tree / "link-to-dir"), str(tree / "dangling")], {})
    assert [item["type"] for item in got] == ["link", "link"]
    assert all(item["exists"] for item in got), "a dangling symlink is still there"
