#!/usr/bin/python
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_files
short_description: Put several small configuration files in place in one call, each validated before it is installed
version_added: 0.1.0
description:
  - Ensures directories and files with the given content, owner, group and mode. A file whose content changes is
    written to a temporary file beside its destination, checked with its O(files[].validate) command, and moved into
    place atomically; a failed check leaves the old file untouched.
  - Render templates on the controller with the C(ansible.builtin.template) lookup and pass the result as
    O(files[].content); the host layer then writes a dozen files in one round trip instead of a dozen.
author:
  - chainops maintainers (@chainops)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
options:
  directories:
    description: Directories to create first (parents included), each with O(directories[].path) and optional
      O(directories[].mode), O(directories[].owner), O(directories[].group).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      mode:
        description: Mode as an octal string.
        type: str
        default: "0755"
      owner:
        description: Owner (a name, or a numeric uid).
        type: str
        default: root
      group:
        description: Group (a name, or a numeric gid).
        type: str
        default: root
  links:
    description: Symbolic links to ensure after the files, each O(links[].dest) pointing at O(links[].src). An
      existing regular file or a link elsewhere at O(links[].dest) is replaced; a directory there is an error.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path of the link.
        type: path
        required: true
      src:
        description: What the link points at (relative to the link's directory when not absolute).
        type: str
        required: true
  files:
    description: Files to ensure.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute destination path.
        type: path
        required: true
      content:
        description: Exact content; required unless O(files[].state=absent).
        type: str
      mode:
        description: Mode as an octal string.
        type: str
        default: "0644"
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      validate:
        description: Command checking a candidate file before it is installed; C(%s) is replaced by its path.
        type: str
      state:
        description: V(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
  secret_files:
    description:
      - Files whose content is secret (join tokens, registry credentials), ensured in the same call after O(files).
      - Same suboptions as O(files) except O(files[].validate). Their content is masked in every output of the module
        and never shown in a diff; only the destination is reported in RV(changed_files).
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute destination path.
        type: path
        required: true
      content:
        description: Exact content; required unless O(secret_files[].state=absent).
        type: str
      mode:
        description: Mode as an octal string.
        type: str
        default: "0600"
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      state:
        description: V(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
  known:
    description:
      - What C(chainops.ethereum.host_probe) reported for these paths earlier in the play (its RV(chainops.ethereum.host_probe#module:files)
        result). When every directory, file, secret file and link is already as wanted (content by sha256, mode,
        owner, group, link target, absence), the host is not contacted at all and nothing is reported changed.
      - Anything the probe did not report, or reported otherwise, makes the module run on the host as without this
        option, and decide there. Pass it only when nothing between the probe and this task can have changed these
        paths (for example, leave it out when a package was installed in between).
      - Used on the controller by the action plugin; the module itself ignores it.
    type: dict
"""

EXAMPLES = r"""
- name: Configure time and journald in one call
  chainops.ethereum.host_files:
    directories:
      - path: /etc/systemd/journald.conf.d
    files:
      - dest: /etc/chrony/chrony.conf
        content: "{{ lookup('ansible.builtin.template', 'chrony.conf.j2') }}"
      - dest: /etc/systemd/journald.conf.d/90-chainops.conf
        content: |
          [Journal]
          SystemMaxUse=2G
      - dest: /etc/sudoers.d/90-admins
        content: "{{ lookup('ansible.builtin.template', 'sudoers.j2') }}"
        mode: "0440"
        validate: /usr/sbin/visudo -cf %s
  register: __files
  notify: restart chrony

- name: Probe the files first (one call that also answers the role's other questions)
  chainops.ethereum.host_probe:
    files: "{{ _my_directories | map(attribute='path') | list + _my_files | map(attribute='dest') | list }}"
  register: __probe

- name: Write them; a re-run that finds everything in place does not contact the host again
  chainops.ethereum.host_files:
    directories: "{{ _my_directories }}"
    files: "{{ _my_files }}"
    known: "{{ __probe.files }}"
"""

RETURN = r"""
changed_files:
  description: Destinations whose content, mode or ownership changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/chrony/chrony.conf]
changed_directories:
  description: Directories created or fixed.
  returned: always
  type: list
  elements: str
changed_links:
  description: Links created or repointed.
  returned: always
  type: list
  elements: str
remote:
  description: Whether the host was contacted (V(false) when O(known) showed everything in place).
  returned: always
  type: bool
"""

import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible_collections.chainops.ethereum.plugins.module_utils._host_files_args import ARGUMENT_SPEC


def _ids(owner, group):
    """uid and gid of a user and group given by name, or by number (as the file module takes them)."""
    try:
        uid = int(owner) if str(owner).isdigit() else pwd.getpwnam(owner).pw_uid
        gid = int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise ValueError("unknown owner or group %s:%s" % (owner, group)) from exc
    return uid, gid


def _mode(text):
    try:
        return int(str(text), 8)
    except ValueError as exc:
        raise ValueError("mode %r is not an octal string" % (text,)) from exc


def file_needs(dest, content, mode, uid, gid):
    """What differs between dest and the wanted state: a subset of {'content', 'attributes'}."""
    needs = set()
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        return {"content", "attributes"}
    with open(dest, "rb") as handle:
        if handle.read() != content:
            needs.add("content")
    if (st.st_mode & 0o7777) != mode or st.st_uid != uid or st.st_gid != gid:
        needs.add("attributes")
    return needs


def ensure_directory(spec, check_mode):
    """Create/fix one directory; True when something changed."""
    path = spec["path"]
    uid, gid = _ids(spec["owner"], spec["group"])
    mode = _mode(spec["mode"])
    if os.path.isdir(path):
        st = os.stat(path)
        if (st.st_mode & 0o7777) == mode and st.st_uid == uid and st.st_gid == gid:
            return False
    elif os.path.lexists(path):
        raise ValueError("%s exists and is not a directory" % path)
    if not check_mode:
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def ensure_link(spec, check_mode):
    """Point spec['dest'] at spec['src']; True when something changed."""
    dest, src = spec["dest"], spec["src"]
    if os.path.islink(dest):
        if os.readlink(dest) == src:
            return False
    elif os.path.isdir(dest):
        raise ValueError("%s is a directory, not a link" % dest)
    if not check_mode:
        tmp = "%s.chainops-link.%d" % (dest, os.getpid())
        os.symlink(src, tmp)
        os.rename(tmp, dest)
    return True


def install_file(module, spec, content):
    """Write content to a temp file beside dest, validate it, move it into place. Raises on a failed check."""
    dest = spec["dest"]
    uid, gid = _ids(spec["owner"], spec["group"])
    directory = os.path.dirname(dest)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chown(tmp, uid, gid)
        os.chmod(tmp, _mode(spec["mode"]))
        if spec.get("validate"):
            if "%s" not in spec["validate"]:
                raise ValueError("validate for %s must contain %%s" % dest)
            rc, out, err = module.run_command(spec["validate"] % tmp)
            if rc != 0:
                raise ValueError("validation of %s failed (%s): %s" % (dest, spec["validate"], (err or out).strip()))
        os.rename(tmp, dest)
        tmp = None
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def ensure_file(module, spec, check_mode, diffs=None):
    """Bring one file to spec (content, mode, owner, or absence); True when something changed (or would).

    With diffs (a list), a content change appends a diff; pass None for secret content, which is never shown."""
    dest = spec["dest"]
    if spec["state"] == "absent":
        if not os.path.lexists(dest):
            return False
        if not check_mode:
            os.unlink(dest)
        return True
    if spec.get("content") is None:
        raise ValueError("%s has no content" % dest)
    content = to_bytes(spec["content"], errors="surrogate_or_strict")
    uid, gid = _ids(spec["owner"], spec["group"])
    needs = file_needs(dest, content, _mode(spec["mode"]), uid, gid)
    if not needs:
        return False
    if diffs is not None and "content" in needs:
        before = ""
        if os.path.exists(dest):
            with open(dest, "rb") as handle:
                before = to_native(handle.read(), errors="surrogate_or_strict")
        diffs.append(dict(before_header=dest, after_header=dest, before=before, after=spec["content"]))
    if check_mode:
        return True
    if "content" in needs:
        install_file(module, spec, content)
    else:
        os.chown(dest, uid, gid)
        os.chmod(dest, _mode(spec["mode"]))
    return True


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    changed_dirs, changed_files, changed_links, diffs = [], [], [], []
    try:
        for spec in module.params["directories"]:
            if ensure_directory(spec, module.check_mode):
                changed_dirs.append(spec["path"])
        for spec in module.params["files"]:
            if ensure_file(module, spec, module.check_mode, diffs if module._diff else None):
                changed_files.append(spec["dest"])
        for spec in module.params["secret_files"]:
            if ensure_file(module, dict(spec, validate=None), module.check_mode):
                changed_files.append(spec["dest"])
        for spec in module.params["links"]:
            if ensure_link(spec, module.check_mode):
                changed_links.append(spec["dest"])
    except (ValueError, OSError) as exc:
        module.fail_json(msg=to_native(exc), changed_files=changed_files, changed_directories=changed_dirs, changed_links=changed_links)
    result = dict(changed=bool(changed_dirs or changed_files or changed_links), changed_files=changed_files,
                  changed_directories=changed_dirs, changed_links=changed_links)
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
