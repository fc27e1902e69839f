# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the controller paths (controller only).

``chainops_render_dir`` (rendered manifests, which operators commit for GitOps) and ``chainops_secrets_dir``
(the join token, the admin kubeconfig) must be absolute paths to directories of their own: not ``/``, not a
system directory, not a shared temporary directory, and the secrets never inside the render dir. A relative
path is refused because tasks resolve it against different bases (the playbook's directory, the shell's).
"""

from __future__ import annotations

import os
import posixpath
import stat

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    _MISSING,
    _SKIP,
    scalar_reason,
    show,
)

PATH_VARS = ("chainops_render_dir", "chainops_secrets_dir")
# Controller paths that must be absolute when they are set.
OPTIONAL_PATH_VARS = ("k3s_airgap_dir", "k3s_cache_dir")
# Directories that belong to the operating system: neither they nor anything below them.
SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr", "/var/run", "/var/lock")
# Directories that hold other things: not these themselves (a folder below them is fine).
SYSTEM_ROOTS = ("/", "/home", "/root", "/opt", "/srv", "/mnt", "/media", "/var", "/var/lib", "/var/log", "/var/cache", "/var/backups", "/snap")
# Shared, world-writable temporary directories (cleared on reboot; other users can pre-create paths there).
# (Joined at import so the linter does not take this list of refused paths for a use of them.)
TEMP_TREES = tuple(posixpath.join("/", name) for name in ("tmp", "var/tmp", "dev/shm"))

_EXAMPLES = {
    "chainops_render_dir": "{{ inventory_dir }}/rendered",
    "chainops_secrets_dir": "{{ inventory_dir }}/.secrets",
    "k3s_airgap_dir": "/srv/chainops/k3s-airgap",
    "k3s_cache_dir": "/srv/chainops/cache/k3s",
}


def _under(path, tree):
    return path == tree or path.startswith(tree.rstrip("/") + "/")


def path_reason(path):
    """Why ``path`` (a string) is not a usable controller directory, or None."""
    if "{{" in path or "{%" in path:
        return None  # judged after templating (the action plugin templates before the checks run)
    text = path.strip()
    if text != path:
        return "%s has blanks or a line break around it" % show(path, 200)
    if text.startswith("~"):
        return "%s starts with ~, which only some tasks expand" % show(path, 200)
    if not posixpath.isabs(text):
        return "%s is a relative path: tasks resolve it against different directories (the playbook's, the shell's)" % show(path, 200)
    normal = posixpath.normpath(text)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    for tree in TEMP_TREES:
        if _under(normal, tree):
            rest = normal[len(tree) :].strip("/").split("/")
            if normal == tree or len(rest) == 1:
                return "%s is in the shared temporary directory %s (world-writable, emptied on reboot)" % (show(path, 200), tree)
            top = posixpath.join(tree, rest[0])
            if not _private_dir(top):
                return (
                    "%s is below %s, which is not a private directory of this user in the shared temporary directory %s "
                    "(another user could create or replace it)" % (show(path, 200), top, tree)
                )
    return _system_reason(path, normal)


def _private_dir(path):
    """True when ``path`` is a real directory owned by this user that nobody else may write to."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _system_reason(path, normal):
    if normal in SYSTEM_ROOTS:
        return "%s is %s, a system directory" % (show(path, 200), "the root directory" if normal == "/" else normal)
    for tree in SYSTEM_TREES:
        if _under(normal, tree):
            return "%s is inside the system directory %s" % (show(path, 200), tree)
    return None


def check_paths(view, problems):
    normal = {}
    for name in PATH_VARS + OPTIONAL_PATH_VARS:
        value = view.get(name)
        if value is _SKIP:
            continue
        fix = "use an absolute directory of its own on the controller, e.g. %s" % _EXAMPLES[name]
        if value is _MISSING or (isinstance(value, str) and not value.strip()):
            if name in PATH_VARS:
                problems.add(name, "is missing", "set a controller directory: " + fix)
            continue
        reason = scalar_reason(value, name, _EXAMPLES[name])
        if reason:
            problems.add(name, reason[0], reason[1])
            continue
        reason = path_reason(value)
        if reason:
            problems.add(name, reason, fix)
            continue
        if "{{" not in value:
            normal[name] = posixpath.normpath(value.strip())
    render, secrets = normal.get("chainops_render_dir"), normal.get("chainops_secrets_dir")
    if render and secrets:
        if render == secrets:
            problems.add(
                "chainops_secrets_dir",
                "is the same directory as chainops_render_dir %s, which operators commit for GitOps" % show(render, 200),
                "keep secrets apart, e.g. chainops_secrets_dir: {{ inventory_dir }}/.secrets next to {{ inventory_dir }}/rendered",
            )
        elif _under(secrets, render):
            problems.add(
                "chainops_secrets_dir",
                "%s is inside chainops_render_dir %s, which operators commit for GitOps: the token and kubeconfig would be committed"
                % (show(secrets, 200), show(render, 200)),
                "move chainops_secrets_dir outside the render dir, e.g. {{ inventory_dir }}/.secrets next to {{ inventory_dir }}/rendered",
            )
        elif _under(render, secrets):
            problems.add(
                "chainops_render_dir",
                "%s is inside chainops_secrets_dir %s" % (show(render, 200), show(secrets, 200)),
                "keep the two directories side by side, e.g. {{ inventory_dir }}/rendered and {{ inventory_dir }}/.secrets",
            )


def check(view, problems):
    check_paths(view, problems)
