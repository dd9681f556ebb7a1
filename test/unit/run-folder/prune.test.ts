import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import { formatTimestamp, parseRunEntryName, RUN_ENTRY_NAME } from '../../../src/run-folder/layout.js';
import { prune } from '../../../src/run-folder/prune.js';

const DAY = 86_400_000;
const NOW = new Date(2026, 0, 10, 12, 0, 0);
const now = () => NOW;
/** A run name `days` days (and `hours` hours) before NOW, in local time as must-gather writes it. */
const run = (service: string, days: number, suffix = '', hours = 0) =>
  `${service}-integration-${formatTimestamp(new Date(NOW.getTime() - days * DAY - hours * 3_600_000))}${suffix}`;

let tmp: string;
let base: string;
let outside: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'must-gather-prune-'));
  base = join(tmp, 'base');
  outside = join(tmp, 'outside');
  await mkdir(base);
  await mkdir(outside);
  await writeFile(join(outside, 'precious.txt'), 'keep me');
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function folder(name: string): Promise<void> {
  await mkdir(join(base, name));
  await writeFile(join(base, name, 'manifest.json'), '{}');
}

async function file(name: string): Promise<void> {
  await writeFile(join(base, name), 'x');
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

describe('parseRunEntryName', () => {
  it('reads service, stamp, suffix and kind', () => {
    expect(parseRunEntryName('signalprocessing-integration-20260102-030405')).toEqual({
      service: 'signalprocessing',
      stamp: '20260102-030405',
      startedAt: new Date(2026, 0, 2, 3, 4, 5),
      suffix: 1,
      archive: false,
      run: 'signalprocessing-integration-20260102-030405',
    });
    expect(parseRunEntryName('my.svc_1-integration-20260102-030405-3.tar.gz')).toMatchObject({
      service: 'my.svc_1',
      suffix: 3,
      archive: true,
      run: 'my.svc_1-integration-20260102-030405-3',
    });
  });

  it('reads an impossible stamp as no date', () => {
    expect(parseRunEntryName('sp-integration-20261301-000000')?.startedAt).toBeNull();
    expect(parseRunEntryName('sp-integration-20260230-000000')?.startedAt).toBeNull();
    expect(parseRunEntryName('sp-integration-20260101-246000')?.startedAt).toBeNull();
  });

  it.each([
    'notes.txt',
    'sp-integration-latest',
    'sp-integration-20260101-12000',
    'sp-integration-20260101-120000.partial',
    'sp-integration-20260101-120000.tar.gz.partial-123',
    'sp-integration-20260101-120000.tar',
    'sp-integration-20260101-120000-',
    '-integration-20260101-120000',
    '.sp-integration-20260101-120000',
    'sp integration-20260101-120000',
    'sp-integration-20260101-120000/..',
    'sp-Integration-20260101-120000',
  ])('is not ours: %j', (name) => {
    expect(RUN_ENTRY_NAME.test(name)).toBe(false);
    expect(parseRunEntryName(name)).toBeNull();
  });
});

describe('prune', () => {
  it('removes old runs, keeps young ones, and never touches anything else', async () => {
    const oldRun = run('sp', 9);
    await folder(oldRun);
    await file(`${oldRun}.tar.gz`);
    await folder(run('sp', 8, '-2'));
    await folder(run('sp', 1));
    await folder(run('gw.v2', 30));
    // exactly as old as the limit: not older than it
    await folder(run('edge', 7));
    // not ours
    for (const name of ['notes.txt', `${oldRun}.tar.gz.partial-123`, 'sp-integration-20200101-12000']) await file(name);
    await mkdir(join(base, 'sp-integration-latest'));

    // The archive a process (still alive, or its pid reused) is writing for an old run goes with the run.
    const result = await prune({ baseDir: base, olderThanMs: 7 * DAY, now, isAlive: () => true });
    expect(result).toEqual({
      removed: [run('gw.v2', 30), run('sp', 8, '-2'), oldRun, `${oldRun}.tar.gz`, `${oldRun}.tar.gz.partial-123`].map((n) => join(base, n)).sort(),
      kept: [run('edge', 7), run('sp', 1)].map((n) => join(base, n)).sort(),
      skipped: [],
    });
    expect((await readdir(base)).sort()).toEqual(
      [run('edge', 7), run('sp', 1), 'notes.txt', 'sp-integration-20200101-12000', 'sp-integration-latest'].sort(),
    );
  });

  it('skips symbolic links with our names without following or removing them', async () => {
    const linkDir = run('sp', 20);
    const linkArchive = `${run('sp', 20, '-2')}.tar.gz`;
    await symlink(outside, join(base, linkDir));
    await symlink(join(outside, 'precious.txt'), join(base, linkArchive));
    const result = await prune({ baseDir: base, olderThanMs: 0, now });
    expect(result).toEqual({
      removed: [],
      kept: [],
      skipped: [
        { path: join(base, linkDir), reason: 'symbolic link: not followed, not removed' },
        { path: join(base, linkArchive), reason: 'symbolic link: not followed, not removed' },
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    });
    expect((await lstat(join(base, linkDir))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(base, linkArchive))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('removes a run folder without following the links inside it', async () => {
    const name = run('sp', 10);
    await folder(name);
    await symlink(outside, join(base, name, 'link-to-outside'));
    await symlink(join(outside, 'precious.txt'), join(base, name, 'link-to-file'));
    const result = await prune({ baseDir: base, olderThanMs: DAY, now });
    expect(result.removed).toEqual([join(base, name)]);
    expect(await exists(join(base, name))).toBe(false);
    expect(await readdir(outside)).toEqual(['precious.txt']);
    expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('skips a folder name on a file, an archive name on a folder, and impossible dates', async () => {
    await file(run('sp', 10));
    await mkdir(join(base, `${run('sp', 11)}.tar.gz`));
    await folder('sp-integration-20251340-000000');
    const result = await prune({ baseDir: base, olderThanMs: 0, now });
    expect(result.removed).toEqual([]);
    expect(result.kept).toEqual([]);
    expect(result.skipped).toEqual(
      [
        { path: join(base, run('sp', 10)), reason: 'named like a run folder but not a folder' },
        { path: join(base, `${run('sp', 11)}.tar.gz`), reason: 'named like an archive but not a regular file' },
        { path: join(base, 'sp-integration-20251340-000000'), reason: 'timestamp 20251340-000000 in the name is not a valid date' },
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    expect((await readdir(base)).length).toBe(3);
  });

  it('keeps the newest N runs of each service, a folder and its archive counting as one run', async () => {
    const sp = [run('sp', 30), run('sp', 20), run('sp', 10), run('sp', 10, '-2')];
    for (const name of sp) await folder(name);
    await file(`${sp[0]}.tar.gz`);
    await file(`${sp[3]}.tar.gz`);
    await folder(run('db', 40));
    await folder(run('db', 41));
    const result = await prune({ baseDir: base, olderThanMs: 0, keep: 2, now });
    expect(result.kept).toEqual([run('db', 40), run('db', 41), sp[2]!, sp[3]!, `${sp[3]}.tar.gz`].map((n) => join(base, n)).sort());
    expect(result.removed).toEqual([sp[0]!, `${sp[0]}.tar.gz`, sp[1]!].map((n) => join(base, n)).sort());
  });

  it('of two runs started in the same second, keeps the later one (-2)', async () => {
    await folder(run('sp', 10));
    await folder(run('sp', 10, '-2'));
    await folder(run('sp', 10, '-10'));
    const result = await prune({ baseDir: base, olderThanMs: 0, keep: 1, now });
    expect(result.kept).toEqual([join(base, run('sp', 10, '-10'))]);
    expect(result.removed).toEqual([run('sp', 10), run('sp', 10, '-2')].map((n) => join(base, n)).sort());
  });

  it('with dryRun reports what it would remove and removes nothing', async () => {
    await folder(run('sp', 9));
    await folder(run('sp', 1));
    const before = (await readdir(base)).sort();
    const result = await prune({ baseDir: base, olderThanMs: 7 * DAY, dryRun: true, now });
    expect(result).toEqual({ removed: [join(base, run('sp', 9))], kept: [join(base, run('sp', 1))], skipped: [] });
    expect((await readdir(base)).sort()).toEqual(before);
  });

  it('reads the age from the name, not from mtime', async () => {
    // Just created (fresh mtime) but named 9 days ago: old. Named an hour ago: young.
    await folder(run('sp', 9));
    await folder(run('sp', 0, '', 1));
    const result = await prune({ baseDir: base, olderThanMs: 2 * 3_600_000, now });
    expect(result.removed).toEqual([join(base, run('sp', 9))]);
    expect(result.kept).toEqual([join(base, run('sp', 0, '', 1))]);
  });

  it('prunes nothing when the base folder does not exist', async () => {
    expect(await prune({ baseDir: join(tmp, 'missing'), olderThanMs: 0, now })).toEqual({ removed: [], kept: [], skipped: [] });
  });

  it('refuses a base folder that is a symbolic link or not a folder', async () => {
    await folder(run('sp', 9));
    await symlink(base, join(tmp, 'link'));
    await expect(prune({ baseDir: join(tmp, 'link'), olderThanMs: 0, now })).rejects.toThrow(
      new UsageError(`refusing to prune ${join(tmp, 'link')}: it is a symbolic link`),
    );
    await expect(prune({ baseDir: join(outside, 'precious.txt'), olderThanMs: 0, now })).rejects.toThrow(
      new UsageError(`refusing to prune ${join(outside, 'precious.txt')}: it is not a folder`),
    );
    expect(await exists(join(base, run('sp', 9)))).toBe(true);
  });

  it.each([
    [{ olderThanMs: -1 }, 'invalid age -1: expected milliseconds ≥ 0'],
    [{ olderThanMs: Number.NaN }, 'invalid age null: expected milliseconds ≥ 0'],
    [{ olderThanMs: 0, keep: -1 }, 'invalid keep -1: expected a whole number ≥ 0'],
    [{ olderThanMs: 0, keep: 1.5 }, 'invalid keep 1.5: expected a whole number ≥ 0'],
    [{ olderThanMs: 0, baseDir: '' }, 'invalid base folder ""'],
    [{ olderThanMs: 0, baseDir: 'a\0b' }, 'invalid base folder "a\\u0000b"'],
  ])('rejects %j', async (options, message) => {
    const error = await prune({ baseDir: base, now, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
  });
});

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  if (child.pid === undefined) throw new Error('could not get a dead pid');
  return child.pid;
}

describe('prune: what a killed run left beside its folder', () => {
  /** `<run>.tar.gz.partial-<pid>` (the archive being written) and `<run>.tar.gz.parts-<pid>/` (its compressed logs). */
  async function leftovers(runName: string, pid: number): Promise<[string, string]> {
    const partial = `${runName}.tar.gz.partial-${pid}`;
    const parts = `${runName}.tar.gz.parts-${pid}`;
    await file(partial);
    await mkdir(join(base, parts));
    await writeFile(join(base, parts, '0.gz'), 'x');
    return [partial, parts];
  }

  it('removes the partial archive and parts folder of a young run once the pid that wrote them is gone (SIGKILL)', async () => {
    const young = run('sp', 0, '', 1);
    await folder(young);
    const dead = await leftovers(young, deadPid());
    const live = await leftovers(run('sp', 0, '-2', 1), process.pid);
    const result = await prune({ baseDir: base, olderThanMs: 7 * DAY, now });
    expect(result).toEqual({ removed: dead.map((n) => join(base, n)).sort(), kept: [join(base, young)], skipped: [] });
    // A live writer's files stay, and the run folder itself is judged by its age as always.
    expect((await readdir(base)).sort()).toEqual([young, ...live].sort());
  });

  it('removes the leftovers of an old run even when their pid is alive again (reused); --keep does not keep leftovers', async () => {
    const old = run('sp', 9);
    await folder(old);
    const left = await leftovers(old, 4242);
    const result = await prune({ baseDir: base, olderThanMs: 7 * DAY, keep: 1, now, isAlive: () => true });
    expect(result).toEqual({ removed: left.map((n) => join(base, n)).sort(), kept: [join(base, old)], skipped: [] });
    expect(await readdir(base)).toEqual([old]);
  });

  it('with dryRun names them and removes nothing', async () => {
    const left = await leftovers(run('sp', 1), 4242);
    const result = await prune({ baseDir: base, olderThanMs: 7 * DAY, dryRun: true, now, isAlive: () => false });
    expect(result.removed).toEqual(left.map((n) => join(base, n)).sort());
    expect((await readdir(base)).sort()).toEqual([...left].sort());
  });

  it('skips a symbolic link with such a name, a partial name on a folder and a parts name on a file', async () => {
    const r = run('sp', 1);
    await symlink(outside, join(base, `${r}.tar.gz.parts-4242`));
    await mkdir(join(base, `${r}.tar.gz.partial-4243`));
    await file(`${r}.tar.gz.parts-4244`);
    const result = await prune({ baseDir: base, olderThanMs: 0, now, isAlive: () => false });
    expect(result.removed).toEqual([]);
    expect(result.skipped).toEqual([
      { path: join(base, `${r}.tar.gz.partial-4243`), reason: 'named like a partial archive but not a regular file' },
      { path: join(base, `${r}.tar.gz.parts-4242`), reason: 'symbolic link: not followed, not removed' },
      { path: join(base, `${r}.tar.gz.parts-4244`), reason: 'named like an archive parts folder but not a folder' },
    ]);
    expect(await readdir(outside)).toEqual(['precious.txt']);
  });
});

