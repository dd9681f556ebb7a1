import { removeContainers, startContainers } from '../containers.js';

export default function setup() {
  startContainers();
  return () => removeContainers();
}
