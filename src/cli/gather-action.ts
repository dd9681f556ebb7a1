import { appendFileSync } from 'node:fs';
import type { RuntimeChoice, TransportChoice } from '../runtime/types.js';
import type { GatherWhen } from '../test-run/when.js';
import { ExitCode } from './exit-codes.js';
import { gather, type GatherResult } from '../gather/gather.js';
import { isRecorded, RECORDING_ENV } from '../test-run/recording-marker.js';
import type { GatherOptions, ProgressEvent } from '../gather/options.js';
import type { TriageReport } from '../triage/verdict.js';
import { paintFor, signalExitCode, withSignals, type CliIo } from './shared.js';

/** What commander parses from the command line. */
export interface CliFlags {
  alias?: string[];
  container?: string[];
  label?: string[];
  runtime?: RuntimeChoice;
  transport?: TransportChoice;
  outputDir?: string;
  archive?: boolean;
  engineInfo?: boolean;
  json?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
  concurrency?: number;
  timeout?: number;
  containerTimeout?: number;
  redact?: boolean | string[];
  when?: GatherWhen;
  ifFailed?: boolean;
  exitCode?: string;
  runKey?: string;
  maxLogSize?: string;
  quiet?: boolean;
  verbose?: boolean;
}

function describeProgress(event: ProgressEvent): string {
  switch (event.type) {
    case 'runtime':
      return `using ${event.name} ${event.version} over ${event.transport === 'api' ? `the Engine API at ${event.endpoint}` : 'its CLI'} (${event.reason})`;
    case 'output-base':
      return `${event.reason}: writing to ${event.dir} instead (--output-dir or MUST_GATHER_DIR chooses the base)`;
    case 'matched':
      return `collecting ${event.names.length} container${event.names.length === 1 ? '' : 's'} into ${event.outputDir}`;
    case 'container':
      return event.ok ? `collected ${event.name}` : `${event.name}: ${event.error}`;
    case 'archive':
      return `wrote ${event.path}`;
    case 'warning':
      return `warning: ${event.message}`;
  }
}

/** Under GitHub Actions: step summary, `dir=`/`archive=` outputs, one annotation per failed container. */
async function announceOnGithub(triage: TriageReport, result: GatherResult, io: CliIo): Promise<void> {
  // Loaded only there (it renders a second SUMMARY.md for the step summary).
  if (io.env.GITHUB_ACTIONS !== 'true') return;
  const { githubActions } = await import('../render/github.js');
  const github = githubActions(triage, { dir: result.outputDir as string, archive: result.archivePath }, io.env);
  if (!github) return;
  if (github.stepSummary !== null && io.env.GITHUB_STEP_SUMMARY) appendFileSync(io.env.GITHUB_STEP_SUMMARY, github.stepSummary);
  if (github.outputs !== null && io.env.GITHUB_OUTPUT) appendFileSync(io.env.GITHUB_OUTPUT, github.outputs);
  // The runner reads workflow commands from stderr too; stdout stays the folder path or the --json document.
  io.stderr(github.stdout);
}

/**
 * commander gives `--no-redact` and `--redact <regex>` one property: `false` for the first, the list of
 * patterns for the second, `true` when neither was given.
 */
function redactOptions(value: boolean | string[] | undefined): Pick<GatherOptions, 'redact' | 'redactPatterns'> {
  if (value === false) return { redact: false };
  return Array.isArray(value) ? { redact: true, redactPatterns: value } : { redact: true };
}

/**
 * The gather command's work, once commander has parsed its arguments: loaded only then, so that `--help`
 * and usage errors do not load the whole library. Returns the exit code.
 */
export async function gatherFromCli(service: string, components: string[], flags: CliFlags, io: CliIo): Promise<number> {
  const paint = paintFor(io);
  const say = (line: string): void => {
    if (!flags.quiet) io.stderr(`${paint.dim('must-gather:')} ${line}\n`);
  };
  // --when/--if-failed/--exit-code/--run-key: a test-suite step (Makefile, CI after_script, Go's AfterSuite).
  const forTests = flags.when !== undefined || flags.ifFailed === true || flags.exitCode !== undefined || flags.runKey !== undefined;
  // What the end of the run prints, loaded while it runs; the test-suite step's modules only for that step.
  const report = Promise.all([import('../render/digest.js'), import('./run-text.js'), import('../triage/findings-json.js')] as const);
  report.catch(() => {});
  const forTestsModules = forTests ? await Promise.all([import('../test-run/decision.js'), import('../test-run/gather-for-tests.js')] as const) : null;
  const decision = forTestsModules
    ? forTestsModules[0].shouldGather({
        when: flags.when ?? (flags.ifFailed || flags.exitCode !== undefined ? 'on-failure' : io.env.MUST_GATHER_WHEN || 'always'),
        exitCode: flags.exitCode,
        env: io.env,
      })
    : null;
  // A suite's own --if-failed step inside `must-gather record … -- <command>`: the recording keeps the run.
  const skipReason = decision && !decision.gather ? decision.reason : decision && isRecorded(service, io.env) ? `${service} is being recorded (${RECORDING_ENV})` : null;
  if (skipReason !== null) {
    io.stderr(`${paint.dim('must-gather:')} ${skipReason}; nothing gathered\n`);
    if (flags.json) io.stdout(JSON.stringify({ skipped: true, reason: skipReason }) + '\n');
    return ExitCode.OK;
  }
  const run = (options: GatherOptions): Promise<GatherResult> =>
    decision && forTestsModules
      ? forTestsModules[1].gatherForTests({ ...options, when: decision.when, failed: decision.failed, framework: 'cli', strict: true, ...(flags.runKey ? { runKey: flags.runKey } : {}) }).then(
          (outcome) => {
            if (outcome.status !== 'gathered') throw new Error(`unexpected outcome: ${outcome.status}`);
            return outcome.result;
          },
        )
      : gather(options);
  const { value: result, received } = await withSignals(io, (signal) =>
    run({
      service,
      components,
      aliases: flags.alias ?? [],
      containers: flags.container ?? [],
      labels: flags.label ?? [],
      ...(flags.runtime ? { runtime: flags.runtime } : {}),
      ...(flags.transport ? { transport: flags.transport } : {}),
      ...(flags.outputDir ? { outputDir: flags.outputDir } : {}),
      archive: flags.archive === true,
      engineInfo: flags.engineInfo === true,
      since: flags.since,
      until: flags.until,
      tail: flags.tail,
      timestamps: flags.timestamps === true,
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
      ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
      ...(flags.containerTimeout !== undefined ? { containerTimeoutMs: flags.containerTimeout } : {}),
      ...(flags.maxLogSize !== undefined ? { maxLogSize: flags.maxLogSize } : {}),
      ...redactOptions(flags.redact),
      env: io.env,
      signal,
      onProgress: (event) => say(describeProgress(event)),
    } satisfies GatherOptions).catch((error: unknown) => {
      // Interrupted before the run folder existed (e.g. while looking for an engine): nothing to keep.
      if (signal.aborted) return null;
      throw error;
    }),
  );
  if (result === null) {
    io.stderr(`${paint.red('must-gather:')} interrupted before anything was collected; nothing written\n`);
    return signalExitCode(received) || 130;
  }

  // The triage report is for the library's callers; --json prints its machine-readable findings instead.
  const { triage, ...printable } = result;
  const [{ renderDigest }, { formatNoMatch, formatRunReport }, { toFindingsJson }] = await report;
  if (flags.json) io.stdout(JSON.stringify({ ...printable, findings: triage ? toFindingsJson(triage) : null }, null, 2) + '\n');
  if (result.outputDir === null) {
    io.stderr(`${paint.red('must-gather:')} ${formatNoMatch(result)}\n`);
    return ExitCode.NO_MATCH;
  }
  if (!flags.quiet) {
    if (triage) io.stderr(renderDigest(triage, paint) + '\n');
    io.stderr(formatRunReport(result, paint, { containers: triage === null }) + '\n');
  }
  if (triage) await announceOnGithub(triage, result, io);
  if (!flags.json) io.stdout(`${result.outputDir}\n${result.archivePath ? result.archivePath + '\n' : ''}`);
  return signalExitCode(received);
}
