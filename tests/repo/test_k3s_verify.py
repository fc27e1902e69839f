"""k3s_common verify.yml: every release file needs an expected sha256 and must match it; all refusals are named."""

import hashlib
import json
import re

import pytest
from fixture_playbook import run_fixture_playbook

FILES = {"k3s": b"binary\n", "k3s-airgap-images-amd64.tar.zst": b"images\n", "install.sh": b"#!/bin/sh\n"}


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _airgap(tmp_path, files=None, listed=None):
    files = FILES if files is None else files
    listed = FILES if listed is None else listed
    airgap = tmp_path / "airgap"
    airgap.mkdir()
    for name, data in files.items():
        (airgap / name).write_bytes(data)
    (airgap / "sha256sum-amd64.txt").write_text("".join("%s  %s\n" % (_sha(data), name) for name, data in listed.items()))
    return airgap


def _run(airgap, *extra):
    returncode, output = run_fixture_playbook("k3s_verify.yml", "k3s_airgap_dir=%s" % airgap, *extra)[::2]
    return returncode, " ".join(output.split())


@pytest.mark.slow
def test_matching_files_pass_with_their_sums(tmp_path):
    airgap = _airgap(tmp_path)
    returncode, output = _run(airgap)
    assert returncode == 0, output[-3000:]
    verified = json.loads(re.search(r"VERIFIED (\[.*?\])\"", output).group(1).replace('\\"', '"'))
    assert {item["file"]: item["sha256"] for item in verified} == {name: _sha(data) for name, data in FILES.items()}


@pytest.mark.slow
def test_every_bad_file_is_refused_by_name(tmp_path):
    """A mismatch, a missing file and a file without a checksum are all reported in one run."""
    files = dict(FILES, k3s=b"tampered\n")
    del files["install.sh"]
    listed = {name: data for name, data in FILES.items() if name != "k3s-airgap-images-amd64.tar.zst"}
    airgap = _airgap(tmp_path, files=files, listed=listed)
    returncode, output = _run(airgap)
    assert returncode != 0
    assert "k3s: checksum mismatch for %s/k3s: expected %s, got %s." % (airgap, _sha(FILES["k3s"]), _sha(b"tampered\n")) in output, output[-3000:]
    assert "k3s: %s/install.sh is missing (k3s_install_mode=airgap)." % airgap in output, output[-3000:]
    assert "k3s: no expected sha256 for k3s-airgap-images-amd64.tar.zst: add it to %s/sha256sum-amd64.txt" % airgap in output, output[-3000:]


@pytest.mark.slow
def test_the_operator_checksum_wins_over_the_sum_file(tmp_path):
    airgap = _airgap(tmp_path)
    returncode, output = _run(airgap, "k3s_binary_sha256=%s" % ("0" * 64))
    assert returncode != 0
    assert "k3s: checksum mismatch for %s/k3s: expected %s" % (airgap, "0" * 64) in output, output[-3000:]


@pytest.mark.slow
def test_without_a_sum_file_nothing_is_verified(tmp_path):
    airgap = _airgap(tmp_path)
    (airgap / "sha256sum-amd64.txt").unlink()
    returncode, output = _run(airgap)
    assert returncode != 0
    for name in FILES:
        assert "k3s: no expected sha256 for %s:" % name in output, output[-3000:]
