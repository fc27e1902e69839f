#!/usr/bin/env bash
# Builds geth, the execution client the devnet test tests/integration/devnet/test_chain_pair_geth.py runs,
# from its Go module, pinned: github.com/ethereum/go-ethereum/cmd/geth@GETH_VERSION
# into ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/geth-<version>/geth, with a stamp file naming the version.
# Skips the build when the stamp matches, or when a geth already there reports the pinned version (then
# stamps it). Prints what it did and how long it took. GOTOOLCHAIN=local: never fetch another Go toolchain.
set -euo pipefail

GETH_VERSION=v1.17.6           # the geth data/clients/geth.yml was checked against (flags from --help)

cache=${CHAINOPS_CACHE:-$HOME/.cache/chainops}
dir="$cache/geth-$GETH_VERSION"
stamp="$dir/.version"
want="geth=$GETH_VERSION"

if [ -x "$dir/geth" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "go-tools: present in $dir ($want)"
  exit 0
fi
# a geth built by hand into the same place: accept it only if it reports the pinned version
# (the output is captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
reports() { local out; out=$("$dir/geth" version 2>/dev/null) || return 1; grep -qx "Version: ${GETH_VERSION#v}-stable" <<<"$out"; }
if [ -x "$dir/geth" ] && reports; then
  echo "$want" >"$stamp"
  echo "go-tools: present in $dir ($want; reported by geth version, stamped)"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "go-tools: the go command is missing (Go 1.24 or newer is needed)" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"
t0=$SECONDS
mkdir -p "$dir"
rm -f "$stamp" "$dir/geth"   # go install will not overwrite a file that is not its own build output
GOBIN="$dir" go install -trimpath "github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION"
reports || { echo "go-tools: $dir/geth does not report version ${GETH_VERSION#v}-stable" >&2; exit 1; }
echo "$want" >"$stamp"
echo "go-tools: built geth into $dir ($want, $(go version | cut -d' ' -f3))"
echo "go-tools: seconds: geth=$((SECONDS - t0))"
