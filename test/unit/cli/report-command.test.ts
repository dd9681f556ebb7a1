import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, color: false, signal: new AbortController().signal });
  return { code, stdout, stderr };
}

/** A small saved run: one container that exited 1 after a decisive error line. */
function savedRun(): { base: string; dir: string } {
  const base = mkdtempSync(join(tmpdir(), 'must-gather-report-'));
  const dir = join(base, 'svc-integration-20260102-030405');
  mkdirSync(dir);
  writeFileSync(join(dir, 'svc_migrate_test.log'), 'applying 0007\nERROR: relation "audit_events" does not exist\n');
  writeFileSync(join(dir, 'svc_migrate_test_inspect.json'), JSON.stringify({ Id: 'abc', State: { Status: 'exited', ExitCode: 1 } }));
  const manifest = {
    schemaVersion: 1,
    service: 'svc',
    runtime: { name: 'podman', version: '4.3.1' },
    startedAt: '2026-01-02T03:04:05.000Z',
    finishedAt: '2026-01-02T03:04:06.000Z',
    incomplete: false,
    containers: [
      {
        name: 'svc_migrate_test',
        id: 'abc',
        image: 'localhost/x',
        state: 'exited',
        exitCode: 1,
        files: [
          { path: 'svc_migrate_test.log', kind: 'log', bytes: 60, sha256: '' },
          { path: 'svc_migrate_test_inspect.json', kind: 'inspect', bytes: 10, sha256: '' },
        ],
        error: null,
      },
    ],
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { base, dir };
}

describe('must-gather report', () => {
  it('re-renders the verdict of a saved folder: digest, markdown and JSON', async () => {
    const { dir } = savedRun();
    const digest = await cli(['report', dir]);
    expect(digest.code).toBe(0);
    expect(digest.stdout).toContain('svc_migrate_test');
    expect(digest.stdout).toContain('exited with code 1');
    expect(digest.stdout).toContain('ERROR: relation "audit_events" does not exist');
    const markdown = await cli(['report', dir, '--markdown']);
    expect(markdown.stdout.split('\n')[0]).toBe('# svc: 1 of 1 container failed');
    const json = JSON.parse((await cli(['report', dir, '--json'])).stdout) as { failed: string[] };
    expect(json.failed).toEqual(['svc_migrate_test']);
  });

  it('reads an archive the same way, and removes what it unpacked', async () => {
    const { base, dir } = savedRun();
    const archive = `${dir}.tar.gz`;
    await create({ gzip: true, file: archive, cwd: base, portable: true }, ['svc-integration-20260102-030405']);
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('must-gather-report-')).length;
    const r = await cli(['report', archive, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { failed: string[] }).failed).toEqual(['svc_migrate_test']);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('must-gather-report-')).length).toBe(before);
  });

  it('never unpacks a path outside its temporary folder from a hostile archive', async () => {
    const { base } = savedRun();
    // An entry named ../<unique>: a naive extractor would write it next to its temporary folder, in tmpdir().
    const unique = `must-gather-escaped-${process.pid}-${Date.now()}`;
    writeFileSync(join(base, unique), 'escaped');
    const archive = join(base, 'hostile.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', base, '--transform', 's,^,../,', unique]);
    expect(execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim()).toBe(`../${unique}`);
    const r = await cli(['report', archive]);
    expect(existsSync(join(tmpdir(), unique))).toBe(false);
    expect(r.code).toBe(2);
  });

  it('a path that is neither a folder nor an archive, or a folder without manifest.json, is a usage error (2)', async () => {
    const { base } = savedRun();
    expect((await cli(['report', join(base, 'nope')])).code).toBe(2);
    const plain = join(base, 'file.txt');
    writeFileSync(plain, 'x');
    const notArchive = await cli(['report', plain]);
    expect([notArchive.code, notArchive.stderr]).toEqual([2, `must-gather: ${plain} is neither a run folder nor a .tar.gz archive\n`]);
    const empty = mkdtempSync(join(tmpdir(), 'must-gather-empty-'));
    const noManifest = await cli(['report', empty]);
    expect(noManifest.code).toBe(2);
    expect(noManifest.stderr).toContain('is not a must-gather run folder: it has no manifest.json');
  });
});
