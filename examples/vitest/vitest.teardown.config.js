// The other way: gather from globalSetup's teardown, just before removing the containers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.js'],
    globalSetup: './global-setup-gather.js',
    // A teardown that gathers needs more than vitest's default 10 s.
    teardownTimeout: 180_000,
  },
});
