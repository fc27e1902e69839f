"""host_files module: several files in one call, each validated before it replaces the old one."""

import grp
import json
import os
import pwd
import shlex
import subprocess

import pytest

from ansible_collections.chainops.ethereum.plugins.modules import host_files

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


class FakeModule:
    """Just run_command, as AnsibleModule offers it."""

    def run_command(self, command):
        proc = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr


def spec(dest, **overrides):
    base = {"dest": str(dest), "mode": "0640", "owner": ME, "group": MY_GROUP, "validate": None}
    base.update(overrides)
    return base


def test_file_needs(tmp_path):
    dest = tmp_path / "f.conf"
    uid, gid = os.getuid(), os.getgid()
    assert host_files.file_needs(str(dest), b"a\n", 0o640, uid, gid) == {"content", "attributes"}
    dest.write_bytes(b"a\n")
    os.chmod(dest, 0o640)
    assert host_files.file_needs(str(dest), b"a\n", 0o640, uid, gid) == set()
    assert host_files.file_needs(str(dest), b"b\n", 0o640, uid, gid) == {"content"}
    assert host_files.file_needs(str(dest), b"a\n", 0o600, uid, gid) == {"attributes"}


def test_install_file_validates_then_moves(tmp_path):
    dest = tmp_path / "good.conf"
    host_files.install_file(FakeModule(), spec(dest, validate="grep -qx ok %s"), b"ok\n")
    assert dest.read_bytes() == b"ok\n"
    assert oct(os.stat(dest).st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir()] == ["good.conf"]


def test_failed_validation_keeps_the_old_file(tmp_path):
    dest = tmp_path / "sshd.conf"
    dest.write_bytes(b"old\n")
    with pytest.raises(ValueError, match="validation of"):
        host_files.install_file(FakeModule(), spec(dest, validate="grep -qx ok %s"), b"broken\n")
    assert dest.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sshd.conf"]  # no temp file left behind


def test_validate_needs_a_placeholder(tmp_path):
    with pytest.raises(ValueError, match="%s"):
        host_files.install_file(FakeModule(), spec(tmp_path / "x", validate="true"), b"x")


def test_ensure_directory(tmp_path):
    target = tmp_path / "a" / "b"
    wanted = {"path": str(target), "mode": "0750", "owner": ME, "group": MY_GROUP}
    assert host_files.ensure_directory(wanted, check_mode=True) is True
    assert not target.exists()
    assert host_files.ensure_directory(wanted, check_mode=False) is True
    assert oct(os.stat(target).st_mode & 0o777) == oct(0o750)
    assert host_files.ensure_directory(wanted, check_mode=False) is False
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        host_files.ensure_directory(dict(wanted, path=str(tmp_path / "file")), check_mode=False)


def test_unknown_owner(tmp_path):
    with pytest.raises(ValueError, match="unknown owner"):
        host_files.install_file(FakeModule(), spec(tmp_path / "x", owner="no-such-user-chainops"), b"x")


def test_ensure_file_writes_fixes_and_removes(tmp_path):
    dest = tmp_path / "registries.yaml"
    wanted = spec(dest, content="mirrors: {}\n", mode="0600", state="present")
    diffs = []
    assert host_files.ensure_file(FakeModule(), wanted, check_mode=True, diffs=diffs) is True
    assert not dest.exists() and diffs[0]["after"] == "mirrors: {}\n"
    assert host_files.ensure_file(FakeModule(), wanted, check_mode=False) is True
    assert dest.read_text() == "mirrors: {}\n"
    assert oct(os.stat(dest).st_mode & 0o777) == oct(0o600)
    assert host_files.ensure_file(FakeModule(), wanted, check_mode=False) is False
    os.chmod(dest, 0o644)  # drift in the mode alone is found and fixed without rewriting
    assert host_files.ensure_file(FakeModule(), wanted, check_mode=False, diffs=diffs) is True
    assert oct(os.stat(dest).st_mode & 0o777) == oct(0o600) and len(diffs) == 1
    gone = dict(wanted, state="absent")
    assert host_files.ensure_file(FakeModule(), gone, check_mode=False) is True
    assert not dest.exists()
    assert host_files.ensure_file(FakeModule(), gone, check_mode=False) is False
    with pytest.raises(ValueError, match="has no content"):
        host_files.ensure_file(FakeModule(), dict(wanted, content=None), check_mode=False)


def test_secret_files_are_written_and_masked(tmp_path, run_module_file):
    token = tmp_path / "token"
    plain = tmp_path / "plain.conf"
    secret = "s3cr3t-join-token-0123456789abcdef"
    args = {
        "files": [{"dest": str(plain), "content": "x\n", "owner": ME, "group": MY_GROUP}],
        "secret_files": [{"dest": str(token), "content": secret + "\n", "owner": ME, "group": MY_GROUP}],
        "_ansible_diff": True,
    }
    first = run_module_file(host_files, args)
    assert first["changed"] is True, first
    assert sorted(first["changed_files"]) == sorted([str(plain), str(token)])
    assert token.read_text() == secret + "\n"
    assert oct(os.stat(token).st_mode & 0o777) == oct(0o600)  # secret files default to owner-only
    assert secret not in json.dumps(first)  # neither the invocation nor the diff shows it
    assert [d["after_header"] for d in first["diff"]] == [str(plain)]
    second = run_module_file(host_files, args)
    assert second["changed"] is False and second["changed_files"] == []
    token.write_text("changed by hand\n")
    third = run_module_file(host_files, args)
    assert third["changed_files"] == [str(token)] and token.read_text() == secret + "\n"


def test_numeric_owner_and_group_are_ids(tmp_path):
    # as the file module takes them (storage_data_owner: "1000"); a name that is not a user is still refused
    assert host_files._ids(str(os.getuid()), str(os.getgid())) == (os.getuid(), os.getgid())
    assert host_files._ids("4242", "4343") == (4242, 4343)
    with pytest.raises(ValueError, match="unknown owner or group"):
        host_files._ids("no-such-user-4242", "0")
