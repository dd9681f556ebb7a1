import { chalkStderr } from 'chalk';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { errorMessage, MustGatherError } from '../_util/errors.js';
import { durationReader, TIMEOUT_GRAMMAR } from '../_util/units.js';
import { ExitCode } from './exit-codes.js';
import { NO_PAINT, type Paint } from '../render/paint.js';

/** Where the CLI reads and writes; the real process by default, buffers in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts the run (SIGINT/SIGTERM). When absent, the command listens for those signals itself. */
  readonly signal?: AbortSignal;
  readonly color?: boolean;
}

export function resolveIo(io: Partial<CliIo>): CliIo {
  return {
    stdout: io.stdout ?? pipeWriter(process.stdout),
    stderr: io.stderr ?? pipeWriter(process.stderr),
    env: io.env ?? process.env,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.color !== undefined ? { color: io.color } : {}),
  };
}

const guarded = new WeakSet<NodeJS.WritableStream>();
/** The first write error other than EPIPE each of the process's streams met (the disk behind `> file` is full). */
const failures = new WeakMap<NodeJS.WritableStream, unknown>();

/** Whether the reader of `stream` went away (`| head` read its lines and exited): a write met EPIPE. */
function readerGone(stream: NodeJS.WriteStream): boolean {
  return (stream.errored as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/**
 * A writer to the process's stdout or stderr that survives its reader going away: the EPIPE is taken in
 * (node would throw it as an unhandled 'error' event, a stack trace on stderr) and what follows is dropped,
 * so the command completes — a gather keeps every file — and {@link outputClosed} tells the caller. Any
 * other write error (a file behind `>` on a full disk: node writes files synchronously and throws) is kept
 * for {@link outputFailure} and what follows is dropped the same way.
 */
function pipeWriter(stream: NodeJS.WriteStream): (text: string) => void {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && !failures.has(stream)) failures.set(stream, error);
    });
  }
  return (text) => {
    if (readerGone(stream) || writeFailure(stream) !== null) return;
    try {
      stream.write(text);
    } catch (error) {
      failures.set(stream, error);
    }
  };
}

/**
 * The first write to the process's stdout or stderr (those `io` left to the process) that failed other than
 * by its reader going away, or null.
 */
export function outputFailure(io: Partial<CliIo>): { readonly stream: 'stdout' | 'stderr'; readonly error: unknown } | null {
  if (io.stdout === undefined && writeFailure(process.stdout) !== null) return { stream: 'stdout', error: writeFailure(process.stdout) };
  if (io.stderr === undefined && writeFailure(process.stderr) !== null) return { stream: 'stderr', error: writeFailure(process.stderr) };
  return null;
}

/** A write error other than EPIPE: thrown by a write, or the one the stream was destroyed with (node reports a file's on the next tick). */
function writeFailure(stream: NodeJS.WriteStream): unknown {
  if (failures.has(stream)) return failures.get(stream);
  const errored = stream.errored as NodeJS.ErrnoException | null;
  return errored !== null && errored.code !== 'EPIPE' ? errored : null;
}

/**
 * Whether the process's stdout or stderr lost its reader during the run (see {@link pipeWriter}); only
 * those that `io`, as given to {@link resolveIo}, left to the process.
 */
export function outputClosed(io: Partial<CliIo>): boolean {
  return (io.stdout === undefined && readerGone(process.stdout)) || (io.stderr === undefined && readerGone(process.stderr));
}

/** Colour for stderr: chalk decides from the TTY and NO_COLOR/FORCE_COLOR unless the caller said. */
export function paintFor(io: CliIo): Paint {
  const enabled = io.color ?? chalkStderr.level > 0;
  if (!enabled) return NO_PAINT;
  const c = chalkStderr;
  return { red: c.red, green: c.green, yellow: c.yellow, dim: c.dim, bold: c.bold };
}

/** A commander program wired for in-process use: throws instead of exiting, writes through `io`. */
export function newProgram(name: string, io: CliIo): Command {
  return new Command(name)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}

const readTimeout = durationReader(TIMEOUT_GRAMMAR);

/** Seconds as `90`, `90s`, `2m`, `1h` or `500ms`, to milliseconds. */
export function parseDuration(value: string): number {
  const ms = Math.round(readTimeout(value.trim()) ?? NaN);
  if (!Number.isFinite(ms) || ms < 1) throw new InvalidArgumentError('expected a duration such as 120, 90s, 2m or 1h');
  return ms;
}

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

/** Accumulates a repeatable option; `previous` may be a non-array default (e.g. `true` from a `--no-x` twin). */
export function collectRepeatable(value: string, previous?: unknown): string[] {
  return Array.isArray(previous) ? [...(previous as string[]), value] : [value];
}

/** Listen for SIGINT/SIGTERM while `body` runs; returns the signal received, if any. */
export async function withSignals<T>(io: CliIo, body: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; received: NodeJS.Signals | null }> {
  if (io.signal) {
    const value = await body(io.signal);
    return { value, received: io.signal.aborted ? (String(io.signal.reason) as NodeJS.Signals) : null };
  }
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

export function signalExitCode(received: NodeJS.Signals | null): number {
  return received === 'SIGINT' ? 130 : received === 'SIGTERM' ? 143 : ExitCode.OK;
}

/** Parse and run `program`; map what it throws to an exit code and one clear line on stderr. */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo, outcome: () => number): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; every other commander error is a usage error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const paint = paintFor(io);
    // By code, not class: a process that waited on another's gather (--run-key) receives its error rebuilt.
    const code = error instanceof MustGatherError ? error.code : (error as { code?: unknown } | null)?.code;
    const exit = code === 'USAGE' ? ExitCode.USAGE : code === 'NO_ENGINE' ? ExitCode.NO_ENGINE : code === 'OUTPUT' ? ExitCode.OUTPUT : null;
    if (exit !== null) {
      io.stderr(`${paint.red('must-gather:')} ${errorMessage(error)}\n`);
      if (exit === ExitCode.NO_ENGINE) {
        io.stderr('Install podman or docker (see scripts/setup-engines.sh), or point CONTAINER_HOST/DOCKER_HOST at an engine.\n');
      }
      return exit;
    }
    io.stderr(`${paint.red('must-gather: unexpected error:')} ${errorMessage(error)}\n`);
    if (program.opts().verbose && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return ExitCode.INTERNAL;
  }
  return outcome();
}
