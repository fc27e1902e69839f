"""host_ssh_lockout_reasons: SSH hardening never locks the operator out."""

import pytest

from ansible_collections.chainops.ethereum.plugins.filter.host_ssh import host_ssh_lockout_reasons

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops@laptop"


def plan(**overrides):
    base = {
        "over_ssh": True,
        "remote_user": "ops",
        "remote_user_has_keys": True,
        "admin_users": [],
        "password_authentication": False,
        "permit_root_login": "prohibit-password",
        "exclusive_keys": False,
    }
    base.update(overrides)
    return base


def test_safe_when_the_login_account_has_keys():
    assert host_ssh_lockout_reasons(plan()) == []


def test_refuses_keys_only_when_the_login_account_has_no_key():
    reasons = host_ssh_lockout_reasons(plan(remote_user_has_keys=False))
    assert len(reasons) == 1
    assert "baseline_ssh_password_authentication" in reasons[0] and "ops" in reasons[0]


def test_admin_user_keys_count_for_the_login_account():
    users = [{"name": "ops", "keys": [KEY]}]
    assert host_ssh_lockout_reasons(plan(remote_user_has_keys=False, admin_users=users)) == []


def test_keys_of_another_admin_do_not_count():
    users = [{"name": "alice", "keys": [KEY]}]
    assert host_ssh_lockout_reasons(plan(remote_user_has_keys=False, admin_users=users))


def test_empty_key_strings_do_not_count():
    users = [{"name": "ops", "keys": ["  "]}]
    assert host_ssh_lockout_reasons(plan(remote_user_has_keys=False, admin_users=users))


def test_password_authentication_on_needs_no_key():
    assert host_ssh_lockout_reasons(plan(remote_user_has_keys=False, password_authentication=True)) == []


def test_refuses_closing_root_logins_while_ansible_is_root():
    reasons = host_ssh_lockout_reasons(plan(remote_user="root", permit_root_login="no"))
    assert any("baseline_ssh_permit_root_login=no" in r for r in reasons)
    assert host_ssh_lockout_reasons(plan(remote_user="root", permit_root_login="prohibit-password")) == []
    assert host_ssh_lockout_reasons(plan(remote_user="ops", permit_root_login="no")) == []


def test_refuses_removing_the_login_account():
    reasons = host_ssh_lockout_reasons(plan(admin_users=[{"name": "ops", "state": "absent"}]))
    assert any("absent" in r for r in reasons)


def test_refuses_exclusive_keys_on_the_login_account():
    users = [{"name": "ops", "keys": [KEY]}]
    assert host_ssh_lockout_reasons(plan(admin_users=users, exclusive_keys=True))
    assert host_ssh_lockout_reasons(plan(admin_users=[{"name": "alice", "keys": [KEY]}], exclusive_keys=True)) == []


def test_connections_other_than_ssh_cannot_be_locked_out():
    dangerous = plan(over_ssh=False, remote_user="root", remote_user_has_keys=False, permit_root_login="no", exclusive_keys=True)
    assert host_ssh_lockout_reasons(dangerous) == []


def test_rejects_a_non_dict():
    with pytest.raises(TypeError):
        host_ssh_lockout_reasons(["over_ssh"])
