"""Every filter the collection exports has documentation that ansible-doc shows, and the documented options are
the filter's real parameters.

The names come from importing plugins/filter/*.py and asking each FilterModule for its filters, so a filter added
to any file without a doc (plugins/filter/<name>.yml) fails here."""

import functools
import importlib
import inspect
import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILTER_DIR = os.path.join(REPO, "plugins", "filter")
BIN = os.path.join(REPO, ".venv", "bin")
ENV = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
           ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"), ANSIBLE_NOCOLOR="1")


def _exported_filters():
    """{filter name: (python file, function)} for every name a FilterModule in plugins/filter exports."""
    found = {}
    for entry in sorted(os.listdir(FILTER_DIR)):
        if not entry.endswith(".py") or entry.startswith("_"):
            continue
        module = importlib.import_module("ansible_collections.chainops.ethereum.plugins.filter." + entry[:-3])
        plugin = getattr(module, "FilterModule", None)
        if plugin is None:
            continue
        for name, func in plugin().filters().items():
            assert name not in found, "filter %s is exported by both %s and %s" % (name, found[name][0], entry)
            found[name] = (entry, func)
    return found


FILTERS = _exported_filters()
NAMES = sorted(FILTERS)


@functools.cache
def _ansible_doc(*args):
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", "filter", "--json", *args], env=ENV, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, "ansible-doc %s failed:\n%s%s" % (" ".join(args), proc.stdout[-2000:], proc.stderr[-2000:])
    return json.loads(proc.stdout)  # cached: callers must not change it


# the types ansible-doc and argument specs know; ansible-test sanity does not check a filter doc's types
TYPES = {"any", "bits", "bool", "bytes", "complex", "dict", "float", "int", "json", "jsonarg", "list", "path", "raw", "sid", "str"}


def _bad_types(fields, where):
    """Every (place, type) in an options/RETURN tree whose type (or elements type) is not an Ansible type."""
    bad = []
    for key, field in (fields or {}).items():
        for attr in ("type", "elements"):
            if attr in field and field[attr] not in TYPES:
                bad.append(("%s.%s.%s" % (where, key, attr), field[attr]))
        if "type" not in field:
            bad.append(("%s.%s.type" % (where, key), None))
        bad.extend(_bad_types(field.get("contains") or field.get("suboptions"), "%s.%s" % (where, key)))
    return bad


def _parameters(func):
    """(positional parameter names after the input, keyword-only parameter names) of a filter function."""
    params = list(inspect.signature(func).parameters.values())[1:]
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keyword = [p.name for p in params if p.kind == p.KEYWORD_ONLY]
    return positional, keyword


def test_the_collection_exports_filters():
    assert FILTERS, "no FilterModule in plugins/filter exports a filter"


def test_list_shows_every_exported_filter_documented():
    listed = _ansible_doc("--list", "chainops.ethereum")
    expected = {"chainops.ethereum." + name for name in NAMES}
    assert set(listed) == expected, "ansible-doc --list and the FilterModules disagree: only listed %s, only exported %s" % (
        sorted(set(listed) - expected), sorted(expected - set(listed)))
    undocumented = sorted(name for name, summary in listed.items() if summary == "UNDOCUMENTED" or not summary)
    assert not undocumented, "filters without documentation (add plugins/filter/<name>.yml): %s" % undocumented


def test_every_doc_file_belongs_to_an_exported_filter():
    docs = sorted(entry[:-4] for entry in os.listdir(FILTER_DIR) if entry.endswith(".yml"))
    stale = [name for name in docs if name not in FILTERS]
    assert not stale, "plugins/filter/<name>.yml for filters no FilterModule exports: %s" % stale


@pytest.mark.parametrize("name", NAMES)
def test_ansible_doc_shows_the_filter(name):
    fqcn = "chainops.ethereum." + name
    result = _ansible_doc(fqcn)
    assert fqcn in result, "ansible-doc has no documentation for %s (add plugins/filter/%s.yml)" % (fqcn, name)
    entry = result[fqcn]
    doc = entry["doc"]
    assert doc["name"] == name
    # the doc comes from this checkout, not from another installed copy of the collection
    assert os.path.dirname(os.path.realpath(doc["filename"])) == os.path.realpath(FILTER_DIR), doc["filename"]
    assert doc.get("short_description", "").strip() and doc.get("description"), "%s: no short_description/description" % name
    assert "_input" in (doc.get("options") or {}), "%s: the filter's input (_input) is not documented" % name
    assert fqcn in (entry.get("examples") or ""), "%s: EXAMPLES do not use %s" % (name, fqcn)
    assert "_value" in (entry.get("return") or {}), "%s: RETURN does not describe _value" % name
    bad = _bad_types(doc.get("options"), "options") + _bad_types(entry.get("return"), "RETURN")
    assert not bad, "%s: unknown or missing types %s" % (name, bad)


@pytest.mark.parametrize("name", NAMES)
def test_documented_options_are_the_filter_parameters(name):
    result = _ansible_doc("chainops.ethereum." + name)
    doc = result["chainops.ethereum." + name]["doc"]
    positional, keyword = _parameters(FILTERS[name][1])
    options = set(doc.get("options") or {}) - {"_input"}
    assert options == set(positional) | set(keyword), "%s (%s): documented options %s, parameters %s" % (
        name, FILTERS[name][0], sorted(options), positional + keyword)
    documented_positional = [p.strip() for p in str(doc.get("positional") or "").split(",") if p.strip()]
    assert documented_positional == positional, "%s: DOCUMENTATION.positional is %s, the function takes %s" % (
        name, documented_positional, positional)
