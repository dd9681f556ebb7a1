/**
 * must-gather/playwright: gather a failed Playwright run's containers in globalTeardown, before your cleanup.
 *
 * ```ts
 * // playwright.config.ts — Playwright runs globalTeardown before its reporters' onEnd, so the reporter
 * // records each test's outcome and the globalTeardown helper gathers.
 * export default defineConfig({
 *   reporter: [['list'], ['must-gather/playwright']],
 *   globalSetup: './global-setup.ts',
 *   globalTeardown: './global-teardown.ts',
 * });
 * // global-teardown.ts
 * import { gatherInGlobalTeardown } from 'must-gather/playwright';
 * export default async function globalTeardown() {
 *   await gatherInGlobalTeardown({ service: 'orders' });
 *   await removeContainers();
 * }
 * ```
 * Record mode instead — every container of the run followed from globalSetup on, so the logs of
 * containers the suite removed are kept too: `const stop = await recordTests({ service })` first in
 * globalSetup, and `await stop()` in the teardown function it returns (or `await stopRecordingTests()` in
 * globalTeardown). The reporter tells whether the run failed.
 * Only Playwright's types are used (structurally): importing this never loads @playwright/test.
 */
import { checkedOptions } from './_check.js';
import { recordedRun, recordRun } from './_handoff.js';
import { recordForFramework, stopHandedOver, type StopRecording, type TestRecordOptions, type TestRecordOutcome } from './_record.js';
import { gatherAndReport, type ReportingOptions, type TestFailure, type TestGatherOptions, type TestGatherOutcome, type TestRunInfo } from '../test-run/gather-for-tests.js';

export type { TestGatherOutcome } from '../test-run/gather-for-tests.js';
export type { TestRecordOutcome } from './_record.js';
export type PlaywrightRecordOptions = TestRecordOptions;
export type PlaywrightGatherOptions = TestGatherOptions & ReportingOptions;

/** The parts of Playwright's `TestCase` read here. */
export interface PlaywrightTestCaseLike {
  readonly id: string;
  titlePath(): string[];
  outcome(): string;
  readonly location: { readonly file: string };
}
/** The parts of Playwright's `TestResult` read here. */
export interface PlaywrightTestResultLike {
  readonly status: string;
  readonly errors: ReadonlyArray<{ readonly message?: string | undefined }>;
}
/** The parts of Playwright's `TestError` read here. */
export interface PlaywrightErrorLike {
  readonly message?: string | undefined;
}

/**
 * Failed tests as Playwright judges them once retries are done (`outcome() === 'unexpected'`; a flaky
 * test that passed on retry is no failure), with the last attempt's first error, plus errors outside tests.
 */
export function testRunFromPlaywright(
  tests: Iterable<{ readonly test: PlaywrightTestCaseLike; readonly result: PlaywrightTestResultLike }>,
  errors: ReadonlyArray<PlaywrightErrorLike>,
): TestRunInfo {
  const failures: TestFailure[] = [];
  for (const { test, result } of tests) {
    if (test.outcome() !== 'unexpected') continue;
    failures.push({ name: test.titlePath().filter(Boolean).join(' > '), message: result.errors[0]?.message ?? `status ${result.status}`, file: test.location.file });
  }
  for (const error of errors) failures.push({ name: 'error outside tests', message: error.message ?? null });
  return { failed: failures.length > 0, failures };
}

/**
 * The Playwright reporter (`['must-gather/playwright']`): records each test's latest result for
 * `gatherInGlobalTeardown()`. It gathers nothing itself: its onEnd comes after globalTeardown.
 */
export default class MustGatherReporter {
  readonly #tests = new Map<string, { test: PlaywrightTestCaseLike; result: PlaywrightTestResultLike }>();
  readonly #errors: PlaywrightErrorLike[] = [];
  #runStartedAt = new Date();

  constructor(_options?: unknown) {
    recordRun('playwright', () => this.run());
  }

  onBegin(): void {
    this.#runStartedAt = new Date();
    this.#tests.clear();
    this.#errors.length = 0;
    recordRun('playwright', () => this.run());
  }

  onTestEnd(test: PlaywrightTestCaseLike, result: PlaywrightTestResultLike): void {
    this.#tests.set(test.id, { test, result });
  }

  onError(error: PlaywrightErrorLike): void {
    this.#errors.push(error);
  }

  printsToStdio(): boolean {
    return false;
  }

  /** The run so far. */
  run(): TestRunInfo {
    return { ...testRunFromPlaywright(this.#tests.values(), this.#errors), runStartedAt: this.#runStartedAt };
  }
}

export { MustGatherReporter };

/**
 * Gather from globalTeardown when the reporter saw a failure (or `when: 'always'`), before your own cleanup.
 * Rejects with {@link UsageError} for invalid options, on every run.
 */
export async function gatherInGlobalTeardown(options: PlaywrightGatherOptions): Promise<TestGatherOutcome> {
  checkedOptions('must-gather/playwright gatherInGlobalTeardown()', options);
  return gatherAndReport({ ...options, ...playwrightRun(), framework: 'playwright' });
}

function playwrightRun(): TestRunInfo {
  return recordedRun('playwright') ?? { failed: null, unknownReason: "add ['must-gather/playwright'] to reporter in the Playwright config" };
}

/**
 * Record mode: start recording the service's containers in globalSetup, before the suite starts them. The
 * function it resolves to stops the recording (return it from globalSetup, or call it from the teardown
 * you return), keeps the folder when the run failed (the reporter says whether it did; it runs in the
 * same process) and prints the verdict. Rejects with {@link UsageError} for invalid options; an engine
 * that cannot be watched is reported, and the tests run.
 */
export async function recordTests(options: PlaywrightRecordOptions): Promise<StopRecording> {
  return recordForFramework('playwright', 'must-gather/playwright recordTests()', options, playwrightRun);
}

/** Stop from globalTeardown the recordings `recordTests()` started in globalSetup: one outcome each. */
export async function stopRecordingTests(): Promise<TestRecordOutcome[]> {
  return stopHandedOver('playwright');
}
