"""Client profiles (data/clients/*.yml): loading, validation, version judgement and argument rendering."""

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from ansible_collections.chainops.ethereum.plugins.plugin_utils import _client_profiles as cp

ROOT = Path(__file__).resolve().parents[3]
EXECUTION = ("besu", "erigon", "geth", "nethermind", "reth")
CONSENSUS = ("lighthouse", "lodestar", "nimbus", "prysm", "teku")


@pytest.fixture(scope="module")
def profiles():
    return cp.load_profiles()


@pytest.fixture
def tree(tmp_path):
    """A copy of data/clients in a scratch collection root, for broken-file tests."""
    shutil.copytree(ROOT / "data" / "clients", tmp_path / "data" / "clients")
    return tmp_path


def _edit(tree, name, change):
    path = tree / "data" / "clients" / ("%s.yml" % name)
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False))
    return path


# --- loading ----------------------------------------------------------------------------------------------


def test_loads_every_client_from_the_collection_root(profiles):
    assert cp.profiles_dir() == ROOT / "data" / "clients"
    assert cp.clients_of_kind(profiles, "execution") == EXECUTION
    assert cp.clients_of_kind(profiles, "consensus") == CONSENSUS


def test_contract_keys_the_preflight_reads(profiles):
    for name, data in profiles.items():
        assert data["name"] == name
        assert data["kind"] in ("execution", "consensus")
        assert "/" in data["image"] and ":" not in data["image"].rsplit("/", 1)[-1]
        version = data["version"]
        assert isinstance(version["tag_prefix"], str)
        assert cp.parse_release(version["minimum"]) <= cp.parse_release(version["recommended"])
        assert version["source"].strip()


def test_tag_conventions(profiles):
    tags = {name: cp.image_ref(data, data["version"]["recommended"]).rsplit(":", 1)[1] for name, data in profiles.items()}
    assert tags["geth"].startswith("v1.")
    assert tags["nethermind"][0].isdigit()
    assert tags["besu"][0].isdigit()
    assert tags["teku"][0].isdigit()
    assert tags["nimbus"].startswith("multiarch-v")
    assert tags["prysm"].startswith("v")


def test_missing_folder_and_empty_folder_are_errors(tmp_path):
    with pytest.raises(cp.ProfileError, match="folder is missing"):
        cp.load_profiles(tmp_path)
    (tmp_path / "data" / "clients").mkdir(parents=True)
    with pytest.raises(cp.ProfileError, match="holds no client profile"):
        cp.load_profiles(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("image"), r"geth\.yml: image is missing"),
        (lambda d: d["version"].pop("minimum"), r"geth\.yml: version\.minimum is missing"),
        (lambda d: d["version"].update(minimum="v1.16.7"), r"version\.minimum must be a bare X\.Y\.Z"),
        (lambda d: d["version"].update(recommended="1.0.0"), r"version\.recommended .* is older than version\.minimum"),
        (lambda d: d["version"].update(minimun="1.0.0"), r"version\.minimun is not a known key \(did you mean 'minimum'\?\)"),
        (lambda d: d.update(kind="beacon"), r"kind must be execution or consensus"),
        (lambda d: d.update(image="docker.io/ethereum/client-go:v1.16.7"), r"image must be a registry/repository without tag"),
        (lambda d: d.update(name="go-ethereum"), r"name is 'go-ethereum' but the file is geth\.yml"),
        (lambda d: d.update(imgae="x"), r"imgae is not a known key \(did you mean 'image'\?\)"),
        (lambda d: d["version"].update(tag_prefix="v "), r"version\.tag_prefix must be letters"),
    ],
)
def test_malformed_profile_names_file_and_key(tree, change, message):
    _edit(tree, "geth", change)
    with pytest.raises(cp.ProfileError, match=message):
        cp.load_profiles(tree)


def test_invalid_yaml_names_the_file(tree):
    (tree / "data" / "clients" / "geth.yml").write_text("name: [geth\n")
    with pytest.raises(cp.ProfileError, match=r"geth\.yml: is not valid YAML"):
        cp.load_profiles(tree)


def test_a_new_client_is_one_file(tree):
    source = yaml.safe_load((tree / "data" / "clients" / "geth.yml").read_text())
    source["name"] = "newclient"
    (tree / "data" / "clients" / "newclient.yml").write_text("---\n" + yaml.safe_dump(source))
    loaded = cp.load_profiles(tree)
    assert "newclient" in cp.clients_of_kind(loaded, "execution")
    assert cp.version_reason("newclient", "v1.17.6", loaded) is None


# --- versions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "value"),
    [
        ("geth", "v1.17.6"),
        ("geth", "1.17.6"),
        ("geth", "v1.16.7"),
        ("nethermind", "1.35.2"),
        ("nethermind", "2.1.0-chiseled"),
        ("besu", "25.11.0"),
        ("nimbus", "26.9.1"),
        ("nimbus", "v26.9.1"),
        ("nimbus", "multiarch-v26.9.1"),
        ("teku", "26.9.1-jdk25"),
        ("lodestar", "v1.49.0@sha256:" + "a" * 64),
    ],
)
def test_accepted_versions(profiles, client, value):
    assert cp.version_reason(client, value, profiles) is None


@pytest.mark.parametrize(
    ("client", "value", "reason", "fix"),
    [
        ("geth", "v1.16.5", "older than the oldest geth release", 'pin geth 1.16.7 or later, e.g. the recommended "v1.17.6"'),
        ("lodestar", "1.5.1", "older than the oldest lodestar release", "1.36.0 or later"),
        ("nethermind", "v1.35.2", "has the prefix 'v'", 'write "1.35.2"'),
        ("geth", "x1.17.6", "has the prefix 'x'", 'write "v1.17.6" or "1.17.6"'),
        ("geth", "latest", "floating tag", "pin a release of geth"),
        ("geth", "stable", "floating tag", "pin a release of geth"),
        ("geth", "v1.17", "no patch version", "full X.Y.Z"),
        ("geth", "1.17.6-unstable", "floating tag", "pin a release"),
        ("lighthouse", "v8.3.0-rc.0", "pre-release", "published release"),
        ("nethermind", "2.1.0-foo", "not a known nethermind image variant", "plain release"),
        ("geth", 1.17, "is the number", "quoted string"),
        ("geth", None, "missing or empty", "pin a release"),
        ("geth", "", "missing or empty", "pin a release"),
        ("geth", "v1.17.6@sha256:abc", "malformed digest", "sha256"),
        ("gethh", "v1.17.6", "unknown client 'gethh'", "use one of besu, erigon, geth"),
    ],
)
def test_refused_versions(profiles, client, value, reason, fix):
    result = cp.version_reason(client, value, profiles)
    assert result is not None
    assert reason in result[0]
    assert fix in result[1]


def test_version_reason_loads_the_collection_profiles_by_default():
    assert cp.version_reason("geth", "v1.17.6") is None
    assert cp.version_reason("geth", "v1.16.6") is not None


def test_image_ref(profiles):
    assert cp.image_ref(profiles["geth"], "1.17.6") == "docker.io/ethereum/client-go:v1.17.6"
    assert cp.image_ref(profiles["nimbus"], "v26.9.1") == "docker.io/statusim/nimbus-eth2:multiarch-v26.9.1"
    digest = "sha256:" + "b" * 64
    assert cp.image_ref(profiles["teku"], "26.9.1@" + digest) == "docker.io/consensys/teku:26.9.1@" + digest
    with pytest.raises(ValueError):
        cp.image_ref(profiles["teku"], "latest")


def test_minimum_is_compared_numerically(profiles):
    # 1.9.10 > 1.9.2 numerically, and 1.10.0 > 1.9.99
    data = copy.deepcopy(profiles["reth"])
    data["version"]["minimum"] = "1.9.2"
    fake = {"reth": data}
    assert cp.version_reason("reth", "v1.9.10", fake) is None
    assert cp.version_reason("reth", "v1.10.0", fake) is None
    assert cp.version_reason("reth", "v1.9.1", fake) is not None
