# Private to chainops.ethereum (not a public API): what a path is, and a file's sha256.
#
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by host_probe (on a host) and the path_info / file_sha256 lookups (on the controller), which each decide
for themselves what a missing or unreadable path means."""

from __future__ import annotations

import hashlib
import stat

_CHUNK = 1 << 20


def path_kind(mode):
    """link, directory, file or other, for an lstat st_mode."""
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def sha256_hex(path):
    """Hex sha256 of the file at path, read in chunks; OSError (FileNotFoundError included) propagates."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
