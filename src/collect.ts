import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { SelectedContainer } from './discover.js';
import { errorMessage } from './errors.js';
import { describeFile, safeFileStem, writeNewFile, type FileRecord } from './output.js';
import {
  ContainerGoneError,
  EngineCancelledError,
  type ContainerDetails,
  type ContainerRuntime,
  type LogOptions,
} from './runtime/types.js';

/** What was collected of one container, as manifest.json and the result record it. */
export interface ContainerRecord {
  readonly name: string;
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
  readonly dir: string;
  readonly logs: LogOptions;
  readonly signal: AbortSignal;
  /** Why `signal` fired, in words, for the records. */
  readonly abortReason: () => string;
}

function baseRecord(container: SelectedContainer, details: ContainerDetails | null): Omit<ContainerRecord, 'files' | 'error' | 'complete'> {
  const s = container.summary;
  return {
    name: container.name,
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
export function notCollected(container: SelectedContainer, reason: string): ContainerRecord {
  return { ...baseRecord(container, null), files: [], error: `not collected: ${reason}`, complete: false };
}

/**
 * Collect one container: `<name>_inspect.json`, then `<name>.log` streamed by the engine into the file.
 * Never throws for engine trouble: a failure is recorded and whatever was written is kept.
 */
export async function collectContainer(container: SelectedContainer, ctx: CollectContext): Promise<ContainerRecord> {
  if (ctx.signal.aborted) return notCollected(container, ctx.abortReason());
  const stem = safeFileStem(container.name);
  const files: FileRecord[] = [];
  let details: ContainerDetails | null = null;
  const finish = (error: string | null, complete: boolean): ContainerRecord => ({
    ...baseRecord(container, details),
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
    const handle = await open(join(ctx.dir, logPath), 'wx+', 0o600);
    try {
      await ctx.runtime.writeLogs(container.summary.id, handle, ctx.logs, ctx.signal);
    } catch (error) {
      logError = error;
    } finally {
      await handle.close();
    }
    // Whatever reached the file is evidence: it is described even when the engine failed half-way.
    files.push(await describeFile(ctx.dir, logPath, 'log'));
  } catch (error) {
    logError ??= error;
  }
  return logError === null ? finish(null, true) : failure(logError, 'logs');
}
