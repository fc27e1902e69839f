# Private to chainops.ethereum (not a public API): the argument spec of chainops.ethereum.host_files.
#
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_files' options, shared by the module (which applies them) and its action plugin's comparison on the
controller (plugins/plugin_utils/_host_files_known.py), so that both read an entry with the same defaults."""

from __future__ import annotations


def _file_options(mode, secret):
    """The suboptions of one kind of file: plain files may be validated, secret files have masked content."""
    options = dict(
        dest=dict(type="path", required=True),
        content=dict(type="str", no_log=secret),
        mode=dict(type="str", default=mode),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    if not secret:
        options["validate"] = dict(type="str")
    return options


ARGUMENT_SPEC = dict(
    directories=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            path=dict(type="path", required=True),
            mode=dict(type="str", default="0755"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
        ),
    ),
    files=dict(type="list", elements="dict", default=[], options=_file_options("0644", secret=False)),
    # the option is a list of files, not a secret itself: each content is masked (no_log on the suboption)
    secret_files=dict(type="list", elements="dict", default=[], no_log=False, options=_file_options("0600", secret=True)),
    links=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            dest=dict(type="path", required=True),
            src=dict(type="str", required=True),
        ),
    ),
    # compared on the controller by the action plugin, which never passes it on
    known=dict(type="dict"),
)

# what an entry of each kind is when it leaves a suboption out
DEFAULTS = dict(
    (kind, dict((name, option["default"]) for name, option in spec.get("options", {}).items() if "default" in option))
    for kind, spec in ARGUMENT_SPEC.items()
    if kind != "known"
)
