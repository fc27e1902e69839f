"""scripts/checkov.sh on rendered objects, for the render tests of each layer (test_edge.py: platform, test_chain.py:
chain): the scan with the layer's skips of checkov-skips.yml, and its JSON reports."""

import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reports(stdout):
    """checkov's JSON output: one document per scanned directory, each a report or a list of them."""
    found_all, text, decoder = [], stdout.strip(), json.JSONDecoder()
    while text:
        found, end = decoder.raw_decode(text)
        found_all.extend(found if isinstance(found, list) else [found])
        text = text[end:].strip()
    return found_all


def scan(paths, layer):
    """Run scripts/checkov.sh (JSON output) on ``paths`` with ``layer``'s skips; returns (process, reports)."""
    env = dict(os.environ, CHAINOPS_CHECKOV_ARGS="-o json", CHAINOPS_CHECKOV_LAYER=layer)
    proc = subprocess.run(["bash", os.path.join(REPO, "scripts", "checkov.sh")] + list(paths), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    return proc, reports(proc.stdout)
