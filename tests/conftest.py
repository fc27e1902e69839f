"""Repo-wide pytest setup: make the collection importable as ansible_collections.chainops.ethereum."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


def pytest_configure(config):
    config.addinivalue_line("markers", "devnet: needs real Lodestar/anvil on 127.0.0.1")
    config.addinivalue_line("markers", "live: needs a live Kubernetes cluster (opt-in)")
    config.addinivalue_line("markers", "slow: runs ansible-playbook or other slow tools")
