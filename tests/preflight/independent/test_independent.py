"""Black-box preflight test over an independently written set of inventories (see README.md here).

Each case is an edit of base/ (a copy of inventories/production-example). The test builds the inventory in a
temporary directory, runs the real `ansible-playbook playbooks/preflight.yml -i <inventory>` on the controller,
and judges only the exit code and the failure messages: a bad case must fail with a message that names the
case's `variable` and contains its `fix_words`; a good variant must pass.

The playbook runs are marked `independent` (kept out of the unit group until preflight has the checks). The
structural tests at the bottom run everywhere: every case applies cleanly to base/ and is well formed.

Build one case by hand to look at it:  python tests/preflight/independent/test_independent.py 17-pod-cidr-too-small /tmp/x
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BASE = os.path.join(HERE, "base")
CASES = os.path.join(HERE, "cases")
GOOD = os.path.join(HERE, "good")
CLASSES = {"identity", "controller-paths", "unknown-variables", "exposure", "sizing", "address-families",
           "role-options", "versions", "secrets-and-scalars"}
PLACEHOLDERS = ("@TEST_TOKEN@", "@TEST_S3_ACCESS_KEY@", "@TEST_S3_SECRET_KEY@")


def _names(folder):
    return sorted(n for n in os.listdir(folder) if os.path.isdir(os.path.join(folder, n)))


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _test_values():
    """Throw-away random secrets, new for every build: never real ones, never written outside the temporary
    inventory. Shaped like the real thing (k3s token: `openssl rand -hex 32`; S3 keys: 20 and 40 characters) so
    the case's own mistake is its only one."""
    return {"@TEST_TOKEN@": secrets.token_hex(32),
            "@TEST_S3_ACCESS_KEY@": secrets.token_hex(10).upper(),
            "@TEST_S3_SECRET_KEY@": secrets.token_urlsafe(30)}


def build(variant_dir, dest):
    """Copy base/ to dest and apply variant_dir/edits.yml. Each edit names a file under the inventory and either
    replaces `old` (which must occur exactly once) by `new`, appends `append`, or sets the whole `content`."""
    shutil.copytree(BASE, dest)
    values = _test_values()
    for edit in _load(os.path.join(variant_dir, "edits.yml")):
        path = os.path.join(dest, edit["file"])
        if "content" in edit:
            text = edit["content"]
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if "append" in edit:
                text = text + edit["append"]
            else:
                count = text.count(edit["old"])
                if count != 1:
                    raise AssertionError("%s: edit of %s expects its `old` text once in base/, found %d times:\n%s"
                                         % (variant_dir, edit["file"], count, edit["old"]))
                text = text.replace(edit["old"], edit["new"])
        for key, value in values.items():
            text = text.replace(key, value)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return dest


# Keys of a task result that echo the task's input rather than say what is wrong: never counted as the message.
ECHO_KEYS = {"assertion", "evaluated_to", "invocation", "item", "ansible_loop_var", "results", "action", "changed",
             "failed", "unreachable", "skipped", "skip_reason", "_ansible_no_log", "_ansible_verbose_always",
             "_ansible_item_label", "_ansible_delegated_vars"}


def _messages(node, out):
    """What failed results report: `msg` and any other field they carry (e.g. a list of problems), also inside
    loop results. Fields that echo the task's input (the assertion, the loop item) are left out."""
    if isinstance(node, dict):
        if node.get("failed") or node.get("unreachable"):
            for key, value in node.items():
                if key not in ECHO_KEYS and value not in (None, "", [], {}):
                    out.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for item in node.get("results") or []:
            _messages(item, out)
    return out


def run_preflight(inventory):
    """Run the real preflight playbook against `inventory`. Returns (rc, failure text, unreachable hosts, raw).

    SSH is replaced by /bin/false, so a task that tried to contact a host fails as unreachable (reported by the
    test) instead of sending anything over the network."""
    env = dict(os.environ,
               ANSIBLE_CONFIG=os.path.join(REPO, "tests", "repo", "fixtures", "plain.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_SSH_EXECUTABLE="/bin/false",
               ANSIBLE_TIMEOUT="5")
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), os.path.join(REPO, "playbooks", "preflight.yml"),
           "-i", inventory]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    failures, unreachable = [], []
    start = proc.stdout.find("{")
    try:
        result = json.loads(proc.stdout[start:]) if start >= 0 else {}
    except ValueError:
        result = {}
    for play in result.get("plays", []):
        for task in play.get("tasks", []):
            for host, res in task.get("hosts", {}).items():
                if res.get("unreachable"):
                    unreachable.append(host)
                _messages(res, failures)
    # Errors raised before or outside a task (inventory parsing, templating of play keywords) go to stderr.
    failures += [line for line in proc.stderr.splitlines() if re.match(r"\s*(\[ERROR\]|ERROR!)", line)]
    return proc.returncode, "\n".join(failures), unreachable, proc.stdout + proc.stderr


def _found(word, text):
    """Whether `word` occurs in `text` as a whole name: where the word starts or ends with a letter, digit or
    '_', the neighbouring character must not be one (so metallb_pool is not found inside metallb_pools).
    Plain words (letters and spaces only) ignore case; names and values (with digits, '_', '-', '/', ...)
    must match exactly."""
    plain = re.fullmatch(r"[A-Za-z ]+", word) is not None
    pattern = re.escape(word)
    if re.match(r"\w", word):
        pattern = r"(?<!\w)" + pattern
    if re.search(r"\w$", word):
        pattern = pattern + r"(?!\w)"
    return re.search(pattern, text, re.IGNORECASE if plain else 0) is not None


def _word_found(word, text):
    """A fix word may list alternatives separated by '|'; any one of them is enough."""
    return any(_found(alt, text) for alt in word.split("|"))


@pytest.mark.independent
@pytest.mark.slow
@pytest.mark.parametrize("case", _names(CASES))
def test_bad_inventory_is_refused(case, tmp_path):
    expect = _load(os.path.join(CASES, case, "expect.yml"))
    inventory = build(os.path.join(CASES, case), str(tmp_path / "inventory"))
    rc, failures, unreachable, raw = run_preflight(inventory)
    assert not unreachable, "%s: preflight tried to contact %s\n%s" % (case, unreachable, raw[-3000:])
    assert rc != 0, "%s accepted: %s\n%s" % (case, expect["description"], raw[-3000:])
    assert _found(expect["variable"], failures), (
        "%s refused, but no failure message names %r:\n%s" % (case, expect["variable"], failures))
    missing = [w for w in expect["fix_words"] if not _word_found(w, failures)]
    assert not missing, "%s refused, but the message lacks %s (the fix):\n%s" % (case, missing, failures)


@pytest.mark.independent
@pytest.mark.slow
@pytest.mark.parametrize("variant", _names(GOOD))
def test_good_variant_passes(variant, tmp_path):
    inventory = build(os.path.join(GOOD, variant), str(tmp_path / "inventory"))
    rc, failures, unreachable, raw = run_preflight(inventory)
    assert not unreachable, "%s: preflight tried to contact %s" % (variant, unreachable)
    assert rc == 0, "%s refused:\n%s\n%s" % (variant, failures, raw[-3000:])


# --- structure (no ansible-playbook; runs in the unit group) ------------------------------------------------

def test_corpus_shape():
    cases = _names(CASES)
    assert len(cases) == 32, cases
    assert [c.split("-", 1)[0] for c in cases] == ["%02d" % n for n in range(1, 33)]
    assert _names(GOOD) == ["five-servers", "pairs-on-agents-only", "single-node-lab"]
    seen = set()
    for case in cases:
        expect = _load(os.path.join(CASES, case, "expect.yml"))
        assert set(expect) == {"class", "description", "variable", "fix_words"}, case
        assert expect["class"] in CLASSES, case
        assert isinstance(expect["variable"], str) and expect["variable"], case
        assert isinstance(expect["fix_words"], list) and 1 <= len(expect["fix_words"]) <= 3, case
        assert all(isinstance(w, str) and w for w in expect["fix_words"]), case
        seen.add(expect["class"])
    assert seen == CLASSES


@pytest.mark.parametrize("variant", ["cases/" + n for n in _names(CASES)] + ["good/" + n for n in _names(GOOD)])
def test_variant_builds_and_differs_from_base(variant, tmp_path):
    """Every edit applies to the current base/ exactly once, and the result is an inventory that parses
    and differs from base/. Placeholders are all filled with test values."""
    dest = build(os.path.join(HERE, variant), str(tmp_path / "inventory"))
    changed = False
    for root, _dirs, files in os.walk(dest):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, dest)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            assert not any(p in text for p in PLACEHOLDERS), (variant, rel)
            assert isinstance(yaml.safe_load(text), dict), (variant, rel)
            base_path = os.path.join(BASE, rel)
            if not os.path.exists(base_path):
                changed = True
                continue
            with open(base_path, encoding="utf-8") as handle:
                changed = changed or handle.read() != text
    assert changed, variant


def test_edit_of_missing_text_is_refused(tmp_path):
    """A case whose `old` text no longer exists in base/ must not silently become the base inventory."""
    variant = tmp_path / "variant"
    variant.mkdir()
    (variant / "edits.yml").write_text("---\n- file: hosts.yml\n  old: 'no such text'\n  new: x\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="found 0 times"):
        build(str(variant), str(tmp_path / "inventory"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: test_independent.py <case or good variant> <new directory>")
    NAME = sys.argv[1]
    SOURCE = os.path.join(CASES, NAME) if os.path.isdir(os.path.join(CASES, NAME)) else os.path.join(GOOD, NAME)
    print(build(SOURCE, sys.argv[2]))
