// Stands in for your own container setup (testcontainers, compose, a script): starts two containers of
// the service under test with the podman (or docker) CLI, and removes them again.
//   EXAMPLE_SERVICE  service name, default "orders": containers are <service>_postgres_test, <service>_redis_test
//   EXAMPLE_ENGINE   podman (default) or docker
//   EXAMPLE_IMAGE    default localhost/must-gather-busybox:latest (`npm run setup-engines` imports it)
import { execFileSync } from 'node:child_process';

export const service = process.env.EXAMPLE_SERVICE || 'orders';
const engine = process.env.EXAMPLE_ENGINE || 'podman';
const image = process.env.EXAMPLE_IMAGE || 'localhost/must-gather-busybox:latest';

const containers = {
  [`${service}_postgres_test`]: 'echo "postgres: database system is ready to accept connections"; echo "ERROR: relation \\"orders\\" does not exist" >&2',
  [`${service}_redis_test`]: 'echo "redis: Ready to accept connections tcp"',
};

export function startContainers() {
  removeContainers();
  for (const [name, script] of Object.entries(containers)) {
    execFileSync(engine, ['run', '-d', '--name', name, image, 'sh', '-c', `${script}; exec sleep 600`], { stdio: 'ignore' });
  }
}

export function removeContainers() {
  const force = engine === 'podman' ? ['-f', '-t', '0'] : ['-f'];
  try {
    execFileSync(engine, ['rm', ...force, ...Object.keys(containers)], { stdio: 'ignore' });
  } catch {
    // Not there: nothing to remove.
  }
}

/** What the test under test does: it fails on purpose here, so that there is something to gather. */
export function placeOrder() {
  return 'rejected: relation "orders" does not exist';
}
