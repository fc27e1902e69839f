# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of roles/storage: decide, from low-level probes, whether a data device may be touched."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError


def host_blkid_parse(text):
    """Parse `blkid -p -o export` output (KEY=value lines) into a dict; empty output gives {}."""
    result = {}
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        result[key.strip()] = value.strip()
    return result


def host_partition_node(device, number=1):
    """Name of partition `number` of a whole-disk device: /dev/sdb -> /dev/sdb1, /dev/nvme0n1 -> /dev/nvme0n1p1."""
    device = str(device)
    if not device.startswith("/dev/"):
        raise AnsibleFilterError("host_partition_node: %r is not a /dev path" % (device,))
    separator = "p" if re.search(r"\d$", device) else ""
    return "%s%s%d" % (device, separator, int(number))


def _signature(probe):
    """A short human description of what a blkid probe found, or '' for nothing."""
    if not probe:
        return ""
    parts = []
    if probe.get("PTTYPE"):
        parts.append("%s partition table" % probe["PTTYPE"])
    if probe.get("TYPE"):
        label = " labelled %s" % probe["LABEL"] if probe.get("LABEL") else ""
        parts.append("%s signature%s" % (probe["TYPE"], label))
    return ", ".join(parts) or "an unrecognised signature (%s)" % ", ".join(sorted(probe))


def _is_ours(probe, settings, pv_vgs, node):
    """True when `node` (probed as `probe`) holds exactly what this role creates there."""
    if not probe:
        return False
    if settings.get("lvm"):
        return probe.get("TYPE") == "LVM2_member" and pv_vgs.get(node) == settings.get("vg_name")
    return probe.get("TYPE") == settings.get("fs_type") and probe.get("LABEL") == settings.get("fs_label")


def host_storage_verdict(device, settings):
    """Decide what the storage role may do with one whole-disk data device.

    settings (all from the role): whole (blkid dict of the device), part (blkid dict of partition 1, or
    None when that node does not exist), pv_vgs ({pv path: vg name}), mounts (mount points on the device
    or its children), partition, lvm, vg_name, fs_type, fs_label, part_name, force, data_path.

    Returns {'device', 'action', 'target', 'wipe', 'reason'}: `target` is where the PV or filesystem goes,
    `wipe` the nodes a forced wipe erases, and action is:
      create - the device is blank: partition/PV/filesystem may be created;
      keep   - it already holds exactly what the role creates: nothing to do (a rerun);
      wipe   - it holds something else, but the operator forced this device by name: wipe, then create;
      refuse - it holds something else (or is mounted elsewhere) and is not forced: stop.
    """
    if not isinstance(settings, dict):
        raise AnsibleFilterError("host_storage_verdict: settings must be a dict")
    whole = settings.get("whole") or {}
    part = settings.get("part")
    pv_vgs = settings.get("pv_vgs") or {}
    mounts = [m for m in settings.get("mounts") or [] if m]
    node = host_partition_node(device) if settings.get("partition") else device
    probe = (part or {}) if settings.get("partition") else whole

    # what a forced wipe erases: partition 1 first (when it exists), so no old signature resurfaces in the new
    # partition at the same offset, then the whole device (partition tables included)
    wipe = [node, device] if settings.get("partition") and part is not None else [device]

    def verdict(action, reason):
        return {"device": device, "action": action, "target": node, "wipe": wipe, "reason": reason}

    # what the role builds, exactly as it builds it: keep (rerun is a no-op)
    if settings.get("partition"):
        ours_table = whole.get("PTTYPE") == "gpt" and part is not None
        if ours_table and _is_ours(probe, settings, pv_vgs, node):
            return verdict("keep", "%s already holds the chainops data volume" % node)
        # our partition, created by an interrupted run before anything was put inside it
        if ours_table and not probe.get("TYPE") and probe.get("PART_ENTRY_NAME") == settings.get("part_name"):
            return verdict("create", "%s is the empty chainops partition of an earlier run" % node)
    elif _is_ours(probe, settings, pv_vgs, node):
        return verdict("keep", "%s already holds the chainops data volume" % node)

    foreign_mounts = [m for m in mounts if m != settings.get("data_path")]
    found = _signature(whole)
    if part:
        inner = _signature({k: v for k, v in part.items() if k in ("TYPE", "LABEL", "PTTYPE")})
        if inner:
            found = "%s; partition 1 has %s" % (found, inner) if found else "partition 1 has %s" % inner

    if not found and not mounts:
        return verdict("create", "%s is blank" % device)
    if mounts:
        return verdict(
            "refuse",
            "%s is in use (mounted at %s): storage never wipes a mounted device, forced or not; unmount it "
            "or remove it from storage_devices" % (device, ", ".join(foreign_mounts or mounts)),
        )
    if settings.get("force"):
        return verdict("wipe", "%s holds %s and is listed in storage_force_devices: wiping it" % (device, found))
    return verdict(
        "refuse",
        "%s already holds %s. storage never formats a device that is not blank: if its data may be destroyed, "
        "add %s to storage_force_devices for this host; otherwise remove it from storage_devices" % (device, found, device),
    )


def host_pvs_parse(text):
    """Parse `pvs --noheadings -o pv_name,vg_name --separator '|'` into {pv: vg} (vg '' when unassigned)."""
    result = {}
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        pv, _sep, vg = line.partition("|")
        result[pv.strip()] = vg.strip()
    return result


class FilterModule:
    """Storage safety filters for the host layer."""

    def filters(self):
        return {
            "host_blkid_parse": host_blkid_parse,
            "host_partition_node": host_partition_node,
            "host_pvs_parse": host_pvs_parse,
            "host_storage_verdict": host_storage_verdict,
        }
