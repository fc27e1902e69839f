# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind chainops.ethereum.preflight_check: validates the inventory on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleUndefinedVariable
from ansible.plugins.action import ActionBase
from ansible_collections.chainops.ethereum.plugins.plugin_utils import _inventory_checks as checks

_MAX_ERROR = 200


def _describe_error(name, exc):
    """A one-line reason why a variable could not be templated; secret-bearing messages are not repeated."""
    if isinstance(exc, AnsibleUndefinedVariable) or name not in checks.SECRET_VARS:
        text = " ".join(str(getattr(exc, "message", None) or exc).split())
        if len(text) > _MAX_ERROR:
            text = text[:_MAX_ERROR] + "..."
        return text or type(exc).__name__
    return "%s (details hidden: the variable is a secret)" % type(exc).__name__


class ActionModule(ActionBase):
    """Collect the cluster hosts' variables, run every check, fail once with the whole list of problems."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = {}
        _validation, args = self.validate_argument_spec(
            argument_spec=dict(
                execution_clients=dict(type="list", elements="str", default=list(checks.EXECUTION_CLIENTS)),
                consensus_clients=dict(type="list", elements="str", default=list(checks.CONSENSUS_CLIENTS)),
                extra_checks=dict(type="list", elements="raw", default=[]),
            ),
        )
        result = super().run(tmp, task_vars)
        del tmp

        groups = task_vars.get("groups") or {}
        # every group (the checks read the three cluster groups, and look for misspellings of them among the others)
        group_view = dict((str(name), list(members or ())) for name, members in groups.items())
        for name in (checks.SERVERS, checks.AGENTS, checks.CLUSTER):
            group_view.setdefault(name, [])
        hostvars = task_vars.get("hostvars") or {}
        collected = {}
        names = checks.collected_names()
        for host in checks.cluster_hosts(group_view):
            collected[host] = self._collect(hostvars, host, names)

        extra = [self._evaluate_extra(entry) for entry in args["extra_checks"]]
        problems, notices = checks.check_inventory_report(
            collected,
            group_view,
            execution_clients=args["execution_clients"],
            consensus_clients=args["consensus_clients"],
            extra_checks=extra,
        )
        summary = {
            "servers": group_view[checks.SERVERS],
            "agents": group_view[checks.AGENTS],
            "problems": len(problems),
        }
        result.update(changed=False, summary=summary, notices=notices)
        if problems:
            result.update(
                failed=True,
                problems=problems,
                msg="Preflight rejected the inventory: %d problem(s), listed one per line in 'problems' (variable: problem; fix: ...)" % len(problems),
            )
        else:
            result["msg"] = "Preflight passed: %d server(s), %d agent(s)" % (len(summary["servers"]), len(summary["agents"]))
        if notices:
            # each opt-out in force is its own SKIPPED line, which the run_summary callback repeats at the end
            result["msg"] = [result["msg"]] + notices
        # show the result indented (one problem per line) whatever the verbosity
        result["_ansible_verbose_always"] = True
        return result

    @staticmethod
    def _collect(hostvars, host, names):
        """The variables the checks read (``names``), templated in the host's context; failures become Unresolved.

        Every other variable the host has is passed by name only (``Unread``): the spelling check needs the names."""
        found = {}
        variables = hostvars[host]
        for name in list(variables.keys()):
            if name not in names:
                found[name] = checks.Unread()
                continue
            try:
                found[name] = checks.to_plain(variables[name])
            except Exception as exc:  # any templating failure becomes a reported problem
                found[name] = checks.Unresolved(_describe_error(name, exc))
        return found

    def _evaluate_extra(self, entry):
        """preflight_extra_checks entries: 'that' already rendered to a bool, or a conditional expression string."""
        if not isinstance(entry, dict) or not isinstance(entry.get("that"), str):
            return checks.to_plain(entry)
        evaluated = dict(checks.to_plain(entry))
        try:
            evaluated["that"] = bool(self._templar.evaluate_conditional(entry["that"]))
        except Exception as exc:  # a broken condition is reported, not raised
            evaluated["that"] = checks.Unresolved(_describe_error("", exc))
        return evaluated
