# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of roles/baseline: compare wanted kernel settings with the running kernel."""

from __future__ import annotations


def _normalise(value):
    return " ".join(str(value).split())


def host_sysctl_drift(wanted, live):
    """Return ["key=value", ...] for every wanted sysctl whose live value differs.

    wanted: {key: value}; live: {key: current value or None (the kernel has no such key)}.
    Keys the kernel does not have are left out (the role refuses them separately); values are compared
    with whitespace normalised, so "4096 87380  6291456" equals "4096\\t87380\\t6291456".
    """
    drift = []
    for key, value in (wanted or {}).items():
        current = (live or {}).get(key)
        if current is None:
            continue
        if _normalise(current) != _normalise(value):
            drift.append("%s=%s" % (key, _normalise(value)))
    return drift


class FilterModule:
    """Kernel settings filters for the host layer."""

    def filters(self):
        return {"host_sysctl_drift": host_sysctl_drift}
