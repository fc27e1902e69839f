"""Repo-wide pytest setup: make the collection importable as ansible_collections.chainops.ethereum, and under
CI=true turn every skip (a missing prerequisite) into a failure with its reason (tests/ci_policy.py)."""

import os
import sys

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
