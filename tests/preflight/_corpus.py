"""Helpers for the preflight corpus: build each case's inventory and evaluate it.

A case (cases/*.yml) starts from base.yml (or from its own `inventory`, a full Ansible YAML inventory)
and changes it with these keys, applied in this order:

  remove_hosts:      [host, ...]                      drop hosts from every group
  add_hosts:         {group: {host: {var: value}}}    add hosts (the group is created under `all` if new)
  host_vars:         {host: {var: value}}             set host variables
  remove_host_vars:  {host: [var, ...]}               delete host variables
  group_vars:        {group: {var: value}}            set group variables
  vars:              {var: value}                     set cluster-wide variables (all.vars)
  remove_vars:       [var, ...]                       delete cluster-wide variables
  expect:            [substring, ...]                 each must appear in some problem line

The same tree is written as hosts.yml for ansible-playbook, and flattened here (all.vars < group vars,
shallow groups first < host vars, as Ansible merges them) for the direct, in-process check. Flattening renders
the one template the inventories use for controller paths, `{{ inventory_dir }}`, as INVENTORY_DIR (Ansible
gives the absolute directory of the inventory); other templates stay as text.
"""

import copy
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BASE = os.path.join(HERE, "base.yml")
CASES_DIR = os.path.join(HERE, "cases")
INVENTORY_DIR = "/srv/chainops/inventory"
CASE_KEYS = {
    "description",
    "inventory",
    "remove_hosts",
    "add_hosts",
    "host_vars",
    "remove_host_vars",
    "group_vars",
    "vars",
    "remove_vars",
    "expect",
}


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def case_files():
    return sorted(os.path.join(CASES_DIR, name) for name in os.listdir(CASES_DIR) if name.endswith(".yml"))


def case_id(path):
    return os.path.splitext(os.path.basename(path))[0]


def load_case(path):
    case = load_yaml(path)
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise ValueError("%s: unknown keys %s" % (path, sorted(unknown)))
    if not case.get("description") or not case.get("expect"):
        raise ValueError("%s: needs a description and expect" % path)
    if isinstance(case["expect"], str):
        case["expect"] = [case["expect"]]
    return case


def _groups(tree):
    """Yield (name, group dict) for every group in the tree, `all` first."""
    stack = [("all", tree["all"])]
    while stack:
        name, group = stack.pop(0)
        yield name, group
        for child in list(((group or {}).get("children") or {}).keys()):
            if group["children"][child] is None:
                group["children"][child] = {}
            stack.append((child, group["children"][child]))


def _find_group(tree, wanted):
    for name, group in _groups(tree):
        if name == wanted:
            return group
    return None


def _host_entries(tree, host):
    entries = []
    for _name, group in _groups(tree):
        hosts = group.get("hosts") or {}
        if host in hosts:
            if hosts[host] is None:
                hosts[host] = {}
            entries.append(hosts[host])
    return entries


def build_tree(case):
    """The case's inventory as an Ansible YAML inventory tree."""
    tree = copy.deepcopy(case["inventory"] if "inventory" in case else load_yaml(BASE))
    tree.setdefault("all", {})
    tree["all"] = tree["all"] or {}
    for host in case.get("remove_hosts") or ():
        for _name, group in _groups(tree):
            (group.get("hosts") or {}).pop(host, None)
    for group_name, hosts in (case.get("add_hosts") or {}).items():
        group = _find_group(tree, group_name)
        if group is None:
            group = {}
            tree["all"].setdefault("children", {})[group_name] = group
        if not group.get("hosts"):
            group["hosts"] = {}
        for host, host_vars in hosts.items():
            group["hosts"][host] = copy.deepcopy(host_vars or {})
    for host, host_vars in (case.get("host_vars") or {}).items():
        entries = _host_entries(tree, host)
        if not entries:
            raise ValueError("host_vars: no host %s in the inventory" % host)
        entries[0].update(copy.deepcopy(host_vars))
    for host, names in (case.get("remove_host_vars") or {}).items():
        for entry in _host_entries(tree, host):
            for name in names:
                entry.pop(name, None)
    for group_name, group_vars in (case.get("group_vars") or {}).items():
        group = _find_group(tree, group_name)
        if group is None:
            raise ValueError("group_vars: no group %s in the inventory" % group_name)
        group.setdefault("vars", {}).update(copy.deepcopy(group_vars))
    all_vars = tree["all"].setdefault("vars", {})
    all_vars.update(copy.deepcopy(case.get("vars") or {}))
    for name in case.get("remove_vars") or ():
        all_vars.pop(name, None)
    return tree


def _render_inventory_dir(value):
    if isinstance(value, str):
        for form in ("{{ inventory_dir }}", "{{inventory_dir}}"):
            value = value.replace(form, INVENTORY_DIR)
        return value
    if isinstance(value, dict):
        return {key: _render_inventory_dir(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_inventory_dir(item) for item in value]
    return value


def flatten(tree):
    """(hostvars, groups) the way Ansible would see them (without templating)."""
    depth = {"all": 0}
    members = {}  # group -> hosts directly in it, in order
    children = {}
    bodies = {}
    for name, group in _groups(tree):
        bodies[name] = group or {}
        members.setdefault(name, [])
        for host in (group or {}).get("hosts") or {}:
            if host not in members[name]:
                members[name].append(host)
        children.setdefault(name, [])
        for child in (group or {}).get("children") or {}:
            children[name].append(child)
            depth[child] = max(depth.get(child, 0), depth.get(name, 0) + 1)

    def expand(name, seen=()):
        hosts = list(members.get(name, []))
        for child in children.get(name, []):
            if child in seen:
                continue
            for host in expand(child, seen + (name,)):
                if host not in hosts:
                    hosts.append(host)
        return hosts

    groups = {name: expand(name) for name in members}
    hostvars = {}
    for host in groups["all"]:
        merged = {}
        for name in sorted((g for g in groups if host in groups[g] or g == "all"), key=lambda g: (depth.get(g, 0), g)):
            merged.update(copy.deepcopy(bodies[name].get("vars") or {}))
        for entry in _host_entries(copy.deepcopy(tree), host):
            merged.update(copy.deepcopy(entry))
        hostvars[host] = _render_inventory_dir(merged)
    return hostvars, groups


def write_inventory(tree, directory):
    """Write the tree as <directory>/hosts.yml and return the directory."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write("---\n")
        yaml.safe_dump(tree, handle, default_flow_style=False, sort_keys=False)
    return directory


def secret_values(tree, names):
    """Every value of a secret variable anywhere in the tree (to prove messages never contain them)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in names and isinstance(value, str) and len(value) >= 4:
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    return found
