import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.js',
  testIgnore: 'record/**', // record mode's example, with its own config
  // Playwright runs globalTeardown before its reporters' onEnd: the must-gather reporter records each
  // test's outcome, and global-teardown.js gathers before it removes the containers.
  // In your project: ['must-gather/playwright']. Inside must-gather's own repository Playwright cannot
  // resolve the package by name, so this example resolves it first.
  reporter: [['list'], [fileURLToPath(import.meta.resolve('must-gather/playwright'))]],
  globalSetup: './global-setup.js',
  globalTeardown: './global-teardown.js',
});
