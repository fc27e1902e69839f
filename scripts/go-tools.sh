#!/usr/bin/env bash
# Builds the Go Ethereum clients the devnet tests run, each from its Go module, pinned, into
# ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/<name>-<version>/ with a stamp file naming the version:
#   geth   github.com/ethereum/go-ethereum/cmd/geth@GETH_VERSION
#          (tests/integration/devnet/test_chain_pair_geth.py)
#   prysm  github.com/OffchainLabs/prysm/v7 cmd/beacon-chain, cmd/validator, cmd/prysmctl @PRYSM_VERSION
#          (tests/integration/devnet/test_chain_pair_prysm.py)
# Skips a build when its stamp matches, or when the binaries already there report the pinned version (then
# stamps them). Prints what it did and how long it took. GOTOOLCHAIN=local: never fetch another Go toolchain.
#
# Prysm's go.mod has `replace` lines (one of them to a directory inside its own module), so
# `go install ...@version` refuses it. It is built from a small local module under the cache directory that
# takes Prysm's go.mod and go.sum as they are (the same build list) and requires Prysm itself; its one
# directory replace is dropped (see build_prysm). Prysm's binaries are cgo (blst,
# c-kzg-4844): a C compiler is needed. The version is linked in as Prysm's release builds do
# (runtime/version gitTag/gitCommit), so `beacon-chain --version` names it.
set -euo pipefail

GETH_VERSION=v1.17.6           # the geth data/clients/geth.yml was checked against (flags from --help)
PRYSM_VERSION=v7.1.2           # the Prysm data/clients/prysm.yml devnet flags were checked against (--help)
PRYSM_COMMIT=7950a249266a692551e5a910adb9a82a02c92040   # the tag's commit (the module proxy's .info Origin)
PRYSM_CMDS="beacon-chain validator prysmctl"

cache=${CHAINOPS_CACHE:-$HOME/.cache/chainops}

need_go() {
  command -v go >/dev/null 2>&1 || { echo "go-tools: the go command is missing (Go 1.25.1 or newer is needed)" >&2; exit 1; }
  export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"
}

build_geth() {
  local dir="$cache/geth-$GETH_VERSION" want="geth=$GETH_VERSION"
  local stamp="$dir/.version"
  if [ -x "$dir/geth" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "go-tools: present in $dir ($want)"
    return 0
  fi
  # a geth built by hand into the same place: accept it only if it reports the pinned version
  # (the output is captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
  reports() { local out; out=$("$dir/geth" version 2>/dev/null) || return 1; grep -qx "Version: ${GETH_VERSION#v}-stable" <<<"$out"; }
  if [ -x "$dir/geth" ] && reports; then
    echo "$want" >"$stamp"
    echo "go-tools: present in $dir ($want; reported by geth version, stamped)"
    return 0
  fi
  need_go
  local t0=$SECONDS
  mkdir -p "$dir"
  rm -f "$stamp" "$dir/geth"   # go install will not overwrite a file that is not its own build output
  GOBIN="$dir" go install -trimpath "github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION"
  reports || { echo "go-tools: $dir/geth does not report version ${GETH_VERSION#v}-stable" >&2; exit 1; }
  echo "$want" >"$stamp"
  echo "go-tools: built geth into $dir ($want, $(go version | cut -d' ' -f3))"
  echo "go-tools: seconds: geth=$((SECONDS - t0))"
}

build_prysm() {
  local dir="$cache/prysm-$PRYSM_VERSION" want="prysm=$PRYSM_VERSION ($PRYSM_CMDS)"
  local stamp="$dir/.version" src="$cache/prysm-src-$PRYSM_VERSION" mod=github.com/OffchainLabs/prysm/v7
  # beacon-chain and validator print "<name> version Prysm/<tag>/<commit>. Built at: ..." for --version; prysmctl
  # has no --version: its build information (go version -m) names the Prysm module version (the mod line) it was built from
  prysm_reports() {
    local c out
    for c in $PRYSM_CMDS; do
      [ -x "$dir/$c" ] || return 1
      if [ "$c" = prysmctl ]; then
        command -v go >/dev/null 2>&1 || return 1
        out=$(go version -m "$dir/$c" 2>/dev/null) || return 1
        grep -Pq "^\t(mod|dep)\t$mod\t$PRYSM_VERSION(\t|$)" <<<"$out" || return 1
      else
        out=$("$dir/$c" --version 2>/dev/null) || return 1
        grep -q "Prysm/$PRYSM_VERSION/" <<<"$out" || return 1
      fi
    done
  }
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && prysm_reports; then
    echo "go-tools: present in $dir ($want)"
    return 0
  fi
  if prysm_reports; then
    echo "$want" >"$stamp"
    echo "go-tools: present in $dir ($want; reported by --version, stamped)"
    return 0
  fi
  need_go
  command -v "${CC:-gcc}" >/dev/null 2>&1 || { echo "go-tools: Prysm needs cgo: no C compiler (${CC:-gcc}); install gcc" >&2; exit 1; }
  export CGO_ENABLED=1
  local t0=$SECONDS
  rm -rf "$src" && mkdir -p "$src" "$dir"
  rm -f "$stamp"
  # the module as the proxy serves it (read-only in the module cache)
  local moddir
  moddir=$(cd "$src" && GO111MODULE=on GOFLAGS="$GOFLAGS -mod=mod" go mod download -json "$mod@$PRYSM_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$moddir" ] || [ ! -f "$moddir/go.mod" ]; then
    echo "go-tools: go mod download $mod@$PRYSM_VERSION gave no module directory" >&2
    exit 1
  fi
  # the local module: Prysm's requires and its module replace, its own module required. Its directory replace
  # (github.com/tyler-smith/go-bip39 => ./third_party/go-bip39) cannot be repeated: that directory holds a
  # go.mod of its own, so the module zip leaves it out. The replaced module is taken from the proxy at the
  # version Prysm requires (v1.1.0). The script stops when Prysm's go.mod has any other directory replace.
  {
    echo "module chainops.local/prysm-build"
    grep -v -e '^module ' -e '^replace [^ ]* => \./' "$moddir/go.mod"
    echo
    echo "require $mod $PRYSM_VERSION"
  } >"$src/go.mod"
  grep -q '^replace github.com/tyler-smith/go-bip39 => ./third_party/go-bip39$' "$moddir/go.mod" \
    || { echo "go-tools: Prysm $PRYSM_VERSION's go.mod no longer has the go-bip39 directory replace this script expects" >&2; exit 1; }
  [ "$(grep -c '^replace [^ ]* => \./' "$moddir/go.mod")" = 1 ] \
    || { echo "go-tools: Prysm $PRYSM_VERSION's go.mod has directory replaces this script does not know" >&2; exit 1; }
  cp "$moddir/go.sum" "$src/go.sum"
  chmod u+w "$src/go.mod" "$src/go.sum"
  local pkgs=() c
  for c in $PRYSM_CMDS; do pkgs+=("$mod/cmd/$c"); done
  # the go.sum lines for Prysm's own module (its go.sum lists only its dependencies), then every dependency
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" go mod download "$mod" && GOFLAGS="$GOFLAGS -mod=mod" go list -deps "${pkgs[@]}" >/dev/null)
  local t_dl=$((SECONDS - t0)) t1=$SECONDS
  local ld="-X $mod/runtime/version.gitTag=$PRYSM_VERSION -X $mod/runtime/version.gitCommit=$PRYSM_COMMIT"
  ld="$ld -X $mod/runtime/version.buildDate=$(date -u -d "@${SOURCE_DATE_EPOCH:-0}" +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags "$ld" -o "$dir/" "${pkgs[@]}")
  prysm_reports || { echo "go-tools: the binaries in $dir do not report Prysm $PRYSM_VERSION (--version, or go version -m for prysmctl)" >&2; exit 1; }
  echo "$want" >"$stamp"
  echo "go-tools: built $PRYSM_CMDS into $dir (prysm=$PRYSM_VERSION, $(go version | cut -d' ' -f3))"
  echo "go-tools: seconds: prysm=$((SECONDS - t0)) (module download $t_dl, compile $((SECONDS - t1)))"
}

build_geth
build_prysm
