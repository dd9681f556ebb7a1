import { gatherInGlobalTeardown } from 'must-gather/playwright';
import { removeContainers, service } from '../containers.js';

export default async function globalTeardown() {
  await gatherInGlobalTeardown({ service });
  removeContainers();
}
