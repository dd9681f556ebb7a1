import { PassThrough, type Readable } from 'node:stream';
import { eventsRequest, parseApiEvent, parsePodmanCliEvent, readEvents, type EventsRequest } from './events.js';
import { EngineErrorHoldback } from './holdback.js';
import { openDirectLog } from './log-file.js';
import { localPodmanEvents } from './events-file.js';
import { LineJoiner, LineTimes } from './line-join.js';
import { DOCKER_PARTIAL_BYTES, UnframedEntries, type PrefixMode } from './log-time.js';
import { isContainerGoneMessage, parseContainerList, parseInspect } from './parse.js';
import {
  ContainerGoneError,
  EngineCancelledError,
  EngineError,
  type ContainerDetails,
  type ContainerEvent,
  type ContainerRuntime,
  type ContainerSummary,
  type EngineDescription,
  type EventsOptions,
  type LogOptions,
  type LogStream,
  type LogTarget,
  type RuntimeInfo,
  type RuntimeName,
} from './types.js';

export interface CliRuntimeOptions {
  /** Executable to run; defaults to the runtime's name, looked up on PATH. */
  readonly command?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** How many bytes at the end of a log file may hold the engine CLI's own error line. */
const ERROR_TAIL_BYTES = 4096;

/** A container engine driven through its command-line client (`podman` or `docker`). */
export class CliRuntime implements ContainerRuntime {
  readonly name: RuntimeName;
  readonly transport = 'cli';
  readonly command: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(name: RuntimeName, options: CliRuntimeOptions = {}) {
    this.name = name;
    this.command = options.command ?? name;
    this.#env = options.env ?? process.env;
  }

  async info(signal?: AbortSignal): Promise<RuntimeInfo> {
    // `docker version` fails when its daemon is down, so this also proves the engine answers.
    const versionInfo = JSON.parse(await this.#run(['version', '--format', this.#jsonFormat], signal)) as unknown;
    return { name: this.name, transport: 'cli', version: engineVersion(versionInfo), endpoint: this.command };
  }

  async describe(signal?: AbortSignal, options: { readonly info?: boolean } = {}): Promise<EngineDescription> {
    const [versionInfo, info] = await Promise.all([
      this.#run(['version', '--format', this.#jsonFormat], signal),
      options.info ? this.#run(['info', '--format', this.#jsonFormat], signal) : null,
    ]);
    return { versionInfo: JSON.parse(versionInfo) as unknown, info: info === null ? null : (JSON.parse(info) as unknown) };
  }

  /** docker needs a Go template for JSON; podman takes `json`. */
  get #jsonFormat(): string {
    return this.name === 'docker' ? '{{json .}}' : 'json';
  }

  async list(options: { labels?: readonly string[]; signal?: AbortSignal } = {}): Promise<ContainerSummary[]> {
    const format = this.#jsonFormat;
    // Label filters are exact matches in both engines (unlike `name=`, an unanchored regex, never used here).
    const filters = (options.labels ?? []).flatMap((label) => ['--filter', `label=${label}`]);
    const args = ['ps', '--all', '--no-trunc', ...filters, '--format', format];
    return parseContainerList(await this.#run(args, options.signal));
  }

  async inspect(id: string, signal?: AbortSignal): Promise<ContainerDetails> {
    const text = await this.#run(['inspect', '--type', 'container', id], signal);
    const parsed: unknown = JSON.parse(text);
    const raw: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    if (raw === undefined) throw new ContainerGoneError(`${this.name} inspect returned nothing for ${id}`);
    return parseInspect(raw);
  }

  logs(container: LogTarget, options: LogOptions, signal?: AbortSignal): LogStream {
    const direct = openDirectLog(container, options, { name: this.name, transport: 'cli', env: this.#env }, signal);
    if (direct !== null) return direct;
    const tty = container.tty === true;
    const times = options.lineTimes === true ? new LineTimes() : null;
    // A TTY log is one stream: nothing to join, its bytes pass unchanged (a hold limit of 0).
    const joiner = new LineJoiner({ times, ...(tty ? { holdLimit: 0 } : {}) });
    const out = new PassThrough();
    // stdout and stderr in pipes of their own: the CLI writes each stream's entries, in order, to its own fd,
    // and the joiner keeps each stream's lines whole where one pipe would tear them as the engine stored them.
    const prefixes = cliPrefixes(this.name, options);
    const flags = logFlags({ ...options, timestamps: options.timestamps === true || prefixes !== null });
    const result = import('execa').then(({ execa }) => {
      const subprocess = execa(this.command, ['logs', ...flags, container.id], { ...this.#baseOptions(signal), stdout: 'pipe', stderr: 'pipe', buffer: false });
      subprocess.stderr.on('error', () => holdback.end());
      subprocess.stderr.pipe(holdback);
      merge.start(subprocess.stdout, holdback);
      // If the consumer gives up (its file failed), end the engine process rather than leave it blocked on a full pipe.
      out.once('close', () => {
        if (!merge.ended && subprocess.exitCode === null) subprocess.kill('SIGKILL');
      });
      return subprocess.then((r) => r);
    });
    const holdback = new EngineErrorHoldback(ERROR_TAIL_BYTES, async () => {
      const r = await result;
      return r.failed && !r.isCanceled && r.exitCode !== undefined;
    });
    const merge = new StreamMerge(joiner, out, prefixes, this.name === 'docker' ? DOCKER_PARTIAL_BYTES : null);
    result.catch(() => merge.finish());
    const finished = merge.done.then(() =>
      result.then((r) => {
        if (r.isCanceled) throw new EngineCancelledError(`${this.name} logs was cancelled`);
        if (!r.failed) return;
        const text = holdback.engineError ?? `${this.name} logs failed: ${r.shortMessage ?? `exit code ${r.exitCode}`}`;
        throw isContainerGoneMessage(text) ? new ContainerGoneError(text) : new EngineError(text);
      }),
    );
    // The caller awaits `finished` only after consuming `stream`: mark it handled so an early rejection
    // (cancellation) is not an unhandled one that ends the process.
    finished.catch(() => {});
    return { stream: out, finished, times, source: () => 'cli', linesCut: () => (tty ? 0 : joiner.linesCut) };
  }

  localEvents(options: EventsOptions): Promise<AsyncIterable<ContainerEvent> | null> {
    return localPodmanEvents({ name: this.name, transport: 'cli', env: this.#env }, options, this.#env);
  }

  async *events(options: EventsOptions): AsyncGenerator<ContainerEvent> {
    const { execa } = await import('execa');
    const args = ['events', ...eventFlags(this.name, eventsRequest(this.name, options))];
    const subprocess = execa(this.command, args, { ...this.#baseOptions(options.signal), stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true } });
    const parse = this.name === 'podman' ? parsePodmanCliEvent : (line: string) => parseApiEvent(line, this.name);
    try {
      yield* readEvents(subprocess.stdout, parse, options);
    } finally {
      // The consumer stopped early (or following ended): no engine process is left behind.
      if (subprocess.exitCode === null) subprocess.kill('SIGKILL');
    }
    const r = await subprocess;
    if (r.isCanceled) throw new EngineCancelledError(`${this.name} events was cancelled`);
    if (r.failed) throw new EngineError(`${this.name} events failed: ${String(r.stderr ?? '').trim() || (r.shortMessage ?? `exit code ${r.exitCode}`)}`);
  }

  #baseOptions(signal: AbortSignal | undefined) {
    return {
      env: this.#env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      killSignal: 'SIGKILL',
      ...(signal ? { cancelSignal: signal } : {}),
    } as const;
  }

  async #run(args: string[], signal?: AbortSignal): Promise<string> {
    // execa is loaded on first use, so `must-gather --help` does not pay for it.
    const { execa } = await import('execa');
    const result = await execa(this.command, args, { ...this.#baseOptions(signal), stripFinalNewline: false });
    if (result.isCanceled) throw new EngineCancelledError(`${this.name} ${args[0]} was cancelled`);
    if (!result.failed) return String(result.stdout);
    const stderr = String(result.stderr ?? '').trim();
    const detail = stderr || (result.shortMessage ?? `exit code ${result.exitCode}`);
    if (isContainerGoneMessage(stderr)) throw new ContainerGoneError(detail);
    throw new EngineError(`${this.name} ${args[0]} failed: ${detail}`);
  }
}

/**
 * How the CLI's `--timestamps` prefixes are read, or null when the CLI is not asked for them. `logs -t`
 * prefixes every entry, and a line the engine stored in pieces has one per piece, mid-line: docker's pieces
 * are 16 KiB (their prefixes are found), podman's fall where its reader caught a write, and a prefix there
 * cannot be told from the container's own text. So podman's CLI is asked for them only when the user wants
 * them in the bytes; otherwise its lines come without times ('') and its bytes stay exact.
 */
function cliPrefixes(name: RuntimeName, options: LogOptions): PrefixMode | null {
  if (options.timestamps === true) return options.lineTimes === true ? 'keep' : null;
  return options.lineTimes === true && name === 'docker' ? 'strip' : null;
}

function logFlags(options: LogOptions): string[] {
  const flags: string[] = [];
  // `--flag=value` so a value can never be read as another flag.
  if (options.since !== undefined) flags.push(`--since=${options.since}`);
  if (options.until !== undefined) flags.push(`--until=${options.until}`);
  if (options.tail !== undefined) flags.push(`--tail=${options.tail}`);
  if (options.timestamps === true) flags.push('--timestamps');
  if (options.follow === true) flags.push('--follow');
  return flags;
}

/** `<engine> events` flags for a request; `--flag=value` so no value is read as a flag. */
function eventFlags(name: RuntimeName, request: EventsRequest): string[] {
  const flags = [`--since=${request.since}`, '--filter=type=container', ...request.containers.map((id) => `--filter=container=${id}`)];
  if (request.until !== null) flags.push(`--until=${request.until}`);
  if (request.readToEnd) flags.push('--stream=false');
  // docker needs a Go template for JSON; podman takes `json`.
  flags.push(name === 'docker' ? '--format={{json .}}' : '--format=json');
  return flags;
}

function engineVersion(versionInfo: unknown): string {
  const v = versionInfo as { Server?: { Version?: unknown }; Client?: { Version?: unknown } } | null;
  const server = v?.Server?.Version;
  const client = v?.Client?.Version;
  if (typeof server === 'string') return server;
  return typeof client === 'string' ? client : 'unknown';
}

/**
 * The CLI's two pipes into one stream, through the joiner: stdout as stream 1, stderr (after the engine's
 * own error line is held back) as stream 2, each read for its entries' prefixes when there are any.
 * Reading pauses while `out` is full.
 */
class StreamMerge {
  readonly #joiner: LineJoiner;
  readonly #out: PassThrough;
  readonly #entries: readonly [UnframedEntries, UnframedEntries] | null;
  #open = 0;
  #ended = false;
  #paused = false;
  #inputs: Readable[] = [];
  #resolve: () => void = () => {};
  /** Resolves once `out` has been ended with everything both pipes gave. */
  readonly done = new Promise<void>((resolve) => (this.#resolve = resolve));

  constructor(joiner: LineJoiner, out: PassThrough, prefixes: PrefixMode | null, partialBytes: number | null) {
    this.#joiner = joiner;
    this.#out = out;
    this.#entries = prefixes === null ? null : [new UnframedEntries(joiner, 1, prefixes, partialBytes), new UnframedEntries(joiner, 2, prefixes, partialBytes)];
  }

  get ended(): boolean {
    return this.#ended;
  }

  start(stdout: Readable, stderr: Readable): void {
    this.#inputs = [stdout, stderr];
    this.#open = 2;
    for (const [index, input] of this.#inputs.entries()) {
      const stream = index === 0 ? 1 : 2;
      let open = true;
      const ended = (): void => {
        if (open) this.#inputEnded();
        open = false;
      };
      input.on('data', (chunk: Buffer) => this.#feed(stream, chunk));
      input.once('end', ended);
      input.once('error', ended);
    }
  }

  /** Everything is in (or the engine could not be run): pass on what is held and end `out`. */
  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const entries of this.#entries ?? []) entries.end();
    this.#joiner.end();
    this.#write();
    this.#out.end();
    this.#resolve();
  }

  #feed(stream: 1 | 2, chunk: Buffer): void {
    if (this.#entries) this.#entries[stream - 1]?.write(chunk);
    else this.#joiner.entry(stream, chunk, null);
    if (this.#write() || this.#paused) return;
    this.#paused = true;
    for (const input of this.#inputs) input.pause();
    this.#out.once('drain', () => {
      this.#paused = false;
      for (const input of this.#inputs) input.resume();
    });
  }

  /** Whether `out` takes more now. */
  #write(): boolean {
    const bytes = this.#joiner.take();
    if (bytes === null || this.#out.destroyed) return true;
    return this.#out.write(bytes);
  }

  #inputEnded(): void {
    if (--this.#open === 0) this.finish();
  }
}
