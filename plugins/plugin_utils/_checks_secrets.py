# Copyright: (c) 2026, chainops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to chainops.ethereum: preflight checks of secrets and of the etcd snapshot store (controller only).

The k3s join token and the S3 credentials: present when needed, strings, no placeholder, no whitespace or
line break (a YAML block scalar or ``echo`` into a vault file adds one). The S3 target of etcd snapshots:
everything the k3s_server role requires once snapshots go to S3, and never over plain HTTP. Secret values never
appear in a message.
"""

from __future__ import annotations

import re

from ansible_collections.chainops.ethereum.plugins.plugin_utils._checks_base import (
    TOKEN_MIN_LENGTH,
    _MISSING,
    _SKIP,
    _type_name,
    placeholder_reason,
    scalar_reason,
    show,
)

_JOIN_KEY_FIX = "generate one with `openssl rand -hex 32` and keep it in an ansible-vault file, or leave k3s_token unset so the first server generates it"
_WHITESPACE_FIX = (
    "remove the blanks and line breaks: write it as one quoted string (a `|` block keeps a trailing newline; use `>-` or quotes), "
    "and encrypt it with `printf %s VALUE | ansible-vault encrypt_string --stdin-name NAME` (echo adds a newline)"
)
_WHITESPACE_RE = re.compile(r"\s")


def _secret_shape(name, value, problems, fix):
    """Common rules of a secret string; returns the value when it may be judged further, else None."""
    if not isinstance(value, str):
        if isinstance(value, (bool, int, float)):
            problems.add(
                name,
                "is %s, not a string (value not shown): YAML read an unquoted yes/no/on/off/true/false or number" % _type_name(value),
                "quote the value; " + fix,
            )
        else:
            problems.add(name, "is %s, not a string (value not shown)" % _type_name(value), fix)
        return None
    reason = placeholder_reason(value)
    if reason:
        problems.add(name, "%s (value not shown)" % reason, fix)
        return None
    if _WHITESPACE_RE.search(value):
        where = "a line break" if ("\n" in value or "\r" in value) else "whitespace"
        problems.add(name, "contains %s (value not shown): k3s and S3 would take it as part of the secret" % where, _WHITESPACE_FIX.replace("NAME", name))
        return None
    return value


def check_token(view, problems):
    token = view.get("k3s_token")
    if token in (_MISSING, _SKIP) or token == "":
        return
    token = _secret_shape("k3s_token", token, problems, _JOIN_KEY_FIX)
    if token is not None and len(token) < TOKEN_MIN_LENGTH:
        problems.add("k3s_token", "is %d characters long, at least %d are required (value not shown)" % (len(token), TOKEN_MIN_LENGTH), _JOIN_KEY_FIX)


def _effective(view, *names):
    """(name, value) of the first of ``names`` the inventory sets (role option before inventory variable)."""
    for name in names:
        value = view.get(name)
        if value is not _MISSING:
            return name, value
    return names[-1], _MISSING


def check_etcd_s3(view, problems):
    enabled_name, enabled = _effective(view, "k3s_server_etcd_s3", "k3s_etcd_s3_enabled")
    if enabled in (_MISSING, _SKIP):
        return
    if not isinstance(enabled, bool):
        problems.add(enabled_name, "is %s %s, not a boolean" % (_type_name(enabled), show(enabled)), "set it to true or false (unquoted)")
        return
    if not enabled:
        return
    off = "or set %s: false" % enabled_name
    endpoint_name, endpoint = _effective(view, "k3s_server_etcd_s3_endpoint", "k3s_etcd_s3_endpoint")
    if endpoint is _MISSING or (isinstance(endpoint, str) and not endpoint.strip()):
        problems.add(
            endpoint_name,
            "is missing while %s is true (the k3s_server role refuses to start without it)" % enabled_name,
            "set the S3 endpoint host, e.g. s3.eu-central-1.amazonaws.com, %s" % off,
        )
    elif endpoint is not _SKIP:
        reason = scalar_reason(endpoint, endpoint_name, "s3.eu-central-1.amazonaws.com")
        if reason:
            problems.add(endpoint_name, reason[0], reason[1])
        elif endpoint.strip().lower().startswith("http://"):
            problems.add(
                endpoint_name,
                "%s is plain HTTP: etcd snapshots (every Secret of the cluster) and the S3 keys would cross the network unencrypted" % show(endpoint),
                "use the endpoint over TLS: give the host without a scheme (k3s then uses HTTPS), e.g. %s" % show(endpoint.strip()[7:].split("/")[0]),
            )
        elif _WHITESPACE_RE.search(endpoint):
            problems.add(endpoint_name, "%s contains whitespace" % show(endpoint), "write the endpoint host without blanks or line breaks")
    insecure = view.get("k3s_server_etcd_s3_insecure")
    if insecure is True:
        problems.add(
            "k3s_server_etcd_s3_insecure",
            "is true: k3s would upload etcd snapshots over plain HTTP",
            "set k3s_server_etcd_s3_insecure: false and use an HTTPS endpoint",
        )
    if view.get("k3s_server_etcd_s3_skip_ssl_verify") is True:
        problems.add(
            "k3s_server_etcd_s3_skip_ssl_verify",
            "is true: anyone on the path could pose as the S3 endpoint and receive the etcd snapshots and the keys",
            "set it to false; for a private CA give k3s the CA bundle (etcd-s3-endpoint-ca in k3s_server_extra_config)",
        )
    bucket_name, bucket = _effective(view, "k3s_server_etcd_s3_bucket", "k3s_etcd_s3_bucket")
    if bucket is _MISSING or (isinstance(bucket, str) and not bucket.strip()):
        problems.add(bucket_name, "is missing while %s is true" % enabled_name, "set the bucket for etcd snapshots, %s" % off)
    elif bucket is not _SKIP:
        reason = scalar_reason(bucket, bucket_name, "etcd-snapshots")
        if reason:
            problems.add(bucket_name, reason[0], reason[1])
    for names in (("k3s_server_etcd_s3_access_key", "k3s_etcd_s3_access_key"), ("k3s_server_etcd_s3_secret_key", "k3s_etcd_s3_secret_key")):
        name, value = _effective(view, *names)
        fix = "put %s in an ansible-vault file (group_vars/all/vault.yml), %s" % (name, off)
        if value is _SKIP:
            continue
        if value is _MISSING or (isinstance(value, str) and not value.strip()):
            problems.add(name, "is missing while %s is true" % enabled_name, fix)
            continue
        _secret_shape(name, value, problems, fix)


CHECKS = (check_token, check_etcd_s3)


def check(view, problems):
    for function in CHECKS:
        function(view, problems)
