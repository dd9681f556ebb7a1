// Mocha global fixtures: containers for the whole run.
import { removeContainers, startContainers } from '../containers.js';

export function mochaGlobalSetup() {
  startContainers();
}

export function mochaGlobalTeardown() {
  removeContainers();
}
