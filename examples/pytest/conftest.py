# pytest: gather in the session fixture's teardown, before removing the containers. pytest_sessionfinish
# would be too late: session fixtures are torn down before it runs. With pytest-xdist every worker has
# its own session; they share PYTEST_XDIST_TESTRUNUID, so passing it as the run key gathers once.
#
#   cd examples/pytest && python3 -m pytest
#
# The containers stand in for your own (testcontainers, compose, a script), as ../containers.js does for
# the JavaScript examples: EXAMPLE_SERVICE (default orders), EXAMPLE_ENGINE (podman or docker),
# EXAMPLE_IMAGE. MUST_GATHER is the command to run (default: npx --no-install must-gather, the package
# installed in your project).
import contextlib
import os
import shlex
import subprocess

import pytest

SERVICE = os.environ.get("EXAMPLE_SERVICE") or "orders"
ENGINE = os.environ.get("EXAMPLE_ENGINE") or "podman"
IMAGE = os.environ.get("EXAMPLE_IMAGE") or "localhost/must-gather-busybox:latest"
MUST_GATHER = shlex.split(os.environ.get("MUST_GATHER") or "npx --no-install must-gather")

# Each container prints a line or two, then stays up, as a database or a cache would.
CONTAINERS = {
    f"{SERVICE}_postgres_test": 'echo "postgres: database system is ready to accept connections"; echo "ERROR: relation \\"orders\\" does not exist" >&2',
    f"{SERVICE}_redis_test": 'echo "redis: Ready to accept connections tcp"',
}


@pytest.fixture(scope="session", autouse=True)
def containers(request):
    try:
        remove_containers()
        for name, script in CONTAINERS.items():
            subprocess.run([ENGINE, "run", "-d", "--name", name, IMAGE, "sh", "-c", f"{script}; exec sleep 600"], check=True, stdout=subprocess.DEVNULL)
    except BaseException:
        # A failed setup is a failure to gather for too; pytest runs no teardown after it.
        gather(request, failed=True)
        remove_containers()
        raise
    yield
    gather(request, failed=request.session.testsfailed > 0)
    remove_containers()


def gather(request, failed):
    run_key = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pytest-{os.getpid()}"
    command = [*MUST_GATHER, SERVICE, "--if-failed", "--exit-code", "1" if failed else "0", "--run-key", run_key, "--archive"]
    # Its report (what failed, and where the run folder is) belongs in the test output: outside pytest's capture.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        # check=False: never fail the session because of must-gather.
        subprocess.run(command, check=False)


def remove_containers():
    force = ["-f", "-t", "0"] if ENGINE == "podman" else ["-f"]
    # Not there: nothing to remove.
    subprocess.run([ENGINE, "rm", *force, *CONTAINERS], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
