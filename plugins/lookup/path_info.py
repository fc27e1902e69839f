# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: path_info
short_description: The type and permission bits of controller paths, read in-process
version_added: 0.1.0
author: chainops maintainers (@chainops)
description:
  - Returns, for each controller path named in the terms and in the order given, whether it exists, what it is and
    its permission bits.
  - A symlink is reported as a link, not followed (as C(ansible.builtin.stat) does by default), so a check for a
    private directory or file cannot be satisfied by a link to one.
  - Runs inside the controller process, so looking at a few paths costs no module run.
options:
  _terms:
    description: Paths on the controller. A relative path is taken relative to the current directory.
    type: list
    elements: path
    required: true
"""

EXAMPLES = r"""
- name: Create the secrets directory unless it is already a 0700 directory
  ansible.builtin.file:
    path: /srv/secrets
    state: directory
    mode: "0700"
  vars:
    secrets_dir: "{{ lookup('chainops.ethereum.path_info', '/srv/secrets') }}"
  when: not (secrets_dir.type == 'directory' and secrets_dir.mode == '0700')
"""

RETURN = r"""
_raw:
  description: One dictionary per term, in order.
  type: list
  elements: dict
  contains:
    exists:
      description: Whether the path exists (a dangling symlink exists, as a link).
      type: bool
    type:
      description: C(directory), C(file) (a regular file), C(link) or C(other); V(None) when the path does not exist.
      type: str
    mode:
      description: The permission bits as a four-digit octal string such as C(0700); V(None) when the path does not
        exist.
      type: str
"""

import os
import stat

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.chainops.ethereum.plugins.module_utils._path_facts import path_kind


def path_info(path):
    """Return {'exists', 'type', 'mode'} for path without following a final symlink."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False, "type": None, "mode": None}
    except OSError as exc:
        raise AnsibleLookupError("path_info: cannot look at %s on the controller: %s" % (path, exc.strerror or exc)) from None
    return {"exists": True, "type": path_kind(info.st_mode), "mode": "%04o" % stat.S_IMODE(info.st_mode)}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [path_info(os.path.expanduser(str(term))) for term in terms]
