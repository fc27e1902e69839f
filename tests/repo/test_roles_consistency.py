"""Every role keeps its public interface in one place: defaults/main.yml and meta/argument_specs.yml agree."""

import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(REPO, "roles")
ROLES = sorted(d for d in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, d))) if os.path.isdir(ROLES_DIR) else []


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_there_are_roles():
    assert ROLES, "roles/ holds no role"


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role):
    base = os.path.join(ROLES_DIR, role)
    spec_path = os.path.join(base, "meta", "argument_specs.yml")
    assert os.path.isfile(spec_path), f"{role}: meta/argument_specs.yml is missing"
    specs = _load(spec_path).get("argument_specs", {})
    assert "main" in specs, f"{role}: argument_specs has no 'main' entry point"
    spec_keys = set()
    for entry in specs.values():
        spec_keys.update((entry.get("options") or {}).keys())
    defaults_path = os.path.join(base, "defaults", "main.yml")
    default_keys = set(_load(defaults_path).keys()) if os.path.isfile(defaults_path) else set()
    missing_in_spec = default_keys - spec_keys
    assert not missing_in_spec, f"{role}: defaults not described in argument_specs: {sorted(missing_in_spec)}"
    main_keys = set((specs["main"].get("options") or {}).keys())
    undocumented_default = {k for k in main_keys - default_keys if not specs["main"]["options"][k].get("required")}
    assert not undocumented_default, f"{role}: optional options without a default in defaults/main.yml: {sorted(undocumented_default)}"


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_are_prefixed(role):
    defaults_path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
    if not os.path.isfile(defaults_path):
        pytest.skip(f"{role} has no defaults")
    bad = [k for k in _load(defaults_path) if not k.startswith(role + "_")]
    assert not bad, f"{role}: public variables must start with '{role}_': {bad}"


@pytest.mark.parametrize("role", ROLES)
def test_task_files_stay_short(role):
    tasks = os.path.join(ROLES_DIR, role, "tasks")
    if not os.path.isdir(tasks):
        pytest.skip(f"{role} has no tasks")
    for name in os.listdir(tasks):
        with open(os.path.join(tasks, name), encoding="utf-8") as handle:
            lines = handle.read().count("\n")
        assert lines <= 160, f"{role}/tasks/{name} has {lines} lines; split it"


def test_no_default_secrets():
    """No role default carries a literal secret (JWT hex, password, token)."""
    pattern = re.compile(r"(password|token|secret|jwt)[a-z_]*:\s*['\"]?([0-9a-fA-F]{32,}|[A-Za-z0-9+/]{24,}={0,2}|postgres|changeme|admin)['\"]?\s*$", re.I)
    offenders = []
    for role in ROLES:
        path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if pattern.search(line):
                        offenders.append(f"{role}/defaults/main.yml:{number}: {line.strip()}")
    assert not offenders, offenders
