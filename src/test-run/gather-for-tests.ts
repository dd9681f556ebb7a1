/**
 * Gather from a test run: decide whether to (`when`), gather exactly once per run however many processes
 * ask (`runOnce`), record what the run knew (`test-run.json`), and never fail the run because of ourselves.
 * The framework entry points (vitest.ts, jest.ts, mocha.ts, playwright.ts) only translate their framework's
 * view of the run into {@link TestRunGatherOptions}.
 */
import { renderDigest } from '../render/digest.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorMessage, UsageError } from '../_util/errors.js';
import { stripAnsi } from '../_util/text.js';
import { gather, type GatherResult } from '../gather/gather.js';
import { lockName, runOnce, runOnceInProcess, type RunOnceOptions } from './lock.js';
import { GATHER_WHEN, type GatherWhen } from './when.js';
import { isRecorded, RECORDING_ENV } from './recording-marker.js';
import { DEFAULT_TIMEOUT_MS, resolveOptions, type GatherOptions } from '../gather/options.js';
import { TEST_RUN_FILE } from '../run-folder/layout.js';
import { assertSafeBase, chooseOutputBase, writeNewFile } from '../run-folder/write.js';

export { GATHER_WHEN, type GatherWhen } from './when.js';


const MAX_FAILURES = 100;
const MAX_MESSAGE_CHARS = 4000;
/** Beyond the gather's own bound: the time a waiter allows for the holder to write its files. */
const WAIT_MARGIN_MS = 60_000;

/** A failed test (or a failed hook, suite or file), as the framework reported it. */
export interface TestFailure {
  /** Full name: describe blocks and title, e.g. `orders > creates an order`. */
  readonly name: string;
  /** The error's message, without the stack, where the framework gives one. */
  readonly message?: string | null;
  /** Test file, where known. */
  readonly file?: string | null;
}

/** What a test run knows about itself when it ends. */
export interface TestRunInfo {
  /**
   * Whether the run failed: any failed test, hook or file, or an error outside the tests. Null when the
   * caller cannot tell (then `on-failure` reports `unknownReason` instead of guessing; `always` gathers).
   */
  readonly failed: boolean | null;
  /** Why `failed` is null, and what to do about it. */
  readonly unknownReason?: string;
  readonly failures?: readonly TestFailure[];
  /** When the run started. Recorded so logs can be trimmed with `since`; default the process's start. */
  readonly runStartedAt?: Date | number | string;
}

/** Options that every framework entry point takes: {@link GatherOptions} plus these. */
export interface TestGatherOptions extends GatherOptions {
  /** Default env `MUST_GATHER_WHEN`, else `on-failure`. */
  readonly when?: GatherWhen;
  /**
   * Callers sharing a run key (and service and output folder) gather once; the others receive that result.
   * Default: env `MUST_GATHER_RUN_KEY`, else the CI job (`GITHUB_RUN_ID`+`GITHUB_RUN_ATTEMPT`+`GITHUB_JOB`,
   * `CI_JOB_ID`, `BUILDKITE_JOB_ID`, `CIRCLE_WORKFLOW_JOB_ID`, Jenkins `BUILD_TAG`), else this process.
   */
  readonly runKey?: string;
  /** Throw what went wrong instead of reporting it. Default false: must-gather never fails the test run. */
  readonly strict?: boolean;
  /** Tuning of the exactly-once lock; `waitMs` defaults to `timeoutMs` plus a minute. */
  readonly lock?: Pick<RunOnceOptions, 'staleMs' | 'pollMs' | 'waitMs'>;
}

/** Everything {@link gatherForTests} needs: the options and what the run knew. */
export interface TestRunGatherOptions extends TestGatherOptions, TestRunInfo {
  /** `vitest`, `jest`, `mocha`, `playwright`, `cli`… recorded in test-run.json. */
  readonly framework?: string;
  /** The framework's own notion of a run, used after the CI job ids and before the per-process key. */
  readonly frameworkRunKey?: string;
}

export type TestGatherOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | {
      readonly status: 'gathered';
      readonly result: GatherResult;
      /** False when another caller of the same run gathered and this one received its result. */
      readonly gatheredHere: boolean;
      /** The process that gathered. */
      readonly gatheredBy: { readonly pid: number; readonly host: string };
      readonly runKey: string;
      /** test-run.json in the run folder, or null when nothing matched (or it could not be written). */
      readonly testRunFile: string | null;
      readonly warnings: readonly string[];
    }
  | { readonly status: 'error'; readonly error: Error; readonly runKey: string | null };

/** What the one gather of a run hands every caller of the run. */
interface GatheredValue {
  readonly result: GatherResult;
  readonly testRunFile: string | null;
  readonly warnings: readonly string[];
}

/** What test-run.json (and manifest.json's `testRun`) holds. */
export interface TestRunRecord {
  readonly framework: string;
  readonly runKey: string;
  /** Where the run key came from: `option`, `MUST_GATHER_RUN_KEY`, `GITHUB_RUN_ID`, …, `framework`, `process`. */
  readonly runKeySource: string;
  readonly when: GatherWhen;
  readonly failed: boolean | null;
  readonly runStartedAt: string | null;
  readonly gatheredAt: string;
  readonly gatheredBy: { readonly pid: number; readonly host: string };
  readonly failures: readonly TestFailure[];
  /** Failures beyond the first 100, not listed. */
  readonly failuresOmitted: number;
}

export interface RunKey {
  readonly key: string;
  readonly source: string;
}

/**
 * The run key: the explicit one, else `MUST_GATHER_RUN_KEY`, else the CI job, else the framework's run,
 * else this process. Per-worker ids (VITEST_POOL_ID, JEST_WORKER_ID) are never used: they differ between
 * processes of one run. The framework entry points call this from the runner's main process, so without
 * a CI job id each run is its own process: to share one gather between several processes (test commands
 * run side by side by a Makefile), export the same MUST_GATHER_RUN_KEY to all of them.
 */
export function resolveRunKey(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  frameworkRunKey?: string,
  pid: number = process.pid,
  processStartedAt: number = performance.timeOrigin,
): RunKey {
  if (explicit) return { key: explicit, source: 'option' };
  if (env.MUST_GATHER_RUN_KEY) return { key: env.MUST_GATHER_RUN_KEY, source: 'MUST_GATHER_RUN_KEY' };
  if (env.GITHUB_RUN_ID) {
    return { key: `github-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || '1'}-${env.GITHUB_JOB ?? ''}`, source: 'GITHUB_RUN_ID' };
  }
  if (env.CI_JOB_ID) return { key: `gitlab-${env.CI_JOB_ID}`, source: 'CI_JOB_ID' };
  if (env.BUILDKITE_JOB_ID) return { key: `buildkite-${env.BUILDKITE_JOB_ID}`, source: 'BUILDKITE_JOB_ID' };
  if (env.CIRCLE_WORKFLOW_JOB_ID) return { key: `circleci-${env.CIRCLE_WORKFLOW_JOB_ID}`, source: 'CIRCLE_WORKFLOW_JOB_ID' };
  if (env.JENKINS_URL && env.BUILD_TAG) return { key: env.BUILD_TAG, source: 'BUILD_TAG' };
  if (frameworkRunKey) return { key: frameworkRunKey, source: 'framework' };
  return { key: `process-${pid}-${Math.trunc(processStartedAt)}`, source: 'process' };
}

/** The key of the exactly-once lock: one gather per run key and service (and output base, the lock's folder). */
export function testRunLockKey(runKey: string, service: string): string {
  return `${runKey}--${service}`;
}

/** `when` from the option, else env MUST_GATHER_WHEN, else `on-failure`. Throws on an unknown value. */
export function resolveWhen(when: string | undefined, env: NodeJS.ProcessEnv = process.env): GatherWhen {
  const value = when ?? (env.MUST_GATHER_WHEN || 'on-failure');
  if (!(GATHER_WHEN as readonly string[]).includes(value)) {
    throw new UsageError(`invalid when ${JSON.stringify(value)}: expected ${GATHER_WHEN.join(', ')}`);
  }
  return value as GatherWhen;
}

const LOCK_FIELDS = ['staleMs', 'pollMs', 'waitMs'] as const;

/**
 * Check every option a test-run gather takes, as the framework entry points do when they are set up (a
 * mistake shows on the first run, passing or not): gather()'s own rules ({@link resolveOptions}), `when`
 * ({@link resolveWhen}), `runKey`, `lock` and `log`. Throws {@link UsageError}; touches nothing.
 */
export function checkTestGatherOptions(options: TestGatherOptions & ReportingOptions): void {
  if (typeof options !== 'object' || options === null) throw new UsageError(`invalid options ${show(options)}: expected an object such as { service: "orders" }`);
  const env = options.env ?? process.env;
  resolveOptions({ ...options, env });
  resolveWhen(options.when, env);
  if (options.runKey !== undefined && typeof options.runKey !== 'string') throw new UsageError(`invalid runKey ${show(options.runKey)}: expected a string`);
  const lock: unknown = options.lock;
  if (lock !== undefined) {
    if (typeof lock !== 'object' || lock === null) throw new UsageError(`invalid lock ${show(lock)}: expected { staleMs, pollMs, waitMs }`);
    for (const field of LOCK_FIELDS) {
      const value = (lock as Record<string, unknown>)[field];
      if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 1)) {
        throw new UsageError(`invalid lock.${field} ${show(value)}: expected a number of milliseconds of at least 1`);
      }
    }
  }
  if (options.log !== undefined && typeof options.log !== 'function') throw new UsageError(`invalid log ${show(options.log)}: expected a function`);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** `    at fn (file.js:3:5)`, `    at file:///x.js:3:5`, `    at new X (<anonymous>)`; not `    at least 3 items`. */
const STACK_FRAME = /^\s+at .*(?::\d+:\d+\)?|\((?:native|<anonymous>)\))$/;

/** A failure message fit for the record: no colours, no stack, bounded. */
export function cleanMessage(message: string | null | undefined): string | null {
  if (message === null || message === undefined) return null;
  // jest and vitest colour their messages.
  const lines = stripAnsi(String(message)).split('\n');
  const stackAt = lines.findIndex((line) => STACK_FRAME.test(line));
  const text = (stackAt === -1 ? lines : lines.slice(0, stackAt)).join('\n').trim();
  if (text === '') return null;
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length - MAX_MESSAGE_CHARS} more characters)` : text;
}

/** What test-run.json records of a run that ended at `at` (a gather's time, or a recording's stop). */
export function testRunRecord(run: {
  readonly framework: string;
  readonly runKey: RunKey;
  readonly when: GatherWhen;
  readonly failed: boolean | null;
  readonly failures: readonly TestFailure[];
  readonly startedAt: Date;
  readonly at: Date;
}): TestRunRecord {
  const { failures } = run;
  return {
    framework: run.framework,
    runKey: run.runKey.key,
    runKeySource: run.runKey.source,
    when: run.when,
    failed: run.failed,
    runStartedAt: run.startedAt.toISOString(),
    gatheredAt: run.at.toISOString(),
    gatheredBy: { pid: process.pid, host: hostname() },
    failures: failures.slice(0, MAX_FAILURES).map((f) => ({
      name: String(f.name),
      message: cleanMessage(f.message),
      ...(f.file ? { file: f.file } : {}),
    })),
    failuresOmitted: Math.max(0, failures.length - MAX_FAILURES),
  };
}

/** test-run.json in `outputDir`: its path, or null with a warning when it could not be written. */
export async function writeTestRunFile(outputDir: string, record: TestRunRecord, warnings: string[]): Promise<string | null> {
  const path = join(outputDir, TEST_RUN_FILE);
  try {
    await writeNewFile(path, `${JSON.stringify(record, null, 2)}\n`);
    return path;
  } catch (error) {
    warnings.push(`could not write ${path}: ${errorMessage(error)}`);
    return null;
  }
}

/** When the run started: as the framework said, else when this process started. */
export function runStart(value: Date | number | string | undefined): Date {
  return toDate(value) ?? new Date(performance.timeOrigin);
}

function toDate(value: Date | number | string | undefined): Date | null {
  if (value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error));
}

/**
 * Gather the service's containers for a test run, when `when` says so, exactly once among every caller of
 * the run, and write test-run.json into the run folder. Never throws unless `strict`: what went wrong is
 * returned as `{ status: 'error' }` for the caller to report.
 */
export async function gatherForTests(options: TestRunGatherOptions): Promise<TestGatherOutcome> {
  const outcome = await gatherForTestsUnchecked(options);
  if (outcome.status === 'error' && options.strict === true) throw outcome.error;
  return outcome;
}

async function gatherForTestsUnchecked(options: TestRunGatherOptions): Promise<TestGatherOutcome> {
  const {
    when: whenOption,
    runKey: runKeyOption,
    strict: _strict,
    lock,
    framework = 'unknown',
    frameworkRunKey,
    failed,
    unknownReason,
    failures = [],
    runStartedAt,
    ...gatherOptions
  } = options;
  const env = gatherOptions.env ?? process.env;
  let runKey: RunKey | null = null;
  try {
    // Everything, before deciding to skip: an invalid option shows on a passing run too.
    checkTestGatherOptions(options);
    const when = resolveWhen(whenOption, env);
    if (when === 'never') return { status: 'skipped', reason: 'when is never' };
    // A recording of this service keeps the run already (record mode): a snapshot would be a second folder.
    const service = resolveOptions({ ...gatherOptions, env }).service;
    if (isRecorded(service, env)) return { status: 'skipped', reason: `${service} is being recorded (${RECORDING_ENV})` };
    if (when === 'on-failure' && failed === null) {
      throw new UsageError(`cannot tell whether the ${framework} run failed: ${unknownReason ?? 'nothing reported it'}`);
    }
    if (when === 'on-failure' && !failed) return { status: 'skipped', reason: 'the tests passed' };

    const resolved = resolveOptions({ ...gatherOptions, env });
    runKey = resolveRunKey(runKeyOption, env, frameworkRunKey);
    const started = runStart(runStartedAt);
    const now = gatherOptions.now ?? (() => new Date());
    const key = testRunLockKey(runKey.key, resolved.service);
    const source = runKey.source;
    const recordedKey = runKey.key;

    // The lock and its result live in the base gather() writes to: the one asked for, or the per-user one
    // when only the default was and it belongs to someone else (gather() makes the same choice).
    const base = await chooseOutputBase(resolved.outputDir, resolved.outputDirSource);
    // Refuse a base planted by another user (a symlink, their folder) up front, as gather() would, even when
    // this run ends up writing nothing. A missing base is created only when something is written.
    await assertSafeBase(base.dir, process.getuid?.()).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    const gatherOnce = async (): Promise<GatheredValue> => {
      const record = testRunRecord({ framework, runKey: { key: recordedKey, source }, when, failed, failures, startedAt: started, at: now() });
      // The test run's context goes into manifest.json (`testRun`), and beside it as test-run.json.
      const result = await gather({ ...gatherOptions, env, testRun: record });
      const warnings: string[] = [];
      const testRunFile = result.outputDir !== null ? await writeTestRunFile(result.outputDir, record, warnings) : null;
      return { result, testRunFile, warnings };
    };
    // A run that matched nothing wrote nothing, and leaves nothing: no result (the run's other callers, if
    // any are waiting, look for themselves), and no base folder when the lock had to create it.
    const keep = (value: GatheredValue): boolean => value.result.outputDir !== null;
    // A per-process key is this process's alone: its callers share the result in memory, with no file at all.
    const once =
      runKey.source === 'process'
        ? await runOnceInProcess(join(base.dir, lockName(key)), gatherOnce, { notBefore: started, keep })
        : await runOnce(key, base.dir, gatherOnce, {
            ...lock,
            waitMs: lock?.waitMs ?? (gatherOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS) + WAIT_MARGIN_MS,
            notBefore: started,
            keep,
          });
    const gatheredBy = { pid: once.holder.pid, host: once.holder.host };
    return { status: 'gathered', gatheredHere: once.ranHere, gatheredBy, runKey: runKey.key, ...once.value };
  } catch (error) {
    return { status: 'error', error: asError(error), runKey: runKey?.key ?? null };
  }
}

/**
 * One line (or a few) for the test output saying what happened, or null when there is nothing worth
 * saying (a skipped gather). The framework entry points print it to stderr.
 */
export function describeOutcome(outcome: TestGatherOutcome, service: string): string | null {
  switch (outcome.status) {
    case 'skipped':
      return null;
    case 'error':
      return `must-gather: could not gather the containers of ${service}: ${outcome.error.message} (the test run's result is unchanged)`;
    case 'gathered': {
      const { result } = outcome;
      const lines: string[] = [];
      if (result.outputDir === null) {
        const names = result.available.length > 0 ? result.available.join(', ') : 'none';
        lines.push(`must-gather: no container of ${service} found, nothing written (containers: ${names})`);
      } else {
        const by = outcome.gatheredHere ? '' : ` (gathered once for this run, by pid ${outcome.gatheredBy.pid})`;
        const count = result.containers.length;
        lines.push(`must-gather: saved ${count} container${count === 1 ? '' : 's'} of ${service} to ${result.outputDir}${by}`);
        const fallback = result.outputBase?.fallback ?? null;
        if (fallback !== null) lines.push(`must-gather: ${fallback}: wrote to ${result.outputBase?.dir} instead (outputDir or MUST_GATHER_DIR chooses the base)`);
        if (result.archivePath) lines.push(`must-gather: archive ${result.archivePath}`);
        if (result.incomplete) lines.push(`must-gather: incomplete${result.interruption ? ` (${result.interruption})` : ''}: see manifest.json`);
        // The verdict, so the test output itself says which container died and why: by the caller that
        // gathered; one that received its result (a teardown helper after the reporter, another worker) does not repeat it.
        if (result.triage && outcome.gatheredHere) lines.push(renderDigest(result.triage));
      }
      for (const warning of outcome.warnings) lines.push(`must-gather: ${warning}`);
      return lines.join('\n');
    }
  }
}

/** Options the framework entry points add for their own reporting. */
export interface ReportingOptions {
  /** Print nothing. */
  readonly quiet?: boolean;
  /** Where lines go; default stderr. */
  readonly log?: (line: string) => void;
}

/** Gather, print what happened (unless quiet), and hand the outcome back; throws only when strict. */
export async function gatherAndReport(options: TestRunGatherOptions & ReportingOptions): Promise<TestGatherOutcome> {
  const { quiet, log = (line: string) => void process.stderr.write(`${line}\n`), strict, ...rest } = options;
  const outcome = await gatherForTests(rest);
  const line = quiet ? null : describeOutcome(outcome, String(options.service));
  if (line !== null) log(line);
  if (outcome.status === 'error' && strict === true) throw outcome.error;
  return outcome;
}
