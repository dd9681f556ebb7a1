import { service } from '../../containers.js';

export default {
  testMatch: ['<rootDir>/*.test.cjs'],
  testTimeout: 30_000, // the worker's test starts a container and waits for it
  globalSetup: '<rootDir>/global-setup.js',
  globalTeardown: '<rootDir>/global-teardown.js',
  // Tells the globalTeardown whether the run failed; while the recording runs, it gathers nothing itself.
  reporters: ['default', ['must-gather/jest', { service }]],
};
