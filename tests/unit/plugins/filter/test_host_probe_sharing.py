"""One host_probe call shared by the host roles: the merged request asks everything each role asks, and a role takes
a result only when it was asked all the role's questions."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.chainops.ethereum.plugins.filter.host_probe import host_probe_answers, host_probe_merge
from ansible_collections.chainops.ethereum.plugins.modules import host_probe

BASELINE = {"sysctls": ["vm.swappiness"], "units": ["ssh.service", "chrony.service"], "packages": ["chrony", "nftables"],
            "swap": True, "login": True, "files": ["/etc/chrony/chrony.conf"]}
STORAGE = {"files": ["/var/lib/chainops"]}
FIREWALL = {"nft_table": "inet chainops_host", "units": ["chainops-firewall.service", "ssh.service"], "packages": ["nftables"],
            "files": ["/etc/chainops/firewall.nft"]}


def test_merge_asks_everything_once():
    merged = host_probe_merge([BASELINE, STORAGE, FIREWALL])
    assert merged["units"] == ["ssh.service", "chrony.service", "chainops-firewall.service"]
    assert merged["packages"] == ["chrony", "nftables"]
    assert merged["files"] == ["/etc/chrony/chrony.conf", "/var/lib/chainops", "/etc/chainops/firewall.nft"]
    assert merged["swap"] is True and merged["login"] is True and merged["nft_table"] == "inet chainops_host"
    assert host_probe_merge([STORAGE, {"swap": False}]) == {"files": ["/var/lib/chainops"], "swap": False}


def test_merge_refuses_what_cannot_be_shared():
    with pytest.raises(AnsibleFilterError, match="different nft_table"):
        host_probe_merge([FIREWALL, {"nft_table": "inet other"}])
    with pytest.raises(AnsibleFilterError, match="tcp cannot be shared"):
        host_probe_merge([{"tcp": ["10.0.0.1:6443"]}])  # an answer about the network depends on the moment
    with pytest.raises(AnsibleFilterError, match="must be a dict"):
        host_probe_merge([["units"]])


def result_for(request):
    """What host_probe returns for a request: its `asked` echo, as the module builds it."""
    asked = dict((key, request.get(key, False if key in ("swap", "login") else None if key == "nft_table" else [])) for key in host_probe._ASKED)
    return {"changed": False, "asked": asked}


def test_a_result_answers_each_role_it_was_asked_for():
    shared = result_for(host_probe_merge([BASELINE, STORAGE, FIREWALL]))
    assert all(host_probe_answers(shared, request) for request in (BASELINE, STORAGE, FIREWALL))


@pytest.mark.parametrize("missing", [
    {"units": ["other.service"]},
    {"files": ["/etc/other.conf"]},
    {"packages": ["lvm2"]},
    {"sysctls": ["net.ipv4.ip_forward"]},
    {"login": True},
    {"nft_table": "inet other"},
])
def test_a_result_not_asked_one_question_does_not_answer(missing):
    shared = result_for(host_probe_merge([STORAGE, {"units": ["ssh.service"], "nft_table": "inet chainops_host"}]))
    assert host_probe_answers(shared, missing) is False


def test_failed_skipped_or_old_results_answer_nothing():
    good = result_for(BASELINE)
    assert host_probe_answers(good, BASELINE) is True
    assert host_probe_answers(dict(good, failed=True), BASELINE) is False
    assert host_probe_answers({"skipped": True, "changed": False}, STORAGE) is False
    assert host_probe_answers({k: v for k, v in good.items() if k != "asked"}, BASELINE) is False  # no `asked`
    assert host_probe_answers({}, STORAGE) is False  # the role default: probe yourself


def test_the_module_echoes_what_it_was_asked(tmp_path, run_module_file):
    args = {"units": [], "files": [str(tmp_path)], "swap": True, "packages": []}
    out = run_module_file(host_probe, args)
    assert out["asked"]["files"] == [str(tmp_path)] and out["asked"]["swap"] is True and out["asked"]["login"] is False
    assert out["files"][str(tmp_path)]["type"] == "directory"
    assert host_probe_answers(out, {"files": [str(tmp_path)], "swap": True}) is True
    assert host_probe_answers(out, {"files": [str(tmp_path)], "login": True}) is False


class NftModule:
    """get_bin_path and run_command, as AnsibleModule offers them."""

    def __init__(self, nft, rc=0, out=""):
        self.nft, self.rc, self.out, self.ran = nft, rc, out, []

    def get_bin_path(self, name):
        return self.nft if name == "nft" else None

    def run_command(self, argv, environ_update=None):
        self.ran.append(argv)
        return self.rc, self.out, ""


def test_nft_table_on_a_host_without_nftables_yet():
    # the host layer's shared probe runs before baseline installs nftables: no nft command means no table loaded
    bare = NftModule(None)
    assert host_probe.nft_table_state(bare, "inet chainops_host") == {"present": False, "listing": ""}
    assert bare.ran == []
    loaded = NftModule("/usr/sbin/nft", 0, "table inet chainops_host {\n}\n")
    assert host_probe.nft_table_state(loaded, "inet chainops_host") == {"present": True, "listing": "table inet chainops_host {\n}\n"}
    assert loaded.ran == [["/usr/sbin/nft", "list", "table", "inet", "chainops_host"]]
    assert host_probe.nft_table_state(NftModule("/usr/sbin/nft", 1, "x"), "inet chainops_host")["present"] is False
