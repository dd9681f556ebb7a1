// Record mode: must-gather follows the service's containers from the first globalSetup on, so the worker
// that a test starts and its own afterAll removes is kept too. The snapshot reporter is configured as well,
// to show that it steps aside while a recording of the same service runs: one folder.
import { defineConfig } from 'vitest/config';
import { mustGatherReporter } from 'must-gather/vitest';
import { service } from '../../containers.js';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.js'],
    testTimeout: 30_000, // the worker's test starts a container and waits for it
    // First: its setup starts recording before ../global-setup.js starts the containers, and its teardown
    // (vitest runs teardowns in reverse) stops it after they are removed.
    globalSetup: ['./record.js', '../global-setup.js'],
    reporters: ['default', mustGatherReporter({ service })],
  },
});
