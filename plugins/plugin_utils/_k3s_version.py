# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: the one rule for a pinned k3s version (controller only).

Preflight (``k3s_version``), the upgrade plan (``k3s_upgrade_plan``'s target) and the k3s roles (through the
``chainops.ethereum.k3s_version_problem`` filter) all judge a version here, so they cannot disagree.

A pinned k3s version is a published, general-availability release: ``v1.MINOR.PATCH+k3sN`` (the form of the
tags at https://github.com/k3s-io/k3s/releases), with MINOR inside ``SUPPORTED_MINORS``. Channels (``stable``,
``latest``), partial versions (``v1.33``), a missing ``+k3sN`` build and release candidates (``-rc1``) are
refused. ``parse_k3s_version`` also reads release candidates, because a node may already run one: reading
what runs is not pinning it.
"""

from __future__ import annotations

import re

# The Kubernetes minors the collection's k3s configuration (CIS flags, admission and audit files, kube-vip) is
# written and tested for: 1.33 (the example inventories and the schemas of tests/unit/k3s) through 1.36 (the
# newest k3s line in ../shared/research/platform-ops.md, section 1.2). Widen it only after checking the new
# minor's release notes against the roles.
SUPPORTED_MINORS = (33, 36)

_ANY_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?\+k3s(\d+)$")
_CHANNELS = frozenset(("stable", "latest", "testing", "edge", "nightly", "main", "master"))
EXAMPLE = "v1.33.5+k3s1"


def parse_k3s_version(version):
    """A sortable tuple for a k3s version (``v1.33.5+k3s1`` or ``v1.33.5-rc1+k3s1``); ValueError otherwise."""
    match = _ANY_VERSION.match(str(version if version is not None else "").strip())
    if not match:
        raise ValueError("not a k3s version (like %s): %r" % (EXAMPLE, version))
    major, minor, patch, rc, k3s = match.groups()
    # a release candidate sorts before the release of the same patch version
    return (int(major), int(minor), int(patch), 0 if rc is not None else 1, int(rc or 0), int(k3s))


def supported_text():
    return "v1.%d to v1.%d" % SUPPORTED_MINORS


def k3s_version_reason(value):
    """Why ``value`` is not a pinned, supported k3s release, as (reason, fix); None when it is one."""
    fix = "pin a k3s release such as %s (see https://github.com/k3s-io/k3s/releases), minor %s" % (EXAMPLE, supported_text())
    if value is None or (isinstance(value, str) and not value.strip()):
        return "is missing or empty", fix
    if isinstance(value, bool):
        return "is the boolean %s, not a version" % ("true" if value else "false"), 'quote a release, e.g. "%s"' % EXAMPLE
    if not isinstance(value, str):
        return "is %r, not a version string (YAML read it as a number)" % (value,), 'quote the full release, e.g. "%s"' % EXAMPLE
    text = value.strip()
    if text != value:
        return "%r has blanks or a line break around it" % value, "write the release without surrounding whitespace, e.g. %s" % EXAMPLE
    if text.lower() in _CHANNELS:
        return "%r is a release channel, not a pinned release" % text, fix
    match = _ANY_VERSION.match(text)
    if not match:
        return "%r is not a pinned k3s release (expected vX.Y.Z+k3sN)" % text, fix
    major, minor, _patch, rc, _k3s = match.groups()
    if rc is not None:
        return "%r is a release candidate, not a general-availability release" % text, fix
    low, high = SUPPORTED_MINORS
    if int(major) != 1 or not low <= int(minor) <= high:
        return "%r is outside the Kubernetes minors this collection supports (%s)" % (text, supported_text()), fix
    return None
