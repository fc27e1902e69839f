# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: run_summary
type: aggregate
short_description: End-of-run summary of what changed where, what was rendered and what was skipped
description:
  - Collects, per host, the tasks that reported a change, and prints them when the playbook ends.
  - Collects notices that roles emit with C(ansible.builtin.debug) messages starting with C(SKIPPED), C(RENDERED) or
    C(WARNING) and prints them once each, so an operator sees what the run did not do, and what it did at a risk the
    operator chose, and why.
  - Enable it with C(callbacks_enabled = chainops.ethereum.run_summary) in C(ansible.cfg).
author: chainops maintainers (@chainops)
requirements:
  - enable in callbacks_enabled
"""

from ansible.plugins.callback import CallbackBase

_PREFIXES = ("SKIPPED", "RENDERED", "WARNING")


def notices_from_result(result):
    """Return the SKIPPED:/RENDERED: notices carried by a task result (a debug msg or a list of them)."""
    msg = result.get("msg") if isinstance(result, dict) else None
    messages = msg if isinstance(msg, list) else [msg]
    return [m.strip() for m in messages if isinstance(m, str) and m.strip().startswith(_PREFIXES)]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "chainops.ethereum.run_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.changed = {}
        self.notices = []

    def _record(self, result):
        host = result._host.get_name()
        data = result._result
        delegated = (data.get("_ansible_delegated_vars") or {}).get("ansible_host") or getattr(result._task, "delegate_to", None)
        if delegated:
            # work done on the controller (rendering, fetched secrets) is not a change on the host
            host = "controller" if delegated in ("localhost", "127.0.0.1") else delegated
        if data.get("changed") and result._task.action not in ("ansible.builtin.debug", "debug"):
            self.changed.setdefault(host, []).append(result._task.get_name())
        for notice in notices_from_result(data):
            if notice not in self.notices:
                self.notices.append(notice)
        for item in data.get("results", []) if isinstance(data.get("results"), list) else []:
            if isinstance(item, dict):
                for notice in notices_from_result(item):
                    if notice not in self.notices:
                        self.notices.append(notice)

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_playbook_on_stats(self, stats):
        self._display.banner("CHAINOPS SUMMARY")
        hosts = sorted(set(stats.processed.keys()) | set(self.changed.keys()))
        for host in hosts:
            tasks = self.changed.get(host, [])
            if tasks:
                unique = sorted(set(tasks))
                self._display.display("changed on %s: %d task(s): %s" % (host, len(tasks), "; ".join(unique)))
            elif host != "localhost":
                self._display.display("changed on %s: nothing" % host)
        for notice in self.notices:
            self._display.display(notice)
