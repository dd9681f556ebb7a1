import { recordTests } from 'must-gather/jest';
import { service, startContainers } from '../../containers.js';

export default async function globalSetup() {
  await recordTests({ service }); // before the containers start
  startContainers();
}
