"""Render a role's template (or one of its variables) on the controller, as the role would, without a host:
the role's defaults and vars (plus those of roles it uses), then the test's inventory values, through Ansible's own
templar (so to_nice_yaml and friends behave as in a play). Read-only use of the roles. No tests in this file."""

import os

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = os.path.join(REPO, "roles")


class RoleRender:
    def __init__(self, *roles, **inventory):
        self.loader = DataLoader()
        self.variables = {"ansible_managed": "Managed by Ansible", "inventory_hostname": "node1"}
        for role in roles:
            for part in ("defaults", "vars"):
                path = os.path.join(ROLES, role, part, "main.yml")
                if os.path.isfile(path):
                    self.variables.update(self.loader.load_from_file(path, trusted_as_template=True) or {})
        self.variables.update(inventory)
        self.roles = roles

    def _templar(self, **extra):
        return Templar(loader=self.loader, variables=dict(self.variables, **extra))

    def var(self, name, **extra):
        """The value of a role variable, fully templated."""
        return self._templar(**extra).template(self.variables[name])

    def template(self, role, name, **extra):
        """The text of roles/<role>/templates/<name> rendered with the role's variables."""
        with open(os.path.join(ROLES, role, "templates", name), encoding="utf-8") as handle:
            text = handle.read()
        return self._templar(**extra).template(trust_as_template(text))
