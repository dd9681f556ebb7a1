/**
 * The test-framework integrations on real podman: each example under examples/ run as a user runs it (the
 * framework's own CLI, as a subprocess, against the built package through its `must-gather/*` exports);
 * then exactly-once among 12 processes, a crashed holder's lock, a passing run, and an engine that fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { lockName } from '../../src/test-run/lock.js';
import { TEST_RUN_FILE } from '../../src/run-folder/layout.js';
import { testRunLockKey, type TestRunRecord } from '../../src/test-run/gather-for-tests.js';
import { describeWithEngine, engine, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const bin = (path: string): string => join(ROOT, 'node_modules', path);

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a subprocess: this one's, less vitest's own variables and any must-gather settings. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|MUST_GATHER_|EXAMPLE_)/.test(key) || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', MUST_GATHER_RUNTIME: 'podman', ...extra };
}

function run(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A caller of gatherForTests in its own process, as a CI job's parallel test processes would be. */
const CALLER = `
import { gatherForTests } from 'must-gather/integrations';
const e = process.env;
const outcome = await gatherForTests({
  service: e.SERVICE,
  failed: e.FAILED !== '0',
  framework: 'concurrency-test',
  failures: [{ name: 'caller ' + e.CALLER, message: 'failed on purpose' }],
  runStartedAt: e.RUN_STARTED_AT,
  strict: e.STRICT === '1',
  transport: 'cli',
  lock: { pollMs: 20 },
});
process.stdout.write(JSON.stringify({
  status: outcome.status,
  outputDir: outcome.status === 'gathered' ? outcome.result.outputDir : null,
  gatheredHere: outcome.status === 'gathered' ? outcome.gatheredHere : null,
  error: outcome.status === 'error' ? outcome.error.message : null,
}));
`;
interface CallerOutput {
  readonly status: string;
  readonly outputDir: string | null;
  readonly gatheredHere: boolean | null;
  readonly error: string | null;
}

function containerNames(service: string): string[] {
  return [`${service}_postgres_test`, `${service}_redis_test`];
}

/** The same two containers examples/containers.js starts, for the tests that call the library directly. */
function startContainers(service: string): void {
  const [postgres, redis] = containerNames(service) as [string, string];
  engine('podman', ['run', '-d', '--name', postgres, TEST_IMAGE, 'sh', '-c', 'echo "postgres: database system is ready to accept connections"; exec sleep 600']);
  engine('podman', ['run', '-d', '--name', redis, TEST_IMAGE, 'sh', '-c', 'echo "redis: Ready to accept connections tcp"; exec sleep 600']);
}

function leftContainers(service: string): string[] {
  return engine('podman', ['ps', '-a', '--format', '{{.Names}}'])
    .split('\n')
    .filter((name) => name.startsWith(`${service}_`));
}

/** Run folders under `dir` (hidden lock results aside), and no lock left behind. */
function runFolders(dir: string, service: string): string[] {
  const entries = readdirSync(dir);
  expect(entries.filter((e) => e.endsWith('.lock'))).toEqual([]);
  expect(entries.filter((e) => !e.startsWith('.')).every((e) => e.startsWith(`${service}-integration-`))).toBe(true);
  return entries.filter((e) => !e.startsWith('.')).map((e) => join(dir, e));
}

function expectTheTwoLogs(folder: string, service: string): void {
  const [postgres, redis] = containerNames(service) as [string, string];
  expect(readFileSync(join(folder, `${postgres}.log`), 'utf8')).toContain('postgres: database system is ready to accept connections');
  expect(readFileSync(join(folder, `${redis}.log`), 'utf8')).toContain('redis: Ready to accept connections tcp');
  expect(existsSync(join(folder, `${postgres}_inspect.json`))).toBe(true);
}

function testRun(folder: string): TestRunRecord {
  return JSON.parse(readFileSync(join(folder, TEST_RUN_FILE), 'utf8')) as TestRunRecord;
}

const EXAMPLE_RUNS = [
  { name: 'vitest (reporter)', dir: 'vitest', args: [bin('vitest/vitest.mjs'), 'run', '--config', 'vitest.config.js'], failing: 'an order is confirmed' },
  { name: 'vitest (globalSetup teardown)', dir: 'vitest', args: [bin('vitest/vitest.mjs'), 'run', '--config', 'vitest.teardown.config.js'], failing: 'an order is confirmed' },
  { name: 'vitest (reporter and globalSetup teardown both)', dir: 'vitest', args: [bin('vitest/vitest.mjs'), 'run', '--config', 'vitest.both.config.js'], failing: 'an order is confirmed' },
  { name: 'jest (reporter)', dir: 'jest', args: [bin('jest/bin/jest.js'), '--config', 'jest.config.js'], failing: 'an order is confirmed' },
  { name: 'mocha (root hook plugin)', dir: 'mocha', args: [bin('mocha/bin/mocha.js')], failing: 'orders confirms an order' },
  {
    name: 'playwright (reporter + globalTeardown)',
    dir: 'playwright',
    args: [bin('@playwright/test/cli.js'), 'test', '--config', 'playwright.config.js', '--output', '<tmp>'],
    failing: 'orders.spec.js > an order is confirmed',
  },
] as const;

describeWithEngine('podman', 'test-framework integrations', () => {
  const services: string[] = [];
  const newService = (): string => {
    const service = uniqueService('mgf');
    services.push(service);
    return service;
  };

  beforeAll(() => {
    // The examples import must-gather/* from dist/ (npm test builds first).
    if (!existsSync(join(ROOT, 'dist/integrations/vitest.js'))) throw new Error('dist/ is missing: run npm run build');
  });

  afterEach(() => {
    for (const service of services.splice(0)) removeContainers('podman', containerNames(service));
  });

  for (const example of EXAMPLE_RUNS) {
    it(`${example.name}: a failing run writes one folder with both containers before the cleanup removes them`, async () => {
      const service = newService();
      const out = tempDir('must-gather-frameworks-');
      const args = example.args.map((a) => (a === '<tmp>' ? tempDir('must-gather-playwright-results-') : a));
      const result = await run(args, join(EXAMPLES, example.dir), childEnv({ EXAMPLE_SERVICE: service, EXAMPLE_ENGINE: 'podman', MUST_GATHER_DIR: out }));
      const output = `${result.stdout}\n${result.stderr}`;

      expect(result.code, output).not.toBe(0);
      expect(output).toMatch(new RegExp(`must-gather: saved 2 containers of ${service} to ${out}/${service}-integration-`));
      // The verdict once, whoever else received the result: its header line, `<service>: … (podman 4.3.1)`.
      expect(output.match(new RegExp(`^${service}: .*\\(podman [^)]*\\)$`, 'gm')), output).toHaveLength(1);
      const folders = runFolders(out, service);
      expect(folders, output).toHaveLength(1);
      const folder = folders[0] as string;
      expectTheTwoLogs(folder, service);
      const record = testRun(folder);
      expect(record).toMatchObject({ framework: example.dir, failed: true, when: 'on-failure' });
      expect(record.failures.map((f) => f.name)).toEqual([example.failing]);
      expect(record.failures[0]?.message).toContain('confirmed');
      expect(Date.parse(record.runStartedAt ?? '')).toBeLessThanOrEqual(Date.parse(record.gatheredAt));
      // The example's own cleanup ran after the gather.
      expect(leftContainers(service)).toEqual([]);
    });
  }

  it('12 processes of one run gather once: one folder, and all 12 receive it', async () => {
    const service = newService();
    startContainers(service);
    const out = tempDir('must-gather-frameworks-');
    const env = { SERVICE: service, MUST_GATHER_DIR: out, MUST_GATHER_RUN_KEY: `ci-job-${service}`, RUN_STARTED_AT: new Date().toISOString() };
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => run(['--input-type=module', '-e', CALLER], ROOT, childEnv({ ...env, CALLER: String(i) }))),
    );
    const outputs = runs.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as CallerOutput;
    });

    expect(outputs.every((o) => o.status === 'gathered')).toBe(true);
    expect(outputs.filter((o) => o.gatheredHere)).toHaveLength(1);
    const folders = runFolders(out, service);
    expect(folders).toHaveLength(1);
    expect(new Set(outputs.map((o) => o.outputDir))).toEqual(new Set(folders));
    expectTheTwoLogs(folders[0] as string, service);
    const winner = outputs.findIndex((o) => o.gatheredHere);
    expect(testRun(folders[0] as string)).toMatchObject({ runKey: `ci-job-${service}`, runKeySource: 'MUST_GATHER_RUN_KEY', failures: [{ name: `caller ${winner}` }] });
  });

  it('recovers the lock of a crashed gatherer (a dead pid) and gathers', async () => {
    const service = newService();
    startContainers(service);
    const out = tempDir('must-gather-frameworks-');
    const runKey = `crashed-${service}`;
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const lock = join(out, lockName(testRunLockKey(runKey, service)));
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), nonce: 'crashed', startedAt: new Date().toISOString(), key: 'crashed' }));

    const result = await run(['--input-type=module', '-e', CALLER], ROOT, childEnv({ SERVICE: service, MUST_GATHER_DIR: out, MUST_GATHER_RUN_KEY: runKey, CALLER: '0' }));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'gathered', gatheredHere: true });
    expect(existsSync(lock)).toBe(false);
    const folders = runFolders(out, service);
    expect(folders).toHaveLength(1);
    expectTheTwoLogs(folders[0] as string, service);
  });

  it('recovers a lock whose heartbeat stopped long ago, even when its pid is alive again (reused)', async () => {
    const service = newService();
    startContainers(service);
    const out = tempDir('must-gather-frameworks-');
    const runKey = `stale-${service}`;
    const lock = join(out, lockName(testRunLockKey(runKey, service)));
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'old', startedAt: '2020-01-01T00:00:00Z', key: 'old' }));
    const old = new Date(Date.now() - 3600_000);
    utimesSync(lock, old, old);

    const result = await run(['--input-type=module', '-e', CALLER], ROOT, childEnv({ SERVICE: service, MUST_GATHER_DIR: out, MUST_GATHER_RUN_KEY: runKey, CALLER: '0' }));
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'gathered', gatheredHere: true });
    expect(runFolders(out, service)).toHaveLength(1);
  });

  it('writes nothing for a passing run with on-failure, though the containers are there', async () => {
    const service = newService();
    startContainers(service);
    const out = tempDir('must-gather-frameworks-');
    const result = await run(['--input-type=module', '-e', CALLER], ROOT, childEnv({ SERVICE: service, MUST_GATHER_DIR: out, FAILED: '0', CALLER: '0' }));
    expect(JSON.parse(result.stdout)).toEqual({ status: 'skipped', outputDir: null, gatheredHere: null, error: null });
    expect(readdirSync(out)).toEqual([]);
  });

  it('reports an engine that fails inside gather without throwing; throws it with strict', async () => {
    const service = newService();
    startContainers(service);
    // podman that answers `version` and `info` but fails to list containers.
    const fake = tempDir('must-gather-failing-engine-');
    const real = spawnSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(fake, 'podman'), `#!/bin/sh\nif [ "$1" = ps ]; then echo "Error: database is locked" >&2; exit 125; fi\nexec ${real} "$@"\n`);
    chmodSync(join(fake, 'podman'), 0o755);
    const out = tempDir('must-gather-frameworks-');
    const env = { SERVICE: service, MUST_GATHER_DIR: out, CALLER: '0', PATH: `${fake}:${process.env.PATH ?? ''}` };

    const reported = await run(['--input-type=module', '-e', CALLER], ROOT, childEnv({ ...env, MUST_GATHER_RUN_KEY: `a-${service}` }));
    expect(reported.code, reported.stderr).toBe(0);
    const output = JSON.parse(reported.stdout) as CallerOutput;
    expect(output.status).toBe('error');
    expect(output.error).toMatch(/listing containers failed: .*database is locked/);

    const strict = await run(['--input-type=module', '-e', CALLER], ROOT, childEnv({ ...env, MUST_GATHER_RUN_KEY: `b-${service}`, STRICT: '1' }));
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toMatch(/NoEngineError.*database is locked/s);
    expect(runFolders(out, service)).toEqual([]);
  });
});
