#!/usr/bin/env bash
# Runs checkov on rendered Kubernetes manifests: scripts/checkov.sh <dir-or-file>...
# checkov lives in its own venv outside the repo (its pins conflict with the test venv):
# ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/checkov-venv, created on first use. Skips, each with its reason,
# are in tests/render/checkov-skips.yml.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
[ "$#" -gt 0 ] || { echo "usage: scripts/checkov.sh <rendered dir or file>..." >&2; exit 2; }
venv=${CHAINOPS_CACHE:-$HOME/.cache/chainops}/checkov-venv
if [ ! -x "$venv/bin/checkov" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'checkov==3.*'
fi
skips=$(python3 -c 'import sys, yaml; print(",".join(s["id"] for s in yaml.safe_load(open(sys.argv[1]))["skips"]))' \
  tests/render/checkov-skips.yml 2>/dev/null || .venv/bin/python -c 'import sys, yaml; print(",".join(s["id"] for s in yaml.safe_load(open(sys.argv[1]))["skips"]))' tests/render/checkov-skips.yml)
args=()
for target in "$@"; do
  if [ -d "$target" ]; then args+=(-d "$target"); else args+=(-f "$target"); fi
done
exec "$venv/bin/checkov" --quiet --compact --framework kubernetes --skip-check "$skips" "${args[@]}"
