import type { LineTimes } from './line-join.js';
import type { Readable } from 'node:stream';

/** The container engines must-gather knows. */
export type RuntimeName = 'podman' | 'docker';

/** What `--runtime` accepts: one engine, the first that answers, or every engine that answers. */
export type RuntimeChoice = RuntimeName | 'auto' | 'all';

/** How must-gather talks to an engine: its Engine API socket, or its command-line client. */
export type TransportName = 'api' | 'cli';

/** What `--transport` accepts. */
export type TransportChoice = TransportName | 'auto';

export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'podman', 'docker', 'all'];
export const TRANSPORT_CHOICES: readonly TransportChoice[] = ['auto', 'api', 'cli'];

/** One container as the engine lists it (running, exited or created). */
export interface ContainerSummary {
  readonly id: string;
  /** Names without a leading `/`. Docker lists linked aliases too; the first is the primary name. */
  readonly names: readonly string[];
  readonly image: string;
  readonly state: string;
}

/** What must-gather needs from an engine's inspect object, with engine differences settled. */
export interface ContainerDetails {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  readonly exitCode: number | null;
  readonly tty: boolean;
  readonly oomKilled: boolean;
  readonly restartCount: number;
  readonly createdAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The log driver as the inspect names it (`json-file`, `k8s-file`, `journald`, `none`…); null when absent.
   * podman's compat API says `json-file` for its k8s-file logs.
   */
  readonly logDriver?: string | null;
  /** The log file on the engine's host (docker `LogPath`, podman `HostConfig.LogConfig.Path`); null when none. */
  readonly logPath?: string | null;
  /** The engine's inspect object, untouched. */
  readonly raw: unknown;
}

/**
 * What an inspect document recorded about the container's run, read from either engine's shape (see
 * `readState` in parse.ts). Absent fields read as null, false or 0.
 */
export interface RecordedState {
  /** `State.Status` in lower case (`running`, `exited`…); '' when absent. */
  readonly status: string;
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  readonly restarting: boolean;
  readonly restartCount: number;
  readonly createdAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** The engine's own error for the container (`State.Error`), null when empty. */
  readonly error: string | null;
  /** The memory limit in bytes (`HostConfig.Memory`, `--memory`), null for none. */
  readonly memoryLimit: number | null;
}

/** The container's last health check, as the engine recorded it (see `readHealth` in parse.ts). */
export interface HealthStatus {
  /** `healthy`, `unhealthy` or `starting`. */
  readonly status: string;
  readonly failingStreak: number;
  readonly lastOutput: string | null;
  readonly lastExitCode: number | null;
  readonly lastCheckAt: string | null;
}

/** What happened to a container, in one vocabulary for both engines. */
export type ContainerEventAction =
  | 'create'
  | 'init'
  | 'start'
  | 'restart'
  | 'die'
  | 'oom'
  | 'kill'
  | 'stop'
  | 'pause'
  | 'unpause'
  | 'health_status'
  | 'cleanup'
  | 'rename'
  | 'destroy'
  | 'other';

/** One container event, normalised; written one per line to events.jsonl. */
export interface ContainerEvent {
  /** RFC 3339 in UTC with nine fractional digits (`2026-12-02T00:11:16.178748378Z`): sorts as text. */
  readonly time: string;
  readonly runtime: RuntimeName;
  readonly action: ContainerEventAction;
  /** The engine's own word when it differs from `action` (podman's `died`, `remove`; anything in `other`). */
  readonly engineAction?: string;
  readonly id: string;
  /** The container's name at the time, without a leading `/`; '' when the engine did not say. */
  readonly name: string;
  readonly image: string | null;
  /** `die` only: the main process's exit code. */
  readonly exitCode?: number;
  /** `kill` only, when the engine says (docker does, podman does not): the signal number. */
  readonly signal?: number;
  /** `health_status` only: `healthy`, `unhealthy` or `starting`. */
  readonly health?: string;
}

/** What to ask an engine for. */
export interface EventsOptions {
  /** From this time on. */
  readonly since: Date;
  /**
   * Up to this time, then the answer ends (snapshot mode). Without it the stream follows live events until
   * `signal` aborts (record mode).
   */
  readonly until?: Date | undefined;
  /** Only these containers' events (IDs); every container's when absent or empty. */
  readonly containers?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Options passed through to the engine's `logs`. */
export interface LogOptions {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly tail?: string | undefined;
  readonly timestamps?: boolean | undefined;
  /** Keep the stream open and deliver what the container writes until it stops (record mode). */
  readonly follow?: boolean | undefined;
  /**
   * Also deliver each line's engine timestamp through {@link LogStream.times}. The bytes stay exactly what
   * they are without it (the engine is asked for timestamps and they are taken off again).
   */
  readonly lineTimes?: boolean | undefined;
  /**
   * Read the engine's own log file when that gives the engine CLI's bytes exactly (default true; env
   * `MUST_GATHER_DIRECT_LOGS=0` turns it off for a run): see `openDirectLog` in log-file.ts.
   */
  readonly direct?: boolean | undefined;
}

/** Which container's log to read, and what its inspect says of how the engine stores it. */
export interface LogTarget {
  readonly id: string;
  readonly tty: boolean;
  readonly logDriver?: string | null | undefined;
  readonly logPath?: string | null | undefined;
}

/** Where a log's bytes came from: the engine's API or CLI, or its log file read directly. */
export type LogSource = 'api' | 'cli' | 'json-file' | 'k8s-file';

/** Which engine answered, and where: cheap to learn, so detection asks only this. */
export interface RuntimeInfo {
  readonly name: RuntimeName;
  readonly transport: TransportName;
  readonly version: string;
  /** Where the engine was reached: the CLI command (`podman`) or the API address (`unix:///run/podman/podman.sock`). */
  readonly endpoint: string;
}

/**
 * What the engine says of itself, for runtime.json: its `version` document (over podman's API, the `_ping`
 * headers that carry the same versions: its `/version` takes ~0.3 s) and, only when asked, its `info`
 * document (podman takes 0.15–0.28 s to make one).
 */
export interface EngineDescription {
  readonly versionInfo: unknown;
  /** The engine's `info` document, or null when it was not asked for. */
  readonly info: unknown;
}

/** A container's log as it streams from the engine. */
export interface LogStream {
  /** The container's stdout and stderr, interleaved as the engine returns them. Ends, never errors. */
  readonly stream: Readable;
  /**
   * Settles once `stream` has ended: resolves when the engine delivered the whole log, rejects with
   * {@link ContainerGoneError}, {@link EngineCancelledError} or {@link EngineError} (whatever arrived
   * before the failure is still in `stream`).
   */
  readonly finished: Promise<void>;
  /**
   * With {@link LogOptions.lineTimes}: the engine timestamps of `stream`'s lines, in order, one per line
   * (a line's timestamp is queued before its last byte is pushed; '' where the engine gave none). Else null.
   */
  readonly times: LineTimes | null;
  /** Where the bytes came from; final once `finished` has settled (a direct read may fall back first). */
  source(): LogSource;
  /** Final once `finished` has settled: lines longer than the per-stream hold limit, passed on in pieces. */
  linesCut(): number;
}

/**
 * The narrow interface the rest of must-gather uses to talk to an engine.
 * Every engine quirk (output shapes, error texts, exit codes) stays behind it.
 */
export interface ContainerRuntime {
  readonly name: RuntimeName;
  readonly transport: TransportName;
  /** Confirm the engine answers and say which it is (one cheap call). */
  info(signal?: AbortSignal): Promise<RuntimeInfo>;
  /** The engine's `version` document, and with `info: true` its `info` document too. */
  describe(signal?: AbortSignal, options?: { readonly info?: boolean }): Promise<EngineDescription>;
  /** All containers, any state. With `labels` (`key=value` or `key`), only those carrying every label. */
  list(options?: { labels?: readonly string[]; signal?: AbortSignal }): Promise<ContainerSummary[]>;
  /** Throws {@link ContainerGoneError} when the container no longer exists. */
  inspect(id: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /**
   * Stream the container's log, byte for byte as the engine returns it. `tty` (from inspect) says whether
   * the engine sends it raw or multiplexed; `logDriver`/`logPath` let a local engine's log file be read
   * directly. The caller must consume `stream`.
   */
  logs(target: LogTarget, options: LogOptions, signal?: AbortSignal): LogStream;
  /**
   * The engine's container events (type `container` only, health-check exec runs left out), normalised, one
   * at a time as the engine sends them. With `until` the iteration ends once the engine has sent what it has
   * up to then (an empty or missing event store gives none); without it, it follows live events until
   * `signal` aborts. Throws {@link EngineCancelledError} when aborted, {@link EngineError} when the engine
   * refuses (podman with `events_logger = "none"`).
   */
  events(options: EventsOptions): AsyncIterable<ContainerEvent>;
  /**
   * Live events read from where the engine keeps them on this machine, sooner than {@link events} gives them
   * (podman's event file: events-file.ts), or null where there is no such place. Never the only source: the
   * same events also come through {@link events}.
   */
  localEvents?(options: EventsOptions): Promise<AsyncIterable<ContainerEvent> | null>;
}

/** The engine refused or failed a command. */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The container does not exist (any more): removed before or during collection. */
export class ContainerGoneError extends EngineError {}

/** The run was cancelled or timed out while this engine call was in flight. */
export class EngineCancelledError extends EngineError {}
