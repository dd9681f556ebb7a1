/**
 * must-gather/vitest: gather a failed vitest run's containers before your globalSetup teardown removes them.
 *
 * ```ts
 * // vitest.config.ts — the reporter knows whether the run failed and runs before any globalSetup teardown
 * import { mustGatherReporter } from 'must-gather/vitest';
 * export default defineConfig({ test: { globalSetup: './global-setup.ts', reporters: ['default', mustGatherReporter({ service: 'orders' })] } });
 *
 * // or in the globalSetup file itself, before your cleanup (mind vitest's 10 s teardownTimeout)
 * export default async function setup(project: TestProject) {
 *   await startContainers();
 *   return async () => { await gatherOnTeardown(project, { service: 'orders' }); await removeContainers(); };
 * }
 * ```
 * Record mode instead — every container of the run followed from globalSetup until its teardown, so the
 * logs of containers the suite removed are kept too (list this globalSetup first: its teardown runs last):
 * ```ts
 * export default async function setup(project: TestProject) {
 *   const stopRecording = await recordTests(project, { service: 'orders' });
 *   await startContainers();
 *   return async () => { await removeContainers(); await stopRecording(); };
 * }
 * ```
 * Only vitest's types are used (structurally): importing this never loads vitest.
 */
import { checkedOptions } from './_check.js';
import { recordedRun, recordRun } from './_handoff.js';
import { recordForFramework, type StopRecording, type TestRecordOptions } from './_record.js';
import { gatherAndReport, type ReportingOptions, type TestFailure, type TestGatherOptions, type TestGatherOutcome, type TestRunInfo } from '../test-run/gather-for-tests.js';

export type { TestGatherOutcome } from '../test-run/gather-for-tests.js';
export type { TestRecordOutcome } from './_record.js';
export type VitestRecordOptions = TestRecordOptions;
export type VitestGatherOptions = TestGatherOptions & ReportingOptions;

/** The parts of vitest's `SerializedError` / `TestError` read here. */
export interface VitestErrorLike {
  readonly message?: string;
  readonly name?: string;
}
/** The parts of vitest's `TestCase` read here. */
export interface VitestTestCaseLike {
  readonly fullName: string;
  result(): { readonly state: string; readonly errors?: ReadonlyArray<VitestErrorLike> | undefined };
}
/** The parts of vitest's `TestModule` read here. */
export interface VitestTestModuleLike {
  readonly moduleId: string;
  ok(): boolean;
  errors(): ReadonlyArray<VitestErrorLike>;
  readonly children: { allTests(state?: 'failed'): Iterable<VitestTestCaseLike> };
}
/** The parts of vitest's `TestProject` read here (`vitest.state` is vitest's experimental state API). */
export interface VitestProjectLike {
  readonly vitest: {
    readonly state?: {
      getTestModules(): ReadonlyArray<VitestTestModuleLike>;
      getUnhandledErrors(): ReadonlyArray<unknown>;
    };
  };
}
/** A vitest reporter: what `mustGatherReporter` returns, assignable to vitest's `Reporter`. */
export interface VitestReporterLike {
  onTestRunStart(): void;
  onTestRunEnd(testModules: ReadonlyArray<VitestTestModuleLike>, unhandledErrors: ReadonlyArray<unknown>, reason?: string): Promise<void>;
}

function messageOf(error: unknown): string | null {
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as VitestErrorLike).message ?? '') || null;
  return error === undefined || error === null ? null : String(error);
}

/**
 * The run as vitest saw it: failed tests with their first error, modules that failed to load, errors
 * outside tests. `reason` is `onTestRunEnd`'s; without it, a run failed when a module is not ok or an
 * error escaped the tests. An interrupted run counts as failed: it did not pass.
 */
export function testRunFromVitest(modules: ReadonlyArray<VitestTestModuleLike>, unhandledErrors: ReadonlyArray<unknown>, reason?: string): TestRunInfo {
  const failures: TestFailure[] = [];
  for (const module of modules) {
    for (const test of module.children.allTests('failed')) {
      failures.push({ name: test.fullName, message: messageOf(test.result().errors?.[0]), file: module.moduleId });
    }
    for (const error of module.errors()) failures.push({ name: `${module.moduleId} (outside tests)`, message: messageOf(error), file: module.moduleId });
  }
  for (const error of unhandledErrors) failures.push({ name: 'unhandled error', message: messageOf(error) });
  const failed = reason !== undefined ? reason !== 'passed' : modules.some((m) => !m.ok()) || unhandledErrors.length > 0;
  return { failed, failures };
}

/**
 * A vitest reporter that gathers when the run failed. Vitest reports the run's end before it runs any
 * globalSetup teardown, so the containers are still there. Throws {@link UsageError} for invalid options
 * at once, as the config loads.
 */
export function mustGatherReporter(options: VitestGatherOptions): VitestReporterLike {
  checkedOptions('mustGatherReporter()', options);
  let runStartedAt = new Date();
  return {
    onTestRunStart() {
      runStartedAt = new Date();
    },
    async onTestRunEnd(testModules, unhandledErrors, reason) {
      const run: TestRunInfo = { ...testRunFromVitest(testModules, unhandledErrors, reason), runStartedAt };
      recordRun('vitest', () => run);
      await gatherAndReport({ ...options, ...run, framework: 'vitest' });
    },
  };
}

/**
 * Gather from a globalSetup's teardown, before your own cleanup. Whether the run failed comes from
 * `mustGatherReporter` when it is configured too (then this receives its result: one gather), else from
 * `project.vitest.state`. Vitest ends a teardown after `teardownTimeout` (10 s by default): raise it, or
 * prefer the reporter. Rejects with {@link UsageError} for invalid options, on every run.
 */
export async function gatherOnTeardown(project: VitestProjectLike, options: VitestGatherOptions): Promise<TestGatherOutcome> {
  checkedOptions('gatherOnTeardown()', options);
  return gatherAndReport({ ...options, ...runOf(project), framework: 'vitest' });
}

/** The run as the reporter recorded it, else as `project.vitest.state` has it, read in a globalSetup teardown. */
function runOf(project: VitestProjectLike): TestRunInfo {
  const state = project.vitest.state;
  return (
    recordedRun('vitest') ??
    (state !== undefined && typeof state.getTestModules === 'function'
      ? testRunFromVitest(state.getTestModules(), state.getUnhandledErrors())
      : { failed: null, unknownReason: 'this vitest has no project.vitest.state; add mustGatherReporter() to reporters' })
  );
}

/**
 * Record mode: start recording the service's containers in a globalSetup, before the suite starts them;
 * call the function it resolves to in the teardown (after your cleanup, if you like: what the containers
 * logged is kept already) to stop, keep the folder when the run failed, and print the verdict. Whether the
 * run failed comes from `mustGatherReporter` when configured, else from `project.vitest.state`; a snapshot
 * reporter of the same service gathers nothing while the recording runs. Rejects with
 * {@link UsageError} for invalid options; an engine that cannot be watched is reported, and the tests run.
 */
export async function recordTests(project: VitestProjectLike, options: VitestRecordOptions): Promise<StopRecording> {
  return recordForFramework('vitest', 'recordTests()', options, () => runOf(project));
}
