import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A private folder beside the run folder (never in it, so nothing half-made is archived or read as
 * evidence) for what a run makes on the way: the archive's compressed parts, the timeline's per-container
 * files. Its owner removes it with {@link discard} on every path; `prune` removes what a killed run left
 * (layout.ts names each kind, with the pid that made it).
 */
export class ScratchFolder {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Make `dir` (mode 0700; it must not exist yet). */
  static async create(dir: string): Promise<ScratchFolder> {
    await mkdir(dir, { mode: 0o700 });
    return new ScratchFolder(dir);
  }

  /** The path of `name` inside the folder. */
  file(name: string): string {
    return join(this.dir, name);
  }

  /** Remove the folder and everything in it (idempotent). */
  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
