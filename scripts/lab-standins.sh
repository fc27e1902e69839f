#!/usr/bin/env bash
# Stand-ins for what the lab cannot download: a k3s "release" for k3s_install_mode=airgap
# (inventories/lab sets k3s_airgap_dir to build/lab/k3s-airgap). The bytes are the same on every run, so
# a second `make lab` changes nothing on the hosts.
#   scripts/lab-standins.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^k3s_version: *//p' "$here/inventories/lab/group_vars/all/main.yml")
dir=${1:-$here/build/lab/k3s-airgap}
mkdir -p "$dir"
cat >"$dir/k3s" <<EOF
#!/bin/sh
# Stand-in for the k3s $version binary (the lab has no k3s release). Answers --version, refuses the rest.
case "\$1" in
  --version|-v) echo "k3s version $version (chainops-standin)"; echo "go version none (stand-in)" ;;
  *) echo "k3s stand-in: not a real k3s binary, refusing: \$*" >&2; exit 1 ;;
esac
EOF
chmod 0755 "$dir/k3s"
printf 'stand-in for the k3s %s images tarball\n' "$version" >"$dir/k3s-airgap-images-amd64.tar.zst"
printf '#!/bin/sh\necho "stand-in for the k3s install script" >&2\nexit 1\n' >"$dir/install.sh"
chmod 0755 "$dir/install.sh"
# kube-vip's image is not in k3s's tarball: air-gap preflight wants a source for it (k3s_airgap_extra_images
# with images: [ghcr.io/kube-vip/kube-vip:v1.0.1]); the lab never starts k3s, so a stand-in file will do
printf 'stand-in for the ghcr.io/kube-vip/kube-vip:v1.0.1 image tarball\n' >"$dir/kube-vip-v1.0.1.tar"
(cd "$dir" && sha256sum k3s k3s-airgap-images-amd64.tar.zst install.sh kube-vip-v1.0.1.tar >sha256sum-amd64.txt)
echo "lab-standins: k3s $version stand-in release in $dir"
