import { defineConfig } from 'vitest/config';
import { mustGatherReporter } from 'must-gather/vitest';
import { service } from '../containers.js';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.js'],
    globalSetup: './global-setup.js',
    // Vitest reports the end of the run before it runs globalSetup's teardown: the containers are still there.
    reporters: ['default', mustGatherReporter({ service })],
  },
});
