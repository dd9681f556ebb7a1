import { eventsRequest, parseApiEvent, parsePodmanCliEvent, readEvents, type EventsRequest } from './events.js';
import { EngineErrorHoldback } from './holdback.js';
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

  async describe(signal?: AbortSignal): Promise<EngineDescription> {
    const [versionInfo, info] = await Promise.all([
      this.#run(['version', '--format', this.#jsonFormat], signal),
      this.#run(['info', '--format', this.#jsonFormat], signal),
    ]);
    return { versionInfo: JSON.parse(versionInfo) as unknown, info: JSON.parse(info) as unknown };
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

  logs(container: { readonly id: string }, options: LogOptions, signal?: AbortSignal): LogStream {
    // `2>&1` inside the engine's own process: stdout and stderr share one pipe, so the interleaving is
    // the engine's, as `podman logs c > f 2>&1` gives it. `exec` leaves no shell behind to orphan.
    const args = ['-c', 'exec "$0" "$@" 2>&1', this.command, 'logs', ...logFlags(options), container.id];
    const result = import('execa').then(({ execa }) => {
      const subprocess = execa('/bin/sh', args, { ...this.#baseOptions(signal), stdout: 'pipe', stderr: 'ignore', buffer: false });
      subprocess.stdout.on('error', () => holdback.end());
      subprocess.stdout.pipe(holdback);
      // If the consumer gives up (its file failed), end the engine process rather than leave it blocked on a full pipe.
      holdback.once('close', () => {
        if (!holdback.readableEnded && subprocess.exitCode === null) subprocess.kill('SIGKILL');
      });
      return subprocess.then((r) => r);
    });
    result.catch(() => holdback.end());
    const holdback = new EngineErrorHoldback(ERROR_TAIL_BYTES, async () => {
      const r = await result;
      return r.failed && !r.isCanceled && r.exitCode !== undefined;
    });
    const finished = new Promise<void>((resolve, reject) => {
      holdback.once('end', () => {
        result.then((r) => {
          if (r.isCanceled) reject(new EngineCancelledError(`${this.name} logs was cancelled`));
          else if (!r.failed) resolve();
          else {
            const text = holdback.engineError ?? `${this.name} logs failed: ${r.shortMessage ?? `exit code ${r.exitCode}`}`;
            reject(isContainerGoneMessage(text) ? new ContainerGoneError(text) : new EngineError(text));
          }
        }, reject);
      });
    });
    // The caller awaits `finished` only after consuming `stream`: mark it handled so an early rejection
    // (cancellation) is not an unhandled one that ends the process.
    finished.catch(() => {});
    return { stream: holdback, finished, times: null, source: () => 'cli', linesCut: () => 0 };
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
