import { containerFiles } from '../run-folder/layout.js';

/**
 * Files of the n-th container that carried a name during a recording: the first keeps `<name>.log`,
 * a later one (the name reused after a removal) gets `<name>-<n>.log`.
 */
export function instanceFiles(containerName: string, instance: number, engineFolder = ''): { readonly log: string; readonly inspect: string } {
  return containerFiles(instance <= 1 ? containerName : `${containerName}-${instance}`, engineFolder);
}
