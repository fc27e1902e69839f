# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of roles/baseline: decide whether SSH hardening could lock the operator out."""

from __future__ import annotations


def _admins_with_keys(admin_users):
    names = set()
    for user in admin_users or []:
        if not isinstance(user, dict):
            continue
        if user.get("state", "present") != "present":
            continue
        if [k for k in (user.get("keys") or []) if str(k).strip()]:
            names.add(user.get("name"))
    return names


def _absent_admins(admin_users):
    return {u.get("name") for u in admin_users or [] if isinstance(u, dict) and u.get("state") == "absent"}


def host_ssh_lockout_reasons(plan):
    """Return why the planned sshd settings could lock the connecting operator out ([] = safe).

    Only an SSH connection can be cut by sshd settings: over podman, local or a console the list is
    empty. Over SSH the account Ansible logs in with must keep a way in after the change.
    """
    if not isinstance(plan, dict):
        raise TypeError("host_ssh_lockout_reasons expects a dict, got %s" % type(plan).__name__)
    if not plan.get("over_ssh"):
        return []

    user = str(plan.get("remote_user") or "")
    admin_users = plan.get("admin_users") or []
    with_keys = _admins_with_keys(admin_users)
    reasons = []

    if user in _absent_admins(admin_users):
        reasons.append("baseline_admin_users marks %s absent, but Ansible logs in as %s: connect with another admin first" % (user, user))
    if not plan.get("password_authentication", True):
        if not plan.get("remote_user_has_keys") and user not in with_keys:
            reasons.append(
                "baseline_ssh_password_authentication=false, but %s (the account Ansible connects with) has no "
                "authorized key on the host and no keys in baseline_admin_users: add its public key there first" % user
            )
    if user == "root" and plan.get("permit_root_login") == "no":
        reasons.append(
            "baseline_ssh_permit_root_login=no while Ansible logs in as root over SSH: connect as an admin user "
            "(baseline_admin_users, with become) before closing root logins"
        )
    if plan.get("exclusive_keys") and user in with_keys:
        reasons.append(
            "baseline_admin_exclusive_keys=true would replace the authorized keys of %s, the account Ansible "
            "connects with, and the key in use may not be listed: run it from another admin account" % user
        )
    return reasons


class FilterModule:
    """Filters for SSH hardening safety."""

    def filters(self):
        return {"host_ssh_lockout_reasons": host_ssh_lockout_reasons}
