"""file_sha256: the sha256 of controller files, in-process; missing files are an error or None, never a hash."""

import hashlib
import os
import re

import pytest
from ansible.errors import AnsibleLookupError, AnsibleOptionsError

from ansible_collections.chainops.ethereum.plugins.lookup import file_sha256
from ansible_collections.chainops.ethereum.plugins.lookup.file_sha256 import sha256_of

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of no bytes
ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc"), FIPS 180-2 example


@pytest.fixture
def files(tmp_path):
    (tmp_path / "abc").write_bytes(b"abc")
    (tmp_path / "empty").write_bytes(b"")
    big = os.urandom(3 * 1024 * 1024 + 17)  # more than one read chunk
    (tmp_path / "big").write_bytes(big)
    return tmp_path, hashlib.sha256(big).hexdigest()


def test_known_digests(files):
    tmp_path = files[0]
    assert sha256_of(str(tmp_path / "abc")) == ABC
    assert sha256_of(str(tmp_path / "empty")) == EMPTY


def test_several_files_in_order(files, load_lookup):
    tmp_path, big_sum = files
    paths = [str(tmp_path / name) for name in ("big", "abc", "empty")]
    assert load_lookup(file_sha256).run(paths, {}) == [big_sum, ABC, EMPTY]


def test_a_symlink_is_followed(files, load_lookup):
    tmp_path = files[0]
    (tmp_path / "link").symlink_to(tmp_path / "abc")
    assert load_lookup(file_sha256).run([str(tmp_path / "link")], {}) == [ABC]


def test_a_missing_file_is_an_error_naming_it_by_default(tmp_path, load_lookup):
    with pytest.raises(AnsibleLookupError, match=re.escape("%s does not exist" % (tmp_path / "nope"))):
        load_lookup(file_sha256).run([str(tmp_path / "nope")], {})


def test_a_missing_file_gives_none_when_asked(files, load_lookup):
    tmp_path = files[0]
    assert load_lookup(file_sha256).run([str(tmp_path / "nope"), str(tmp_path / "abc")], {}, missing="none") == [None, ABC]


def test_a_dangling_symlink_is_missing(tmp_path, load_lookup):
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    assert load_lookup(file_sha256).run([str(tmp_path / "dangling")], {}, missing="none") == [None]


def test_a_directory_is_an_error_even_with_missing_none(tmp_path, load_lookup):
    with pytest.raises(AnsibleLookupError, match="is not a regular file"):
        load_lookup(file_sha256).run([str(tmp_path)], {}, missing="none")


def test_an_unknown_missing_choice_is_refused(files, load_lookup):
    tmp_path = files[0]
    with pytest.raises(AnsibleOptionsError, match="missing"):
        load_lookup(file_sha256).run([str(tmp_path / "abc")], {}, missing="skip")
