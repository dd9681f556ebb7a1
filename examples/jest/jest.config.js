import { service } from '../containers.js';

export default {
  testMatch: ['<rootDir>/*.test.cjs'],
  globalSetup: '<rootDir>/global-setup.js',
  globalTeardown: '<rootDir>/global-teardown.js',
  // Jest calls reporters' onRunComplete before globalTeardown: the containers are still there.
  reporters: ['default', ['must-gather/jest', { service }]],
};
