"""host_files' `known` option: the controller compares a host_probe `files` result with the wanted state and leaves
out the call to the host only when every directory, file, secret file and link is already as wanted."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import subprocess
import sys

import pytest

from ansible_collections.chainops.ethereum.plugins.modules.host_probe import path_state
from ansible_collections.chainops.ethereum.plugins.plugin_utils._host_files_known import differences

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture
def tree(tmp_path):
    """A directory, a file, a link, as a previous host_files call would have left them."""
    conf = tmp_path / "etc"
    conf.mkdir()
    os.chmod(conf, 0o700)
    (conf / "a.conf").write_text("a = 1\n")
    os.chmod(conf / "a.conf", 0o644)
    os.symlink("a.conf", conf / "current")
    args = {
        "directories": [{"path": str(conf), "mode": "0700", "owner": ME, "group": MY_GROUP}],
        "files": [{"dest": str(conf / "a.conf"), "content": "a = 1\n", "owner": ME, "group": MY_GROUP},
                  {"dest": str(conf / "gone.conf"), "state": "absent"}],
        "links": [{"dest": str(conf / "current"), "src": "a.conf"}],
    }
    return conf, args


def probe(args):
    paths = [d["path"] for d in args.get("directories", [])]
    for kind in ("files", "secret_files", "links"):
        paths += [entry["dest"] for entry in args.get(kind, [])]
    return {path: path_state(path) for path in paths}


def test_path_state_reports_what_host_files_compares(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"x\n")
    os.chmod(target, 0o640)
    os.symlink("f", tmp_path / "l")
    os.mkfifo(tmp_path / "p")
    assert path_state(str(target)) == {
        "type": "file", "mode": "0640", "owner": ME, "group": MY_GROUP, "sha256": hashlib.sha256(b"x\n").hexdigest(),
    }
    assert path_state(str(tmp_path / "l")) == {"type": "link", "target": "f", "mode": "0777", "owner": ME, "group": MY_GROUP}
    assert path_state(str(tmp_path))["type"] == "directory" and "sha256" not in path_state(str(tmp_path))
    assert path_state(str(tmp_path / "p"))["type"] == "other"
    assert path_state(str(tmp_path / "missing")) is None


def test_everything_in_place_means_no_call(tree):
    _conf, args = tree
    assert differences(args, probe(args)) == []


def test_content_mode_and_owner_each_count(tree):
    conf, args = tree
    (conf / "a.conf").write_text("a = 2\n")
    assert differences(args, probe(args)) == [(str(conf / "a.conf"), "content")]
    (conf / "a.conf").write_text("a = 1\n")
    os.chmod(conf / "a.conf", 0o600)
    assert differences(args, probe(args)) == [(str(conf / "a.conf"), "mode or owner")]
    os.chmod(conf / "a.conf", 0o644)
    other_owner = dict(args, files=[dict(args["files"][0], owner="nobody-else"), args["files"][1]])
    assert differences(other_owner, probe(args)) == [(str(conf / "a.conf"), "mode or owner")]
    other_group = dict(args, directories=[dict(args["directories"][0], group="nogroup-else")])
    assert differences(other_group, probe(args)) == [(str(conf), "mode or owner")]
    os.chmod(conf, 0o500)
    assert differences(args, probe(args)) == [(str(conf), "mode or owner")]


def test_modes_are_read_as_the_module_reads_them(tree):
    conf, args = tree
    known = probe(args)
    short = dict(args, files=[dict(args["files"][0], mode="644"), args["files"][1]])
    assert differences(short, known) == []
    not_octal = dict(args, files=[dict(args["files"][0], mode="rw-r--r--"), args["files"][1]])
    assert differences(not_octal, known) == [(str(conf / "a.conf"), "mode or owner")]  # the module reports the error


def test_defaults_are_the_modules(tree):
    conf, args = tree
    known = probe(args)
    # no owner/group/mode given: root:root 0644 for files, 0755 for directories, 0600 for secret files
    bare = {"files": [{"dest": str(conf / "a.conf"), "content": "a = 1\n"}]}
    expected_in_place = ME == "root" and MY_GROUP == "root"
    assert (differences(bare, known) == []) is expected_in_place
    secret = {"secret_files": [{"dest": str(conf / "a.conf"), "content": "a = 1\n", "owner": ME, "group": MY_GROUP}]}
    assert differences(secret, known) == [(str(conf / "a.conf"), "mode or owner")]  # 0600 wanted, 0644 there
    os.chmod(conf / "a.conf", 0o600)
    assert differences(secret, probe(secret)) == []


def test_types_links_and_absence(tree):
    conf, args = tree
    known = probe(args)
    assert differences(dict(args, links=[{"dest": str(conf / "current"), "src": "other.conf"}]), known) == [(str(conf / "current"), "target")]
    as_file = {"files": [{"dest": str(conf / "current"), "content": "a = 1\n", "mode": "0777", "owner": ME, "group": MY_GROUP}]}
    assert differences(as_file, known) == [(str(conf / "current"), "not a file")]  # a link is never taken for the file
    as_link = {"links": [{"dest": str(conf / "a.conf"), "src": "x"}]}
    assert differences(as_link, known) == [(str(conf / "a.conf"), "not a link")]
    as_dir = {"directories": [{"path": str(conf / "a.conf"), "mode": "0644", "owner": ME, "group": MY_GROUP}]}
    assert differences(as_dir, known) == [(str(conf / "a.conf"), "not a directory")]
    (conf / "gone.conf").write_text("left over\n")
    assert differences(args, probe(args)) == [(str(conf / "gone.conf"), "present")]
    os.unlink(conf / "a.conf")
    assert (str(conf / "a.conf"), "not a file") in differences(args, probe(args))


def test_unprobed_or_uncomparable_entries_mean_a_call(tree):
    conf, args = tree
    known = probe(args)
    del known[str(conf / "current")]
    assert differences(args, known) == [(str(conf / "current"), "not probed")]
    known = probe(args)
    odd = dict(args, files=[dict(args["files"][0], content=None), args["files"][1]])
    assert differences(odd, known) == [(str(conf / "a.conf"), "content not comparable")]
    with pytest.raises(TypeError, match="known must be a dict"):
        differences(args, [known])
    with pytest.raises(TypeError, match="files must be a list"):
        differences(dict(args, files={"dest": "/x"}), known)


@pytest.mark.slow
def test_the_action_leaves_out_the_call_only_when_everything_is_in_place(tmp_path):
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(REPO, "tests", "repo", "fixtures", "plain.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
        ANSIBLE_LOCALHOST_WARNING="false",
    )
    extra = {"work": str(tmp_path), "me": ME, "my_group": MY_GROUP, "ansible_python_interpreter": sys.executable}
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), os.path.join(REPO, "tests", "unit", "roles", "fixtures", "host_files_known.yml"),
           "-i", "localhost,", "-c", "local", "-e", json.dumps(extra)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    conf = str(tmp_path / "etc")
    assert report["first"]["changed"] is True and report["first"]["remote"] is True
    # everything as the probe saw it: no call, nothing changed, and the secret never left the host
    assert report["second"]["remote"] is False and report["second"]["changed"] is False
    assert report["second"]["changed_files"] == []
    assert "secret-token-value" not in json.dumps(report)
    # one file changed by hand: the module runs and puts back exactly that file
    assert report["third"]["remote"] is True and report["third"]["changed_files"] == [conf + "/a.conf"]
    assert (tmp_path / "etc" / "a.conf").read_text() == "a = 1\n"
    assert report["bad"]["failed"] is True and "known must be a dict" in report["bad"]["msg"]
