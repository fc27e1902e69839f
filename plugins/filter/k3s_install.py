# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for installing k3s from a release or an air-gap directory: which files go where, and the
expected sha256 of each one according to the release's sha256sum file."""

from __future__ import annotations

import re

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# sha256sum output: "<hex>  <name>" (text mode) or "<hex> *<name>" (binary mode)
_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$")


try:
    from ansible.errors import AnsibleFilterError as _FilterError
except ImportError:  # pragma: no cover - plain Python without Ansible
    _FilterError = ValueError


class K3sInstallError(_FilterError):
    """Raised for a request that cannot describe a valid install."""


def k3s_sha256_from_sumfile(text, filename):
    """Return the lower-case sha256 listed for filename (basename match) in sha256sum-format text, or ''.

    Two different checksums listed for the same name are refused: the file is ambiguous."""
    found = set()
    for line in (text or "").splitlines():
        match = _SUM_LINE.match(line.strip())
        if not match:
            continue
        name = match.group(2).rsplit("/", 1)[-1]
        if name == filename:
            found.add(match.group(1).lower())
    if len(found) > 1:
        raise K3sInstallError("sha256sum file lists %d different checksums for %s" % (len(found), filename))
    return found.pop() if found else ""


def _checksum(value, what):
    value = (value or "").strip().lower()
    if value and not _SHA256.match(value):
        raise K3sInstallError("%s must be 64 hexadecimal characters (a sha256), got %r" % (what, value))
    return value


def k3s_install_artifacts(spec):
    """Describe every file to place on a node as {file, dest, mode, sha256}; sha256 is the operator's
    checksum or '' (then the release sha256sum file decides)."""
    mode = spec.get("install_mode")
    if mode not in ("online", "airgap"):
        raise K3sInstallError("install mode must be online or airgap, got %r" % (mode,))
    arch = spec.get("arch") or "amd64"
    binary = "k3s" if arch == "amd64" else "k3s-%s" % arch
    images_dir = spec["images_dir"].rstrip("/")
    artifacts = [{
        "file": binary,
        "dest": "%s/k3s" % spec["bin_dir"].rstrip("/"),
        "mode": "0755",
        "sha256": _checksum(spec.get("binary_sha256"), "k3s_binary_sha256"),
    }]
    if mode == "airgap":
        if spec.get("airgap_images", True):
            images = spec.get("images_file") or ""
            if not images:
                raise K3sInstallError("images_file is empty while airgap images are enabled")
            artifacts.append({
                "file": images,
                "dest": "%s/%s" % (images_dir, images),
                "mode": "0644",
                "sha256": _checksum(spec.get("images_sha256"), "k3s_images_sha256"),
            })
        script = spec.get("install_script_file") or ""
        if script:
            artifacts.append({
                "file": script,
                "dest": "%s/k3s-install.sh" % spec["share_dir"].rstrip("/"),
                "mode": "0755",
                "sha256": _checksum(spec.get("install_script_sha256"), "k3s_install_script_sha256"),
            })
        for index, extra in enumerate(spec.get("extra_images") or []):
            if not isinstance(extra, dict) or not extra.get("file"):
                raise K3sInstallError("k3s_airgap_extra_images[%d] needs a file name" % index)
            name = extra["file"]
            if "/" in name or name.startswith("."):
                raise K3sInstallError("k3s_airgap_extra_images[%d].file must be a plain file name, got %r" % (index, name))
            artifacts.append({
                "file": name,
                "dest": "%s/%s" % (images_dir, name),
                "mode": "0644",
                "sha256": _checksum(extra.get("sha256"), "k3s_airgap_extra_images[%d].sha256" % index),
            })
    names = [a["file"] for a in artifacts]
    if len(set(names)) != len(names):
        raise K3sInstallError("the same file is listed twice: %s" % names)
    return artifacts


def k3s_resolve_checksums(artifacts, sumfile_text):
    """Fill each artifact's expected sha256 from the sha256sum text where the operator gave none."""
    resolved = []
    for artifact in artifacts:
        item = dict(artifact)
        if not item.get("sha256"):
            item["sha256"] = k3s_sha256_from_sumfile(sumfile_text, item["file"])
        resolved.append(item)
    return resolved


class FilterModule:
    """k3s install filters."""

    def filters(self):
        return {
            "k3s_install_artifacts": k3s_install_artifacts,
            "k3s_sha256_from_sumfile": k3s_sha256_from_sumfile,
            "k3s_resolve_checksums": k3s_resolve_checksums,
        }
