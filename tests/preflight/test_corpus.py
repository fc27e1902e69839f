"""Every bad inventory in cases/ is rejected by the Python checks with the message the case names.

Fast: no Ansible run, the checks get the flattened hostvars directly (test_playbook.py runs a handful of
the same cases, and both example inventories, through ansible-playbook).
"""

import pytest
from _corpus import build_tree, case_files, case_id, flatten, load_case, load_yaml, secret_values, BASE

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

CASES = case_files()


def _problems(tree):
    hostvars, groups = flatten(tree)
    return checks.check_inventory(hostvars, groups)


def test_corpus_is_large_enough():
    assert len(CASES) >= 40, "the corpus needs at least 40 bad inventories, has %d" % len(CASES)


def test_base_inventory_passes():
    assert _problems(load_yaml(BASE)) == []


@pytest.mark.parametrize("path", CASES, ids=[case_id(p) for p in CASES])
def test_case_is_rejected_with_its_message(path):
    case = load_case(path)
    tree = build_tree(case)
    problems = _problems(tree)
    assert problems, "%s: inventory was accepted (%s)" % (case_id(path), case["description"])
    text = "\n".join(problems)
    for expected in case["expect"]:
        assert any(expected in line for line in problems), "%s: no problem line contains %r; got:\n%s" % (case_id(path), expected, text)
    for line in problems:
        assert "\n" not in line, line
        assert "; fix: " in line, "every problem says how to fix it: %s" % line
    for secret in secret_values(tree, checks.SECRET_VARS):
        assert secret not in text, "%s: a secret value leaked into the messages" % case_id(path)


NAMED = tuple(checks.collected_names()) + (checks.SERVERS, checks.AGENTS, checks.CLUSTER)


def _names_set_by(case):
    names = set((case.get("vars") or {}).keys())
    for host_vars in (case.get("host_vars") or {}).values():
        names.update(host_vars)
    for group_vars in (case.get("group_vars") or {}).values():
        names.update(group_vars)
    return tuple(names)


@pytest.mark.parametrize("path", CASES, ids=[case_id(p) for p in CASES])
def test_case_expects_a_variable_name(path):
    """Each case pins at least one message that starts with the variable (or group) it is about: one the
    collection reads, or the misspelled one the case sets."""
    case = load_case(path)
    named = NAMED + _names_set_by(case)
    assert any(expected.startswith(named) for expected in case["expect"]), "%s: no expect names the variable" % case_id(path)
