// A container a test starts itself and its own teardown removes: the case a snapshot at the end of the run
// cannot save (the container is gone by then) and record mode can. CommonJS, so that jest's CommonJS test
// files can require it too; EXAMPLE_SERVICE, EXAMPLE_ENGINE and EXAMPLE_IMAGE as in containers.js.
//   EXAMPLE_WORKER_EXIT  the worker's exit code, default 3 (the bug under test); 0 makes the suite pass
const { execFileSync } = require('node:child_process');

const service = process.env.EXAMPLE_SERVICE || 'orders';
const engine = process.env.EXAMPLE_ENGINE || 'podman';
const image = process.env.EXAMPLE_IMAGE || 'localhost/must-gather-busybox:latest';
const name = `${service}_worker_test`;
const exit = Number(process.env.EXAMPLE_WORKER_EXIT || '3');

/** Start the worker for one order and wait for it to finish: its exit code. */
function runWorker() {
  removeWorker();
  const script = exit === 0 ? 'echo "worker: order 42 confirmed"' : 'echo "worker: confirming order 42"; echo "worker: FATAL: queue \\"confirmations\\" does not exist" >&2';
  execFileSync(engine, ['run', '-d', '--name', name, image, 'sh', '-c', `${script}; exit ${exit}`], { stdio: 'ignore' });
  return Number(execFileSync(engine, ['wait', name], { encoding: 'utf8' }).trim());
}

function removeWorker() {
  try {
    execFileSync(engine, ['rm', '-f', name], { stdio: 'ignore' });
  } catch {
    // Not there: nothing to remove.
  }
}

module.exports = { runWorker, removeWorker, workerName: name };
