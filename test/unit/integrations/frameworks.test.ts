/**
 * How each framework's view of a run becomes a TestRunInfo, on objects shaped like the framework's own;
 * and, at type level, that the frameworks' real types fit the shapes read here.
 */
import type { AggregatedResult } from '@jest/test-result';
import type { Reporter as JestReporter } from '@jest/reporters';
import type { FullResult, Reporter as PlaywrightReporter, TestCase as PwTestCase, TestResult as PwTestResult } from '@playwright/test/reporter';
import type { Context as MochaContext, RootHookObject, Suite as MochaSuite } from 'mocha';
import type { Reporter as VitestReporter, TestModule, TestProject } from 'vitest/node';
import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MustGatherError, UsageError } from '../../../src/_util/errors.js';
import { resolveOptions, type GatherOptions } from '../../../src/gather/options.js';
import type { ContainerRuntime } from '../../../src/runtime/types.js';
import { checkTestGatherOptions, gatherForTests } from '../../../src/test-run/gather-for-tests.js';
import { forgetRun, recordedRun } from '../../../src/integrations/_handoff.js';
import JestReporterClass, { gatherInGlobalTeardown as jestTeardown, testRunFromJest, type JestAggregatedResultLike } from '../../../src/integrations/jest.js';
import { mustGatherHooks, testRunFromMocha, type MochaContextLike, type MochaSuiteLike } from '../../../src/integrations/mocha.js';
import PlaywrightReporterClass, {
  gatherInGlobalTeardown as playwrightTeardown,
  testRunFromPlaywright,
  type PlaywrightTestCaseLike,
} from '../../../src/integrations/playwright.js';
import { gatherOnTeardown, mustGatherReporter, testRunFromVitest, type VitestProjectLike, type VitestTestModuleLike } from '../../../src/integrations/vitest.js';
import { tempDir } from '../../helpers/engines.js';

// Type level: the real framework objects are assignable to the shapes read here, and what we hand the
// frameworks is assignable to what they expect. Never called.
export function typeCompatibility(m: TestModule, p: TestProject, a: AggregatedResult, s: MochaSuite, c: MochaContext, t: PwTestCase, r: PwTestResult): void {
  const vitestReporter: VitestReporter = mustGatherReporter({ service: 'x' });
  const vitestModule: VitestTestModuleLike = m;
  const vitestProject: VitestProjectLike = p;
  const jestResult: JestAggregatedResultLike = a;
  const jestReporter: JestReporter = new JestReporterClass({}, { service: 'x' });
  const mochaSuite: MochaSuiteLike = s;
  const mochaContext: MochaContextLike = c;
  const mochaHooks: RootHookObject = mustGatherHooks({ service: 'x' });
  const playwrightReporter: PlaywrightReporter = new PlaywrightReporterClass();
  const playwrightTest: PlaywrightTestCaseLike = t;
  void [vitestReporter, vitestModule, vitestProject, jestResult, jestReporter, mochaSuite, mochaContext, mochaHooks, playwrightReporter, playwrightTest, r];
  void ({} as FullResult);
}

/** An output base and an environment in which gathering fails at once (no engine): shows a decision to gather. */
const NO_ENGINE = { outputDir: tempDir(), env: { PATH: '/nonexistent' }, runtime: 'docker', transport: 'cli', quiet: true } as const;

function vitestModule(id: string, tests: { name: string; state: string; message?: string }[], errors: { message: string }[] = []): VitestTestModuleLike {
  const cases = tests.map((t) => ({
    fullName: t.name,
    result: () => ({ state: t.state, errors: t.message ? [{ message: t.message }] : undefined }),
  }));
  return {
    moduleId: id,
    ok: () => errors.length === 0 && tests.every((t) => t.state !== 'failed'),
    errors: () => errors,
    children: { allTests: (state?: string) => cases.filter((c) => state === undefined || c.result().state === state) },
  };
}

describe('vitest', () => {
  it('lists failed tests with their first error, module errors and unhandled errors', () => {
    const modules = [
      vitestModule('/p/a.test.ts', [
        { name: 'orders > confirms', state: 'failed', message: 'expected 1 to be 2' },
        { name: 'orders > lists', state: 'passed' },
      ]),
      vitestModule('/p/b.test.ts', [], [{ message: 'Cannot find module x' }]),
    ];
    const run = testRunFromVitest(modules, [{ message: 'leak' }]);
    expect(run).toEqual({
      failed: true,
      failures: [
        { name: 'orders > confirms', message: 'expected 1 to be 2', file: '/p/a.test.ts' },
        { name: '/p/b.test.ts (outside tests)', message: 'Cannot find module x', file: '/p/b.test.ts' },
        { name: 'unhandled error', message: 'leak' },
      ],
    });
    expect(testRunFromVitest([vitestModule('/p/c.test.ts', [{ name: 't', state: 'passed' }])], [])).toEqual({ failed: false, failures: [] });
    // onTestRunEnd's reason wins: an interrupted run did not pass.
    expect(testRunFromVitest([], [], 'interrupted').failed).toBe(true);
    expect(testRunFromVitest([], [], 'passed').failed).toBe(false);
  });

  it('the reporter skips a passing run and records it; the teardown helper then reads that record', async () => {
    const reporter = mustGatherReporter({ service: 'svc', ...NO_ENGINE });
    reporter.onTestRunStart();
    await reporter.onTestRunEnd([vitestModule('/p/a.test.ts', [{ name: 't', state: 'passed' }])], [], 'passed');
    expect(recordedRun('vitest')).toMatchObject({ failed: false });
    const failingState: VitestProjectLike = { vitest: { state: { getTestModules: () => [vitestModule('/p', [{ name: 't', state: 'failed' }])], getUnhandledErrors: () => [] } } };
    await expect(gatherOnTeardown(failingState, { service: 'svc', ...NO_ENGINE })).resolves.toEqual({ status: 'skipped', reason: 'the tests passed' });
  });

  it('the teardown helper falls back to project.vitest.state, and reports when there is none', async () => {
    forgetRun('vitest');
    const failing: VitestProjectLike = { vitest: { state: { getTestModules: () => [vitestModule('/p', [{ name: 't', state: 'failed' }])], getUnhandledErrors: () => [] } } };
    await expect(gatherOnTeardown(failing, { service: 'svc', ...NO_ENGINE, runKey: 'vt1' })).resolves.toMatchObject({ status: 'error', error: { name: 'NoEngineError' } });
    const lines: string[] = [];
    const outcome = await gatherOnTeardown({ vitest: {} }, { service: 'svc', ...NO_ENGINE, quiet: false, log: (l) => lines.push(l) });
    expect(outcome.status).toBe('error');
    expect(lines[0]).toMatch(/cannot tell whether the vitest run failed: .*add mustGatherReporter\(\) to reporters/);
  });
});

function jestResults(overrides: Partial<JestAggregatedResultLike> = {}): JestAggregatedResultLike {
  return { numFailedTests: 0, numRuntimeErrorTestSuites: 0, startTime: 1_700_000_000_000, testResults: [], snapshot: { failure: false }, wasInterrupted: false, ...overrides };
}

describe('jest', () => {
  it('lists failed tests, files that failed to run and the run’s own error; knows the start time', () => {
    const run = testRunFromJest(
      jestResults({
        numFailedTests: 1,
        numRuntimeErrorTestSuites: 1,
        testResults: [
          {
            testFilePath: '/p/a.test.js',
            testResults: [
              { fullName: 'orders confirms', status: 'failed', failureMessages: ['Error: expected\n    at x'] },
              { fullName: 'orders lists', status: 'passed', failureMessages: [] },
            ],
          },
          { testFilePath: '/p/b.test.js', testResults: [], testExecError: { message: 'SyntaxError' } },
        ],
      }),
    );
    expect(run).toEqual({
      failed: true,
      runStartedAt: new Date(1_700_000_000_000),
      failures: [
        { name: 'orders confirms', message: 'Error: expected\n    at x', file: '/p/a.test.js' },
        { name: '/p/b.test.js (test file failed to run)', message: 'SyntaxError', file: '/p/b.test.js' },
      ],
    });
    expect(testRunFromJest(jestResults()).failed).toBe(false);
    expect(testRunFromJest(jestResults({ snapshot: { failure: true } })).failed).toBe(true);
    expect(testRunFromJest(jestResults({ wasInterrupted: true })).failed).toBe(true);
  });

  it('the reporter records the run; with gather: false the globalTeardown helper gathers from that record', async () => {
    const reporter = new JestReporterClass({}, { service: 'svc', ...NO_ENGINE, gather: false });
    await reporter.onRunComplete(new Set(), jestResults({ numFailedTests: 1 }));
    expect(recordedRun('jest')).toMatchObject({ failed: true });
    await expect(jestTeardown({ service: 'svc', ...NO_ENGINE, runKey: 'jt1' })).resolves.toMatchObject({ status: 'error', error: { name: 'NoEngineError' } });
    await new JestReporterClass({}, { service: 'svc', ...NO_ENGINE }).onRunComplete(new Set(), jestResults());
    await expect(jestTeardown({ service: 'svc', ...NO_ENGINE })).resolves.toMatchObject({ status: 'skipped' });
  });
});

interface FakeRunnable {
  title: string;
  state?: string;
  err?: Error;
  file?: string;
  parent?: FakeSuite;
  fullTitle(): string;
}
interface FakeSuite extends MochaSuiteLike {
  tests: FakeRunnable[];
  suites: FakeSuite[];
  _beforeAll: FakeRunnable[];
  _afterAll: FakeRunnable[];
}

function suite(title: string, parent?: FakeSuite): FakeSuite {
  const s: FakeSuite = { tests: [], suites: [], _beforeAll: [], _afterAll: [], parent };
  parent?.suites.push(s);
  void title;
  return s;
}
function runnable(title: string, state?: string, err?: Error): FakeRunnable {
  return { title, state, err, file: '/p/a.test.js', fullTitle: () => title };
}

describe('mocha', () => {
  it('finds failed tests and hooks anywhere under the root suite', () => {
    const root = suite('');
    const orders = suite('orders', root);
    orders.tests.push(runnable('orders confirms', 'failed', new Error('expected')), runnable('orders lists', 'passed'));
    suite('empty', orders)._beforeAll.push(runnable('"before all" hook in "empty"', 'failed', new Error('db down')));
    expect(testRunFromMocha(root)).toEqual({
      failed: true,
      failures: [
        { name: 'orders confirms', message: 'expected', file: '/p/a.test.js' },
        { name: '"before all" hook in "empty"', message: 'db down', file: '/p/a.test.js' },
      ],
    });
    expect(testRunFromMocha(suite(''))).toEqual({ failed: false, failures: [] });
  });

  it('the root afterAll lifts its own timeout, walks up to the root suite and gathers when something failed', async () => {
    const root = suite('');
    const child = suite('orders', root);
    child.tests.push(runnable('orders confirms', 'failed'));
    const timeouts: number[] = [];
    const context = { test: { parent: child }, timeout: (ms: number) => timeouts.push(ms) };
    const hooks = mustGatherHooks({ service: 'svc', ...NO_ENGINE, runKey: 'mt1' });
    hooks.beforeAll.call(context);
    await hooks.afterAll.call(context);
    expect(timeouts).toEqual([0]);
    const lines: string[] = [];
    const passing = mustGatherHooks({ service: 'svc', ...NO_ENGINE, quiet: false, log: (l) => lines.push(l) });
    await passing.afterAll.call({ test: { parent: suite('') }, timeout: () => {} });
    expect(lines).toEqual([]);
  });
});

function pwTest(id: string, outcome: string, title = id): PlaywrightTestCaseLike {
  return { id, titlePath: () => ['', 'chromium', 'orders.spec.ts', title], outcome: () => outcome, location: { file: '/p/orders.spec.ts' } };
}

describe('playwright', () => {
  it('counts only unexpected outcomes (a flaky test passed on retry), with the last attempt’s error', () => {
    const run = testRunFromPlaywright(
      [
        { test: pwTest('1', 'unexpected', 'confirms'), result: { status: 'failed', errors: [{ message: 'expected 1' }] } },
        { test: pwTest('2', 'flaky'), result: { status: 'passed', errors: [] } },
        { test: pwTest('3', 'unexpected', 'times out'), result: { status: 'timedOut', errors: [] } },
        { test: pwTest('4', 'skipped'), result: { status: 'skipped', errors: [] } },
      ],
      [{ message: 'worker crashed' }],
    );
    expect(run).toEqual({
      failed: true,
      failures: [
        { name: 'chromium > orders.spec.ts > confirms', message: 'expected 1', file: '/p/orders.spec.ts' },
        { name: 'chromium > orders.spec.ts > times out', message: 'status timedOut', file: '/p/orders.spec.ts' },
        { name: 'error outside tests', message: 'worker crashed' },
      ],
    });
  });

  it('the reporter records results as they come; the globalTeardown helper reads the latest outcome', async () => {
    const reporter = new PlaywrightReporterClass();
    reporter.onBegin();
    const test = { ...pwTest('1', 'unexpected'), outcome: () => outcome };
    let outcome = 'unexpected';
    reporter.onTestEnd(test, { status: 'failed', errors: [{ message: 'first try' }] });
    expect(recordedRun('playwright')).toMatchObject({ failed: true });
    // The retry passed: flaky, not failed.
    outcome = 'flaky';
    reporter.onTestEnd(test, { status: 'passed', errors: [] });
    await expect(playwrightTeardown({ service: 'svc', ...NO_ENGINE })).resolves.toEqual({ status: 'skipped', reason: 'the tests passed' });
    reporter.onError({ message: 'global setup failed' });
    await expect(playwrightTeardown({ service: 'svc', ...NO_ENGINE, runKey: 'pt1' })).resolves.toMatchObject({ status: 'error', error: { name: 'NoEngineError' } });
    expect(reporter.printsToStdio()).toBe(false);
  });
});

/** What resolveOptions (gather()'s own validation) says about `options`: the rule each entry point must apply. */
function gatherRule(options: GatherOptions): string {
  try {
    resolveOptions(options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('resolveOptions accepted these options');
}

/** Options each rejected with its reason, whatever the run's outcome: gather()'s rules and the framework ones. */
const INVALID: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp | string]> = [
  ['a service with a space', { service: 'hk orders' }, gatherRule({ service: 'hk orders' })],
  ['no service', {}, gatherRule({} as GatherOptions)],
  ['a component that is no word', { service: 'svc', components: ['../x'] }, gatherRule({ service: 'svc', components: ['../x'] })],
  ['a concurrency of 0', { service: 'svc', concurrency: 0 }, gatherRule({ service: 'svc', concurrency: 0 })],
  ['an unknown runtime', { service: 'svc', runtime: 'lxc' }, gatherRule({ service: 'svc', runtime: 'lxc' as never })],
  ['MUST_GATHER_RUNTIME=lxc', { service: 'svc', env: { MUST_GATHER_RUNTIME: 'lxc' } }, gatherRule({ service: 'svc', env: { MUST_GATHER_RUNTIME: 'lxc' } })],
  ['a bad max log size', { service: 'svc', maxLogSize: '5 potatoes' }, gatherRule({ service: 'svc', maxLogSize: '5 potatoes' })],
  ['an unknown when', { service: 'svc', when: 'sometimes' }, 'invalid when "sometimes": expected always, on-failure, never'],
  ['MUST_GATHER_WHEN=bogus', { service: 'svc', env: { MUST_GATHER_WHEN: 'bogus' } }, 'invalid when "bogus": expected always, on-failure, never'],
  ['a run key that is no string', { service: 'svc', runKey: 42 }, /invalid runKey 42: expected a string/],
  ['a lock wait below 1 ms', { service: 'svc', lock: { waitMs: -1 } }, /invalid lock\.waitMs -1: expected a number of milliseconds of at least 1/],
  ['a lock poll that is no number', { service: 'svc', lock: { pollMs: '20' } }, /invalid lock\.pollMs "20"/],
  ['a lock that is no object', { service: 'svc', lock: 5 }, /invalid lock 5: expected \{ staleMs, pollMs, waitMs \}/],
  ['a log that is no function', { service: 'svc', log: 'stderr' }, /invalid log "stderr": expected a function/],
];

describe('options are checked when the entry point is set up, not when a run fails (issue 14, defect 11)', () => {
  for (const [what, options, reason] of INVALID) {
    it(`${what}: every entry point throws a UsageError at once, naming itself`, async () => {
      const passingVitest: VitestProjectLike = { vitest: { state: { getTestModules: () => [], getUnhandledErrors: () => [] } } };
      const o = options as never;
      const thrown = (fn: () => unknown): MustGatherError => {
        try {
          fn();
        } catch (error) {
          return error as MustGatherError;
        }
        throw new Error('did not throw');
      };
      const rejected = async (promise: Promise<unknown>): Promise<MustGatherError> => promise.then(() => Promise.reject(new Error('resolved')), (e: unknown) => e as MustGatherError);
      const errors: Record<string, MustGatherError> = {
        'mustGatherReporter()': thrown(() => mustGatherReporter(o)),
        'gatherOnTeardown()': await rejected(gatherOnTeardown(passingVitest, o)),
        'must-gather/jest reporter': thrown(() => new JestReporterClass({}, o)),
        'must-gather/jest gatherInGlobalTeardown()': await rejected(jestTeardown(o)),
        'mustGatherHooks()': thrown(() => mustGatherHooks(o)),
        'must-gather/playwright gatherInGlobalTeardown()': await rejected(playwrightTeardown(o)),
      };
      for (const [where, error] of Object.entries(errors)) {
        expect(error, where).toBeInstanceOf(UsageError);
        expect(error.code, where).toBe('USAGE');
        expect(error.message.startsWith(`${where}: `), `${where}: ${error.message}`).toBe(true);
        if (typeof reason === 'string') expect(error.message).toBe(`${where}: ${reason}`);
        else expect(error.message).toMatch(reason);
      }
    });
  }

  it('the teardown helpers throw on a passing run too, before deciding to skip', async () => {
    forgetRun('vitest');
    const reporter = mustGatherReporter({ service: 'svc', ...NO_ENGINE });
    await reporter.onTestRunEnd([], [], 'passed');
    await expect(gatherOnTeardown({ vitest: {} }, { service: 'hk orders', ...NO_ENGINE })).rejects.toThrow(/^gatherOnTeardown\(\): invalid service name "hk orders"/);
    await new JestReporterClass({}, { service: 'svc', ...NO_ENGINE }).onRunComplete(new Set(), jestResults());
    await expect(jestTeardown({ service: 'svc', ...NO_ENGINE, when: 'never', concurrency: 0 })).rejects.toThrow(/invalid concurrency 0/);
  });

  it('the jest reporter checks its own `gather` option too', () => {
    expect(() => new JestReporterClass({}, { service: 'svc', gather: 'no' as never })).toThrow('must-gather/jest reporter: invalid gather "no": expected true or false');
  });

  it('the generic gatherForTests reports invalid options on a passing run (status error), and throws them with strict', async () => {
    const outcome = await gatherForTests({ service: 'hk orders', failed: false, ...NO_ENGINE });
    expect(outcome).toMatchObject({ status: 'error', error: { code: 'USAGE', message: gatherRule({ service: 'hk orders' }) } });
    await expect(gatherForTests({ service: 'svc', when: 'never', failed: null, ...NO_ENGINE, lock: { staleMs: 0 }, strict: true })).rejects.toThrow(/invalid lock\.staleMs 0/);
    expect(() => checkTestGatherOptions({ service: 'svc', ...NO_ENGINE, when: 'always', runKey: 'k', lock: { staleMs: 1000, pollMs: 20, waitMs: 5000 } })).not.toThrow();
  });
});

/** An engine holding one container of `service` that exited 1 with an error in its log. */
function engineWithOneFailure(service: string): ContainerRuntime {
  const name = `${service}_db_test`;
  const raw = {
    Id: 'c1',
    Name: `/${name}`,
    Created: '2026-01-01T10:00:00Z',
    RestartCount: 0,
    State: { Status: 'exited', ExitCode: 1, OOMKilled: false, StartedAt: '2026-01-01T10:00:01Z', FinishedAt: '2026-01-01T10:00:02Z' },
    Config: { Image: 'img', Tty: true, Env: [], Labels: {} },
  };
  return {
    name: 'podman',
    transport: 'cli',
    info: async () => ({ name: 'podman', transport: 'cli', version: '4.3.1', endpoint: 'fake' }),
    describe: async () => ({ versionInfo: {}, info: {} }),
    list: async () => [{ id: 'c1', names: [name], image: 'img', state: 'exited' }],
    inspect: async () => ({
      id: 'c1',
      name,
      image: 'img',
      state: 'exited',
      exitCode: 1,
      tty: true,
      oomKilled: false,
      restartCount: 0,
      createdAt: raw.Created,
      startedAt: raw.State.StartedAt,
      finishedAt: raw.State.FinishedAt,
      labels: {},
      raw,
    }),
    events: () => Readable.from([]),
    logs: () => ({ stream: Readable.from([Buffer.from('starting\nERROR: relation "orders" does not exist\n')]), finished: Promise.resolve(), times: null, source: () => 'api' as const, linesCut: () => 0 }),
  };
}

describe('the digest is printed once per run (issue 14, defect 11)', () => {
  it('vitest with the reporter and the globalSetup teardown helper both configured: one gather, one digest', async () => {
    forgetRun('vitest');
    const service = 'dig';
    const out = tempDir();
    const lines: string[] = [];
    const options = { service, outputDir: out, env: {}, containerRuntime: engineWithOneFailure(service), log: (l: string) => lines.push(l), runKey: `both-${process.pid}` };
    const reporter = mustGatherReporter(options);
    reporter.onTestRunStart();
    await reporter.onTestRunEnd([vitestModule('/p/a.test.ts', [{ name: 'orders > confirms', state: 'failed', message: 'expected' }])], [], 'failed');
    const outcome = await gatherOnTeardown({ vitest: {} }, options);
    expect(outcome).toMatchObject({ status: 'gathered', gatheredHere: false });
    const output = lines.join('\n');
    // The digest's header line, e.g. `dig: 1 of 1 container failed  (podman 4.3.1)`.
    expect(output.match(/^dig: 1 of 1 container failed {2}\(podman 4\.3\.1\)$/gm), output).toHaveLength(1);
    expect(output.match(/^ {2}✗ dig_db_test {2}exited with code 1/gm), output).toHaveLength(1);
    // The second caller still says where the folder is, once.
    const saved = output.match(/^must-gather: saved 1 container of dig to .*$/gm) ?? [];
    expect(saved, output).toHaveLength(2);
    expect(saved[1]).toBe(`${saved[0]} (gathered once for this run, by pid ${process.pid})`);
    expect(readdirSync(out).filter((e) => !e.startsWith('.'))).toHaveLength(1);
  });
});
