"""roles/baseline sshd_hardening.conf.j2, rendered: every SSH hardening setting, one assertion each, with the role's
defaults, and the inventory options that change them. (molecule checks the file on a host with sshd -t; this
catches a changed or dropped setting without a container.)"""

import pytest
from role_render import RoleRender


def sshd_settings(**inventory):
    text = RoleRender("baseline", **inventory).template("baseline", "sshd_hardening.conf.j2")
    settings = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _sep, value = line.partition(" ")
        assert key not in settings, "%s set twice: sshd takes the first, so the second is dead" % key
        settings[key] = value.strip()
    return settings


# (directive, value with the role's defaults): why each matters is in roles/baseline/README.md
HARDENING = [
    ("Port", "22"),
    ("PubkeyAuthentication", "yes"),
    ("PasswordAuthentication", "no"),
    ("KbdInteractiveAuthentication", "no"),
    ("PermitEmptyPasswords", "no"),
    ("PermitRootLogin", "prohibit-password"),
    ("MaxAuthTries", "3"),
    ("LoginGraceTime", "30"),
    ("ClientAliveInterval", "300"),
    ("ClientAliveCountMax", "2"),
    ("AllowTcpForwarding", "no"),
    ("AllowAgentForwarding", "no"),
    ("X11Forwarding", "no"),
    ("PermitUserEnvironment", "no"),
]


@pytest.mark.parametrize("directive, value", HARDENING, ids=[d for d, _v in HARDENING])
def test_each_hardening_setting_with_the_defaults(directive, value):
    assert sshd_settings().get(directive) == value


def test_no_setting_beyond_the_hardening_list():
    assert sorted(sshd_settings()) == sorted(d for d, _v in HARDENING)


@pytest.mark.parametrize("inventory, expected", [
    ({"baseline_ssh_password_authentication": True}, {"PasswordAuthentication": "yes", "KbdInteractiveAuthentication": "yes"}),
    ({"baseline_ssh_permit_root_login": "no"}, {"PermitRootLogin": "no"}),
    ({"baseline_ssh_port": 2222}, {"Port": "2222"}),
    ({"baseline_ssh_max_auth_tries": 2}, {"MaxAuthTries": "2"}),
    ({"baseline_ssh_client_alive_interval": 60, "baseline_ssh_client_alive_count_max": 5},
     {"ClientAliveInterval": "60", "ClientAliveCountMax": "5"}),
    ({"baseline_ssh_allow_tcp_forwarding": True}, {"AllowTcpForwarding": "yes"}),
    ({"baseline_ssh_x11_forwarding": True}, {"X11Forwarding": "yes"}),
])
def test_inventory_options_reach_the_file_and_nothing_else_moves(inventory, expected):
    settings = sshd_settings(**inventory)
    for directive, value in expected.items():
        assert settings[directive] == value
    defaults = dict(HARDENING)
    unchanged = {d: v for d, v in settings.items() if d not in expected}
    assert unchanged == {d: defaults[d] for d in unchanged}
