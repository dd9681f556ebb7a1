/**
 * Record mode from a test framework's setup hook (issue 11): start a recording before the suite starts its
 * containers, stop it in the teardown with whether the run failed. What the framework entry points share:
 * the options checked at once, the recording marked so that the snapshot entry points of the same run step
 * aside, what the run knew written as test-run.json, one line (and the verdict) for the test output, and
 * never failing the run because of must-gather — unless `strict`.
 */
import { STREAMING_V8_FLAGS } from '../_util/v8-flags.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RecordOptions, RecordResult } from '../record/record.js';
import { resolveOptions } from '../gather/options.js';
import { markRecording } from '../test-run/recording-marker.js';
import {
  resolveWhen,
  runStart,
  testRunRecord,
  writeTestRunFile,
  type ReportingOptions,
  type TestGatherOptions,
  type TestRunInfo,
} from '../test-run/gather-for-tests.js';
import { errorMessage } from '../_util/errors.js';
import { checkedOptions } from './_check.js';
import { handOverRecording, takeRecordings } from './_handoff.js';

/** The options of a framework's record entry point: gather()'s, `when`, `strict`, `quiet`, `log`. */
export type TestRecordOptions = Omit<TestGatherOptions, 'runKey' | 'lock'> & ReportingOptions;

export type TestRecordOutcome =
  /** `when: 'never'`: nothing was recorded. */
  | { readonly status: 'skipped'; readonly reason: string }
  /** Recorded; `result.kept` says whether the folder stayed (`when: 'on-failure'` and a passing run: not). */
  | {
      readonly status: 'recorded';
      readonly result: RecordResult;
      /** The verdict as the terminal shows it, when the folder was kept. */
      readonly digest: string | null;
      readonly testRunFile: string | null;
      readonly warnings: readonly string[];
    }
  /** The recording could not start, or not finish: the tests ran anyway. */
  | { readonly status: 'error'; readonly error: Error };

/** A recording started for a test run. */
export interface TestRecording {
  readonly service: string;
  /** The run folder being written, or null when nothing is recorded. */
  readonly outputDir: string | null;
  /** Stop it, keep the folder when the run failed (or `when: 'always'`), and report. Stops once. */
  stop(run: TestRunInfo): Promise<TestRecordOutcome>;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error));
}

/** What the runner asks of its recording process (`_record-process.ts`). */
export type RecordProcessRequest =
  | { readonly type: 'start'; readonly options: RecordOptions }
  | { readonly type: 'stop'; readonly failed: boolean; readonly interruption: string | null };
/** What the recording process answers; `failed` carries the error that ended it. */
export type RecordProcessReply =
  | { readonly type: 'started'; readonly outputDir: string }
  | { readonly type: 'stopped'; readonly result: RecordResult; readonly digest: string | null }
  | { readonly type: 'failed'; readonly error: { readonly name: string; readonly message: string; readonly code?: string } };

const RECORD_PROCESS = fileURLToPath(new URL('./_record-process.js', import.meta.url));

/** The recording process's next answer; its exit before answering is an error. */
function nextReply(child: ChildProcess): Promise<RecordProcessReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: RecordProcessReply): void => {
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      child.off('message', onMessage);
      reject(new Error(`the recording process ended (${signal ?? `exit code ${code}`}) before answering`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

function replyError(reply: RecordProcessReply): Error {
  if (reply.type !== 'failed') return new Error(`unexpected answer from the recording process: ${reply.type}`);
  return Object.assign(new Error(reply.error.message), { name: reply.error.name, ...(reply.error.code ? { code: reply.error.code } : {}) });
}

interface RemoteRecording {
  readonly outputDir: string;
  stop(failed: boolean): Promise<{ readonly result: RecordResult; readonly digest: string | null }>;
}

/**
 * Start `record(options)` in a process of its own (see `_record-process.ts` for why), resolved once it
 * watches. It does not keep the runner alive: a runner that exits without stopping it leaves it to stop
 * on its own, keeping the evidence as a failed run's.
 */
async function recordInItsOwnProcess(options: RecordOptions, env: NodeJS.ProcessEnv): Promise<RemoteRecording> {
  // Not the runner's execArgv (vitest's, ts-node's loaders and flags are not the recording's): must-gather's own.
  const child = fork(RECORD_PROCESS, [], { env, execArgv: [...STREAMING_V8_FLAGS], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.send({ type: 'start', options } satisfies RecordProcessRequest);
  const started = await nextReply(child);
  if (started.type !== 'started') throw replyError(started);
  child.unref();
  child.channel?.unref();
  return {
    outputDir: started.outputDir,
    async stop(failed) {
      child.ref();
      child.channel?.ref();
      child.send({ type: 'stop', failed, interruption: null } satisfies RecordProcessRequest);
      const stopped = await nextReply(child);
      if (stopped.type !== 'stopped') throw replyError(stopped);
      return stopped;
    },
  };
}

/** The lines for the test output: the folder and the verdict when kept; nothing for a passing run. */
export function describeRecording(outcome: TestRecordOutcome, service: string): string | null {
  switch (outcome.status) {
    case 'skipped':
      return null;
    case 'error':
      return `must-gather: could not record the containers of ${service}: ${outcome.error.message} (the test run's result is unchanged)`;
    case 'recorded': {
      const { result } = outcome;
      const lines: string[] = [];
      if (result.kept && result.outputDir !== null) {
        const n = result.containers.length;
        lines.push(`must-gather: recorded ${n} container${n === 1 ? '' : 's'} of ${service} to ${result.outputDir}`);
        if (result.archivePath) lines.push(`must-gather: archive ${result.archivePath}`);
        if (result.incomplete) lines.push(`must-gather: incomplete${result.interruption ? ` (${result.interruption})` : ''}: see manifest.json`);
        if (outcome.digest) lines.push(outcome.digest);
      }
      for (const warning of outcome.warnings) lines.push(`must-gather: ${warning}`);
      return lines.length > 0 ? lines.join('\n') : null;
    }
  }
}

/**
 * Start recording `options.service` for a `framework` run. Throws {@link UsageError} (named after `where`)
 * for invalid options at once; when the recording cannot start (no engine answers), says so and returns a
 * recording that records nothing, so the tests run anyway — or throws, with `strict`.
 */
export async function startTestRecording(framework: string, where: string, options: TestRecordOptions): Promise<TestRecording> {
  checkedOptions(where, options);
  const { quiet, log = (line: string) => void process.stderr.write(`${line}\n`), strict, when: whenOption, ...recordOptions } = options;
  const say = (line: string | null): void => {
    if (line !== null && !quiet) log(line);
  };
  const env = recordOptions.env ?? process.env;
  const service = resolveOptions({ ...recordOptions, env }).service;
  const when = resolveWhen(whenOption, env);
  const idle = (outcome: TestRecordOutcome): TestRecording => ({ service, outputDir: null, stop: async () => outcome });
  if (when === 'never') return idle({ status: 'skipped', reason: 'when is never' });
  const startedAt = new Date();
  // Functions and signals stay here: the recording runs in another process.
  const { signal: _signal, now: _now, onProgress: _onProgress, ...wireOptions } = recordOptions;
  let recording: RemoteRecording;
  try {
    recording = await recordInItsOwnProcess({ ...wireOptions, env, when }, env);
  } catch (error) {
    if (strict === true) throw error;
    say(`must-gather: not recording the containers of ${service}: ${errorMessage(error)} (the tests run anyway)`);
    return idle({ status: 'error', error: asError(error) });
  }
  // The snapshot entry points of this run (a reporter, an --if-failed step the suite spawns) step aside.
  const unmark = markRecording(service, env);
  let stopping: Promise<TestRecordOutcome> | null = null;
  const stop = async (run: TestRunInfo): Promise<TestRecordOutcome> => {
    unmark();
    const warnings: string[] = [];
    // Not knowing whether the run failed is no reason to lose its evidence.
    if (run.failed === null) warnings.push(`cannot tell whether the ${framework} run failed (${run.unknownReason ?? 'nothing reported it'}): the recording is kept`);
    let outcome: TestRecordOutcome;
    try {
      const { result, digest } = await recording.stop(run.failed ?? true);
      const stoppedAt = new Date();
      const testRun = testRunRecord({
        framework,
        runKey: { key: `record-${process.pid}`, source: 'process' },
        when,
        failed: run.failed,
        failures: run.failures ?? [],
        startedAt: run.runStartedAt !== undefined ? runStart(run.runStartedAt) : startedAt,
        at: stoppedAt,
      });
      const testRunFile = result.kept && result.outputDir !== null ? await writeTestRunFile(result.outputDir, testRun, warnings) : null;
      outcome = { status: 'recorded', result, digest, testRunFile, warnings };
    } catch (error) {
      if (strict === true) throw error;
      outcome = { status: 'error', error: asError(error) };
    }
    say(describeRecording(outcome, service));
    return outcome;
  };
  return {
    service,
    outputDir: recording.outputDir,
    stop: (run) => (stopping ??= stop(run)),
  };
}

/** What a record entry point resolves to: stop the recording, keep the folder if the run failed, report. */
export type StopRecording = () => Promise<TestRecordOutcome>;

/**
 * {@link startTestRecording}, with the outcome read from `run` when stopped; the stop function is also kept
 * for {@link stopHandedOver}, for frameworks whose teardown is another module (jest's globalTeardown).
 */
export async function recordForFramework(framework: string, where: string, options: TestRecordOptions, run: () => TestRunInfo): Promise<StopRecording> {
  const recording = await startTestRecording(framework, where, options);
  const stop: StopRecording = () => recording.stop(run());
  handOverRecording(framework, stop);
  return stop;
}

/** Stop the recordings {@link recordForFramework} started for `framework` in this process: one outcome each. */
export async function stopHandedOver(framework: string): Promise<TestRecordOutcome[]> {
  return Promise.all(takeRecordings<StopRecording>(framework).map((stop) => stop()));
}
