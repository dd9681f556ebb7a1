import { Option, type Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { appendFileSync } from 'node:fs';
import { gather, type GatherResult } from '../gather.js';
import { gatherForTests, type GatherWhen } from '../integrations/core.js';
import { shouldGather } from '../integrations/if-failed.js';
import { renderDigest } from '../report/digest.js';
import { githubActions } from '../report/github.js';
import { toFindingsJson, type TriageReport } from '../report/triage.js';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTPUT_DIR, DEFAULT_TIMEOUT_MS, type GatherOptions, type ProgressEvent } from '../options.js';
import { formatNoMatch, formatRunReport } from '../report/text.js';
import { RUNTIME_CHOICES, TRANSPORT_CHOICES } from '../runtime/detect.js';
import type { RuntimeChoice, TransportChoice } from '../runtime/types.js';
import { TOOL } from '../version.js';
import {
  collectRepeatable,
  newProgram,
  paintFor,
  parseCount,
  parseDuration,
  runProgram,
  signalExitCode,
  withSignals,
  type CliIo,
} from './shared.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  collected (even partially: failures are recorded in manifest.json)
  1  internal error (a bug: please report it)
  2  usage error (bad service name or option); nothing written
  3  no usable container engine (podman or docker)
  4  no container matched; nothing written (the existing names are listed)
  5  output folder unsafe (a symlink, someone else's) or manifest.json unwritable
  130/143  interrupted by SIGINT/SIGTERM; what was collected is kept

Environment:
  MUST_GATHER_RUNTIME    default for --runtime
  MUST_GATHER_TRANSPORT  default for --transport
  MUST_GATHER_DIR        default for --output-dir
  CONTAINER_HOST, DOCKER_HOST, DOCKER_CONTEXT  where to look first for an engine

Other commands:
  must-gather doctor     which engines answer where, and which would be used
  must-gather prune      remove old run folders and archives (--older-than 7d, --keep N, --dry-run)
  must-gather report <folder|archive>   the verdict of a saved run (--json, --markdown)
  (a service named like a command: must-gather gather <service>)

Examples:
  must-gather signalprocessing
  must-gather signalprocessing postgres redis
  must-gather signalprocessing --archive --json
  must-gather gateway --container mock-llm-hapi --label com.docker.compose.project=gw`;

interface CliFlags {
  alias?: string[];
  container?: string[];
  label?: string[];
  runtime?: RuntimeChoice;
  transport?: TransportChoice;
  outputDir?: string;
  archive?: boolean;
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

function buildProgram(io: CliIo, run: (service: string, components: string[], flags: CliFlags) => Promise<void>): Command {
  return newProgram('must-gather', io)
    .description("Save the logs and inspect JSON of a service's test containers (running and exited) before teardown removes them.")
    .version(TOOL.version, '-V, --version')
    .argument('<service>', 'service under test: containers named <service>_… or <service>-… are collected')
    .argument('[components...]', 'only containers whose name holds each of these as a _/- separated word (e.g. postgres redis)')
    .option('-a, --alias <prefix>', 'another name prefix for the same service, e.g. sp (repeatable)', collectRepeatable)
    .option('-c, --container <name>', 'also collect this exact container name or ID (repeatable)', collectRepeatable)
    .option('-l, --label <key=value>', 'also collect containers with this label, e.g. a compose project (repeatable)', collectRepeatable)
    // Defaults come from the environment in gather() (MUST_GATHER_RUNTIME, MUST_GATHER_DIR), not from commander,
    // which would read process.env instead of the env this run was given.
    .addOption(new Option('-r, --runtime <runtime>', 'container engine; all: every engine that answers (default: auto)').choices(RUNTIME_CHOICES))
    .addOption(new Option('--transport <transport>', 'Engine API socket or CLI; auto: the API when a socket answers (default: auto)').choices(TRANSPORT_CHOICES))
    .option('-o, --output-dir <dir>', `base folder for run folders (default: ${DEFAULT_OUTPUT_DIR})`)
    .option('--archive', 'also write <run folder>.tar.gz beside the folder')
    .option('--json', 'print the result as one JSON document on stdout (nothing else)')
    .option('--since <time>', 'logs since a timestamp (RFC 3339 or Unix) or for a duration (e.g. 10m)')
    .option('--until <time>', 'logs until a timestamp or duration ago')
    .option('--tail <lines>', 'only the last <lines> of each log ("all" for everything)')
    .option('-t, --timestamps', 'prefix each log line with the engine timestamp')
    .option('--no-redact', 'keep secrets as they are (default: redact passwords, tokens, keys, secret env values)')
    .option('--redact <regex>', 'also redact what this regular expression matches (repeatable; /src/flags accepted)', collectRepeatable)
    .option('--max-log-size <size>', 'keep at most this much of each log, head and tail, e.g. 50MB (default: all)')
    .option('--concurrency <n>', 'containers collected at once', parseCount, DEFAULT_CONCURRENCY)
    .option('--timeout <duration>', `bound on the whole run: seconds, or 90s, 2m… (default: ${DEFAULT_TIMEOUT_MS / 1000})`, parseDuration)
    .option('--container-timeout <duration>', 'bound on each container’s inspect and log (default: only --timeout)', parseDuration)
    .addOption(new Option('--when <when>', 'always, on-failure (needs --exit-code or MUST_GATHER_TEST_EXIT_CODE) or never (default: env MUST_GATHER_WHEN or always)').choices(['always', 'on-failure', 'never']))
    .option('--if-failed', 'gather only if the tests failed: same as --when on-failure')
    .option('--exit-code <n>', "the test command's exit status ($?); implies --when on-failure")
    .option('--run-key <key>', 'callers sharing this key (and service) gather once; the others get the same result (default: env MUST_GATHER_RUN_KEY or the CI job)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--verbose', 'show stack traces of unexpected errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (service: string, components: string[], flags: CliFlags) => run(service, components, flags));
}

function describeProgress(event: ProgressEvent): string {
  switch (event.type) {
    case 'runtime':
      return `using ${event.name} ${event.version} over ${event.transport === 'api' ? `the Engine API at ${event.endpoint}` : 'its CLI'} (${event.reason})`;
    case 'matched':
      return `collecting ${event.names.length} container${event.names.length === 1 ? '' : 's'} into ${event.outputDir}`;
    case 'container':
      return event.ok ? `collected ${event.name}` : `${event.name}: ${event.error}`;
    case 'archive':
      return `wrote ${event.path}`;
  }
}

/** Under GitHub Actions: step summary, `dir=`/`archive=` outputs, one annotation per failed container. */
function announceOnGithub(triage: TriageReport, result: GatherResult, io: CliIo): void {
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

/** `must-gather [gather] <service> [components...]`: collect a service's containers. */
export async function runGather(argv: readonly string[], io: CliIo): Promise<number> {
  const paint = paintFor(io);
  let exitCode: number = ExitCode.OK;

  const run = async (service: string, components: string[], flags: CliFlags): Promise<void> => {
    const say = (line: string): void => {
      if (!flags.quiet) io.stderr(`${paint.dim('must-gather:')} ${line}\n`);
    };
    // --when/--if-failed/--exit-code/--run-key: a test-suite step (Makefile, CI after_script, Go's AfterSuite).
    const forTests = flags.when !== undefined || flags.ifFailed === true || flags.exitCode !== undefined || flags.runKey !== undefined;
    const decision = forTests
      ? shouldGather({
          when: flags.when ?? (flags.ifFailed || flags.exitCode !== undefined ? 'on-failure' : io.env.MUST_GATHER_WHEN || 'always'),
          exitCode: flags.exitCode,
          env: io.env,
        })
      : null;
    if (decision && !decision.gather) {
      io.stderr(`${paint.dim('must-gather:')} ${decision.reason}; nothing gathered\n`);
      if (flags.json) io.stdout(JSON.stringify({ skipped: true, reason: decision.reason }) + '\n');
      return;
    }
    const run = (options: GatherOptions): Promise<GatherResult> =>
      decision
        ? gatherForTests({ ...options, when: decision.when, failed: decision.failed, framework: 'cli', strict: true, ...(flags.runKey ? { runKey: flags.runKey } : {}) }).then(
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
      exitCode = signalExitCode(received) || 130;
      return;
    }

    // The triage report is for the library's callers; --json prints its machine-readable findings instead.
    const { triage, ...printable } = result;
    if (flags.json) io.stdout(JSON.stringify({ ...printable, findings: triage ? toFindingsJson(triage) : null }, null, 2) + '\n');
    if (result.outputDir === null) {
      io.stderr(`${paint.red('must-gather:')} ${formatNoMatch(result)}\n`);
      exitCode = ExitCode.NO_MATCH;
      return;
    }
    if (!flags.quiet) {
      if (triage) io.stderr(renderDigest(triage, paint) + '\n');
      io.stderr(formatRunReport(result, paint, { containers: triage === null }) + '\n');
    }
    if (triage) announceOnGithub(triage, result, io);
    if (!flags.json) io.stdout(`${result.outputDir}\n${result.archivePath ? result.archivePath + '\n' : ''}`);
    exitCode = signalExitCode(received);
  };

  return runProgram(buildProgram(io, run), argv, io, () => exitCode);
}
