#!/usr/bin/env bash
# A quick measurement (not a test, not the bench): one container per engine holding 244 MiB of 64-byte lines,
# collected by must-gather (the direct log-file read), by must-gather with MUST_GATHER_DIRECT_LOGS=0 (the
# engine's API), and by `<engine> logs c > f 2>&1`. Prints wall seconds, CPU seconds and peak RSS of each, and
# whether the saved log's sha256 equals the CLI's. Needs `npm run build` first.
#   bash scripts/measure-direct-logs.sh [docker|podman ...]
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${MUST_GATHER_TEST_IMAGE:-localhost/must-gather-busybox:latest}
SERVICE=mgtdirectbench
NAME=${SERVICE}_big_test
BYTES=256000000
LINE=$(printf 'x%.0s' $(seq 1 63))
OUT=$(mktemp -d /tmp/mg-measure-direct.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

timed() { # label, command...: "label  wall s  cpu s  rss MB"
  local label=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$@" > /dev/null
  read -r wall user sys rss < "$OUT/time"
  printf '%-32s %7.2f s wall  %6.2f s cpu  %5d MB peak RSS\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}

for engine in "${@:-docker podman}"; do
  for e in $engine; do
    if [ "$($e inspect --format '{{.State.Status}}' "$NAME" 2> /dev/null || true)" != exited ]; then
      $e rm -f "$NAME" > /dev/null 2>&1 || true
      $e run -d --name "$NAME" "$IMAGE" sh -c "yes '$LINE' | head -c $BYTES; echo done >&2" > /dev/null
      $e wait "$NAME" > /dev/null
    fi
    path_field=.LogPath && [ "$e" = podman ] && path_field=.HostConfig.LogConfig.Path
    echo "== $e ($(du -m "$($e inspect --format "{{$path_field}}" "$NAME")" | cut -f1) MB log file)"
    timed "$e logs c > f 2>&1" sh -c "$e logs $NAME > $OUT/cli.log 2>&1"
    for mode in direct engine; do
      rm -rf "$OUT/run" && mkdir "$OUT/run"
      flag=1 && [ $mode = engine ] && flag=0
      MUST_GATHER_DIRECT_LOGS=$flag timed "must-gather ($mode)" node bin/must-gather.js $SERVICE --runtime "$e" -o "$OUT/run" -q --no-redact
      saved=$(ls "$OUT"/run/*/"$NAME".log)
      same=$([ "$(sha256sum < "$saved")" = "$(sha256sum < "$OUT/cli.log")" ] && echo yes || echo NO)
      src=$(node -e 'const m = require(process.argv[1]); console.log(m.containers[0].files.find((f) => f.kind === "log").source)' "$(ls "$OUT"/run/*/manifest.json)")
      echo "    sha256 equal to the CLI's: $same; source: $src"
    done
  done
done
