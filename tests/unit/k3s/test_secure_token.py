"""The join token pins the cluster CA once there is one: K10<ca sha256>::server:<secret>."""

import pytest

from ansible_collections.chainops.ethereum.plugins.filter.k3s_cluster import (
    K3sClusterError,
    k3s_files_to_copy,
    k3s_secure_token,
    k3s_token_secret,
)

CA = "0123456789abcdef" * 4
SECRET = "s3cr3tjoinsecretvalue"


def test_secure_form():
    assert k3s_secure_token(SECRET, CA) == "K10%s::server:%s" % (CA, SECRET)
    assert k3s_secure_token(SECRET, CA.upper()) == "K10%s::server:%s" % (CA, SECRET)


def test_a_secure_inventory_token_must_pin_this_cluster():
    token = "K10%s::server:%s" % (CA, SECRET)
    assert k3s_secure_token(token, CA) == token
    with pytest.raises(K3sClusterError, match="another cluster"):
        k3s_secure_token(token, "f" * 64)


@pytest.mark.parametrize("ca", ["", "abc", "g" * 64, None])
def test_no_secure_token_without_a_real_ca_hash(ca):
    with pytest.raises(K3sClusterError, match="sha256"):
        k3s_secure_token(SECRET, ca)


@pytest.mark.parametrize("secret", ["", "short", "with space in it 123", "has:colon:0123456789", "check-mode\nno-token-yet"])
def test_bad_secrets_are_refused(secret):
    with pytest.raises(K3sClusterError, match="secret"):
        k3s_secure_token(secret, CA)


def test_token_secret_strips_the_secure_prefix():
    assert k3s_token_secret("K10%s::server:%s" % (CA, SECRET)) == SECRET
    assert k3s_token_secret(SECRET) == SECRET


def test_files_to_copy_compares_content_mode_and_owner():
    art = [{"dest": "/usr/local/bin/k3s", "sha256": "a" * 64, "mode": "0755"},
           {"dest": "/img.tar", "sha256": "b" * 64, "mode": "0644"}]
    same = {"sha256": {"/usr/local/bin/k3s": "a" * 64, "/img.tar": "b" * 64},
            "modes": {"/usr/local/bin/k3s": {"mode": "0755", "uid": 0, "gid": 0}, "/img.tar": {"mode": "0644", "uid": 0, "gid": 0}}}
    assert k3s_files_to_copy(art, same) == []
    other = {"sha256": dict(same["sha256"], **{"/img.tar": "c" * 64}), "modes": same["modes"]}
    assert [a["dest"] for a in k3s_files_to_copy(art, other)] == ["/img.tar"]
    moded = {"sha256": same["sha256"], "modes": dict(same["modes"], **{"/usr/local/bin/k3s": {"mode": "0775", "uid": 0, "gid": 0}})}
    assert [a["dest"] for a in k3s_files_to_copy(art, moded)] == ["/usr/local/bin/k3s"]
    owned = {"sha256": same["sha256"], "modes": dict(same["modes"], **{"/img.tar": {"mode": "0644", "uid": 1000, "gid": 0}})}
    assert [a["dest"] for a in k3s_files_to_copy(art, owned)] == ["/img.tar"]
    missing = {"sha256": {"/usr/local/bin/k3s": None, "/img.tar": "b" * 64}, "modes": dict(same["modes"], **{"/usr/local/bin/k3s": None})}
    assert [a["dest"] for a in k3s_files_to_copy(art, missing)] == ["/usr/local/bin/k3s"]
