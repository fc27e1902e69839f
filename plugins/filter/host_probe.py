# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for sharing one chainops.ethereum.host_probe call between roles: merge their requests, and tell whether
a result answers a request."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.chainops.ethereum.plugins.module_utils._host_probe_shared import FLAG_OPTIONS, LIST_OPTIONS, SHARED_OPTIONS


def _request(value, what):
    if not isinstance(value, dict):
        raise AnsibleFilterError("%s: a probe request must be a dict of host_probe options, got %s" % (what, type(value).__name__))
    unknown = sorted(set(value) - set(SHARED_OPTIONS))
    if unknown:
        raise AnsibleFilterError("%s: %s cannot be shared between roles (only %s)" % (what, ", ".join(unknown), ", ".join(SHARED_OPTIONS)))
    return value


def host_probe_merge(requests):
    """One host_probe request that asks everything each of ``requests`` asks (lists joined in order, flags or-ed)."""
    if not isinstance(requests, list):
        raise AnsibleFilterError("host_probe_merge expects a list of requests")
    merged = {}
    for request in requests:
        for key, value in _request(request, "host_probe_merge").items():
            if key in LIST_OPTIONS:
                items = merged.setdefault(key, [])
                items.extend(item for item in (value or []) if item not in items)
            elif key in FLAG_OPTIONS:
                merged[key] = bool(merged.get(key)) or bool(value)
            elif value:
                if merged.get(key) and merged[key] != value:
                    raise AnsibleFilterError("host_probe_merge: two requests ask for different nft_table (%s, %s)" % (merged[key], value))
                merged[key] = value
    return merged


def host_probe_answers(result, request):
    """True when ``result`` (a host_probe result) was asked at least everything ``request`` asks."""
    _request(request, "host_probe_answers")
    if not isinstance(result, dict) or result.get("failed") or result.get("skipped") or not isinstance(result.get("asked"), dict):
        return False
    asked = result["asked"]
    for key, value in request.items():
        if key in LIST_OPTIONS:
            if any(item not in (asked.get(key) or []) for item in (value or [])):
                return False
        elif key in FLAG_OPTIONS:
            if value and not asked.get(key):
                return False
        elif value and asked.get(key) != value:
            return False
    return True


class FilterModule:
    """host_probe sharing filters."""

    def filters(self):
        return {"host_probe_merge": host_probe_merge, "host_probe_answers": host_probe_answers}
