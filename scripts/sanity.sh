#!/usr/bin/env bash
# ansible-test sanity on a clean copy of the collection (tracked + untracked-not-ignored files only),
# placed under build/sanity/ansible_collections/chainops/ethereum as ansible-test requires.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dest=build/sanity/ansible_collections/chainops/ethereum
rm -rf build/sanity && mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | grep -zv '^collections/' \
  | rsync -a --from0 --files-from=- ./ "$dest/"
# ansible-test bootstraps pip with a script from a host this machine cannot reach: use the offline stand-in.
getpip=../shared/tools/ansible-test-get-pip.py
if [ -f "$getpip" ]; then
  mkdir -p ~/.ansible/test/cache
  for v in 24_2 25_0 25_1; do cp "$getpip" ~/.ansible/test/cache/get_pip_$v.py; done
fi
py=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cd "$dest"
git init -q . && git add -A >/dev/null
read -ra extra <<<"${CHAINOPS_SANITY_ARGS:-}"
"$here/.venv/bin/ansible-test" sanity --venv --python "$py" --requirements --color no "${extra[@]}" "$@"
