// Both at once — the reporter and the globalSetup teardown helper: the reporter gathers, the teardown helper
// receives its result (one folder, one verdict printed), then removes the containers.
import { defineConfig } from 'vitest/config';
import { mustGatherReporter } from 'must-gather/vitest';
import { service } from '../containers.js';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.js'],
    globalSetup: './global-setup-gather.js',
    reporters: ['default', mustGatherReporter({ service })],
  },
});
