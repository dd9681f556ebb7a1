import type { FileHandle } from 'node:fs/promises';

/** The container engines must-gather knows. */
export type RuntimeName = 'podman' | 'docker';

/** What `--runtime` accepts. */
export type RuntimeChoice = RuntimeName | 'auto';

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
  /** The engine's inspect object, untouched. */
  readonly raw: unknown;
}

/** Options passed through to the engine's `logs`. */
export interface LogOptions {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly tail?: string | undefined;
  readonly timestamps?: boolean | undefined;
}

/** Engine name, version and the engine's own `info`, written to runtime.json. */
export interface RuntimeInfo {
  readonly name: RuntimeName;
  readonly transport: 'cli';
  readonly version: string;
  /** The command that was used, e.g. `/usr/bin/podman`. */
  readonly command: string;
  readonly info: unknown;
  readonly versionInfo: unknown;
}

/**
 * The narrow interface the rest of must-gather uses to talk to an engine.
 * Every engine quirk (output shapes, error texts, exit codes) stays behind it.
 */
export interface ContainerRuntime {
  readonly name: RuntimeName;
  info(signal?: AbortSignal): Promise<RuntimeInfo>;
  /** All containers, any state. With `labels` (`key=value` or `key`), only those carrying every label. */
  list(options?: { labels?: readonly string[]; signal?: AbortSignal }): Promise<ContainerSummary[]>;
  /** Throws {@link ContainerGoneError} when the container no longer exists. */
  inspect(id: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /**
   * Write the container's stdout and stderr, interleaved and byte for byte as the engine returns them,
   * to `file` (at its current position). Throws {@link ContainerGoneError} or {@link EngineError}.
   */
  writeLogs(id: string, file: FileHandle, options: LogOptions, signal?: AbortSignal): Promise<void>;
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
