// Record mode's global fixtures: listed first in .mocharc's "require", so the recording starts before
// ../containers-fixture.js starts the containers.
import { recordTests } from 'must-gather/mocha';
import { service } from '../../containers.js';

export const { mochaGlobalSetup, mochaGlobalTeardown } = recordTests({ service });
