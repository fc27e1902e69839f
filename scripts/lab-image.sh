#!/usr/bin/env bash
# Builds the systemd test-host image localhost/chainops-debian:<12|13> used by molecule and `make lab`.
#
#   scripts/lab-image.sh 12|13 [--rebuild]
#
# debootstrap (minbase) + the packages the host layer installs, so converges in tests are quick;
# the root filesystem is cached as a tarball under ${CHAINOPS_CACHE:-$HOME/.cache/chainops}/images and
# imported with `podman import`. A no-op when the image already exists (unless --rebuild).
# Works inside or outside the `unshare -m` wrapper: image import needs no container runtime.
set -euo pipefail

usage() { echo "usage: $0 12|13 [--rebuild]" >&2; exit 2; }
[ $# -ge 1 ] || usage
version=$1
rebuild=${2:-}
case "$version" in
  12) suite=bookworm ;;
  13) suite=trixie ;;
  *) usage ;;
esac
[ -z "$rebuild" ] || [ "$rebuild" = "--rebuild" ] || usage

image=localhost/chainops-debian:$version
mirror=${CHAINOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${CHAINOPS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${CHAINOPS_CACHE:-$HOME/.cache/chainops}/images
mkdir -p "$cache"

# What the image holds. Bump image_revision when the customisation below changes: the cache key
# is derived from it and from the package list, so a stale tarball is never reused.
image_revision=2
packages=(
  # the brief's minimum: Ansible's interpreter, systemd as PID 1, privilege escalation, ip(8)
  python3 systemd systemd-sysv sudo iproute2
  # what a freshly installed Debian server has besides: D-Bus (timedatectl, hostnamectl), an SSH server,
  # CA certificates, kmod and procps, and python3-apt, which Ansible's apt module needs
  dbus openssh-server ca-certificates kmod procps python3-apt
)
# Deliberately NOT baked in: what the host-layer roles install (chrony, nftables, unattended-upgrades,
# conntrack, lvm2, ...). A test host must look like a fresh server, so that converges exercise the install
# path and the first converge of `make bench` costs what it costs on real hardware.
key=$(printf '%s\n' "$image_revision" "$suite" "${packages[@]}" | sha256sum | cut -c1-12)

if command -v zstd >/dev/null 2>&1; then
  ext=tar.zst; compress=(zstd -q -T0 -3); decompress=(zstd -q -d -c)
else
  ext=tar.gz; compress=(gzip -1); decompress=(gzip -d -c)
fi
tarball=$cache/debian-$suite-$key.$ext

# One builder per version at a time: molecule.sh and `make lab` may both ask for the image.
exec 9>"$cache/lab-image-$version.lock"
flock 9

if [ "$rebuild" != "--rebuild" ] && podman image exists "$image"; then
  built_key=$(podman image inspect --format '{{ index .Config.Labels "org.chainops.image-key" }}' "$image" 2>/dev/null || true)
  if [ "$built_key" = "$key" ] || [ -z "$built_key" ]; then
    echo "lab-image: $image present, nothing to do"
    exit 0
  fi
  echo "lab-image: $image was built from another package list ($built_key != $key); rebuilding"
fi

start=$(date +%s)
if [ "$rebuild" = "--rebuild" ] || [ ! -s "$tarball" ]; then
  [ "$(id -u)" = 0 ] || { echo "lab-image: debootstrap needs root" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "lab-image: debootstrap missing (run scripts/bootstrap.sh)" >&2; exit 1; }
  rootfs=$(mktemp -d "$cache/rootfs-$suite.XXXXXX")
  cleanup() {
    # debootstrap may leave /proc or /sys mounted in the target when it fails
    for m in proc sys dev/pts dev; do umount -l "$rootfs/$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$rootfs"
  }
  trap cleanup EXIT
  echo "lab-image: debootstrap $suite ($mirror) into $rootfs"
  include=$(IFS=,; echo "${packages[*]}")
  debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" >"$cache/debootstrap-$suite.log" 2>&1 \
    || { tail -30 "$cache/debootstrap-$suite.log" >&2; exit 1; }

  # --- customisation ------------------------------------------------------------------------------
  # full apt sources (updates + security) so unattended-upgrades has a security origin to follow
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
  # per-container identity: no baked SSH host keys (roles/baseline generates them), no machine-id
  rm -f "$rootfs"/etc/ssh/ssh_host_*
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id"
  # debootstrap copies the build machine's hostname and resolver; podman provides both at run time
  : >"$rootfs/etc/hostname"
  # services that only make sense on real hardware or a console
  for unit in getty@tty1.service systemd-remount-fs.service; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  # keep the image small: no man pages or docs in later installs
  mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
  printf 'path-exclude=/usr/share/man/*\npath-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\n' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/01-chainops-nodoc"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/man/* "$rootfs"/var/log/*.log

  echo "lab-image: caching root filesystem as $tarball"
  tar --numeric-owner --xattrs -C "$rootfs" -c . | "${compress[@]}" >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  # drop older tarballs of this suite (other keys)
  find "$cache" -maxdepth 1 -name "debian-$suite-*.tar.*" ! -name "$(basename "$tarball")" -delete
fi

echo "lab-image: podman import $tarball -> $image"
"${decompress[@]}" "$tarball" | podman import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL org.chainops.image-key=$key" \
  --change "LABEL org.chainops.debian=$suite" \
  - "$image" >/dev/null
echo "lab-image: $image ready in $(( $(date +%s) - start ))s"
