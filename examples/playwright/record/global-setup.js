import { recordTests } from 'must-gather/playwright';
import { removeContainers, service, startContainers } from '../../containers.js';

export default async function globalSetup() {
  const stopRecording = await recordTests({ service }); // before the containers start
  startContainers();
  // Playwright runs the function globalSetup returns as a teardown, once the tests are done.
  return async () => {
    removeContainers();
    await stopRecording();
  };
}
