# pytest: gather in the session fixture's teardown, before removing the containers. pytest_sessionfinish
# would be too late: session fixtures are torn down before it runs. With pytest-xdist every worker has
# its own session; they share PYTEST_XDIST_TESTRUNUID, so passing it as the run key gathers once.
import os
import subprocess

import pytest

SERVICE = "orders"
CONTAINERS = [f"{SERVICE}_postgres_test", f"{SERVICE}_redis_test"]


@pytest.fixture(scope="session", autouse=True)
def containers(request):
    subprocess.run(["podman", "run", "-d", "--name", CONTAINERS[0], "docker.io/library/postgres:16"], check=True)
    subprocess.run(["podman", "run", "-d", "--name", CONTAINERS[1], "docker.io/library/redis:7"], check=True)
    yield
    failed = request.session.testsfailed > 0
    run_key = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pytest-{os.getpid()}")
    # check=False: never fail the session because of must-gather.
    subprocess.run(
        ["npx", "--no-install", "must-gather", SERVICE, "--if-failed", "--exit-code", "1" if failed else "0", "--run-key", run_key, "--archive"],
        check=False,
    )
    subprocess.run(["podman", "rm", "-f", "-t", "0", *CONTAINERS], check=False)
