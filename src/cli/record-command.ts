import { spawn } from 'node:child_process';
import { markRecording } from '../test-run/recording-marker.js';
import { constants } from 'node:os';
import { Option, type Command } from 'commander';
import { RUNTIME_CHOICES, TRANSPORT_CHOICES } from '../runtime/types.js';
import { errorMessage, NoEngineError, UsageError } from '../_util/errors.js';
import { collectRepeatable, newProgram, parseDuration, runProgram, type CliIo } from './shared.js';
import type { RecordOptions, Recording } from '../record/record.js';

/** `timeout(1)`'s exit code when the command ran out of time. */
export const TIMED_OUT_EXIT = 124;
/** Between SIGTERM to the command's process group and SIGKILL. */
const KILL_GRACE_MS = 5_000;

interface RecordFlags {
  alias?: string[];
  container?: string[];
  label?: string[];
  runtime?: RecordOptions['runtime'];
  transport?: RecordOptions['transport'];
  outputDir?: string;
  archive?: boolean;
  when?: 'always' | 'on-failure';
  commandTimeout?: number;
  redact?: boolean;
  redact_?: string[];
  maxLogSize?: string;
}

function buildProgram(io: CliIo, run: (service: string, components: string[], flags: RecordFlags) => Promise<void>): Command {
  return newProgram('must-gather record', io)
    .description("Run a test command while following the service's containers: every container's log, inspect and events are kept (by default only when the command fails).")
    .usage('<service> [components...] [options] -- <command> [args...]')
    .argument('<service>', 'service under test: containers named <service>_… or <service>-… are followed')
    .argument('[components...]', 'only containers whose name holds any one of these as a _/- separated word')
    .option('-a, --alias <prefix>', 'another name prefix for the same service (repeatable)', collectRepeatable)
    .option('-c, --container <name>', 'also follow this exact container name or ID (repeatable)', collectRepeatable)
    .option('-l, --label <key=value>', 'also follow containers with this label (repeatable)', collectRepeatable)
    .addOption(new Option('-r, --runtime <runtime>', 'container engine (default: auto)').choices(RUNTIME_CHOICES))
    .addOption(new Option('--transport <transport>', 'how to reach the engine: its Engine API socket or its CLI (default: auto)').choices(TRANSPORT_CHOICES))
    .option('-o, --output-dir <dir>', 'base folder for run folders')
    .option('--archive', 'also write <run folder>.tar.gz beside the folder')
    .addOption(new Option('--when <when>', 'on-failure: keep the folder only when the command fails; always: keep it anyway').choices(['on-failure', 'always']).default('on-failure'))
    .option('--command-timeout <duration>', 'end the command after this long (SIGTERM, then SIGKILL), keep the evidence, exit 124', parseDuration)
    .option('--no-redact', 'keep secrets as they are')
    .option('--max-log-size <size>', 'keep at most this much of each log, head and tail')
    .action(async (service: string, components: string[], flags: RecordFlags) => run(service, components, flags));
}

/** `must-gather record <service> … -- <command> [args...]`. */
export async function runRecord(argv: readonly string[], io: CliIo): Promise<number> {
  const split = argv.indexOf('--');
  const own = split >= 0 ? argv.slice(0, split) : argv;
  const command = split >= 0 ? argv.slice(split + 1) : [];
  let exitCode = 0;
  const run = async (service: string, components: string[], flags: RecordFlags): Promise<void> => {
    if (command.length === 0) throw new UsageError('record needs the test command after --, e.g. must-gather record myservice -- make test');
    exitCode = await recordCommand(service, components, flags, command, io);
  };
  const code = await runProgram(buildProgram(io, run), own, io, () => exitCode);
  return code;
}

async function recordCommand(service: string, components: string[], flags: RecordFlags, command: readonly string[], io: CliIo): Promise<number> {
  const { record } = await import('../record/record.js');
  const say = (text: string): void => io.stderr(`must-gather: ${text}\n`);
  let recording: Recording | null = null;
  try {
    recording = await record({
      service,
      components,
      ...(flags.alias ? { aliases: flags.alias } : {}),
      ...(flags.container ? { containers: flags.container } : {}),
      ...(flags.label ? { labels: flags.label } : {}),
      ...(flags.runtime ? { runtime: flags.runtime } : {}),
      ...(flags.transport ? { transport: flags.transport } : {}),
      ...(flags.outputDir ? { outputDir: flags.outputDir } : {}),
      archive: flags.archive === true,
      redact: flags.redact !== false,
      ...(flags.maxLogSize ? { maxLogSize: flags.maxLogSize } : {}),
      when: flags.when ?? 'on-failure',
      env: io.env,
    });
  } catch (error) {
    // No engine must not stop the tests: they run unrecorded, and say so.
    if (!(error instanceof NoEngineError)) throw error;
    say(`not recording (${errorMessage(error).replace(/\s*\n\s*/g, ' ')}); running the command anyway`);
  }
  // The command's own snapshot steps (`--if-failed`, the framework reporters) then leave this service to the recording.
  const env = { ...io.env };
  if (recording) markRecording(service, env);
  const outcome = await runChild(command, env, flags.commandTimeout ?? null, async () => {
    await recording?.snapshot();
  });
  if (!recording) return outcome.exitCode;
  const failed = outcome.exitCode !== 0;
  const interruption = outcome.timedOut ? `command timed out after ${(flags.commandTimeout ?? 0) / 1000} s (--command-timeout)` : outcome.received ? `interrupted (${outcome.received})` : null;
  const result = await recording.stop({ failed, interruption });
  const n = result.containers.length;
  const what = `${n} container ${n === 1 ? 'instance' : 'instances'}`;
  if (result.outputDir) say(`command ${outcome.timedOut ? 'timed out' : `exited ${outcome.exitCode}`}; ${what} recorded in ${result.archivePath ?? result.outputDir}`);
  else say(`command exited ${outcome.exitCode}; nothing kept (${what} followed; --when ${flags.when ?? 'on-failure'})`);
  return outcome.exitCode;
}

interface ChildOutcome {
  readonly exitCode: number;
  readonly timedOut: boolean;
  readonly received: NodeJS.Signals | null;
}

/** Send a signal to the command's whole process group; a group already gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* ESRCH: nothing left */
  }
}

/**
 * Run the command in its own process group, stdio inherited. On timeout: save the state, SIGTERM the
 * group, SIGKILL it after a grace period. SIGINT/SIGTERM received are forwarded to the group.
 */
function runChild(command: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number | null, beforeKill: () => Promise<void>): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, { stdio: 'inherit', detached: true, env });
    let timedOut = false;
    let received: NodeJS.Signals | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    const pid = child.pid;
    const end = (signal: NodeJS.Signals): void => {
      if (pid === undefined) return;
      signalGroup(pid, signal);
      killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const forward = (signal: NodeJS.Signals): void => {
      received = signal;
      end(signal);
    };
    const onInt = (): void => forward('SIGINT');
    const onTerm = (): void => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const timer =
      timeoutMs === null
        ? null
        : setTimeout(() => {
            timedOut = true;
            void beforeKill()
              .catch(() => {})
              .then(() => end('SIGTERM'));
          }, timeoutMs);
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    child.once('error', (error) => {
      cleanup();
      reject(new UsageError(`cannot run ${file}: ${errorMessage(error)}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      // What the command left running in its group goes with it: no process is left behind.
      if (pid !== undefined && (timedOut || received)) signalGroup(pid, 'SIGKILL');
      const exitCode = timedOut ? TIMED_OUT_EXIT : code !== null ? code : 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      resolve({ exitCode, timedOut, received });
    });
  });
}
