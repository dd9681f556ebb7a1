import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import { toFindingsJson } from '../../../src/triage/findings-json.js';
import { loadRun } from '../../../src/triage/verdict.js';
import { inspectOf, MIGRATE_LOG, sampleReport } from '../render/sample-report.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'must-gather-triage-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const file = (path: string, kind: 'log' | 'inspect') => ({ path, kind, bytes: 1, sha256: '0'.repeat(64) });

function manifest(containers: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1,
    tool: { name: 'must-gather', version: '0.1.0' },
    service: 'demo',
    runtime: { name: 'podman', transport: 'cli', version: '4.3.1', endpoint: '/usr/bin/podman', reason: 'podman answered' },
    runtimes: [{ name: 'podman', transport: 'cli', version: '4.3.1', endpoint: '/usr/bin/podman', reason: 'podman answered' }],
    startedAt: '2026-11-22T02:16:22.604Z',
    finishedAt: '2026-11-22T02:16:23.998Z',
    incomplete: false,
    interruption: null,
    missing: [],
    archive: null,
    containers,
    ...extra,
  });
}

const migrate = {
  name: 'demo_migrate_test',
  runtime: 'podman',
  id: 'a'.repeat(64),
  image: 'localhost/must-gather-busybox:latest',
  state: 'exited',
  exitCode: 1,
  oomKilled: false,
  restartCount: 0,
  startedAt: '2026-11-22T02:16:20.442961324Z',
  finishedAt: '2026-11-22T02:16:20.438457789Z',
  matchedBy: 'service',
  files: [file('demo_migrate_test_inspect.json', 'inspect'), file('demo_migrate_test.log', 'log')],
  error: null,
  complete: true,
};

describe('loadRun', () => {
  it('reads a run folder back: manifest, inspect JSON, logs', async () => {
    const dir = runFolder({
      'manifest.json': manifest([migrate]),
      'demo_migrate_test_inspect.json': JSON.stringify(inspectOf({ Status: 'exited', ExitCode: 1 }, '2026-11-22T02:16:20.294218854Z')),
      'demo_migrate_test.log': MIGRATE_LOG,
    });
    const report = await loadRun(dir);
    expect(report).toMatchObject({
      service: 'demo',
      outputDir: dir,
      runtimes: [{ name: 'podman', version: '4.3.1' }],
      startedAt: '2026-11-22T02:16:22.604Z',
      finishedAt: '2026-11-22T02:16:23.998Z',
      incomplete: false,
      interruption: null,
    });
    expect(report.problems).toEqual([
      {
        container: 'demo_migrate_test',
        kind: 'exited',
        severity: 3,
        reason: 'exited with code 1',
        evidence: { source: 'log', line: 3, level: 'error', text: 'ERROR:  relation "audit_events" does not exist', cause: null },
      },
    ]);
    const [c] = report.containers;
    expect(c).toMatchObject({ logPath: 'demo_migrate_test.log', inspectPath: 'demo_migrate_test_inspect.json', notes: [] });
    expect(c?.analysis).toMatchObject({ lines: 3, errorCount: 1, bytes: Buffer.byteLength(MIGRATE_LOG) });
    expect(c?.lifetime).toEqual({
      createdAt: '2026-11-22T02:16:20.294218854Z',
      startedAt: '2026-11-22T02:16:20.442961324Z',
      finishedAt: '2026-11-22T02:16:20.438457789Z',
      running: false,
      seconds: 0,
    });
  });

  it('tolerates a container that was not collected and files that went missing', async () => {
    const dir = runFolder({
      'manifest.json': manifest([
        { ...migrate, name: 'demo_gone_test', files: [], error: 'container was removed during collection (inspect): no such container' },
        { ...migrate, name: 'demo_lost_test', files: [file('demo_lost_test_inspect.json', 'inspect'), file('demo_lost_test.log', 'log')] },
        { ...migrate, name: 'demo_bad_test', files: [file('demo_bad_test_inspect.json', 'inspect')] },
      ]),
      'demo_bad_test_inspect.json': '{ not json',
    });
    const report = await loadRun(dir);
    const byName = Object.fromEntries(report.containers.map((c) => [c.record.name, c]));
    expect(byName.demo_gone_test?.problems.map((p) => p.kind)).toEqual(['exited', 'not-collected']);
    expect(byName.demo_gone_test?.analysis).toBeNull();
    expect(byName.demo_lost_test?.notes).toEqual([
      'demo_lost_test_inspect.json is listed in manifest.json but missing from the folder',
      'demo_lost_test.log is listed in manifest.json but missing from the folder',
    ]);
    expect(byName.demo_bad_test?.notes[0]).toMatch(/^demo_bad_test_inspect\.json could not be read: /);
    expect(byName.demo_bad_test?.logPath).toBeNull();
  });

  it('reads an old manifest: no runtimes, no files list, fewer fields', async () => {
    const dir = runFolder({
      'manifest.json': JSON.stringify({
        service: 'demo',
        runtime: 'docker',
        startedAt: '2026-11-22T02:16:22Z',
        containers: [{ name: 'demo_redis_test', state: 'exited', exitCode: 137 }],
      }),
      'demo_redis_test_inspect.json': JSON.stringify([inspectOf({ Status: 'exited', ExitCode: 137, OOMKilled: true })]),
      'demo_redis_test.log': '1:M 22 Nov 2026 02:03:12.312 # Out Of Memory allocating 16384 bytes!\n',
    });
    const report = await loadRun(dir);
    expect(report.runtimes).toEqual([{ name: 'docker', version: '' }]);
    expect(report.finishedAt).toBeNull();
    const [c] = report.containers;
    expect(c?.record).toMatchObject({ runtime: 'docker', oomKilled: false, restartCount: 0, files: [], complete: true });
    expect(c?.problems.map((p) => [p.kind, p.reason])).toEqual([['oom', 'exit 137 — killed for using too much memory (OOMKilled)']]);
    expect(c?.logPath).toBe('demo_redis_test.log');
    expect(c?.analysis?.errorCount).toBe(1);
  });

  it('never reads outside the run folder, whatever manifest.json says', async () => {
    const outside = runFolder({ 'secret.log': 'ERROR secret\n' });
    const dir = join(outside, 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.json'), manifest([{ ...migrate, files: [file('../secret.log', 'log'), file('/etc/hostname', 'inspect')] }]));
    const report = await loadRun(dir);
    expect(report.containers[0]?.analysis).toBeNull();
    expect(report.containers[0]?.notes).toEqual([
      'inspect file "/etc/hostname" in manifest.json is not a file of the run folder; ignored',
      'log file "../secret.log" in manifest.json is not a file of the run folder; ignored',
    ]);
  });

  it('reads the files of a run with one folder per engine (--runtime all, or auto with both engines)', async () => {
    const dir = runFolder({ 'podman/demo_migrate_test.log': 'ERROR: relation "audit_events" does not exist\n' });
    writeFileSync(join(dir, 'manifest.json'), manifest([{ ...migrate, files: [file('podman/demo_migrate_test.log', 'log')] }]));
    const report = await loadRun(dir);
    expect(report.containers[0]?.notes).toEqual([]);
    expect(report.containers[0]?.logPath).toBe('podman/demo_migrate_test.log');
    expect(report.containers[0]?.analysis?.errorCount).toBe(1);
  });

  it('refuses a nested path that is not an engine folder', async () => {
    const dir = runFolder({ 'x/y.log': 'ERROR x\n' });
    writeFileSync(join(dir, 'manifest.json'), manifest([{ ...migrate, files: [file('x/y.log', 'log'), file('podman/../../y.log', 'inspect')] }]));
    const report = await loadRun(dir);
    expect(report.containers[0]?.analysis).toBeNull();
    expect(report.containers[0]?.notes).toEqual([
      'inspect file "podman/../../y.log" in manifest.json is not a file of the run folder; ignored',
      'log file "x/y.log" in manifest.json is not a file of the run folder; ignored',
    ]);
  });

  it('refuses a folder that is not a run folder', async () => {
    const dir = runFolder({ 'notes.txt': 'hello' });
    await expect(loadRun(dir)).rejects.toThrow(UsageError);
    await expect(loadRun(dir)).rejects.toThrow(`${dir} is not a must-gather run folder: it has no manifest.json`);
    writeFileSync(join(dir, 'manifest.json'), '[]');
    await expect(loadRun(dir)).rejects.toThrow('manifest.json is not an object');
  });
});

describe('toFindingsJson', () => {
  it('carries the findings for manifest.json, per container', () => {
    const json = toFindingsJson(sampleReport());
    expect(json.schemaVersion).toBe(1);
    expect(json.failed).toEqual(['datastorage_redis_test', 'datastorage_migrate_test', 'datastorage-service-test', 'datastorage_mockllm_test']);
    expect(json.errors).toBe(2 + 1 + 300 + 2);
    expect(json.warnings).toBe(1);
    const migrateJson = json.containers.find((c) => c.name === 'datastorage_migrate_test');
    expect(migrateJson).toEqual({
      name: 'datastorage_migrate_test',
      problems: [
        {
          kind: 'exited',
          severity: 3,
          reason: 'exited with code 1',
          evidence: { source: 'log', line: 3, level: 'error', text: 'ERROR:  relation "audit_events" does not exist', cause: null },
        },
      ],
      lifetime: { createdAt: '2026-11-22T01:59:58.000Z', startedAt: '2026-11-22T02:00:01.000Z', finishedAt: '2026-11-22T02:00:03.200Z', running: false, seconds: 2.2 },
      health: null,
      log: {
        path: 'datastorage_migrate_test.log',
        bytes: Buffer.byteLength(MIGRATE_LOG),
        lines: 3,
        errors: 1,
        warnings: 0,
        firstError: { line: 3, level: 'error', kind: 'postgres', text: 'ERROR:  relation "audit_events" does not exist', timestamp: null, cause: null, traceLines: null },
        lastError: { line: 3, level: 'error', kind: 'postgres', text: 'ERROR:  relation "audit_events" does not exist', timestamp: null, cause: null, traceLines: null },
        firstWarning: null,
        findings: [{ level: 'error', kind: 'postgres', text: 'ERROR:  relation "audit_events" does not exist', count: 1, firstLine: 3, lastLine: 3 }],
        templates: {
          distinct: 3,
          capped: false,
          uncounted: 0,
          top: [
            { template: 'applying 0006_tenants.sql', count: 1, first: null, last: null },
            { template: 'applying 0007_audit_buffer.sql', count: 1, first: null, last: null },
            { template: 'ERROR:  relation "audit_events" does not exist', count: 1, first: null, last: null },
          ],
        },
      },
      events: null,
      notes: [],
    });
    const service = json.containers.find((c) => c.name === 'datastorage-service-test');
    expect(service?.log?.findings[0]).toMatchObject({ count: 300, firstLine: 2, lastLine: 301 });
    expect(service?.health).toMatchObject({ status: 'unhealthy', failingStreak: 12, lastExitCode: 7 });
    // Plain data: it survives JSON as it is.
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
