# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: file_sha256
short_description: The sha256 of files on the controller, computed in-process
version_added: 0.1.0
author: chainops maintainers (@chainops)
description:
  - Returns the lower-case hex sha256 of the content of each controller file named in the terms, in the order given.
  - Runs inside the controller process, so checking a list of files costs no module run (unlike
    C(ansible.builtin.stat) with C(get_checksum), which starts one module per file).
  - Symlinks are followed. A path that exists but is not a regular file, or cannot be read, is an error naming it.
options:
  _terms:
    description: Paths of files on the controller. A relative path is taken relative to the current directory.
    type: list
    elements: path
    required: true
  missing:
    description:
      - What a path that does not exist gives.
      - C(error) fails the lookup with a message naming the path.
      - C(none) returns V(None) for it, so that the caller can report every missing file together.
    type: str
    choices: [error, none]
    default: error
"""

EXAMPLES = r"""
- name: Refuse a file whose sha256 is not the pinned one
  ansible.builtin.assert:
    that: lookup('chainops.ethereum.file_sha256', '/srv/release/k3s') == k3s_binary_sha256
    fail_msg: /srv/release/k3s does not have the pinned sha256

- name: Hash several files; a missing one gives None instead of failing
  ansible.builtin.debug:
    msg: "{{ query('chainops.ethereum.file_sha256', '/srv/release/k3s', '/srv/release/install.sh', missing='none') }}"
"""

RETURN = r"""
_raw:
  description: One entry per term, in order, the hex sha256 (64 lower-case characters), or V(None) for a missing
    file when O(missing=none).
  type: list
  elements: str
"""

import os
import stat

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.chainops.ethereum.plugins.module_utils._path_facts import sha256_hex


def sha256_of(path, missing="error"):
    """Return the hex sha256 of the regular file at path; None for a missing path when missing == 'none'."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if missing == "none":
            return None
        raise AnsibleLookupError("file_sha256: %s does not exist on the controller" % path) from None
    except OSError as exc:
        raise AnsibleLookupError("file_sha256: cannot look at %s on the controller: %s" % (path, exc.strerror or exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise AnsibleLookupError("file_sha256: %s on the controller is not a regular file" % path)
    try:
        return sha256_hex(path)
    except OSError as exc:
        raise AnsibleLookupError("file_sha256: cannot read %s on the controller: %s" % (path, exc.strerror or exc)) from None


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        missing = self.get_option("missing")
        return [sha256_of(os.path.expanduser(str(term)), missing) for term in terms]
