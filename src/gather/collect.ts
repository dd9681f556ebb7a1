import { join } from 'node:path';
import type { ArchiveParts } from '../run-folder/archive.js';
import type { SelectedContainer } from './select.js';
import { errorMessage } from '../_util/errors.js';
import { Transform } from 'node:stream';
import { deadline } from '../_util/deadline.js';
import { createSizeLimiter } from './size-limit.js';
import { createLogAnalyzer, type LogAnalysis } from '../triage/analyze.js';
import { containerFiles } from '../run-folder/layout.js';
import type { ContainerRecord } from '../run-folder/manifest.js';
import { describeFile, PartialFileError, writeNewFile, writeStreamToFile, type FileRecord } from '../run-folder/write.js';
import { createRedactor, redactInspect, type CompiledRedaction } from '../redact/index.js';
import {
  ContainerGoneError,
  EngineCancelledError,
  type ContainerDetails,
  type ContainerRuntime,
  type LogOptions,
  type RuntimeName,
} from '../runtime/types.js';

export interface CollectContext {
  readonly runtime: ContainerRuntime;
  /** The run folder. */
  readonly dir: string;
  /** Sub-folder of the run folder for this engine's files ('' for none). */
  readonly prefix: string;
  readonly logs: LogOptions;
  /** The run's signal (overall --timeout, interruption). */
  readonly signal: AbortSignal;
  /** Why `signal` fired, in words, for the records. */
  readonly abortReason: () => string;
  /** Bound on each container's inspect and on its log, in milliseconds; null for none but the run's. */
  readonly containerTimeoutMs: number | null;
  /** What to redact, or null with --no-redact. */
  readonly redaction: CompiledRedaction | null;
  /** Keep at most this many bytes of each log (head and tail), or null. */
  readonly maxLogBytes: number | null;
  /** Where each log's triage analysis goes, by its path in the run folder: made while the log is written. */
  readonly analyses?: Map<string, LogAnalysis>;
  /** With --archive: each log is compressed for the archive as it is written. */
  readonly archive?: ArchiveParts | null;
}

/** A pass-through stage that feeds a log analyzer with exactly the bytes written to the file. */
function analysisTap(path: string, into: Map<string, LogAnalysis>): Transform {
  const analyzer = createLogAnalyzer();
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      analyzer.write(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      into.set(path, analyzer.end());
      callback();
    },
  });
}

/** A log's way to its file, and what its stages record in the log's FileRecord once it is written. */
export interface LogStages {
  readonly transforms: readonly Transform[];
  fileFields(): Pick<FileRecord, 'redactions' | 'cutBytes'>;
}

/**
 * The stages every log passes through, gather's and record's alike: redaction, the size limit, the triage
 * analysis and the archive's compression, in that order (redact before cutting, so a cut never leaves half
 * a secret that no rule recognises; analyse and pack exactly the bytes written).
 */
export function logStages(
  path: string,
  options: Pick<CollectContext, 'redaction' | 'maxLogBytes' | 'analyses' | 'archive'>,
): LogStages {
  const redactor = options.redaction ? createRedactor(options.redaction) : null;
  const limiter = options.maxLogBytes !== null ? createSizeLimiter(options.maxLogBytes) : null;
  const analysis = options.analyses ? analysisTap(path, options.analyses) : null;
  const packing = options.archive ? options.archive.tap(path) : null;
  return {
    transforms: [redactor, limiter, analysis, packing].filter((t): t is NonNullable<typeof t> => t !== null),
    fileFields: () => ({
      ...(redactor ? { redactions: redactor.counts() } : {}),
      ...(limiter && limiter.cutBytes() > 0 ? { cutBytes: limiter.cutBytes() } : {}),
    }),
  };
}

/** What inspecting a container gave: its details, or why there are none. */
export type Inspection = { readonly details: ContainerDetails; readonly error: null } | { readonly details: null; readonly error: unknown };

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

/** The run's signal, bounded further by the per-container timeout; why it fired; and its disposal. */
function containerSignal(ctx: CollectContext): { signal: AbortSignal; reason: () => string; dispose: () => void } {
  if (ctx.containerTimeoutMs === null) return { signal: ctx.signal, reason: ctx.abortReason, dispose: () => {} };
  const limit = deadline(ctx.containerTimeoutMs, ctx.signal);
  return {
    signal: limit.signal,
    reason: () => (ctx.signal.aborted ? ctx.abortReason() : `timed out after ${ctx.containerTimeoutMs! / 1000} s (--container-timeout)`),
    dispose: limit.dispose,
  };
}

/** Phase one: ask the engine for the container's details. Every inspection ends before any log is read,
 * so that secrets from every container's environment are known before the first log byte is written. */
export async function inspectContainer(container: SelectedContainer, ctx: CollectContext): Promise<Inspection> {
  const { signal, dispose } = containerSignal(ctx);
  try {
    return { details: await ctx.runtime.inspect(container.summary.id, signal), error: null };
  } catch (error) {
    return { details: null, error };
  } finally {
    dispose();
  }
}

/**
 * Phase two: write `<name>_inspect.json`, then stream `<name>.log` from the engine through redaction and the
 * size limit into its file. Never throws for engine trouble: a failure is recorded and what was written is kept.
 */
export async function collectContainer(container: SelectedContainer, inspection: Inspection, ctx: CollectContext): Promise<ContainerRecord> {
  const bounded = containerSignal(ctx);
  try {
    return await collectWithin(container, inspection, ctx, bounded.signal, bounded.reason);
  } finally {
    bounded.dispose();
  }
}

async function collectWithin(
  container: SelectedContainer,
  inspection: Inspection,
  ctx: CollectContext,
  signal: AbortSignal,
  reason: () => string,
): Promise<ContainerRecord> {
  const details = inspection.details;
  const paths = containerFiles(container.name, ctx.prefix);
  const files: FileRecord[] = [];
  const finish = (error: string | null, complete: boolean): ContainerRecord => ({
    ...baseRecord(container, ctx.runtime.name, details),
    files,
    error,
    complete,
  });
  const failure = (error: unknown, step: string): ContainerRecord => {
    if (error instanceof EngineCancelledError || signal.aborted) return finish(`${step} cut short: ${reason()}`, false);
    if (error instanceof ContainerGoneError) return finish(`container was removed during collection (${step}): ${error.message}`, true);
    return finish(`${step} failed: ${errorMessage(error)}`, true);
  };
  if (details === null) return failure(inspection.error, 'inspect');
  if (ctx.signal.aborted) return finish(`not collected: ${ctx.abortReason()}`, false);

  try {
    const inspectPath = paths.inspect;
    const redacted = ctx.redaction ? redactInspect(details.raw, ctx.redaction) : { value: details.raw, counts: {} };
    await writeNewFile(join(ctx.dir, inspectPath), JSON.stringify(redacted.value, null, 2) + '\n');
    files.push({ ...(await describeFile(ctx.dir, inspectPath, 'inspect')), ...(ctx.redaction ? { redactions: redacted.counts } : {}) });
  } catch (error) {
    return failure(error, 'inspect');
  }

  const logPath = paths.log;
  let logError: unknown = null;
  try {
    const log = ctx.runtime.logs({ id: details.id, tty: details.tty }, ctx.logs, signal);
    const { stream, finished } = log;
    const stages = logStages(logPath, ctx);
    // Written and hashed in one pass; the engine's failure (if any) is known once the stream has ended,
    // and whatever arrived before it is kept: it is evidence.
    const file = await writeStreamToFile(stream, ctx.dir, logPath, 'log', stages.transforms);
    await finished.catch((error: unknown) => {
      logError = error;
    });
    const linesCut = log.linesCut();
    files.push({
      ...file,
      source: log.source(),
      ...stages.fileFields(),
      ...(linesCut > 0 ? { linesCut } : {}),
    });
  } catch (error) {
    if (error instanceof PartialFileError && error.file) files.push(error.file);
    logError ??= error;
  }
  return logError === null ? finish(null, true) : failure(logError, 'logs');
}
