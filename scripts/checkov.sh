#!/usr/bin/env bash
# Runs checkov on rendered Kubernetes manifests: scripts/checkov.sh <dir-or-file>...
# checkov lives in its own venv outside the repo (its pins conflict with the test venv):
# ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/checkov-venv, created on first use (pip from PyPI). It runs offline:
# --skip-download and BC_SKIP_MAPPING keep it from calling its vendor's API. Skips, each with its reason, are listed
# in tests/render/checkov-skips.yml per layer: CHAINOPS_CHECKOV_LAYER=<layer> applies the skips listed for that layer;
# without it no skip applies. Extra checkov options: CHAINOPS_CHECKOV_ARGS (e.g. "-o json").
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
[ "$#" -gt 0 ] || { echo "usage: scripts/checkov.sh <rendered dir or file>..." >&2; exit 2; }
venv=${CHAINOPS_CACHE:-$HOME/.cache/chainops}/checkov-venv
if [ ! -x "$venv/bin/checkov" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'checkov==3.*'
fi
skips=$(.venv/bin/python -c '
import sys, yaml
skips = yaml.safe_load(open(sys.argv[1]))["skips"] or []
bad = [s.get("id") for s in skips if not str(s.get("reason", "")).strip() or not s.get("layers")]
if bad:
    sys.exit("checkov-skips.yml: every skip needs a reason and the layers it applies to (%s)" % bad)
print(",".join(s["id"] for s in skips if sys.argv[2] in s["layers"]))' tests/render/checkov-skips.yml "${CHAINOPS_CHECKOV_LAYER:-}")
args=(--skip-download --framework kubernetes)
[ -n "$skips" ] && args+=(--skip-check "$skips")
for target in "$@"; do
  if [ -d "$target" ]; then args+=(-d "$target"); else args+=(-f "$target"); fi
done
# shellcheck disable=SC2086 # CHAINOPS_CHECKOV_ARGS is a list of options
BC_SKIP_MAPPING=TRUE exec "$venv/bin/checkov" "${args[@]}" ${CHAINOPS_CHECKOV_ARGS:-}
