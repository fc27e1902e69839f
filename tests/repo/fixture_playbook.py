"""Run a fixture playbook on the controller only (tests/repo/fixtures/hosts.yml) with the JSON stdout callback."""

import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "repo", "fixtures")


def run_fixture_playbook(name, *extra_vars, options=()):
    """Returns (returncode, parsed JSON result or None, raw stdout). Each extra var is passed with -e; options (such as
    --check) are passed as they are."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(FIXTURES, "plain.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOCALHOST_WARNING="false")
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), os.path.join(FIXTURES, name), "-i", os.path.join(FIXTURES, "hosts.yml")]
    for item in extra_vars:
        cmd += ["-e", item]
    cmd += list(options)
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    start = proc.stdout.find("{")
    try:
        result = json.loads(proc.stdout[start:]) if start >= 0 else None
    except ValueError:
        result = None
    return proc.returncode, result, proc.stdout + proc.stderr
