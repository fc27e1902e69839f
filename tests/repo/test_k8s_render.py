"""The shared render step: files land in <dir>/<layer>/NN-name.yaml, reruns change nothing, stale files go."""

import os

import pytest
import yaml
from fixture_playbook import run_fixture_playbook


def _play(render_dir, *extra, expect_rc=0):
    returncode, result, output = run_fixture_playbook("render_demo.yml", "chainops_render_dir=%s" % render_dir, *extra)
    assert returncode == expect_rc, output[-6000:]
    return result if expect_rc == 0 else output


def _changed(result):
    return result["stats"]["localhost"]["changed"]


@pytest.mark.slow
def test_render_then_rerun_and_prune(tmp_path):
    first = _play(str(tmp_path))
    layer = tmp_path / "demo"
    assert sorted(os.listdir(layer)) == ["00-namespaces.yaml", "10-configmap.yaml"]
    docs = list(yaml.safe_load_all((layer / "00-namespaces.yaml").read_text()))
    assert [d["metadata"]["name"] for d in docs if d] == ["ethereum", "monitoring"]
    assert _changed(first) >= 1
    before = {n: (layer / n).read_bytes() for n in os.listdir(layer)}

    second = _play(str(tmp_path))
    assert _changed(second) == 0, "re-rendering the same input must change nothing"
    assert {n: (layer / n).read_bytes() for n in os.listdir(layer)} == before

    (layer / "99-stale.yaml").write_text("---\n")
    third = _play(str(tmp_path), "demo_count=1")
    assert sorted(os.listdir(layer)) == ["00-namespaces.yaml"], "stale and dropped files must be pruned"
    assert _changed(third) >= 1


@pytest.mark.slow
def test_input_change_changes_output(tmp_path):
    _play(str(tmp_path))
    _play(str(tmp_path), "demo_network=mainnet")
    assert "network: mainnet" in (tmp_path / "demo" / "10-configmap.yaml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["k8s_render_layer=Bad_Layer", '{"demo_objects": [{"name": "namespaces", "template": "/x.j2"}]}',
                                 '{"demo_objects": [{"name": "00-a", "template": "relative.j2"}]}'])
def test_bad_requests_are_refused(tmp_path, bad):
    extra = bad if bad.startswith("{") else bad
    out = _play(str(tmp_path), extra, expect_rc=2)
    assert "k8s_render_objects" in out or "k8s_render_layer" in out


@pytest.mark.slow
def test_a_template_without_the_block_settings_line_is_refused(tmp_path):
    """The template lookup takes lstrip_blocks/trim_blocks only from a template's first line; without it the YAML keeps
    the indentation of the block tags, so such a template is refused by name before anything is written."""
    bad = '{"demo_objects": [{"name": "00-a", "template": "%s"}]}' % os.path.join(os.path.dirname(__file__), "fixtures", "noheader.yaml.j2")
    out = _play(str(tmp_path), bad, expect_rc=2)
    assert "noheader.yaml.j2 must be" in out and "#jinja2:lstrip_blocks: True, trim_blocks: True" in out
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_block_tags_leave_no_indentation(tmp_path):
    """lstrip_blocks and trim_blocks apply: an indented block tag leaves neither its indentation nor its line."""
    _play(str(tmp_path))
    text = (tmp_path / "demo" / "00-namespaces.yaml").read_text()
    assert text.startswith("---\napiVersion: v1\n"), text
    assert "#jinja2" not in text and "{%" not in text
    assert (tmp_path / "demo" / "10-configmap.yaml").read_text().endswith("\ndata:\n  network: hoodi\n")


@pytest.mark.slow
def test_render_dir_with_dotdot_keeps_fresh_files(tmp_path):
    """A render dir written with '..' (as the lab's is) must not make fresh files look stale."""
    (tmp_path / "inv").mkdir()
    _play(str(tmp_path / "inv" / ".."))
    assert sorted(os.listdir(tmp_path / "demo")) == ["00-namespaces.yaml", "10-configmap.yaml"]
    assert _changed(_play(str(tmp_path / "inv" / ".."))) == 0


def _seed_foreign_files(layer):
    """Files a render with k8s_render_prune_pattern "[0-9][0-9]-*.yaml" does not own, and two it does."""
    (layer / "99-stale.yaml").write_text("---\n")
    (layer / "98-stale.yaml").write_text("---\n")
    (layer / "notes.yaml").write_text("kept: not matched by the pattern\n")
    (layer / ".97-hidden.yaml").write_text("kept: a leading dot is never matched\n")
    (layer / "96-link.yaml").symlink_to(layer / "notes.yaml")
    (layer / "95-dir.yaml").mkdir()
    (layer / "95-dir.yaml" / "94-inner.yaml").write_text("kept: only the layer folder itself is pruned\n")


FOREIGN = [".97-hidden.yaml", "95-dir.yaml", "96-link.yaml", "notes.yaml"]
PATTERN = "k8s_render_prune_pattern=[0-9][0-9]-*.yaml"


@pytest.mark.slow
def test_prune_removes_only_regular_files_matching_the_pattern(tmp_path):
    """Pruning takes the files of the layer folder whose names match k8s_render_prune_pattern: not other names, not
    dot files, not symlinks, not directories or what is inside them, and never the files this render wrote."""
    _play(str(tmp_path), PATTERN)
    layer = tmp_path / "demo"
    _seed_foreign_files(layer)
    result = _play(str(tmp_path), PATTERN)
    assert sorted(os.listdir(layer)) == sorted(["00-namespaces.yaml", "10-configmap.yaml", *FOREIGN])
    assert (layer / "95-dir.yaml" / "94-inner.yaml").exists()
    assert _changed(result) == 1, "one task (the prune loop) changes something"


@pytest.mark.slow
def test_prune_in_check_mode_and_prune_off_keep_every_file(tmp_path):
    _play(str(tmp_path), PATTERN)
    layer = tmp_path / "demo"
    _seed_foreign_files(layer)
    expected = sorted(["00-namespaces.yaml", "10-configmap.yaml", "98-stale.yaml", "99-stale.yaml", *FOREIGN])
    returncode, output = run_fixture_playbook("render_demo.yml", "chainops_render_dir=%s" % tmp_path, PATTERN, options=["--check"])[::2]
    assert returncode == 0, output[-6000:]
    assert sorted(os.listdir(layer)) == expected, "check mode must remove nothing"
    _play(str(tmp_path), PATTERN, '{"k8s_render_prune": false}')
    assert sorted(os.listdir(layer)) == expected, "k8s_render_prune: false must remove nothing"


@pytest.mark.slow
def test_a_first_render_in_check_mode_writes_nothing(tmp_path):
    returncode, output = run_fixture_playbook("render_demo.yml", "chainops_render_dir=%s" % tmp_path, options=["--check"])[::2]
    assert returncode == 0, output[-6000:]
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_a_render_dir_with_glob_characters_is_refused(tmp_path):
    out = _play(str(tmp_path / "out[1]"), expect_rc=2)
    assert "may not contain *, ? or [" in out and "chainops_render_dir" in out
    assert not (tmp_path / "out[1]").exists()
