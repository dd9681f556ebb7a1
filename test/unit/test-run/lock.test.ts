import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { lockName, LockTimeoutError, processAlive, RESULT_TTL_MS, runOnce, RunOnceError, runOnceInProcess, sweepLockFiles, type LockHolder } from '../../../src/test-run/lock.js';
import { tempDir } from '../../helpers/engines.js';

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  if (child.pid === undefined || processAlive(child.pid)) throw new Error('could not get a dead pid');
  return child.pid;
}

function plantLock(dir: string, key: string, holder: Partial<LockHolder>, ageMs = 0): string {
  const path = join(dir, lockName(key));
  const content = { pid: 1, host: hostname(), nonce: `planted-${Math.random()}`, startedAt: new Date().toISOString(), key, ...holder };
  writeFileSync(path, JSON.stringify(content));
  if (ageMs > 0) {
    const t = new Date(Date.now() - ageMs);
    utimesSync(path, t, t);
  }
  return path;
}

describe('lockName', () => {
  it('keeps a readable, safe prefix of the key and tells apart keys that differ only in unsafe characters', () => {
    expect(lockName('github-123-1-test')).toMatch(/^\.must-gather-github-123-1-test-[0-9a-f]{12}\.lock$/);
    const a = lockName('a/b');
    const b = lockName('a_b');
    expect(a).not.toBe(b);
    for (const name of [a, b, lockName('../../etc/passwd'), lockName('x'.repeat(500)), lockName('ünï cödé\n\0')]) {
      expect(name).toMatch(/^\.must-gather-[A-Za-z0-9._-]+\.lock$/);
      expect(name.length).toBeLessThan(120);
    }
  });
});

describe('runOnce', () => {
  it('runs fn, keeps its result for later callers and removes the lock', async () => {
    const dir = tempDir();
    let calls = 0;
    const first = await runOnce('k', dir, async () => ({ n: ++calls }));
    expect(first).toMatchObject({ value: { n: 1 }, ranHere: true });
    expect(existsSync(first.lockFile)).toBe(false);
    expect(JSON.parse(readFileSync(first.resultFile, 'utf8'))).toMatchObject({ ok: true, value: { n: 1 }, key: 'k' });

    const second = await runOnce('k', dir, async () => ({ n: ++calls }));
    expect(second).toMatchObject({ value: { n: 1 }, ranHere: false });
    expect(second.holder.nonce).toBe(first.holder.nonce);
    expect(calls).toBe(1);
    // Nothing but the result is left, and nothing outside the folder.
    expect(readdirSync(dir)).toEqual([`${lockName('k')}.result.json`]);
  });

  it('runs again for a caller whose run started after the stored result finished (notBefore)', async () => {
    const dir = tempDir();
    let calls = 0;
    await runOnce('k', dir, async () => ++calls);
    await sleep(5);
    const later = await runOnce('k', dir, async () => ++calls, { notBefore: new Date() });
    expect(later).toMatchObject({ value: 2, ranHere: true });
    const earlier = await runOnce('k', dir, async () => ++calls, { notBefore: new Date(Date.now() - 60_000) });
    expect(earlier).toMatchObject({ value: 2, ranHere: false });
  });

  it('elects one of many concurrent callers; the others wait and receive its value', async () => {
    const dir = tempDir();
    let calls = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () =>
        runOnce('shared', dir, async () => {
          calls++;
          await sleep(150);
          return 'gathered';
        }, { pollMs: 10 }),
      ),
    );
    expect(calls).toBe(1);
    expect(outcomes.filter((o) => o.ranHere)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.value))).toEqual(new Set(['gathered']));
  });

  it('gives the winner its own error and every waiter the same error, rebuilt', async () => {
    const dir = tempDir();
    const failing = async (): Promise<never> => {
      await sleep(100);
      throw Object.assign(new Error('no usable container engine'), { name: 'NoEngineError', code: 'NO_ENGINE' });
    };
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => runOnce('err', dir, failing, { pollMs: 10 })));
    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as Error & { code?: string }) : null));
    expect(reasons.every((r) => r !== null && r.message === 'no usable container engine' && r.name === 'NoEngineError' && r.code === 'NO_ENGINE')).toBe(true);
    expect(reasons.filter((r) => r instanceof RunOnceError)).toHaveLength(3);
    expect(existsSync(join(dir, lockName('err')))).toBe(false);
  });

  it('breaks a lock whose holder died (pid gone on this host) and runs fn', async () => {
    const dir = tempDir();
    const pid = deadPid();
    plantLock(dir, 'crashed', { pid });
    let calls = 0;
    const outcome = await runOnce('crashed', dir, async () => ++calls, { pollMs: 10, waitMs: 5000 });
    expect(outcome).toMatchObject({ value: 1, ranHere: true });
    expect(outcome.brokeStale.map((h) => h.pid)).toEqual([pid]);
    expect(readdirSync(dir).sort()).toEqual([`${lockName('crashed')}.result.json`]);
  });

  it('lets exactly one of many waiters break a dead holder’s lock', async () => {
    const dir = tempDir();
    plantLock(dir, 'crashed', { pid: deadPid() });
    let calls = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () =>
        runOnce('crashed', dir, async () => {
          calls++;
          await sleep(100);
          return calls;
        }, { pollMs: 5, waitMs: 10_000 }),
      ),
    );
    expect(calls).toBe(1);
    expect(outcomes.flatMap((o) => o.brokeStale)).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([`${lockName('crashed')}.result.json`]);
  });

  it('breaks a lock of another host only once its heartbeat is older than staleMs', async () => {
    const dir = tempDir();
    plantLock(dir, 'remote', { host: 'another-host', pid: process.pid }, 60_000);
    const outcome = await runOnce('remote', dir, async () => 'ok', { staleMs: 30_000, pollMs: 10 });
    expect(outcome.ranHere).toBe(true);
    expect(outcome.brokeStale.map((h) => h.host)).toEqual(['another-host']);
  });

  it('waits for a live holder and gives up after waitMs with LockTimeoutError naming it', async () => {
    const dir = tempDir();
    plantLock(dir, 'busy', { pid: process.pid });
    let calls = 0;
    const error = await runOnce('busy', dir, async () => ++calls, { pollMs: 10, waitMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).holder?.pid).toBe(process.pid);
    expect((error as Error).message).toMatch(/gave up after 0 s waiting for .*held by pid \d+/);
    expect(calls).toBe(0);
  });

  it('treats an unreadable lock by its age: young is held, old is stale', async () => {
    const dir = tempDir();
    const path = join(dir, lockName('half'));
    writeFileSync(path, '');
    await expect(runOnce('half', dir, async () => 1, { pollMs: 10, waitMs: 100 })).rejects.toBeInstanceOf(LockTimeoutError);
    const old = new Date(Date.now() - 120_000);
    utimesSync(path, old, old);
    await expect(runOnce('half', dir, async () => 1, { pollMs: 10, waitMs: 1000 })).resolves.toMatchObject({ ranHere: true });
  });

  it('keeps a long-running holder’s lock fresh with its heartbeat, so waiters do not break it', async () => {
    const dir = tempDir();
    let calls = 0;
    const options = { staleMs: 200, pollMs: 10, waitMs: 5000 };
    const slow = runOnce('slow', dir, async () => {
      calls++;
      await sleep(800);
      return 'slow';
    }, options);
    await sleep(50);
    const waiter = await runOnce('slow', dir, async () => ++calls, options);
    expect(waiter).toMatchObject({ value: 'slow', ranHere: false, brokeStale: [] });
    expect((await slow).ranHere).toBe(true);
    expect(calls).toBe(1);
  });

  it('does not remove a lock that is no longer its own when it finishes', async () => {
    const dir = tempDir();
    const path = join(dir, lockName('stolen'));
    const outcome = await runOnce('stolen', dir, async () => {
      // Someone judged us stale, broke our lock and took it.
      writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'other', startedAt: '', key: 'stolen' }));
      return 1;
    });
    expect(outcome.ranHere).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ nonce: 'other' });
  });
});

describe('processAlive', () => {
  it('is true for this process and false for an exited one or a nonsense pid', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(deadPid())).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-5)).toBe(false);
  });
});

const HOUR = 3_600_000;

/** A result file as runOnce writes it, finished `ageMs` ago (and its mtime set to then). */
function plantResult(dir: string, key: string, ageMs: number): string {
  const path = join(dir, `${lockName(key)}.result.json`);
  const finishedAt = new Date(Date.now() - ageMs);
  const holder = { pid: 1, host: hostname(), nonce: 'n', startedAt: finishedAt.toISOString(), key };
  writeFileSync(path, JSON.stringify({ version: 1, key, holder, finishedAt: finishedAt.toISOString(), ok: true, value: 'old' }));
  utimesSync(path, finishedAt, finishedAt);
  return path;
}

function backdate(path: string, ageMs: number): void {
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
}

describe('runOnce: what is left behind', () => {
  it('keeps no result when keep says so, and removes the base folder it created', async () => {
    const parent = tempDir();
    const dir = join(parent, 'a', 'base');
    const outcome = await runOnce('k', dir, async () => 'nothing written', { keep: () => false });
    expect(outcome).toMatchObject({ value: 'nothing written', ranHere: true });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('leaves a base folder that was already there as it was', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'other.txt'), 'x');
    await runOnce('k', dir, async () => 1, { keep: () => false });
    expect(readdirSync(dir)).toEqual(['other.txt']);
    const empty = tempDir();
    await runOnce('k', empty, async () => 1, { keep: () => false });
    expect(readdirSync(empty)).toEqual([]);
  });

  it('callers waiting for a result that is not kept look for themselves, even when the base folder went away meanwhile', async () => {
    const parent = tempDir();
    const dir = join(parent, 'base');
    let calls = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        runOnce('nomatch', dir, async () => {
          calls++;
          await sleep(30);
          return 'none';
        }, { keep: () => false, pollMs: 5 }),
      ),
    );
    expect(outcomes.map((o) => o.value)).toEqual(Array(6).fill('none'));
    expect(calls).toBe(6);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('does not reuse a result that finished more than RESULT_TTL_MS ago', async () => {
    const dir = tempDir();
    plantResult(dir, 'k', RESULT_TTL_MS + 60_000);
    const outcome = await runOnce('k', dir, async () => 'fresh');
    expect(outcome).toMatchObject({ value: 'fresh', ranHere: true });
    plantResult(dir, 'k2', RESULT_TTL_MS - 60_000);
    expect(await runOnce('k2', dir, async () => 'fresh')).toMatchObject({ value: 'old', ranHere: false });
  });

  it('the caller that ran fn sweeps what no caller can use any more: expired results, dead holders’ locks, old debris', async () => {
    const dir = tempDir();
    const expired = plantResult(dir, 'gone', RESULT_TTL_MS + 60_000);
    const young = plantResult(dir, 'young', 60_000);
    const dead = plantLock(dir, 'dead', { pid: deadPid() });
    const live = plantLock(dir, 'live', { pid: process.pid });
    const debris = join(dir, `${lockName('x')}.result.json.tmp-4242-abcdef`);
    writeFileSync(debris, '{');
    backdate(debris, RESULT_TTL_MS + 60_000);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const outcome = await runOnce('k', dir, async () => 1);
    expect(readdirSync(dir).sort()).toEqual([outcome.resultFile, young, live, join(dir, 'notes.txt')].map((p) => p.slice(dir.length + 1)).sort());
    for (const path of [expired, dead, debris]) expect(existsSync(path)).toBe(false);
  });

  it('refuses a base folder that is a symbolic link, writing nothing through it', async () => {
    const target = tempDir();
    const link = join(tempDir(), 'base');
    symlinkSync(target, link);
    await expect(runOnce('k', link, async () => 1)).rejects.toMatchObject({ code: 'OUTPUT', message: `refusing to write through a symlink: ${link}` });
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('sweepLockFiles', () => {
  it('removes expired results, locks whose holder is dead or silent for an hour, and debris older than an hour; nothing else', async () => {
    const dir = tempDir();
    const removable = [
      plantResult(dir, 'expired', RESULT_TTL_MS + 1000),
      plantLock(dir, 'dead', { pid: deadPid() }),
      plantLock(dir, 'silent', { host: 'another-host', pid: process.pid }, RESULT_TTL_MS + 1000),
    ];
    for (const suffix of ['.result.json.tmp-4242-abcdef', '.new-0123456789abcdef', '.broken-0123', '.breaking-abcdef']) {
      const path = join(dir, `${lockName('crash')}${suffix}`);
      writeFileSync(path, '');
      backdate(path, HOUR + 1000);
      removable.push(path);
    }
    const kept = [
      plantResult(dir, 'young', RESULT_TTL_MS - 60_000),
      plantLock(dir, 'live', { pid: process.pid }),
      plantLock(dir, 'remote', { host: 'another-host', pid: 1 }, 60_000),
      join(dir, `${lockName('fresh')}.new-0123456789abcdef`),
      join(dir, '.must-gather-notes'),
      join(dir, 'sp-integration-20260101-120000'),
    ];
    writeFileSync(kept[3] as string, '');
    writeFileSync(kept[4] as string, '');
    mkdirSync(kept[5] as string);
    backdate(kept[4] as string, 10 * HOUR);

    const dry = await sweepLockFiles(dir, { dryRun: true });
    expect(dry).toEqual({ removed: [...removable].sort(), skipped: [] });
    expect(readdirSync(dir)).toHaveLength(removable.length + kept.length);

    expect(await sweepLockFiles(dir)).toEqual({ removed: [...removable].sort(), skipped: [] });
    expect(readdirSync(dir).sort()).toEqual(kept.map((p) => p.slice(dir.length + 1)).sort());
  });

  it('sweeps nothing in a folder that does not exist', async () => {
    expect(await sweepLockFiles(join(tempDir(), 'missing'))).toEqual({ removed: [], skipped: [] });
  });
});

describe('runOnceInProcess', () => {
  it('runs fn once among concurrent callers of this process, and writes no file anywhere', async () => {
    const id = `${tempDir()}/x-${Math.random()}`;
    let calls = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        runOnceInProcess(id, async () => {
          calls++;
          await sleep(30);
          return 'v';
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(outcomes.filter((o) => o.ranHere)).toHaveLength(1);
    expect(outcomes.map((o) => [o.value, o.holder.pid])).toEqual(Array(5).fill(['v', process.pid]));
  });

  it('gives a later caller of the same run the result; a caller whose run started after it, or one not kept, runs again', async () => {
    const id = `id-${Math.random()}`;
    let calls = 0;
    const started = new Date(Date.now() - 1000);
    await runOnceInProcess(id, async () => ++calls, { notBefore: started });
    expect(await runOnceInProcess(id, async () => ++calls, { notBefore: started })).toMatchObject({ value: 1, ranHere: false });
    await sleep(5);
    expect(await runOnceInProcess(id, async () => ++calls, { notBefore: new Date() })).toMatchObject({ value: 2, ranHere: true });
    const other = `id-${Math.random()}`;
    await runOnceInProcess(other, async () => ++calls, { keep: () => false });
    expect(await runOnceInProcess(other, async () => ++calls, { keep: () => false })).toMatchObject({ value: 4, ranHere: true });
  });

  it('gives every concurrent caller the error fn threw', async () => {
    const id = `err-${Math.random()}`;
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () =>
        runOnceInProcess(id, async () => {
          await sleep(20);
          throw Object.assign(new Error('no usable container engine'), { name: 'NoEngineError' });
        }),
      ),
    );
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(Array(3).fill('no usable container engine'));
  });
});

