#!/usr/bin/python
# Copyright: chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_probe
short_description: Read, in one call, the host state the host-layer roles decide on
version_added: 0.1.0
description:
  - Reports whether the host is a container, live sysctl values, which paths exist, active swap and swap lines in
    C(/etc/fstab), systemd unit states, missing Debian packages, the account Ansible logged in with (seen through
    C(sudo)), whether it has authorized keys, where the SSH connection comes from, and an nftables table listing.
  - One module call replaces a dozen C(stat)/C(command) round trips, so a rerun of the host layer that has nothing
    to change costs a few calls per host. Read-only.
author:
  - chainops maintainers (@chainops)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; it does the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  sysctls:
    description: Sysctl keys (dotted) to read from C(/proc/sys). A missing key is reported as V(null).
    type: list
    elements: str
    default: []
  paths:
    description: Paths whose existence to report.
    type: list
    elements: path
    default: []
  units:
    description: systemd units whose C(ActiveState) and C(UnitFileState) to report.
    type: list
    elements: str
    default: []
  packages:
    description: Debian packages; those not installed are returned in RV(packages_missing).
    type: list
    elements: str
    default: []
  swap:
    description: Report active swap (C(/proc/swaps)) and uncommented swap lines of C(/etc/fstab).
    type: bool
    default: false
  login:
    description: Report the account Ansible logged in with, whether it has authorized keys, and the SSH connection.
    type: bool
    default: false
  nft_table:
    description: An nftables table to list, as C(family name) (for example C(inet chainops_host)); reported absent when
      the C(nft) command is not installed.
    type: str
  groups:
    description: Groups whose existence to report.
    type: list
    elements: str
    default: []
  sha256:
    description: Files whose sha256 to report (V(null) when the file does not exist).
    type: list
    elements: path
    default: []
  modes:
    description: Paths whose permission bits and owner to report.
    type: list
    elements: path
    default: []
  files:
    description:
      - Paths whose whole state to report (type, mode, owner and group names, and the sha256 of a regular file or the
        target of a symbolic link), not following a final link.
      - Pass the result to C(chainops.ethereum.host_files) as its O(chainops.ethereum.host_files#module:known) option; a
        write whose directories, files and links are all already in place then costs no call to the host.
    type: list
    elements: path
    default: []
  tcp:
    description: C(host:port) (or C([v6-address]:port)) endpoints to try a TCP connection to, from the host.
    type: list
    elements: str
    default: []
  tcp_tls:
    description: Count an O(tcp) endpoint as answering only when a TLS handshake completes on it (the certificate
      is not verified, since this asks whether a TLS server is there, not who it is). A bare TCP accept is not enough
      where a user-mode network stack accepts every connection itself.
    type: bool
    default: false
  tcp_timeout:
    description: Seconds each O(tcp) connection attempt may take. The attempts run at the same time, so the probe
      waits at most this long for all of them.
    type: float
    default: 2.0
  commands:
    description:
      - Read-only commands to run, each O(commands[].argv) (no shell), for example a binary's C(--version).
      - The program (the first element of O(commands[].argv), an absolute path) runs only when its sha256 equals
        O(commands[].sha256), so a file that does not match the verified release, and would be replaced, is never run.
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: Program (absolute path) and arguments.
        type: list
        elements: str
        required: true
      sha256:
        description: Expected sha256 of the program.
        type: str
        required: true
notes:
  - The login account is the C(SUDO_USER) of a C(sudo) become, else the account the module runs as. The SSH
    connection is read from the environment of the closest ancestor process that has C(SSH_CONNECTION), so it is
    found through C(sudo) too.
"""

EXAMPLES = r"""
- name: Probe what the baseline role needs
  chainops.ethereum.host_probe:
    sysctls: [net.ipv4.ip_forward, vm.overcommit_memory]
    paths: [/sys/module/overlay, /etc/ssh/ssh_host_ed25519_key]
    units: [chrony.service, ssh.service]
    packages: [chrony, nftables]
    swap: true
    login: true
  register: __baseline_probe
"""

RETURN = r"""
container:
  description: The container technology (C(podman), C(docker), C(lxc), ...) or C(none) on a VM or bare metal.
  returned: always
  type: str
  sample: podman
sysctls:
  description: Live value of every requested key, whitespace-normalised; V(null) when the kernel has no such key.
  returned: always
  type: dict
  sample: {"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": null}
paths:
  description: Whether each requested path exists.
  returned: always
  type: dict
  sample: {"/sys/module/overlay": true}
units:
  description: C(active) (ActiveState) and C(enabled) (UnitFileState) of each requested unit; C(not-found) when absent.
  returned: always
  type: dict
  sample: {"chrony.service": {"active": "active", "enabled": "enabled"}}
packages_missing:
  description: Requested packages that are not installed.
  returned: always
  type: list
  elements: str
  sample: [nftables]
swap_active:
  description: Active swap devices or files.
  returned: when O(swap=true)
  type: list
  elements: str
fstab_swap:
  description: Uncommented swap lines in C(/etc/fstab).
  returned: when O(swap=true)
  type: list
  elements: str
login_user:
  description: The account Ansible logged in with.
  returned: when O(login=true)
  type: str
  sample: ops
login_has_keys:
  description: Whether that account has a non-empty C(~/.ssh/authorized_keys).
  returned: when O(login=true)
  type: bool
ssh_client:
  description: Address the SSH connection comes from, as the host sees it (empty when not over SSH).
  returned: when O(login=true)
  type: str
  sample: 10.10.0.5
ssh_server_port:
  description: Local port of that SSH connection (0 when not over SSH).
  returned: when O(login=true)
  type: int
  sample: 22
nft_table:
  description: C(present) and C(listing) (C(nft list table) output) of O(nft_table).
  returned: when O(nft_table) is set
  type: dict
groups:
  description: Whether each requested group exists.
  returned: always
  type: dict
  sample: {"chainops-admin": true}
sha256:
  description: sha256 of each requested file, V(null) when it does not exist.
  returned: always
  type: dict
  sample: {"/var/lib/rancher/k3s/server/tls/server-ca.crt": null}
modes:
  description: C(mode) (octal string), C(uid) and C(gid) of each requested path, V(null) when it does not exist.
  returned: always
  type: dict
  sample: {"/usr/local/bin/k3s": {"mode": "0755", "uid": 0, "gid": 0}}
asked:
  description: The options this call answered (O(sysctls), O(paths), O(units), O(packages), O(swap), O(login), O(nft_table),
    O(groups), O(sha256), O(modes), O(files)), for the C(chainops.ethereum.host_probe_answers) filter.
  returned: always
  type: dict
files:
  description: State of each requested path, V(null) when nothing is there. C(type) is C(file), C(directory),
    C(link) or C(other); C(sha256) is set for a file, C(target) for a link.
  returned: always
  type: dict
  sample: {"/etc/chrony/chrony.conf": {"type": "file", "mode": "0644", "owner": "root", "group": "root", "sha256": "9f86d0..."}}
tcp:
  description: Whether a TCP connection to each requested endpoint succeeded within O(tcp_timeout).
  returned: always
  type: dict
  sample: {"10.0.0.10:6443": false}
commands:
  description: One entry per O(commands) item, in order. C(ran) is false when the program is missing or its sha256
    differs from the expected one (C(rc), C(stdout) and C(stderr) are then empty).
  returned: always
  type: list
  elements: dict
  sample: [{"argv": ["/usr/local/bin/k3s", "--version"], "ran": true, "rc": 0, "stdout": "k3s version v1.33.5+k3s1", "stderr": ""}]
"""

import grp
import os
import pwd
import socket
import ssl
import threading

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chainops.ethereum.plugins.module_utils._host_probe_shared import SHARED_OPTIONS
from ansible_collections.chainops.ethereum.plugins.module_utils._path_facts import path_kind, sha256_hex

_UNIT_STATES = ("ActiveState", "UnitFileState", "LoadState")
# the options a result can answer for another request (host_probe_answers)
_ASKED = SHARED_OPTIONS


def detect_container(proc="/proc", run="/run"):
    """Container technology from the usual markers, or 'none'."""
    try:
        with open(os.path.join(proc, "1", "environ"), "rb") as handle:
            for item in handle.read().split(b"\0"):
                if item.startswith(b"container="):
                    return item.split(b"=", 1)[1].decode() or "container"
    except OSError:
        pass
    if os.path.exists(os.path.join(run, ".containerenv")):
        return "podman"
    if os.path.exists("/.dockerenv"):
        return "docker"
    return "none"


def read_sysctls(keys, proc_sys="/proc/sys"):
    """{key: whitespace-normalised value or None when the key does not exist}."""
    values = {}
    for key in keys:
        path = os.path.join(proc_sys, *key.split("."))
        try:
            with open(path) as handle:
                values[key] = " ".join(handle.read().split())
        except OSError:
            values[key] = None
    return values


def active_swap(proc_swaps="/proc/swaps"):
    """Active swap devices/files."""
    try:
        with open(proc_swaps) as handle:
            lines = handle.read().splitlines()[1:]
    except OSError:
        return []
    return [line.split()[0] for line in lines if line.strip()]


def fstab_swap_lines(fstab="/etc/fstab"):
    """Uncommented /etc/fstab lines whose type is swap."""
    try:
        with open(fstab) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and not fields[0].startswith("#") and fields[2] == "swap":
            found.append(line)
    return found


def ancestor_env(name, pid=None, proc="/proc", limit=64):
    """Value of environment variable `name` in the closest ancestor process that has it ('' if none)."""
    pid = os.getpid() if pid is None else pid
    for _step in range(limit):
        try:
            with open(os.path.join(proc, str(pid), "environ"), "rb") as handle:
                for item in handle.read().split(b"\0"):
                    if item.startswith(name.encode() + b"="):
                        return item.split(b"=", 1)[1].decode(errors="replace")
            with open(os.path.join(proc, str(pid), "stat")) as handle:
                stat = handle.read()
        except OSError:
            return ""
        # the command name is in parentheses and may itself contain spaces or parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        ppid = int(fields[1]) if len(fields) > 1 else 0
        if ppid <= 1:
            return ""
        pid = ppid
    return ""


def login_info(environ=None):
    """The login account (sudo's SUDO_USER, else the current one), its authorized keys and the SSH connection."""
    environ = os.environ if environ is None else environ
    user = environ.get("SUDO_USER") or pwd.getpwuid(os.getuid()).pw_name
    has_keys = False
    try:
        home = pwd.getpwnam(user).pw_dir
        keys = os.path.join(home, ".ssh", "authorized_keys")
        has_keys = os.path.isfile(keys) and os.path.getsize(keys) > 0
    except (KeyError, OSError):
        pass
    connection = (environ.get("SSH_CONNECTION") or ancestor_env("SSH_CONNECTION")).split()
    client = connection[0] if len(connection) == 4 else ""
    port = int(connection[3]) if len(connection) == 4 and connection[3].isdigit() else 0
    return {"login_user": user, "login_has_keys": has_keys, "ssh_client": client, "ssh_server_port": port}


def parse_systemctl_show(text, units):
    """Parse `systemctl show -p ActiveState,UnitFileState,LoadState u1 u2 ...` (blank-line separated blocks)."""
    blocks = text.strip().split("\n\n") if text.strip() else []
    states = {}
    for unit, block in zip(units, blocks):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("LoadState") == "not-found":
            states[unit] = {"active": "not-found", "enabled": "not-found"}
        else:
            states[unit] = {"active": props.get("ActiveState", ""), "enabled": props.get("UnitFileState", "")}
    for unit in units:
        states.setdefault(unit, {"active": "unknown", "enabled": "unknown"})
    return states


def parse_dpkg_status(text, packages):
    """Packages of `packages` that `dpkg-query -W -f '${Package} ${db:Status-Status}\\n'` does not show installed."""
    installed = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1] == "installed":
            installed.add(fields[0].split(":")[0])
    return [p for p in packages if p not in installed]


def file_sha256(path):
    """Hex sha256 of a file, or None when it does not exist."""
    try:
        return sha256_hex(path)
    except FileNotFoundError:
        return None


def path_mode(path):
    """{'mode': '0755', 'uid': 0, 'gid': 0} of a path (not following a final link), or None when it is missing."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return {"mode": "%04o" % (st.st_mode & 0o7777), "uid": st.st_uid, "gid": st.st_gid}


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def path_state(path):
    """Everything host_files compares for one path (not following a final link), or None when nothing is there."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    state = {"mode": "%04o" % (st.st_mode & 0o7777), "owner": _name(pwd.getpwuid, st.st_uid), "group": _name(grp.getgrgid, st.st_gid),
             "type": path_kind(st.st_mode)}
    if state["type"] == "link":
        state["target"] = os.readlink(path)
    elif state["type"] == "file":
        state["sha256"] = file_sha256(path)
    return state


def split_endpoint(text):
    """'host:port' or '[v6]:port' -> (host, port); ValueError when it is neither."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError("tcp endpoint %r is not host:port" % text)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = int(port)
    if not 0 < port < 65536:
        raise ValueError("tcp endpoint %r: port out of range" % text)
    return host, port


def tcp_answers(text, timeout, tls=False):
    """True when a TCP connection to the endpoint succeeds within timeout seconds (and, with tls, a TLS handshake)."""
    host, port = split_endpoint(text)
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            if not tls:
                return True
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with context.wrap_socket(conn, server_hostname=None if ":" in host else host) as wrapped:
                wrapped.do_handshake()
            return True
    except (OSError, ssl.SSLError, ValueError):
        return False


def tcp_answers_all(endpoints, timeout, tls=False):
    """{endpoint: tcp_answers(...)} with every endpoint tried at the same time, so the probe waits at most one
    timeout however many endpoints stay silent. A malformed endpoint raises ValueError before any connection."""
    for endpoint in endpoints:
        split_endpoint(endpoint)
    answers = {}

    def attempt(endpoint):
        answers[endpoint] = tcp_answers(endpoint, timeout, tls)

    threads = [threading.Thread(target=attempt, args=(endpoint,)) for endpoint in endpoints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {endpoint: answers[endpoint] for endpoint in endpoints}


def _group_exists(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _run(module, argv):
    rc, out, err = module.run_command(argv, environ_update={"LC_ALL": "C"})
    return rc, out, err


def nft_table_state(module, table):
    """{'present', 'listing'} of one nftables table; without the nft command (nftables not installed yet) no table
    can have been loaded by it, so it is reported absent."""
    nft = module.get_bin_path("nft")
    if not nft:
        return {"present": False, "listing": ""}
    rc, out, _err = _run(module, [nft, "list", "table"] + table.split())
    return {"present": rc == 0, "listing": out if rc == 0 else ""}


def run_verified(module, argv, sha256, known=None):
    """Run argv when its program's sha256 is the expected one: {'argv', 'ran', 'rc', 'stdout', 'stderr'}.

    known: {path: sha256} already computed in this call (the program is not read twice)."""
    if not argv or not os.path.isabs(argv[0]):
        raise ValueError("commands: %r must start with an absolute program path" % (argv,))
    result = {"argv": list(argv), "ran": False, "rc": None, "stdout": "", "stderr": ""}
    known = known or {}
    actual = known[argv[0]] if argv[0] in known else file_sha256(argv[0])
    if actual is None or actual != sha256.lower():
        return result
    rc, out, err = _run(module, list(argv))
    result.update(ran=True, rc=rc, stdout=out, stderr=err)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysctls=dict(type="list", elements="str", default=[]),
            paths=dict(type="list", elements="path", default=[]),
            units=dict(type="list", elements="str", default=[]),
            packages=dict(type="list", elements="str", default=[]),
            swap=dict(type="bool", default=False),
            login=dict(type="bool", default=False),
            nft_table=dict(type="str"),
            groups=dict(type="list", elements="str", default=[]),
            sha256=dict(type="list", elements="path", default=[]),
            modes=dict(type="list", elements="path", default=[]),
            files=dict(type="list", elements="path", default=[]),
            tcp=dict(type="list", elements="str", default=[]),
            tcp_timeout=dict(type="float", default=2.0),
            tcp_tls=dict(type="bool", default=False),
            commands=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(argv=dict(type="list", elements="str", required=True), sha256=dict(type="str", required=True)),
            ),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, container=detect_container())
    # what was asked, so that a caller can tell whether this result answers another request (host_probe_answers)
    result["asked"] = dict((key, params[key]) for key in _ASKED)
    result["sysctls"] = read_sysctls(params["sysctls"])
    result["paths"] = {path: os.path.exists(path) for path in params["paths"]}
    result["groups"] = {name: _group_exists(name) for name in params["groups"]}
    try:
        result["sha256"] = {path: file_sha256(path) for path in params["sha256"]}
        result["modes"] = {path: path_mode(path) for path in params["modes"]}
        result["files"] = {path: path_state(path) for path in params["files"]}
        result["tcp"] = tcp_answers_all(params["tcp"], params["tcp_timeout"], params["tcp_tls"])
        result["commands"] = [run_verified(module, item["argv"], item["sha256"], result["sha256"]) for item in params["commands"]]
    except (ValueError, OSError) as exc:
        module.fail_json(msg=str(exc))

    units = params["units"]
    if units:
        rc, out, err = _run(module, ["systemctl", "show", "--property=" + ",".join(_UNIT_STATES)] + units)
        if rc != 0:
            module.fail_json(msg="systemctl show failed: %s" % err.strip(), rc=rc)
        result["units"] = parse_systemctl_show(out, units)
    else:
        result["units"] = {}

    packages = params["packages"]
    if packages:
        # dpkg-query exits 1 when a package is unknown to dpkg; the output still lists the known ones
        rc, out, err = _run(module, ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n"] + packages)
        if rc not in (0, 1):
            module.fail_json(msg="dpkg-query failed: %s" % err.strip(), rc=rc)
        result["packages_missing"] = parse_dpkg_status(out, packages)
    else:
        result["packages_missing"] = []

    if params["swap"]:
        result["swap_active"] = active_swap()
        result["fstab_swap"] = fstab_swap_lines()
    if params["login"]:
        result.update(login_info())
    if params["nft_table"]:
        result["nft_table"] = nft_table_state(module, params["nft_table"])

    module.exit_json(**result)


if __name__ == "__main__":
    main()
