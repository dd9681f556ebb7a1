/** Stable error codes. The CLI maps each to a documented exit code (see `exit-codes.ts`). */
export type MustGatherErrorCode = 'USAGE' | 'NO_ENGINE' | 'OUTPUT';

/** Base class of every error the library throws on purpose. */
export class MustGatherError extends Error {
  readonly code: MustGatherErrorCode;

  constructor(code: MustGatherErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller asked for something invalid (bad service name, bad option value). Nothing was written. */
export class UsageError extends MustGatherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}

/**
 * The output folder cannot be used safely: the base folder is a symlink, not a folder, or owned by someone
 * else (a planted folder in a shared /tmp), or the manifest could not be written (e.g. the disk is full).
 */
export class OutputError extends MustGatherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OUTPUT', message, options);
  }
}

/** One attempt made while looking for a container engine, and why it was not used. */
export interface EngineAttempt {
  readonly runtime: string;
  readonly reason: string;
}

/** No container engine answered. `attempts` names every place that was tried. */
export class NoEngineError extends MustGatherError {
  readonly attempts: readonly EngineAttempt[];

  constructor(attempts: readonly EngineAttempt[]) {
    const tried = attempts.map((a) => `  - ${a.runtime}: ${a.reason}`).join('\n');
    super('NO_ENGINE', `no usable container engine found. Tried:\n${tried}`);
    this.attempts = attempts;
  }
}

/** Message of any thrown value, for records that must not hold the error object itself. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
