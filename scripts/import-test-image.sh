#!/usr/bin/env bash
# Import the test image into one engine: a rootfs of /bin/busybox (Debian's busybox-static) with a few
# applet links, made here in a second (no registry is needed). Used by setup-engines.sh and by the test
# helpers (test/helpers/engines.ts) when an engine answers but lacks the image: this is the only recipe.
#
#   bash scripts/import-test-image.sh <podman|docker> [image]
#       image: default $MUST_GATHER_TEST_IMAGE, else localhost/must-gather-busybox:latest
#       env MUST_GATHER_BUSYBOX: the busybox binary to use (default /bin/busybox)
#
# Idempotent, and safe when several processes run it at once (vitest workers, setup-engines.sh): they take
# turns on a lock file and look for the image again under it, so it is imported once.
# Prints "importing <image> into <engine>" to stderr only when it imports.
# Exit codes: 0 the image is there; 2 usage; 3 no usable static busybox; 1 the import failed.
set -euo pipefail

engine="${1:-}"
image="${2:-${MUST_GATHER_TEST_IMAGE:-localhost/must-gather-busybox:latest}}"
busybox="${MUST_GATHER_BUSYBOX:-/bin/busybox}"
log() { printf 'import-test-image: %s\n' "$*" >&2; }

case "$engine" in
  podman | docker) ;;
  *) log "usage: import-test-image.sh <podman|docker> [image]"; exit 2 ;;
esac

exists() {
  if [ "$engine" = podman ]; then
    podman image exists "$image" 2>/dev/null
  else
    docker image inspect "$image" >/dev/null 2>&1
  fi
}

exists && exit 0

if [ ! -x "$busybox" ]; then
  log "$busybox not found; it is needed to make the test image $image: apt-get install busybox-static (or: npm run setup-engines)"
  exit 3
fi
# Debian's dynamically linked `busybox` package would import, then fail in every container (no libc there).
if command -v ldd >/dev/null 2>&1 && ldd "$busybox" >/dev/null 2>&1; then
  log "$busybox is dynamically linked; the test image $image needs a static one: apt-get install busybox-static (or: npm run setup-engines)"
  exit 3
fi

# One lock per user; flock waits for a concurrent import to finish (util-linux; without it, the worst case
# is the same image imported twice, which is harmless).
lock="${TMPDIR:-/tmp}/must-gather-import-test-image-$(id -u).lock"
if command -v flock >/dev/null 2>&1; then
  exec 9>>"$lock"
  flock -w 300 9 || { log "timed out waiting for $lock"; exit 1; }
  exists && exit 0
fi

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/must-gather-rootfs-XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
cp "$busybox" "$rootfs/bin/busybox"
for app in sh echo sleep cat head tr printf seq yes true false kill dd env date ls wc sed awk; do
  ln -s busybox "$rootfs/bin/$app"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"

log "importing $image into $engine"
if [ "$engine" = podman ]; then
  tar -C "$rootfs" -cf - . | podman import --quiet --change 'CMD ["/bin/sh"]' - "$image" >/dev/null || { log "podman import failed"; exit 1; }
else
  tar -C "$rootfs" -cf - . | docker import --change 'CMD ["/bin/sh"]' - "$image" >/dev/null || { log "docker import failed"; exit 1; }
fi
exists || { log "$engine import finished but $image is not there"; exit 1; }
