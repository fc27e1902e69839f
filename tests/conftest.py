"""Repo-wide pytest setup: make the collection importable as ansible_collections.chainops.ethereum, and under
CI=true turn every skip (a missing prerequisite) into a failure with its reason (tests/ci_policy.py)."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
COLLECTIONS = os.path.join(REPO, "collections")
for _path in (COLLECTIONS, HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# the CI rule (a skip is a failure under CI=true) is a pytest plugin beside this file
pytest_plugins = ("ci_policy",)


def pytest_configure(config):
    config.addinivalue_line("markers", "devnet: needs real Lodestar/anvil on 127.0.0.1")
    config.addinivalue_line("markers", "live: needs a live Kubernetes cluster (opt-in)")
    config.addinivalue_line("markers", "slow: runs ansible-playbook or other slow tools")


@pytest.fixture
def run_module_file(tmp_path):
    """Run a module file as Ansible would on a host (its arguments in a JSON file) and return its JSON answer; the
    collection is on PYTHONPATH, as AnsiballZ ships the module_utils it imports."""

    def run(module, args):
        args_file = tmp_path / "module-args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        proc = subprocess.run([sys.executable, module.__file__, str(args_file)], capture_output=True, text=True, env=env, check=False)
        return json.loads(proc.stdout)

    return run
