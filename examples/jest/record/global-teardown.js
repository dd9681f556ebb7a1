import { stopRecordingTests } from 'must-gather/jest';
import { removeContainers } from '../../containers.js';

export default async function globalTeardown() {
  removeContainers();
  await stopRecordingTests(); // keeps the folder when the run failed; their logs were streamed already
}
