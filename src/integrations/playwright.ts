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
 * Only Playwright's types are used (structurally): importing this never loads @playwright/test.
 */
import { checkedOptions } from './_check.js';
import { recordedRun, recordRun } from './_handoff.js';
import { gatherAndReport, type ReportingOptions, type TestFailure, type TestGatherOptions, type TestGatherOutcome, type TestRunInfo } from '../test-run/gather-for-tests.js';

export type { TestGatherOutcome } from '../test-run/gather-for-tests.js';
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
  const run = recordedRun('playwright') ?? { failed: null, unknownReason: "add ['must-gather/playwright'] to reporter in the Playwright config" };
  return gatherAndReport({ ...options, ...run, framework: 'playwright' });
}
