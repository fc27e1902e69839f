#!/usr/bin/env bash
# Installs everything the lab and the test ladder need on a fresh Debian 12 machine:
# apt packages, the Python venv (.venv), anvil (npm), Lodestar (../shared/devnet kit) and the pinned
# Kubernetes control plane programs (scripts/k8s-tools.sh) and geth (scripts/go-tools.sh).
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${CHAINOPS_CACHE:-$HOME/.cache/chainops}
mkdir -p "$cache"

need_apt=()
for bin in podman:podman debootstrap:debootstrap promtool:prometheus nft:nftables rsync:rsync ssh:openssh-client unshare:util-linux shellcheck:shellcheck; do
  command -v "${bin%%:*}" >/dev/null 2>&1 || need_apt+=("${bin##*:}")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "bootstrap: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # the Debian prometheus package starts a server we do not want
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

if [ ! -x "$here/.venv/bin/ansible-playbook" ] || ! cmp -s "$here/requirements-dev.txt" "$here/.venv/.requirements-dev.txt" \
   || ! cmp -s "$here/requirements.txt" "$here/.venv/.requirements.txt"; then
  echo "bootstrap: python venv .venv"
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --upgrade pip
  "$here/.venv/bin/pip" install -q -r "$here/requirements-dev.txt" 2> >(grep -v "^WARNING: Location" >&2)
  cp "$here/requirements-dev.txt" "$here/.venv/.requirements-dev.txt"
  cp "$here/requirements.txt" "$here/.venv/.requirements.txt"
fi

if [ ! -x "$cache/anvil/node_modules/.bin/anvil" ]; then
  echo "bootstrap: anvil (npm)"
  npm install --no-audit --no-fund --prefix "$cache/anvil" @foundry-rs/anvil@1.7.1 >/dev/null
fi

if [ ! -x "$cache/lodestar/node_modules/.bin/lodestar" ]; then
  kit="$here/../shared/devnet/setup.sh"
  if [ -x "$kit" ] || [ -f "$kit" ]; then
    echo "bootstrap: lodestar (devnet kit)"
    bash "$kit" "$cache/lodestar" >"$cache/lodestar-setup.log" 2>&1 || { tail -20 "$cache/lodestar-setup.log"; exit 1; }
  else
    echo "bootstrap: ../shared/devnet/setup.sh not found; devnet tests will skip" >&2
  fi
fi
# the control plane programs of the `controlplane` test group (cached outside the repo; a no-op when present)
bash "$here/scripts/k8s-tools.sh"
# geth for the devnet test of a chain pair (cached outside the repo; a no-op when present)
bash "$here/scripts/go-tools.sh"
echo "bootstrap: done"
