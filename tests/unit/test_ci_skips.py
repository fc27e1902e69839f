"""tests/ci_policy.py: under CI=true a skip (a missing prerequisite) fails with its reason; outside CI it stays a skip;
opt-in live tests may still skip."""

import os
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SAMPLE = '''
import pytest

@pytest.fixture
def devnet():
    pytest.skip("devnet clients: anvil not found on PATH")

def test_needs_devnet(devnet):
    pass

@pytest.mark.skipif(True, reason="schemas folder missing")
def test_needs_schemas():
    pass

def test_needs_openssl():
    pytest.skip("openssl CLI not installed")

def test_runs():
    assert True

@pytest.mark.live
def test_live():
    pytest.skip("no live cluster (opt-in)")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False
'''


def _run(tmp_path, ci):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    live: opt-in\n")
    env = dict(os.environ, PYTHONPATH=TESTS)
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "ci_policy", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_ci_turns_prerequisite_skips_into_failures_with_the_reason(tmp_path, value):
    rc, out = _run(tmp_path, value)
    assert rc == 1, out
    # setup-time skips (fixture, skipif) become errors, a skip in the test body a failure; the live test still skips
    assert "1 failed" in out and "2 errors" in out and "1 passed" in out and "1 skipped" in out and "1 xfailed" in out, out
    assert "anvil not found on PATH" in out and "schemas folder missing" in out and "openssl CLI not installed" in out
    assert "CI=true: this test would have been skipped" in out


@pytest.mark.parametrize("value", [None, "false", ""])
def test_outside_ci_a_missing_prerequisite_is_a_skip(tmp_path, value):
    rc, out = _run(tmp_path, value)
    assert rc == 0, out
    assert "1 passed" in out and "4 skipped" in out, out
