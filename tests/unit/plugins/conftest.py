"""Fixtures shared by the health-model unit tests: a fresh static cache and fake nodes on 127.0.0.1.

pytest puts this folder on sys.path, so tests import the fakes as `from eth_fakes import FakeNode`.
"""

import pytest
from eth_fakes import FakeNode

from ansible_collections.chainops.ethereum.plugins.module_utils import _eth_health


@pytest.fixture(autouse=True)
def _fresh_cache():
    _eth_health.clear_static_cache()
    yield
    _eth_health.clear_static_cache()


@pytest.fixture
def nodes():
    """Factory of fake execution/consensus nodes (optionally behind TLS), all stopped at the end."""
    started = []

    def make(tls_context=None):
        node = FakeNode(tls_context).start()
        started.append(node)
        return node

    yield make
    for node in started:
        node.stop()
