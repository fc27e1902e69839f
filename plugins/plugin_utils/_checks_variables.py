# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of variable names and of every role option (controller only).

The collection's own files say which variables exist: every role's ``defaults/main.yml`` and
``meta/argument_specs.yml``, the inventory-level variables those defaults read (``{{ k3s_version | default('') }}``
feeds ``k3s_common_version``), and every variable of the collection's prefixes that a role, a playbook or a
preflight checks module (``_checks_*.py``) refers to.

- A variable of the collection's prefixes that nothing reads is an error, naming the closest known variable
  (``k3s_etcd_s3_enable`` -> ``k3s_etcd_s3_enabled``); any other variable one or two edits away from a known one
  (``metalb_pools``) likewise. A site's own variables of other names are left alone.
- Every value the inventory gives a role option, directly or through the inventory-level variable that feeds
  it, is checked against that option's argument spec (type, element type, choices) and the ranges below,
  before any host changes, instead of halfway through a run when the role gets to it.
"""

from __future__ import annotations

import os
import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    EXTRA_INVENTORY_VARS,
    INVENTORY_VARS,
    SECRET_VARS,
    Unread,
    Unresolved,
    _is_number,
    _type_name,
    closest_name,
    edit_distance,
    scalar_reason,
    show,
)

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

# Prefixes the collection owns besides its role names: a variable with one of them must be one it reads.
OWNED_PREFIXES = ("chainops_", "k3s_", "metallb_", "eth_")
# Ansible's own variables and the ones it sets on every host.
MAGIC_VARS = frozenset(
    (
        "inventory_hostname",
        "inventory_hostname_short",
        "inventory_dir",
        "inventory_file",
        "group_names",
        "groups",
        "hostvars",
        "omit",
        "playbook_dir",
        "play_hosts",
        "role_names",
        "environment",
        "vars",
    )
)
_DEFAULT_FEED_RE = re.compile(r"^\{\{\s*([a-z][a-z0-9_]*)\s*(\|\s*default\(.*\)\s*)?\}\}$", re.S)
_SOURCE_EXTENSIONS = (".yml", ".yaml", ".j2")
_SECRET_SUFFIXES = ("_token", "_secret_key", "_access_key", "_password")


def collection_root():
    """The collection's root folder (this file is plugins/plugin_utils/_checks_variables.py)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(path):
    if yaml is None or not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return data if isinstance(data, dict) else {}


class Catalogue:
    """What the collection reads: role options with their specs, inventory variables and what they feed."""

    def __init__(self, root):
        self.root = root
        self.roles = []
        self.specs = {}  # option -> (role, spec)
        self.defaults = set()
        self.feeds = {}  # inventory variable -> [role option, ...]
        self.referenced = set()
        roles_dir = os.path.join(root, "roles")
        if os.path.isdir(roles_dir):
            self.roles = sorted(name for name in os.listdir(roles_dir) if os.path.isdir(os.path.join(roles_dir, name)))
        for role in self.roles:
            base = os.path.join(roles_dir, role)
            for entry in (_load(os.path.join(base, "meta", "argument_specs.yml")).get("argument_specs") or {}).values():
                for option, spec in ((entry or {}).get("options") or {}).items():
                    self.specs.setdefault(option, (role, spec or {}))
            for option, value in _load(os.path.join(base, "defaults", "main.yml")).items():
                self.defaults.add(option)
                if isinstance(value, str):
                    match = _DEFAULT_FEED_RE.match(value.strip())
                    if match and match.group(1) != option:
                        self.feeds.setdefault(match.group(1), []).append(option)
        self.prefixes = OWNED_PREFIXES + tuple(role + "_" for role in self.roles)
        pattern = re.compile(r"(?<![A-Za-z0-9_.])((?:%s)[a-z0-9_]*[a-z0-9])\b" % "|".join(re.escape(p) for p in self.prefixes))
        # (the preflight's own check modules too: a layer's list of the variables it reads names them)
        quoted = re.compile(r'"((?:%s)[a-z0-9_]*[a-z0-9])"' % "|".join(re.escape(p) for p in self.prefixes))
        for top in ("roles", "playbooks", os.path.join("plugins", "plugin_utils")):
            for folder, _dirs, files in os.walk(os.path.join(root, top)):
                for name in files:
                    python = name.startswith("_checks_") and name.endswith(".py")
                    if name.endswith(_SOURCE_EXTENSIONS) or python:
                        with open(os.path.join(folder, name), encoding="utf-8") as handle:
                            # in Python only quoted names count: docstrings quote misspellings as examples
                            self.referenced.update((quoted if python else pattern).findall(handle.read()))
        self.known = frozenset(self.specs) | self.defaults | frozenset(self.feeds) | self.referenced | frozenset(INVENTORY_VARS + EXTRA_INVENTORY_VARS)

    def collected(self):
        """Names whose values the checks may read: every variable the collection reads (the action plugin templates
        these, and passes only the names of the rest). Checks read nothing outside this set."""
        return self.known

    def owned(self, name):
        return name.startswith(self.prefixes)


_CATALOGUES = {}


def catalogue(root=None):
    root = root or collection_root()
    if root not in _CATALOGUES:
        _CATALOGUES[root] = Catalogue(root)
    return _CATALOGUES[root]


def _ignored(name):
    return name in MAGIC_VARS or name.startswith(("ansible_", "_", "vault_"))


def check_names(view, problems):
    cat = catalogue(view.options.get("collection_root"))
    if not cat.roles:
        problems.add("roles", "no role of the collection was found under %s" % cat.root, "reinstall the collection (its roles/ folder is missing)")
        return
    seen = {}
    for host in view.hosts:
        for name in view.hostvars.get(host, {}):
            seen.setdefault(name, []).append(host)
    for name in sorted(seen):
        if name in cat.known or _ignored(name):
            continue
        where = "" if len(seen[name]) == len(view.hosts) else " (set for %s)" % ", ".join(seen[name][:4]) + (" ..." if len(seen[name]) > 4 else "")
        close = closest_name(name, cat.known, cutoff=0.75)
        if cat.owned(name):
            if close:
                problems.add(
                    name + where,
                    "no role or layer reads this variable (did you mean %s?)" % close,
                    "rename it to %s" % close,
                )
            else:
                problems.add(
                    name + where,
                    "no role or layer reads this variable, although its prefix is the collection's",
                    "remove it, or look up the variable you meant in docs/preflight.md and the roles' README files",
                )
            continue
        near = [known for known in cat.known if len(name) >= 6 and edit_distance(name, known, 2) <= 2]
        if near:
            target = close if close in near else sorted(near, key=lambda known: edit_distance(name, known, 2))[0]
            problems.add(
                name + where,
                "no role or layer reads this variable; it is one edit away from %s" % target,
                "rename it to %s (or, if it is your own variable, give it a name that is not a near-copy of the collection's)" % target,
            )


# ---------------------------------------------------------------------------------------------------
# role options against their argument specs


def _range_reason(name, value):
    if name.endswith("_port") and not 1 <= value <= 65535:
        return "%s is not a port (1-65535)" % show(value), "use a port from 1 to 65535"
    if name.endswith(("_timeout", "_batch")) and value < 1:
        return "%s is below 1" % show(value), "use a whole number of at least 1"
    if value < 0:
        return "%s is negative" % show(value), "use a whole number of at least 0"
    return None


def _type_reason(name, value, kind, secret):
    """Why ``value`` is not of argument-spec type ``kind``, as (reason, fix), or None."""
    shown = "(value not shown)" if secret else show(value)
    if kind in ("str", "path"):
        reason = scalar_reason(value, name)
        if reason and secret:
            return "is %s, not a string (value not shown)" % _type_name(value), "quote the value (keep it in an ansible-vault file)"
        return reason
    if kind == "int":
        if isinstance(value, str) and re.match(r"^\s*-?\d+\s*$", value):
            value = int(value)
        if not _is_number(value) or int(value) != value:
            return "is %s %s, not a whole number" % (_type_name(value), shown), "set a whole number (unquoted)"
        return _range_reason(name, value)
    if kind == "float":
        if not _is_number(value):
            return "is %s %s, not a number" % (_type_name(value), shown), "set a number (unquoted)"
        if name.endswith("_timeout") and value <= 0:
            return "%s is not above 0" % show(value), "use a number of seconds above 0 (fractions allowed, e.g. 0.5)"
        return None
    if kind == "bool":
        if not isinstance(value, bool):
            return "is %s %s, not a boolean" % (_type_name(value), shown), "set it to true or false (unquoted)"
        return None
    if kind == "list":
        if not isinstance(value, list):
            return "is %s %s, not a list" % (_type_name(value), shown), "write a YAML list, e.g. %s: [...]" % name
        return None
    if kind == "dict":
        if not isinstance(value, dict):
            return "is %s %s, not a mapping" % (_type_name(value), shown), "write a YAML mapping, e.g. %s: {key: value}" % name
        return None
    return None


def _suboption_problems(value, options, secret):
    """Problems of a mapping against the ``options`` of a dict (or list-of-dict) spec: keys, required, types."""
    found = []
    for key in value:
        if key not in options:
            close = closest_name(str(key), options, cutoff=0.6)
            hint = " (did you mean %s?)" % close if close else ""
            found.append(("has the key %s, which the role does not read%s" % (show(key), hint), "use the keys %s" % ", ".join(sorted(options))))
    for key, given in options.items():
        sub = given or {}
        if key not in value or value[key] is None:
            if sub.get("required"):
                found.append(("has no %s" % key, "add %s" % key))
            continue
        for text, fix in spec_problems(key, key, value[key], sub, secret=secret or bool(sub.get("no_log"))):
            found.append(("key %s %s" % (key, text), fix))
    return found


def spec_problems(name, option, value, spec, *, secret=False, role=None):
    """Problems of ``value`` (of variable ``name``) against ``spec``, the spec of ``role``'s option ``option``.

    Returns [(reason, fix)]; when ``name`` only feeds the option, each reason says which role reads it as what."""
    if value is None or isinstance(value, (Unresolved, Unread)):
        return []
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return []  # a template: the action plugin has already rendered what it could
    kind = spec.get("type", "str")
    choices = spec.get("choices")
    shown = "(value not shown)" if secret else show(value)
    found = []
    reason = _type_reason(name, value, kind, secret)
    if reason:
        found.append(reason)
    elif kind == "list":
        element_kind = spec.get("elements")
        for index, item in enumerate(value):
            item_reason = _type_reason("%s[%d]" % (name, index), item, element_kind, secret) if element_kind else None
            if item_reason:
                found.append(("item %d %s" % (index, item_reason[0]), item_reason[1]))
            elif choices and item not in choices:
                found.append(("item %d %s is not one of %s" % (index, show(item), ", ".join(str(c) for c in choices)), "use one of them"))
            elif element_kind == "dict" and spec.get("options"):
                found.extend(("item %d %s" % (index, text), fix) for text, fix in _suboption_problems(item, spec["options"], secret))
    elif kind == "dict" and spec.get("options"):
        found.extend(_suboption_problems(value, spec["options"], secret))
    elif choices is not None and value not in choices:
        listed = ", ".join("''" if c == "" else str(c) for c in choices)
        close = closest_name(str(value), [str(c) for c in choices], cutoff=0.6)
        hint = " (did you mean %s?)" % close if close and not secret else ""
        found.append(("%s is not one of %s%s" % (shown, listed, hint), "set one of %s" % listed))
    if option != name:
        found = [("%s (read by role %s as %s)" % (text, role, option), fix) for text, fix in found]
    return found


def check_role_options(view, problems):
    cat = catalogue(view.options.get("collection_root"))
    reported = set()
    for host in view.hosts:
        for name, value in sorted(view.hostvars.get(host, {}).items()):
            if name in INVENTORY_VARS:
                continue  # the dedicated checks judge these, with their own messages
            targets = [name] if name in cat.specs else list(cat.feeds.get(name, ()))
            for option in targets:
                role, spec = cat.specs.get(option, (None, None))
                if spec is None:
                    continue
                secret = bool(spec.get("no_log")) or name in SECRET_VARS or name.endswith(_SECRET_SUFFIXES)
                for reason, fix in spec_problems(name, option, value, spec, secret=secret, role=role):
                    same = all(view.hostvars.get(other, {}).get(name) == value for other in view.hosts)
                    subject = name if same else "%s (host %s)" % (name, host)
                    key = (subject, reason)
                    if key in reported:
                        continue
                    reported.add(key)
                    problems.add(subject, reason, fix)
                break


CHECKS = (check_names, check_role_options)


def check(view, problems):
    for function in CHECKS:
        function(view, problems)
