"""What the cluster layer added to host_probe (sha256, modes, tcp) and host_files (links)."""

import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from ansible_collections.chainops.ethereum.plugins.modules import host_files, host_probe


def test_file_sha256(tmp_path):
    path = tmp_path / "ca.crt"
    path.write_bytes(b"pem\n")
    assert host_probe.file_sha256(str(path)) == hashlib.sha256(b"pem\n").hexdigest()
    assert host_probe.file_sha256(str(tmp_path / "missing")) is None


def test_path_mode(tmp_path):
    path = tmp_path / "k3s"
    path.write_bytes(b"x")
    os.chmod(path, 0o640)
    assert host_probe.path_mode(str(path)) == {"mode": "0640", "uid": os.getuid(), "gid": os.getgid()}
    assert host_probe.path_mode(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("text, expected", [("10.0.0.10:6443", ("10.0.0.10", 6443)), ("[fd00::10]:6443", ("fd00::10", 6443)),
                                            ("api.example:443", ("api.example", 443))])
def test_split_endpoint(text, expected):
    assert host_probe.split_endpoint(text) == expected


@pytest.mark.parametrize("text", ["10.0.0.10", "10.0.0.10:", ":6443", "10.0.0.10:0", "10.0.0.10:70000", "10.0.0.10:https"])
def test_split_endpoint_refuses(text):
    with pytest.raises(ValueError):
        host_probe.split_endpoint(text)


def test_tcp_answers_only_when_something_listens():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        assert host_probe.tcp_answers("127.0.0.1:%d" % port, 2.0) is True
    finally:
        listener.close()
    assert host_probe.tcp_answers("127.0.0.1:%d" % port, 2.0) is False


def test_ensure_link(tmp_path):
    link = tmp_path / "kubectl"
    spec = {"dest": str(link), "src": "k3s"}
    assert host_files.ensure_link(spec, check_mode=True) is True
    assert not os.path.lexists(link)
    assert host_files.ensure_link(spec, check_mode=False) is True
    assert os.readlink(link) == "k3s"
    assert host_files.ensure_link(spec, check_mode=False) is False
    os.unlink(link)
    link.write_text("a regular file")
    assert host_files.ensure_link(spec, check_mode=False) is True and os.readlink(link) == "k3s"
    os.unlink(link)
    link.mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        host_files.ensure_link(spec, check_mode=False)


def _listener(handler):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        try:
            conn, _addr = server.accept()
        except OSError:
            return
        try:
            handler(conn)
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, server.getsockname()[1], thread


def test_tcp_tls_needs_a_completed_handshake_not_just_an_accept():
    """A user-mode network stack accepts every connection itself: only a TLS handshake shows a server is there."""
    server, port, thread = _listener(lambda conn: None)  # accepts, then closes
    try:
        assert host_probe.tcp_answers("127.0.0.1:%d" % port, 2.0, tls=True) is False
    finally:
        server.close()
        thread.join(5)


def test_tcp_tls_answers_for_a_tls_server(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))

    def handshake(conn):
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass

    server, port, thread = _listener(handshake)
    try:
        assert host_probe.tcp_answers("127.0.0.1:%d" % port, 5.0, tls=True) is True
    finally:
        server.close()
        thread.join(5)


class RunModule:
    """Just run_command with an argv list, as AnsibleModule offers it."""

    def __init__(self):
        self.calls = []

    def run_command(self, argv, environ_update=None):
        self.calls.append(list(argv))
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, **(environ_update or {})))
        return proc.returncode, proc.stdout, proc.stderr


def _program(tmp_path, body):
    path = tmp_path / "k3s"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_verified_runs_only_the_verified_program(tmp_path):
    program, digest = _program(tmp_path, 'echo "k3s version v1.33.5+k3s1 (abc)"')
    module = RunModule()
    answer = host_probe.run_verified(module, [program, "--version"], digest)
    assert answer["ran"] is True and answer["rc"] == 0
    assert answer["stdout"].startswith("k3s version v1.33.5+k3s1")
    # a program that is not the verified file (it would be replaced) is never run
    other = host_probe.run_verified(module, [program, "--version"], hashlib.sha256(b"another release").hexdigest())
    assert other == {"argv": [program, "--version"], "ran": False, "rc": None, "stdout": "", "stderr": ""}
    missing = host_probe.run_verified(module, [str(tmp_path / "missing"), "--version"], digest)
    assert missing["ran"] is False
    assert module.calls == [[program, "--version"]]


def test_run_verified_reports_a_failing_program_and_uses_known_digests(tmp_path):
    program, digest = _program(tmp_path, 'echo "exec format error" >&2; exit 126')
    module = RunModule()
    answer = host_probe.run_verified(module, [program, "--version"], digest.upper())
    assert (answer["ran"], answer["rc"], answer["stderr"].strip()) == (True, 126, "exec format error")
    # a digest the probe already computed in the same call is used instead of reading the file again
    assert host_probe.run_verified(module, [program], digest, known={program: "0" * 64})["ran"] is False
    assert host_probe.run_verified(module, [program], digest, known={program: None})["ran"] is False


def test_run_verified_needs_an_absolute_program(tmp_path):
    with pytest.raises(ValueError, match="absolute program path"):
        host_probe.run_verified(RunModule(), ["k3s", "--version"], "0" * 64)
    with pytest.raises(ValueError, match="absolute program path"):
        host_probe.run_verified(RunModule(), [], "0" * 64)


def test_tcp_answers_all_tries_every_endpoint_at_once(monkeypatch):
    endpoints = ["10.0.0.10:6443", "10.0.0.12:6443", "[fd00::13]:6443"]
    together = threading.Barrier(len(endpoints), timeout=10)

    def attempt(endpoint, timeout, tls=False):
        together.wait()  # passes only when every attempt is in flight at the same time
        return endpoint != "10.0.0.12:6443" and tls and timeout == 3.0

    monkeypatch.setattr(host_probe, "tcp_answers", attempt)
    answers = host_probe.tcp_answers_all(endpoints, 3.0, True)
    assert list(answers) == endpoints  # the order of the request
    assert answers == {"10.0.0.10:6443": True, "10.0.0.12:6443": False, "[fd00::13]:6443": True}
    assert host_probe.tcp_answers_all([], 3.0) == {}


def test_tcp_answers_all_refuses_a_malformed_endpoint_before_connecting(monkeypatch):
    calls = []
    monkeypatch.setattr(host_probe, "tcp_answers", lambda endpoint, timeout, tls=False: calls.append(endpoint))
    with pytest.raises(ValueError, match="not host:port"):
        host_probe.tcp_answers_all(["10.0.0.10:6443", "10.0.0.11"], 3.0)
    assert calls == []
