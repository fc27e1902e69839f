"""k3s_common token.yml: the join token is generated once into a 0700 directory as a 0600 file and reused."""

import os
import re
import stat

import pytest
from fixture_playbook import run_fixture_playbook


def _run(secrets, *extra):
    returncode, result, output = run_fixture_playbook("k3s_token.yml", "chainops_secrets_dir=%s" % secrets, *extra)
    assert returncode == 0, output[-3000:]
    token = re.search(r"TOKEN=([^=\s\"]*)=", output).group(1)
    return token, result["stats"]["localhost"]["changed"]


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.slow
def test_generated_once_private_and_reused(tmp_path):
    secrets = tmp_path / "secrets"
    token, changed = _run(secrets)
    assert re.fullmatch(r"[a-z0-9]{48}", token)
    assert _mode(secrets) == 0o700 and _mode(secrets / "k3s-token") == 0o600
    assert (secrets / "k3s-token").read_text() == token + "\n"
    assert changed == 2, "the directory and the token file are created"
    again, changed = _run(secrets)
    assert again == token
    assert changed == 0, "a re-run with everything in place changes nothing"


@pytest.mark.slow
def test_loose_modes_are_tightened_and_the_token_kept(tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o750)
    (secrets / "k3s-token").write_text("an-existing-token-of-enough-length\n")
    os.chmod(secrets / "k3s-token", 0o640)
    assert _mode(secrets) != 0o700, "the umask left the directory private: nothing to tighten"
    token, changed = _run(secrets)
    assert token == "an-existing-token-of-enough-length"
    assert _mode(secrets) == 0o700 and _mode(secrets / "k3s-token") == 0o600
    assert changed == 2


@pytest.mark.slow
def test_the_inventory_token_needs_no_file(tmp_path):
    secrets = tmp_path / "secrets"
    token, changed = _run(secrets, "k3s_token=a-token-from-the-inventory-vault")
    assert token == "a-token-from-the-inventory-vault"
    assert not secrets.exists() and changed == 0
