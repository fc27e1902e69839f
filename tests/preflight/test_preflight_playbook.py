"""playbooks/preflight.yml through the real ansible-playbook: the example inventories pass, a handful of
corpus cases fail with their messages, and nothing is contacted (the hosts in these inventories do not exist)."""

import os
import shutil
import subprocess
import sys

import pytest
from _corpus import REPO, build_tree, case_files, case_id, load_case, load_yaml, BASE, secret_values, write_inventory

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

pytestmark = pytest.mark.slow

PLAYBOOK = os.path.join(REPO, "playbooks", "preflight.yml")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
if not os.path.isfile(ANSIBLE_PLAYBOOK):
    ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook")

# One case per area: groups, host addresses, pools, diversity, secrets, group-level precedence, several at once.
PLAYBOOK_CASES = [
    "001-servers-even",
    "016-mgmt-address-outside-network",
    "021-node-name-from-hostname",
    "053-pools-overlap",
    "090-diversity-execution-exceeded",
    "115-token-changeme",
    "132-cluster-var-on-some-hosts",
    "140-many-problems-at-once",
    # issue 8 classes, through the real action plugin (names of unread variables, templated role options)
    "151-ansible-host-other-machine",
    "163-secrets-inside-render-dir",
    "170-s3-enable-typo",
    "200-install-mode-choice",
    "227-nethermind-with-v",
    "249-group-name-typo",
]


def _run(inventory, *extra, playbook=PLAYBOOK):
    if not ANSIBLE_PLAYBOOK:
        pytest.skip("ansible-playbook is not installed (run scripts/bootstrap.sh)")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    env.pop("ANSIBLE_FORCE_COLOR", None)
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, playbook, "-i", str(inventory), *extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


def _case_inventory(name, tmp_path):
    path = os.path.join(os.path.dirname(case_files()[0]), name + ".yml")
    case = load_case(path)
    tree = build_tree(case)
    return case, tree, write_inventory(tree, str(tmp_path / case_id(path)))


@pytest.mark.parametrize("inventory", ["lab", "production-example"])
def test_example_inventories_pass(inventory):
    rc, out = _run(os.path.join(REPO, "inventories", inventory))
    assert rc == 0, out
    assert "Preflight passed:" in out, out
    assert "Traceback" not in out


def test_corpus_base_passes(tmp_path):
    rc, out = _run(write_inventory(load_yaml(BASE), str(tmp_path / "base")))
    assert rc == 0, out
    assert "Preflight passed: 3 server(s), 2 agent(s)" in out


@pytest.mark.parametrize("name", PLAYBOOK_CASES)
def test_case_fails_the_playbook(name, tmp_path):
    case, tree, inventory = _case_inventory(name, tmp_path)
    rc, out = _run(inventory)
    assert rc == 2, out
    assert "Preflight rejected the inventory" in out, out
    for expected in case["expect"]:
        assert expected in out, "%s: %r not in output:\n%s" % (name, expected, out)
    for secret in secret_values(tree, checks.SECRET_VARS):
        assert secret not in out, "%s: a secret value leaked into the output" % name
    # one failure for the whole list, not one per problem or per host
    assert out.count("FAILED!") == 1, out


def test_limit_still_checks_the_whole_inventory(tmp_path):
    _case, _tree, inventory = _case_inventory("001-servers-even", tmp_path)
    rc, out = _run(inventory, "--limit", "agent1")
    assert rc == 2, out
    assert "k3s_servers: 2 servers (srv1, srv2)" in out


def test_check_mode_still_validates(tmp_path):
    _case, _tree, inventory = _case_inventory("075-client-version-latest", tmp_path)
    rc, out = _run(inventory, "--check")
    assert rc == 2, out
    assert "execution.version: 'latest' is a floating tag" in out


def test_empty_inventory_fails_instead_of_skipping(tmp_path):
    inventory = write_inventory({"all": {"hosts": {}}}, str(tmp_path / "empty"))
    rc, out = _run(inventory)
    assert rc == 2, out
    assert "k3s_servers: the group has no hosts" in out


def test_failure_stops_the_plays_after_it(tmp_path):
    """Imported first (as site.yml does), a rejection keeps every later play from touching any host."""
    _case, _tree, inventory = _case_inventory("053-pools-overlap", tmp_path)
    site = tmp_path / "site.yml"
    site.write_text(
        "---\n- name: Preflight\n  ansible.builtin.import_playbook: %s\n"
        "- name: Next layer\n  hosts: k3s_cluster\n  gather_facts: false\n  tasks:\n"
        "    - name: Must not run\n      ansible.builtin.debug:\n        msg: NEXT-LAYER-RAN\n" % PLAYBOOK,
        encoding="utf-8",
    )
    rc, out = _run(inventory, playbook=str(site))
    assert rc == 2, out
    assert "NEXT-LAYER-RAN" not in out and "Next layer" not in out, out


def test_undefined_template_and_extra_checks(tmp_path):
    """Variables that fail to template are reported by name; extra checks run as conditions or templates."""
    tree = load_yaml(BASE)
    tree["all"]["vars"]["k3s_token"] = "{{ vault_k3s_token }}"
    tree["all"]["vars"]["preflight_extra_checks"] = [
        {"that": "chainops_pairs | length >= 6", "msg": "chainops_pairs: production runs at least six pairs"},
        {"that": "{{ chainops_pairs | length >= 2 }}", "msg": "never shown: two pairs exist"},
    ]
    rc, out = _run(write_inventory(tree, str(tmp_path / "templated")))
    assert rc == 2, out
    assert "k3s_token: could not be templated: 'vault_k3s_token' is undefined" in out
    assert "preflight_extra_checks[0]: chainops_pairs: production runs at least six pairs" in out
    assert "never shown" not in out
    assert "Traceback" not in out


def test_open_admin_cidr_opt_in_is_named_in_the_run_summary(tmp_path):
    """The explicit opt-in lets the run go on, and the run summary repeats which check it skipped and why."""
    tree = load_yaml(BASE)
    tree["all"]["vars"]["chainops_admin_cidrs"] = ["0.0.0.0/0"]
    tree["all"]["vars"]["chainops_allow_open_admin_cidrs"] = True
    rc, out = _run(write_inventory(tree, str(tmp_path / "open")))
    assert rc == 0, out
    summary = out.split("CHAINOPS SUMMARY", 1)[1]
    assert "SKIPPED: the admin-CIDR exposure check: chainops_admin_cidrs[0] 0.0.0.0/0" in summary, out
    assert "allowed by chainops_allow_open_admin_cidrs: true" in summary, out


def test_role_option_from_a_template_is_checked_after_templating(tmp_path):
    """Role options are templated in the host's context before their spec is checked."""
    tree = load_yaml(BASE)
    tree["all"]["vars"]["site_port"] = 70000
    tree["all"]["vars"]["k3s_server_api_port"] = "{{ site_port }}"
    tree["all"]["vars"]["baseline_ssh_port"] = "{{ undefined_site_port }}"
    rc, out = _run(write_inventory(tree, str(tmp_path / "templated-options")))
    assert rc == 2, out
    assert "k3s_server_api_port: 70000 is not a port (1-65535)" in out, out
    assert "baseline_ssh_port: could not be templated" in out, out
