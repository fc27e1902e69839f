"""host_files module: several files in one call, each validated before it replaces the old one."""

import grp
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
