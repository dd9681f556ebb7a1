// A root hook plugin: its afterAll runs when every test is done, before global teardown (mochaGlobalTeardown).
// List it first in .mocharc's "require", so that it also runs before root afterAll hooks of your own.
import { mustGatherHooks } from 'must-gather/mocha';
import { service } from '../containers.js';

export const mochaHooks = mustGatherHooks({ service });
