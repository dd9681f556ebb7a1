import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../helpers/run-cli.js';
import { formatTimestamp } from '../../../src/run-folder/layout.js';
import { lockName, RESULT_TTL_MS } from '../../../src/test-run/lock.js';
import { tempDir } from '../../helpers/engines.js';

const cli = runCliInProcess;

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  if (child.pid === undefined) throw new Error('could not get a dead pid');
  return child.pid;
}

function backdate(path: string, ageMs: number): void {
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
}

/**
 * A base folder after a day of test runs: one young run, the lock results of framework runs (one still
 * usable), a lock whose holder was killed, and the archive leftovers of a run killed with SIGKILL.
 */
function busyBase(): { base: string; young: string; usable: string; stale: string[] } {
  const base = tempDir('must-gather-prune-cli-');
  const young = `sp-integration-${formatTimestamp(new Date(Date.now() - 3_600_000))}`;
  mkdirSync(join(base, young));
  const stale: string[] = [];
  const result = (key: string, ageMs: number): string => {
    const path = join(base, `${lockName(key)}.result.json`);
    const finishedAt = new Date(Date.now() - ageMs).toISOString();
    writeFileSync(path, JSON.stringify({ version: 1, key, holder: { pid: 1, host: hostname(), nonce: key, startedAt: finishedAt, key }, finishedAt, ok: true, value: null }));
    backdate(path, ageMs);
    return path;
  };
  for (let i = 0; i < 3; i++) stale.push(result(`process-${i}--sp`, RESULT_TTL_MS + 60_000 * (i + 1)));
  const usable = result('github-1-1-it--sp', 60_000);
  const lock = join(base, lockName('killed--sp'));
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname(), nonce: 'killed', startedAt: new Date().toISOString(), key: 'killed--sp' }));
  stale.push(lock);
  const pid = deadPid();
  writeFileSync(join(base, `${young}.tar.gz.partial-${pid}`), 'half an archive');
  mkdirSync(join(base, `${young}.tar.gz.parts-${pid}`));
  writeFileSync(join(base, `${young}.tar.gz.parts-${pid}`, '0.gz'), 'x');
  stale.push(join(base, `${young}.tar.gz.partial-${pid}`), join(base, `${young}.tar.gz.parts-${pid}`));
  return { base, young, usable, stale: stale.sort() };
}

describe('must-gather prune (in process)', () => {
  it('removes lock results no run can use any more, dead holders’ locks, and a killed run’s archive leftovers', async () => {
    const { base, young, usable, stale } = busyBase();
    const r = await cli(['prune', '--older-than', '7d', '--output-dir', base]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(stale.map((p) => `${p}\n`).join(''));
    expect(r.stderr).toBe(`must-gather: removed ${stale.length}, kept 1 in ${base}\n`);
    expect(readdirSync(base).sort()).toEqual([young, usable.slice(base.length + 1)].sort());
  });

  it('--dry-run --json names them and removes nothing', async () => {
    const { base, stale } = busyBase();
    const before = readdirSync(base).sort();
    const r = await cli(['prune', '--older-than', '7d', '--output-dir', base, '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ baseDir: base, dryRun: true, removed: stale, skipped: [] });
    expect(readdirSync(base).sort()).toEqual(before);
  });
});
