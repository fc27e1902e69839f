"""run_summary collects SKIPPED:/RENDERED:/WARNING: notices and per-host changes."""

from types import SimpleNamespace

from ansible_collections.chainops.ethereum.plugins.callback.run_summary import CallbackModule, notices_from_result


def _result(host, data, action="ansible.builtin.template", name="task", delegate_to=None):
    task = SimpleNamespace(action=action, get_name=lambda: name, delegate_to=delegate_to)
    return SimpleNamespace(_host=SimpleNamespace(get_name=lambda: host), _result=data, _task=task)


def test_notices_from_plain_and_list_messages():
    assert notices_from_result({"msg": "SKIPPED: k3s start (no binary)"}) == ["SKIPPED: k3s start (no binary)"]
    assert notices_from_result({"msg": ["RENDERED: 2 files", "", "other"]}) == ["RENDERED: 2 files"]
    assert notices_from_result({"msg": "all good"}) == []
    assert notices_from_result({"changed": True}) == []
    # operator-visible risks (a retired ingress controller, a public route without auth) reach the summary too
    assert notices_from_result({"msg": "WARNING: chainops_ingress is nginx"}) == ["WARNING: chainops_ingress is nginx"]


def test_changes_are_attributed_to_host_or_controller():
    cb = CallbackModule()
    cb._record(_result("node1", {"changed": True}, name="write config"))
    cb._record(_result("node1", {"changed": False}, name="unchanged"))
    cb._record(_result("node1", {"changed": True}, name="render", delegate_to="localhost"))
    cb._record(_result("node2", {"changed": True, "msg": "SKIPPED: x"}, action="ansible.builtin.debug"))
    assert cb.changed == {"node1": ["write config"], "controller": ["render"]}
    assert cb.notices == ["SKIPPED: x"]


def test_notices_in_loop_results_are_deduplicated():
    cb = CallbackModule()
    data = {"changed": False, "results": [{"msg": "SKIPPED: apply"}, {"msg": "SKIPPED: apply"}]}
    cb._record(_result("node1", data))
    cb._record(_result("node2", data))
    assert cb.notices == ["SKIPPED: apply"]
