/**
 * must-gather/jest: gather a failed jest run's containers before your globalTeardown removes them.
 *
 * ```js
 * // jest.config.js — jest calls reporters' onRunComplete before globalTeardown
 * export default {
 *   globalSetup: './global-setup.js',
 *   globalTeardown: './global-teardown.js',
 *   reporters: ['default', ['must-gather/jest', { service: 'orders' }]],
 * };
 * ```
 * `gatherInGlobalTeardown()` gathers from globalTeardown instead (with the reporter configured as
 * `{ service, gather: false }` so that it only records whether the run failed).
 * Record mode instead — every container of the run followed from globalSetup to globalTeardown, so the
 * logs of containers the suite removed are kept too: `await recordTests({ service })` first in globalSetup,
 * `await stopRecordingTests()` last in globalTeardown, and the reporter (it tells whether the run failed;
 * it gathers nothing while a recording of the same service runs).
 * Only jest's types are used (structurally): importing this never loads jest.
 */
import { checkedFlag, checkedOptions } from './_check.js';
import { recordedRun, recordRun } from './_handoff.js';
import { recordForFramework, stopHandedOver, type StopRecording, type TestRecordOptions, type TestRecordOutcome } from './_record.js';
import { gatherAndReport, type ReportingOptions, type TestFailure, type TestGatherOptions, type TestGatherOutcome, type TestRunInfo } from '../test-run/gather-for-tests.js';

export type { TestGatherOutcome } from '../test-run/gather-for-tests.js';
export type { TestRecordOutcome } from './_record.js';
export type JestRecordOptions = TestRecordOptions;
export type JestGatherOptions = TestGatherOptions & ReportingOptions;
export interface JestReporterOptions extends JestGatherOptions {
  /**
   * Gather in onRunComplete (default); false only records the run for `gatherInGlobalTeardown()`, and then
   * the other options are neither read nor checked here (the helper checks its own).
   */
  readonly gather?: boolean;
}

/** The parts of jest's `AssertionResult` read here. */
export interface JestAssertionResultLike {
  readonly fullName: string;
  readonly status: string;
  readonly failureMessages: ReadonlyArray<string>;
}
/** The parts of jest's `TestResult` (one test file) read here. */
export interface JestTestResultLike {
  readonly testFilePath: string;
  readonly testResults: ReadonlyArray<JestAssertionResultLike>;
  readonly testExecError?: { readonly message: string } | null | undefined;
}
/** The parts of jest's `AggregatedResult` read here. */
export interface JestAggregatedResultLike {
  readonly numFailedTests: number;
  readonly numRuntimeErrorTestSuites: number;
  readonly startTime: number;
  readonly testResults: ReadonlyArray<JestTestResultLike>;
  readonly snapshot?: { readonly failure: boolean };
  readonly wasInterrupted?: boolean;
  readonly runExecError?: { readonly message: string } | undefined;
}

/** The run as jest saw it: failed tests with their message, files that failed to run, errors of the run itself. */
export function testRunFromJest(results: JestAggregatedResultLike): TestRunInfo {
  const failures: TestFailure[] = [];
  for (const file of results.testResults) {
    for (const test of file.testResults) {
      if (test.status === 'failed') failures.push({ name: test.fullName, message: test.failureMessages[0] ?? null, file: file.testFilePath });
    }
    if (file.testExecError) failures.push({ name: `${file.testFilePath} (test file failed to run)`, message: file.testExecError.message, file: file.testFilePath });
  }
  if (results.runExecError) failures.push({ name: 'jest run', message: results.runExecError.message });
  const failed =
    results.numFailedTests > 0 ||
    results.numRuntimeErrorTestSuites > 0 ||
    results.snapshot?.failure === true ||
    results.wasInterrupted === true ||
    results.runExecError !== undefined;
  return { failed, failures, runStartedAt: results.startTime > 0 ? new Date(results.startTime) : undefined };
}

const REPORTER = 'must-gather/jest reporter';

/**
 * The jest reporter (`['must-gather/jest', options]`). Jest awaits onRunComplete, and calls it before
 * globalTeardown: the containers are still there. Throws {@link UsageError} for invalid options when jest
 * creates it, as the run starts.
 */
export default class MustGatherReporter {
  readonly #options: JestGatherOptions;
  readonly #gather: boolean;

  constructor(_globalConfig: unknown, options: JestReporterOptions, _context?: unknown) {
    const { gather, ...rest } = options ?? ({} as JestReporterOptions);
    this.#gather = checkedFlag(REPORTER, 'gather', gather) ?? true;
    this.#options = this.#gather ? checkedOptions(REPORTER, rest) : rest;
  }

  async onRunComplete(_testContexts: unknown, results: JestAggregatedResultLike): Promise<void> {
    const run = testRunFromJest(results);
    recordRun('jest', () => run);
    if (this.#gather) await gatherAndReport({ ...this.#options, ...run, framework: 'jest' });
  }
}

export { MustGatherReporter };

/**
 * Gather from globalTeardown, before your own cleanup. Whether the run failed comes from the reporter
 * (globalTeardown alone is not told): configure `['must-gather/jest', { service, gather: false }]` too.
 * When the reporter already gathered, this receives its result: one gather per run. Rejects with
 * {@link UsageError} for invalid options, on every run.
 */
export async function gatherInGlobalTeardown(options: JestGatherOptions): Promise<TestGatherOutcome> {
  checkedOptions('must-gather/jest gatherInGlobalTeardown()', options);
  return gatherAndReport({ ...options, ...jestRun(), framework: 'jest' });
}

function jestRun(): TestRunInfo {
  return recordedRun('jest') ?? { failed: null, unknownReason: "add ['must-gather/jest', { service }] to reporters in the jest config" };
}

/**
 * Record mode: start recording the service's containers in globalSetup, before the suite starts them.
 * {@link stopRecordingTests} in globalTeardown stops it (or call the function this resolves to). Rejects
 * with {@link UsageError} for invalid options; an engine that cannot be watched is reported, and the tests run.
 */
export async function recordTests(options: JestRecordOptions): Promise<StopRecording> {
  return recordForFramework('jest', 'must-gather/jest recordTests()', options, jestRun);
}

/**
 * Stop the recordings `recordTests()` started in globalSetup, keep each folder when the run failed (the
 * reporter says whether it did) and print the verdict. Resolves to one outcome per recording.
 */
export async function stopRecordingTests(): Promise<TestRecordOutcome[]> {
  return stopHandedOver('jest');
}
