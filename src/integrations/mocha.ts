/**
 * must-gather/mocha: a root hook plugin that gathers when tests failed, in the root `afterAll`.
 *
 * ```js
 * // test/must-gather.js, listed first in .mocharc's `require` so its afterAll runs before your cleanup hooks
 * import { mustGatherHooks } from 'must-gather/mocha';
 * export const mochaHooks = mustGatherHooks({ service: 'orders' });
 * ```
 * Root afterAll hooks run before global teardown fixtures (`mochaGlobalTeardown`). In `--parallel` mode
 * they run in each worker after each file; the workers share a run key (their parent, the mocha process),
 * so the first failing file gathers and the others receive its result.
 * Failure messages come from `test.err` (a hook's error) where mocha keeps them; otherwise only names.
 * Record mode instead — every container of the run followed from the global setup on, so the logs of
 * containers the suite removed are kept too:
 * ```js
 * // test/must-gather-record.js, listed in .mocharc's `require` before the file that starts the containers
 * import { recordTests } from 'must-gather/mocha';
 * export const { mochaGlobalSetup, mochaGlobalTeardown } = recordTests({ service: 'orders' });
 * ```
 * Whether the run failed comes from the runner (`this` in a global fixture). The root hooks above gather
 * nothing while a recording of the same service runs.
 * Only mocha's types are used (structurally): importing this never loads mocha.
 */
import { checkedOptions } from './_check.js';
import { recordForFramework, type StopRecording, type TestRecordOptions, type TestRecordOutcome } from './_record.js';
import { gatherAndReport, type ReportingOptions, type TestFailure, type TestGatherOptions, type TestRunInfo } from '../test-run/gather-for-tests.js';

export type MochaGatherOptions = TestGatherOptions & ReportingOptions;
export type MochaRecordOptions = TestRecordOptions;
export type { TestRecordOutcome } from './_record.js';

/** The parts of a mocha `Runnable` (test or hook) read here. */
export interface MochaRunnableLike {
  readonly state?: string | undefined;
  readonly file?: string | undefined;
  fullTitle(): string;
  readonly err?: unknown;
  readonly _error?: unknown;
}
/** The parts of a mocha `Suite` read here (and its hook arrays, see {@link hooksOf}). */
export interface MochaSuiteLike {
  readonly tests: ReadonlyArray<MochaRunnableLike>;
  readonly suites: ReadonlyArray<MochaSuiteLike>;
  readonly parent?: MochaSuiteLike | undefined;
}

const HOOK_FIELDS = ['_beforeAll', '_beforeEach', '_afterEach', '_afterAll'] as const;

/** A suite's hooks: mocha keeps them in underscored fields (private in @types/mocha) and has no public getter. */
function hooksOf(suite: MochaSuiteLike): MochaRunnableLike[] {
  const fields = suite as unknown as Partial<Record<(typeof HOOK_FIELDS)[number], unknown>>;
  return HOOK_FIELDS.flatMap((field) => {
    const hooks = fields[field];
    return Array.isArray(hooks) ? (hooks as MochaRunnableLike[]) : [];
  });
}
/** `this` in a mocha hook. */
export interface MochaContextLike {
  readonly test?: { readonly parent?: MochaSuiteLike | undefined } | undefined;
  timeout(ms: number): unknown;
}

export interface MochaRootHooks {
  beforeAll(this: MochaContextLike): void;
  afterAll(this: MochaContextLike): Promise<void>;
}

function messageOf(runnable: MochaRunnableLike): string | null {
  const error = runnable.err ?? runnable._error;
  if (error === undefined || error === null) return null;
  return typeof error === 'object' && 'message' in error ? String(error.message) : String(error);
}

/** Failed tests and hooks anywhere under `root`. */
export function testRunFromMocha(root: MochaSuiteLike): TestRunInfo {
  const failures: TestFailure[] = [];
  const visit = (suite: MochaSuiteLike): void => {
    for (const runnable of [...hooksOf(suite), ...suite.tests]) {
      if (runnable.state === 'failed') failures.push({ name: runnable.fullTitle(), message: messageOf(runnable), file: runnable.file ?? null });
    }
    for (const child of suite.suites) visit(child);
  };
  visit(root);
  return { failed: failures.length > 0, failures };
}

/**
 * Root hooks for `export const mochaHooks = mustGatherHooks(options)`. The afterAll lifts mocha's hook
 * timeout for itself: the gather is bounded by `timeoutMs` and the wait for another process by `lock.waitMs`.
 * Throws {@link UsageError} for invalid options at once, as mocha loads the plugin.
 */
export function mustGatherHooks(options: MochaGatherOptions): MochaRootHooks {
  checkedOptions('mustGatherHooks()', options);
  let runStartedAt = new Date();
  const env = options.env ?? process.env;
  // Parallel mode's workers are children of the one mocha process.
  const frameworkRunKey = env.MOCHA_WORKER_ID !== undefined ? `mocha-${process.ppid}` : undefined;
  return {
    beforeAll() {
      runStartedAt = new Date();
    },
    async afterAll() {
      this.timeout(0);
      let root = this.test?.parent;
      while (root?.parent) root = root.parent;
      const run: TestRunInfo = root ? testRunFromMocha(root) : { failed: null, unknownReason: 'the root suite was not reachable from the afterAll hook' };
      await gatherAndReport({ ...options, ...run, runStartedAt, framework: 'mocha', frameworkRunKey });
    },
  };
}

/** The parts of mocha's `Runner` read here: `this` in a global fixture. */
export interface MochaRunnerLike {
  readonly failures?: number;
  readonly suite?: MochaSuiteLike;
}

/** Global fixtures: `export const { mochaGlobalSetup, mochaGlobalTeardown } = recordTests(options)`. */
export interface MochaRecordFixtures {
  mochaGlobalSetup(this: MochaRunnerLike | undefined): Promise<void>;
  mochaGlobalTeardown(this: MochaRunnerLike | undefined): Promise<TestRecordOutcome | null>;
}

/**
 * The run as the runner counted it: its failure count (tests and hooks, in every worker of `--parallel`),
 * with the names and messages found under its root suite (in `--parallel` the tests ran elsewhere: none).
 */
export function testRunFromMochaRunner(runner: MochaRunnerLike | undefined): TestRunInfo {
  if (runner === undefined || typeof runner.failures !== 'number') return { failed: null, unknownReason: 'the global teardown was not given the mocha runner' };
  const listed = runner.suite ? testRunFromMocha(runner.suite) : { failed: false, failures: [] };
  return { ...listed, failed: runner.failures > 0 || listed.failed === true };
}

/**
 * Record mode's global fixtures. The setup starts recording the service's containers (list the file before
 * the one that starts them: mocha runs global setups in `require` order); the teardown stops it, keeps the
 * folder when the run failed, and prints the verdict. Throws {@link UsageError} for invalid options at once,
 * as mocha loads the file; an engine that cannot be watched is reported, and the tests run.
 */
export function recordTests(options: MochaRecordOptions): MochaRecordFixtures {
  checkedOptions('must-gather/mocha recordTests()', options);
  let stop: StopRecording | null = null;
  let run: TestRunInfo = { failed: null, unknownReason: 'the recording was stopped before the global teardown' };
  let runStartedAt = new Date();
  return {
    async mochaGlobalSetup() {
      runStartedAt = new Date();
      stop = await recordForFramework('mocha', 'must-gather/mocha recordTests()', options, () => ({ ...run, runStartedAt }));
    },
    async mochaGlobalTeardown() {
      run = testRunFromMochaRunner(this);
      return stop ? stop() : null;
    },
  };
}
