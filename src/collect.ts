import { join } from 'node:path';
import type { SelectedContainer } from './discover.js';
import { errorMessage } from './errors.js';
import { describeFile, safeFileStem, writeNewFile, writeStreamToFile, type FileRecord } from './output.js';
import {
  ContainerGoneError,
  EngineCancelledError,
  type ContainerDetails,
  type ContainerRuntime,
  type LogOptions,
  type RuntimeName,
} from './runtime/types.js';

/** What was collected of one container, as manifest.json and the result record it. */
export interface ContainerRecord {
  readonly name: string;
  /** The engine it was collected from. */
  readonly runtime: RuntimeName;
  readonly id: string;
  readonly image: string;
  readonly state: string;
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  readonly restartCount: number;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly matchedBy: SelectedContainer['matchedBy'];
  readonly files: FileRecord[];
  /** Why something of this container is missing, or null when everything was collected. */
  readonly error: string | null;
  /** False when the run was cut short (timeout, interruption) before this container was finished. */
  readonly complete: boolean;
}

export interface CollectContext {
  readonly runtime: ContainerRuntime;
  /** The run folder. */
  readonly dir: string;
  /** Sub-folder of the run folder for this engine's files ('' for none). */
  readonly prefix: string;
  readonly logs: LogOptions;
  readonly signal: AbortSignal;
  /** Why `signal` fired, in words, for the records. */
  readonly abortReason: () => string;
}

function baseRecord(container: SelectedContainer, runtime: RuntimeName, details: ContainerDetails | null): Omit<ContainerRecord, 'files' | 'error' | 'complete'> {
  const s = container.summary;
  return {
    name: container.name,
    runtime,
    id: details?.id || s.id,
    image: details?.image || s.image,
    state: details?.state || s.state,
    exitCode: details?.exitCode ?? null,
    oomKilled: details?.oomKilled ?? false,
    restartCount: details?.restartCount ?? 0,
    startedAt: details?.startedAt ?? null,
    finishedAt: details?.finishedAt ?? null,
    matchedBy: container.matchedBy,
  };
}

/** Record for a container the run never got to (timeout or interruption before its turn). */
export function notCollected(container: SelectedContainer, runtime: RuntimeName, reason: string): ContainerRecord {
  return { ...baseRecord(container, runtime, null), files: [], error: `not collected: ${reason}`, complete: false };
}

/**
 * Collect one container: `<name>_inspect.json`, then `<name>.log` streamed by the engine into the file.
 * Never throws for engine trouble: a failure is recorded and whatever was written is kept.
 */
export async function collectContainer(container: SelectedContainer, ctx: CollectContext): Promise<ContainerRecord> {
  if (ctx.signal.aborted) return notCollected(container, ctx.runtime.name, ctx.abortReason());
  const stem = (ctx.prefix ? `${ctx.prefix}/` : '') + safeFileStem(container.name);
  const files: FileRecord[] = [];
  let details: ContainerDetails | null = null;
  const finish = (error: string | null, complete: boolean): ContainerRecord => ({
    ...baseRecord(container, ctx.runtime.name, details),
    files,
    error,
    complete,
  });
  const failure = (error: unknown, step: string): ContainerRecord => {
    if (error instanceof EngineCancelledError || ctx.signal.aborted) {
      return finish(`${step} cut short: ${ctx.abortReason()}`, false);
    }
    if (error instanceof ContainerGoneError) return finish(`container was removed during collection (${step}): ${error.message}`, true);
    return finish(`${step} failed: ${errorMessage(error)}`, true);
  };

  try {
    details = await ctx.runtime.inspect(container.summary.id, ctx.signal);
    const inspectPath = `${stem}_inspect.json`;
    await writeNewFile(join(ctx.dir, inspectPath), JSON.stringify(details.raw, null, 2) + '\n');
    files.push(await describeFile(ctx.dir, inspectPath, 'inspect'));
  } catch (error) {
    return failure(error, 'inspect');
  }

  const logPath = `${stem}.log`;
  let logError: unknown = null;
  try {
    const { stream, finished } = ctx.runtime.logs({ id: details.id, tty: details.tty }, ctx.logs, ctx.signal);
    // Written and hashed in one pass; the engine's failure (if any) is known once the stream has ended,
    // and whatever arrived before it is kept: it is evidence.
    files.push(await writeStreamToFile(stream, ctx.dir, logPath, 'log'));
    await finished.catch((error: unknown) => {
      logError = error;
    });
  } catch (error) {
    logError ??= error;
  }
  return logError === null ? finish(null, true) : failure(logError, 'logs');
}
