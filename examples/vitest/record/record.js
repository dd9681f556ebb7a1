import { recordTests } from 'must-gather/vitest';
import { service } from '../../containers.js';

// recordTests resolves to the function that stops the recording: returned, it is this globalSetup's teardown.
export default (project) => recordTests(project, { service });
