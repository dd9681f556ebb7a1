import { rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/**
 * Pack `dir` into `<dir>.tar.gz` beside it, with the folder's name as the top entry.
 * Written under a temporary name and renamed, so a reader never sees half an archive.
 * `portable` leaves out uid, gid, user and group names, and other host-specific metadata.
 */
export async function writeArchive(dir: string): Promise<string> {
  const target = `${dir}.tar.gz`;
  const partial = `${target}.partial-${process.pid}`;
  try {
    // tar is loaded only when an archive is asked for.
    const { create } = await import('tar');
    await create({ gzip: true, portable: true, cwd: dirname(dir), file: partial, mode: 0o600 }, [basename(dir)]);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return target;
}
