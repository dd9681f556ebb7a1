import { chalkStderr, type ChalkInstance } from 'chalk';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { errorMessage, MustGatherError, NoEngineError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { gather, type GatherResult } from './gather.js';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTPUT_DIR, DEFAULT_TIMEOUT_MS, type GatherOptions, type ProgressEvent } from './options.js';
import { formatNoMatch, formatRunReport, NO_PAINT, type Paint } from './report/text.js';
import { RUNTIME_CHOICES } from './runtime/detect.js';
import type { RuntimeChoice } from './runtime/types.js';
import { TOOL } from './version.js';

/** Where the CLI reads and writes; the real process by default, buffers in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts the run (SIGINT/SIGTERM). When absent, runCli listens for those signals itself. */
  readonly signal?: AbortSignal;
  readonly color?: boolean;
}

const EXIT_CODES_HELP = `
Exit codes:
  0  collected (even partially: failures are recorded in manifest.json)
  1  internal error (e.g. the output folder could not be written)
  2  usage error (bad service name or option); nothing written
  3  no usable container engine (podman or docker)
  4  no container matched; nothing written (the existing names are listed)
  130/143  interrupted by SIGINT/SIGTERM; what was collected is kept

Environment:
  MUST_GATHER_RUNTIME  default for --runtime
  MUST_GATHER_DIR      default for --output-dir
  CONTAINER_HOST, DOCKER_HOST  preferred by --runtime auto

Examples:
  must-gather signalprocessing
  must-gather signalprocessing postgres redis
  must-gather signalprocessing --archive --json
  must-gather gateway --container mock-llm-hapi --label com.docker.compose.project=gw`;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Seconds as `90`, `90s`, `2m`, `1h` or `500ms`, to milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const ms = match ? Math.round(Number(match[1]) * factor[(match[2] ?? 's') as keyof typeof factor]) : NaN;
  if (!Number.isFinite(ms) || ms < 1) throw new InvalidArgumentError('expected a duration such as 120, 90s, 2m or 1h');
  return ms;
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

interface CliFlags {
  alias?: string[];
  container?: string[];
  label?: string[];
  runtime?: RuntimeChoice;
  outputDir?: string;
  archive?: boolean;
  json?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
  concurrency?: number;
  timeout?: number;
  quiet?: boolean;
  verbose?: boolean;
}

function buildProgram(io: CliIo, run: (service: string, components: string[], flags: CliFlags) => Promise<void>): Command {
  const program = new Command('must-gather');
  program
    .description("Save the logs and inspect JSON of a service's test containers (running and exited) before teardown removes them.")
    .version(TOOL.version, '-V, --version')
    .argument('<service>', 'service under test: containers named <service>_… or <service>-… are collected')
    .argument('[components...]', 'only containers whose name holds each of these as a _/- separated word (e.g. postgres redis)')
    .option('-a, --alias <prefix>', 'another name prefix for the same service, e.g. sp (repeatable)', collect)
    .option('-c, --container <name>', 'also collect this exact container name or ID (repeatable)', collect)
    .option('-l, --label <key=value>', 'also collect containers with this label, e.g. a compose project (repeatable)', collect)
    // Defaults come from the environment in gather() (MUST_GATHER_RUNTIME, MUST_GATHER_DIR), not from commander,
    // which would read process.env instead of the env this run was given.
    .addOption(new Option('-r, --runtime <runtime>', 'container engine (default: auto)').choices(RUNTIME_CHOICES))
    .option('-o, --output-dir <dir>', `base folder for run folders (default: ${DEFAULT_OUTPUT_DIR})`)
    .option('--archive', 'also write <run folder>.tar.gz beside the folder')
    .option('--json', 'print the result as one JSON document on stdout (nothing else)')
    .option('--since <time>', 'logs since a timestamp (RFC 3339 or Unix) or for a duration (e.g. 10m)')
    .option('--until <time>', 'logs until a timestamp or duration ago')
    .option('--tail <lines>', 'only the last <lines> of each log ("all" for everything)')
    .option('-t, --timestamps', 'prefix each log line with the engine timestamp')
    .option('--concurrency <n>', 'containers collected at once', parseCount, DEFAULT_CONCURRENCY)
    .option('--timeout <duration>', `bound on the whole run: seconds, or 90s, 2m… (default: ${DEFAULT_TIMEOUT_MS / 1000})`, parseDuration)
    .option('-q, --quiet', 'no progress on stderr')
    .option('--verbose', 'show stack traces of unexpected errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (service: string, components: string[], flags: CliFlags) => run(service, components, flags));
  return program;
}

function paintFor(io: CliIo): Paint {
  const enabled = io.color ?? chalkStderr.level > 0;
  if (!enabled) return NO_PAINT;
  const c: ChalkInstance = chalkStderr;
  return { red: c.red, green: c.green, yellow: c.yellow, dim: c.dim, bold: c.bold };
}

function describeProgress(event: ProgressEvent): string {
  switch (event.type) {
    case 'runtime':
      return `using ${event.name} ${event.version} (${event.reason})`;
    case 'matched':
      return `collecting ${event.names.length} container${event.names.length === 1 ? '' : 's'} into ${event.outputDir}`;
    case 'container':
      return event.ok ? `collected ${event.name}` : `${event.name}: ${event.error}`;
    case 'archive':
      return `wrote ${event.path}`;
  }
}

/** Listen for SIGINT/SIGTERM while `body` runs; returns the signal received, if any. */
async function withSignals<T>(body: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; received: NodeJS.Signals | null }> {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (name: NodeJS.Signals): void => {
    received = name;
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return { value: await body(controller.signal), received };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Run the CLI with `argv` (without `node` and the script). Returns the exit code; never exits itself. */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? ((text) => void process.stdout.write(text)),
    stderr: io.stderr ?? ((text) => void process.stderr.write(text)),
    env: io.env ?? process.env,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.color !== undefined ? { color: io.color } : {}),
  };
  const paint = paintFor(full);
  let exitCode: number = ExitCode.OK;
  let verbose = false;

  const run = async (service: string, components: string[], flags: CliFlags): Promise<void> => {
    verbose = flags.verbose === true;
    const say = (line: string): void => {
      if (!flags.quiet) full.stderr(`${paint.dim('must-gather:')} ${line}\n`);
    };
    const execute = async (signal: AbortSignal): Promise<GatherResult> =>
      gather({
        service,
        components,
        aliases: flags.alias ?? [],
        containers: flags.container ?? [],
        labels: flags.label ?? [],
        ...(flags.runtime ? { runtime: flags.runtime } : {}),
        ...(flags.outputDir ? { outputDir: flags.outputDir } : {}),
        archive: flags.archive === true,
        since: flags.since,
        until: flags.until,
        tail: flags.tail,
        timestamps: flags.timestamps === true,
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
        ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
        env: full.env,
        signal,
        onProgress: (event) => say(describeProgress(event)),
      } satisfies GatherOptions);

    const { value: result, received } = full.signal
      ? { value: await execute(full.signal), received: full.signal.aborted ? (String(full.signal.reason) as NodeJS.Signals) : null }
      : await withSignals(execute);

    if (flags.json) full.stdout(JSON.stringify(result, null, 2) + '\n');
    if (result.outputDir === null) {
      full.stderr(`${paint.red('must-gather:')} ${formatNoMatch(result)}\n`);
      exitCode = ExitCode.NO_MATCH;
      return;
    }
    if (!flags.quiet) full.stderr(formatRunReport(result, paint) + '\n');
    if (!flags.json) full.stdout(`${result.outputDir}\n${result.archivePath ? result.archivePath + '\n' : ''}`);
    exitCode = received === 'SIGINT' ? 130 : received === 'SIGTERM' ? 143 : ExitCode.OK;
  };

  const program = buildProgram(full, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; every other commander error is a usage error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (error instanceof MustGatherError) {
      full.stderr(`${paint.red('must-gather:')} ${error.message}\n`);
      if (error instanceof NoEngineError) {
        full.stderr('Install podman or docker (see scripts/setup-engines.sh), or point CONTAINER_HOST/DOCKER_HOST at an engine.\n');
        return ExitCode.NO_ENGINE;
      }
      return ExitCode.USAGE;
    }
    full.stderr(`${paint.red('must-gather: unexpected error:')} ${errorMessage(error)}\n`);
    if (verbose && error instanceof Error && error.stack) full.stderr(`${error.stack}\n`);
    return ExitCode.INTERNAL;
  }
  return exitCode;
}
