#!/usr/bin/env bash
# Start the containers a failed integration suite of a service called "demo" leaves behind, so
# must-gather has something real to collect:
#   demo_postgres_test  running, logs on stdout and stderr, a FATAL line, a password in its env and log
#                       (must-gather redacts it: look for ***REDACTED*** in the output)
#   demo_migrate_test   exited 1 after a failed migration
#   demo-redis-test     running
#   demox_redis_test    a decoy of another service (must not be collected)
#
#   bash examples/start-sample-containers.sh [podman|docker]   # default: podman if present, else docker
set -euo pipefail
engine="${1:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}"
# The samples go to this machine's own engine (the one setup-engines.sh provisions), whatever the shell's
# CONTAINER_HOST/DOCKER_HOST point at; must-gather then finds them there by itself (--runtime auto).
unset CONTAINER_HOST DOCKER_HOST
image="${MUST_GATHER_TEST_IMAGE:-localhost/must-gather-busybox:latest}"

for name in demo_postgres_test demo_migrate_test demo-redis-test demox_redis_test; do
  "$engine" rm -f "$name" >/dev/null 2>&1 || true
done
"$engine" run -d --name demo_postgres_test -e POSTGRES_PASSWORD=s3cr3t-demo-pw "$image" sh -c \
  'echo "LOG:  database system is ready to accept connections"; echo "app connecting to postgres://app:s3cr3t-demo-pw@db:5432/app"; echo "FATAL:  password authentication failed for user \"app\"" >&2; sleep 3600' >/dev/null
"$engine" run -d --name demo_migrate_test "$image" sh -c \
  'echo "applying 0007_audit_buffer.sql"; echo "ERROR: relation \"audit_events\" does not exist" >&2; exit 1' >/dev/null
"$engine" run -d --name demo-redis-test "$image" sh -c \
  'echo "# WARNING overcommit_memory is set to 0"; echo "Ready to accept connections"; sleep 3600' >/dev/null
"$engine" run -d --name demox_redis_test "$image" sh -c 'echo decoy; sleep 3600' >/dev/null
sleep 1
echo "started sample containers of service \"demo\" in $engine" >&2
