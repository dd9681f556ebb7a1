import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cleanMessage, describeOutcome, gatherAndReport, gatherForTests, resolveRunKey, resolveWhen, type TestGatherOutcome } from '../../../src/test-run/gather-for-tests.js';
import type { ContainerRuntime } from '../../../src/runtime/types.js';
import { tempDir } from '../../helpers/engines.js';

/** An engine that answers and has no containers: gather() matches nothing and writes nothing. */
function emptyEngine(): ContainerRuntime & { lists: number } {
  const engine = {
    name: 'podman' as const,
    transport: 'cli' as const,
    lists: 0,
    info: async () => ({ name: 'podman' as const, transport: 'cli' as const, version: '0-fake', endpoint: 'fake' }),
    describe: async () => ({ versionInfo: {}, info: {} }),
    list: async () => {
      engine.lists++;
      await new Promise((r) => setTimeout(r, 50));
      return [];
    },
    inspect: async () => {
      throw new Error('no containers');
    },
    logs: () => {
      throw new Error('no containers');
    },
    events: () => Readable.from([]),
  };
  return engine;
}

/** An engine with one exited container of `service`, `<service>_db_test`, which logged two lines. */
function oneContainerEngine(service: string): ContainerRuntime & { lists: number } {
  const name = `${service}_db_test`;
  const engine = {
    ...emptyEngine(),
    lists: 0,
    list: async () => {
      engine.lists++;
      await new Promise((r) => setTimeout(r, 50));
      return [{ id: 'c0ffee', names: [name], image: 'busybox', state: 'exited' }];
    },
    inspect: async () => ({
      id: 'c0ffee',
      name,
      image: 'busybox',
      state: 'exited',
      exitCode: 1,
      tty: false,
      oomKilled: false,
      restartCount: 0,
      createdAt: '2026-11-22T02:01:48Z',
      startedAt: '2026-11-22T02:01:49Z',
      finishedAt: '2026-11-22T02:01:50Z',
      labels: {},
      raw: { Id: 'c0ffee', Name: name },
    }),
    logs: () => ({ stream: Readable.from([Buffer.from('hello\nERROR: boom\n')]), finished: Promise.resolve(), times: null, source: () => 'api' as const, linesCut: () => 0 }),
  };
  return engine;
}

/** An environment in which no engine can be found. */
const NO_ENGINE_ENV = { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent/docker.sock', CONTAINER_HOST: 'unix:///nonexistent/podman.sock', HOME: '/nonexistent' };

describe('resolveRunKey', () => {
  it('prefers the option, then MUST_GATHER_RUN_KEY, then the CI job, then the framework, then the process', () => {
    const ci = { GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'integration', CI_JOB_ID: '9' };
    expect(resolveRunKey('mine', { MUST_GATHER_RUN_KEY: 'env', ...ci })).toEqual({ key: 'mine', source: 'option' });
    expect(resolveRunKey(undefined, { MUST_GATHER_RUN_KEY: 'env', ...ci })).toEqual({ key: 'env', source: 'MUST_GATHER_RUN_KEY' });
    expect(resolveRunKey(undefined, ci, 'mocha-1')).toEqual({ key: 'github-77-2-integration', source: 'GITHUB_RUN_ID' });
    expect(resolveRunKey(undefined, { GITHUB_RUN_ID: '77' })).toEqual({ key: 'github-77-1-', source: 'GITHUB_RUN_ID' });
    expect(resolveRunKey(undefined, { CI_JOB_ID: '9' })).toEqual({ key: 'gitlab-9', source: 'CI_JOB_ID' });
    expect(resolveRunKey(undefined, { BUILDKITE_JOB_ID: 'b' })).toEqual({ key: 'buildkite-b', source: 'BUILDKITE_JOB_ID' });
    expect(resolveRunKey(undefined, { CIRCLE_WORKFLOW_JOB_ID: 'c' })).toEqual({ key: 'circleci-c', source: 'CIRCLE_WORKFLOW_JOB_ID' });
    expect(resolveRunKey(undefined, { JENKINS_URL: 'http://j', BUILD_TAG: 'jenkins-x-4' })).toEqual({ key: 'jenkins-x-4', source: 'BUILD_TAG' });
    expect(resolveRunKey(undefined, { BUILD_TAG: 'not-jenkins' }, 'mocha-1')).toEqual({ key: 'mocha-1', source: 'framework' });
    expect(resolveRunKey(undefined, {}, undefined, 123, 1700000000000.5)).toEqual({ key: 'process-123-1700000000000', source: 'process' });
  });

  it('never uses per-worker ids and treats empty variables as unset', () => {
    const key = resolveRunKey(undefined, { VITEST_POOL_ID: '3', JEST_WORKER_ID: '2', MUST_GATHER_RUN_KEY: '', GITHUB_RUN_ID: '' }, undefined, 5, 0);
    expect(key).toEqual({ key: 'process-5-0', source: 'process' });
  });
});

describe('resolveWhen', () => {
  it('defaults to on-failure, reads MUST_GATHER_WHEN, and refuses anything else', () => {
    expect(resolveWhen(undefined, {})).toBe('on-failure');
    expect(resolveWhen(undefined, { MUST_GATHER_WHEN: 'always' })).toBe('always');
    expect(resolveWhen('never', { MUST_GATHER_WHEN: 'always' })).toBe('never');
    expect(resolveWhen(undefined, { MUST_GATHER_WHEN: '' })).toBe('on-failure');
    expect(() => resolveWhen('sometimes', {})).toThrow(/invalid when "sometimes": expected always, on-failure, never/);
  });
});

describe('cleanMessage', () => {
  it('drops colours and the stack, keeps the message, bounds its size', () => {
    expect(cleanMessage('\u001b[31mAssertionError\u001b[39m: expected 1\n\nExpected: 2\n    at Object.<anonymous> (x.test.js:3:5)\n    at run')).toBe(
      'AssertionError: expected 1\n\nExpected: 2',
    );
    expect(cleanMessage('Error: x\n    at file:///p/a.test.js:3:5\n    at new Y (<anonymous>)')).toBe('Error: x');
    expect(cleanMessage('expected a list\n    at least 3 items long')).toBe('expected a list\n    at least 3 items long');
    expect(cleanMessage(undefined)).toBeNull();
    expect(cleanMessage('   ')).toBeNull();
    const long = cleanMessage('x'.repeat(10_000)) as string;
    expect(long.length).toBeLessThan(4100);
    expect(long).toMatch(/… \(6000 more characters\)$/);
  });
});

describe('gatherForTests', () => {
  it('skips a passing run with on-failure, and any run with never, touching nothing', async () => {
    const dir = tempDir();
    const base = { service: 'svc', outputDir: dir, env: {} };
    await expect(gatherForTests({ ...base, failed: false })).resolves.toEqual({ status: 'skipped', reason: 'the tests passed' });
    await expect(gatherForTests({ ...base, failed: true, when: 'never' })).resolves.toEqual({ status: 'skipped', reason: 'when is never' });
    await expect(gatherForTests({ ...base, failed: false, env: { MUST_GATHER_WHEN: 'never' } })).resolves.toMatchObject({ status: 'skipped' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gathers a passing run with always', async () => {
    const engine = emptyEngine();
    const outcome = await gatherForTests({ service: 'svc', outputDir: tempDir(), env: {}, failed: false, when: 'always', containerRuntime: engine });
    expect(outcome).toMatchObject({ status: 'gathered', gatheredHere: true, testRunFile: null, result: { outputDir: null } });
  });

  it('returns what went wrong instead of throwing, and throws it with strict', async () => {
    const base = { outputDir: tempDir(), failed: true, env: NO_ENGINE_ENV, runtime: 'docker' as const, transport: 'cli' as const, runKey: 'k' };
    const bad = await gatherForTests({ ...base, service: '../etc' });
    expect(bad).toMatchObject({ status: 'error', runKey: null });
    expect((bad as { error: Error }).error.message).toMatch(/invalid service name/);

    const noEngine = await gatherForTests({ ...base, service: 'svc' });
    expect(noEngine).toMatchObject({ status: 'error', runKey: 'k', error: { name: 'NoEngineError' } });
    await expect(gatherForTests({ ...base, service: 'svc', runKey: 'k2', strict: true })).rejects.toMatchObject({ name: 'NoEngineError' });
  });

  it('reports a run whose outcome is unknown with on-failure rather than guess; gathers it with always', async () => {
    const base = { service: 'svc', outputDir: tempDir(), env: {}, failed: null, unknownReason: 'add the reporter' };
    const outcome = await gatherForTests({ ...base, framework: 'jest' });
    expect(outcome.status).toBe('error');
    expect((outcome as { error: Error }).error.message).toBe('cannot tell whether the jest run failed: add the reporter');
    await expect(gatherForTests({ ...base, when: 'always', containerRuntime: emptyEngine() })).resolves.toMatchObject({ status: 'gathered' });
  });

  it('gathers once for concurrent callers of one run and service; another service or run key gathers on its own', async () => {
    const dir = tempDir();
    const engine = oneContainerEngine('a');
    const call = (service: string, runKey: string) =>
      gatherForTests({ service, outputDir: dir, env: {}, failed: true, runKey, containerRuntime: engine, lock: { pollMs: 10 } });
    const outcomes = await Promise.all([call('a', 'r1'), call('a', 'r1'), call('a', 'r1'), call('b', 'r1'), call('a', 'r2')]);
    expect(engine.lists).toBe(3);
    const here = outcomes.map((o) => o.status === 'gathered' && o.gatheredHere);
    expect(here.slice(0, 3).filter(Boolean)).toHaveLength(1);
    expect(here.slice(3)).toEqual([true, true]);
  });

  it('refuses an output base that is a symlink (planted in a shared /tmp), reporting it', async () => {
    const { symlinkSync } = await import('node:fs');
    const link = `${tempDir()}/base`;
    symlinkSync(tempDir(), link);
    const outcome = await gatherForTests({ service: 'svc', outputDir: link, env: {}, failed: true, containerRuntime: emptyEngine() });
    expect(outcome.status).toBe('error');
    expect((outcome as { error: Error }).error.message).toMatch(/symlink/);
  });
});

describe('describeOutcome and gatherAndReport', () => {
  const result = {
    outputDir: '/tmp/x/svc-integration-1',
    archivePath: null,
    containers: [{}, {}],
    available: [],
    incomplete: false,
    interruption: null,
  } as unknown as Extract<TestGatherOutcome, { status: 'gathered' }>['result'];

  it('says where the files are, who gathered them, and nothing for a skip', () => {
    expect(describeOutcome({ status: 'skipped', reason: 'the tests passed' }, 'svc')).toBeNull();
    const here = { status: 'gathered', result, gatheredHere: true, gatheredBy: { pid: 42, host: 'h' }, runKey: 'k', testRunFile: null, warnings: [] } as const;
    expect(describeOutcome(here, 'svc')).toBe('must-gather: saved 2 containers of svc to /tmp/x/svc-integration-1');
    expect(describeOutcome({ ...here, gatheredHere: false }, 'svc')).toMatch(/\(gathered once for this run, by pid 42\)$/);
    const perUser = {
      ...here,
      result: { ...result, outputDir: '/tmp/kubernaut-must-gather-1000/svc-integration-1', outputBase: { dir: '/tmp/kubernaut-must-gather-1000', requested: '/tmp/kubernaut-must-gather', source: 'default' as const, fallback: '/tmp/kubernaut-must-gather belongs to uid 0, not to this user (uid 1000)' } },
    };
    expect(describeOutcome(perUser, 'svc')).toBe(
      'must-gather: saved 2 containers of svc to /tmp/kubernaut-must-gather-1000/svc-integration-1\n' +
        'must-gather: /tmp/kubernaut-must-gather belongs to uid 0, not to this user (uid 1000): wrote to /tmp/kubernaut-must-gather-1000 instead (outputDir or MUST_GATHER_DIR chooses the base)',
    );
    const none = { ...here, result: { ...result, outputDir: null, available: ['other_db'] } };
    expect(describeOutcome(none, 'svc')).toBe('must-gather: no container of svc found, nothing written (containers: other_db)');
    expect(describeOutcome({ status: 'error', error: new Error('boom'), runKey: null }, 'svc')).toBe(
      "must-gather: could not gather the containers of svc: boom (the test run's result is unchanged)",
    );
  });

  it('prints the line through log unless quiet, and throws only when strict', async () => {
    const lines: string[] = [];
    const base = { service: 'svc', outputDir: tempDir(), env: NO_ENGINE_ENV, runtime: 'docker' as const, transport: 'cli' as const, failed: true, log: (l: string) => lines.push(l) };
    await expect(gatherAndReport({ ...base, runKey: 'a' })).resolves.toMatchObject({ status: 'error' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^must-gather: could not gather the containers of svc: no usable container engine/);
    await gatherAndReport({ ...base, runKey: 'b', quiet: true });
    expect(lines).toHaveLength(1);
    await expect(gatherAndReport({ ...base, runKey: 'c', strict: true })).rejects.toThrow(/no usable container engine/);
    expect(lines).toHaveLength(2);
  });
});

describe('cleanMessage and escape sequences', () => {
  it('strips what _util/text.ts strips: hyperlinks and cursor moves too, not only colours', () => {
    expect(cleanMessage('\u001b]8;;file:///p/a.test.js\u001b\\a.test.js\u001b]8;;\u001b\\: \u001b[2m\u001b[1Gexpected\u001b[22m 1')).toBe('a.test.js: expected 1');
  });
});

describe('gatherForTests: what is left in the output base', () => {
  const resultFiles = (dir: string) => readdirSync(dir).filter((e) => e.endsWith('.lock.result.json'));

  it.each([
    ['this process’s own run key', {}],
    ['a run key shared with other processes', { runKey: 'shared' }],
  ])('writes nothing at all when nothing matched, with %s: no base folder, no lock, no result', async (_what, key) => {
    const parent = tempDir();
    const outputDir = join(parent, 'out', 'base');
    const outcome = await gatherForTests({ service: 'svc', outputDir, env: {}, failed: true, containerRuntime: emptyEngine(), ...key });
    expect(outcome).toMatchObject({ status: 'gathered', result: { outputDir: null } });
    expect(readdirSync(parent)).toEqual([]);

    const existing = tempDir();
    await gatherForTests({ service: 'svc', outputDir: existing, env: {}, failed: true, containerRuntime: emptyEngine(), ...key });
    expect(readdirSync(existing)).toEqual([]);
  });

  it('with this process’s own run key leaves only the run folder, and a second call of the run still gathers once', async () => {
    const dir = tempDir();
    const engine = oneContainerEngine('svc');
    const call = () => gatherForTests({ service: 'svc', outputDir: dir, env: {}, failed: true, containerRuntime: engine });
    const [a, b] = await Promise.all([call(), call()]);
    const c = await call();
    expect(engine.lists).toBe(1);
    const folders = [a, b, c].map((o) => (o.status === 'gathered' ? o.result.outputDir : null));
    expect(new Set(folders).size).toBe(1);
    expect(readdirSync(dir)).toEqual([(folders[0] as string).slice(dir.length + 1)]);
    expect(readFileSync(join(folders[0] as string, 'svc_db_test.log'), 'utf8')).toBe('hello\nERROR: boom\n');
  });

  it('with a shared run key keeps the result for the run’s other processes, beside the run folder', async () => {
    const dir = tempDir();
    const engine = oneContainerEngine('svc');
    const call = () => gatherForTests({ service: 'svc', outputDir: dir, env: {}, failed: true, runKey: 'job-7', containerRuntime: engine });
    const first = await call();
    const second = await call();
    expect(engine.lists).toBe(1);
    expect(second).toMatchObject({ status: 'gathered', gatheredHere: false });
    const result = resultFiles(dir);
    expect(result).toHaveLength(1);
    const record = JSON.parse(readFileSync(join(dir, result[0] as string), 'utf8')) as { value: { result: { outputDir: string } } };
    expect(record.value.result.outputDir).toBe(first.status === 'gathered' ? first.result.outputDir : 'none');
    expect(existsSync(record.value.result.outputDir)).toBe(true);
  });
});

