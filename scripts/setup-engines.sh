#!/usr/bin/env bash
# Provision real podman and Docker Engine on this Debian machine, idempotently,
# and import a tiny busybox image into both (no registry can be reached here; scripts/import-test-image.sh).
#
#   bash scripts/setup-engines.sh            # install + start + import image
#
# Prints one line per step to stderr; exits non-zero if an engine cannot be made to answer.
set -euo pipefail

IMAGE="${MUST_GATHER_TEST_IMAGE:-localhost/must-gather-busybox:latest}"
log() { printf 'setup-engines: %s\n' "$*" >&2; }

need_pkgs=()
command -v podman >/dev/null 2>&1 || need_pkgs+=(podman)
command -v runc >/dev/null 2>&1 || need_pkgs+=(runc)
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Debian's podman 4.3 fails with crun on this host's hybrid cgroups and with its default rlimits.
conf=/etc/containers/containers.conf
want='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  log "writing $conf"
  mkdir -p /etc/containers
  printf '%s\n' "$want" >"$conf"
fi

# A pid file left by a dockerd that is gone (or a zombie) stops a new one from starting.
clear_stale_pidfile() {
  local pidfile=/var/run/docker.pid pid state
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  if [ -z "$pid" ] || [ -z "$state" ] || [ "$state" = Z ]; then
    log "removing stale $pidfile"
    rm -f "$pidfile"
  fi
}

if ! docker version >/dev/null 2>&1; then
  log "starting dockerd"
  clear_stale_pidfile
  nohup dockerd --host unix:///var/run/docker.sock >/var/log/must-gather-dockerd.log 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    docker version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! docker version >/dev/null 2>&1; then
    log "dockerd did not answer; last lines of /var/log/must-gather-dockerd.log:"
    tail -20 /var/log/must-gather-dockerd.log >&2
    exit 1
  fi
fi

podman info >/dev/null 2>&1 || { log "podman info failed"; podman info >&2; exit 1; }

# podman's Engine API (Docker-compatible), for the API transport. --time=0: never exit for idleness.
podman_sock=/run/podman/podman.sock
if ! podman --url "unix://$podman_sock" version >/dev/null 2>&1; then
  log "starting podman system service at unix://$podman_sock"
  mkdir -p "$(dirname "$podman_sock")"
  rm -f "$podman_sock"
  nohup podman system service --time=0 "unix://$podman_sock" >/var/log/must-gather-podman-service.log 2>&1 &
  for _ in $(seq 1 60); do
    podman --url "unix://$podman_sock" version >/dev/null 2>&1 && break
    sleep 0.5
  done
  podman --url "unix://$podman_sock" version >/dev/null 2>&1 || { log "podman system service did not answer"; tail -20 /var/log/must-gather-podman-service.log >&2; exit 1; }
fi

# The test image, into both engines: the recipe is scripts/import-test-image.sh (the test helpers use it too).
for engine in podman docker; do
  bash "$(dirname "$0")/import-test-image.sh" "$engine" "$IMAGE"
done

log "ready: podman $(podman version --format '{{.Client.Version}}') (API unix://$podman_sock), docker $(docker version --format '{{.Server.Version}}') (API unix:///var/run/docker.sock), image $IMAGE"
