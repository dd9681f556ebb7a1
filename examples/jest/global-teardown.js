import { removeContainers } from '../containers.js';

export default function globalTeardown() {
  removeContainers();
}
