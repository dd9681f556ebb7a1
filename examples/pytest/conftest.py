# pytest: must-gather keeps the service's containers when tests fail — with no must-gather code here: run
# pytest under `must-gather record`, which follows the containers from before the first one starts until
# pytest exits, so the logs of containers this fixture removes in its teardown are kept:
#
#   cd examples/pytest && npx must-gather record orders -- python3 -m pytest
#
# It exits with pytest's exit code and keeps the run folder only when pytest failed (--when always keeps it
# anyway); pytest killed or timed out (--command-timeout 30m) keeps its evidence too. With pytest-xdist,
# wrap the one pytest command: its workers are its children.
#
# Cannot wrap the command? Gather in this fixture's teardown before removing the containers:
# `must-gather <service> --if-failed --exit-code <1 if request.session.testsfailed else 0>` (pytest_sessionfinish
# would be too late: session fixtures are torn down before it runs).
#
# The containers stand in for your own (testcontainers, compose, a script), as ../containers.js does for
# the JavaScript examples: EXAMPLE_SERVICE (default orders), EXAMPLE_ENGINE (podman or docker),
# EXAMPLE_IMAGE.
import os
import subprocess

import pytest

SERVICE = os.environ.get("EXAMPLE_SERVICE") or "orders"
ENGINE = os.environ.get("EXAMPLE_ENGINE") or "podman"
IMAGE = os.environ.get("EXAMPLE_IMAGE") or "localhost/must-gather-busybox:latest"

# Each container prints a line or two, then stays up, as a database or a cache would.
CONTAINERS = {
    f"{SERVICE}_postgres_test": 'echo "postgres: database system is ready to accept connections"; echo "ERROR: relation \\"orders\\" does not exist" >&2',
    f"{SERVICE}_redis_test": 'echo "redis: Ready to accept connections tcp"',
}


@pytest.fixture(scope="session", autouse=True)
def containers():
    remove_containers()
    try:
        for name, script in CONTAINERS.items():
            subprocess.run([ENGINE, "run", "-d", "--name", name, IMAGE, "sh", "-c", f"{script}; exec sleep 600"], check=True, stdout=subprocess.DEVNULL)
        yield
    finally:
        remove_containers()


def remove_containers():
    force = ["-f", "-t", "0"] if ENGINE == "podman" else ["-f"]
    # Not there: nothing to remove.
    subprocess.run([ENGINE, "rm", *force, *CONTAINERS], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
