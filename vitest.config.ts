import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    restoreMocks: true,
    unstubEnvs: true,
    // Engine suites start real containers; two files at once keep a 2-core machine responsive.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
