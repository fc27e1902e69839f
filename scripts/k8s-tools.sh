#!/usr/bin/env bash
# Builds the Kubernetes programs the `controlplane` test group runs, from their Go modules, pinned:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes, same minor as the k3s
#                                                            inventories/production-example pins)
#   etcd                                                     (go.etcd.io/etcd/server/v3, the version that
#                                                            k8s.io/kubernetes' own go.mod requires)
#   helm                                                     (helm.sh/helm/v3)
#   kwok                                                     (sigs.k8s.io/kwok, the fake kubelet)
# into ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/k8s-<version>/bin, with a stamp file naming the versions.
# Skips all work when the stamp matches. Prints what it built and how long it took.
# k8s.io/kubernetes carries `replace` lines for its staging modules, so `go install pkg@version` refuses it:
# a small local module requires it and replaces every k8s.io/* staging module with its published v0.x.y
# (the recipe of kubernetes/kubernetes issue 79384). The three control-plane programs, etcd and helm build in
# one `go build` invocation so they share compile work. GOTOOLCHAIN=local: never fetch another Go toolchain.
set -euo pipefail

K8S_VERSION=v1.33.5            # k3s v1.33.5+k3s1 (inventories/production-example/group_vars/all/main.yml)
STAGING_VERSION=v0.33.5        # the published tag of every k8s.io/* staging module for K8S_VERSION
ETCD_VERSION=v3.5.21           # go.etcd.io/etcd/server/v3 as required by k8s.io/kubernetes v1.33.5 go.mod
HELM_VERSION=v3.18.6           # last helm v3.18 (k8s.io/* v0.33); builds with go 1.24+
KWOK_VERSION=v0.7.0            # go.mod asks for go 1.24.0 (v0.8.0 asks for 1.26.0 and k8s.io/* v0.36)

cache=${CHAINOPS_CACHE:-$HOME/.cache/chainops}
dir="$cache/k8s-$K8S_VERSION"
bin="$dir/bin"
stamp="$bin/.versions"
want="kubernetes=$K8S_VERSION staging=$STAGING_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION kwok=$KWOK_VERSION"
programs=(kube-apiserver kube-controller-manager kube-scheduler etcd helm kwok)

if [ "${1:-}" = "--bin-dir" ]; then echo "$bin"; exit 0; fi

# Version stamping as the upstream builds do it (kube: hack/lib/version.sh; helm: its Makefile), so /version
# answers v1.33.5 and `helm template` assumes the cluster's minor. etcd carries its version in code.
k8s_minor=${K8S_VERSION#v1.}; k8s_minor=${k8s_minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
done
ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
group_want="kubernetes=$K8S_VERSION staging=$STAGING_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION ldflags=$ldflags"
group_stamp="$bin/.versions-kubernetes"
kwok_want="kwok=$KWOK_VERSION"

present() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
  [ -f "$group_stamp" ] && [ "$(cat "$group_stamp")" = "$group_want" ] || return 1
  [ -f "$bin/.versions-kwok" ] && [ "$(cat "$bin/.versions-kwok")" = "$kwok_want" ] || return 1
  local p
  for p in "${programs[@]}"; do [ -x "$bin/$p" ] || return 1; done
}
if present; then
  echo "k8s-tools: present in $bin ($want)"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "k8s-tools: the go command is missing (Go 1.24 or newer is needed)" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"
t0=$SECONDS
mkdir -p "$dir/build" "$bin"
rm -f "$stamp"
built=()

# --- k8s.io/kubernetes + etcd + helm: one local module, one go build (skipped when its own stamp matches)
if [ -f "$group_stamp" ] && [ "$(cat "$group_stamp")" = "$group_want" ] \
   && [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && [ -x "$bin/kube-scheduler" ] \
   && [ -x "$bin/etcd" ] && [ -x "$bin/helm" ]; then
  t1=$SECONDS; t2=$SECONDS
else
  rm -f "$group_stamp"
  mod="$dir/build"
  staging=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' \
    | xargs sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p')
  [ -n "$staging" ] || { echo "k8s-tools: no staging replaces found in k8s.io/kubernetes@$K8S_VERSION go.mod" >&2; exit 1; }
  {
    echo "module chainops.invalid/k8s-tools"
    echo
    echo "go 1.24.0"
    echo
    echo "require ("
    echo "	k8s.io/kubernetes $K8S_VERSION"
    echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo "	helm.sh/helm/v3 $HELM_VERSION"
    echo ")"
    echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m $STAGING_VERSION"; done
    echo ")"
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'EOF'
//go:build tools

// Package tools only names the programs this module builds.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
EOF
  (cd "$mod" && go mod tidy 2>"$dir/go-mod-tidy.log") || { tail -20 "$dir/go-mod-tidy.log" >&2; exit 1; }
  # tidy may raise a requirement through another module's go.mod; the pins must hold
  for pin in "k8s.io/kubernetes $K8S_VERSION" "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "helm.sh/helm/v3 $HELM_VERSION"; do
    got=$(cd "$mod" && go list -m "${pin% *}")
    [ "$got" = "$pin" ] || { echo "k8s-tools: module graph resolved $got, pinned $pin" >&2; exit 1; }
  done
  t1=$SECONDS
  (cd "$mod" && go build -trimpath -ldflags="$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler go.etcd.io/etcd/server/v3 helm.sh/helm/v3/cmd/helm)
  # go build names the module-root main package go.etcd.io/etcd/server/v3 "server"
  mv -f "$bin/server" "$bin/etcd"
  t2=$SECONDS
  echo "$group_want" >"$group_stamp"
  built+=(kube-apiserver kube-controller-manager kube-scheduler etcd helm)
fi

# --- kwok: its go.mod has no replace lines, so go install @version works; own module graph (k8s.io/* v0.33.0)
if [ -x "$bin/kwok" ] && [ -f "$bin/.versions-kwok" ] && [ "$(cat "$bin/.versions-kwok")" = "$kwok_want" ]; then
  t3=$SECONDS
else
  rm -f "$bin/.versions-kwok"
  GOBIN="$bin" go install -trimpath -ldflags='-s -w' "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  echo "$kwok_want" >"$bin/.versions-kwok"
  built+=(kwok)
  t3=$SECONDS
fi

for p in "${programs[@]}"; do [ -x "$bin/$p" ] || { echo "k8s-tools: $p was not built" >&2; exit 1; }; done
echo "$want" >"$stamp"
echo "k8s-tools: built ${built[*]:-nothing} into $bin (all of ${programs[*]} present)"
echo "k8s-tools: $want, $(go version | cut -d' ' -f3)"
echo "k8s-tools: seconds: modules=$((t1 - t0)) kubernetes+etcd+helm=$((t2 - t1)) kwok=$((t3 - t2)) total=$((t3 - t0))"
