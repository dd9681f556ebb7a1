import { gatherOnTeardown } from 'must-gather/vitest';
import { removeContainers, service, startContainers } from '../containers.js';

export default function setup(project) {
  startContainers();
  return async () => {
    await gatherOnTeardown(project, { service });
    removeContainers();
  };
}
