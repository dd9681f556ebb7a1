import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.js',
  // The reporter tells the recording whether the run failed (in your project: ['must-gather/playwright']).
  reporter: [['list'], [fileURLToPath(import.meta.resolve('must-gather/playwright'))]],
  globalSetup: './global-setup.js',
});
