"""Network-namespace tests of the host firewall and P2P routing: the rendered files, loaded into namespaces.

They need root (namespaces, nftables). Outside CI a machine without those skips them with the reason; under
CI=true a missing prerequisite is a failure, so the ladder cannot pass without running them.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from netns_topology import Lab, missing_prerequisites

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures")


def pytest_configure(config):
    config.addinivalue_line("markers", "netns: needs root to build network namespaces (tests/netns)")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """roles/firewall's ruleset and roles/baseline's P2P routing script for node-a and node-b, as the roles render them."""
    out = tmp_path_factory.mktemp("rendered")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=os.path.join(REPO, "tests", "repo", "fixtures", "plain.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
        ANSIBLE_LOCALHOST_WARNING="false",
    )
    cmd = [
        os.path.join(REPO, ".venv", "bin", "ansible-playbook"),
        os.path.join(FIXTURES, "render.yml"),
        "-i",
        os.path.join(FIXTURES, "hosts.yml"),
        "-e",
        "render_dir=%s" % out,
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    files = {}
    for name in ("node-a.nft", "node-b.nft", "node-a.p2p-routing.sh"):
        with open(os.path.join(out, name)) as handle:
            files[name] = handle.read()
    return files


@pytest.fixture(scope="module")
def lab(rendered, tmp_path_factory):
    """The namespaces of netns_topology, node-a running its rendered ruleset and routing script."""
    reason = missing_prerequisites()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail("network-namespace tests cannot run: %s (CI=true: this is a failure, not a skip)" % reason)
        pytest.skip(reason)
    lab = Lab(str(tmp_path_factory.mktemp("netns")))
    try:
        lab.build()
        lab.nft("a", rendered["node-a.nft"])
        lab.run("a", "sh", "-c", rendered["node-a.p2p-routing.sh"])
        lab.start_tcp("a", 30303, 9100, 2379, 6443, 10250)
        lab.start_tcp("apod", 8080, 30303)
        lab.udp_logs = {port: lab.start_udp("a", port) for port in (8472, 30303)}
        yield lab
    finally:
        lab.destroy()
