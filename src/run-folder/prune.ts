/**
 * `must-gather prune`: remove old run folders and archives from the base folder, and what a killed run left
 * beside them — only what must-gather itself names, never anything else, never through a symbolic link.
 * (The test-run lock's files are swept by test-run/lock.ts, which knows their protocol.)
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError, errorMessage } from '../_util/errors.js';
import { processAlive } from '../_util/process.js';
import { parseArchiveLeftoverName, parseRunEntryName, type RunEntryName } from './layout.js';

export interface PruneOptions {
  /** The base folder, e.g. /tmp/kubernaut-must-gather. Refused when it is a symbolic link. */
  readonly baseDir: string;
  /** Remove runs that started more than this many milliseconds before `now`. */
  readonly olderThanMs: number;
  /** Keep the newest `keep` runs of each service, however old (default 0). */
  readonly keep?: number;
  /** Report what would be removed, remove nothing. */
  readonly dryRun?: boolean;
  /** Clock; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Whether a process of this host is alive (for temporary archive names); default `kill(pid, 0)`. */
  readonly isAlive?: (pid: number) => boolean;
}

export interface PruneResult {
  /** Entries removed (with `dryRun`: that would be removed), full paths, sorted. */
  readonly removed: string[];
  /** must-gather entries left in place: young enough, or among the `keep` newest. */
  readonly kept: string[];
  /** Entries named like must-gather's that were not touched, and why (a symbolic link, a failed removal…). */
  readonly skipped: { path: string; reason: string }[];
}

interface Run {
  readonly name: RunEntryName;
  readonly paths: string[];
}

/**
 * Remove run folders and archives directly under `baseDir` whose names {@link parseRunEntryName} reads and
 * whose run started more than `olderThanMs` ago.
 *
 * - Age comes from the timestamp in the name (local time, as written), not from mtime: the name is what
 *   must-gather wrote, while mtime changes whenever something touches the folder. A folder and its archive
 *   are one run.
 * - `keep` keeps the N newest runs of each service (by name timestamp, then `-<n>` suffix) whatever their age.
 * - Every entry is looked at with lstat: a symbolic link with a matching name is skipped and reported,
 *   neither followed nor removed; a folder name on a file or an archive name on a folder is skipped too.
 *   Removing a folder never follows the links inside it.
 * - A missing `baseDir` prunes nothing; a `baseDir` that is a symbolic link or not a folder is refused
 *   ({@link UsageError}).
 * - The temporary names of an archive being made, `<run>.tar.gz.partial-<pid>` (a file) and
 *   `<run>.tar.gz.parts-<pid>` (a folder), are normally gone when the run ends; a run killed with SIGKILL
 *   leaves them. They are removed once no process `pid` lives on this host, or once their run is older
 *   than `olderThanMs` (whatever process now has that pid is not still archiving it); `keep` does not keep
 *   them.
 */
export async function prune(options: PruneOptions): Promise<PruneResult> {
  const { olderThanMs, keep = 0, dryRun = false, now = () => new Date(), isAlive = processAlive } = options;
  if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw new UsageError(`invalid age ${JSON.stringify(olderThanMs)}: expected milliseconds ≥ 0`);
  }
  if (!Number.isSafeInteger(keep) || keep < 0) throw new UsageError(`invalid keep ${JSON.stringify(keep)}: expected a whole number ≥ 0`);
  if (typeof options.baseDir !== 'string' || options.baseDir.trim() === '' || options.baseDir.includes('\0')) {
    throw new UsageError(`invalid base folder ${JSON.stringify(options.baseDir)}`);
  }
  const baseDir = resolve(options.baseDir);
  const result: PruneResult = { removed: [], kept: [], skipped: [] };

  let base;
  try {
    base = await lstat(baseDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw error;
  }
  if (base.isSymbolicLink()) throw new UsageError(`refusing to prune ${baseDir}: it is a symbolic link`);
  if (!base.isDirectory()) throw new UsageError(`refusing to prune ${baseDir}: it is not a folder`);

  const nowMs = now().getTime();
  const remove = async (path: string): Promise<void> => {
    if (dryRun) {
      result.removed.push(path);
      return;
    }
    try {
      // rm looks at the entry with lstat and unlinks links inside a folder without following them.
      await rm(path, { recursive: true });
      result.removed.push(path);
    } catch (error) {
      result.skipped.push({ path, reason: `could not be removed: ${errorMessage(error)}` });
    }
  };

  const runsByService = new Map<string, Map<string, Run>>();
  for (const entry of (await readdir(baseDir)).sort()) {
    const leftover = parseArchiveLeftoverName(entry);
    if (leftover !== null) {
      const path = join(baseDir, entry);
      const info = await lstat(path).catch(() => null);
      if (info === null) continue;
      const reason = info.isSymbolicLink()
        ? 'symbolic link: not followed, not removed'
        : leftover.kind === 'partial' && !info.isFile()
          ? 'named like a partial archive but not a regular file'
          : leftover.kind === 'parts' && !info.isDirectory()
            ? 'named like an archive parts folder but not a folder'
            : null;
      if (reason !== null) {
        result.skipped.push({ path, reason });
        continue;
      }
      const startedAt = leftover.run.startedAt;
      const runIsOld = startedAt !== null && nowMs - startedAt.getTime() > olderThanMs;
      if (runIsOld || !isAlive(leftover.pid)) await remove(path);
      continue;
    }
    const name = parseRunEntryName(entry);
    if (name === null) continue;
    const path = join(baseDir, entry);
    let info;
    try {
      info = await lstat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone meanwhile
      result.skipped.push({ path, reason: `could not be examined: ${errorMessage(error)}` });
      continue;
    }
    const reason = info.isSymbolicLink()
      ? 'symbolic link: not followed, not removed'
      : name.archive && !info.isFile()
        ? 'named like an archive but not a regular file'
        : !name.archive && !info.isDirectory()
          ? 'named like a run folder but not a folder'
          : name.startedAt === null
            ? `timestamp ${name.stamp} in the name is not a valid date`
            : null;
    if (reason !== null) {
      result.skipped.push({ path, reason });
      continue;
    }
    const runs = runsByService.get(name.service) ?? new Map<string, Run>();
    runsByService.set(name.service, runs);
    const run = runs.get(name.run) ?? { name, paths: [] };
    run.paths.push(path);
    runs.set(name.run, run);
  }

  for (const runs of runsByService.values()) {
    const newestFirst = [...runs.values()].sort(
      (a, b) => b.name.startedAt!.getTime() - a.name.startedAt!.getTime() || b.name.suffix - a.name.suffix,
    );
    for (const [index, run] of newestFirst.entries()) {
      const old = nowMs - run.name.startedAt!.getTime() > olderThanMs;
      if (!old || index < keep) {
        result.kept.push(...run.paths);
        continue;
      }
      for (const path of run.paths) await remove(path);
    }
  }
  result.removed.sort();
  result.kept.sort();
  result.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return result;
}
