/**
 * How each framework's view of a run becomes a TestRunInfo, on objects shaped like the framework's own;
 * and, at type level, that the frameworks' real types fit the shapes read here.
 */
import type { AggregatedResult } from '@jest/test-result';
import type { Reporter as JestReporter } from '@jest/reporters';
import type { FullResult, Reporter as PlaywrightReporter, TestCase as PwTestCase, TestResult as PwTestResult } from '@playwright/test/reporter';
import type { Context as MochaContext, RootHookObject, Suite as MochaSuite } from 'mocha';
import type { Reporter as VitestReporter, TestModule, TestProject } from 'vitest/node';
import { describe, expect, it } from 'vitest';
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
