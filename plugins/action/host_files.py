# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind chainops.ethereum.host_files: leaves out the call to the host when a probe shows it has
nothing to do (the `known` option), and otherwise runs the module."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.chainops.ethereum.plugins.plugin_utils._host_files_known import differences


class ActionModule(ActionBase):
    """host_files with an optional controller-side comparison against a host_probe `files` result."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = {}
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        known = args.pop("known", None)
        if known is not None:
            try:
                different = differences(args, known)
            except TypeError as exc:
                result.update(failed=True, msg="host_files: %s" % exc)
                return result
            if not different:
                result.update(
                    changed=False,
                    changed_files=[],
                    changed_directories=[],
                    changed_links=[],
                    remote=False,
                    msg="everything was already in place (known from the probe); the host was not contacted",
                )
                return result
        try:
            result.update(self._execute_module(module_name="chainops.ethereum.host_files", module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result["remote"] = True
        return result
