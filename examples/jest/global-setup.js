import { startContainers } from '../containers.js';

export default function globalSetup() {
  startContainers();
}
