# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of the cluster layer's network and install inputs.

``check_cluster_net(view, problems, hostvars=None, servers=None)`` adds one line per problem to ``problems``
(a ``_Problems`` of ``_inventory_checks``) before any host changes:

- the kube-vip interface: its manifest is rendered once for all servers, so every server must name its
  management interface the same way (``hostvars`` and ``servers`` give each server's value; without them only
  the cluster-wide value is checked);
- controller paths the cluster layer writes and reads back (``chainops_secrets_dir``, ``chainops_render_dir``)
  are absolute, so a relative path cannot name two places;
- the networks kube-proxy opens NodePorts on;
- air-gap completeness: every image the chosen layers run comes from an image tarball the nodes get or from a
  registry mirror in ``k3s_registries`` (the k3s system images from k3s's own tarball).

Later layers add the images they run to ``IMAGE_SOURCES`` (a function of the view returning image references);
operators add theirs with ``chainops_airgap_images``.
"""

from __future__ import annotations

import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import _MISSING, _SKIP, show

IFNAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip"
KUBE_VIP_VERSION = "v1.0.1"
# the registry k3s's own system images (pause, coredns, local-path, metrics-server, klipper) come from
K3S_SYSTEM_REGISTRY = "docker.io"


def _flag(value, default):
    if value is _MISSING or value is _SKIP:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0"):
        return False
    return default


def cluster_images(view):
    """Images the cluster layer itself runs beyond k3s's own: kube-vip (unless k3s_server_kube_vip is false)."""
    if not _flag(view.get("k3s_server_kube_vip"), True):
        return []
    image = view.get_or("k3s_server_kube_vip_image", KUBE_VIP_IMAGE)
    version = view.get_or("k3s_server_kube_vip_version", KUBE_VIP_VERSION)
    return ["%s:%s" % (image, version)]


# one function per layer; a later layer appends its own (the platform layer: MetalLB, ingress, ...)
IMAGE_SOURCES = [cluster_images]


def image_registry(reference):
    """The registry host of an image reference (docker.io when the first part names no host)."""
    first, sep, _rest = str(reference).partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def required_images(view):
    images = []
    for source in IMAGE_SOURCES:
        images.extend(source(view))
    extra = view.get("chainops_airgap_images")
    if isinstance(extra, list):
        images.extend(str(item) for item in extra)
    return list(dict.fromkeys(images))


def _server_interfaces(view, hostvars, servers):
    """{host: interface kube-vip would use on it} from each server's variables."""
    found = {}
    for host in servers or ():
        variables = (hostvars or {}).get(host, {})
        value = variables.get("k3s_server_kube_vip_interface")
        if value is None:
            value = variables.get("chainops_mgmt_interface")
        found[host] = value
    if not found:
        value = view.get("k3s_server_kube_vip_interface")
        if value is _MISSING:
            value = view.get("chainops_mgmt_interface")
        found["(cluster-wide)"] = None if value is _MISSING else value
    return found


def _check_interface(view, problems, hostvars, servers):
    if not _flag(view.get("k3s_server_kube_vip"), True):
        return
    fix = ("name the management interface the same on every server (a systemd .link file renames it) and set "
           "chainops_mgmt_interface once in group_vars; kube-vip's manifest is rendered once for all servers")
    interfaces = _server_interfaces(view, hostvars, servers)
    for host, value in sorted(interfaces.items()):
        if value is _SKIP:
            continue
        if value is None or value == "":
            problems.add("chainops_mgmt_interface", "is missing for server %s" % host, "set the management interface name: " + fix)
        elif not isinstance(value, str) or not IFNAME.match(value):
            problems.add("k3s_server_kube_vip_interface (server %s)" % host, "%s is not an interface name" % show(value), fix)
    names = {}
    for host, value in interfaces.items():
        if isinstance(value, str) and value:
            names.setdefault(value, []).append(host)
    if len(names) > 1:
        listing = "; ".join("%s on %s" % (name, ", ".join(sorted(hosts))) for name, hosts in sorted(names.items()))
        problems.add("k3s_server_kube_vip_interface", "the servers do not agree on the VIP interface (%s)" % listing, fix)


def _check_nodeports(view, problems):
    value = view.get("k3s_common_nodeport_addresses")
    if value is _MISSING or value is _SKIP:
        return
    fix = "list the networks NodePorts may answer on as CIDRs (default: [chainops_mgmt_network]); never the P2P network"
    if not isinstance(value, list) or not value:
        problems.add("k3s_common_nodeport_addresses", "is %s, not a non-empty list of CIDRs" % show(value), fix)
        return
    for item in value:
        if not isinstance(item, str) or "/" not in item:
            problems.add("k3s_common_nodeport_addresses", "%s is not a CIDR" % show(item), fix)


def _tarball_images(view, problems):
    """Images carried by k3s_airgap_extra_images entries (their `images` list)."""
    carried = set()
    entries = view.get("k3s_airgap_extra_images")
    if entries is _MISSING or entries is _SKIP:
        return carried
    if not isinstance(entries, list):
        problems.add("k3s_airgap_extra_images", "is %s, not a list" % show(entries), "list {file, sha256, images: [<image reference>, ...]} entries")
        return carried
    for index, entry in enumerate(entries):
        images = entry.get("images") if isinstance(entry, dict) else None
        if not isinstance(images, list) or not images:
            problems.add(
                "k3s_airgap_extra_images[%d]" % index, "does not say which images the tarball holds",
                "add images: [<reference>, ...] (e.g. %s:%s) so preflight can check every image the layers run has a source"
                % (KUBE_VIP_IMAGE, KUBE_VIP_VERSION))
            continue
        carried.update(str(image) for image in images)
    return carried


def _mirrored_registries(view, problems):
    registries = view.get("k3s_registries")
    if registries is _MISSING or registries is _SKIP:
        return set()
    if not isinstance(registries, dict) or not isinstance(registries.get("mirrors", {}), dict):
        problems.add("k3s_registries", "is %s, not a registries.yaml mapping with mirrors" % show(registries),
                     "write it as k3s's registries.yaml: {mirrors: {<registry>: {endpoint: [<url>]}}, configs: {...}}")
        return set()
    mirrored = set()
    for name, mirror in registries.get("mirrors", {}).items():
        endpoints = mirror.get("endpoint") if isinstance(mirror, dict) else None
        if not isinstance(endpoints, list) or not endpoints:
            problems.add("k3s_registries.mirrors.%s" % name, "has no endpoint list", "add endpoint: [https://<your mirror>]")
            continue
        mirrored.add(str(name))
    return mirrored


def _check_airgap(view, problems):
    if view.get("k3s_install_mode") != "airgap":
        return
    carried = _tarball_images(view, problems)
    mirrored = _mirrored_registries(view, problems)
    fix_tail = ("(docker save <image> -o <file>.tar, then list it in k3s_airgap_extra_images with its sha256 and images: [<image>]), "
                "or mirror its registry in k3s_registries (registries.yaml mirrors)")
    if not _flag(view.get("k3s_airgap_images"), True) and not {K3S_SYSTEM_REGISTRY, "*"} & mirrored:
        problems.add(
            "k3s_airgap_images", "is false, so k3s's own system images come from nowhere in air-gap mode",
            "set it true (the release's images tarball) or mirror %s in k3s_registries" % K3S_SYSTEM_REGISTRY)
    for image in required_images(view):
        if image in carried or image_registry(image) in mirrored or "*" in mirrored:
            continue
        problems.add(
            "k3s_install_mode", "is airgap but no node can get the image %s: no tarball holds it and %s is not mirrored"
            % (image, image_registry(image)),
            "add its tarball " + fix_tail)


def check_cluster_net(view, problems, hostvars=None, servers=None):
    """Add the cluster layer's network and install problems to ``problems``."""
    _check_interface(view, problems, hostvars, servers)
    _check_nodeports(view, problems)
    _check_airgap(view, problems)


def check(view, problems):
    """The preflight's entry (LAYER_CHECKS): every server's own variables, so disagreeing servers are found."""
    check_cluster_net(view, problems, hostvars=view.hostvars, servers=(view.groups or {}).get("k3s_servers", []))
