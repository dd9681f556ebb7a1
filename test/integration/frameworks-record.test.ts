/**
 * Record mode from the test frameworks, on real podman and real Docker: each examples/<framework>/record
 * project run with the framework's own CLI, as a subprocess, against the built package. A test starts a
 * worker container that exits 3, and the suite's own teardown removes it before the recording stops: a
 * failing run keeps one folder with the removed worker's whole log, its exit code and its events; a
 * passing run (the worker exits 0) keeps nothing. The vitest and jest projects also configure the snapshot
 * reporter, which must step aside (one folder, not two).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { TestRunRecord } from '../../src/test-run/gather-for-tests.js';
import { describeWithEngine, engine, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const bin = (path: string): string => join(ROOT, 'node_modules', path);
const TIMEOUT_MS = 120_000;

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** The environment of a subprocess: this one's, less vitest's own variables and any must-gather settings. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|MUST_GATHER_|EXAMPLE_)/.test(key) || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

function run(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const PROJECTS = [
  { framework: 'vitest', args: [bin('vitest/vitest.mjs'), 'run', '--config', 'vitest.config.js'], failing: 'an order is confirmed' },
  { framework: 'jest', args: [bin('jest/bin/jest.js'), '--config', 'jest.config.js'], failing: 'an order is confirmed' },
  { framework: 'mocha', args: [bin('mocha/bin/mocha.js')], failing: 'orders confirms an order' },
  {
    framework: 'playwright',
    args: [bin('@playwright/test/cli.js'), 'test', '--config', 'playwright.config.js', '--output', '<tmp>'],
    failing: 'orders.spec.js > an order is confirmed',
  },
] as const;

const names = (service: string): string[] => ['postgres', 'redis', 'worker'].map((c) => `${service}_${c}_test`);

interface RecordedContainer {
  readonly name: string;
  readonly instance: number;
  readonly exitCode: number | null;
  readonly files: ReadonlyArray<{ readonly path: string; readonly kind: string }>;
}

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'record mode from the test frameworks',
    () => {
      const services: string[] = [];
      afterEach(() => {
        for (const service of services.splice(0)) removeContainers(name, names(service));
      });
      beforeAll(() => {
        if (!existsSync(join(ROOT, 'dist/integrations/_record-process.js'))) throw new Error('dist/ is missing: run npm run build');
      });

      const runProject = async (project: (typeof PROJECTS)[number], workerExit: number): Promise<{ service: string; out: string; result: Run }> => {
        const service = uniqueService('mgtrux');
        services.push(service);
        const out = tempDir('must-gather-record-frameworks-');
        const args = project.args.map((a) => (a === '<tmp>' ? tempDir('must-gather-playwright-results-') : a));
        const env = childEnv({ EXAMPLE_SERVICE: service, EXAMPLE_ENGINE: name, EXAMPLE_WORKER_EXIT: String(workerExit), MUST_GATHER_RUNTIME: name, MUST_GATHER_DIR: out });
        const result = await run(args, join(EXAMPLES, project.framework, 'record'), env);
        return { service, out, result };
      };
      const left = (service: string): string[] =>
        engine(name, ['ps', '-a', '--format', '{{.Names}}'])
          .split('\n')
          .filter((n) => n.startsWith(`${service}_`));

      for (const project of PROJECTS) {
        it(`${project.framework}: a failing run keeps the worker the suite removed — its log, exit code and events`, async () => {
          const { service, out, result } = await runProject(project, 3);
          const output = result.output;
          expect(result.code, output).not.toBe(0);
          // One folder: the snapshot reporter (vitest, jest) stepped aside.
          const folders = readdirSync(out).filter((e) => e.startsWith(`${service}-integration-`));
          expect(folders, output).toHaveLength(1);
          expect(output).not.toMatch(/must-gather: saved \d+ containers/);
          expect(output.match(new RegExp(`^must-gather: recorded 3 containers of ${service} to ${out}/${service}-integration-`, 'gm')), output).toHaveLength(1);
          // The verdict, once, naming the worker's exit.
          expect(output).toMatch(new RegExp(`✗ ${service}_worker_test +exited with code 3`));
          expect(left(service), 'the suite removed its containers').toEqual([]);

          const folder = join(out, folders[0] as string);
          const worker = `${service}_worker_test`;
          // Two lines on two streams: each one's bytes, in whichever order the engine interleaved them.
          const log = readFileSync(join(folder, `${worker}.log`), 'utf8');
          expect(log.split('\n').sort()).toEqual(['', 'worker: FATAL: queue "confirmations" does not exist', 'worker: confirming order 42']);
          expect(readFileSync(join(folder, `${service}_postgres_test.log`), 'utf8')).toContain('ERROR: relation "orders" does not exist\n');
          const inspect = JSON.parse(readFileSync(join(folder, `${worker}_inspect.json`), 'utf8')) as { State: { ExitCode: number } };
          expect(inspect.State.ExitCode).toBe(3);

          const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { containers: RecordedContainer[] };
          expect(manifest.containers.map((c) => c.name).sort()).toEqual(names(service));
          const record = manifest.containers.find((c) => c.name === worker);
          expect(record).toMatchObject({ instance: 1, exitCode: 3 });
          expect(record?.files.map((f) => f.path).sort()).toEqual([`${worker}.log`, `${worker}_inspect.json`]);
          const events = readFileSync(join(folder, 'events.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { action: string; name: string; exitCode?: number });
          expect(events.filter((e) => e.name === worker && e.action === 'die').map((e) => e.exitCode)).toEqual([3]);

          const testRun = JSON.parse(readFileSync(join(folder, 'test-run.json'), 'utf8')) as TestRunRecord;
          expect(testRun).toMatchObject({ framework: project.framework, failed: true, when: 'on-failure' });
          expect(testRun.failures.map((f) => f.name)).toEqual([project.failing]);
        }, TIMEOUT_MS);

        it(`${project.framework}: a passing run keeps nothing`, async () => {
          const { service, out, result } = await runProject(project, 0);
          expect(result.code, result.output).toBe(0);
          expect(readdirSync(out), result.output).toEqual([]);
          expect(result.output).not.toMatch(/must-gather: (recorded|saved)/);
          expect(left(service)).toEqual([]);
        }, TIMEOUT_MS);
      }
    },
    'api',
  );
}

/**
 * A runner that starts a recording, starts a container, and is killed (SIGKILL: no teardown runs). Its
 * stdout says where the recording goes.
 */
const KILLED_RUNNER = `
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestRecording } from 'must-gather/integrations';
const e = process.env;
const recording = await startTestRecording('killed-runner', 'test', { service: e.SERVICE });
process.stdout.write(recording.outputDir + '\\n');
execFileSync(e.ENGINE, ['run', '-d', '--name', e.SERVICE + '_killed_test', e.IMAGE, 'sh', '-c', 'echo "before the runner died"; exec sleep 600'], { stdio: 'ignore' });
// Until the recording has seen the container start (at most 30 s), then die without a teardown.
const events = recording.outputDir + '/events.jsonl';
for (let i = 0; i < 300; i++) {
  try { if (readFileSync(events, 'utf8').includes('"action":"start"')) break; } catch {}
  await sleep(100);
}
process.kill(process.pid, 'SIGKILL');
`;

/** Processes whose command line names the recording process and whose environment holds `marker`. */
function recordingProcesses(marker: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('_record-process.js') && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Until `done()` or 60 s: a bound for the test, not a measurement. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await sleep(100);
}

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'record mode from a test runner: what it does not do',
    () => {
      let service = '';
      afterEach(() => removeContainers(name, [`${service}_killed_test`]));

      it('a runner killed before its teardown: the recording stops on its own and keeps the evidence', async () => {
        service = uniqueService('mgtrux');
        const out = tempDir('must-gather-record-killed-');
        const env = childEnv({ SERVICE: service, ENGINE: name, IMAGE: TEST_IMAGE, MUST_GATHER_RUNTIME: name, MUST_GATHER_DIR: out });
        const runner = spawn(process.execPath, ['--input-type=module', '-e', KILLED_RUNNER], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        runner.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        runner.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        const signal = await new Promise<NodeJS.Signals | null>((resolve) => runner.on('close', (_code, sig) => resolve(sig)));
        expect(signal, output).toBe('SIGKILL');
        const folder = output.trim().split('\n')[0] as string;
        expect(folder).toMatch(new RegExp(`^${out}/${service}-integration-`));
        await waitFor(() => existsSync(join(folder, 'manifest.json')) && recordingProcesses(out).length === 0);

        expect(recordingProcesses(out), 'the recording process is gone').toEqual([]);
        expect(readFileSync(join(folder, `${service}_killed_test.log`), 'utf8')).toBe('before the runner died\n');
        const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { interruption: string | null; incomplete: boolean };
        expect(manifest).toMatchObject({ incomplete: true, interruption: 'the test runner ended without stopping the recording' });
        expect(existsSync(join(folder, 'SUMMARY.md'))).toBe(true);
      }, TIMEOUT_MS);
    },
    'api',
  );
}

it('no engine to watch: the runner is told, the tests run unrecorded, and stop says what happened', async () => {
  const out = tempDir('must-gather-record-none-');
  const script = `
import { startTestRecording } from 'must-gather/integrations';
const recording = await startTestRecording('none', 'test', { service: 'orders', runtime: 'docker', transport: 'cli' });
const outcome = await recording.stop({ failed: true });
process.stdout.write(JSON.stringify({ outputDir: recording.outputDir, status: outcome.status, error: outcome.error?.message }));
`;
  // The docker CLI only, and no docker on PATH: nothing answers.
  const env = childEnv({ PATH: '/nonexistent', MUST_GATHER_DIR: out });
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect(result.code, result.stderr).toBe(0);
  // The error names every engine tried, on lines of their own.
  expect(result.stderr).toMatch(/^must-gather: not recording the containers of orders: no usable container engine found\..*docker CLI: .*\(the tests run anyway\)\n$/s);
  expect(JSON.parse(result.stdout)).toMatchObject({ outputDir: null, status: 'error' });
  expect(readdirSync(out)).toEqual([]);
});
