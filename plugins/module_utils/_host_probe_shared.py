# Private to chainops.ethereum (not a public API): which chainops.ethereum.host_probe options one call can answer for
# several roles.
#
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the module (which echoes these options as `asked`) and the host_probe_merge / host_probe_answers filters
(which merge requests of them and compare a request with `asked`). tcp and commands are not here: their answers
depend on the moment."""

from __future__ import annotations

# options that list what to read: merged by joining, answered when every item was asked
LIST_OPTIONS = ("sysctls", "paths", "units", "packages", "groups", "sha256", "modes", "files")
# options that switch a reading on: merged with or, answered when it was switched on
FLAG_OPTIONS = ("swap", "login")
# one value per call: merged only when equal
VALUE_OPTIONS = ("nft_table",)
SHARED_OPTIONS = LIST_OPTIONS + FLAG_OPTIONS + VALUE_OPTIONS
