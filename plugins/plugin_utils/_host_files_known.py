# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of chainops.ethereum.host_files: is everything a call would ensure already in place?

The host_files action compares the wanted directories, files and links with what a host_probe `files` result
reported for the same paths earlier in the play. Only when every entry matches on every point the module itself
checks (content, mode, owner, group, link target, absence) is the call to the host left out; anything not
reported, not comparable or different means the module runs and decides for itself.
"""

from __future__ import annotations

import hashlib

from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.chainops.ethereum.plugins.module_utils._host_files_args import DEFAULTS


def _mode(value):
    """The module's reading of a mode (an octal string); None when it is not one."""
    try:
        return int(str(value), 8)
    except ValueError:
        return None


def _entries(args, kind):
    entries = args.get(kind) or []
    if not isinstance(entries, list):
        raise TypeError("%s must be a list" % kind)
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise TypeError("every %s entry must be a dict" % kind)
        out.append(dict(DEFAULTS[kind], **entry))
    return out


def _attributes_differ(wanted, seen):
    return _mode(wanted["mode"]) != _mode(seen.get("mode")) or _mode(wanted["mode"]) is None or (
        str(wanted["owner"]) != seen.get("owner") or str(wanted["group"]) != seen.get("group")
    )


def _directory(entry, seen):
    if seen is None or seen.get("type") != "directory":
        return "not a directory"
    return "mode or owner" if _attributes_differ(entry, seen) else None


def _file(entry, seen):
    if entry["state"] == "absent":
        return None if seen is None else "present"
    content = entry.get("content")
    if not isinstance(content, str):
        return "content not comparable"
    if seen is None or seen.get("type") != "file":
        return "not a file"
    if hashlib.sha256(to_bytes(content, errors="surrogate_or_strict")).hexdigest() != seen.get("sha256"):
        return "content"
    return "mode or owner" if _attributes_differ(entry, seen) else None


def _link(entry, seen):
    if seen is None or seen.get("type") != "link":
        return "not a link"
    return None if seen.get("target") == entry.get("src") else "target"


def differences(args, known):
    """[(path, reason)] for every entry of the call that `known` does not show in place ([] = nothing to do).

    known: {path: host_probe path state or None}. A path missing from it counts as different.
    """
    if not isinstance(known, dict):
        raise TypeError("known must be a dict of path states (host_probe's `files` result)")
    found = []
    checks = (("directories", "path", _directory), ("files", "dest", _file), ("secret_files", "dest", _file), ("links", "dest", _link))
    for kind, key, check in checks:
        for entry in _entries(args, kind):
            path = entry.get(key)
            if path not in known:
                found.append((path, "not probed"))
                continue
            reason = check(entry, known[path])
            if reason:
                found.append((path, reason))
    return found
