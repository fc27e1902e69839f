#!/usr/bin/env bash
# Builds MetalLB's controller (the part that assigns LoadBalancer addresses from the IPAddressPools) from its Go
# module, at the version of the pinned MetalLB chart (../shared/charts/metallb/<version>):
# go.universe.tf/metallb/controller@METALLB_VERSION into ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/metallb-<version>/,
# with a stamp naming the version. Opt-in (not run by make bootstrap): tests/controlplane/test_metallb_controller.py
# uses it when present. Skips the build when the stamp matches. Prints what it did and how long it took.
# GOTOOLCHAIN=local: never fetch another Go toolchain. --bin-dir prints the directory and exits.
set -euo pipefail

METALLB_VERSION=v0.16.1        # the chart roles/metallb pins (metallb_chart_version 0.16.1)

cache=${CHAINOPS_CACHE:-$HOME/.cache/chainops}
dir="$cache/metallb-$METALLB_VERSION"
stamp="$dir/.version"
want="controller=$METALLB_VERSION"

if [ "${1:-}" = "--bin-dir" ]; then
  echo "$dir"
  exit 0
fi
if [ -x "$dir/controller" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "metallb-controller: present in $dir ($want)"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "metallb-controller: the go command is missing (Go 1.25 or newer is needed)" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"
t0=$SECONDS
mkdir -p "$dir"
rm -f "$stamp" "$dir/controller"
GOBIN="$dir" go install -trimpath "go.universe.tf/metallb/controller@$METALLB_VERSION"
echo "$want" >"$stamp"
echo "metallb-controller: built the controller into $dir ($want, $(go version | cut -d' ' -f3))"
echo "metallb-controller: seconds: controller=$((SECONDS - t0))"
